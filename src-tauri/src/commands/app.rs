//! The catalog, language, logs, folders, notifications: the desktop niceties.

use crate::error::CmdResult;
use tauri::{AppHandle, Runtime, State};
use terradesk_core::desk::{Catalog, JobPlace};
use terradesk_core::net::{ProxySettings, ProxyView};
use terradesk_core::settings::Settings;
use terradesk_core::{Desk, Error, JobId};

/// The fixed choices (regions, languages, kinds, presets) and the version.
#[tauri::command]
#[specta::specta]
pub fn catalog(desk: State<'_, Desk>) -> Catalog {
    desk.catalog()
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(desk: State<'_, Desk>) -> CmdResult<Settings> {
    Ok(desk.settings().await?)
}

/// "auto" follows the OS; "en" or "zh-CN".
#[tauri::command]
#[specta::specta]
pub async fn set_language(desk: State<'_, Desk>, language: String) -> CmdResult<Settings> {
    Ok(desk.set_language(language).await?)
}

/// Uploads and downloads go no faster than this, in bytes per second (0: full speed); the
/// transfers running follow the change within a fraction of a second.
#[tauri::command]
#[specta::specta]
pub async fn set_speed_limit(desk: State<'_, Desk>, bytes_per_second: f64) -> CmdResult<Settings> {
    let rate = if bytes_per_second.is_finite() && bytes_per_second > 0.0 { bytes_per_second.round() as u64 } else { 0 };
    Ok(desk.set_speed_limit(rate).await?)
}

/// Use a share of the link instead of a rate (`share` percent, 0: none; 50 leaves half to
/// others), and full speed between two local times ("19:00", "07:00"; both empty: never).
#[tauri::command]
#[specta::specta]
pub async fn set_link_limits(desk: State<'_, Desk>, share: u8, full_speed_from: String, full_speed_to: String) -> CmdResult<Settings> {
    Ok(desk.set_link_limits(share, full_speed_from, full_speed_to).await?)
}

/// What About shows: the version, the commit it was built from, where the data and logs live.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AboutInfo {
    pub version: String,
    pub commit: String,
    pub data_dir: String,
    pub log_dir: String,
    /// The system it runs on (`linux x86_64`).
    pub platform: String,
}

#[tauri::command]
#[specta::specta]
pub fn about(desk: State<'_, Desk>) -> AboutInfo {
    AboutInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        commit: env!("TERRADESK_COMMIT").into(),
        data_dir: desk.data_dir().display().to_string(),
        log_dir: terradesk_core::paths::log_dir().display().to_string(),
        platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// Whether the computer is kept awake now (files transfer), or could not be.
#[tauri::command]
#[specta::specta]
pub fn awake_state(desk: State<'_, Desk>) -> terradesk_core::awake::AwakeState {
    desk.awake()
}

/// The folders the app was started with (once: the page takes them at its start).
#[tauri::command]
#[specta::specta]
pub fn launch_folders(folders: State<'_, crate::LaunchFolders>) -> Vec<String> {
    std::mem::take(&mut *folders.0.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Where updates are looked for: a `latest.json` URL, or empty for TerraDesk's own feed.
#[tauri::command]
#[specta::specta]
pub async fn set_update_feed(desk: State<'_, Desk>, url: String) -> CmdResult<Settings> {
    Ok(desk.set_update_feed(url).await?)
}

/// The background map under New job's photo map: on or off, and its OSM-style tile URL.
#[tauri::command]
#[specta::specta]
pub async fn set_map_tiles(desk: State<'_, Desk>, on: bool, url: String) -> CmdResult<Settings> {
    Ok(desk.set_map_tiles(on, url).await?)
}

/// One background map tile, as a `data:` URL (the page's content policy loads no image from
/// the network itself; tiles come through the core, its proxy and its cache).
#[tauri::command]
#[specta::specta]
pub async fn map_tile(desk: State<'_, Desk>, z: u8, x: u32, y: u32) -> CmdResult<String> {
    use base64::Engine;
    let bytes = desk.map_tile(z, x, y).await?;
    let mime = match bytes.as_slice() {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xFF, 0xD8, ..] => "image/jpeg",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        _ => "application/octet-stream",
    };
    Ok(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The proxy settings: never the password, only whether one is stored.
#[tauri::command]
#[specta::specta]
pub async fn get_proxy(desk: State<'_, Desk>) -> CmdResult<ProxyView> {
    Ok(desk.proxy().await?)
}

/// Save the proxy settings; the password goes to the keychain (`None` keeps the stored one, an
/// empty one removes it).
#[tauri::command]
#[specta::specta]
pub async fn save_proxy(desk: State<'_, Desk>, proxy: ProxySettings, password: Option<String>) -> CmdResult<ProxyView> {
    Ok(desk.save_proxy(proxy, password.map(terradesk_core::SecretKey::new)).await?)
}

/// Show one of a job's places (its folder, its result, its ZIP) in the system's file manager. The
/// page names the job and the place, never a path.
#[tauri::command]
#[specta::specta]
pub fn reveal<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, id: JobId, place: JobPlace) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let p = desk.job_path(id, place)?;
    app.opener().reveal_item_in_dir(&p).map_err(|e| Error::OpenFailed { path: p.display().to_string(), reason: e.to_string() }.into())
}

/// Open the folder holding TerraDesk's log files.
#[tauri::command]
#[specta::specta]
pub fn open_log_folder<R: Runtime>(app: AppHandle<R>) -> CmdResult<String> {
    use tauri_plugin_opener::OpenerExt;
    let dir = terradesk_core::paths::log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error::storage("create the folder", &dir, e))?;
    let path = dir.display().to_string();
    app.opener().open_path(&path, None::<&str>).map_err(|e| Error::OpenFailed { path: path.clone(), reason: e.to_string() })?;
    Ok(path)
}

/// A desktop notification, in the words the page chose (in the user's language).
#[tauri::command]
#[specta::specta]
pub fn notify<R: Runtime>(app: AppHandle<R>, title: String, body: String) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!(error = %e, "notification not shown");
    }
}
