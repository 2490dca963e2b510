//! A job's life as a state machine, durable at every step:
//!
//! draft → uploading → (queued) → submitted → processing → finished | failed | stopped
//!       → downloading → downloaded → exported
//!
//! Every transition is saved before the next side effect. Before each create, the intent (a
//! marker in the remote object's name) is saved; after a restart the object is looked up by that
//! marker before anything is created again, so a job never has two resources or two remote jobs.

use super::fitness;
use super::note::Note;
use super::params::JobParameters;
use super::store::{Change, JobId, JobRecord, JobState, JobStore};
use crate::api::JobStatus;
use crate::cloud::{Cloud, RemoteJob};
use crate::control::Control;
use crate::dataset;
use crate::hooks::{Hooks, Point};
use crate::progress::Tracker;
use crate::retry::jitter;
use crate::upload::{UploadJournal, UploadOptions, Uploader};
use crate::{Error, Result, UserError};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Told of every saved change of a job.
pub type Emit = Arc<dyn Fn(&JobRecord) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub upload: UploadOptions,
    /// Polling starts at `poll_min` and backs off to `poll_max` while nothing changes.
    pub poll_min: Duration,
    pub poll_max: Duration,
    /// How often a queued job tries to start again.
    pub queue_retry: Duration,
    pub download: crate::results::DownloadOptions,
    /// Transient trouble (the network, a server error, throttling) is waited out with this,
    /// step after step, before the job stops and says why.
    pub transient: crate::retry::RetryPolicy,
    /// After a start whose answer was lost, how many looks (`poll_min` apart) the job gets to show
    /// it started before start is sent again: a service reports a just-started job late.
    pub start_confirm_looks: u32,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            upload: UploadOptions::default(),
            poll_min: Duration::from_secs(3),
            poll_max: Duration::from_secs(60),
            queue_retry: Duration::from_secs(30),
            download: Default::default(),
            transient: crate::retry::RetryPolicy::new(10, Duration::from_secs(2), Duration::from_secs(60)),
            start_confirm_looks: 10,
        }
    }
}

impl PipelineOptions {
    /// A local service answers at once: look often.
    pub fn brisk(mut self, poll: Duration) -> Self {
        self.poll_min = poll;
        self.poll_max = poll * 4;
        self.queue_retry = poll * 2;
        self.transient = crate::retry::RetryPolicy::new(10, poll, poll * 8);
        self
    }
}

fn marker() -> String {
    format!("td-{:08x}", rand::random::<u32>())
}

/// One job driven against one cloud.
#[derive(Clone)]
pub struct Machine {
    pub store: JobStore,
    pub journal: UploadJournal,
    pub cloud: Arc<dyn Cloud>,
    pub opts: PipelineOptions,
    pub hooks: Arc<dyn Hooks>,
    pub control: Control,
    pub tracker: Arc<Tracker>,
    pub emit: Emit,
}

impl Machine {
    pub(super) fn set(&self, id: JobId, c: Change) -> Result<JobRecord> {
        let j = self.store.update(id, c)?;
        (self.emit)(&j);
        Ok(j)
    }

    /// A crash point for tests: stop dead, saving nothing more.
    pub(super) fn point(&self, p: Point) -> Result<()> {
        if self.hooks.crash_at(p) {
            tracing::warn!(point = ?p, "test hook: stopping here as a crash would");
            return Err(Error::Cancelled);
        }
        Ok(())
    }

    /// Run the job until the server has finished with it (finished, failed or stopped).
    /// Transient trouble is retried; what needs the user is returned as an error and saved on
    /// the job, and calling this again goes on from where it stopped.
    pub async fn advance(&self, id: JobId) -> Result<JobRecord> {
        let result = self.advance_inner(id).await;
        if let Err(e) = &result {
            // Say on the job why it stopped, unless it was stopped on purpose or it is already said.
            if !matches!(e, Error::Cancelled) {
                if let Ok(job) = self.store.get(id) {
                    let ue = UserError::from(e);
                    if job.error.as_ref() != Some(&ue) {
                        let _ = self.set(id, Change { error: Some(Some(ue)), note: Some(Note::failed(e)), ..Default::default() });
                    }
                }
            }
        }
        result
    }

