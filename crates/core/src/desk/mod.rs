//! The façade: one object that owns the database, the account, the runner and the built-in
//! sandbox's lifetime, and offers every verb the desktop app and the CLI use. Both are thin
//! adapters on it: a Tauri command or a CLI subcommand is a few lines that call one of these.
//!
//! Long operations (a job's upload and processing, a download, an export) run as tasks on the
//! runner; their changes and progress reach whoever follows [`Desk::subscribe`] as one stream of
//! [`DeskEvent`]s, each job view numbered so that the newest wins.

mod account;
mod jobs;
pub mod sandbox;
pub mod views;

pub use jobs::{check_survey_folder, JobPlace};
pub use sandbox::{LocalSandbox, SandboxLauncher, SandboxSource};
pub use views::{Catalog, DatasetSummary, DeskEvent, JobDetail, JobView, KindProblems, SkipCount, Step, StepId, StepStatus, TaskEnd};

use crate::account::Account;
use crate::cloud::{Cloud, TerraCloud};
use crate::connection::Target;
use crate::db::Db;
use crate::hooks::{Hooks, NoHooks};
use crate::jobs::runner::Runner;
use crate::jobs::{JobRecord, JobStore, PipelineOptions};
use crate::upload::UploadJournal;
use crate::{Error, Region, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

/// How a [`Desk`] is set up.
pub struct DeskConfig {
    /// Where the database, settings, results and the sandbox's state live.
    pub data_dir: PathBuf,
    pub account: Account,
    /// Keys and host for every call, instead of the account's (automation: `TERRADESK_HOST`…).
    pub target_override: Option<Target>,
    pub sandbox: SandboxSource,
    /// Test hooks; production passes none.
    pub hooks: Arc<dyn Hooks>,
    pub options: PipelineOptions,
    /// Options for jobs in the Sandbox region (it answers at once: poll briskly).
    pub sandbox_options: PipelineOptions,
}

impl DeskConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        DeskConfig {
            account: Account::in_dir(&data_dir),
            data_dir,
            target_override: None,
            sandbox: SandboxSource::None,
            hooks: Arc::new(NoHooks),
            options: PipelineOptions::default(),
            sandbox_options: PipelineOptions::default().brisk(Duration::from_millis(500)),
        }
    }
}

#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    db: Db,
    store: JobStore,
    journal: UploadJournal,
    account: Account,
    runner: Runner,
    events: broadcast::Sender<DeskEvent>,
    seq: AtomicU64,
    sandbox: SandboxSource,
    local_sandbox: tokio::sync::OnceCell<Box<dyn LocalSandbox>>,
    target_override: Option<Target>,
    hooks: Arc<dyn Hooks>,
    options: PipelineOptions,
    sandbox_options: PipelineOptions,
    /// Who this process is, for the leases it takes on jobs.
    owner: String,
    /// The user's speed limit, shared by every upload and download (changed live).
    limit: Arc<crate::throttle::RateLimit>,
    /// What the limit is now: the user's rate or share of the link, and the full-speed hours.
    governor: std::sync::Mutex<crate::throttle::Governor>,
    /// The computer kept awake while files transfer.
    awake: std::sync::Mutex<Awake>,
}

#[derive(Default)]
struct Awake {
    guard: Option<crate::awake::Guard>,
    state: Option<crate::awake::AwakeState>,
    trying: bool,
    idle_since: Option<std::time::Instant>,
}

/// The computer may sleep again this long after the last transfer ended (the next file of a
/// queue, a retry after a short outage, should not flap it).
const AWAKE_LINGER: Duration = Duration::from_secs(10);

/// Progress events go out this often while a task runs.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// A job's lease lasts this long, renewed every `LEASE_RENEW_TICKS` progress ticks.
pub(crate) const LEASE_SECS: i64 = 30;
const LEASE_RENEW_TICKS: u32 = 40;

