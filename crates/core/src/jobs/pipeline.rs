//! Folder in, Terra-ready ZIP out: one durable pipeline.
//!
//! draft → uploading → (queued) → submitted → processing → finished | failed | stopped
//!       → downloading → downloaded → exported
//!
//! Every transition is saved before the next side effect. Before each create, the intent (a
//! marker in the remote object's name) is saved; after a restart the object is looked up by that
//! marker before anything is created again, so a job never has two resources or two remote jobs.

use super::download::{self, DownloadProgress, DownloadReport};
use super::export::{self, ExportReport};
use super::params::{JobKind, JobParameters};
use super::store::{Change, JobRecord, JobState, JobStore};
use crate::api::{Client, JobStatus, ListQuery, StartJob};
use crate::dataset::{self, Dataset};
use crate::db::Db;
use crate::upload::{UploadControl, UploadJournal, UploadOptions, UploadProgress, Uploader};
use crate::{Error, Region, Result, UserError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Test hook: `TERRADESK_CRASH_AT=<point>` aborts the process there, as a power cut would.
fn crash_point(point: &str) {
    if std::env::var("TERRADESK_CRASH_AT").is_ok_and(|p| p == point) {
        eprintln!("TERRADESK_CRASH_AT={point}: aborting");
        std::process::abort();
    }
}

/// What the pipeline tells whoever watches (the CLI's progress bar, the app's Channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "event", content = "data")]
pub enum PipelineEvent {
    Job(JobRecord),
    Upload(UploadProgress),
    Download(DownloadProgress),
}

pub type Events = Arc<dyn Fn(PipelineEvent) + Send + Sync>;

pub fn no_events() -> Events {
    Arc::new(|_| {})
}

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub upload: UploadOptions,
    /// Polling starts at `poll_min` and backs off to `poll_max` while nothing changes.
    pub poll_min: Duration,
    pub poll_max: Duration,
    /// How often a queued job tries to start again.
    pub queue_retry: Duration,
    pub download_parallel: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            upload: UploadOptions::default(),
            poll_min: Duration::from_secs(3),
            poll_max: Duration::from_secs(60),
            queue_retry: Duration::from_secs(30),
            download_parallel: 6,
        }
    }
}

/// Problems with a dataset for a kind of job (terra-api.md §4 limits); empty when fit.
pub fn dataset_problems(kind: JobKind, ds: &Dataset) -> Vec<String> {
    let mut p = Vec::new();
    if ds.files.is_empty() {
        p.push("The folder has no files to upload.".to_string());
        return p;
    }
    match kind {
        JobKind::Map2d | JobKind::Model3d => {
            if ds.photos < 10 {
                p.push(format!("A {} needs at least 10 photos; the folder has {}.", kind.label(), ds.photos));
            }
            let max = if kind == JobKind::Map2d { 4000 } else { 20000 };
            if ds.photos > max {
                p.push(format!("A {} takes at most {max} photos; the folder has {}. Split the survey into several jobs.", kind.label(), ds.photos));
            }
        }
        JobKind::Lidar => {
            if ds.lidar_files == 0 {
                p.push("A LiDAR job needs a DJI L1/L2 mission folder (.LDR, .IMU, .RTK … files); the folder has none.".into());
            }
            if ds.total_bytes > 48 * 1_000_000_000 {
                p.push(format!("A LiDAR job takes at most 48 GB; the folder holds {:.1} GB.", ds.total_bytes as f64 / 1e9));
            }
        }
    }
    p
}

/// The kind the content suggests.
pub fn suggest_kind(ds: &Dataset) -> Option<JobKind> {
    if ds.lidar_files > 0 {
        Some(JobKind::Lidar)
    } else if ds.photos >= 10 {
        Some(if ds.photos > 4000 { JobKind::Model3d } else { JobKind::Map2d })
    } else {
        None
    }
}

fn marker() -> String {
    format!("td-{:08x}", rand::random::<u32>())
}

#[derive(Clone)]
pub struct Pipeline {
    pub store: JobStore,
    journal: UploadJournal,
    client: Client,
    opts: PipelineOptions,
    control: UploadControl,
}

impl Pipeline {
    pub fn new(db: Db, client: Client, opts: PipelineOptions) -> Self {
        Pipeline { store: JobStore::new(db.clone()), journal: UploadJournal::new(db), client, opts, control: UploadControl::default() }
    }

