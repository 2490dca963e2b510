//! One error type a user can act on, and the one shape it takes at every boundary (IPC, `--json`).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Something the user typed or chose cannot be used.
    #[error("{0}")]
    InvalidInput(String),

    /// No AccessKey/SecretKey saved for the region in use.
    #[error("No AccessKey and SecretKey are saved for the {region} region. Open Settings → Account, enter them and press Save.")]
    NoCredentials { region: &'static str },

    /// The OS keychain refused or is not there.
    #[error("The system keychain could not be used: {0}. Make sure a keychain (on Linux, GNOME Keyring or KWallet) is running and unlocked, then try again.")]
    Keychain(String),

    /// A file of TerraDesk's own could not be read or written.
    #[error("TerraDesk could not {action} {path}: {source}. Check that the disk is not full and the folder is writable.")]
    Storage {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The gateway says the HMAC signature does not match: the AccessKey or SecretKey is wrong.
    #[error("The AccessKey or SecretKey is wrong: DJI's server rejected the signature. Copy both keys again from the DJI TerraAPI console and save them.")]
    WrongKeys,

    /// The computer's clock is too far from the server's for a signature to be accepted.
    #[error("This computer's clock is off by {} from the server's. Set the date and time automatically in the system settings, then try again.", human_offset(*offset_secs))]
    ClockSkew { offset_secs: i64 },

    /// Code 801: more than two unfinished jobs on the account.
    #[error("The account already has the most unfinished jobs DJI allows (2). TerraDesk will start this one when another finishes. Server said: {message}")]
    TooManyJobs { message: String },

    #[error("{what} was not found on the server. It may have been deleted.")]
    NotFound { what: String },

    #[error("The server refused the parameters: {message}")]
    InvalidParameters { message: String },

    #[error("DJI's server had a problem ({detail}). Nothing was lost; try again in a few minutes.")]
    Server { detail: String },

    #[error("Could not reach {host}: {message}. Check the internet connection (and proxy settings), then try again.")]
    Network { host: String, message: String },

    #[error("Cancelled.")]
    Cancelled,

    /// Any other answer, with its code and message.
    #[error("The server answered with code {code}: {message}")]
    Api { code: i64, message: String },
}

fn human_offset(secs: i64) -> String {
    let abs = secs.unsigned_abs();
    let dir = if secs > 0 { "ahead" } else { "behind" };
    if abs < 120 {
        format!("{abs} seconds ({dir})")
    } else if abs < 7200 {
        format!("{} minutes ({dir})", abs / 60)
    } else {
        format!("{:.1} hours ({dir})", abs as f64 / 3600.0)
    }
}

impl Error {
    pub fn storage(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Storage { action, path: path.into(), source }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::NoCredentials { .. } => ErrorCode::NoCredentials,
            Error::Keychain(_) => ErrorCode::Keychain,
            Error::Storage { .. } => ErrorCode::Storage,
            Error::WrongKeys => ErrorCode::WrongKeys,
            Error::ClockSkew { .. } => ErrorCode::ClockSkew,
            Error::TooManyJobs { .. } => ErrorCode::TooManyJobs,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::InvalidParameters { .. } => ErrorCode::InvalidParameters,
            Error::Server { .. } => ErrorCode::Server,
            Error::Network { .. } => ErrorCode::Network,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::Api { .. } => ErrorCode::Other,
        }
    }

    /// Extra facts for the "Details" fold, never containing a secret.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::Storage { source, .. } => Some(format!("{:?}", source.kind())),
            Error::ClockSkew { offset_secs } => Some(format!("offset_seconds={offset_secs}")),
            Error::Api { code, .. } => Some(format!("code={code}")),
            _ => None,
        }
    }
}

/// What the UI can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NoCredentials,
    Keychain,
    Storage,
    WrongKeys,
    ClockSkew,
    TooManyJobs,
    NotFound,
    InvalidParameters,
    Server,
    Network,
    Cancelled,
    Other,
}

/// The one serialisable error shape: `{code, message, detail}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct UserError {
    pub code: ErrorCode,
    pub message: String,
    pub detail: Option<String>,
}

impl From<Error> for UserError {
    fn from(e: Error) -> Self {
        UserError { code: e.code(), message: e.to_string(), detail: e.detail() }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_error_json_shape_is_pinned() {
        let e: UserError = Error::ClockSkew { offset_secs: -600 }.into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "clock_skew",
                "message": "This computer's clock is off by 10 minutes (behind) from the server's. Set the date and time automatically in the system settings, then try again.",
                "detail": "offset_seconds=-600"
            })
        );
        let e: UserError = Error::WrongKeys.into();
        assert_eq!(serde_json::to_value(&e).unwrap()["detail"], serde_json::Value::Null);
    }

    #[test]
    fn offsets_read_as_words() {
        assert_eq!(human_offset(42), "42 seconds (ahead)");
        assert_eq!(human_offset(-3600), "60 minutes (behind)");
        assert_eq!(human_offset(3 * 3600 + 1800), "3.5 hours (ahead)");
    }
}
