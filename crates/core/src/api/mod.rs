//! The TerraAPI client: signed requests, the envelope, retries, and errors a user can act on.

mod client;
mod errors;
pub mod types;

pub use crate::retry::RetryPolicy;
pub use client::{Client, ClientBuilder, API_PREFIX};
pub use errors::{classify_response, measured_clock_offset};
pub use types::*;