    /// Pause, resume or cancel the upload this pipeline runs.
    pub fn with_control(mut self, control: UploadControl) -> Self {
        self.control = control;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A new job, checked: the folder fits the kind, and the parameters validate.
    pub fn create(&self, name: &str, folder: &Path, params: &JobParameters, region: Region) -> Result<JobRecord> {
        let folder = folder.canonicalize().map_err(|_| Error::InvalidInput(format!("The folder {} does not exist.", folder.display())))?;
        let ds = dataset::scan(&folder)?;
        let problems = dataset_problems(params.kind, &ds);
        if !problems.is_empty() {
            return Err(Error::InvalidInput(problems.join(" ")));
        }
        params.to_parameters_string()?;
        let name = if name.trim().is_empty() { folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "Survey".into()) } else { name.trim().to_string() };
        self.store.insert(&name, params.kind, &ds.root, params, region, self.client.host(), None)
    }

    fn set(&self, id: i64, c: Change, events: &Events) -> Result<JobRecord> {
        let j = self.store.update(id, c)?;
        events(PipelineEvent::Job(j.clone()));
        Ok(j)
    }

    fn fail(&self, id: i64, state: JobState, e: &Error, events: &Events) -> Result<JobRecord> {
        let ue: UserError = UserError { code: e.code(), message: e.to_string(), detail: e.detail() };
        self.set(id, Change { state: Some(state), message: Some(e.to_string()), error: Some(Some(ue)), ..Default::default() }, events)
    }

    /// Run the job until the server has finished with it (finished, failed or stopped).
    /// Transient trouble is retried; what needs the user is returned as an error and saved on
    /// the job, and calling this again goes on from where it stopped.
    pub async fn advance(&self, id: i64, events: &Events) -> Result<JobRecord> {
        let result = self.advance_inner(id, events).await;
        if let Err(e) = &result {
            // Say on the job why it stopped, unless the user stopped it or it is already said.
            if !matches!(e, Error::Cancelled) {
                if let Ok(job) = self.store.get(id) {
                    let ue = e_to_user(e);
                    if job.error.as_ref() != Some(&ue) {
                        let _ = self.set(id, Change { error: Some(Some(ue)), message: Some(format!("Stopped: {e}")), ..Default::default() }, events);
                    }
                }
            }
        }
        result
    }

    async fn advance_inner(&self, id: i64, events: &Events) -> Result<JobRecord> {
        let mut poll = self.opts.poll_min;
        loop {
            let job = self.store.get(id)?;
            match job.state {
                JobState::Draft => {
                    self.ensure_resource(&job, events).await?;
                    self.set(id, Change { state: Some(JobState::Uploading), message: Some("Uploading the photos".into()), error: Some(None), ..Default::default() }, events)?;
                }
                JobState::Uploading => {
                    if job.resource_uuid.is_none() {
                        self.ensure_resource(&job, events).await?;
                        continue;
                    }
                    // An upload that stops resumes from its journal when advanced again.
                    self.upload(&job, events).await?;
                    crash_point("after-upload");
                    self.ensure_remote_job(&self.store.get(id)?, events).await?;
                    self.start(id, events).await?;
                }
                JobState::Queued => {
                    tokio::time::sleep(jitter(self.opts.queue_retry)).await;
                    self.start(id, events).await?;
                }
                JobState::Submitted | JobState::Processing => {
                    let changed = self.poll(&job, events).await?;
                    let job = self.store.get(id)?;
                    if !job.state.is_unfinished() {
                        return Ok(job);
                    }
                    poll = if changed { self.opts.poll_min } else { (poll.mul_f64(1.5)).min(self.opts.poll_max) };
                    // Near the end, look sooner.
                    let wait = match job.remain_seconds {
                        Some(r) if r > 0.0 => poll.min(Duration::from_secs_f64((r / 2.0).max(self.opts.poll_min.as_secs_f64()))),
                        _ => poll,
                    };
                    tokio::time::sleep(jitter(wait)).await;
                }
                _ => return Ok(job),
            }
        }
    }

