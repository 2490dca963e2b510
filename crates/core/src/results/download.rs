//! Downloading a result: files come down in parallel into the folder the user chose, each into a
//! `.part` file resumed with HTTP Range, its size (and MD5, when the server gives one) checked
//! while it is written, then renamed into place. Only a connection that stalls is given up, never
//! one that is merely long: a 3 GB file on a slow link takes what it takes.

use super::names::{plan, RefusedFile};
use crate::cloud::{Cloud, RemoteFile};
use crate::control::Control;
use crate::progress::Tracker;
use crate::retry::RetryPolicy;
use crate::{Error, Result};
use futures::StreamExt;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

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

#[derive(Debug, Clone)]
pub struct DownloadOptions {
    pub parallel: usize,
    /// A connection that delivers nothing for this long is dropped and resumed.
    pub stall_timeout: Duration,
    /// Tries in a row that bring no new bytes before a file fails.
    pub retry: RetryPolicy,
    /// A bandwidth limit (it may change while the download runs).
    pub limit: Option<Arc<crate::throttle::RateLimit>>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions { parallel: 6, stall_timeout: Duration::from_secs(60), retry: RetryPolicy::new(6, Duration::from_millis(500), Duration::from_secs(15)), limit: None }
    }
}

pub struct Downloader {
    pub http: reqwest::Client,
    pub cloud: Arc<dyn Cloud>,
    pub opts: DownloadOptions,
    pub control: Control,
    pub tracker: Arc<Tracker>,
}

fn looks_like_md5(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// The HTTP client for result downloads: a connect timeout, no whole-transfer timeout (stalls are
/// caught per read), and redirects followed only where they are safe: the same host, or https.
pub fn http_client(proxy: &crate::net::Proxy) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().cloned();
            let to = attempt.url().clone();
            if attempt.previous().len() > 5 {
                return attempt.error("too many redirects");
            }
            let same_host = first.as_ref().is_some_and(|f| f.host_str() == to.host_str() && f.port_or_known_default() == to.port_or_known_default());
            let downgrade = first.as_ref().is_some_and(|f| f.scheme() == "https") && to.scheme() != "https";
            if downgrade || !(same_host || to.scheme() == "https") {
                return attempt.error(format!("a redirect to {} is not followed", to.host_str().unwrap_or("?")));
            }
            attempt.follow()
        }))
        .user_agent(concat!("TerraDesk/", env!("CARGO_PKG_VERSION")));
    proxy.reqwest(builder)?.build().map_err(|e| Error::internal(format!("HTTP client: {e}")))
}

/// The MD5 of a file, off the async runtime's threads.
pub async fn md5_of_file(path: &Path) -> std::io::Result<String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || crate::upload::etag_of_file(&path, None)).await.map_err(std::io::Error::other)?
}

impl Downloader {
    /// Download `files` into `dest`.
    pub async fn run(&self, files: Vec<RemoteFile>, dest: &Path) -> Result<DownloadReport> {
        tokio::fs::create_dir_all(dest).await.map_err(|e| Error::storage("create the folder", dest, e))?;
        let dest = tokio::fs::canonicalize(dest).await.map_err(|e| Error::storage("open", dest, e))?;
        let (plan, refused) = plan(&files, &dest);
        for r in &refused {
            tracing::warn!(name = %r.name, reason = %r.reason, "refused a result file name from the server");
        }
        let total: u64 = plan.iter().map(|(f, _)| f.size.unwrap_or(0)).sum();
        self.tracker.bytes_total.store(total, Ordering::Relaxed);
        self.tracker.files_total.store(plan.len() as u64, Ordering::Relaxed);
        let results: Vec<(RemoteFile, Result<Got>)> = futures::stream::iter(plan.into_iter().map(|(f, path)| async move {
            let got = self.one(&f, &path).await;
            self.tracker.files_done.fetch_add(1, Ordering::Relaxed);
            (f, got)
        }))
        .buffer_unordered(self.opts.parallel.max(1))
        .collect()
        .await;
        let mut refused = refused;
        let (mut skipped, mut files, mut bytes) = (0, 0, 0);
        for (f, r) in results {
            let got = r?;
            if matches!(got, Got::Existed | Got::Done) {
                files += 1;
                bytes += f.size.unwrap_or(0);
            }
            match got {
                Got::Existed => skipped += 1,
                Got::Done => {}
                // One entry this computer or the policy will not take does not stop the rest.
                Got::Refused(reason) => {
                    tracing::warn!(name = %f.name, %reason, "refused a result file");
                    refused.push(RefusedFile { name: f.name.clone(), reason });
                }
            }
        }
        Ok(DownloadReport { folder: dest.display().to_string(), files, bytes, skipped_existing: skipped, refused })
    }

