//! The upload flow.
//!
//! 1. The folder is scanned and the journal brought in line with it (new, changed, removed files).
//! 2. Multipart uploads left behind by an earlier run that the journal does not know are aborted.
//! 3. Files go up in parallel (large ones first, in parallel parts), streamed from disk
//!    ([`super::transfer`]). Each is recorded in the journal with its ETag and the callbackParam
//!    of the token it went under.
//! 4. The registrar ([`super::registrar`]) sends finished files to the service while uploads go
//!    on, and never registers a file twice.
//! 5. At the end the resource's file list is compared with the dataset.

use super::journal::{FileState, JournalFile, UploadJournal, Write};
use super::registrar::{final_check, register_loop, settle_uploaded, Pending};
use super::storage::{StorageSession, TokenSource};
use super::transfer::{abort_multipart, upload_file};
use crate::cloud::Cloud;
use crate::control::Control;
use crate::dataset::Dataset;
use crate::progress::Tracker;
use crate::retry::RetryPolicy;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

const MIB: u64 = 1024 * 1024;
/// S3's limits.
const MIN_PART: u64 = 5 * MIB;
const MAX_PART: u64 = 5 * 1024 * MIB;
const MAX_PARTS: u64 = 10_000;
/// Files under this size count as small: see [`UploadOptions::small_file_concurrency`].
pub const SMALL_FILE: u64 = MIB;

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Requests in flight at once, at most, for parts and files of at least [`SMALL_FILE`] bytes.
    pub concurrency: usize,
    /// Size the requests in flight to the link (see [`super::pace`]), up to `concurrency`; else
    /// always `concurrency`.
    pub adaptive: bool,
    /// The time a request should take at most, when adaptive (see [`super::pace::AIM`]).
    pub request_aim: Duration,
    /// Small files (under [`SMALL_FILE`]) in flight at once besides: each is one short request
    /// whose time is mostly the round trip, so many go at once (a few MiB in flight in all).
    pub small_file_concurrency: usize,
    /// Files at or above this size go in parts.
    pub multipart_threshold: u64,
    /// The part size (raised when a file would need more than 10,000 parts).
    pub part_size: u64,
    /// Files per registration (at most 50).
    pub callback_batch: usize,
    /// Tries per file before it is reported as failed.
    pub retry: RetryPolicy,
    /// Tries per part within one try of its file.
    pub part_retry: RetryPolicy,
    /// Tries of a registration batch.
    pub register_retry: RetryPolicy,
    /// A bandwidth limit for every body this upload sends (it may change while it runs).
    pub limit: Option<Arc<crate::throttle::RateLimit>>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        // Tuned for 5–30 MB photos and multi-GB LiDAR files over a field uplink or a LAN.
        UploadOptions {
            concurrency: 12,
            adaptive: true,
            request_aim: super::pace::AIM,
            small_file_concurrency: 48,
            multipart_threshold: 64 * MIB,
            part_size: 16 * MIB,
            callback_batch: 50,
            retry: RetryPolicy::new(6, Duration::from_millis(250), Duration::from_secs(16)),
            part_retry: RetryPolicy::new(3, Duration::from_millis(250), Duration::from_secs(4)),
            register_retry: RetryPolicy::new(12, Duration::from_millis(250), Duration::from_secs(16)),
            limit: None,
        }
    }
}

impl UploadOptions {
    pub fn part_size_for(&self, size: u64) -> u64 {
        let need = size.div_ceil(MAX_PARTS);
        let ps = self.part_size.max(need).clamp(MIN_PART, MAX_PART);
        ps.div_ceil(MIB) * MIB
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FailedFile {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    #[specta(type = f64)]
    pub upload_id: i64,
    pub resource_uuid: String,
    pub files: u32,
    #[specta(type = f64)]
    pub bytes: u64,
    /// Sent in this run (the rest were already there).
    pub sent_files: u32,
    #[specta(type = f64)]
    pub sent_bytes: u64,
    pub registered: u32,
    pub failed: Vec<FailedFile>,
    /// Changed on disk after an earlier upload, so sent again.
    pub changed: Vec<String>,
    pub orphans_aborted: u32,
    pub seconds: f64,
}

impl UploadReport {
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.registered == self.files
    }

    /// The error a job stops with when files are left.
    pub fn incomplete_error(&self) -> Option<Error> {
        if self.complete() {
            return None;
        }
        let first = self.failed.first();
        Some(Error::UploadIncomplete {
            failed: self.failed.len().max(1) as u32,
            total: self.files,
            first: first.map(|f| f.name.clone()).unwrap_or_default(),
            reason: first.map(|f| f.reason.clone()).unwrap_or_else(|| "not registered".into()),
        })
    }
}

pub struct Uploader {
    journal: UploadJournal,
    tokens: Arc<TokenSource>,
    cloud: Arc<dyn Cloud>,
    resource_uuid: String,
    opts: UploadOptions,
    control: Control,
    tracker: Arc<Tracker>,
}

/// What one run shares between its tasks.
pub(super) struct Run {
    pub journal: UploadJournal,
    pub tokens: Arc<TokenSource>,
    pub cloud: Arc<dyn Cloud>,
    pub upload: i64,
    pub opts: UploadOptions,
    pub control: Control,
    /// Requests in flight for parts and big files, sized to the link.
    pub pace: super::pace::Pace,
    /// Requests in flight for small files.
    pub small_requests: Semaphore,
    pub tracker: Arc<Tracker>,
    pub registrar: mpsc::UnboundedSender<Pending>,
    /// A failure that stops everything (wrong keys, a wrong clock …).
    pub fatal: std::sync::Mutex<Option<Error>>,
    pub sent_files: AtomicU64,
    pub sent_bytes: AtomicU64,
}

impl Uploader {
    pub fn new(cloud: Arc<dyn Cloud>, journal: UploadJournal, resource_uuid: impl Into<String>, opts: UploadOptions, control: Control, tracker: Arc<Tracker>) -> Self {
        Uploader { journal, tokens: Arc::new(TokenSource::new(cloud.clone())), cloud, resource_uuid: resource_uuid.into(), opts, control, tracker }
    }

