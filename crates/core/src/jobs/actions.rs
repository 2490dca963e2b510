//! What a user may do with a job, from its state and what runs for it now. The app renders these;
//! it does not decide them.

use super::store::{JobRecord, JobState};
use serde::{Deserialize, Serialize};

/// A long operation running for a job in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Upload, then processing on the server.
    Pipeline,
    Download,
    Export,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    pub kind: TaskKind,
    pub paused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobAction {
    PauseUpload,
    ResumeUpload,
    /// Go on with an unfinished job that nothing runs for.
    Continue,
    /// Stop an upload that has not reached the server's processing.
    CancelUpload,
    /// Stop the job on the server.
    Stop,
    /// Run it again as a new job on the same resource.
    Retry,
    Download,
    CancelDownload,
    Export,
    CancelExport,
    ShowResult,
    OpenFolder,
    Delete,
}

/// The actions `job` allows while `task` runs for it (or nothing does).
pub fn actions(job: &JobRecord, task: Option<TaskInfo>) -> Vec<JobAction> {
    use JobAction as A;
    let mut out = Vec::new();
    let running = |k: TaskKind| task.is_some_and(|t| t.kind == k);
    match job.state {
        JobState::Unreadable => return vec![A::Delete],
        JobState::Draft | JobState::Uploading => {
            if running(TaskKind::Pipeline) {
                out.push(if task.is_some_and(|t| t.paused) { A::ResumeUpload } else { A::PauseUpload });
            } else {
                out.push(A::Continue);
            }
            out.push(A::CancelUpload);
        }
        JobState::Queued | JobState::Submitted | JobState::Processing => {
            if !running(TaskKind::Pipeline) {
                out.push(A::Continue);
            }
            out.push(A::Stop);
        }
        JobState::Failed | JobState::Stopped => out.push(A::Retry),
        JobState::Finished | JobState::Downloading | JobState::Downloaded | JobState::Exported => {
            if running(TaskKind::Download) {
                out.push(A::CancelDownload);
            } else if running(TaskKind::Export) {
                out.push(A::CancelExport);
            } else {
                out.push(A::Download);
                if matches!(job.state, JobState::Downloaded | JobState::Exported) {
                    out.push(A::Export);
                }
                if job.state == JobState::Exported {
                    out.push(A::ShowResult);
                }
            }
        }
    }
    out.push(A::OpenFolder);
    out.push(A::Delete);
    out
}
