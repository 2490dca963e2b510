//! The desktop shell: windows, IPC commands and app setup. Every decision lives in terradesk-core.

pub mod commands;
pub mod error;
pub mod runner;

use terradesk_core::connection::Target;
use terradesk_core::db::Db;
use terradesk_core::jobs::pipeline::{Pipeline, PipelineOptions};
use terradesk_core::jobs::runner::Runner;
use terradesk_core::jobs::JobStore;
use terradesk_core::{Account, Region};
use terradesk_sandbox::{Sandbox, SandboxConfig};
use tokio::sync::OnceCell;

/// What every command can reach.
pub struct AppState {
    pub account: Account,
    pub runner: Runner,
    /// The built-in sandbox, started the first time the Sandbox region needs it.
    sandbox: OnceCell<Sandbox>,
    /// A sandbox running elsewhere (`TERRADESK_SANDBOX_URL`), used instead of the built-in one.
    external_sandbox: Option<String>,
    data_dir: std::path::PathBuf,
    db: std::sync::OnceLock<Db>,
}

/// A pipeline for the region in use.
#[derive(Clone)]
pub struct RegionPipeline {
    pub pipeline: Pipeline,
    pub region: Region,
}

impl AppState {
    pub fn new(data_dir: std::path::PathBuf) -> Self {
        AppState {
            account: Account::in_dir(&data_dir),
            runner: Runner::default(),
            sandbox: OnceCell::new(),
            external_sandbox: std::env::var("TERRADESK_SANDBOX_URL").ok().filter(|s| !s.is_empty()),
            data_dir,
            db: std::sync::OnceLock::new(),
        }
    }

    pub fn with_account(account: Account, data_dir: std::path::PathBuf) -> Self {
        AppState { account, ..AppState::new(data_dir) }
    }

    pub fn db(&self) -> terradesk_core::Result<Db> {
        if let Some(db) = self.db.get() {
            return Ok(db.clone());
        }
        let db = Db::open(&self.data_dir.join("terradesk.db"))?;
        Ok(self.db.get_or_init(|| db).clone())
    }

    pub fn job_store(&self) -> terradesk_core::Result<JobStore> {
        Ok(JobStore::new(self.db()?))
    }