    /// Upload `dataset` into the resource, resuming whatever the journal knows.
    pub async fn run(&self, dataset: &Dataset) -> Result<UploadReport> {
        let started = Instant::now();
        let upload = self.journal.open_upload(&dataset.root, &self.resource_uuid, self.cloud.host())?;
        // Each run gives failed files another go.
        self.journal.retry_failed(upload)?;
        let sync = self.journal.sync(upload, dataset)?;
        if !sync.changed.is_empty() {
            tracing::info!(files = sync.changed.len(), "files changed on disk since they were uploaded; sending them again");
        }
        let files = self.journal.files(upload)?;
        let t = self.journal.totals(upload)?;
        self.tracker.bytes_total.store(t.bytes, Ordering::Relaxed);
        self.tracker.files_total.store(t.files, Ordering::Relaxed);
        self.tracker.bytes_done.store(t.uploaded_bytes, Ordering::Relaxed);
        self.tracker.files_done.store(t.uploaded_files, Ordering::Relaxed);
        self.tracker.files_registered.store(t.registered, Ordering::Relaxed);
        let (reg_tx, reg_rx) = mpsc::unbounded_channel();
        let run = Arc::new(Run {
            journal: self.journal.clone(),
            tokens: self.tokens.clone(),
            cloud: self.cloud.clone(),
            upload,
            opts: self.opts.clone(),
            control: self.control.clone(),
            pace: super::pace::Pace::new(self.opts.concurrency, self.opts.adaptive, self.opts.request_aim),
            small_requests: Semaphore::new(self.opts.small_file_concurrency.max(1)),
            tracker: self.tracker.clone(),
            registrar: reg_tx,
            fatal: std::sync::Mutex::new(None),
            sent_files: Default::default(),
            sent_bytes: Default::default(),
        });

        let result = self.run_inner(&run, dataset, &files, &sync.changed, reg_rx).await;
        if matches!(result, Err(Error::Cancelled)) && self.control.is_cancelled() {
            self.abort_in_progress(&run).await;
            self.journal.set_upload_state(upload, "cancelled")?;
        }
        let orphans = result?;
        let files_now = self.journal.files(upload)?;
        let failed: Vec<FailedFile> = files_now
            .iter()
            .filter(|f| f.state == FileState::Failed)
            .map(|f| FailedFile { name: f.name.clone(), reason: f.error.clone().unwrap_or_default() })
            .collect();
        let registered = files_now.iter().filter(|f| f.state == FileState::Registered).count() as u32;
        let report = UploadReport {
            upload_id: upload,
            resource_uuid: self.resource_uuid.clone(),
            files: files_now.len() as u32,
            bytes: files_now.iter().map(|f| f.size).sum(),
            sent_files: run.sent_files.load(Ordering::Relaxed) as u32,
            sent_bytes: run.sent_bytes.load(Ordering::Relaxed),
            registered,
            failed,
            changed: sync.changed,
            orphans_aborted: orphans,
            seconds: started.elapsed().as_secs_f64(),
        };
        self.journal.set_upload_state(upload, if report.complete() { "complete" } else { "incomplete" })?;
        Ok(report)
    }

