//! A dataset: the files of a folder the user chose, as they will be uploaded. Names are relative,
//! with `/` separators. Hidden and system files are skipped, and the user is told which and why.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Photo,
    Lidar,
    Other,
}

impl FileKind {
    pub fn of(name: &str) -> FileKind {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" | "dng" | "heic" | "heif" | "tif" | "tiff" => FileKind::Photo,
            "ldr" | "imu" | "rtk" | "rtb" | "rtl" | "rts" | "clc" | "cli" | "sig" | "las" | "laz" | "lpc" => FileKind::Lidar,
            _ => FileKind::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DatasetFile {
    /// Path relative to the dataset folder, `/`-separated: the object name and the registered name.
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
    #[specta(type = f64)]
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (to notice a file that changed).
    #[specta(type = f64)]
    pub mtime_ns: i64,
    pub kind: FileKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SkippedFile {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    pub root: String,
    pub files: Vec<DatasetFile>,
    pub skipped: Vec<SkippedFile>,
    #[specta(type = f64)]
    pub total_bytes: u64,
    pub photos: u32,
    pub lidar_files: u32,
}

/// Names that are never survey data.
const SYSTEM_FILES: &[&str] = &["thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r", ".ds_store", "$recycle.bin", "system volume information"];

fn skip_reason(name: &str, is_dir: bool) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if SYSTEM_FILES.contains(&lower.as_str()) {
        return Some(if is_dir { "system folder" } else { "system file (made by the operating system, not survey data)" });
    }
    if name.starts_with("._") {
        return Some("macOS resource fork (not survey data)");
    }
    if name.starts_with('.') {
        return Some(if is_dir { "hidden folder" } else { "hidden file" });
    }
    if !is_dir && (lower.ends_with(".tmp") || lower.ends_with(".part") || lower.ends_with('~')) {
        return Some("temporary file");
    }
    None
}

/// Scan `root` recursively. Files come back sorted by name.
pub fn scan(root: &Path) -> Result<Dataset> {
    let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::FolderNotFound { path: root.display().to_string() },
        std::io::ErrorKind::PermissionDenied => {
            Error::FolderUnreadable { path: root.display().to_string(), reason: e.to_string() }
        }
        _ => Error::storage("read", root, e),
    })?;
    if !meta.is_dir() {
        return Err(Error::NotAFolder { path: root.display().to_string() });
    }
    let mut ds = Dataset {
        root: root.display().to_string(),
        files: Vec::new(),
        skipped: Vec::new(),
        total_bytes: 0,
        photos: 0,
        lidar_files: 0,
    };
    let mut seen = Seen::default();
    seen.first(root);
    walk(root, "", &mut ds, 0, &mut seen)?;
    ds.files.sort_by(|a, b| a.name.cmp(&b.name));
    ds.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ds)
}

/// The folders walked so far (by device and inode where there are such, else by their real path),
/// and the names taken: a link back to a folder already walked is a loop, and two names that
/// differ only in how "é" is spelled in Unicode would be one name on the server.
#[derive(Default)]
struct Seen {
    dirs: std::collections::HashSet<(u64, u64)>,
    paths: std::collections::HashSet<PathBuf>,
    names: std::collections::HashSet<String>,
}

impl Seen {
    /// Whether `dir` is walked for the first time.
    fn first(&mut self, dir: &Path) -> bool {
        #[cfg(unix)]
        if let Ok(m) = std::fs::metadata(dir) {
            use std::os::unix::fs::MetadataExt;
            return self.dirs.insert((m.dev(), m.ino()));
        }
        self.paths.insert(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()))
    }
}