impl Desk {
    /// Open the data folder (creating and migrating the database). Call within a Tokio runtime.
    pub async fn open(config: DeskConfig) -> Result<Desk> {
        // Settings from a newer TerraDesk stop the start, before the database is opened (saving over them would lose theirs).
        let settings = match config.account.settings() {
            Err(e @ Error::NewerSettings { .. }) => return Err(e),
            other => other.unwrap_or_default(),
        };
        let db = {
            let path = config.data_dir.join("terradesk.db");
            tokio::task::spawn_blocking(move || Db::open(&path)).await.map_err(Error::internal)??
        };
        let (events, _) = broadcast::channel(1024);
        let mut governor = crate::throttle::Governor::new(crate::throttle::LimitPolicy::from_settings(&settings), settings.link_measured);
        let config_limit = governor.tick(std::time::Instant::now(), minute_of_day(), 0.0, false);
        let inner = Arc::new(Inner {
            store: JobStore::new(db.clone()),
            journal: UploadJournal::new(db.clone()),
            db,
            data_dir: config.data_dir,
            account: config.account,
            runner: Runner::default(),
            events,
            seq: AtomicU64::new(0),
            sandbox: config.sandbox,
            local_sandbox: tokio::sync::OnceCell::new(),
            target_override: config.target_override,
            hooks: config.hooks,
            options: config.options,
            sandbox_options: config.sandbox_options,
            owner: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
            limit: crate::throttle::RateLimit::new(config_limit),
            governor: std::sync::Mutex::new(governor),
            awake: Default::default(),
        });
        tokio::spawn(progress_ticker(Arc::downgrade(&inner)));
        Ok(Desk { inner })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn store(&self) -> &JobStore {
        &self.inner.store
    }

    pub fn runner(&self) -> &Runner {
        &self.inner.runner
    }

    /// Every job change and progress from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.inner.events.subscribe()
    }

    pub fn catalog(&self) -> Catalog {
        Catalog::new()
    }

