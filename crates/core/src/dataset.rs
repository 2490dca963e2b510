//! A dataset: the files of a folder the user chose, as they will be uploaded. Names are relative,
//! with `/` separators. Hidden and system files are skipped, and the user is told which and why.
//! Photos are recognised by their content (a JPEG, TIFF or HEIF signature), not by their name: a
//! file of other bytes named `.JPG` is named to the user as not an image.

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
    /// The kind a name suggests. A photo-like name is a photo only if its content says so
    /// ([`sniff`]).
    pub fn of(name: &str) -> FileKind {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" | "dng" | "heic" | "heif" | "tif" | "tiff" => FileKind::Photo,
            "ldr" | "imu" | "rtk" | "rtb" | "rtl" | "rts" | "clc" | "cli" | "sig" | "ldrt" | "rpt" | "rpos" | "las" | "laz" | "lpc" => FileKind::Lidar,
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
    /// Named like a photo, but its bytes are not an image.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_an_image: bool,
}

/// Why a file is not part of the upload; the app words it from the code, `reason` is the English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SkipCode {
    SystemFile,
    ResourceFork,
    Hidden,
    Temporary,
    Unreadable,
    NotUnicode,
    UnicodeTwin,
    LinkLoop,
    NotRegular,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SkippedFile {
    pub name: String,
    pub code: SkipCode,
    pub reason: String,
}

impl SkippedFile {
    fn new(name: impl Into<String>, code: SkipCode, reason: impl Into<String>) -> SkippedFile {
        SkippedFile { name: name.into(), code, reason: reason.into() }
    }
}

/// A file that will be uploaded though it is neither a photo nor a LiDAR file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OtherFile {
    pub name: String,
    #[specta(type = f64)]
    pub size: u64,
    /// Named like a photo, but not an image.
    pub not_an_image: bool,
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
    /// Photos (JPEG) that carry no EXIF block: no position, camera or time for the cloud.
    #[serde(default)]
    pub photos_without_exif: u32,
}

impl Dataset {
    /// The files that are neither photos nor LiDAR files.
    pub fn others(&self) -> impl Iterator<Item = &DatasetFile> {
        self.files.iter().filter(|f| f.kind == FileKind::Other)
    }

    /// The dataset without its other files (for a job that leaves them out).
    pub fn without_others(self) -> Dataset {
        self.without(|f| f.kind == FileKind::Other)
    }

    /// The dataset without the files `leave` picks (nothing moves on disk); its counts follow.
    pub fn without(mut self, leave: impl Fn(&DatasetFile) -> bool) -> Dataset {
        self.files.retain(|f| !leave(f));
        self.total_bytes = self.files.iter().map(|f| f.size).sum();
        self.photos = self.files.iter().filter(|f| f.kind == FileKind::Photo).count() as u32;
        self.lidar_files = self.files.iter().filter(|f| f.kind == FileKind::Lidar).count() as u32;
        // Which photos lacked EXIF is not kept per file: at most what remains.
        self.photos_without_exif = self.photos_without_exif.min(self.photos);
        self
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg { exif: bool },
    Tiff,
    Heif,
    NotAnImage,
}

/// Reads the start of `path` (and, for a JPEG, the headers of its segments up to the image data)
/// to say what it is.
pub fn sniff(path: &Path) -> std::io::Result<Sniffed> {
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; 16];
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Sniffed::Jpeg { exif: jpeg_has_exif(&mut f)? });
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Ok(Sniffed::Tiff);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1") {
        return Ok(Sniffed::Heif);
    }
    Ok(Sniffed::NotAnImage)
}

fn read_up_to(f: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Walks a JPEG's segment headers (seeking past each body) until an APP1 `Exif` segment or the
/// start of the image data.
fn jpeg_has_exif(f: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut at: u64 = 2; // after SOI
    for _ in 0..256 {
        f.seek(SeekFrom::Start(at))?;
        let mut h = [0u8; 10];
        let n = read_up_to(f, &mut h)?;
        if n < 4 || h[0] != 0xFF {
            return Ok(false);
        }
        let marker = h[1];
        // Standalone markers carry no length.
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 || marker == 0xFF {
            at += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return Ok(false); // image data (or its end): no EXIF before it
        }
        let len = u16::from_be_bytes([h[2], h[3]]) as u64;
        if len < 2 {
            return Ok(false);
        }
        if marker == 0xE1 && n >= 10 && &h[4..10] == b"Exif\0\0" {
            return Ok(true);
        }
        at += 2 + len;
    }
    Ok(false)
}

/// Names that are never survey data.
const SYSTEM_FILES: &[&str] = &["thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r", ".ds_store", "$recycle.bin", "system volume information"];

fn skip_reason(name: &str, is_dir: bool) -> Option<(SkipCode, &'static str)> {
    let lower = name.to_ascii_lowercase();
    if SYSTEM_FILES.contains(&lower.as_str()) {
        return Some((SkipCode::SystemFile, if is_dir { "system folder" } else { "system file (made by the operating system, not survey data)" }));
    }
    if name.starts_with("._") {
        return Some((SkipCode::ResourceFork, "macOS resource fork (not survey data)"));
    }
    if name.starts_with('.') {
        return Some((SkipCode::Hidden, if is_dir { "hidden folder" } else { "hidden file" }));
    }
    if !is_dir && (lower.ends_with(".tmp") || lower.ends_with(".part") || lower.ends_with('~')) {
        return Some((SkipCode::Temporary, "temporary file"));
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
        photos_without_exif: 0,
    };
    let mut seen = Seen::default();
    seen.first(root);
    walk(root, "", &mut ds, 0, &mut seen)?;
    sniff_photos(&mut ds);
    for f in &ds.files {
        match f.kind {
            FileKind::Photo => ds.photos += 1,
            FileKind::Lidar => ds.lidar_files += 1,
            FileKind::Other => {}
        }
        ds.total_bytes += f.size;
    }
    ds.files.sort_by(|a, b| a.name.cmp(&b.name));
    ds.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ds)
}

