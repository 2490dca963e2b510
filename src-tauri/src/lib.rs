//! The desktop shell: windows, IPC commands and app setup. Every decision lives in terradesk-core.

pub mod commands;
pub mod error;

use terradesk_core::Account;

/// What every command can reach.
pub struct AppState {
    pub account: Account,
}

/// The commands and events the web page can use; also what generates `ui/src/lib/bindings.ts`.
pub fn specta_builder<R: tauri::Runtime>() -> tauri_specta::Builder<R> {
    use commands::*;
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            account::get_account,
            account::select_region::<R>,
            account::save_account::<R>,
            account::delete_account::<R>,
        ])
        .events(tauri_specta::collect_events![account::AccountChanged])
}

/// The TypeScript bindings, as generated from the Rust types.
pub fn typescript_bindings() -> String {
    let dir = tempfile_dir();
    let path = dir.join("bindings.ts");
    specta_builder::<tauri::Wry>()
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

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("terradesk-bindings-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn app_state() -> AppState {
    AppState { account: Account::in_dir(&terradesk_core::paths::data_dir()) }
}

/// Build the app on any runtime, with the given state (tests pass their own).
pub fn build_app<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    let specta = specta_builder::<R>();
    builder
        .manage(state)
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            specta.mount_events(app);
            Ok(())
        })
}

pub fn run() {
    init_logging();
    build_app(tauri::Builder::default(), app_state())
        .run(tauri::generate_context!())
        .expect("error while running TerraDesk");
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .try_init();
}
