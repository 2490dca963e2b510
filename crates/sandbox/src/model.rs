//! The sandbox's account: tokens, resources, files and jobs. Every change is one [`Op`], applied
//! to the in-memory state and, when the sandbox has a data folder, appended to its log there, so
//! that a restarted sandbox (the app's, after a restart) knows everything it knew. Look-ups are by
//! index: registering, finding and paging files costs the same in a resource of 100,000 files as
//! in one of ten.

use crate::config::SandboxConfig;
use crate::outputs;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const BUCKET: &str = "terra-sandbox";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRec {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub store_prefix: String,
    pub callback_param: String,
    pub expires_at: SystemTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRec {
    pub uuid: String,
    pub resource_uuid: String,
    pub name: String,
    pub etag: String,
    pub size: u64,
    pub object_key: String,
    pub created_at: SystemTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceRec {
    pub uuid: String,
    pub name: String,
    pub kind: String,
    /// File uuids in registration order (kept out of the log: files name their resource).
    #[serde(skip)]
    pub files: Vec<String>,
    #[serde(skip)]
    pub total_size: u64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub input_jobs: Vec<String>,
    pub output_jobs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRec {
    pub uuid: String,
    pub name: String,
    pub kind: Option<i64>,
    pub created_at: SystemTime,
    pub started: Option<SystemTime>,
    pub resource_uuid: Option<String>,
    pub parameters: Option<String>,
    pub output_resource_uuid: Option<String>,
    pub stopped_at: Option<SystemTime>,
    /// Why the job will fail once it has prepared, when its input is unfit.
    pub unfit: Option<String>,
    pub completed_at: Option<SystemTime>,
    /// Looks left for which it still reads "waiting for start" (status lag).
    #[serde(default)]
    pub lag: u32,
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
        let Some(started) = self.started else {
            return Progress { status: 0, percentage: 0.0, remain_seconds: 0.0 };
        };
        if self.stopped_at.is_some() {
            return Progress { status: 5, percentage: 0.0, remain_seconds: 0.0 };
        }
        let total = duration.as_secs_f64().max(0.001);
        let elapsed = SystemTime::now().duration_since(started).unwrap_or_default().as_secs_f64();
        let f = (elapsed / total).min(1.0);
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
    pub lost_answers: u64,
    pub lost_objects: u64,
    pub callbacks: u64,
}

/// One change of the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Secret { download_secret: String },
    Token(TokenRec),
    Resource(ResourceRec),
    DeleteResource { uuid: String, delete_files: bool },
    /// A file added to its resource, or (same uuid) replaced.
    File(FileRec),
    /// A registration of (resource, name), counted.
    Registered { resource: String, name: String },
    Job(JobRec),
    DeleteJob { uuid: String },
    Object { key: String, etag: String, size: u64 },
    DeleteObject { key: String },
    Multipart { id: String, key: String, at: SystemTime },
    EndMultipart { id: String },
}

pub struct State {
    pub config: SandboxConfig,
    pub base_url: String,
    pub storage_root: PathBuf,
    pub tokens: HashMap<String, TokenRec>,
    pub callback_params: HashMap<String, String>,
    pub resources: BTreeMap<String, ResourceRec>,
    pub files: HashMap<String, FileRec>,
    /// (resource, name) → file uuid.
    pub file_index: HashMap<(String, String), String>,
    pub jobs: BTreeMap<String, JobRec>,
    /// ETags of objects in storage, by key, as the storage answered them.
    pub objects: HashMap<String, (String, u64)>,
    /// Multipart uploads in progress: upload id → (key, initiated).
    pub multipart: HashMap<String, (String, SystemTime)>,
    pub counters: Counters,
    pub download_secret: String,
    /// How many times each (resource, name) was registered.
    pub registrations: HashMap<(String, String), u32>,
    /// Where changes are appended, when the sandbox keeps its state.
    log: Option<std::io::BufWriter<std::fs::File>>,
}

/// Now, by a clock `offset` seconds ahead (negative: behind).
pub fn shifted_now(offset: i64) -> SystemTime {
    let now = SystemTime::now();
    if offset >= 0 {
        now + Duration::from_secs(offset as u64)
    } else {
        now - Duration::from_secs(offset.unsigned_abs())
    }
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

const LOG: &str = "state.jsonl";

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
            file_index: HashMap::new(),
            jobs: BTreeMap::new(),
            objects: HashMap::new(),
            multipart: HashMap::new(),
            counters: Counters::default(),
            download_secret: new_uuid(),
            registrations: HashMap::new(),
            log: None,
        }
    }

    /// The state kept in `dir` (replaying its log), from now on kept there: the log is rewritten
    /// compact, then appended to.
    pub fn persistent(config: SandboxConfig, storage_root: PathBuf, dir: &Path) -> std::io::Result<Self> {
        let mut st = State::new(config, storage_root);
        let path = dir.join(LOG);
        let mut replayed = 0usize;
        if let Ok(f) = std::fs::File::open(&path) {
            for line in std::io::BufReader::new(f).lines() {
                let line = line?;
                // A line cut by a crash is the last one: stop there.
                let Ok(op) = serde_json::from_str::<Op>(&line) else { break };
                st.apply(op);
                replayed += 1;
            }
        }
        let tmp = dir.join(format!("{LOG}.tmp"));
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            for op in st.snapshot() {
                serde_json::to_writer(&mut w, &op)?;
                w.write_all(b"\n")?;
            }
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        let f = std::fs::OpenOptions::new().append(true).open(&path)?;
        st.log = Some(std::io::BufWriter::new(f));
        if replayed > 0 {
            tracing::info!(ops = replayed, resources = st.resources.len(), jobs = st.jobs.len(), "sandbox state restored");
        }
        if st.download_secret.is_empty() || replayed == 0 {
            let secret = st.download_secret.clone();
            st.commit(Op::Secret { download_secret: secret });
        }
        Ok(st)
    }

    /// The state as a list of ops that rebuild it.
    fn snapshot(&self) -> Vec<Op> {
        let mut ops = vec![Op::Secret { download_secret: self.download_secret.clone() }];
        ops.extend(self.tokens.values().cloned().map(Op::Token));
        ops.extend(self.resources.values().cloned().map(Op::Resource));
        for r in self.resources.values() {
            ops.extend(r.files.iter().filter_map(|f| self.files.get(f)).cloned().map(Op::File));
        }
        for ((resource, name), n) in &self.registrations {
            for _ in 0..*n {
                ops.push(Op::Registered { resource: resource.clone(), name: name.clone() });
            }
        }
        ops.extend(self.jobs.values().cloned().map(Op::Job));
        ops.extend(self.objects.iter().map(|(k, (e, s))| Op::Object { key: k.clone(), etag: e.clone(), size: *s }));
        ops.extend(self.multipart.iter().map(|(id, (k, at))| Op::Multipart { id: id.clone(), key: k.clone(), at: *at }));
        ops
    }

    /// Apply one change (and log it, when the state is kept).
    pub fn commit(&mut self, op: Op) {
        if let Some(w) = self.log.as_mut() {
            // Written through to the OS at once: a killed sandbox loses nothing it answered.
            let ok = serde_json::to_writer(&mut *w, &op).is_ok() && w.write_all(b"\n").is_ok() && w.flush().is_ok();
            if !ok {
                tracing::error!("sandbox could not write its state log");
            }
        }
        self.apply(op);
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Secret { download_secret } => self.download_secret = download_secret,
            Op::Token(t) => {
                self.callback_params.insert(t.callback_param.clone(), t.store_prefix.clone());
                self.tokens.insert(t.access_key_id.clone(), t);
            }
            Op::Resource(mut r) => {
                if let Some(old) = self.resources.get(&r.uuid) {
                    r.files = old.files.clone();
                    r.total_size = old.total_size;
                }
                self.resources.insert(r.uuid.clone(), r);
            }
            Op::DeleteResource { uuid, delete_files } => {
                if let Some(r) = self.resources.remove(&uuid) {
                    for f in r.files {
                        if let Some(rec) = self.files.get(&f) {
                            self.file_index.remove(&(rec.resource_uuid.clone(), rec.name.clone()));
                        }
                        if delete_files {
                            self.files.remove(&f);
                        }
                    }
                }
            }
            Op::File(f) => {
                let key = (f.resource_uuid.clone(), f.name.clone());
                let old_size = self.files.get(&f.uuid).map(|o| o.size);
                if let Some(r) = self.resources.get_mut(&f.resource_uuid) {
                    match old_size {
                        Some(s) => r.total_size = r.total_size - s + f.size,
                        None => {
                            r.files.push(f.uuid.clone());
                            r.total_size += f.size;
                        }
                    }
                    r.updated_at = f.created_at.max(r.updated_at);
                }
                self.file_index.insert(key, f.uuid.clone());
                self.files.insert(f.uuid.clone(), f);
            }
            Op::Registered { resource, name } => *self.registrations.entry((resource, name)).or_default() += 1,
            Op::Job(j) => {
                self.jobs.insert(j.uuid.clone(), j);
            }
            Op::DeleteJob { uuid } => {
                self.jobs.remove(&uuid);
            }
            Op::Object { key, etag, size } => {
                self.objects.insert(key, (etag, size));
            }
            Op::DeleteObject { key } => {
                self.objects.remove(&key);
            }
            Op::Multipart { id, key, at } => {
                self.multipart.insert(id, (key, at));
            }
            Op::EndMultipart { id } => {
                self.multipart.remove(&id);
            }
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
        self.commit(Op::Token(rec.clone()));
        rec
    }

    pub fn unfinished_jobs(&self) -> usize {
        let d = self.config.job_duration;
        self.jobs.values().filter(|j| j.started.is_some() && (1..=4).contains(&j.progress(d).status)).count()
    }

    /// Make finished jobs' outputs exist (generated on first sight of status 6).
    pub fn settle(&mut self) {
        let d = self.config.job_duration;
        let done: Vec<String> = self.jobs.values().filter(|j| j.output_resource_uuid.is_none() && j.progress(d).status == 6).map(|j| j.uuid.clone()).collect();
        for uuid in done {
            if let Err(e) = outputs::generate(self, &uuid) {
                tracing::error!(job = %uuid, error = %e, "sandbox could not generate outputs");
            }
        }
        let ended: Vec<JobRec> = self
            .jobs
            .values()
            .filter(|j| j.completed_at.is_none() && matches!(j.progress(d).status, 6 | 7))
            .cloned()
            .map(|mut j| {
                j.completed_at = Some(SystemTime::now());
                j
            })
            .collect();
        for j in ended {
            self.commit(Op::Job(j));
        }
    }

    /// The file of a resource with this name.
    pub fn file_named(&self, resource_uuid: &str, name: &str) -> Option<&FileRec> {
        self.file_index.get(&(resource_uuid.to_string(), name.to_string())).and_then(|u| self.files.get(u))
    }

    /// Register a file to a resource: a name already there is replaced (its new ETag wins).
    pub fn register_file(&mut self, resource_uuid: &str, name: &str, etag: &str, size: u64, object_key: &str) -> FileRec {
        self.commit(Op::Registered { resource: resource_uuid.to_string(), name: name.to_string() });
        let uuid = self.file_named(resource_uuid, name).map(|old| old.uuid.clone());
        self.put_file(uuid, resource_uuid, name, etag, size, object_key)
    }

    /// Add a file record to a resource.
    pub fn add_file(&mut self, resource_uuid: &str, name: &str, etag: &str, size: u64, object_key: &str) -> FileRec {
        self.put_file(None, resource_uuid, name, etag, size, object_key)
    }

    /// A file record, new or (`uuid` given) replacing the one with that uuid.
    fn put_file(&mut self, uuid: Option<String>, resource_uuid: &str, name: &str, etag: &str, size: u64, object_key: &str) -> FileRec {
        let created_at = uuid.as_ref().and_then(|u| self.files.get(u)).map(|f| f.created_at).unwrap_or_else(SystemTime::now);
        let rec = FileRec {
            uuid: uuid.unwrap_or_else(new_uuid),
            resource_uuid: resource_uuid.to_string(),
            name: name.to_string(),
            etag: etag.to_string(),
            size,
            object_key: object_key.to_string(),
            created_at,
        };
        self.commit(Op::File(rec.clone()));
        rec
    }

    pub fn object_path(&self, key: &str) -> PathBuf {
        self.storage_root.join(BUCKET).join(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(st: &mut State, uuid: &str) {
        let now = SystemTime::now();
        st.commit(Op::Resource(ResourceRec {
            uuid: uuid.into(),
            name: "r".into(),
            kind: "map".into(),
            files: vec![],
            total_size: 0,
            created_at: now,
            updated_at: now,
            input_jobs: vec![],
            output_jobs: vec![],
        }));
    }

    #[test]
    fn a_restarted_sandbox_knows_what_it_knew() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        {
            let mut st = State::persistent(SandboxConfig::default(), root.clone(), dir.path()).unwrap();
            resource(&mut st, "r1");
            st.register_file("r1", "a.jpg", "e1", 10, "k/a.jpg");
            st.register_file("r1", "b.jpg", "e2", 20, "k/b.jpg");
            st.register_file("r1", "a.jpg", "e3", 15, "k/a.jpg");
            st.commit(Op::Object { key: "k/a.jpg".into(), etag: "e3".into(), size: 15 });
            st.issue_token();
        }
        let st = State::persistent(SandboxConfig::default(), root, dir.path()).unwrap();
        let r = &st.resources["r1"];
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.total_size, 35);
        assert_eq!(st.file_named("r1", "a.jpg").unwrap().etag, "e3");
        assert_eq!(st.registrations[&("r1".to_string(), "a.jpg".to_string())], 2);
        assert_eq!(st.objects["k/a.jpg"].0, "e3");
        assert_eq!(st.tokens.len(), 1);
        assert_eq!(st.callback_params.len(), 1);
    }

    #[test]
    fn registering_is_by_index_not_by_scan() {
        let mut st = State::new(SandboxConfig::default(), PathBuf::from("/tmp"));
        resource(&mut st, "r");
        for i in 0..100_000 {
            st.register_file("r", &format!("f{i}.jpg"), "e", 1, "k");
        }
        st.register_file("r", "f7.jpg", "e2", 2, "k");
        assert_eq!(st.file_named("r", "f7.jpg").unwrap().etag, "e2");
        assert_eq!(st.resources["r"].files.len(), 100_000);
        assert_eq!(st.resources["r"].total_size, 100_001);
    }
}
