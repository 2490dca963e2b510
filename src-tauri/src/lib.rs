//! The desktop shell: windows, IPC commands and app setup. Every decision lives in terradesk-core.

pub mod commands;
pub mod error;

use terradesk_core::{Account, Region};
use terradesk_sandbox::{Sandbox, SandboxConfig};
use tokio::sync::OnceCell;

/// What every command can reach.
pub struct AppState {
    pub account: Account,
    /// The built-in sandbox, started the first time the Sandbox region needs it.
    sandbox: OnceCell<Sandbox>,
    /// A sandbox running elsewhere (`TERRADESK_SANDBOX_URL`), used instead of the built-in one.
    external_sandbox: Option<String>,
    data_dir: std::path::PathBuf,
}

impl AppState {
    pub fn new(data_dir: std::path::PathBuf) -> Self {
        AppState {
            account: Account::in_dir(&data_dir),
            sandbox: OnceCell::new(),
            external_sandbox: std::env::var("TERRADESK_SANDBOX_URL").ok().filter(|s| !s.is_empty()),
            data_dir,
        }
    }

    pub fn with_account(account: Account, data_dir: std::path::PathBuf) -> Self {
        AppState { account, ..AppState::new(data_dir) }
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
                Sandbox::start(SandboxConfig { data_dir: Some(dir.clone()), ..Default::default() })
                    .await
                    .map_err(|e| terradesk_core::Error::storage("start the sandbox in", dir.clone(), e))
            })
            .await?;
        Ok(Some(sandbox.url().to_string()))
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
            ])
            .events(tauri_specta::collect_events![account::AccountChanged])
    }};
}

/// The TypeScript bindings, as generated from the Rust types.
pub fn typescript_bindings() -> String {
    let dir = tempfile_dir();
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

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("terradesk-bindings-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn app_state() -> AppState {
    AppState::new(terradesk_core::paths::data_dir())
}

/// Build the app on any runtime, with the given state (tests pass their own). Call
/// [`mount`] on the built app before using it.
pub fn build_app<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    specta: &tauri_specta::Builder<R>,
    state: AppState,
) -> tauri::Builder<R> {
    builder.manage(state).invoke_handler(specta.invoke_handler())
}

/// What needs the built app: typed events.
pub fn mount<R: tauri::Runtime>(app: &tauri::App<R>, specta: &tauri_specta::Builder<R>) {
    specta.mount_events(app);
}

pub fn run() {
    init_logging();
    let specta = specta_builder!(tauri::Wry);
    let app = build_app(tauri::Builder::default(), &specta, app_state())
        .build(tauri::generate_context!())
        .expect("error while building TerraDesk");
    mount(&app, &specta);
    app.run(|_, _| {});
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .try_init();
}
