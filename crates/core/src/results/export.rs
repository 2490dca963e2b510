//! The Terra ZIP: a downloaded result laid out as DJI Terra desktop imports it (terra-api.md §6),
//! streamed into a temporary file with bounded memory, checked, then renamed into place.

use super::layout::plan_layout;
use crate::control::Control;
use crate::jobs::JobKind;
use crate::progress::Tracker;
use std::sync::atomic::Ordering;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// File types that are already compressed: stored as they are.
const STORED_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "tif", "tiff", "las", "laz", "b3dm", "pnts", "i3dm", "glb", "osgb", "s3mb", "s3m", "zip", "gz", "7z", "mp4", "dng", "heic",
    "webp", "jp2", "ecw", "slpk", "ktx2", "dds", "crn",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    pub path: String,
    pub entries: u32,
    #[specta(type = f64)]
    pub bytes: u64,
    /// What was moved to fit the Terra layout: (from, to).
    pub moved: Vec<(String, String)>,
    /// Layout entries the result lacks (the server did not make them).
    pub missing: Vec<String>,
    /// The result's outputs that are not in the ZIP because they were not downloaded.
    pub not_downloaded: Vec<String>,
}

/// The files under `dir`, relative with `/`, sorted; `.part` leftovers are not results.
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| Error::storage("read", &d, e))? {
            let e = e.map_err(|e| Error::storage("read", &d, e))?;
            let ft = e.file_type().map_err(|er| Error::storage("read", e.path(), er))?;
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                let rel = e.path().strip_prefix(dir).expect("under dir").to_string_lossy().replace('\\', "/");
                if !rel.ends_with(super::names::PART_SUFFIX) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn stored(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    STORED_EXTENSIONS.contains(&ext.as_str())
}

/// The result's outputs (`in_result`, top-level names) with no file in the download, and the
/// layout entries the result itself lacks: an entry the result has but that was not downloaded is
/// not "missing". Without `in_result` (a job downloaded by an older version), every absent entry
/// counts as missing.
pub fn split_absent(files: &[String], missing: Vec<String>, in_result: Option<&[String]>) -> (Vec<String>, Vec<String>) {
    let Some(in_result) = in_result else { return (missing, Vec::new()) };
    let here = |o: &str| files.iter().any(|f| super::names::top_level(f) == o);
    let not_downloaded: Vec<String> = in_result.iter().filter(|o| !here(o)).cloned().collect();
    let missing = missing.into_iter().filter(|m| !not_downloaded.contains(m)).collect();
    (missing, not_downloaded)
}

/// Write `dir` (a downloaded result) as a Terra ZIP at `out`, reporting progress to `tracker` and
/// stopping (with nothing left behind) when `control` is cancelled. `in_result` is what the
/// result holds (its top-level outputs), when known. Blocking: run it off the async runtime.
pub fn export_terra_zip(kind: JobKind, dir: &Path, out: &Path, in_result: Option<&[String]>, control: &Control, tracker: &Tracker) -> Result<ExportReport> {
    let files = files_under(dir)?;
    if files.is_empty() {
        return Err(Error::ExportEmpty { dir: dir.display().to_string() });
    }
    let (plan, moved, missing) = plan_layout(kind, &files);
    let (missing, not_downloaded) = split_absent(&files, missing, in_result);
    let sizes: u64 = plan.iter().map(|(src, _)| std::fs::metadata(dir.join(src)).map(|m| m.len()).unwrap_or(0)).sum();
    tracker.bytes_total.store(sizes, Ordering::Relaxed);
    tracker.files_total.store(plan.len() as u64, Ordering::Relaxed);
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::storage("create the folder", parent, e))?;
    remove_stale_parts(parent);
    let tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX).tempfile_in(parent).map_err(|e| Error::storage("write", parent, e))?;
    let mut bytes = 0u64;
    {
        let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, tmp.as_file()));
        let mut buf = vec![0u8; 1 << 20];
        for (src, entry) in &plan {
            let path = dir.join(src);
            let mut f = std::fs::File::open(&path).map_err(|e| Error::storage("read", &path, e))?;
            let size = f.metadata().map_err(|e| Error::storage("read", &path, e))?.len();
            let opts = SimpleFileOptions::default()
                .compression_method(if stored(entry) { CompressionMethod::Stored } else { CompressionMethod::Deflated })
                .large_file(size >= u32::MAX as u64)
                .unix_permissions(0o644);
            zip.start_file(entry.as_str(), opts).map_err(|e| zip_error(out, e))?;
            loop {
                let n = f.read(&mut buf).map_err(|e| Error::storage("read", &path, e))?;
                if n == 0 {
                    break;
                }
                zip.write_all(&buf[..n]).map_err(|e| Error::storage("write", out, e))?;
                tracker.add_bytes(n as u64);
                if control.is_cancelled() {
                    return Err(Error::Cancelled);
                }
            }
            tracker.files_done.fetch_add(1, Ordering::Relaxed);
            bytes += size;
        }
        let w = zip.finish().map_err(|e| zip_error(out, e))?;
        let file = w.into_inner().map_err(|e| Error::storage("write", out, e.into_error()))?;
        file.sync_all().map_err(|e| Error::storage("write", out, e))?;
    }
    verify(tmp.path(), dir, &plan)?;
    let file = tmp.persist(out).map_err(|e| Error::storage("save", out, e.error))?;
    // A temporary file is private (0600); a ZIP for Terra is a document like any other.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    drop(file);
    crate::settings::sync_dir(out);
    Ok(ExportReport { path: out.display().to_string(), entries: plan.len() as u32, bytes, moved, missing, not_downloaded })
}

