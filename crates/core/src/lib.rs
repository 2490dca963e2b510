//! TerraDesk's core: everything that matters, with no Tauri in sight.
//!
//! The desktop app (`src-tauri`) and the CLI (`crates/cli`) are two thin faces on this crate,
//! through one façade: [`Desk`].

pub mod account;
pub mod awake;
pub mod api;
pub mod cloud;
pub mod connection;
pub mod control;
pub mod credentials;
pub mod dataset;
pub mod db;
pub mod desk;
pub mod doctor;
pub mod error;
pub mod hooks;
pub mod instance;
pub mod jobs;
pub mod net;
pub mod paths;
pub mod progress;
pub mod region;
pub mod results;
pub mod retry;
pub mod secret;
pub mod settings;
pub mod signing;
pub mod throttle;
pub mod tiles;
pub mod units;
pub mod upload;

pub use account::{Account, AccountView};
pub use desk::{Desk, DeskConfig, DeskEvent};
pub use error::{Error, ErrorCode, Result, UserError};
pub use jobs::JobId;
pub use region::Region;
pub use secret::SecretKey;
