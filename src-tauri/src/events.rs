//! The façade's events into the page: one app-wide event, `DeskUpdate`, for every job view
//! (numbered, so the page keeps the newest), deletion, progress and account change.

use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use terradesk_core::{Desk, DeskEvent};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct DeskUpdate(pub DeskEvent);

/// Folders a later launch of the app was given (dropped on its icon, `terradesk-app DIR`): New
/// job opens with them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct OpenFolders(pub Vec<String>);

/// Forward every event of `desk` to the page, for the life of the app.
pub fn forward<R: Runtime>(app: AppHandle<R>, desk: Desk) {
    let mut rx = desk.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let _ = DeskUpdate(e).emit(&app);
                }
                // Fell behind: the page reloads what it shows on the next job view.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::debug!(missed = n, "page events lagged"),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