/// Reads the start of every photo-named file, several at once (a survey fresh from an SD card is
/// not in the page cache: one small read per photo, each waiting on the disk, adds up to seconds
/// for 20,000 photos when done one after another). Files that are not images become "other";
/// unreadable ones are skipped, with why.
fn sniff_photos(ds: &mut Dataset) {
    let photos: Vec<usize> = ds.files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::Photo).map(|(i, _)| i).collect();
    if photos.is_empty() {
        return;
    }
    // 16 reads in flight: each thread takes one slice of the photos, in order.
    let files = &ds.files;
    let results: Vec<std::io::Result<Sniffed>> = std::thread::scope(|s| {
        let threads: Vec<_> = photos.chunks(photos.len().div_ceil(16)).map(|chunk| s.spawn(move || chunk.iter().map(|&i| sniff(&files[i].path)).collect::<Vec<_>>())).collect();
        threads.into_iter().flat_map(|t| t.join().expect("a sniffing thread panicked")).collect()
    });
    let mut unreadable = Vec::new();
    for (&i, result) in photos.iter().zip(results) {
        match result {
            Ok(Sniffed::Jpeg { exif }) => ds.photos_without_exif += u32::from(!exif),
            Ok(Sniffed::Tiff | Sniffed::Heif) => {}
            Ok(Sniffed::NotAnImage) => {
                ds.files[i].kind = FileKind::Other;
                ds.files[i].not_an_image = true;
            }
            Err(e) => unreadable.push((i, e)),
        }
    }
    for (i, e) in unreadable.iter().rev() {
        let f = ds.files.remove(*i);
        ds.skipped.push(SkippedFile::new(f.name, SkipCode::Unreadable, format!("could not be read: {e}")));
    }
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
        ds.skipped.push(SkippedFile::new(prefix.trim_end_matches('/'), SkipCode::LinkLoop, "folders nested too deeply (a link loop?)"));
        return Ok(());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if depth > 0 => {
            ds.skipped.push(SkippedFile::new(prefix.trim_end_matches('/'), SkipCode::Unreadable, format!("folder could not be read: {e}")));
            return Ok(());
        }
        Err(e) => return Err(Error::storage("read", dir, e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                ds.skipped.push(SkippedFile::new(format!("{prefix}?"), SkipCode::Unreadable, format!("entry could not be read: {e}")));
                continue;
            }
        };
        let os_name = entry.file_name();
        let Some(name) = os_name.to_str() else {
            ds.skipped.push(SkippedFile::new(
                format!("{prefix}{}", os_name.to_string_lossy()),
                SkipCode::NotUnicode,
                "name is not valid Unicode: rename the file",
            ));
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
                ds.skipped.push(SkippedFile::new(rel, SkipCode::Unreadable, format!("could not be read: {e}")));
                continue;
            }
        };
        if let Some((code, reason)) = skip_reason(name, meta.is_dir()) {
            ds.skipped.push(SkippedFile::new(rel, code, reason));
            continue;
        }
        if meta.is_dir() {
            if !seen.first(&path) {
                ds.skipped.push(SkippedFile::new(rel, SkipCode::LinkLoop, "a link back to a folder already in the survey (a loop): skipped"));
                continue;
            }
            walk(&path, &format!("{rel}/"), ds, depth + 1, seen)?;
        } else if meta.is_file() {
            if !seen.names.insert(rel.clone()) {
                ds.skipped.push(SkippedFile::new(rel, SkipCode::UnicodeTwin, "another file has the same name (spelled differently in Unicode): rename one"));
                continue;
            }
            let kind = FileKind::of(name);
            // A photo's content is read after the walk, in parallel ([`sniff_photos`]).
            if kind != FileKind::Photo {
                if let Err(e) = std::fs::File::open(&path) {
                    ds.skipped.push(SkippedFile::new(rel, SkipCode::Unreadable, format!("could not be read: {e}")));
                    continue;
                }
            }
            ds.files.push(DatasetFile { name: rel, path, size: meta.len(), mtime_ns: mtime_ns(&meta), kind, not_an_image: false });
        } else {
            ds.skipped.push(SkippedFile::new(rel, SkipCode::NotRegular, "not a regular file"));
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

    /// The smallest JPEG start with an EXIF segment.
    const JPEG_EXIF: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, b'E', b'x', b'i', b'f', 0, 0, 0xFF, 0xDA, 0, 2];
    /// A JPEG start with a JFIF segment only (no EXIF).
    const JPEG_BARE: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0, 0xFF, 0xDA, 0, 2];

    #[test]
    fn scans_nested_skips_hidden_and_system_files() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("flight 1/sub")).unwrap();
        std::fs::create_dir_all(r.join(".git")).unwrap();
        std::fs::write(r.join("flight 1/DJI_0001.JPG"), JPEG_EXIF).unwrap();
        std::fs::write(r.join("flight 1/sub/航测 ü.jpg"), JPEG_EXIF).unwrap();
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
        assert_eq!(ds.total_bytes, 2 * JPEG_EXIF.len() as u64 + 5);
        let skipped: Vec<(&str, SkipCode)> = ds.skipped.iter().map(|s| (s.name.as_str(), s.code)).collect();
        assert_eq!(
            skipped,
            [(".DS_Store", SkipCode::SystemFile), ("._DJI_0001.JPG", SkipCode::ResourceFork), (".git", SkipCode::Hidden), ("Thumbs.db", SkipCode::SystemFile)]
        );
    }

    #[test]
    fn photos_are_known_by_their_content_not_their_name() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::write(r.join("DJI_0001.JPG"), JPEG_EXIF).unwrap();
        std::fs::write(r.join("DJI_0002.JPG"), JPEG_BARE).unwrap();
        // Random bytes named like a photo, and a photo too short to hold a signature.
        std::fs::write(r.join("DJI_0003.JPG"), [0x13u8, 0x37, 0x42, 0x00, 0x99, 0x01, 0x02, 0x03]).unwrap();
        std::fs::write(r.join("DJI_0004.jpg"), b"").unwrap();
        std::fs::write(r.join("DJI_0005.TIF"), b"II*\0\x08\0\0\0").unwrap();
        std::fs::write(r.join("LICENSE"), b"MIT").unwrap();
        std::fs::write(r.join("flight.csv"), b"a,b\n").unwrap();
        let ds = scan(r).unwrap();
        assert_eq!(ds.photos, 3, "{:?}", ds.files);
        assert_eq!(ds.photos_without_exif, 1);
        let others: Vec<(&str, bool)> = ds.others().map(|f| (f.name.as_str(), f.not_an_image)).collect();
        assert_eq!(others, [("DJI_0003.JPG", true), ("DJI_0004.jpg", true), ("LICENSE", false), ("flight.csv", false)]);
        let kept = ds.without_others();
        assert_eq!(kept.files.len(), 3);
        assert_eq!(kept.total_bytes, (2 * JPEG_EXIF.len() + 8 - 1) as u64);
        assert_eq!(kept.photos, 3);
    }

    #[test]
    fn real_dji_photo_headers_are_photos_with_exif() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/p4m-mirafiori");
        let ds = scan(&dir).unwrap();
        assert_eq!(ds.photos, 33);
        assert_eq!(ds.photos_without_exif, 0);
        let others: Vec<&str> = ds.others().map(|f| f.name.as_str()).collect();
        assert_eq!(others, ["LICENSE", "MANIFEST.csv", "README.md"]);
        // A JPEG whose EXIF segment comes after others (a JFIF segment, a comment) is still found.
        let d = tempfile::tempdir().unwrap();
        let real = std::fs::read(dir.join("DJI_0010.JPG")).unwrap();
        let mut moved = vec![0xFF, 0xD8];
        moved.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0]);
        let comment = vec![b'x'; 6000];
        moved.extend_from_slice(&[0xFF, 0xFE]);
        moved.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
        moved.extend_from_slice(&comment);
        moved.extend_from_slice(&real[2..]);
        std::fs::write(d.path().join("moved.jpg"), moved).unwrap();
        let ds = scan(d.path()).unwrap();
        assert_eq!((ds.photos, ds.photos_without_exif), (1, 0));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_skipped_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("flight-1");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("DJI_0001.JPG"), JPEG_EXIF).unwrap();
        std::os::unix::fs::symlink(dir.path(), sub.join("back-to-top")).unwrap();
        let ds = scan(dir.path()).unwrap();
        assert_eq!(ds.files.len(), 1);
        assert!(ds.skipped.iter().any(|s| s.name == "flight-1/back-to-top" && s.code == SkipCode::LinkLoop), "{:?}", ds.skipped);
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
        assert_eq!(ds.skipped[0].code, SkipCode::UnicodeTwin);
    }

    #[test]
    fn missing_and_file_roots_are_explained() {
        let e = scan(Path::new("/definitely/not/here")).unwrap_err();
        assert!(e.to_string().contains("does not exist"));
        let f = tempfile::NamedTempFile::new().unwrap();
        assert!(scan(f.path()).unwrap_err().to_string().contains("not a folder"));
    }
}
