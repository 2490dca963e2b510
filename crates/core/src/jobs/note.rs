//! What a job's timeline says, by code (`note.resource_created`…) with parameters, so the app
//! shows it in the user's language; the English text is for the CLI and the logs. A failure on
//! the timeline is its error: its code is the error's code.

use crate::api::JobStatus;
use crate::{Error, UserError};
use serde::Serialize;

macro_rules! note_codes {
    ($($variant:ident = $name:literal,)*) => {
        /// Every note code, for the app's translation check.
        pub const NOTE_CODES: &[&str] = &[$($name),*];

        impl Note {
            pub fn code(&self) -> String {
                match self {
                    $(Note::$variant { .. } => $name.to_string(),)*
                    Note::Failed(e) => e.code.as_str().to_string(),
                }
            }
        }
    };
}

note_codes! {
    Created = "note.created",
    RetryOf = "note.retry_of",
    StateChanged = "note.state_changed",
    ResourceCreated = "note.resource_created",
    ResourceFound = "note.resource_found",
    Uploading = "note.uploading",
    Uploaded = "note.uploaded",
    RemoteJobCreated = "note.remote_job_created",
    RemoteJobFound = "note.remote_job_found",
    Started = "note.started",
    Queued = "note.queued",
    ServerStatus = "note.server_status",
    ServerFailed = "note.server_failed",
    Stopped = "note.stopped",
    StoppedLocally = "note.stopped_locally",
    Downloading = "note.downloading",
    Downloaded = "note.downloaded",
    DownloadPaused = "note.download_paused",
    Exported = "note.exported",
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum Note {
    #[error("Job created")]
    Created,
    #[error("Retry of job {of} on the same resource")]
    RetryOf { of: i64 },
    #[error("")]
    StateChanged,
    #[error("Resource created")]
    ResourceCreated,
    #[error("Found the resource created before the interruption")]
    ResourceFound,
    #[error("Uploading the files")]
    Uploading,
    #[error("Upload complete: {files} files registered")]
    Uploaded { files: u32 },
    #[error("Job created on the server")]
    RemoteJobCreated,
    #[error("Found the job created before the interruption")]
    RemoteJobFound,
    #[error("Started on the server")]
    Started,
    #[error("Waiting for a free slot: the account already has two unfinished jobs. It starts by itself when one finishes.")]
    Queued,
    #[error("Server: {}", status.label())]
    ServerStatus { status: JobStatus },
    #[error("Failed on the server: {reason}")]
    ServerFailed { reason: String },
    #[error("Stopped")]
    Stopped,
    #[error("Stopped before it reached the server")]
    StoppedLocally,
    #[error("Downloading into {folder}")]
    Downloading { folder: String },
    #[error("Downloaded {files} files{}", if *refused > 0 { format!("; {refused} unsafe file names refused") } else { String::new() })]
    Downloaded { files: u32, refused: u32 },
    #[error("Download paused: it goes on from where it stopped when started again")]
    DownloadPaused,
    #[error("Exported {path} ({entries} files{})", if *moved > 0 { format!("; {moved} moved into the Terra layout") } else { String::new() })]
    Exported { path: String, entries: u32, moved: u32 },
    /// A failure, said by its error.
    #[error("{}", .0.message)]
    Failed(UserError),
}

impl Note {
    pub fn failed(e: &Error) -> Note {
        Note::Failed(UserError::from(e))
    }

    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        if let Note::Failed(e) = self {
            return e.params.clone();
        }
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut o)) => match o.values_mut().next().map(std::mem::take) {
                Some(serde_json::Value::Object(p)) => p,
                _ => Default::default(),
            },
            _ => Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_carry_codes_and_params() {
        let n = Note::ServerStatus { status: JobStatus::Executing };
        assert_eq!(n.code(), "note.server_status");
        assert_eq!(n.params()["status"], "executing");
        assert_eq!(n.to_string(), "Server: processing");
        let f = Note::failed(&Error::WrongKeys);
        assert_eq!(f.code(), "auth.wrong_keys");
        assert_eq!(Note::Created.params().len(), 0);
        assert!(NOTE_CODES.iter().all(|c| c.starts_with("note.")));
    }
}
