//! The desktop shell: windows, the tray, IPC commands and app setup. Every decision lives in
//! terradesk-core, behind its façade ([`Desk`]); each command is a few lines into it.

pub mod commands;
pub mod error;
pub mod events;
mod tray;
pub mod update;

use std::sync::Arc;
use terradesk_core::desk::SandboxSource;
use terradesk_core::{Account, Desk, DeskConfig};

/// The façade the app runs on: the data folder, the account (OS keychain), and the built-in
/// sandbox for the Sandbox region (or the one `TERRADESK_SANDBOX_URL` names).
pub fn desk_config(data_dir: std::path::PathBuf, account: Account) -> DeskConfig {
    let mut config = DeskConfig::new(data_dir);
    config.account = account;
    config.sandbox = match std::env::var("TERRADESK_SANDBOX_URL").ok().filter(|s| !s.is_empty()) {
        Some(url) => SandboxSource::External(url),
        None => {
            let job_secs = std::env::var("TERRADESK_SANDBOX_JOB_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
            SandboxSource::BuiltIn(Arc::new(terradesk_sandbox::BuiltIn { job_duration: std::time::Duration::from_secs(job_secs) }))
        }
    };
    config
}

/// Open the façade (on Tauri's runtime).
pub fn open_desk(config: DeskConfig) -> terradesk_core::Result<Desk> {
    tauri::async_runtime::block_on(Desk::open(config))
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
                account::select_region,
                account::save_account,
                account::delete_account,
                account::test_connection,
                jobs::scan_folder,
                jobs::doctor,
                jobs::pick_folder::<$runtime>,
                jobs::param_schema,
                jobs::validate_params,
                jobs::search_coordinate_systems,
                jobs::start_job,
                jobs::continue_job,
                jobs::pause_job,
                jobs::resume_job,
                jobs::cancel_task,
                jobs::stop_job,
                jobs::retry_job,
                jobs::delete_job,
                jobs::list_jobs,
                jobs::job_detail,
                jobs::result_outputs,
                jobs::download_result,
                jobs::export_zip::<$runtime>,
                app::catalog,
                app::get_settings,
                app::set_language,
                app::set_speed_limit,
                app::set_link_limits,
                app::set_map_tiles,
                app::map_tile,
                app::launch_folders,
                app::about,
                app::awake_state,
                app::set_update_feed,
                $crate::update::check_update::<$runtime>,
                $crate::update::install_update::<$runtime>,
                app::get_proxy,
                app::save_proxy,
                app::reveal::<$runtime>,
                app::open_log_folder::<$runtime>,
                app::notify::<$runtime>,
            ])
            .events(tauri_specta::collect_events![$crate::events::DeskUpdate, $crate::events::OpenFolders, $crate::update::UpdateProgress])
            // One constant: tauri-specta writes several in no fixed order.
            .constant(
                "CODES",
                serde_json::json!({
                    "errors": terradesk_core::ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                    "notes": terradesk_core::jobs::note::NOTE_CODES,
                }),
            )
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

/// Build the app on any runtime, with the given façade (tests pass their own). Call [`mount`] on
/// the built app before using it.
pub fn build_app<R: tauri::Runtime>(builder: tauri::Builder<R>, specta: &tauri_specta::Builder<R>, desk: Desk) -> tauri::Builder<R> {
    builder.manage(desk).manage(LaunchFolders::default()).manage(update::PendingUpdate::default()).invoke_handler(specta.invoke_handler())
}

/// Folders the app was started with (`terradesk-app DIR`, a folder dropped on its icon), until
/// the page takes them.
#[derive(Default)]
pub struct LaunchFolders(pub std::sync::Mutex<Vec<String>>);

/// A later launch reached this app: its window comes forward, and New job opens with the folders
/// it was given.
fn on_launch<R: tauri::Runtime>(app: &tauri::AppHandle<R>, launch: terradesk_core::instance::Launch) {
    use tauri::Manager;
    use tauri_specta::Event;
    tracing::info!(args = launch.args.len(), "a later launch was handed to this app");
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
    let folders = launch.folder_names();
    if !folders.is_empty() {
        let _ = events::OpenFolders(folders).emit(app);
    }
}

/// What needs the built app: typed events, and the façade's events forwarded to the page.
pub fn mount<R: tauri::Runtime>(app: &tauri::App<R>, specta: &tauri_specta::Builder<R>) {
    use tauri::Manager;
    specta.mount_events(app);
    events::forward(app.handle().clone(), app.state::<Desk>().inner().clone());
}

pub fn run() {
    let _guard = init_logging();
    let specta = specta_builder!(tauri::Wry);
    let data_dir = terradesk_core::paths::data_dir();
    // One app per data folder: a second launch hands its folders to the first and ends here,
    // before it opens the database.
    let launch = terradesk_core::instance::Launch::this();
    let instance = match terradesk_core::instance::claim(&data_dir, &launch) {
        Ok(terradesk_core::instance::Claim::First(i)) => Some(i),
        Ok(terradesk_core::instance::Claim::Handed) => {
            tracing::info!("TerraDesk already runs on this data folder: its window was brought forward");
            std::process::exit(0);
        }
        Ok(terradesk_core::instance::Claim::Busy(why)) => {
            tracing::error!(why, "TerraDesk already runs on this data folder but does not answer");
            rfd::MessageDialog::new().set_title("TerraDesk is already running").set_description(&why).set_level(rfd::MessageLevel::Warning).show();
            std::process::exit(1);
        }
        // The data folder cannot be written: opening it below says so.
        Err(e) => {
            tracing::warn!(error = %e, "could not check for another TerraDesk");
            None
        }
    };
    let desk = match open_desk(desk_config(data_dir.clone(), Account::in_dir(&data_dir))) {
        Ok(d) => d,
        Err(e) => {
            // Nothing can work without the data folder: say why, where a user sees it.
            tracing::error!(error = %e, "TerraDesk could not open its data folder");
            eprintln!("TerraDesk could not start: {e}");
            rfd::MessageDialog::new().set_title("TerraDesk could not start").set_description(e.to_string()).set_level(rfd::MessageLevel::Error).show();
            std::process::exit(1);
        }
    };
    let app = build_app(
        tauri::Builder::default()
            .plugin(tauri_plugin_dialog::init())
            .plugin(tauri_plugin_opener::init())
            .plugin(tauri_plugin_notification::init())
            .plugin(tauri_plugin_updater::Builder::new().build()),
        &specta,
        desk.clone(),
    )
    .setup(move |app| {
        use tauri::Manager;
        tray::install(app.handle())?;
        *app.state::<LaunchFolders>().0.lock().unwrap() = launch.folder_names();
        if let Some(instance) = instance {
            let handle = app.handle().clone();
            // The thread owns the instance (and so its lock) for the life of the app.
            std::thread::Builder::new().name("later-launches".into()).spawn(move || {
                // The whole instance, not only the field the loop reads (closures capture fields).
                let instance = instance;
                for l in instance.launches.iter() {
                    on_launch(&handle, l);
                }
            })?;
        }
        Ok(())
    })
    .on_window_event(tray::on_window_event)
    .build(tauri::generate_context!())
    .expect("error while building TerraDesk");
    mount(&app, &specta);
    // Jobs left unfinished when the app last closed go on by themselves.
    tauri::async_runtime::spawn(async move {
        let resumed = desk.resume_unfinished().await;
        if !resumed.is_empty() {
            tracing::info!(jobs = resumed.len(), "resumed unfinished jobs");
        }
    });
    app.run(|_, _| {});
}

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
