//! One error type a user can act on, and the one shape it takes at every boundary (IPC, `--json`).
//!
//! Every error has a stable code from a closed set (`auth.wrong_keys`, `dataset.too_few_photos`…)
//! and named parameters. The app shows it in the user's language by its code; the English text
//! here is for the CLI and the logs.

use crate::jobs::JobKind;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The stable codes, each with its dotted name. The UI keeps a translation of each; a test fails
/// when one lacks it.
macro_rules! codes {
    ($($variant:ident = $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
        pub enum ErrorCode {
            $( #[serde(rename = $name)] $variant, )*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }
        }
    };
}

codes! {
    NoCredentials = "auth.no_keys",
    KeyEmpty = "auth.key_empty",
    KeyTooLong = "auth.key_too_long",
    KeyHasSpaces = "auth.key_spaces",
    KeyBadCharacters = "auth.key_characters",
    SecretMissing = "auth.secret_missing",
    Keychain = "auth.keychain",
    WrongKeys = "auth.wrong_keys",
    ClockSkew = "auth.clock_skew",
    StorageDenied = "auth.storage_denied",
    Network = "net.unreachable",
    Timeout = "net.timeout",
    Server = "server.error",
    BadAnswer = "server.bad_answer",
    Refused = "server.refused",
    NotFound = "server.not_found",
    RateLimited = "server.rate_limited",
    TooManyJobs = "job.limit_reached",
    InvalidParameters = "job.params_refused",
    JobNotFound = "job.not_found",
    JobWrongState = "job.wrong_state",
    NoResult = "job.no_result",
    NotDownloaded = "job.not_downloaded",
    JobUnreadable = "job.unreadable",
    JobBusy = "job.busy",
    JobChanged = "job.changed",
    JobFailedOnServer = "job.failed_on_server",
    FolderNotFound = "dataset.not_found",
    NotAFolder = "dataset.not_a_folder",
    NotASurvey = "dataset.not_survey",
    FolderUnreadable = "dataset.unreadable",
    NoFiles = "dataset.empty",
    DatasetProblems = "dataset.problems",
    TooFewPhotos = "dataset.too_few_photos",
    TooManyPhotos = "dataset.too_many_photos",
    NoLidar = "dataset.no_lidar",
    LidarTooLarge = "dataset.lidar_too_large",
    UploadIncomplete = "upload.incomplete",
    FileUnreadable = "upload.file_unreadable",
    FileKeepsChanging = "upload.file_changing",
    ParamsInvalid = "params.invalid",
    UnknownParameter = "params.unknown",
    BadParameterValue = "params.bad_value",
    UnknownPreset = "params.unknown_preset",
    PresetKindMismatch = "params.preset_kind",
    UnknownKind = "params.unknown_kind",
    ExportEmpty = "export.empty",
    DownloadFailed = "download.failed",
    DownloadCorrupt = "download.corrupt",
    NoDownloadUrl = "download.no_url",
    DiskFull = "disk.full",
    Disk = "disk.io",
    NewerDatabase = "disk.newer_database",
    NewerSettings = "disk.newer_settings",
    PathNotAllowed = "path.not_allowed",
    OpenFailed = "app.open_failed",
    Gone = "app.gone",
    UnknownLanguage = "app.unknown_language",
    UnknownRegion = "input.unknown_region",
    InvalidAddress = "input.bad_address",
    InvalidProxy = "net.bad_proxy",
    InvalidClock = "input.bad_time",
    ProxyAuth = "net.proxy_auth",
    SandboxUnavailable = "sandbox.unavailable",
    UpdateCheckFailed = "update.check_failed",
    UpdateBadSignature = "update.bad_signature",
    UpdateInstallFailed = "update.install_failed",
    UpdateNone = "update.none",
    Usage = "cli.usage",
    Cancelled = "cancelled",
    Internal = "internal",
}

/// What went wrong, with the facts a message needs. Each variant is one [`ErrorCode`]; its fields
/// are the code's parameters (serialised in camelCase).
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Error {
    #[error("No AccessKey and SecretKey are saved for the {} region. Open Settings → Account, enter them and press Save.", region.label())]
    NoCredentials { region: crate::Region },
    #[error("The {field} is empty. Paste it from the DJI TerraAPI console.")]
    KeyEmpty { field: String },
    #[error("The {field} is longer than any DJI key (256 characters). Check what was pasted.")]
    KeyTooLong { field: String },
    #[error("The {field} contains spaces or line breaks. Paste it again without them.")]
    KeyHasSpaces { field: String },
    #[error("The {field} contains quotes, commas or other characters no DJI key has. Paste it again from the DJI TerraAPI console.")]
    KeyBadCharacters { field: String },
    #[error("Enter the SecretKey too: none is stored for this region yet.")]
    SecretMissing,
    #[error("The system keychain could not be used: {reason}. Make sure a keychain (on Linux, GNOME Keyring or KWallet) is running and unlocked, then try again.")]
    Keychain { reason: String },

    /// The gateway says the HMAC signature does not match: the AccessKey or SecretKey is wrong.
    #[error("The AccessKey or SecretKey is wrong: DJI's server rejected the signature. Copy both keys again from the DJI TerraAPI console and save them.")]
    WrongKeys,
    /// The computer's clock is too far from the server's for a signature to be accepted.
    #[error("This computer's clock is off by {} from the server's. Set the date and time automatically in the system settings, then try again.", human_offset(*offset_secs))]
    ClockSkew { offset_secs: i64 },
    /// The storage refuses the temporary credentials the API issued (not an expiry).
    #[error("The cloud storage refused the upload credentials DJI's server issued ({code}). Check the computer's clock and the account's storage permissions, then try again; if it keeps happening, contact DJI support.")]
    StorageDenied { code: String },

    #[error("Could not reach {host}: {reason}. Check the internet connection (and proxy settings), then try again.")]
    Network { host: String, reason: String },
    #[error("{host} did not answer in time. Check the internet connection (and proxy settings), then try again.")]
    Timeout { host: String },
    #[error("DJI's server had a problem ({detail}). Nothing was lost; try again in a few minutes.")]
    Server { detail: String },
    #[error("The server gave an answer TerraDesk cannot read ({what}: {detail}). If a login page or proxy sits between this computer and the internet, sign in to it first.")]
    BadAnswer { what: String, detail: String },
    #[error("The server answered with code {api_code}: {message}")]
    Refused { api_code: i64, message: String },
    #[error("{what} was not found on the server. It may have been deleted.")]
    NotFound { what: String },
    #[error("The server asks TerraDesk to slow down. It tries again by itself in a moment.")]
    RateLimited { retry_after_secs: Option<u64> },
    /// Code 801: more than two unfinished jobs on the account.
    #[error("The account already has the most unfinished jobs DJI allows (2). TerraDesk will start this one when another finishes. Server said: {message}")]
    TooManyJobs { message: String },
    #[error("The server refused the parameters: {message}")]
    InvalidParameters { message: String },

    #[error("There is no job {id}. Run `terradesk jobs` to see the job history.")]
    JobNotFound { id: i64 },
    #[error("Job {id} is {state}: it cannot be {action} now.")]
    JobWrongState { id: i64, state: String, action: String },
    #[error("Job {id} has no result yet (it is {state}).")]
    NoResult { id: i64, state: String },
    #[error("Download job {id}'s result before exporting it (it is {state}).")]
    NotDownloaded { id: i64, state: String },
    #[error("Job {id} cannot be read from the history ({reason}). It is left as it is; delete it, or open it with the TerraDesk version that made it.")]
    JobUnreadable { id: i64, reason: String },
    #[error("Job {id} is being run by another TerraDesk (the app or a terminal). Wait for it, or close the other one.")]
    JobBusy { id: i64 },
    #[error("Job {id} changed meanwhile (it is now {state}): nothing was done. Look at it again.")]
    JobChanged { id: i64, state: String },
    #[error("The reconstruction failed on the server: {reason} Check the input, then use Retry.")]
    JobFailedOnServer { reason: String },

    #[error("The folder {path} does not exist. Check the path.")]
    FolderNotFound { path: String },
    #[error("{path} is a file, not a folder. Choose the folder that holds the photos or scans.")]
    NotAFolder { path: String },
    #[error("TerraDesk will not upload {path}: it is the whole disk, a system folder or the home folder. Choose the folder that holds the survey's photos or scans.")]
    NotASurvey { path: String },
    #[error("TerraDesk may not read the folder {path} ({reason}). Check its permissions.")]
    FolderUnreadable { path: String, reason: String },
    #[error("{path} has no files to upload{}.", if *skipped > 0 { format!(" ({skipped} skipped: hidden or system files)") } else { String::new() })]
    NoFiles { path: String, skipped: u32 },
    /// The dataset doctor found what would make the job fail.
    #[error("The survey has problems that would make the job fail: {summary} Fix them (see `terradesk doctor`), or start anyway with --force.")]
    DatasetProblems { summary: String },
    #[error("A {} needs at least {min} photos; the folder has {photos}.", kind.label())]
    TooFewPhotos { kind: JobKind, photos: u32, min: u32 },
    #[error("A {} takes at most {max} photos; the folder has {photos}. Split the survey into several jobs.", kind.label())]
    TooManyPhotos { kind: JobKind, photos: u32, max: u32 },
    #[error("A LiDAR job needs a DJI L1/L2 mission folder (.LDR, .IMU, .RTK … files); the folder has none.")]
    NoLidar,
    #[error("A LiDAR job takes at most {:.0} GB; the folder holds {:.1} GB.", *max as f64 / 1e9, *bytes as f64 / 1e9)]
    LidarTooLarge { bytes: u64, max: u64 },

    #[error("{failed} of {total} files could not be uploaded. First: {first} ({reason}). Resume the job to retry them.")]
    UploadIncomplete { failed: u32, total: u32, first: String, reason: String },
    #[error("{name} could not be read: {reason}")]
    FileUnreadable { name: String, reason: String },
    #[error("{name} keeps changing on disk while it is sent. Close the program writing to it, then resume.")]
    FileKeepsChanging { name: String },

    #[error("The parameters are not valid: {summary}")]
    ParamsInvalid { summary: String },
    #[error("{key} is not a parameter of a {} job. Known: {known}", kind.label())]
    UnknownParameter { key: String, kind: JobKind, known: String },
    #[error("{key} takes {expected}, not \"{value}\"")]
    BadParameterValue { key: String, expected: String, value: String },
    #[error("There is no preset \"{id}\"; known: {known}")]
    UnknownPreset { id: String, known: String },
    #[error("Preset {id} is for {} jobs, not {}.", preset_kind.label(), kind.label())]
    PresetKindMismatch { id: String, preset_kind: JobKind, kind: JobKind },
    #[error("\"{value}\" is not a job kind: choose 2d, 3d or lidar")]
    UnknownKind { value: String },

    #[error("{dir} holds no result files: download the results first.")]
    ExportEmpty { dir: String },
    #[error("{name} could not be downloaded: {reason}. Download again to go on from where it stopped.")]
    DownloadFailed { name: String, reason: String },
    #[error("{name} came down damaged ({reason}). Download again.")]
    DownloadCorrupt { name: String, reason: String },
    #[error("The server gave no download address for {name}.")]
    NoDownloadUrl { name: String },

    #[error("The disk holding {path} is full. Free some space, then try again: nothing was lost.")]
    DiskFull { path: String },
    #[error("TerraDesk could not {action} {path}: {reason}. Check that the disk is not full and the folder is writable.")]
    Disk { action: String, path: String, reason: String },
    #[error("The job history {path} was written by a newer TerraDesk (schema {version}; this one knows {known}). Install the newer version again; the file was not changed.")]
    NewerDatabase { path: String, version: i64, known: i64 },
    #[error("The settings {path} were written by a newer TerraDesk (version {version} of the settings; this one knows {known}). Install the newer version again; the file was not changed.")]
    NewerSettings { path: String, version: u32, known: u32 },
    #[error("{path} was not chosen in a dialog or dropped on the window, so TerraDesk will not use it. Choose it again.")]
    PathNotAllowed { path: String },
    #[error("Could not open {path}: {reason}")]
    OpenFailed { path: String, reason: String },
    #[error("{path} is no longer there.")]
    Gone { path: String },
    #[error("\"{value}\" is not a language TerraDesk speaks (auto, en, zh-CN).")]
    UnknownLanguage { value: String },
    #[error("\"{value}\" is not a region: choose us, cn or sandbox")]
    UnknownRegion { value: String },
    #[error("\"{value}\" is not a web address (expected https://…)")]
    InvalidAddress { value: String },
    #[error("The proxy \"{value}\" cannot be used: {reason}. Correct it in Settings → Network.")]
    InvalidProxy { value: String, reason: String },
    #[error("\"{value}\" is not a time of day: write it as 19:00 (both times, or neither).")]
    InvalidClock { value: String },
    /// The proxy answered 407: it wants a user name and password, or refused the ones given.
    #[error("The proxy refused the connection: it needs a user name and password, or refused the ones given. Check them in Settings → Network (or ask your IT department).")]
    ProxyAuth,
    #[error("The sandbox could not start: {reason}")]
    SandboxUnavailable { reason: String },
    #[error("Could not check for updates ({reason}). TerraDesk keeps working; try again later.")]
    UpdateCheckFailed { reason: String },
    /// The downloaded update's signature is not TerraDesk's: it may have been tampered with.
    #[error("The downloaded update {version} is not signed with TerraDesk's key, so it was not installed (it may have been damaged or tampered with). Your TerraDesk keeps working; try again later, or download TerraDesk from its website.")]
    UpdateBadSignature { version: String },
    #[error("The update {version} was downloaded and its signature checked, but could not be installed: {reason}. Your TerraDesk keeps working; install the new version from its website.")]
    UpdateInstallFailed { version: String, reason: String },
    #[error("There is no update to install: check for updates first.")]
    UpdateNone,
    #[error("{message}")]
    Usage { message: String },
    #[error("Cancelled.")]
    Cancelled,
    /// An error saved earlier (on a job), as it was.
    #[error("{}", .0.message)]
    Saved(UserError),
    #[error("Something went wrong inside TerraDesk ({detail}). Try again; if it keeps happening, send the log file to support.")]
    Internal { detail: String },
}

pub fn human_offset(secs: i64) -> String {
    let abs = secs.unsigned_abs();
    let dir = if secs > 0 { "ahead" } else { "behind" };
    if abs < 120 {
        format!("{abs} seconds ({dir})")
    } else if abs < 7200 {
        format!("{} minutes ({dir})", (abs + 30) / 60)
    } else {
        format!("{:.1} hours ({dir})", abs as f64 / 3600.0)
    }
}

impl Error {
    /// A failure of TerraDesk's own files (its database, a download, an export): a full disk is
    /// told apart.
    pub fn storage(action: &str, path: impl AsRef<Path>, source: std::io::Error) -> Self {
        let path = path.as_ref().display().to_string();
        if is_disk_full(&source) {
            return Error::DiskFull { path };
        }
        Error::Disk { action: action.to_string(), path, reason: source.to_string() }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage { message: message.into() }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Error::Internal { detail: detail.to_string() }
    }

    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Error::NoCredentials { .. } => C::NoCredentials,
            Error::KeyEmpty { .. } => C::KeyEmpty,
            Error::KeyTooLong { .. } => C::KeyTooLong,
            Error::KeyHasSpaces { .. } => C::KeyHasSpaces,
            Error::KeyBadCharacters { .. } => C::KeyBadCharacters,
            Error::SecretMissing => C::SecretMissing,
            Error::Keychain { .. } => C::Keychain,
            Error::WrongKeys => C::WrongKeys,
            Error::ClockSkew { .. } => C::ClockSkew,
            Error::StorageDenied { .. } => C::StorageDenied,
            Error::Network { .. } => C::Network,
            Error::Timeout { .. } => C::Timeout,
            Error::Server { .. } => C::Server,
            Error::BadAnswer { .. } => C::BadAnswer,
            Error::Refused { .. } => C::Refused,
            Error::NotFound { .. } => C::NotFound,
            Error::RateLimited { .. } => C::RateLimited,
            Error::TooManyJobs { .. } => C::TooManyJobs,
            Error::InvalidParameters { .. } => C::InvalidParameters,
            Error::JobNotFound { .. } => C::JobNotFound,
            Error::JobWrongState { .. } => C::JobWrongState,
            Error::NoResult { .. } => C::NoResult,
            Error::NotDownloaded { .. } => C::NotDownloaded,
            Error::JobUnreadable { .. } => C::JobUnreadable,
            Error::JobBusy { .. } => C::JobBusy,
            Error::JobChanged { .. } => C::JobChanged,
            Error::JobFailedOnServer { .. } => C::JobFailedOnServer,
            Error::FolderNotFound { .. } => C::FolderNotFound,
            Error::NotAFolder { .. } => C::NotAFolder,
            Error::NotASurvey { .. } => C::NotASurvey,
            Error::FolderUnreadable { .. } => C::FolderUnreadable,
            Error::NoFiles { .. } => C::NoFiles,
            Error::DatasetProblems { .. } => C::DatasetProblems,
            Error::TooFewPhotos { .. } => C::TooFewPhotos,
            Error::TooManyPhotos { .. } => C::TooManyPhotos,
            Error::NoLidar => C::NoLidar,
            Error::LidarTooLarge { .. } => C::LidarTooLarge,
            Error::UploadIncomplete { .. } => C::UploadIncomplete,
            Error::FileUnreadable { .. } => C::FileUnreadable,
            Error::FileKeepsChanging { .. } => C::FileKeepsChanging,
            Error::ParamsInvalid { .. } => C::ParamsInvalid,
            Error::UnknownParameter { .. } => C::UnknownParameter,
            Error::BadParameterValue { .. } => C::BadParameterValue,
            Error::UnknownPreset { .. } => C::UnknownPreset,
            Error::PresetKindMismatch { .. } => C::PresetKindMismatch,
            Error::UnknownKind { .. } => C::UnknownKind,
            Error::ExportEmpty { .. } => C::ExportEmpty,
            Error::DownloadFailed { .. } => C::DownloadFailed,
            Error::DownloadCorrupt { .. } => C::DownloadCorrupt,
            Error::NoDownloadUrl { .. } => C::NoDownloadUrl,
            Error::DiskFull { .. } => C::DiskFull,
            Error::Disk { .. } => C::Disk,
            Error::NewerDatabase { .. } => C::NewerDatabase,
            Error::NewerSettings { .. } => C::NewerSettings,
            Error::PathNotAllowed { .. } => C::PathNotAllowed,
            Error::OpenFailed { .. } => C::OpenFailed,
            Error::Gone { .. } => C::Gone,
            Error::UnknownLanguage { .. } => C::UnknownLanguage,
            Error::UnknownRegion { .. } => C::UnknownRegion,
            Error::InvalidAddress { .. } => C::InvalidAddress,
            Error::InvalidProxy { .. } => C::InvalidProxy,
            Error::InvalidClock { .. } => C::InvalidClock,
            Error::ProxyAuth => C::ProxyAuth,
            Error::SandboxUnavailable { .. } => C::SandboxUnavailable,
            Error::UpdateCheckFailed { .. } => C::UpdateCheckFailed,
            Error::UpdateBadSignature { .. } => C::UpdateBadSignature,
            Error::UpdateInstallFailed { .. } => C::UpdateInstallFailed,
            Error::UpdateNone => C::UpdateNone,
            Error::Usage { .. } => C::Usage,
            Error::Cancelled => C::Cancelled,
            Error::Saved(u) => u.code,
            Error::Internal { .. } => C::Internal,
        }
    }

    /// The code's parameters, by name (camelCase).
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        if let Error::Saved(u) = self {
            return u.params.clone();
        }
        // Externally tagged: a unit variant is a bare string, a struct variant `{Name: {…}}`.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut o)) => match o.values_mut().next().map(std::mem::take) {
                Some(serde_json::Value::Object(p)) => p,
                _ => Default::default(),
            },
            _ => Default::default(),
        }
    }

    /// Extra facts for the "Details" fold, never containing a secret.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::ClockSkew { offset_secs } => Some(format!("offset_seconds={offset_secs}")),
            Error::Refused { api_code, .. } => Some(format!("code={api_code}")),
            Error::Disk { reason, .. } => Some(reason.clone()),
            Error::Internal { detail } => Some(detail.clone()),
            Error::Saved(u) => u.detail.clone(),
            _ => None,
        }
    }

    /// Transient: worth trying again by itself, later, without the user.
    pub fn is_transient(&self) -> bool {
        // An answer that is not the service's (a captive portal, a proxy's page) passes when the
        // network does; if it stays, the bounded retries end with its "sign in first" message.
        matches!(self, Error::Network { .. } | Error::Timeout { .. } | Error::Server { .. } | Error::RateLimited { .. } | Error::BadAnswer { .. })
    }

    /// Stops every request of a run: nothing else will work until the user acts.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::WrongKeys
                | Error::ClockSkew { .. }
                | Error::NoCredentials { .. }
                | Error::StorageDenied { .. }
                | Error::DiskFull { .. }
                | Error::Disk { .. }
        )
    }
}

pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}

/// The one serialisable error shape: `{code, params, message, detail}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct UserError {
    pub code: ErrorCode,
    /// The code's parameters, for the message in the user's language.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// In English, for the CLI and the logs.
    pub message: String,
    pub detail: Option<String>,
}

impl From<Error> for UserError {
    fn from(e: Error) -> Self {
        UserError::from(&e)
    }
}

impl From<&Error> for UserError {
    fn from(e: &Error) -> Self {
        UserError { code: e.code(), params: e.params(), message: e.to_string(), detail: e.detail() }
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
                "code": "auth.clock_skew",
                "params": {"offsetSecs": -600},
                "message": "This computer's clock is off by 10 minutes (behind) from the server's. Set the date and time automatically in the system settings, then try again.",
                "detail": "offset_seconds=-600"
            })
        );
        let e: UserError = Error::WrongKeys.into();
        assert_eq!(serde_json::to_value(&e).unwrap()["detail"], serde_json::Value::Null);
        assert_eq!(serde_json::to_value(&e).unwrap()["params"], serde_json::json!({}));
        let e: UserError = Error::TooFewPhotos { kind: JobKind::Map2d, photos: 3, min: 10 }.into();
        assert_eq!(serde_json::to_value(&e).unwrap()["params"], serde_json::json!({"kind": "map2d", "photos": 3, "min": 10}));
    }

    #[test]
    fn codes_are_dotted_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(s));
            assert!(s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '_'), "{s}");
        }
    }

    #[test]
    fn a_full_disk_is_its_own_code() {
        let e = Error::storage("write", "/x", std::io::Error::from_raw_os_error(28));
        assert_eq!(e.code(), ErrorCode::DiskFull);
        let e = Error::storage("write", "/x", std::io::Error::other("boom"));
        assert_eq!(e.code(), ErrorCode::Disk);
    }

    #[test]
    fn offsets_read_as_words() {
        assert_eq!(human_offset(42), "42 seconds (ahead)");
        assert_eq!(human_offset(-3600), "60 minutes (behind)");
        assert_eq!(human_offset(3 * 3600 + 1800), "3.5 hours (ahead)");
    }
}
