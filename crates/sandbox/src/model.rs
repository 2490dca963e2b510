//! The sandbox's account: tokens, resources, files and jobs, kept in memory.

use crate::config::SandboxConfig;
use crate::outputs;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const BUCKET: &str = "terra-sandbox";

#[derive(Debug, Clone)]
pub struct TokenRec {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub store_prefix: String,
    pub callback_param: String,
    pub expires_at: SystemTime,
}

#[derive(Debug, Clone)]
pub struct FileRec {
    pub uuid: String,
    pub resource_uuid: String,
    pub name: String,
    pub etag: String,
    pub size: u64,
    pub object_key: String,
    pub created_at: SystemTime,
}

#[derive(Debug, Clone)]
pub struct ResourceRec {
    pub uuid: String,
    pub name: String,
    pub kind: String,
    pub files: Vec<String>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub input_jobs: Vec<String>,
    pub output_jobs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct JobRec {
    pub uuid: String,
    pub name: String,
    pub kind: Option<i64>,
    pub created_at: SystemTime,
    pub started: Option<(Instant, SystemTime)>,
    pub resource_uuid: Option<String>,
    pub parameters: Option<String>,
    pub output_resource_uuid: Option<String>,
    pub stopped_at: Option<SystemTime>,
    /// Why the job will fail once it has prepared, when its input is unfit.
    pub unfit: Option<String>,
    pub completed_at: Option<SystemTime>,
}

/// A job's state as a client sees it at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub status: i64,
    pub percentage: f64,
    pub remain_seconds: f64,
}

impl JobRec {
    pub fn progress(&self, duration: Duration) -> Progress {
        let Some((started, _)) = self.started else {
            return Progress { status: 0, percentage: 0.0, remain_seconds: 0.0 };
        };
        if self.stopped_at.is_some() {
            return Progress { status: 5, percentage: 0.0, remain_seconds: 0.0 };
        }
        let total = duration.as_secs_f64().max(0.001);
        let f = (started.elapsed().as_secs_f64() / total).min(1.0);
        if self.unfit.is_some() && f >= 0.2 {
            return Progress { status: 7, percentage: 0.2, remain_seconds: 0.0 };
        }
        let status = match f {
            f if f < 0.1 => 1,
            f if f < 0.2 => 2,
            f if f < 0.85 => 3,
            f if f < 1.0 => 4,
            _ => 6,
        };
        let remain = (total * (1.0 - f)).max(0.0);
        Progress { status, percentage: if status == 6 { 1.0 } else { (f * 100.0).round() / 100.0 }, remain_seconds: remain.round() }
    }
}

/// Every request the sandbox answered, for tests to inspect.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub api_requests: u64,
    pub auth_failures: u64,
    pub injected_errors: u64,
    pub injected_drops: u64,
    pub callbacks: u64,
}

pub struct State {
    pub config: SandboxConfig,
    pub base_url: String,
    pub storage_root: PathBuf,
    pub tokens: HashMap<String, TokenRec>,
    pub callback_params: HashMap<String, String>,
    pub resources: BTreeMap<String, ResourceRec>,
    pub files: HashMap<String, FileRec>,
    pub jobs: BTreeMap<String, JobRec>,
    /// ETags of objects in storage, by key, as the storage answered them.
    pub objects: HashMap<String, (String, u64)>,
    /// Multipart uploads in progress: upload id → (key, initiated).
    pub multipart: HashMap<String, (String, SystemTime)>,
    pub counters: Counters,
    pub download_secret: String,
    /// How many times each (resource, name) was registered.
    pub registrations: HashMap<(String, String), u32>,
}

pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// RFC 3339 in UTC, as the API's times are.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = unix(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl State {
    pub fn new(config: SandboxConfig, storage_root: PathBuf) -> Self {
        State {
            config,
            base_url: String::new(),
            storage_root,
            tokens: HashMap::new(),
            callback_params: HashMap::new(),
            resources: BTreeMap::new(),
            files: HashMap::new(),
            jobs: BTreeMap::new(),
            objects: HashMap::new(),
            multipart: HashMap::new(),
            counters: Counters::default(),
            download_secret: new_uuid(),
            registrations: HashMap::new(),
        }
    }

    pub fn issue_token(&mut self) -> TokenRec {
        let id = new_uuid();
        let rec = TokenRec {
            access_key_id: format!("SBX{}", &id.replace('-', "")[..17].to_ascii_uppercase()),
            secret_access_key: new_uuid().replace('-', ""),
            session_token: format!("sbx-session-{}", new_uuid()),
            store_prefix: format!("input/{}", id),
            callback_param: format!("cb-{}", new_uuid()),
            expires_at: SystemTime::now() + self.config.token_lifetime,
        };
        self.tokens.insert(rec.access_key_id.clone(), rec.clone());
        self.callback_params.insert(rec.callback_param.clone(), rec.store_prefix.clone());
        rec
    }

    pub fn unfinished_jobs(&self) -> usize {
        let d = self.config.job_duration;
        self.jobs.values().filter(|j| j.started.is_some() && (1..=4).contains(&j.progress(d).status)).count()
    }

    /// Make finished jobs' outputs exist (generated on first sight of status 6).
    pub fn settle(&mut self) {
        let d = self.config.job_duration;
        let done: Vec<String> = self
            .jobs
            .values()
            .filter(|j| j.output_resource_uuid.is_none() && j.progress(d).status == 6)
            .map(|j| j.uuid.clone())
            .collect();
        for uuid in done {
            if let Err(e) = outputs::generate(self, &uuid) {
                tracing::error!(job = %uuid, error = %e, "sandbox could not generate outputs");
            }
        }
        for j in self.jobs.values_mut() {
            if j.completed_at.is_none() {
                let st = j.progress(d).status;
                if st == 6 || st == 7 {
                    j.completed_at = Some(SystemTime::now());
                }
            }
        }
    }

    /// Register a file to a resource: a name already there is replaced (its new ETag wins).
    pub fn register_file(&mut self, resource_uuid: &str, name: &str, etag: &str, size: u64, object_key: &str) -> FileRec {
        *self.registrations.entry((resource_uuid.to_string(), name.to_string())).or_default() += 1;
        let existing = self
            .resources
            .get(resource_uuid)
            .and_then(|r| r.files.iter().find(|f| self.files.get(*f).is_some_and(|f| f.name == name)).cloned());
        if let Some(uuid) = existing {
            let f = self.files.get_mut(&uuid).unwrap();
            f.etag = etag.to_string();
            f.size = size;
            f.object_key = object_key.to_string();
            return f.clone();
        }
        self.add_file(resource_uuid, name, etag, size, object_key)
    }

    /// Add a file record to a resource.
    pub fn add_file(&mut self, resource_uuid: &str, name: &str, etag: &str, size: u64, object_key: &str) -> FileRec {
        let rec = FileRec {
            uuid: new_uuid(),
            resource_uuid: resource_uuid.to_string(),
            name: name.to_string(),
            etag: etag.to_string(),
            size,
            object_key: object_key.to_string(),
            created_at: SystemTime::now(),
        };
        self.files.insert(rec.uuid.clone(), rec.clone());
        if let Some(r) = self.resources.get_mut(resource_uuid) {
            r.files.push(rec.uuid.clone());
            r.updated_at = SystemTime::now();
        }
        rec
    }

    pub fn object_path(&self, key: &str) -> PathBuf {
        self.storage_root.join(BUCKET).join(key)
    }
}
