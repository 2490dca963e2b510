//! The façade's job verbs: start, go on, pause, stop, retry, delete, look, download, export.

use super::views::{DatasetSummary, DeskEvent, JobDetail, JobView};
use super::Desk;
use crate::cloud::Cloud;
use crate::control::Control;
use crate::dataset;
use crate::jobs::actions::TaskKind;
use crate::jobs::delivery::{default_download_dir, ResultOutput};
use crate::jobs::machine::{self, Emit, Machine, StartOptions};
use crate::jobs::runner::{Outcome, TaskHandle, TaskOutput};
use crate::jobs::{JobId, JobParameters, JobRecord, JobState};
use crate::progress::{Phase, Tracker};
use crate::upload::{UploadOptions, UploadReport, Uploader};
use crate::{Error, Region, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which of a job's places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobPlace {
    /// The survey folder it uploads.
    Dataset,
    /// Where its result was downloaded.
    Results,
    /// Its Terra ZIP.
    Zip,
}

/// A survey folder, not the whole disk or the system: a folder given by the page (dropped, picked)
/// or typed is refused when it is the root, a system folder, or the home folder itself.
pub fn check_survey_folder(folder: &Path) -> Result<()> {
    let real = folder.canonicalize().unwrap_or_else(|_| folder.to_path_buf());
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let system: &[&str] = if cfg!(windows) { &["C:\\", "C:\\Windows", "C:\\Program Files", "C:\\Program Files (x86)"] } else { &["/", "/etc", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin", "/lib", "/var", "/System", "/Library"] };
    let refused = system.iter().any(|s| real == Path::new(s)) || real.starts_with("/proc") || real.starts_with("/sys") || real.starts_with("/dev") || home.as_deref() == Some(real.as_path());
    if refused {
        return Err(Error::NotASurvey { path: real.display().to_string() });
    }
    Ok(())
}

impl Desk {
    /// What a folder holds and whether it fits each kind (blocking work off the runtime).
    pub async fn scan(&self, folder: &Path) -> Result<DatasetSummary> {
        check_survey_folder(folder)?;
        let folder = folder.to_path_buf();
        tokio::task::spawn_blocking(move || dataset::scan(&folder).map(|ds| DatasetSummary::of(&ds, &folder))).await.map_err(Error::internal)?
    }

    /// The dataset doctor on a folder, for a job of `kind` (the kind its photos suit when
    /// `None`): every photo's position and camera, and what would make the job fail or come back
    /// poor. The upload time is estimated from the link's last measured speed.
    /// With `opts`, the findings are of the files the job would upload (left-out photos are on
    /// the report, marked).
    pub async fn doctor(&self, folder: &Path, kind: Option<crate::jobs::JobKind>, opts: &StartOptions) -> Result<crate::doctor::DoctorReport> {
        check_survey_folder(folder)?;
        let folder = folder.to_path_buf();
        let speed = self.settings().await.map(|s| s.link_measured).unwrap_or(0);
        let opts = opts.clone();
        tokio::task::spawn_blocking(move || dataset::scan(&folder).map(|ds| crate::doctor::examine_for(ds, kind, speed, &opts))).await.map_err(Error::internal)?
    }

    fn machine(&self, cloud: Arc<dyn Cloud>, region: Region, control: Control, tracker: Arc<Tracker>) -> Machine {
        let desk = self.clone();
        let emit: Emit = Arc::new(move |j: &JobRecord| desk.emit_job(j));
        Machine {
            store: self.inner.store.clone(),
            journal: self.inner.journal.clone(),
            cloud,
            opts: self.options_for(region),
            hooks: self.inner.hooks.clone(),
            control,
            tracker,
            emit,
        }
    }

    /// The machine for job `id`, talking to the region it was started in.
    async fn machine_for(&self, job: &JobRecord, phase: Phase) -> Result<(Machine, Control, Arc<Tracker>)> {
        let (cloud, _) = self.cloud(job.region).await?;
        let control = Control::default();
        let tracker = Arc::new(Tracker::new(phase, 0, 0));
        Ok((self.machine(cloud, job.region, control.clone(), tracker.clone()), control, tracker))
    }

    fn job(&self, id: JobId) -> Result<JobRecord> {
        self.inner.store.get(id)
    }

    /// Run `task` for job `id` in the background, holding the job's lease (one process drives a
    /// job at a time: the app and a terminal cannot both run it).
    fn spawn(&self, id: JobId, kind: TaskKind, control: Control, tracker: Arc<Tracker>, task: impl std::future::Future<Output = Outcome> + Send + 'static) -> Result<TaskHandle> {
        if self.inner.runner.info(id).is_some() {
            return Err(Error::JobBusy { id: id.0 });
        }
        self.inner.store.lease(id, &self.inner.owner, super::LEASE_SECS)?;
        let desk = self.clone();
        let spawned = self.inner.runner.spawn(id, kind, control, tracker, task, move |id, outcome| {
            if let Err(e) = desk.inner.store.release(id, &desk.inner.owner) {
                tracing::warn!(job = id.0, error = %e, "could not give the job's lease back");
            }
            // The job as it ended, with nothing running for it; then what the task reports.
            if let Ok(j) = desk.inner.store.get(id) {
                desk.emit_job(&j);
            }
            desk.emit(DeskEvent::Ended { id, end: super::views::TaskEnd::of(outcome) });
        });
        let handle = match spawned {
            Ok(h) => h,
            Err(e) => {
                let _ = self.inner.store.release(id, &self.inner.owner);
                return Err(e);
            }
        };
        // Followers see that something runs now.
        if let Ok(j) = self.job(id) {
            self.emit_job(&j);
        }
        Ok(handle)
    }

    /// Drive job `id` (upload, then processing) in the background.
    async fn run_pipeline(&self, job: &JobRecord) -> Result<TaskHandle> {
        let (m, control, tracker) = self.machine_for(job, Phase::Upload).await?;
        let id = job.id;
        self.spawn(id, TaskKind::Pipeline, control, tracker, async move { m.advance(id).await.map(TaskOutput::Job) })
    }

    /// Create a job from a folder in the region in use, and start it.
    pub async fn start_job(&self, name: &str, folder: &Path, params: &JobParameters) -> Result<JobView> {
        self.start_job_with(name, folder, params, &StartOptions::default()).await
    }

    /// [`Desk::start_job`], with a choice of which of the folder's files go up.
    pub async fn start_job_with(&self, name: &str, folder: &Path, params: &JobParameters, opts: &StartOptions) -> Result<JobView> {
        check_survey_folder(folder)?;
        let region = self.region().await?;
        let target = self.target(region).await?;
        let store = self.inner.store.clone();
        let (name, folder, params, opts) = (name.to_string(), folder.to_path_buf(), params.clone(), opts.clone());
        let host = target.host.clone();
        let job = tokio::task::spawn_blocking(move || machine::create(&store, &name, &folder, &params, region, &host, &opts)).await.map_err(Error::internal)??;
        self.emit_job(&job);
        self.run_pipeline(&job).await?;
        Ok(self.view(job.id)?)
    }

    /// Go on with an unfinished job nothing runs for (after a restart, or an error that needed
    /// the user). A job that already runs is left to run.
    pub async fn continue_job(&self, id: JobId) -> Result<JobView> {
        let job = self.job(id)?;
        if self.inner.runner.info(id).is_none() {
            if job.state == JobState::Unreadable {
                return Err(Error::JobUnreadable { id: id.0, reason: job.unreadable.unwrap_or_default() });
            }
            if !job.state.is_unfinished() {
                return Err(Error::JobWrongState { id: id.0, state: job.state.as_str().into(), action: "continued".into() });
            }
            self.run_pipeline(&job).await?;
        }
        self.view(id)
    }

    /// Pause what runs for a job (its upload or download).
    pub fn pause(&self, id: JobId) -> Result<JobView> {
        self.inner.runner.pause(id);
        let v = self.view(id)?;
        self.emit(DeskEvent::Job(v.clone()));
        Ok(v)
    }

    pub fn resume(&self, id: JobId) -> Result<JobView> {
        self.inner.runner.resume(id);
        let v = self.view(id)?;
        self.emit(DeskEvent::Job(v.clone()));
        Ok(v)
    }

    /// Pause every transfer running (before an update: nothing half-sent is lost, and the
    /// restarted app resumes unfinished jobs by itself). The jobs paused, to resume if the update
    /// does not happen.
    pub fn pause_all(&self) -> Vec<JobId> {
        let runner = &self.inner.runner;
        let paused: Vec<JobId> = runner.running().into_iter().filter(|id| runner.info(*id).is_some_and(|i| !i.paused) && runner.pause(*id)).collect();
        for id in &paused {
            if let Ok(v) = self.view(*id) {
                self.emit(DeskEvent::Job(v));
            }
        }
        paused
    }

    /// Resume the jobs [`Desk::pause_all`] paused.
    pub fn resume_all(&self, ids: &[JobId]) {
        for id in ids {
            let _ = self.resume(*id);
        }
    }

    /// Cancel what runs for a job and wait until it has stopped.
    pub async fn cancel(&self, id: JobId) -> Option<Outcome> {
        let mut h = self.inner.runner.handle(id)?;
        h.cancel();
        Some(h.wait().await)
    }

    /// Wait for what runs for a job to end, or the outcome of what last ran for it, however
    /// quickly it ended (`None` when nothing has run for it in this process).
    pub async fn wait(&self, id: JobId) -> Option<Outcome> {
        let mut h = self.inner.runner.latest(id)?;
        Some(h.wait().await)
    }

    /// Stop a job: on the server when it runs there, else locally (its upload is cancelled).
    pub async fn stop(&self, id: JobId) -> Result<JobView> {
        self.cancel(id).await;
        let job = self.job(id)?;
        let (m, _, _) = self.machine_for(&job, Phase::Upload).await?;
        m.stop(id).await?;
        self.view(id)
    }

    /// A failed or stopped job again, as a new job on the same resource; it starts at once.
    pub async fn retry(&self, id: JobId) -> Result<JobView> {
        let job = self.job(id)?;
        let (m, _, _) = self.machine_for(&job, Phase::Upload).await?;
        let new = m.retry(id)?;
        self.run_pipeline(&new).await?;
        self.view(new.id)
    }

    /// Delete a job from the history, and its server job when `remote`.
    pub async fn delete(&self, id: JobId, remote: bool) -> Result<()> {
        self.cancel(id).await;
        let job = self.job(id)?;
        if remote && job.remote_job_uuid.is_some() {
            let (m, _, _) = self.machine_for(&job, Phase::Upload).await?;
            m.delete(id, true).await?;
        } else {
            self.inner.store.delete(id)?;
        }
        self.emit(DeskEvent::Removed(id));
        Ok(())
    }

    pub fn view(&self, id: JobId) -> Result<JobView> {
        let seq = self.next_seq();
        let job = self.job(id)?;
        let events = self.inner.store.events(id)?;
        Ok(JobView::new(seq, job, &events, self.inner.runner.info(id)))
    }

    /// A place of a job's on disk, to show in the file manager: only the job's own (its folder, its
    /// result folder, its ZIP), never a path the page names.
    pub fn job_path(&self, id: JobId, what: JobPlace) -> Result<PathBuf> {
        let job = self.job(id)?;
        let path = match what {
            JobPlace::Dataset => Some(job.dataset.clone()),
            JobPlace::Results => job.download_dir.clone(),
            JobPlace::Zip => job.export_path.clone(),
        };
        let path = path.map(PathBuf::from).ok_or_else(|| Error::Gone { path: format!("job {id}") })?;
        if !path.exists() {
            return Err(Error::Gone { path: path.display().to_string() });
        }
        Ok(path)
    }

    /// Every job, newest first.
    pub fn list(&self) -> Result<Vec<JobView>> {
        let seq = self.next_seq();
        let jobs = self.inner.store.list()?;
        Ok(jobs
            .into_iter()
            .map(|j| {
                let events = self.inner.store.events(j.id).unwrap_or_default();
                let task = self.inner.runner.info(j.id);
                JobView::new(seq, j, &events, task)
            })
            .collect())
    }

    pub fn detail(&self, id: JobId) -> Result<JobDetail> {
        let view = self.view(id)?;
        let events = self.inner.store.events(id)?;
        let progress = self.inner.runner.progress().into_iter().find(|(j, _)| *j == id).map(|(_, p)| p);
        Ok(JobDetail { view, events, progress })
    }

    /// The result's top-level outputs, and which are downloaded.
    pub async fn outputs(&self, id: JobId) -> Result<Vec<ResultOutput>> {
        let job = self.job(id)?;
        let (m, _, _) = self.machine_for(&job, Phase::Download).await?;
        m.outputs(id).await
    }

    /// Download the chosen outputs (all when empty) in the background, into `dest` (else the
    /// job's result folder). Started again, it goes on from where it stopped.
    pub async fn download(&self, id: JobId, outputs: Vec<String>, dest: Option<PathBuf>) -> Result<JobView> {
        let job = self.job(id)?;
        if !job.state.has_result() {
            return Err(Error::NoResult { id: id.0, state: job.state.as_str().into() });
        }
        let dest = dest.or(job.download_dir.clone().map(PathBuf::from)).unwrap_or_else(|| default_download_dir(&self.inner.data_dir, &job));
        let (m, control, tracker) = self.machine_for(&job, Phase::Download).await?;
        let http = crate::results::download::http_client(&m.cloud.proxy())?;
        self.spawn(id, TaskKind::Download, control, tracker, async move { m.download(id, dest, outputs, http).await.map(TaskOutput::Download) })?;
        self.view(id)
    }

    /// Export the downloaded result as a Terra ZIP at `out`, in the background.
    pub async fn export(&self, id: JobId, out: PathBuf) -> Result<JobView> {
        let job = self.job(id)?;
        if !matches!(job.state, JobState::Downloaded | JobState::Exported) {
            return Err(Error::NotDownloaded { id: id.0, state: job.state.as_str().into() });
        }
        let (m, control, tracker) = self.machine_for(&job, Phase::Export).await?;
        self.spawn(id, TaskKind::Export, control, tracker, async move { m.export(id, out).await.map(TaskOutput::Export) })?;
        self.view(id)
    }

    /// At start-up: every unfinished job goes on by itself (and a job that finished on the server
    /// meanwhile shows as finished). Jobs of another server, and unreadable ones, are left as they are.
    pub async fn resume_unfinished(&self) -> Vec<JobId> {
        let mut resumed = Vec::new();
        let Ok(jobs) = self.inner.store.list() else { return resumed };
        for j in jobs.into_iter().filter(|j| j.state.is_unfinished()) {
            let Ok(target) = self.target(j.region).await else { continue };
            let built_in_sandbox = j.region == Region::Sandbox && matches!(self.inner.sandbox, super::SandboxSource::BuiltIn(_));
            if j.host != target.host && !built_in_sandbox {
                tracing::info!(job = j.id.0, host = %j.host, "not resuming a job of another server");
                continue;
            }
            tracing::info!(job = j.id.0, state = j.state.as_str(), "resuming an unfinished job");
            if self.run_pipeline(&j).await.is_ok() {
                resumed.push(j.id);
            }
        }
        resumed
    }

    /// Upload a folder into a resource, outside any job (`terradesk upload`): into `resource`, or
    /// the resource an unfinished earlier upload of the folder went to, or a new one named `name`.
    pub async fn upload_folder(&self, folder: &Path, name: Option<String>, resource: Option<String>, opts: UploadOptions, control: Control, tracker: Arc<Tracker>) -> Result<UploadReport> {
        let folder = folder.canonicalize().map_err(|_| Error::FolderNotFound { path: folder.display().to_string() })?;
        let ds = {
            let f = folder.clone();
            tokio::task::spawn_blocking(move || dataset::scan(&f)).await.map_err(Error::internal)??
        };
        if ds.files.is_empty() {
            return Err(Error::NoFiles { path: folder.display().to_string(), skipped: ds.skipped.len() as u32 });
        }
        let region = self.region().await?;
        let (cloud, _) = self.cloud(region).await?;
        let journal = &self.inner.journal;
        let resource = match resource {
            Some(r) => r,
            None => match journal.latest_for_root(&ds.root, cloud.host())? {
                Some(u) if !u.resource_uuid.is_empty() && u.state != "complete" && u.state != "cancelled" => u.resource_uuid,
                latest => {
                    // The intent first, then the create: a rerun after a crash finds the resource
                    // by its marker instead of making a second one.
                    let (upload, marker) = match latest {
                        Some(u) if u.resource_uuid.is_empty() && u.marker.is_some() => (u.id, u.marker.unwrap_or_default()),
                        _ => {
                            let marker = format!("td-{:08x}", rand::random::<u32>());
                            (journal.intend_upload(&ds.root, cloud.host(), &marker)?, marker)
                        }
                    };
                    let r = match cloud.find_input(&marker).await? {
                        Some(r) => r,
                        None => {
                            let name = name.unwrap_or_else(|| folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "survey".into()));
                            cloud.create_input(&format!("{name} ({marker})")).await?
                        }
                    };
                    journal.set_upload_resource(upload, &r)?;
                    r
                }
            },
        };
        Uploader::new(cloud, self.inner.journal.clone(), resource, opts, control, tracker).run(&ds).await
    }
}
