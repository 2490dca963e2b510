//! Settings → Account.

use crate::error::{blocking, CmdResult};
use crate::AppState;
use tauri::State;
use tauri_specta::Event;
use terradesk_core::{AccountView, Region, SecretKey};

/// Sent to every window when the account changes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct AccountChanged(pub AccountView);

#[tauri::command]
#[specta::specta]
pub async fn get_account(state: State<'_, AppState>) -> CmdResult<AccountView> {
    let account = state.account.clone();
    blocking(move || account.view()).await
}

#[tauri::command]
#[specta::specta]
pub async fn select_region<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>, region: Region) -> CmdResult<AccountView> {
    let account = state.account.clone();
    let view = blocking(move || account.select_region(region)).await?;
    let _ = AccountChanged(view.clone()).emit(&app);
    Ok(view)
}

#[tauri::command]
#[specta::specta]
pub async fn save_account<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    region: Region,
    access_key: String,
    secret_key: Option<String>,
) -> CmdResult<AccountView> {
    let account = state.account.clone();
    let secret_key = secret_key.map(SecretKey::new);
    let view = blocking(move || account.save(region, &access_key, secret_key)).await?;
    let _ = AccountChanged(view.clone()).emit(&app);
    Ok(view)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_account<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>, region: Region) -> CmdResult<AccountView> {
    let account = state.account.clone();
    let view = blocking(move || account.delete(region)).await?;
    let _ = AccountChanged(view.clone()).emit(&app);
    Ok(view)
}
