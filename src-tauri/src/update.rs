//! Updates, with tauri-plugin-updater: the feed (TerraDesk's, or the one set in Settings) is
//! asked for a newer version; "what's new" is shown; on the user's click the package is
//! downloaded, its signature checked against the public key built into the app (a package not
//! signed with TerraDesk's key is refused), the transfers running are paused first (and resumed
//! if the update does not happen; the restarted app resumes unfinished jobs by itself), then it is
//! installed and the app restarts.

use crate::error::CmdResult;
use serde::Serialize;
use std::sync::Mutex;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_updater::UpdaterExt;
use tauri_specta::Event;
use terradesk_core::{Desk, Error};

/// An update on offer.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInfo {
    pub version: String,
    pub current: String,
    /// What's new, as the feed says it.
    pub notes: Option<String>,
    pub date: Option<String>,
}

/// How an update's installation goes: `downloading` (bytes so far, of `total` when known),
/// `verified` (the signature is TerraDesk's), `installing`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProgress {
    pub stage: String,
    pub done: f64,
    pub total: Option<f64>,
}

/// The update last found, until it is installed.
#[derive(Default)]
pub struct PendingUpdate(pub Mutex<Option<tauri_plugin_updater::Update>>);

async fn updater<R: Runtime>(app: &AppHandle<R>, desk: &Desk) -> Result<tauri_plugin_updater::Updater, Error> {
    let settings = desk.settings().await?;
    let fail = |e: tauri_plugin_updater::Error| Error::UpdateCheckFailed { reason: e.to_string() };
    let mut b = app.updater_builder().timeout(std::time::Duration::from_secs(30));
    if !settings.update_feed.is_empty() {
        let url = settings.update_feed.parse().map_err(|_| Error::InvalidAddress { value: settings.update_feed.clone() })?;
        b = b.endpoints(vec![url]).map_err(fail)?;
    }
    // The proxy set in Settings → Network (the system's is the client's default).
    if settings.proxy.mode == terradesk_core::net::ProxyMode::Manual {
        if let Ok(url) = settings.proxy.url.parse() {
            b = b.proxy(url);
        }
    }
    b.build().map_err(fail)
}

/// Ask the feed for a newer version; `None`: this one is the newest.
#[tauri::command]
#[specta::specta]
pub async fn check_update<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, pending: State<'_, PendingUpdate>) -> CmdResult<Option<UpdateInfo>> {
    let u = updater(&app, &desk).await?;
    let found = u.check().await.map_err(|e| Error::UpdateCheckFailed { reason: e.to_string() })?;
    let info = found.as_ref().map(|f| UpdateInfo { version: f.version.clone(), current: f.current_version.clone(), notes: f.body.clone(), date: f.date.map(|d| d.to_string()) });
    tracing::info!(offered = ?info.as_ref().map(|i| &i.version), "checked for updates");
    *pending.0.lock().unwrap_or_else(|p| p.into_inner()) = found;
    Ok(info)
}

/// Install the update found by [`check_update`]: pause the transfers, download and verify,
/// install, restart. When it fails, nothing is installed and the transfers go on.
#[tauri::command]
#[specta::specta]
pub async fn install_update<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, pending: State<'_, PendingUpdate>) -> CmdResult<()> {
    let update = pending.0.lock().unwrap_or_else(|p| p.into_inner()).take().ok_or(Error::UpdateNone)?;
    let version = update.version.clone();
    let paused = desk.pause_all();
    tracing::info!(version, paused = paused.len(), "installing an update");
    let progress = |stage: &str, done: f64, total: Option<f64>| {
        let _ = UpdateProgress { stage: stage.into(), done, total }.emit(&app);
    };
    let mut done = 0f64;
    let bytes = update
        .download(
            |chunk, total| {
                done += chunk as f64;
                progress("downloading", done, total.map(|t| t as f64));
            },
            || {},
        )
        .await;
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            desk.resume_all(&paused);
            tracing::warn!(version, error = %e, "the update was not installed");
            return Err(match e {
                tauri_plugin_updater::Error::Minisign(_)
                | tauri_plugin_updater::Error::Base64(_)
                | tauri_plugin_updater::Error::SignatureUtf8(_)
                | tauri_plugin_updater::Error::SignedVersionMismatch { .. }
                | tauri_plugin_updater::Error::MissingSignedVersion => Error::UpdateBadSignature { version },
                other => Error::UpdateCheckFailed { reason: other.to_string() },
            }
            .into());
        }
    };
    progress("verified", done, Some(done));
    progress("installing", done, Some(done));
    if let Err(e) = update.install(&bytes) {
        desk.resume_all(&paused);
        tracing::warn!(version, error = %e, "the update could not be installed");
        let reason = match e {
            tauri_plugin_updater::Error::Io(ref io) if io.kind() == std::io::ErrorKind::NotFound => {
                "the system offers no way to get the rights to install it (pkexec or sudo)".to_string()
            }
            other => other.to_string(),
        };
        return Err(Error::UpdateInstallFailed { version, reason }.into());
    }
    tracing::info!(version, "update installed; restarting");
    app.restart()
}
