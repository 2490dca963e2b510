//! TerraDesk's core: everything that matters, with no Tauri in sight.
//!
//! The desktop app (`src-tauri`) and the CLI (`crates/cli`) are two thin faces on this crate.

pub mod account;
pub mod credentials;
pub mod dataset;
pub mod db;
pub mod upload;
pub mod error;
pub mod jobs;
pub mod paths;
pub mod region;
pub mod secret;
pub mod settings;

pub use account::{Account, AccountView};
pub use error::{Error, ErrorCode, Result, UserError};
pub use region::Region;
pub use secret::SecretKey;
pub mod api;
pub mod connection;
pub mod signing;
