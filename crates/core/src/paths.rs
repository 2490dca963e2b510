//! Where TerraDesk keeps its files. The app and the CLI share one data folder, the same one Tauri
//! calls `app_data_dir` for the bundle identifier, so a job started in one shows in the other.

use std::path::PathBuf;

pub const APP_IDENTIFIER: &str = "com.terradesk.app";

/// The data folder: `$TERRADESK_DATA_DIR` when set (tests, portable installs), else the OS's
/// per-user data folder joined with the app identifier.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TERRADESK_DATA_DIR") {
        return PathBuf::from(dir);
    }
    directories::BaseDirs::new()
        .map(|b| b.data_dir().join(APP_IDENTIFIER))
        .unwrap_or_else(|| PathBuf::from(".terradesk"))
}

pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}
