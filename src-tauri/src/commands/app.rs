//! Language, logs, folders: the desktop niceties.

use crate::error::CmdResult;
use crate::AppState;
use tauri::{AppHandle, Runtime, State};
use terradesk_core::settings::Settings;

#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> CmdResult<Settings> {
    let account = state.account.clone();
    crate::error::blocking(move || account.settings()).await
}

/// "auto" follows the OS; "en" or "zh-CN".
#[tauri::command]
#[specta::specta]
pub async fn set_language(state: State<'_, AppState>, language: String) -> CmdResult<Settings> {
    let account = state.account.clone();
    crate::error::blocking(move || {
        if !["auto", "en", "zh-CN"].contains(&language.as_str()) {
            return Err(terradesk_core::Error::InvalidInput(format!("\"{language}\" is not a language TerraDesk speaks")));
        }
        let mut s = account.settings()?;
        s.language = language;
        account.save_settings(&s)?;
        Ok(s)
    })
    .await
}

/// Show a file or folder in the system's file manager.
#[tauri::command]
#[specta::specta]
pub fn reveal<R: Runtime>(app: AppHandle<R>, path: String) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let p = std::path::PathBuf::from(&path);
    if !p.exists() {
        return Err(terradesk_core::Error::InvalidInput(format!("{path} is no longer there.")).into());
    }
    app.opener().reveal_item_in_dir(&p).map_err(|e| terradesk_core::Error::InvalidInput(format!("Could not open the file manager: {e}")).into())
}

/// Open the folder holding TerraDesk's log files.
#[tauri::command]
#[specta::specta]
pub fn open_log_folder<R: Runtime>(app: AppHandle<R>) -> CmdResult<String> {
    use tauri_plugin_opener::OpenerExt;
    let dir = terradesk_core::paths::log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| terradesk_core::Error::storage("create the folder", &dir, e))?;
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| terradesk_core::UserError::from(terradesk_core::Error::InvalidInput(format!("Could not open {}: {e}", dir.display()))))?;
    Ok(dir.display().to_string())
}
