//! The upload engine: a dataset folder into a TerraAPI resource, fast, resumable, and never losing
//! a file. See `engine.rs` for the flow and `journal.rs` for what survives a crash.

mod control;
mod engine;
pub mod journal;
mod progress;
mod storage;

pub use control::{RunState, UploadControl};
pub use engine::{UploadOptions, UploadReport, Uploader};
pub use journal::{FileState, UploadJournal};
pub use progress::UploadProgress;
pub use storage::{etag_of_file, s3_client, StorageSession, TokenSource};
