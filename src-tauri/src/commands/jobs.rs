//! New job, Jobs, a job's page, results: each command a call into the façade.

use crate::error::CmdResult;
use tauri::{AppHandle, Runtime, State};
use terradesk_core::desk::{DatasetSummary, JobDetail, JobView};
use terradesk_core::jobs::epsg::{self, CoordinateSystem};
use terradesk_core::jobs::params::{FieldError, JobKind, JobParameters, ParamSpec};
use terradesk_core::jobs::{ResultOutput, StartOptions};
use terradesk_core::{Desk, Error, JobId};

/// Scan a folder (dropped on the window, or picked).
#[tauri::command]
#[specta::specta]
pub async fn scan_folder(desk: State<'_, Desk>, path: String) -> CmdResult<DatasetSummary> {
    Ok(desk.scan(std::path::Path::new(&path)).await?)
}

/// The dataset doctor on a folder for a job of `kind`: each photo's position and camera, and
/// what would make the job fail or come back poor.
#[tauri::command]
#[specta::specta]
pub async fn doctor(
    desk: State<'_, Desk>,
    path: String,
    kind: Option<terradesk_core::jobs::JobKind>,
    options: terradesk_core::jobs::StartOptions,
) -> CmdResult<terradesk_core::doctor::DoctorReport> {
    Ok(desk.doctor(std::path::Path::new(&path), kind, &options).await?)
}

/// The native folder dialog, then the scan. `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn pick_folder<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, title: String) -> CmdResult<Option<DatasetSummary>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title(title).pick_folder(move |f| {
        let _ = tx.send(f);
    });
    let Some(folder) = rx.await.ok().flatten() else { return Ok(None) };
    let path = folder.into_path().map_err(|e| Error::PathNotAllowed { path: e.to_string() })?;
    Ok(Some(desk.scan(&path).await?))
}

#[tauri::command]
#[specta::specta]
pub fn param_schema(kind: JobKind) -> Vec<ParamSpec> {
    terradesk_core::jobs::schema(kind)
}

/// Every field error, said next to its field, before Start.
#[tauri::command]
#[specta::specta]
pub fn validate_params(params: JobParameters) -> Vec<FieldError> {
    params.validate().err().unwrap_or_default()
}

#[tauri::command]
#[specta::specta]
pub fn search_coordinate_systems(query: String) -> Vec<CoordinateSystem> {
    epsg::search(&query, 30)
}

/// Create the job and start it.
#[tauri::command]
#[specta::specta]
pub async fn start_job(desk: State<'_, Desk>, name: String, folder: String, params: JobParameters, options: StartOptions) -> CmdResult<JobView> {
    Ok(desk.start_job_with(&name, std::path::Path::new(&folder), &params, &options).await?)
}

/// Go on with an unfinished job that nothing runs for.
#[tauri::command]
#[specta::specta]
pub async fn continue_job(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    Ok(desk.continue_job(id).await?)
}

/// Pause its upload or download.
#[tauri::command]
#[specta::specta]
pub fn pause_job(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    Ok(desk.pause(id)?)
}

#[tauri::command]
#[specta::specta]
pub fn resume_job(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    Ok(desk.resume(id)?)
}

/// Cancel what runs for it (a download or an export; either goes on later from where it stopped).
#[tauri::command]
#[specta::specta]
pub async fn cancel_task(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    desk.cancel(id).await;
    Ok(desk.view(id)?)
}

/// Stop: the server's job when it runs there; else the upload.
#[tauri::command]
#[specta::specta]
pub async fn stop_job(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    Ok(desk.stop(id).await?)
}

/// Run a failed or stopped job again as a new job; the new job's view.
#[tauri::command]
#[specta::specta]
pub async fn retry_job(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobView> {
    Ok(desk.retry(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_job(desk: State<'_, Desk>, id: JobId, remote: bool) -> CmdResult<()> {
    Ok(desk.delete(id, remote).await?)
}

#[tauri::command]
#[specta::specta]
pub fn list_jobs(desk: State<'_, Desk>) -> CmdResult<Vec<JobView>> {
    Ok(desk.list()?)
}

#[tauri::command]
#[specta::specta]
pub fn job_detail(desk: State<'_, Desk>, id: JobId) -> CmdResult<JobDetail> {
    Ok(desk.detail(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn result_outputs(desk: State<'_, Desk>, id: JobId) -> CmdResult<Vec<ResultOutput>> {
    Ok(desk.outputs(id).await?)
}

/// Download the chosen outputs (all when empty) into the job's result folder, in the background.
#[tauri::command]
#[specta::specta]
pub async fn download_result(desk: State<'_, Desk>, id: JobId, outputs: Vec<String>) -> CmdResult<JobView> {
    Ok(desk.download(id, outputs, None).await?)
}

/// "Export Terra ZIP": a save dialog (titled in the page's language), then the export in the
/// background. `None` when the user cancels. The page never names the path: only the dialog does.
#[tauri::command]
#[specta::specta]
pub async fn export_zip<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, id: JobId, title: String) -> CmdResult<Option<JobView>> {
    use tauri_plugin_dialog::DialogExt;
    let job = desk.view(id)?.job;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .set_file_name(terradesk_core::results::default_zip_name(&job.name).to_string_lossy())
        .add_filter("ZIP", &["zip"])
        .save_file(move |f| {
            let _ = tx.send(f);
        });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    let path = path.into_path().map_err(|e| Error::PathNotAllowed { path: e.to_string() })?;
    Ok(Some(desk.export(id, path).await?))
}