    async fn ensure_resource(&self, job: &JobRecord, events: &Events) -> Result<String> {
        if let Some(r) = &job.resource_uuid {
            return Ok(r.clone());
        }
        if let Some(m) = &job.resource_marker {
            // A create may have reached the server before a crash: look before creating.
            let found = self.client.list_resources(&ListQuery::page(1, 20).with("search", m.as_str())).await?;
            if let Some(r) = found.list.into_iter().find(|r| r.name.contains(m.as_str())) {
                self.set(job.id, Change { resource_uuid: Some(r.uuid.clone()), message: Some("Found the resource created before the interruption".into()), ..Default::default() }, events)?;
                return Ok(r.uuid);
            }
        }
        let m = job.resource_marker.clone().unwrap_or_else(marker);
        self.store.update(job.id, Change { resource_marker: Some(m.clone()), ..Default::default() })?;
        crash_point("before-resource-create");
        let r = self.client.create_resource(&format!("{} ({m})", job.name), "map").await?;
        crash_point("after-resource-create");
        self.set(job.id, Change { resource_uuid: Some(r.uuid.clone()), message: Some("Resource created".into()), ..Default::default() }, events)?;
        Ok(r.uuid)
    }

    async fn upload(&self, job: &JobRecord, events: &Events) -> Result<()> {
        let ds = dataset::scan(Path::new(&job.dataset))?;
        let problems = dataset_problems(job.kind, &ds);
        if !problems.is_empty() {
            return Err(Error::InvalidInput(problems.join(" ")));
        }
        let uploader = Uploader::new(self.client.clone(), self.journal.clone(), job.resource_uuid.clone().unwrap(), self.opts.upload.clone()).with_control(self.control.clone());
        let ev = events.clone();
        let report = uploader.run(&ds, move |p| ev(PipelineEvent::Upload(p.clone()))).await?;
        if !report.complete() {
            let first = report.failed.first().map(|f| format!(" First: {} ({})", f.name, f.reason)).unwrap_or_default();
            return Err(Error::InvalidInput(format!(
                "{} of {} files could not be uploaded.{first} Resume the job to retry them.",
                report.failed.len(),
                report.files
            )));
        }
        Ok(())
    }

    async fn ensure_remote_job(&self, job: &JobRecord, events: &Events) -> Result<String> {
        if let Some(j) = &job.remote_job_uuid {
            return Ok(j.clone());
        }
        if let Some(m) = &job.job_marker {
            let found = self.client.list_jobs(&ListQuery::page(1, 20).with("search", m.as_str())).await?;
            if let Some(j) = found.list.into_iter().find(|j| j.name.contains(m.as_str())) {
                self.set(job.id, Change { remote_job_uuid: Some(j.uuid.clone()), message: Some("Found the job created before the interruption".into()), ..Default::default() }, events)?;
                return Ok(j.uuid);
            }
        }
        let m = job.job_marker.clone().unwrap_or_else(marker);
        self.store.update(job.id, Change { job_marker: Some(m.clone()), ..Default::default() })?;
        crash_point("before-job-create");
        let j = self.client.create_job(&format!("{} ({m})", job.name)).await?;
        crash_point("after-job-create");
        self.set(job.id, Change { remote_job_uuid: Some(j.uuid.clone()), message: Some("Job created on the server".into()), ..Default::default() }, events)?;
        Ok(j.uuid)
    }

    /// Start the remote job once; a full account (801) queues it locally.
    async fn start(&self, id: i64, events: &Events) -> Result<()> {
        let job = self.store.get(id)?;
        let uuid = job.remote_job_uuid.clone().ok_or_else(|| Error::InvalidInput("the job has no remote job yet".into()))?;
        if job.start_sent {
            // Did the start reach the server before the interruption?
            let remote = self.client.get_job(&uuid).await?;
            if remote.status() != JobStatus::WaitingForStart {
                self.set(id, Change { state: Some(JobState::Submitted), message: Some("Started".into()), waiting_reason: Some(None), ..Default::default() }, events)?;
                return Ok(());
            }
        }
        let body = StartJob { kind: job.kind.type_code(), resource_uuid: job.resource_uuid.clone().unwrap_or_default(), parameters: job.parameters.to_parameters_string()? };
        self.store.update(id, Change { start_sent: Some(true), ..Default::default() })?;
        crash_point("before-start");
        match self.client.start_job(&uuid, &body).await {
            Ok(()) => {
                crash_point("after-start");
                self.set(id, Change { state: Some(JobState::Submitted), message: Some("Started on the server".into()), waiting_reason: Some(None), error: Some(None), ..Default::default() }, events)?;
                Ok(())
            }
            Err(Error::TooManyJobs { .. }) => {
                let reason = "Waiting for a free slot: the account already has two unfinished jobs. It starts by itself when one finishes.".to_string();
                let msg = (job.state != JobState::Queued).then(|| reason.clone());
                self.set(id, Change { state: Some(JobState::Queued), start_sent: Some(false), waiting_reason: Some(Some(reason)), message: msg, ..Default::default() }, events)?;
                Ok(())
            }
            Err(e) => {
                // Refused for good (parameters, resource): the job failed to start.
                if matches!(e, Error::InvalidParameters { .. } | Error::NotFound { .. } | Error::Api { .. }) {
                    self.fail(id, JobState::Failed, &e, events)?;
                }
                Err(e)
            }
        }
    }