    /// One file.
    async fn one(&self, f: &RemoteFile, path: &Path) -> Result<Got> {
        let size = f.size;
        let checksum = f.checksum.clone().map(|c| c.to_ascii_lowercase()).filter(|c| looks_like_md5(c));
        if let Some(parent) = path.parent() {
            if let Err(e) = tokio::fs::create_dir_all(parent).await {
                return refusable(e, parent, "create the folder");
            }
        }
        // Complete from an earlier run?
        if let (Ok(m), Some(s)) = (tokio::fs::metadata(path).await, size) {
            let same = match &checksum {
                Some(c) => md5_of_file(path).await.ok().as_ref() == Some(c),
                None => true,
            };
            if m.len() == s && same {
                self.tracker.add_bytes(s);
                return Ok(Got::Existed);
            }
        }
        let part = part_path(path);
        let mut url = f.url.clone();
        let mut budget = self.opts.retry.budget();
        loop {
            self.control.checkpoint().await?;
            if url.is_none() {
                url = self.cloud.file_url(&f.uuid).await?;
            }
            let Some(u) = url.clone() else { return Err(Error::NoDownloadUrl { name: f.name.clone() }) };
            let mut attempt = Attempt { tracker: &self.tracker, counted: 0, progressed: false };
            let outcome = self.fetch(&u, &part, size, &mut attempt).await;
            match outcome {
                Ok(hash) => {
                    let got = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
                    let wrong = match (size, &checksum) {
                        (Some(s), _) if got != s => Some(format!("{got} bytes, {s} expected")),
                        (_, Some(c)) if &hash != c => Some(format!("checksum {hash}, the server's is {c}")),
                        _ => None,
                    };
                    if let Some(reason) = wrong {
                        let _ = tokio::fs::remove_file(&part).await;
                        attempt.undo();
                        if !budget.wait().await {
                            return Err(Error::DownloadCorrupt { name: f.name.clone(), reason });
                        }
                        continue;
                    }
                    tokio::fs::rename(&part, path).await.map_err(|e| Error::storage("save", path, e))?;
                    crate::settings::sync_dir(path);
                    attempt.keep();
                    return Ok(Got::Done);
                }
                Err(Fetch::Refuse(reason)) => return Ok(Got::Refused(reason)),
                Err(Fetch::Name(e)) => return refusable(e, path, "write"),
                Err(Fetch::Local(e)) => return Err(e),
                Err(Fetch::Cancelled) => return Err(Error::Cancelled),
                Err(Fetch::Retry { reason, fresh_url, restart }) => {
                    if fresh_url {
                        url = None;
                    }
                    if restart {
                        let _ = tokio::fs::remove_file(&part).await;
                        attempt.undo();
                    }
                    if attempt.progressed {
                        // Bytes came: the link works, the budget starts again.
                        budget = self.opts.retry.budget();
                    }
                    tracing::info!(file = %f.name, %reason, "download interrupted; resuming");
                    if !budget.wait().await {
                        return Err(Error::DownloadFailed { name: f.name.clone(), reason });
                    }
                }
            }
        }
    }