    /// Where the sandbox is, when `region` is the Sandbox (starting the built-in one if needed).
    pub async fn sandbox_url(&self, region: Region) -> Result<Option<String>, terradesk_core::UserError> {
        if region != Region::Sandbox {
            return Ok(None);
        }
        if let Some(url) = &self.external_sandbox {
            return Ok(Some(url.clone()));
        }
        let dir = self.data_dir.join("sandbox");
        let sandbox = self
            .sandbox
            .get_or_try_init(|| async {
                let job_duration = std::env::var("TERRADESK_SANDBOX_JOB_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
                Sandbox::start(SandboxConfig { data_dir: Some(dir.clone()), job_duration: std::time::Duration::from_secs(job_duration), ..Default::default() })
                    .await
                    .map_err(|e| terradesk_core::Error::storage("start the sandbox in", dir.clone(), e))
            })
            .await?;
        Ok(Some(sandbox.url().to_string()))
    }

    /// The region in use, its keys and host.
    pub async fn target(&self) -> Result<Target, terradesk_core::UserError> {
        let account = self.account.clone();
        let region = error::blocking(move || account.region()).await?;
        self.target_in(region).await
    }

    /// A region's keys and host (a job talks to the region it was started in).
    pub async fn target_in(&self, region: Region) -> Result<Target, terradesk_core::UserError> {
        let url = self.sandbox_url(region).await?;
        let account = self.account.clone();
        error::blocking(move || Target::from_account(&account, region, url.as_deref())).await
    }

    pub async fn pipeline(&self) -> Result<RegionPipeline, terradesk_core::UserError> {
        let target = self.target().await?;
        self.pipeline_with(target)
    }

    /// The pipeline of the region job `id` was started in.
    pub async fn pipeline_for_job(&self, id: i64) -> Result<RegionPipeline, terradesk_core::UserError> {
        let store = self.job_store()?;
        let job = error::blocking(move || store.get(id)).await?;
        let target = self.target_in(job.region).await?;
        self.pipeline_with(target)
    }

    fn pipeline_with(&self, target: Target) -> Result<RegionPipeline, terradesk_core::UserError> {
        let mut opts = PipelineOptions::default();
        if target.region == Region::Sandbox {
            // The sandbox answers at once: look often.
            opts.poll_min = std::time::Duration::from_millis(500);
            opts.poll_max = std::time::Duration::from_secs(2);
            opts.queue_retry = std::time::Duration::from_secs(3);
        }
        Ok(RegionPipeline { pipeline: Pipeline::new(self.db()?, target.client()?, opts), region: target.region })
    }
}

/// The commands and events the web page can use, for a runtime (the real one, or Tauri's mock
/// runtime in tests); also what generates `ui/src/lib/bindings.ts`.
#[macro_export]
macro_rules! specta_builder {
    ($runtime:ty) => {{
        use $crate::commands::*;
        tauri_specta::Builder::<$runtime>::new()
            .commands(tauri_specta::collect_commands![
                account::get_account,
                account::select_region::<$runtime>,
                account::save_account::<$runtime>,
                account::delete_account::<$runtime>,
                connection::test_connection,
                jobs::scan_folder,
                jobs::pick_folder::<$runtime>,
                jobs::param_schema,
                jobs::presets,
                jobs::validate_params,
                jobs::search_coordinate_systems,
                jobs::start_job::<$runtime>,
                jobs::resume_job::<$runtime>,
                jobs::watch_job,
                jobs::list_jobs,
                jobs::job_detail,
                jobs::pause_upload,
                jobs::resume_upload,
                jobs::stop_job::<$runtime>,
                jobs::retry_job::<$runtime>,
                jobs::delete_job,
                jobs::result_outputs,
                jobs::download_result::<$runtime>,
                jobs::export_zip::<$runtime>,
                jobs::export_to::<$runtime>,
                app::get_settings,
                app::set_language,
                app::reveal::<$runtime>,
                app::open_log_folder::<$runtime>,
            ])
            .events(tauri_specta::collect_events![account::AccountChanged, $crate::runner::JobUpdated])
    }};
}

/// The TypeScript bindings, as generated from the Rust types.
pub fn typescript_bindings() -> String {
    let dir = std::env::temp_dir().join(format!("terradesk-bindings-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bindings.ts");
    specta_builder!(tauri::Wry)
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from the Rust types by tauri-specta. Do not edit: run `npm run bindings`.\n/* eslint-disable */\n// @ts-nocheck")
                .bigint(specta_typescript::BigIntExportBehavior::Number),
            &path,
        )
        .expect("bindings export");
    let text = std::fs::read_to_string(&path).expect("bindings written");
    let _ = std::fs::remove_dir_all(&dir);
    text
}

pub fn app_state() -> AppState {
    AppState::new(terradesk_core::paths::data_dir())
}

/// Build the app on any runtime, with the given state (tests pass their own). Call
/// [`mount`] on the built app before using it.
pub fn build_app<R: tauri::Runtime>(builder: tauri::Builder<R>, specta: &tauri_specta::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder.manage(state).invoke_handler(specta.invoke_handler())
}

/// What needs the built app: typed events.
pub fn mount<R: tauri::Runtime>(app: &tauri::App<R>, specta: &tauri_specta::Builder<R>) {
    specta.mount_events(app);
}

/// Jobs left unfinished when the app last closed go on by themselves; jobs that finished while it
/// was closed show as finished.
fn resume_unfinished<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    use tauri::Manager;
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let events = runner::broadcast_events(app.clone());
        let Ok(jobs) = state.job_store().and_then(|s| s.list()) else { return };
        for j in jobs.into_iter().filter(|j| j.state.is_unfinished()) {
            let Ok(rp) = state.pipeline_for_job(j.id).await else { continue };
            // A job of another server (a sandbox that has since restarted elsewhere) is left as is.
            if j.host != rp.pipeline.client().host() {
                continue;
            }
            tracing::info!(job = j.id, state = j.state.as_str(), "resuming an unfinished job");
            state.runner.run(rp.pipeline.clone(), j.id, Some(events.clone()), |_| {});
        }
    });
}

pub fn run() {
    let _guard = init_logging();
    let specta = specta_builder!(tauri::Wry);
    let app = build_app(
        tauri::Builder::default()
            .plugin(tauri_plugin_dialog::init())
            .plugin(tauri_plugin_opener::init())
            .plugin(tauri_plugin_notification::init()),
        &specta,
        app_state(),
    )
    .setup(|app| {
        tray::install(app.handle())?;
        Ok(())
    })
    .on_window_event(tray::on_window_event)
    .build(tauri::generate_context!())
    .expect("error while building TerraDesk");
    mount(&app, &specta);
    resume_unfinished(app.handle().clone());
    app.run(|_, _| {});
}

mod tray;

/// Logs go to stderr and to a daily file in the log folder ("Open log folder" in Settings).
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::EnvFilter;
    let filter = || EnvFilter::try_from_env("TERRADESK_LOG").unwrap_or_else(|_| EnvFilter::new("info,aws_smithy_runtime=warn,aws_sdk_s3=warn"));
    let dir = terradesk_core::paths::log_dir();
    let (file, guard) = match std::fs::create_dir_all(&dir) {
        Ok(()) => {
            let (w, g) = tracing_appender::non_blocking(tracing_appender::rolling::daily(&dir, "terradesk.log"));
            (Some(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(w).with_filter(filter())), Some(g))
        }
        Err(_) => (None, None),
    };
    let _ = tracing_subscriber::registry().with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter())).with(file).try_init();
    guard
}