    async fn run_inner(&self, run: &Arc<Run>, dataset: &Dataset, files: &[JournalFile], changed: &[String], reg_rx: mpsc::UnboundedReceiver<Pending>) -> Result<u32> {
        let session = self.tokens.session().await?;
        run.journal.note_prefix(run.upload, &session.prefix)?;

        // Multipart uploads of files that changed on disk are stale.
        for f in files.iter().filter(|f| changed.contains(&f.name)) {
            if let (Some(id), Some(key)) = (&f.multipart_id, &f.object_key) {
                abort_multipart(&session, key, id).await;
                run.journal.clear_multipart(run.upload, &f.name)?;
            }
        }
        let orphans = self.abort_orphans(run, &session).await;

        // Files sent in an earlier run but not known to be registered: ask the server first.
        let uploaded: Vec<JournalFile> = files.iter().filter(|f| f.state == FileState::Uploaded).cloned().collect();
        settle_uploaded(run, &self.resource_uuid, &uploaded).await?;

        let registrar = tokio::spawn(register_loop(run.clone(), self.resource_uuid.clone(), reg_rx));

        // Largest first: their parts spread over the connections and the tail stays short.
        let paths: HashMap<&str, &PathBuf> = dataset.files.iter().map(|f| (f.name.as_str(), &f.path)).collect();
        let mut todo: Vec<&JournalFile> = files.iter().filter(|f| f.state == FileState::Pending).collect();
        todo.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
        // A task is made only when a slot is free: memory holds the files in flight, not one
        // waiting task per file of the survey.
        let big_slots = Arc::new(Semaphore::new(run.opts.concurrency.max(1)));
        let small_slots = Arc::new(Semaphore::new(run.opts.small_file_concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for f in todo {
            let Some(path) = paths.get(f.name.as_str()).map(|p| (*p).clone()) else { continue };
            let slots = if f.size < SMALL_FILE { &small_slots } else { &big_slots };
            let slot = slots.clone().acquire_owned().await.expect("semaphore open");
            while tasks.try_join_next().is_some() {}
            if run.fatal.lock().unwrap().is_some() || run.control.is_cancelled() {
                break;
            }
            let run = run.clone();
            let f = f.clone();
            tasks.spawn(async move {
                let _slot = slot;
                match upload_file(&run, &f, &path).await {
                    Ok(()) => {}
                    Err(Error::Cancelled) => {}
                    Err(e) if e.is_fatal() => {
                        run.fatal.lock().unwrap().get_or_insert(e);
                        run.control.cancel();
                    }
                    Err(e) => {
                        tracing::warn!(file = %f.name, error = %e, "file failed");
                        run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                        let _ = run.journal.write(Write::Failed { upload: run.upload, name: f.name.clone(), error: e.to_string(), resend: false }).await;
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let _ = run.registrar.send(Pending::End);
        let reg_result = registrar.await.map_err(Error::internal)?;
        if let Some(e) = run.fatal.lock().unwrap().take() {
            return Err(e);
        }
        run.control.checkpoint().await?;
        reg_result?;
        final_check(run, &self.resource_uuid).await?;
        Ok(orphans)
    }

    /// Abort multipart uploads this upload began and lost track of (a crash between creating one
    /// and journaling it): those of its own files' keys, under its own prefixes, that the journal
    /// does not know. Anything else under the prefix (another client's) is left alone.
    async fn abort_orphans(&self, run: &Run, session: &StorageSession) -> u32 {
        let files = run.journal.files(run.upload).unwrap_or_default();
        let known: HashSet<String> = files.iter().filter_map(|f| f.multipart_id.clone()).collect();
        let prefixes = run.journal.prefixes(run.upload).unwrap_or_default();
        let ours: HashSet<String> = prefixes.iter().flat_map(|p| files.iter().map(move |f| format!("{p}/{}", f.name))).collect();
        let mut aborted = 0;
        for prefix in prefixes {
            let mut marker: (Option<String>, Option<String>) = (None, None);
            loop {
                let listed = session
                    .s3
                    .list_multipart_uploads()
                    .bucket(session.bucket())
                    .prefix(format!("{prefix}/"))
                    .set_key_marker(marker.0.clone())
                    .set_upload_id_marker(marker.1.clone())
                    .send()
                    .await;
                let Ok(listed) = listed else {
                    tracing::debug!(%prefix, "could not list multipart uploads (not allowed?)");
                    break;
                };
                for u in listed.uploads() {
                    let (Some(key), Some(id)) = (u.key(), u.upload_id()) else { continue };
                    if ours.contains(key) && !known.contains(id) {
                        abort_multipart(session, key, id).await;
                        aborted += 1;
                    }
                }
                let next = (listed.next_key_marker().map(str::to_string), listed.next_upload_id_marker().map(str::to_string));
                if listed.is_truncated() != Some(true) || next.0.is_none() || next == marker {
                    break;
                }
                marker = next;
            }
        }
        if aborted > 0 {
            tracing::info!(aborted, "orphaned multipart uploads aborted");
        }
        aborted
    }

    /// After a cancel: abort the multipart uploads in progress and forget them.
    async fn abort_in_progress(&self, run: &Run) {
        let Ok(session) = self.tokens.session().await else { return };
        for f in run.journal.files(run.upload).unwrap_or_default() {
            if let (Some(id), Some(key)) = (&f.multipart_id, &f.object_key) {
                abort_multipart(&session, key, id).await;
                let _ = run.journal.clear_multipart(run.upload, &f.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_respects_s3_limits() {
        let o = UploadOptions::default();
        assert_eq!(o.part_size_for(100 * MIB), 16 * MIB);
        // 200 GiB needs parts above 16 MiB to stay within 10,000.
        let ps = o.part_size_for(200 * 1024 * MIB);
        assert!((200 * 1024 * MIB).div_ceil(ps) <= MAX_PARTS);
        let small = UploadOptions { part_size: MIB, ..Default::default() };
        assert_eq!(small.part_size_for(10 * MIB), MIN_PART);
    }
}
