//! Jobs: kinds and parameters, the durable pipeline from folder to Terra ZIP, and its history.

pub mod download;
pub mod epsg;
pub mod export;
pub mod params;
pub mod pipeline;
pub mod runner;
pub mod store;

pub use params::{presets, schema, JobKind, JobParameters, ParamSpec};
pub use pipeline::{Events, Pipeline, PipelineEvent, PipelineOptions};
pub use store::{JobRecord, JobState, JobStore};
