//! Settings that are not secret, kept as a small JSON file in the app's data folder. Writes go to a
//! temporary file that is then renamed over the old one, so a crash never leaves half a file.

use crate::{Error, Region, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The settings file's layout version: raised when a change would be misread by an older
/// TerraDesk (a field that changes meaning); added fields do not need it.
pub const SETTINGS_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The layout version of the file ([`SETTINGS_SCHEMA`] when written by this TerraDesk; a file
    /// without one is from before versions were written, and reads as version 1).
    pub schema_version: u32,
    /// The region in use.
    pub region: Region,
    /// "auto" follows the OS; else "en" or "zh-CN".
    pub language: String,
    /// Uploads and downloads go no faster than this, in bytes per second (0: full speed). A
    /// change applies to the transfers already running.
    #[specta(type = f64)]
    pub speed_limit: u64,
    /// Use at most this share of the link, in percent, instead of a fixed rate (0: none; 50: leave
    /// half to others). The link is measured during the transfers.
    pub link_share: u8,
    /// Full speed, whatever the limit, from this local time to the next (`"19:00"` to `"07:00"`;
    /// empty: no such hours).
    pub full_speed_from: String,
    pub full_speed_to: String,
    /// The link's speed as last measured, bytes per second (0: not yet).
    #[specta(type = f64)]
    pub link_measured: u64,
    /// How to reach the network (the proxy's password is in the keychain).
    pub proxy: crate::net::ProxySettings,
    /// Draw a background map under New job's photo map, from `map_tile_url` (off: the map is
    /// drawn from the photos' coordinates alone, and nothing is fetched).
    pub map_tiles: bool,
    /// An OSM-style tile URL, with `{z}`, `{x}` and `{y}`.
    pub map_tile_url: String,
    /// Where updates are announced (a `latest.json` URL); empty: TerraDesk's own feed.
    pub update_feed: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            schema_version: SETTINGS_SCHEMA,
            region: Region::default(),
            language: "auto".into(),
            speed_limit: 0,
            link_share: 0,
            full_speed_from: String::new(),
            full_speed_to: String::new(),
            link_measured: 0,
            proxy: Default::default(),
            map_tiles: false,
            map_tile_url: crate::tiles::OSM.to_string(),
            update_feed: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SettingsFile { path: path.into() }
    }

    pub fn in_dir(dir: &Path) -> Self {
        SettingsFile::new(dir.join("settings.json"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings; the defaults when there is no file yet. A damaged file is kept aside as
    /// `settings.json.broken` and the defaults are used, so the app always starts.
    pub fn load(&self) -> Result<Settings> {
        match std::fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice::<Settings>(&bytes) {
                // A newer TerraDesk's: refused, and never written over (its new fields would go).
                Ok(s) if s.schema_version > SETTINGS_SCHEMA => {
                    Err(Error::NewerSettings { path: self.path.display().to_string(), version: s.schema_version, known: SETTINGS_SCHEMA })
                }
                Ok(s) => Ok(s),
                Err(e) => {
                    let aside = self.path.with_extension("json.broken");
                    tracing::warn!(error = %e, path = %self.path.display(), "settings file unreadable; kept aside, using defaults");
                    let _ = std::fs::rename(&self.path, &aside);
                    Ok(Settings::default())
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(Error::storage("read", &self.path, e)),
        }
    }

    pub fn save(&self, settings: &Settings) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create the folder", dir, e))?;
        let settings = Settings { schema_version: SETTINGS_SCHEMA, ..settings.clone() };
        let bytes = serde_json::to_vec_pretty(&settings).expect("settings serialise");
        write_atomically(&self.path, &bytes)
    }
}

/// Write `bytes` to `path` through a temporary file in the same folder, synced, then renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::storage("write", path, e))?;
    tmp.write_all(bytes).map_err(|e| Error::storage("write", path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::storage("write", path, e))?;
    tmp.persist(path).map_err(|e| Error::storage("replace", path, e.error))?;
    sync_dir(path);
    Ok(())
}

/// Make a rename into `path`'s folder durable (the folder's entry, not only the file's bytes).
/// Best effort: where folders cannot be synced (Windows) the rename stands as it is.
pub fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(f) = std::fs::File::open(dir) {
            let _ = f.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(&dir.path().join("nested"));
        assert_eq!(file.load().unwrap(), Settings::default());
        let proxy = crate::net::ProxySettings { mode: crate::net::ProxyMode::Manual, url: "http://p:3128".into(), username: "me".into(), no_proxy: "a.b".into() };
        let s = Settings { schema_version: SETTINGS_SCHEMA, region: Region::Cn, language: "zh-CN".into(), speed_limit: 0, link_share: 50, full_speed_from: "19:00".into(), full_speed_to: "07:00".into(), link_measured: 1, proxy, map_tiles: true, map_tile_url: "http://t/{z}/{x}/{y}.png".into(), update_feed: "https://u/latest.json".into() };
        file.save(&s).unwrap();
        assert_eq!(file.load().unwrap(), s);
    }

    #[test]
    fn damaged_file_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), b"{not json").unwrap();
        assert_eq!(file.load().unwrap(), Settings::default());
        assert!(dir.path().join("settings.json.broken").exists());
    }

    #[test]
    fn unknown_and_missing_fields_are_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), br#"{"region":"sandbox","future":1}"#).unwrap();
        let s = file.load().unwrap();
        assert_eq!(s.region, Region::Sandbox);
        assert_eq!(s.language, "auto");
    }
}