    /// One look at the remote job; whether anything changed.
    async fn poll(&self, job: &JobRecord, events: &Events) -> Result<bool> {
        let uuid = job.remote_job_uuid.clone().unwrap_or_default();
        let remote = self.client.get_job(&uuid).await?;
        let status = remote.status();
        let state = match status {
            JobStatus::WaitingForStart => JobState::Submitted,
            JobStatus::Waiting | JobStatus::Preparing | JobStatus::Executing | JobStatus::ResultProcessing => JobState::Processing,
            JobStatus::Stopped => JobState::Stopped,
            JobStatus::Finished => JobState::Finished,
            JobStatus::Failed => JobState::Failed,
            JobStatus::Unknown => job.state,
        };
        let remote_tuple = (Some(status.code() as i32), remote.percentage, remote.remain_seconds);
        let changed = state != job.state || remote_tuple.0 != job.remote_status || remote.percentage != job.percentage;
        if !changed {
            return Ok(false);
        }
        let mut c = Change { remote: Some(remote_tuple), ..Default::default() };
        if state != job.state || remote_tuple.0 != job.remote_status {
            c.state = Some(state);
            c.message = Some(match status {
                JobStatus::Failed => format!("Failed on the server: {}", remote.message.clone().unwrap_or_else(|| "no reason given".into())),
                s => format!("Server: {}", s.label()),
            });
        }
        if status == JobStatus::Finished {
            c.output_resource_uuid = remote.output_resource_uuid.clone().filter(|s| !s.is_empty());
        }
        if status == JobStatus::Failed {
            let msg = remote.message.clone().unwrap_or_else(|| "The server did not say why.".into());
            c.error = Some(Some(UserError {
                code: crate::ErrorCode::Other,
                message: format!("The reconstruction failed on the server: {msg} Check the input, then use Retry."),
                detail: None,
            }));
        }
        self.set(job.id, c, events)?;
        Ok(true)
    }

    /// At start-up: bring every unfinished job up to date with the server.
    pub async fn reconcile(&self, events: &Events) -> Result<Vec<JobRecord>> {
        let mut out = Vec::new();
        for job in self.store.list()? {
            if matches!(job.state, JobState::Submitted | JobState::Processing) && job.host == self.client.host() {
                match self.poll(&job, events).await {
                    Ok(_) => out.push(self.store.get(job.id)?),
                    Err(e) => tracing::warn!(job = job.id, error = %e, "could not reconcile a job"),
                }
            }
        }
        Ok(out)
    }

    /// Stop a job: on the server when it runs there, else locally.
    pub async fn stop(&self, id: i64, events: &Events) -> Result<JobRecord> {
        let job = self.store.get(id)?;
        if let (Some(uuid), true) = (&job.remote_job_uuid, matches!(job.state, JobState::Submitted | JobState::Processing)) {
            self.client.stop_job(uuid).await?;
            let _ = self.poll(&self.store.get(id)?, events).await;
            let job = self.store.get(id)?;
            if job.state != JobState::Stopped {
                return self.set(id, Change { state: Some(JobState::Stopped), message: Some("Stopped".into()), ..Default::default() }, events);
            }
            return Ok(job);
        }
        if job.state.is_unfinished() {
            self.control.cancel();
            return self.set(id, Change { state: Some(JobState::Stopped), message: Some("Stopped before it reached the server".into()), ..Default::default() }, events);
        }
        Err(Error::InvalidInput(format!("The job is {} and cannot be stopped.", job.state.as_str())))
    }

