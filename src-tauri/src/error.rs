//! Core errors cross IPC in one shape: `{code, message, detail}` (terradesk_core::UserError).

pub type CmdResult<T> = Result<T, terradesk_core::UserError>;

/// Turn a blocking core call into an async command result, off the main thread.
pub async fn blocking<T, F>(f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> terradesk_core::Result<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| terradesk_core::UserError {
            code: terradesk_core::ErrorCode::Other,
            message: "An internal task stopped unexpectedly. Try again; if it keeps happening, send the log file to support.".into(),
            detail: Some(e.to_string()),
        })?
        .map_err(Into::into)
}
