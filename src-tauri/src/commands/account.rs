//! Settings → Account.

use crate::error::CmdResult;
use tauri::State;
use terradesk_core::connection::ConnectionReport;
use terradesk_core::{AccountView, Desk, Region, SecretKey};

#[tauri::command]
#[specta::specta]
pub async fn get_account(desk: State<'_, Desk>) -> CmdResult<AccountView> {
    Ok(desk.account().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn select_region(desk: State<'_, Desk>, region: Region) -> CmdResult<AccountView> {
    Ok(desk.select_region(region).await?)
}

/// `secret_key: None` (or empty) keeps the stored SecretKey.
#[tauri::command]
#[specta::specta]
pub async fn save_account(desk: State<'_, Desk>, region: Region, access_key: String, secret_key: Option<String>) -> CmdResult<AccountView> {
    Ok(desk.save_account(region, access_key, secret_key.map(SecretKey::new)).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_account(desk: State<'_, Desk>, region: Region) -> CmdResult<AccountView> {
    Ok(desk.delete_account(region).await?)
}

/// Test the keys typed in the form (`access_key` given; the SecretKey left out means the stored
/// one), or the stored keys of `region`.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(desk: State<'_, Desk>, region: Region, access_key: Option<String>, secret_key: Option<String>) -> CmdResult<ConnectionReport> {
    let keys = access_key.filter(|a| !a.trim().is_empty()).map(|a| (a, secret_key.map(SecretKey::new)));
    Ok(desk.test_connection(region, keys).await?)
}
