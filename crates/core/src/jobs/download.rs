//! Downloading a result: file names from the server are untrusted data; files come down in
//! parallel, resumable with HTTP Range, with their sizes (and MD5 checksums, when the server gives
//! one) checked, into the folder the user chose.

use crate::api::{Client, FileInfo};
use crate::{Error, Result};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Windows device names, refused anywhere in a path.
const RESERVED: &[&str] = &["con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"];

/// A server's file name as a relative path inside the download folder, or why it is refused.
pub fn safe_relative_path(name: &str) -> std::result::Result<PathBuf, String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("control characters in the name".into());
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("absolute path".into());
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' {
        return Err("drive letter".into());
    }
    let mut out = PathBuf::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => continue,
            ".." => return Err("\"..\" in the path".into()),
            p if p.contains(':') => return Err("\":\" in the path".into()),
            p if RESERVED.contains(&p.split('.').next().unwrap_or("").to_ascii_lowercase().as_str()) => {
                return Err(format!("\"{p}\" is a reserved device name"))
            }
            p if p.ends_with(' ') || p.ends_with('.') => return Err("a path part ends with a dot or space".into()),
            p => out.push(p),
        }
    }
    if out.as_os_str().is_empty() {
        return Err("no file name".into());
    }
    // Belt and braces: nothing but normal components.
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err("not a plain relative path".into());
    }
    Ok(out)
}