    /// One request: append to `part` from where it ends. Returns the MD5 of the whole file.
    async fn fetch(&self, url: &str, part: &Path, size: Option<u64>, attempt: &mut Attempt<'_>) -> std::result::Result<String, Fetch> {
        let have = tokio::fs::metadata(part).await.map(|m| m.len()).unwrap_or(0);
        let have = if size.is_some_and(|s| have > s) { 0 } else { have };
        let mut req = self.http.get(url);
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let resp = match tokio::time::timeout(self.opts.stall_timeout, req.send()).await {
            Err(_) => return Err(Fetch::retry("the server did not answer in time")),
            Ok(Err(e)) if e.is_redirect() => return Err(Fetch::Refuse(format!("the server sent the download elsewhere ({})", e.url().map(|u| u.as_str()).unwrap_or("?")))),
            Ok(Err(e)) => return Err(Fetch::retry(format!("connection failed: {e}"))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        match status {
            401 | 403 => return Err(Fetch::Retry { reason: format!("HTTP {status} (the link expired?)"), fresh_url: true, restart: false }),
            416 => return Err(Fetch::Retry { reason: "HTTP 416".into(), fresh_url: false, restart: true }),
            s if !(200..300).contains(&s) => return Err(Fetch::retry(format!("HTTP {status}"))),
            _ => {}
        }
        let append = status == 206 && have > 0;
        let mut hasher = Md5::new();
        let mut file = if append {
            // Hash what is already there, off the runtime's threads.
            let p = part.to_path_buf();
            hasher = tokio::task::spawn_blocking(move || -> std::io::Result<Md5> {
                let mut h = Md5::new();
                crate::upload::hash_up_to(&mut std::fs::File::open(&p)?, &mut vec![0u8; 1 << 20], &mut h, have)?;
                Ok(h)
            })
            .await
            .map_err(|e| Fetch::Local(Error::internal(e)))?
            .map_err(|e| Fetch::Local(Error::storage("read", part, e)))?;
            let f = tokio::fs::OpenOptions::new().append(true).open(part).await.map_err(Fetch::Name)?;
            attempt.count(have);
            f
        } else {
            tokio::fs::File::create(part).await.map_err(Fetch::Name)?
        };
        let mut stream = resp.bytes_stream();
        loop {
            if self.control.checkpoint().await.is_err() {
                let _ = file.flush().await;
                return Err(Fetch::Cancelled);
            }
            let next = match tokio::time::timeout(self.opts.stall_timeout, stream.next()).await {
                Err(_) => {
                    let _ = file.flush().await;
                    return Err(Fetch::retry(format!("no data for {} s", self.opts.stall_timeout.as_secs())));
                }
                Ok(n) => n,
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    let _ = file.flush().await;
                    return Err(Fetch::retry(format!("connection dropped: {e}")));
                }
                Some(Ok(chunk)) => {
                    if let Some(limit) = &self.opts.limit {
                        // Not read further until the limit allows: TCP slows the sender.
                        limit.take(chunk.len() as u64).await;
                    }
                    file.write_all(&chunk).await.map_err(|e| Fetch::Local(Error::storage("write", part, e)))?;
                    hasher.update(&chunk);
                    attempt.count(chunk.len() as u64);
                    attempt.progressed = true;
                }
            }
        }
        file.sync_all().await.map_err(|e| Fetch::Local(Error::storage("write", part, e)))?;
        Ok(hex::encode(hasher.finalize()))
    }
}

/// The bytes one attempt added to the progress, to take back when they are thrown away.
struct Attempt<'a> {
    tracker: &'a Tracker,
    counted: u64,
    progressed: bool,
}

impl Attempt<'_> {
    fn count(&mut self, n: u64) {
        self.counted += n;
        self.tracker.add_bytes(n);
    }

    /// The file is complete: its bytes stay counted.
    fn keep(&mut self) {
        self.counted = 0;
    }

    fn undo(&mut self) {
        self.tracker.sub_bytes(self.counted);
        self.counted = 0;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        // A resumed attempt counts the bytes already there again: take this attempt's back; the
        // next attempt counts what the .part holds.
        self.undo();
    }
}

enum Fetch {
    Retry { reason: String, fresh_url: bool, restart: bool },
    /// This entry is not taken (a redirect to another host): the others go on.
    Refuse(String),
    /// The partial file could not be made: the name may be one this file system refuses.
    Name(std::io::Error),
    Local(Error),
    Cancelled,
}

/// What became of one file.
enum Got {
    Existed,
    Done,
    Refused(String),
}

/// A file system's refusal of a name refuses that entry; any other failure (a full disk, no
/// permission) stops the download, with nothing lost.
fn refusable(e: std::io::Error, path: &Path, action: &str) -> Result<Got> {
    let name_problem = matches!(e.raw_os_error(), Some(36 | 22 | 84 | 123 | 206)) || e.kind() == std::io::ErrorKind::InvalidFilename;
    if name_problem {
        return Ok(Got::Refused(format!("this computer's file system will not take the name ({e})")));
    }
    Err(Error::storage(action, path, e))
}

impl Fetch {
    fn retry(reason: impl Into<String>) -> Fetch {
        Fetch::Retry { reason: reason.into(), fresh_url: false, restart: false }
    }
}

/// Where a file is written until it is complete: beside it, under a short hidden name of its own
/// (no result file can be called so, and a long name stays within the file system's limit).
pub fn part_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let digest = hex::encode(Md5::digest(name.as_bytes()));
    path.with_file_name(format!(".{}{}", &digest[..16], super::names::PART_SUFFIX))
}