fn walk(dir: &Path, prefix: &str, ds: &mut Dataset, depth: usize, seen: &mut Seen) -> Result<()> {
    if depth > 64 {
        ds.skipped.push(SkippedFile { name: prefix.trim_end_matches('/').into(), reason: "folders nested too deeply (a link loop?)".into() });
        return Ok(());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if depth > 0 => {
            ds.skipped.push(SkippedFile { name: prefix.trim_end_matches('/').into(), reason: format!("folder could not be read: {e}") });
            return Ok(());
        }
        Err(e) => return Err(Error::storage("read", dir, e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                ds.skipped.push(SkippedFile { name: format!("{prefix}?"), reason: format!("entry could not be read: {e}") });
                continue;
            }
        };
        let os_name = entry.file_name();
        let Some(name) = os_name.to_str() else {
            ds.skipped.push(SkippedFile {
                name: format!("{prefix}{}", os_name.to_string_lossy()),
                reason: "name is not valid Unicode: rename the file".into(),
            });
            continue;
        };
        // Names go to the server composed (NFC), as macOS shows them and Windows stores them.
        let rel: String = {
            use unicode_normalization::UnicodeNormalization;
            format!("{prefix}{name}").nfc().collect()
        };
        let path = entry.path();
        // Follow links to files and folders as the user sees them.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                ds.skipped.push(SkippedFile { name: rel, reason: format!("could not be read: {e}") });
                continue;
            }
        };
        if let Some(reason) = skip_reason(name, meta.is_dir()) {
            ds.skipped.push(SkippedFile { name: rel, reason: reason.into() });
            continue;
        }
        if meta.is_dir() {
            if !seen.first(&path) {
                ds.skipped.push(SkippedFile { name: rel, reason: "a link back to a folder already in the survey (a loop): skipped".into() });
                continue;
            }
            walk(&path, &format!("{rel}/"), ds, depth + 1, seen)?;
        } else if meta.is_file() {
            if !seen.names.insert(rel.clone()) {
                ds.skipped.push(SkippedFile { name: rel, reason: "another file has the same name (spelled differently in Unicode): rename one".into() });
                continue;
            }
            if let Err(e) = std::fs::File::open(&path) {
                ds.skipped.push(SkippedFile { name: rel, reason: format!("could not be read: {e}") });
                continue;
            }
            let kind = FileKind::of(name);
            match kind {
                FileKind::Photo => ds.photos += 1,
                FileKind::Lidar => ds.lidar_files += 1,
                FileKind::Other => {}
            }
            ds.total_bytes += meta.len();
            ds.files.push(DatasetFile { name: rel, path, size: meta.len(), mtime_ns: mtime_ns(&meta), kind });
        } else {
            ds.skipped.push(SkippedFile { name: rel, reason: "not a regular file".into() });
        }
    }
    Ok(())
}

pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_nested_skips_hidden_and_system_files() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("flight 1/sub")).unwrap();
        std::fs::create_dir_all(r.join(".git")).unwrap();
        std::fs::write(r.join("flight 1/DJI_0001.JPG"), b"abc").unwrap();
        std::fs::write(r.join("flight 1/sub/航测 ü.jpg"), b"").unwrap();
        std::fs::write(r.join("scan.LDR"), b"12345").unwrap();
        std::fs::write(r.join(".DS_Store"), b"x").unwrap();
        std::fs::write(r.join("Thumbs.db"), b"x").unwrap();
        std::fs::write(r.join("._DJI_0001.JPG"), b"x").unwrap();
        std::fs::write(r.join(".git/config"), b"x").unwrap();
        let ds = scan(r).unwrap();
        let names: Vec<&str> = ds.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["flight 1/DJI_0001.JPG", "flight 1/sub/航测 ü.jpg", "scan.LDR"]);
        assert_eq!(ds.photos, 2);
        assert_eq!(ds.lidar_files, 1);
        assert_eq!(ds.total_bytes, 8);
        let skipped: Vec<&str> = ds.skipped.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(skipped, [".DS_Store", "._DJI_0001.JPG", ".git", "Thumbs.db"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_skipped_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("flight-1");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("DJI_0001.JPG"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path(), sub.join("back-to-top")).unwrap();
        let ds = scan(dir.path()).unwrap();
        assert_eq!(ds.files.len(), 1);
        assert!(ds.skipped.iter().any(|s| s.name == "flight-1/back-to-top" && s.reason.contains("loop")), "{:?}", ds.skipped);
    }

    #[test]
    fn names_are_composed_and_unicode_twins_are_not_sent_twice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cafe\u{301}.jpg"), b"x").unwrap();
        let ds = scan(dir.path()).unwrap();
        assert_eq!(ds.files[0].name, "caf\u{e9}.jpg");
        // A second, composed, spelling of the same name (Linux keeps both).
        std::fs::write(dir.path().join("caf\u{e9}.jpg"), b"y").unwrap();
        let ds = scan(dir.path()).unwrap();
        assert_eq!(ds.files.len(), 1);
        assert_eq!(ds.skipped.len(), 1);
    }

    #[test]
    fn missing_and_file_roots_are_explained() {
        let e = scan(Path::new("/definitely/not/here")).unwrap_err();
        assert!(e.to_string().contains("does not exist"));
        let f = tempfile::NamedTempFile::new().unwrap();
        assert!(scan(f.path()).unwrap_err().to_string().contains("not a folder"));
    }
}
