//! Settings → Account → Test connection.

use crate::error::{blocking, CmdResult};
use crate::AppState;
use tauri::State;
use terradesk_core::connection::{self, ConnectionReport, Target};

#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>) -> CmdResult<ConnectionReport> {
    let account = state.account.clone();
    let region = blocking(move || account.region()).await?;
    let sandbox_url = state.sandbox_url(region).await?;
    let account = state.account.clone();
    let target = blocking(move || Target::from_account(&account, region, sandbox_url.as_deref())).await?;
    Ok(connection::test_connection(&target).await?)
}