/// What an export killed midway left (its temporary file): gone once nobody has written to it for
/// a while, so the folder does not fill with dead halves of ZIPs.
fn remove_stale_parts(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let idle = e.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok()).unwrap_or_default();
        if idle > STALE_AFTER {
            tracing::info!(file = %name, "removing what an interrupted export left");
            let _ = std::fs::remove_file(e.path());
        }
    }
}

const TEMP_PREFIX: &str = ".terradesk-export-";
const TEMP_SUFFIX: &str = ".zip.part";
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

fn zip_error(out: &Path, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::storage("write", out, io),
        other => Error::storage("write", out, std::io::Error::other(other.to_string())),
    }
}

/// Read the ZIP's directory back: every planned entry, with its size.
fn verify(zip_path: &Path, dir: &Path, plan: &[(String, String)]) -> Result<()> {
    let f = std::fs::File::open(zip_path).map_err(|e| Error::storage("read", zip_path, e))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| Error::storage("check", zip_path, std::io::Error::other(e.to_string())))?;
    if z.len() != plan.len() {
        return Err(Error::storage("check", zip_path, std::io::Error::other(format!("{} entries written, {} expected", z.len(), plan.len()))));
    }
    for (src, entry) in plan {
        let size = std::fs::metadata(dir.join(src)).map(|m| m.len()).unwrap_or(u64::MAX);
        let e = z.by_name(entry).map_err(|e| Error::storage("check", zip_path, std::io::Error::other(format!("{entry}: {e}"))))?;
        if e.size() != size {
            return Err(Error::storage("check", zip_path, std::io::Error::other(format!("{entry}: {} bytes, {size} expected", e.size()))));
        }
    }
    Ok(())
}

