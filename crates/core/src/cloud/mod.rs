//! The reconstruction service behind one seam: what the pipeline needs of a cloud (storage
//! credentials, an input resource, registration, a job to start, watch, stop and delete, and the
//! result's files). The TerraAPI client implements it ([`terra`]); a second service (DJI's
//! FlightHub 2 mapping API, `shared/flighthub2-api.md`) is one new module implementing the same
//! trait.
//!
//! How FlightHub 2 would fit, as far as its public description goes: it has no "create resource"
//! call: the resource arises at the first registration and its uuid is a segment of the token's
//! `store_path`, so [`Cloud::create_input`] would take it from a storage grant; and starting a
//! reconstruction creates the model, so [`Cloud::create_job`] would hand back a local placeholder
//! and [`Cloud::start_job`] would create and start in one call. Its envelope, error codes and
//! pagination differ and stay inside its module.

pub mod terra;

use crate::api::{CallbackFile, JobStatus, StoreToken};
use crate::jobs::JobKind;
use crate::Result;
use std::collections::HashMap;

pub use terra::TerraCloud;

/// A job as the service reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteJob {
    pub uuid: String,
    pub name: String,
    pub status: Option<JobStatus>,
    /// 0..1.
    pub percentage: Option<f64>,
    pub remain_seconds: Option<f64>,
    /// Why it failed, when it did.
    pub message: Option<String>,
    /// The resource holding the result, once finished.
    pub output: Option<String>,
}

impl RemoteJob {
    pub fn status(&self) -> JobStatus {
        self.status.unwrap_or(JobStatus::WaitingForStart)
    }
}

/// One file of a result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteFile {
    pub uuid: String,
    /// Its path inside the result, as the server says: untrusted.
    pub name: String,
    pub size: Option<u64>,
    /// An MD5 (hex) or ETag when the server gives one.
    pub checksum: Option<String>,
    /// A time-limited download address; `None` when it must be asked for ([`Cloud::file_url`]).
    pub url: Option<String>,
}

/// Names registered to a resource, with their ETags.
pub type Registered = HashMap<String, String>;

#[async_trait::async_trait]
pub trait Cloud: Send + Sync + 'static {
    /// The service's address, for the job record and messages.
    fn host(&self) -> &str;
    /// How to reach the service's storage and result files (the proxy the service is reached by).
    fn proxy(&self) -> crate::net::Proxy {
        crate::net::Proxy::system()
    }

    /// Temporary storage credentials for uploading.
    async fn storage_grant(&self) -> Result<StoreToken>;

    /// A new input resource named `name` (which carries the job's marker); its uuid.
    async fn create_input(&self, name: &str) -> Result<String>;
    /// The input resource whose name carries `marker`, if one was created.
    async fn find_input(&self, marker: &str) -> Result<Option<String>>;
    async fn delete_input(&self, resource: &str) -> Result<()>;

    /// Register uploaded files to a resource, with the callbackParam of the grant they went under.
    async fn register(&self, resource: &str, callback_param: &str, files: &[CallbackFile]) -> Result<()>;
    /// Every file registered to a resource (all pages).
    async fn registered(&self, resource: &str) -> Result<Registered>;

    /// A new job named `name` (which carries the job's marker); its uuid.
    async fn create_job(&self, name: &str) -> Result<String>;
    /// The job whose name carries `marker`, if one was created.
    async fn find_job(&self, marker: &str) -> Result<Option<RemoteJob>>;
    async fn start_job(&self, job: &str, kind: JobKind, resource: &str, parameters: &str) -> Result<()>;
    async fn job(&self, job: &str) -> Result<RemoteJob>;
    async fn stop_job(&self, job: &str) -> Result<()>;
    async fn delete_job(&self, job: &str) -> Result<()>;

    /// The files of a result resource (all pages), with download addresses where given.
    async fn outputs(&self, resource: &str) -> Result<Vec<RemoteFile>>;
    /// A fresh download address for one file.
    async fn file_url(&self, file: &str) -> Result<Option<String>>;
}
