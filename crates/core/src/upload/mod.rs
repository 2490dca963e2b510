//! The upload engine: a dataset folder into a resource of the service, fast, resumable, and never
//! losing a file. `engine.rs` holds the flow, `transfer.rs` moves one file, `pace.rs` sizes the
//! requests in flight to the link, `registrar.rs` registers files, `journal.rs` is what survives a
//! crash.

mod engine;
pub mod journal;
pub mod pace;
mod registrar;
mod storage;
mod transfer;

pub use engine::{FailedFile, UploadOptions, UploadReport, Uploader};
pub use journal::{FileState, UploadJournal};
pub use storage::{etag_of_file, hash_up_to, s3_client, StorageSession, TokenSource};