/// The default name of a job's ZIP.
pub fn default_zip_name(job_name: &str) -> PathBuf {
    let safe: String = job_name.chars().map(|c| if c.is_alphanumeric() || " -_.()".contains(c) { c } else { '_' }).collect();
    PathBuf::from(format!("{} - Terra.zip", safe.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn export_stores_compressed_types_and_checks_the_zip() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("result");
        write(&src, "AT/at.json", &[b'{'; 5000]);
        write(&src, "map/result.tif", &[7u8; 5000]);
        write(&src, "mission.json", b"{}");
        write(&src, "images/thumb.jpg", &[1u8; 100]);
        write(&src, "map/.0123456789abcdef.terradesk-part", b"leftover");
        let out = d.path().join("out/r.zip");
        let tracker = Tracker::new(crate::progress::Phase::Export, 0, 0);
        let r = export_terra_zip(JobKind::Map2d, &src, &out, None, &Control::default(), &tracker).unwrap();
        assert_eq!(tracker.snapshot(false).bytes_done, 5000 + 5000 + 2 + 100);
        assert_eq!(r.entries, 4);
        assert!(r.missing.is_empty() && r.moved.is_empty());
        let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        assert_eq!(z.by_name("map/result.tif").unwrap().compression(), CompressionMethod::Stored);
        assert_eq!(z.by_name("AT/at.json").unwrap().compression(), CompressionMethod::Deflated);
        let mut s = String::new();
        z.by_name("mission.json").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "{}");
        // No temporary file left beside it.
        let left: Vec<_> = std::fs::read_dir(d.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn what_was_not_downloaded_is_not_called_missing_from_the_result() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("result");
        write(&src, "AT/at.json", b"{}");
        write(&src, "map/result.tif", &[7u8; 10]);
        write(&src, "mission.json", b"{}");
        let out = d.path().join("r.zip");
        let t = || Tracker::new(crate::progress::Phase::Export, 0, 0);
        // The result has images/ and a report, the user left them out of the download.
        let in_result: Vec<String> = ["AT", "images", "map", "mission.json", "report"].iter().map(|s| s.to_string()).collect();
        let r = export_terra_zip(JobKind::Map2d, &src, &out, Some(&in_result), &Control::default(), &t()).unwrap();
        assert_eq!(r.not_downloaded, ["images", "report"]);
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        // A result without images/: that is missing, not "not downloaded".
        let in_result: Vec<String> = ["AT", "map", "mission.json"].iter().map(|s| s.to_string()).collect();
        let r = export_terra_zip(JobKind::Map2d, &src, &out, Some(&in_result), &Control::default(), &t()).unwrap();
        assert_eq!((r.missing.as_slice(), r.not_downloaded.len()), (["images".to_string()].as_slice(), 0));
        // Unknown (an older download): absent entries are missing, as before.
        let r = export_terra_zip(JobKind::Map2d, &src, &out, None, &Control::default(), &t()).unwrap();
        assert_eq!(r.missing, ["images"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }

    #[test]
    fn what_a_killed_export_left_is_removed_by_the_next_one() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("result");
        write(&src, "mission.json", b"{}");
        let out_dir = d.path().join("out");
        std::fs::create_dir_all(&out_dir).unwrap();
        let stale = out_dir.join(".terradesk-export-abc123.zip.part");
        let fresh = out_dir.join(".terradesk-export-def456.zip.part");
        std::fs::write(&stale, b"half").unwrap();
        std::fs::write(&fresh, b"another export, under way").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
        export_terra_zip(JobKind::Map2d, &src, &out_dir.join("r.zip"), None, &Control::default(), &Tracker::new(crate::progress::Phase::Export, 0, 0)).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists(), "one still being written is left alone");
    }

    #[test]
    fn a_cancelled_export_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("result");
        write(&src, "map/result.tif", &vec![7u8; 3 << 20]);
        let out = d.path().join("out/r.zip");
        let control = Control::default();
        control.cancel();
        let tracker = Tracker::new(crate::progress::Phase::Export, 0, 0);
        assert!(matches!(export_terra_zip(JobKind::Map2d, &src, &out, None, &control, &tracker), Err(Error::Cancelled)));
        assert_eq!(std::fs::read_dir(d.path().join("out")).unwrap().count(), 0);
    }
}