/// The form names collide in, on case-insensitive file systems.
fn collision_key(p: &Path) -> String {
    p.to_string_lossy().to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RefusedFile {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadReport {
    pub folder: String,
    pub files: u32,
    #[specta(type = f64)]
    pub bytes: u64,
    /// Already complete from an earlier run.
    pub skipped_existing: u32,
    pub refused: Vec<RefusedFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgress {
    #[specta(type = f64)]
    pub bytes_done: u64,
    #[specta(type = f64)]
    pub bytes_total: u64,
    pub files_done: u32,
    pub files_total: u32,
}

/// Which result files to fetch: top-level folders or files ("map", "AT", "mission.json"); empty
/// means all.
pub fn selected(files: &[FileInfo], outputs: &[String]) -> Vec<FileInfo> {
    if outputs.is_empty() {
        return files.to_vec();
    }
    files
        .iter()
        .filter(|f| {
            let n = f.name.trim_start_matches('/');
            outputs.iter().any(|o| {
                let o = o.trim_matches('/');
                n == o || n.starts_with(&format!("{o}/"))
            })
        })
        .cloned()
        .collect()
}

/// Plan where each file goes; refuse unsafe and colliding names.
pub fn plan(files: &[FileInfo], dest: &Path) -> (Vec<(FileInfo, PathBuf)>, Vec<RefusedFile>) {
    let mut seen = HashSet::new();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for f in files {
        match safe_relative_path(&f.name) {
            Ok(rel) if !seen.insert(collision_key(&rel)) => {
                refused.push(RefusedFile { name: f.name.clone(), reason: "another file has the same name (ignoring case)".into() })
            }
            Ok(rel) => accepted.push((f.clone(), rel)),
            Err(reason) => refused.push(RefusedFile { name: f.name.clone(), reason }),
        }
    }
    // A file and a folder of the same name cannot both exist: the deeper one is refused.
    let mut ok = Vec::new();
    for (f, rel) in accepted {
        let clash = rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).any(|a| seen.contains(&collision_key(a)));
        if clash {
            refused.push(RefusedFile { name: f.name.clone(), reason: "a file of the result has the name of this file's folder".into() });
        } else {
            ok.push((f, dest.join(rel)));
        }
    }
    (ok, refused)
}

fn looks_like_md5(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Download every file of `files` into `dest`, `parallel` at a time.
pub async fn download_files(
    api: &Client,
    files: Vec<FileInfo>,
    dest: &Path,
    parallel: usize,
    on_progress: impl Fn(DownloadProgress) + Send + Sync + 'static,
) -> Result<DownloadReport> {
    std::fs::create_dir_all(dest).map_err(|e| Error::storage("create the folder", dest, e))?;
    let dest = dest.canonicalize().map_err(|e| Error::storage("open", dest, e))?;
    let (plan, refused) = plan(&files, &dest);
    for r in &refused {
        tracing::warn!(name = %r.name, reason = %r.reason, "refused a result file name from the server");
    }
    let total: u64 = plan.iter().map(|(f, _)| f.size.unwrap_or(0).max(0) as u64).sum();
    let done = Arc::new(AtomicU64::new(0));
    let files_done = Arc::new(AtomicU64::new(0));
    let files_total = plan.len() as u32;
    let on_progress = Arc::new(on_progress);
    let skipped = Arc::new(AtomicU64::new(0));
    let results: Vec<Result<()>> = futures::stream::iter(plan.into_iter().map(|(f, path)| {
        let done = done.clone();
        let files_done = files_done.clone();
        let on_progress = on_progress.clone();
        let skipped = skipped.clone();
        async move {
            let existed = download_one(api, &f, &path, &done, &*on_progress, total, &files_done, files_total).await?;
            if existed {
                skipped.fetch_add(1, Ordering::Relaxed);
            }
            files_done.fetch_add(1, Ordering::Relaxed);
            on_progress(DownloadProgress { bytes_done: done.load(Ordering::Relaxed), bytes_total: total, files_done: files_done.load(Ordering::Relaxed) as u32, files_total });
            Ok(())
        }
    }))
    .buffer_unordered(parallel.max(1))
    .collect()
    .await;
    for r in results {
        r?;
    }
    Ok(DownloadReport {
        folder: dest.display().to_string(),
        files: files_total,
        bytes: total,
        skipped_existing: skipped.load(Ordering::Relaxed) as u32,
        refused,
    })
}

/// One file: resume a `.part` with Range, check the size (and MD5), then rename into place.
/// Returns whether it was already complete.
#[allow(clippy::too_many_arguments)]
async fn download_one(
    api: &Client,
    f: &FileInfo,
    path: &Path,
    done: &AtomicU64,
    on_progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    total: u64,
    files_done: &AtomicU64,
    files_total: u32,
) -> Result<bool> {
    let size = f.size.map(|s| s.max(0) as u64);
    let checksum = f.checksum.clone().or(f.etag.clone()).map(|c| c.trim_matches('"').to_ascii_lowercase()).filter(|c| looks_like_md5(c));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::storage("create the folder", parent, e))?;
    }
    // Complete from an earlier run?
    if let (Ok(m), Some(s)) = (std::fs::metadata(path), size) {
        if m.len() == s && checksum.as_ref().is_none_or(|c| crate::upload::etag_of_file(path, None).ok().as_ref() == Some(c)) {
            done.fetch_add(s, Ordering::Relaxed);
            return Ok(true);
        }
    }
    let part = path.with_file_name(format!("{}.part", path.file_name().unwrap().to_string_lossy()));
    let mut attempt = 0u32;
    let mut url = f.url.clone();
    loop {
        attempt += 1;
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let have = if size.is_some_and(|s| have > s) { 0 } else { have };
        if url.is_none() {
            url = api.get_file(&f.uuid).await?.url;
        }
        let Some(u) = url.clone() else {
            return Err(Error::Api { code: -1, message: format!("the server gave no download address for {}", f.name) });
        };
        let mut req = api.http().get(&u);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let outcome: std::result::Result<(), String> = async {
            let resp = req.send().await.map_err(|e| format!("connection failed: {e}"))?;
            let status = resp.status().as_u16();
            if status == 403 || status == 401 {
                return Err("expired".into());
            }
            if status == 416 {
                return Err("range".into());
            }
            if !(200..300).contains(&status) {
                return Err(format!("HTTP {status}"));
            }
            let append = status == 206 && have > 0;
            let mut file = std::fs::OpenOptions::new().create(true).write(true).truncate(!append).open(&part).map_err(|e| format!("local: {e}"))?;
            if append {
                file.seek(std::io::SeekFrom::End(0)).map_err(|e| format!("local: {e}"))?;
                done.fetch_add(have, Ordering::Relaxed);
            }
            let mut got = if append { have } else { 0 };
            let mut stream = resp.bytes_stream();
            let mut last = std::time::Instant::now();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| {
                    done.fetch_sub(got, Ordering::Relaxed);
                    format!("connection dropped: {e}")
                })?;
                file.write_all(&chunk).map_err(|e| format!("local: {e}"))?;
                got += chunk.len() as u64;
                done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                if last.elapsed() > Duration::from_millis(250) {
                    last = std::time::Instant::now();
                    on_progress(DownloadProgress { bytes_done: done.load(Ordering::Relaxed), bytes_total: total, files_done: files_done.load(Ordering::Relaxed) as u32, files_total });
                }
            }
            file.sync_all().map_err(|e| format!("local: {e}"))?;
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                let got = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
                if let Some(s) = size {
                    if got != s {
                        let _ = std::fs::remove_file(&part);
                        done.fetch_sub(got.min(done.load(Ordering::Relaxed)), Ordering::Relaxed);
                        if attempt >= 5 {
                            return Err(Error::Api { code: -1, message: format!("{} came down as {got} bytes, {s} expected", f.name) });
                        }
                        continue;
                    }
                }
                if let Some(c) = &checksum {
                    let actual = crate::upload::etag_of_file(&part, None).map_err(|e| Error::storage("read", &part, e))?;
                    if &actual != c {
                        let _ = std::fs::remove_file(&part);
                        done.fetch_sub(got.min(done.load(Ordering::Relaxed)), Ordering::Relaxed);
                        if attempt >= 5 {
                            return Err(Error::Api { code: -1, message: format!("{}: checksum {actual} does not match the server's {c}", f.name) });
                        }
                        continue;
                    }
                }
                std::fs::rename(&part, path).map_err(|e| Error::storage("save", path, e))?;
                return Ok(false);
            }
            Err(reason) if reason.starts_with("local: ") => {
                return Err(Error::storage("write", &part, std::io::Error::other(reason.trim_start_matches("local: ").to_string())));
            }
            Err(reason) => {
                if reason == "expired" {
                    url = None; // a fresh link
                } else if reason == "range" {
                    let _ = std::fs::remove_file(&part);
                }
                if attempt >= 6 {
                    return Err(Error::Network { host: "the download server".into(), message: format!("{}: {reason}", f.name) });
                }
                tokio::time::sleep(Duration::from_millis(300 * attempt as u64)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_slip_and_odd_names_are_refused() {
        for bad in ["../evil.txt", "a/../../b", "/etc/passwd", "\\\\server\\share", "C:\\Windows\\x", "c:x", "a/CON.txt", "x\u{0}y", "", "./..", "dir/trailing."] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(safe_relative_path("map/result.tif").unwrap(), PathBuf::from("map/result.tif"));
        assert_eq!(safe_relative_path("AT\\at.json").unwrap(), PathBuf::from("AT/at.json"));
        assert_eq!(safe_relative_path("./models//pc/0.b3dm").unwrap(), PathBuf::from("models/pc/0.b3dm"));
        assert_eq!(safe_relative_path("航测/照片.jpg").unwrap(), PathBuf::from("航测/照片.jpg"));
    }

    #[test]
    fn collisions_after_normalisation_are_refused() {
        let f = |n: &str| FileInfo { name: n.into(), ..Default::default() };
        let dest = Path::new("/tmp/x");
        let (ok, refused) = plan(&[f("map/a.tif"), f("MAP/A.TIF"), f("map\\a.tif"), f("../x"), f("map/a.tif/inner")], dest);
        assert_eq!(ok.len(), 1);
        assert_eq!(refused.len(), 4, "{refused:?}");
        assert!(ok.iter().all(|(_, p)| p.starts_with(dest)));
    }

    #[test]
    fn selection_by_top_level_output() {
        let f = |n: &str| FileInfo { name: n.into(), ..Default::default() };
        let all = vec![f("map/result.tif"), f("map/dsm.tif"), f("AT/a.json"), f("mission.json"), f("mapx/y")];
        let names: Vec<String> = selected(&all, &["map".into(), "mission.json".into()]).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["map/result.tif", "map/dsm.tif", "mission.json"]);
    }
}