    /// A failed or stopped job again, as a new job on the same resource.
    pub fn retry(&self, id: i64) -> Result<JobRecord> {
        let job = self.store.get(id)?;
        if !matches!(job.state, JobState::Failed | JobState::Stopped) {
            return Err(Error::InvalidInput(format!("Only failed or stopped jobs can be retried; this one is {}.", job.state.as_str())));
        }
        let new = self.store.insert(&job.name, job.kind, &job.dataset, &job.parameters, job.region, &job.host, Some(id))?;
        let state = if job.resource_uuid.is_some() { JobState::Uploading } else { JobState::Draft };
        self.store.update(
            new.id,
            Change {
                state: Some(state),
                resource_uuid: job.resource_uuid.clone(),
                resource_marker: job.resource_marker.clone(),
                message: Some(format!("Retry of job {id} on the same resource")),
                ..Default::default()
            },
        )
    }

    /// Delete a job from the history, and from the server when `remote`.
    pub async fn delete(&self, id: i64, remote: bool) -> Result<()> {
        let job = self.store.get(id)?;
        if remote {
            if let Some(uuid) = &job.remote_job_uuid {
                match self.client.delete_job(uuid).await {
                    Ok(()) | Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.store.delete(id)
    }

    /// The result's file list.
    pub async fn result_files(&self, id: i64) -> Result<Vec<crate::api::FileInfo>> {
        let job = self.store.get(id)?;
        let out = job
            .output_resource_uuid
            .clone()
            .ok_or_else(|| Error::InvalidInput(format!("Job {} has no result yet (it is {}).", job.id, job.state.as_str())))?;
        self.client.all_files_of(&out).await
    }

    /// Download the result (all of it, or the chosen top-level outputs) into `dest`.
    pub async fn download(&self, id: i64, dest: Option<PathBuf>, outputs: Vec<String>, events: &Events) -> Result<DownloadReport> {
        let job = self.store.get(id)?;
        if !job.state.has_result() {
            return Err(Error::InvalidInput(format!("Job {} has no result to download yet (it is {}).", job.id, job.state.as_str())));
        }
        let dest = dest.or(job.download_dir.clone().map(PathBuf::from)).unwrap_or_else(|| default_download_dir(&job));
        self.set(
            id,
            Change { state: Some(JobState::Downloading), download_dir: Some(dest.display().to_string()), outputs: Some(outputs.clone()), message: Some(format!("Downloading into {}", dest.display())), ..Default::default() },
            events,
        )?;
        let files = self.result_files(id).await?;
        let files = download::selected(&files, &outputs);
        let ev = events.clone();
        match download::download_files(&self.client, files, &dest, self.opts.download_parallel, move |p| ev(PipelineEvent::Download(p))).await {
            Ok(report) => {
                crash_point("after-download");
                let refused = if report.refused.is_empty() { String::new() } else { format!("; {} unsafe file names refused", report.refused.len()) };
                self.set(id, Change { state: Some(JobState::Downloaded), message: Some(format!("Downloaded {} files{refused}", report.files)), error: Some(None), ..Default::default() }, events)?;
                Ok(report)
            }
            Err(e) => {
                self.set(id, Change { state: Some(JobState::Finished), message: Some(format!("Download stopped: {e}")), error: Some(Some(e_to_user(&e))), ..Default::default() }, events)?;
                Err(e)
            }
        }
    }

    /// Export the downloaded result as a Terra ZIP.
    pub fn export(&self, id: i64, out: &Path, events: &Events) -> Result<ExportReport> {
        let job = self.store.get(id)?;
        let dir = job.download_dir.clone().filter(|_| matches!(job.state, JobState::Downloaded | JobState::Exported)).ok_or_else(|| {
            Error::InvalidInput(format!("Download job {}'s result before exporting it (it is {}).", job.id, job.state.as_str()))
        })?;
        let report = export::export_terra_zip(job.kind, Path::new(&dir), out)?;
        let mut msg = format!("Exported {} ({} files)", report.path, report.entries);
        if !report.moved.is_empty() {
            msg.push_str(&format!("; {} files moved into the Terra layout", report.moved.len()));
        }
        self.set(id, Change { state: Some(JobState::Exported), export_path: Some(report.path.clone()), message: Some(msg), ..Default::default() }, events)?;
        Ok(report)
    }
}

fn e_to_user(e: &Error) -> UserError {
    UserError { code: e.code(), message: e.to_string(), detail: e.detail() }
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.8 + rand::random::<f64>() * 0.4)
}

pub fn default_download_dir(job: &JobRecord) -> PathBuf {
    let safe: String = job.name.chars().map(|c| if c.is_alphanumeric() || " -_".contains(c) { c } else { '_' }).collect();
    crate::paths::data_dir().join("results").join(format!("{}-{}", job.id, safe.trim()))
}
