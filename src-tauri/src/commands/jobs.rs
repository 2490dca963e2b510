//! New job, Jobs, a job's page, results.

use crate::error::{blocking, CmdResult};
use crate::AppState;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use terradesk_core::dataset;
use terradesk_core::jobs::download::DownloadReport;
use terradesk_core::jobs::epsg::{self, CoordinateSystem};
use terradesk_core::jobs::export::ExportReport;
use terradesk_core::jobs::params::{FieldError, JobKind, JobParameters, ParamSpec, Preset};
use terradesk_core::jobs::pipeline::{dataset_problems, suggest_kind, PipelineEvent};
use terradesk_core::jobs::store::{JobEvent, JobRecord};
use terradesk_core::Error;

/// What the New job screen shows as soon as a folder is dropped or picked.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummary {
    pub root: String,
    pub name: String,
    pub file_count: u32,
    #[specta(type = f64)]
    pub total_bytes: u64,
    pub photos: u32,
    pub lidar_files: u32,
    pub skipped: Vec<dataset::SkippedFile>,
    pub suggested_kind: Option<JobKind>,
    /// Why the folder does not fit each kind (empty when it fits).
    pub problems: Vec<KindProblems>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KindProblems {
    pub kind: JobKind,
    pub problems: Vec<String>,
}

pub fn summarise(path: &std::path::Path) -> terradesk_core::Result<DatasetSummary> {
    let ds = dataset::scan(path)?;
    Ok(DatasetSummary {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        root: ds.root.clone(),
        file_count: ds.files.len() as u32,
        total_bytes: ds.total_bytes,
        photos: ds.photos,
        lidar_files: ds.lidar_files,
        skipped: ds.skipped.clone(),
        suggested_kind: suggest_kind(&ds),
        problems: JobKind::ALL.into_iter().map(|k| KindProblems { kind: k, problems: dataset_problems(k, &ds) }).collect(),
    })
}

/// Scan a folder (dropped on the window, or picked).
#[tauri::command]
#[specta::specta]
pub async fn scan_folder(path: String) -> CmdResult<DatasetSummary> {
    blocking(move || summarise(std::path::Path::new(&path))).await
}

/// The native folder dialog, then the scan. `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn pick_folder<R: Runtime>(app: AppHandle<R>) -> CmdResult<Option<DatasetSummary>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title("Choose the survey folder").pick_folder(move |f| {
        let _ = tx.send(f);
    });
    let Some(folder) = rx.await.ok().flatten() else { return Ok(None) };
    let path = folder.into_path().map_err(|e| Error::InvalidInput(format!("That folder cannot be used: {e}")))?;
    blocking(move || summarise(&path).map(Some)).await
}

#[tauri::command]
#[specta::specta]
pub fn param_schema(kind: JobKind) -> Vec<ParamSpec> {
    terradesk_core::jobs::schema(kind)
}

#[tauri::command]
#[specta::specta]
pub fn presets() -> Vec<Preset> {
    terradesk_core::jobs::presets()
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

/// Create the job and start it; progress comes over `on_event`, and to every window as
/// `JobUpdated`.
#[tauri::command]
#[specta::specta]
pub async fn start_job<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
    folder: String,
    params: JobParameters,
    on_event: Channel<PipelineEvent>,
) -> CmdResult<JobRecord> {
    let pipeline = state.pipeline().await?;
    let region = pipeline.region;
    let p = pipeline.pipeline.clone();
    let job = blocking(move || p.create(&name, std::path::Path::new(&folder), &params, region)).await?;
    state.runner.run(pipeline.pipeline, job.id, Some(crate::runner::channel_events(app, on_event)), |_| {});
    Ok(job)
}

/// Go on with a job (resume an interrupted upload, wait again for a queued job).
#[tauri::command]
#[specta::specta]
pub async fn resume_job<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64, on_event: Channel<PipelineEvent>) -> CmdResult<()> {
    let pipeline = state.pipeline_for_job(id as i64).await?;
    let id = id as i64;
    // Already running (resumed at start-up): just follow it.
    if state.runner.watch(id, crate::runner::channel_only(on_event.clone())) {
        return Ok(());
    }
    state.runner.run(pipeline.pipeline, id, Some(crate::runner::channel_events(app, on_event)), |_| {});
    Ok(())
}