    /// A number for a view about to be read or sent: later views get higher numbers.
    fn next_seq(&self) -> u64 {
        self.inner.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Whether the computer is kept awake now (files transfer) or could not be.
    pub fn awake(&self) -> crate::awake::AwakeState {
        self.inner.awake.lock().unwrap().state.clone().unwrap_or(crate::awake::AwakeState::Idle)
    }

    fn emit(&self, e: DeskEvent) {
        let _ = self.inner.events.send(e);
    }

    /// The view of a job as saved now (its events read for the timeline).
    fn view_of(&self, job: JobRecord) -> JobView {
        let events = self.inner.store.events(job.id).unwrap_or_default();
        let task = self.inner.runner.info(job.id);
        JobView::new(self.next_seq(), job, &events, task)
    }

    /// Tell followers that a job changed.
    fn emit_job(&self, job: &JobRecord) {
        let view = self.view_of(job.clone());
        self.emit(DeskEvent::Job(view));
    }

    /// Where the sandbox is, when `region` is the Sandbox (starting the built-in one if needed).
    pub async fn sandbox_url(&self, region: Region) -> Result<Option<String>> {
        if region != Region::Sandbox {
            return Ok(None);
        }
        match &self.inner.sandbox {
            SandboxSource::None => Err(Error::SandboxUnavailable { reason: "this TerraDesk has no sandbox".into() }),
            SandboxSource::External(url) => Ok(Some(url.clone())),
            SandboxSource::BuiltIn(launcher) => {
                let dir = self.inner.data_dir.join("sandbox");
                let s = self.inner.local_sandbox.get_or_try_init(|| launcher.launch(&dir)).await?;
                Ok(Some(s.url()))
            }
        }
    }

    /// The keys and host to use for `region`.
    pub async fn target(&self, region: Region) -> Result<Target> {
        if let Some(t) = &self.inner.target_override {
            return Ok(t.clone());
        }
        let url = self.sandbox_url(region).await?;
        let account = self.inner.account.clone();
        tokio::task::spawn_blocking(move || Target::from_account(&account, region, url.as_deref())).await.map_err(Error::internal)?
    }

    /// The region in use now.
    pub async fn region(&self) -> Result<Region> {
        if let Some(t) = &self.inner.target_override {
            return Ok(t.region);
        }
        self.inner.account.region()
    }

    /// The service of `region`.
    pub async fn cloud(&self, region: Region) -> Result<(Arc<dyn Cloud>, Target)> {
        let target = self.target(region).await?;
        let cloud: Arc<dyn Cloud> = Arc::new(TerraCloud::new(target.client()?));
        Ok((cloud, target))
    }

    fn options_for(&self, region: Region) -> PipelineOptions {
        let mut o = if region == Region::Sandbox && self.inner.target_override.is_none() {
            self.inner.sandbox_options.clone()
        } else {
            self.inner.options.clone()
        };
        o.upload.limit.get_or_insert_with(|| self.inner.limit.clone());
        o.download.limit.get_or_insert_with(|| self.inner.limit.clone());
        o
    }

    /// Sign and send any TerraAPI call in the region in use (`terradesk api`).
    pub async fn api_raw(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value> {
        let region = self.region().await?;
        self.target(region).await?.client()?.raw(method, path, body).await
    }
}

/// The speed limit is looked at every this many progress ticks (a second).
const GOVERN_TICKS: u32 = 4;

/// The minute of the local day.
pub(crate) fn minute_of_day() -> u16 {
    use chrono::Timelike;
    let t = chrono::Local::now();
    (t.hour() * 60 + t.minute()) as u16
}

/// The uploads' and downloads' speed together (bytes per second), and whether any runs.
fn transfers(inner: &Inner) -> (f64, bool) {
    let running = inner.runner.progress();
    let mut t = running.iter().filter(|(_, p)| matches!(p.phase, Some(crate::progress::Phase::Upload | crate::progress::Phase::Download))).peekable();
    let any = t.peek().is_some();
    (t.map(|(_, p)| p.speed).sum(), any)
}

/// Set the limit in force now (the full-speed hours begin or end, a share of the link is measured
/// or applied); keep a new measurement of the link in the settings.
fn govern(inner: &Inner) {
    let (speed, transferring) = transfers(inner);
    let (rate, measured) = {
        let mut g = inner.governor.lock().unwrap();
        let before = g.measured;
        let rate = g.tick(std::time::Instant::now(), minute_of_day(), speed, transferring);
        (rate, (g.measured != before).then_some(g.measured))
    };
    if rate != inner.limit.rate() {
        tracing::info!(bytes_per_second = rate, "speed limit now");
        inner.limit.set(rate);
    }
    if let Some(m) = measured {
        let account = inner.account.clone();
        tokio::task::spawn_blocking(move || {
            let r = account.settings().and_then(|mut s| {
                s.link_measured = m;
                account.save_settings(&s)
            });
            if let Err(e) = r {
                tracing::warn!(error = %e, "could not keep the link's measured speed");
            }
        });
    }
}

/// Hold the system's inhibitor while files transfer; let go a little after they end. Either
/// change is said to the app (`DeskEvent::Awake`).
fn keep_awake(inner: &Arc<Inner>) {
    use crate::awake::AwakeState;
    let (_, transferring) = transfers(inner);
    let mut slot = inner.awake.lock().unwrap();
    if transferring {
        slot.idle_since = None;
        if slot.state.is_none() && !slot.trying {
            slot.trying = true;
            let inner = inner.clone();
            tokio::task::spawn_blocking(move || {
                let held = crate::awake::hold();
                let mut slot = inner.awake.lock().unwrap();
                slot.trying = false;
                let state = match held {
                    Ok(g) => {
                        tracing::info!(how = ?g.how, "keeping the computer awake while files transfer");
                        let s = AwakeState::Held { how: g.how.clone() };
                        slot.guard = Some(g);
                        s
                    }
                    Err(why) => {
                        tracing::warn!(why, "could not keep the computer awake");
                        AwakeState::Failed { why }
                    }
                };
                slot.state = Some(state.clone());
                let _ = inner.events.send(DeskEvent::Awake(state));
            });
        }
    } else if slot.state.is_some() && !slot.trying {
        let since = *slot.idle_since.get_or_insert_with(std::time::Instant::now);
        if since.elapsed() >= AWAKE_LINGER {
            let guard = slot.guard.take();
            slot.state = None;
            slot.idle_since = None;
            // Letting go is a D-Bus call on Linux: off the runtime's threads.
            tokio::task::spawn_blocking(move || drop(guard));
            tracing::info!("the computer may sleep again");
            let _ = inner.events.send(DeskEvent::Awake(AwakeState::Idle));
        }
    }
}

async fn progress_ticker(inner: Weak<Inner>) {
    let mut every = tokio::time::interval(PROGRESS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks = 0u32;
    loop {
        every.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        ticks = ticks.wrapping_add(1);
        if ticks % LEASE_RENEW_TICKS == 0 {
            // The heartbeat: this process still drives its jobs.
            for id in inner.runner.running() {
                if let Err(e) = inner.store.lease(id, &inner.owner, LEASE_SECS) {
                    tracing::warn!(job = id.0, error = %e, "could not renew the job's lease");
                }
            }
        }
        if ticks % GOVERN_TICKS == 0 {
            govern(&inner);
            keep_awake(&inner);
        }
        if inner.events.receiver_count() == 0 {
            continue;
        }
        for (id, progress) in inner.runner.progress() {
            let _ = inner.events.send(DeskEvent::Progress { id, progress });
        }
    }
}