    /// Step after step; transient trouble is waited out and the step taken again (a create is
    /// looked up by its marker first, so nothing is made twice); a change made meanwhile by
    /// another hand (a stop) is read, not overwritten.
    async fn advance_inner(&self, id: JobId) -> Result<JobRecord> {
        let mut budget = self.opts.transient.budget();
        let mut at_last_trouble: Option<i64> = None;
        loop {
            match self.steps(id).await {
                Err(Error::JobChanged { .. }) => continue,
                Err(e) if e.is_transient() => {
                    // The budget is for trouble in a row: a job that moved on since the last
                    // (a step done, a status read) starts a new one, so a job of hours is not
                    // failed by a few brief outages spread over its life.
                    let revision = self.store.get(id).ok().map(|j| j.revision);
                    if at_last_trouble.is_some() && revision != at_last_trouble {
                        budget = self.opts.transient.budget();
                    }
                    at_last_trouble = revision;
                    tracing::warn!(error = %e, "transient trouble; trying the step again");
                    if !budget.wait().await {
                        return Err(e);
                    }
                }
                r => return r,
            }
        }
    }

    async fn steps(&self, id: JobId) -> Result<JobRecord> {
        let mut poll = self.opts.poll_min;
        loop {
            let job = self.store.get(id)?;
            match job.state {
                JobState::Draft => {
                    self.ensure_resource(&job).await?;
                    self.set(id, Change { state: Some(JobState::Uploading), from: Some(job.state), note: Some(Note::Uploading), error: Some(None), ..Default::default() })?;
                }
                JobState::Uploading => {
                    if job.resource_uuid.is_none() {
                        self.ensure_resource(&job).await?;
                        continue;
                    }
                    // An upload that stops resumes from its journal when advanced again.
                    let files = self.upload(&job).await?;
                    self.set(id, Change::note(Note::Uploaded { files }))?;
                    self.point(Point::AfterUpload)?;
                    self.ensure_remote_job(&self.store.get(id)?).await?;
                    self.start(id).await?;
                }
                JobState::Queued => {
                    tokio::time::sleep(jitter(self.opts.queue_retry)).await;
                    self.start(id).await?;
                }
                JobState::Submitted | JobState::Processing => {
                    let changed = self.poll(&job).await?;
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

    async fn ensure_resource(&self, job: &JobRecord) -> Result<String> {
        if let Some(r) = &job.resource_uuid {
            return Ok(r.clone());
        }
        if let Some(m) = &job.resource_marker {
            // A create may have reached the server before a crash: look before creating.
            if let Some(r) = self.cloud.find_input(m).await? {
                self.set(job.id, Change { resource_uuid: Some(r.clone()), note: Some(Note::ResourceFound), ..Default::default() })?;
                return Ok(r);
            }
        }
        let m = job.resource_marker.clone().unwrap_or_else(marker);
        self.store.update(job.id, Change { resource_marker: Some(m.clone()), ..Default::default() })?;
        self.point(Point::BeforeResourceCreate)?;
        let r = self.cloud.create_input(&format!("{} ({m})", job.name)).await?;
        self.point(Point::AfterResourceCreate)?;
        self.set(job.id, Change { resource_uuid: Some(r.clone()), note: Some(Note::ResourceCreated), ..Default::default() })?;
        Ok(r)
    }

    /// Upload the job's folder; the number of files registered.
    async fn upload(&self, job: &JobRecord) -> Result<u32> {
        let ds = {
            let root = job.dataset.clone();
            tokio::task::spawn_blocking(move || dataset::scan(Path::new(&root))).await.map_err(Error::internal)??
        };
        let ds = StartOptions::of(job).apply(ds);
        fitness::check(job.kind, &ds)?;
        let resource = job.resource_uuid.clone().unwrap_or_default();
        let uploader = Uploader::new(self.cloud.clone(), self.journal.clone(), resource, self.opts.upload.clone(), self.control.clone(), self.tracker.clone());
        let report = uploader.run(&ds).await?;
        match report.incomplete_error() {
            Some(e) => Err(e),
            None => Ok(report.registered),
        }
    }

    async fn ensure_remote_job(&self, job: &JobRecord) -> Result<String> {
        if let Some(j) = &job.remote_job_uuid {
            return Ok(j.clone());
        }
        if let Some(m) = &job.job_marker {
            if let Some(j) = self.cloud.find_job(m).await? {
                self.set(job.id, Change { remote_job_uuid: Some(j.uuid.clone()), note: Some(Note::RemoteJobFound), ..Default::default() })?;
                return Ok(j.uuid);
            }
        }
        let m = job.job_marker.clone().unwrap_or_else(marker);
        self.store.update(job.id, Change { job_marker: Some(m.clone()), ..Default::default() })?;
        self.point(Point::BeforeJobCreate)?;
        let j = self.cloud.create_job(&format!("{} ({m})", job.name)).await?;
        self.point(Point::AfterJobCreate)?;
        self.set(job.id, Change { remote_job_uuid: Some(j.clone()), note: Some(Note::RemoteJobCreated), ..Default::default() })?;
        Ok(j)
    }

    /// Start the remote job once; a full account (801) queues it locally.
    async fn start(&self, id: JobId) -> Result<()> {
        let job = self.store.get(id)?;
        let uuid = job.remote_job_uuid.clone().ok_or_else(|| Error::internal("the job has no remote job yet"))?;
        let started = Change { state: Some(JobState::Submitted), from: Some(job.state), note: Some(Note::Started), waiting_reason: Some(None), error: Some(None), ..Default::default() };
        if job.start_sent {
            // Did the start reach the server before the interruption? A service reports a job it
            // just started as not started for a while: look a few times before starting again.
            for look in 0..self.opts.start_confirm_looks.max(1) {
                if look > 0 {
                    tokio::time::sleep(self.opts.poll_min).await;
                }
                if self.cloud.job(&uuid).await?.status() != JobStatus::WaitingForStart {
                    self.set(id, started)?;
                    return Ok(());
                }
            }
        }
        let parameters = job.parameters.to_parameters_string()?;
        self.store.update(id, Change { start_sent: Some(true), ..Default::default() })?;
        self.point(Point::BeforeStart)?;
        match self.cloud.start_job(&uuid, job.kind, job.resource_uuid.as_deref().unwrap_or_default(), &parameters).await {
            Ok(()) => {
                self.point(Point::AfterStart)?;
                self.set(id, started)?;
                Ok(())
            }
            // "Already started": an earlier start did reach it (its status lagged). It runs.
            Err(Error::Refused { api_code: 102003, .. }) => {
                tracing::info!("the server says the job was already started; following it");
                self.set(id, started)?;
                Ok(())
            }
            Err(Error::TooManyJobs { .. }) => {
                let first = job.state != JobState::Queued;
                self.set(
                    id,
                    Change {
                        state: Some(JobState::Queued),
                        from: Some(job.state),
                        start_sent: Some(false),
                        waiting_reason: Some(Some(Note::Queued.to_string())),
                        note: first.then_some(Note::Queued),
                        ..Default::default()
                    },
                )?;
                Ok(())
            }
            Err(e) => {
                // Refused for good (parameters, resource): the job failed to start.
                if matches!(e, Error::InvalidParameters { .. } | Error::NotFound { .. } | Error::Refused { .. }) {
                    self.set(id, Change { state: Some(JobState::Failed), from: Some(job.state), note: Some(Note::failed(&e)), error: Some(Some(UserError::from(&e))), ..Default::default() })?;
                }
                Err(e)
            }
        }
    }

    /// One look at the remote job; whether anything changed.
    pub async fn poll(&self, job: &JobRecord) -> Result<bool> {
        let uuid = job.remote_job_uuid.clone().unwrap_or_default();
        let remote = self.cloud.job(&uuid).await?;
        self.apply_remote(job, &remote)
    }

    fn apply_remote(&self, job: &JobRecord, remote: &RemoteJob) -> Result<bool> {
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
            c.from = Some(job.state);
            c.note = Some(match status {
                JobStatus::Failed => Note::ServerFailed { reason: remote.message.clone().unwrap_or_else(|| "no reason given".into()) },
                s => Note::ServerStatus { status: s },
            });
        }
        if status == JobStatus::Finished {
            c.output_resource_uuid = remote.output.clone();
        }
        if status == JobStatus::Failed {
            let reason = remote.message.clone().unwrap_or_else(|| "The server did not say why.".into());
            c.error = Some(Some(UserError::from(Error::JobFailedOnServer { reason })));
        }
        self.set(job.id, c)?;
        Ok(true)
    }

    /// Stop a job: on the server when it runs there, else locally.
    pub async fn stop(&self, id: JobId) -> Result<JobRecord> {
        let job = self.store.get(id)?;
        if let (Some(uuid), true) = (&job.remote_job_uuid, job.state.on_server()) {
            self.cloud.stop_job(uuid).await?;
            let _ = self.poll(&self.store.get(id)?).await;
            let job = self.store.get(id)?;
            if job.state != JobState::Stopped {
                return self.set(id, Change { from: Some(job.state), ..Change::state(JobState::Stopped, Note::Stopped) });
            }
            return Ok(job);
        }
        if job.state.is_unfinished() {
            return self.set(id, Change { from: Some(job.state), ..Change::state(JobState::Stopped, Note::StoppedLocally) });
        }
        Err(Error::JobWrongState { id: id.0, state: job.state.as_str().into(), action: "stopped".into() })
    }

    /// A failed or stopped job again, as a new job on the same resource.
    pub fn retry(&self, id: JobId) -> Result<JobRecord> {
        let job = self.store.get(id)?;
        if !matches!(job.state, JobState::Failed | JobState::Stopped) {
            return Err(Error::JobWrongState { id: id.0, state: job.state.as_str().into(), action: "retried".into() });
        }
        let new = self.store.insert(&job.name, job.kind, &job.dataset, &job.parameters, job.region, &job.host, Some(id), &StartOptions::of(&job))?;
        let state = if job.resource_uuid.is_some() { JobState::Uploading } else { JobState::Draft };
        let j = self.store.update(
            new.id,
            Change { state: Some(state), resource_uuid: job.resource_uuid.clone(), resource_marker: job.resource_marker.clone(), ..Default::default() },
        )?;
        (self.emit)(&j);
        Ok(j)
    }

    /// Delete a job from the history, and from the server when `remote`.
    pub async fn delete(&self, id: JobId, remote: bool) -> Result<()> {
        let job = self.store.get(id)?;
        if remote {
            if let Some(uuid) = &job.remote_job_uuid {
                self.cloud.delete_job(uuid).await?;
            }
        }
        self.store.delete(id)
    }
}

/// How a new job treats its folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct StartOptions {
    /// Upload only photos and LiDAR files (not notes, spreadsheets, licences, files that are not
    /// images though named like photos).
    pub leave_out_others: bool,
    /// Files the user left out of the job (names relative to the folder, as the dataset names
    /// them); nothing is moved on disk.
    pub left_out: Vec<String>,
}

impl StartOptions {
    pub fn of(job: &JobRecord) -> StartOptions {
        StartOptions { leave_out_others: job.leave_out_others, left_out: job.left_out.clone() }
    }

    /// The files of `ds` the job uploads.
    pub fn apply(&self, ds: dataset::Dataset) -> dataset::Dataset {
        let ds = if self.leave_out_others { ds.without_others() } else { ds };
        if self.left_out.is_empty() {
            return ds;
        }
        let names: std::collections::HashSet<&str> = self.left_out.iter().map(String::as_str).collect();
        ds.without(|f| names.contains(f.name.as_str()))
    }
}

/// A new job's record, checked: the folder fits the kind, and the parameters validate.
pub fn create(store: &JobStore, name: &str, folder: &Path, params: &JobParameters, region: crate::Region, host: &str, opts: &StartOptions) -> Result<JobRecord> {
    let folder = folder.canonicalize().map_err(|_| Error::FolderNotFound { path: folder.display().to_string() })?;
    let ds = opts.apply(dataset::scan(&folder)?);
    fitness::check(params.kind, &ds)?;
    params.to_parameters_string()?;
    let name = if name.trim().is_empty() { folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "Survey".into()) } else { name.trim().to_string() };
    store.insert(&name, params.kind, &ds.root, params, region, host, None, opts)
}
