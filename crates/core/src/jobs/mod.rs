//! Jobs: kinds and parameters, the durable state machine from folder to Terra ZIP, its history,
//! what a user may do with a job, and the runner that drives jobs in the background.

pub mod actions;
pub mod delivery;
pub mod epsg;
pub mod fitness;
pub mod machine;
pub mod note;
pub mod params;
pub mod runner;
pub mod store;

pub use actions::{JobAction, TaskInfo, TaskKind};
pub use delivery::ResultOutput;
pub use machine::{Machine, PipelineOptions, StartOptions};
pub use note::Note;
pub use params::{presets, schema, JobKind, JobParameters, ParamSpec};
pub use store::{JobEvent, JobId, JobRecord, JobState, JobStore};