/// Follow a running job's progress from a page opened later.
#[tauri::command]
#[specta::specta]
pub fn watch_job(state: State<'_, AppState>, id: f64, on_event: Channel<PipelineEvent>) -> bool {
    state.runner.watch(id as i64, crate::runner::channel_only(on_event))
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(state: State<'_, AppState>) -> CmdResult<Vec<JobRecord>> {
    let store = state.job_store()?;
    blocking(move || store.list()).await
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: JobRecord,
    pub events: Vec<JobEvent>,
    /// A pipeline runs for it in this app now.
    pub running: bool,
    pub paused: bool,
}

#[tauri::command]
#[specta::specta]
pub async fn job_detail(state: State<'_, AppState>, id: f64) -> CmdResult<JobDetail> {
    let store = state.job_store()?;
    let id = id as i64;
    let (job, events) = blocking(move || Ok((store.get(id)?, store.events(id)?))).await?;
    Ok(JobDetail { job, events, running: state.runner.is_running(id), paused: state.runner.is_paused(id) })
}

#[tauri::command]
#[specta::specta]
pub fn pause_upload(state: State<'_, AppState>, id: f64) -> bool {
    state.runner.pause(id as i64)
}

#[tauri::command]
#[specta::specta]
pub fn resume_upload(state: State<'_, AppState>, id: f64) -> bool {
    state.runner.resume(id as i64)
}

/// Stop: the server's job when it runs there; else cancel the upload.
#[tauri::command]
#[specta::specta]
pub async fn stop_job<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64) -> CmdResult<JobRecord> {
    let id = id as i64;
    state.runner.cancel(id);
    let pipeline = state.pipeline_for_job(id).await?;
    let events = crate::runner::broadcast_events(app);
    Ok(pipeline.pipeline.stop(id, &events).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn retry_job<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64, on_event: Channel<PipelineEvent>) -> CmdResult<JobRecord> {
    let pipeline = state.pipeline_for_job(id as i64).await?;
    let p = pipeline.pipeline.clone();
    let id = id as i64;
    let job = blocking(move || p.retry(id)).await?;
    state.runner.run(pipeline.pipeline, job.id, Some(crate::runner::channel_events(app, on_event)), |_| {});
    Ok(job)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_job(state: State<'_, AppState>, id: f64, remote: bool) -> CmdResult<()> {
    let id = id as i64;
    state.runner.cancel(id);
    let pipeline = state.pipeline_for_job(id).await?;
    Ok(pipeline.pipeline.delete(id, remote).await?)
}

/// One output the user may choose to download: a top-level folder or file of the result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ResultOutput {
    pub name: String,
    pub files: u32,
    #[specta(type = f64)]
    pub bytes: u64,
}

#[tauri::command]
#[specta::specta]
pub async fn result_outputs(state: State<'_, AppState>, id: f64) -> CmdResult<Vec<ResultOutput>> {
    let pipeline = state.pipeline_for_job(id as i64).await?;
    let files = pipeline.pipeline.result_files(id as i64).await?;
    let mut map: std::collections::BTreeMap<String, (u32, u64)> = Default::default();
    for f in files {
        let top = f.name.trim_start_matches('/').split(['/', '\\']).next().unwrap_or("").to_string();
        let e = map.entry(top).or_default();
        e.0 += 1;
        e.1 += f.size.unwrap_or(0).max(0) as u64;
    }
    Ok(map.into_iter().map(|(name, (files, bytes))| ResultOutput { name, files, bytes }).collect())
}

/// Download the chosen outputs (all when empty) into the job's result folder.
#[tauri::command]
#[specta::specta]
pub async fn download_result<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64, outputs: Vec<String>, on_event: Channel<PipelineEvent>) -> CmdResult<DownloadReport> {
    let pipeline = state.pipeline_for_job(id as i64).await?;
    let events = crate::runner::channel_events(app, on_event);
    Ok(pipeline.pipeline.download(id as i64, None, outputs, &events).await?)
}

/// "Export Terra ZIP": a save dialog, then the export. `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn export_zip<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64) -> CmdResult<Option<ExportReport>> {
    use tauri_plugin_dialog::DialogExt;
    let store = state.job_store()?;
    let id = id as i64;
    let job = blocking(move || store.get(id)).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the Terra ZIP")
        .set_file_name(terradesk_core::jobs::export::default_zip_name(&job.name).to_string_lossy())
        .add_filter("ZIP", &["zip"])
        .save_file(move |f| {
            let _ = tx.send(f);
        });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    let path = path.into_path().map_err(|e| Error::InvalidInput(format!("That file cannot be used: {e}")))?;
    export_to(app, state, id as f64, path.display().to_string()).await.map(Some)
}

/// The export itself, to a path (what the save dialog leads to; tests call it directly).
#[tauri::command]
#[specta::specta]
pub async fn export_to<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: f64, path: String) -> CmdResult<ExportReport> {
    let pipeline = state.pipeline_for_job(id as i64).await?;
    let events = crate::runner::broadcast_events(app);
    let p = pipeline.pipeline.clone();
    blocking(move || p.export(id as i64, std::path::Path::new(&path), &events)).await
}
