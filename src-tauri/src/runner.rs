//! Pipeline events into the page: a call's Channel, the app-wide `JobUpdated` event, and a
//! desktop notification when a job finishes or fails.

use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;
use terradesk_core::jobs::pipeline::{Events, PipelineEvent};
use terradesk_core::jobs::store::{JobRecord, JobState};

/// Sent to every window whenever a job changes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct JobUpdated(pub JobRecord);

pub fn broadcast_events<R: Runtime>(app: AppHandle<R>) -> Events {
    let last = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<i64, JobState>::new()));
    Arc::new(move |e| {
        if let PipelineEvent::Job(j) = &e {
            let _ = JobUpdated(j.clone()).emit(&app);
            let prev = last.lock().unwrap().insert(j.id, j.state);
            if prev != Some(j.state) {
                notify(&app, j);
            }
        }
    })
}

pub fn channel_events<R: Runtime>(app: AppHandle<R>, channel: Channel<PipelineEvent>) -> Events {
    let broadcast = broadcast_events(app);
    Arc::new(move |e| {
        let _ = channel.send(e.clone());
        broadcast(e);
    })
}

/// Progress to one page only (the job's broadcast already runs).
pub fn channel_only(channel: Channel<PipelineEvent>) -> Events {
    Arc::new(move |e| {
        let _ = channel.send(e);
    })
}

fn notify<R: Runtime>(app: &AppHandle<R>, j: &JobRecord) {
    use tauri_plugin_notification::NotificationExt;
    let (title, body) = match j.state {
        JobState::Finished => (format!("{} is ready", j.name), "The reconstruction finished. Open TerraDesk to download the result.".to_string()),
        JobState::Failed => (format!("{} failed", j.name), j.error.as_ref().map(|e| e.message.clone()).unwrap_or_else(|| "Open TerraDesk to see why.".into())),
        JobState::Exported => (format!("{} exported", j.name), j.export_path.clone().unwrap_or_default()),
        _ => return,
    };
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!(error = %e, "notification not shown");
    }
}
