//! The upload flow.
//!
//! 1. The folder is scanned and the journal brought in line with it (new, changed, removed files).
//! 2. Multipart uploads left behind by an earlier run that the journal does not know are aborted.
//! 3. Files go up in parallel (large ones first, in parallel parts), streamed from disk. Each is
//!    recorded in the journal with its ETag and the callbackParam of the token it went under.
//! 4. A registrar sends finished files to `upload_callback` in batches of at most 50; after an
//!    ambiguous failure it asks the server what is registered before sending again, so no file is
//!    registered twice.
//! 5. At the end the resource's file list is compared with the dataset.

use super::control::UploadControl;
use super::journal::{FileState, JournalFile, UploadJournal};
use super::progress::{Tracker, UploadProgress};
use super::storage::{describe_s3_error, is_expired_credentials, s3_error_code, storage_error, StorageSession, TokenSource};
use crate::api::{CallbackFile, Client};
use crate::dataset::Dataset;
use crate::{Error, Result};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

const MIB: u64 = 1024 * 1024;
/// S3's limits.
const MIN_PART: u64 = 5 * MIB;
const MAX_PART: u64 = 5 * 1024 * MIB;
const MAX_PARTS: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Requests in flight at once (whole files and parts together).
    pub concurrency: usize,
    /// Files at or above this size go in parts.
    pub multipart_threshold: u64,
    /// The part size (raised when a file would need more than 10,000 parts).
    pub part_size: u64,
    /// Files per upload_callback (at most 50).
    pub callback_batch: usize,
    /// Tries per file before it is reported as failed.
    pub max_attempts: u32,
}

impl Default for UploadOptions {
    fn default() -> Self {
        // Tuned for 5–30 MB photos and multi-GB LiDAR files over a field uplink or a LAN.
        UploadOptions { concurrency: 12, multipart_threshold: 64 * MIB, part_size: 16 * MIB, callback_batch: 50, max_attempts: 6 }
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
}

pub struct Uploader {
    journal: UploadJournal,
    tokens: Arc<TokenSource>,
    resource_uuid: String,
    opts: UploadOptions,
    control: UploadControl,
}

/// What one run shares between its tasks.
struct Run {
    journal: UploadJournal,
    tokens: Arc<TokenSource>,
    upload: i64,
    opts: UploadOptions,
    control: UploadControl,
    requests: Semaphore,
    tracker: Tracker,
    registrar: mpsc::UnboundedSender<CallbackFile2>,
    /// A failure that stops everything (wrong keys, a wrong clock …).
    fatal: std::sync::Mutex<Option<Error>>,
    sent_files: std::sync::atomic::AtomicU64,
    sent_bytes: std::sync::atomic::AtomicU64,
}

/// A file ready to register, with the callbackParam of its token.
#[derive(Debug, Clone)]
struct CallbackFile2 {
    file: CallbackFile,
    callback_param: String,
}

impl Uploader {
    pub fn new(api: Client, journal: UploadJournal, resource_uuid: impl Into<String>, opts: UploadOptions) -> Self {
        Uploader { journal, tokens: Arc::new(TokenSource::new(api)), resource_uuid: resource_uuid.into(), opts, control: UploadControl::default() }
    }

    pub fn with_control(mut self, control: UploadControl) -> Self {
        self.control = control;
        self
    }

    pub fn control(&self) -> UploadControl {
        self.control.clone()
    }

    /// Upload `dataset` into the resource, resuming whatever the journal knows.
    pub async fn run(&self, dataset: &Dataset, on_progress: impl Fn(&UploadProgress) + Send + Sync + 'static) -> Result<UploadReport> {
        let started = Instant::now();
        let upload = self.journal.open_upload(&dataset.root, &self.resource_uuid)?;
        // Each run gives failed files another go.
        self.journal.retry_failed(upload)?;
        let sync = self.journal.sync(upload, dataset)?;
        if !sync.changed.is_empty() {
            tracing::info!(files = sync.changed.len(), "files changed on disk since they were uploaded; sending them again");
        }
        let files = self.journal.files(upload)?;
        let t = self.journal.totals(upload)?;
        let (reg_tx, reg_rx) = mpsc::unbounded_channel();
        let run = Arc::new(Run {
            journal: self.journal.clone(),
            tokens: self.tokens.clone(),
            upload,
            opts: self.opts.clone(),
            control: self.control.clone(),
            requests: Semaphore::new(self.opts.concurrency.max(1)),
            tracker: Tracker::new(t.bytes, t.files, t.uploaded_bytes, t.uploaded_files, t.registered),
            registrar: reg_tx,
            fatal: std::sync::Mutex::new(None),
            sent_files: Default::default(),
            sent_bytes: Default::default(),
        });

        // Progress a few times a second.
        let on_progress = Arc::new(on_progress);
        let ticker = {
            let run = run.clone();
            let cb = on_progress.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(250));
                loop {
                    every.tick().await;
                    cb(&run.tracker.snapshot(run.control.state() == super::RunState::Paused));
                }
            })
        };

        let result = self.run_inner(&run, dataset, &files, &sync.changed, reg_rx).await;
        ticker.abort();
        on_progress(&run.tracker.snapshot(false));

        let cancelled = matches!(result, Err(Error::Cancelled));
        if cancelled {
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

    async fn run_inner(
        &self,
        run: &Arc<Run>,
        dataset: &Dataset,
        files: &[JournalFile],
        changed: &[String],
        reg_rx: mpsc::UnboundedReceiver<CallbackFile2>,
    ) -> Result<u32> {
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
        let uploaded: Vec<&JournalFile> = files.iter().filter(|f| f.state == FileState::Uploaded).collect();
        if !uploaded.is_empty() {
            let server = registered_on_server(run.tokens.api(), &self.resource_uuid).await?;
            let mut done = Vec::new();
            for f in &uploaded {
                if server.get(&f.name).is_some_and(|e| Some(e) == f.etag.as_ref()) {
                    done.push(f.name.clone());
                } else {
                    let _ = run.registrar.send(CallbackFile2 {
                        file: CallbackFile::new(f.name.clone(), f.etag.as_deref().unwrap_or_default()),
                        callback_param: f.callback_param.clone().unwrap_or_default(),
                    });
                }
            }
            run.journal.mark_registered(run.upload, &done)?;
            run.tracker.files_registered.fetch_add(done.len() as u64, Ordering::Relaxed);
        }

        let registrar = tokio::spawn(register_loop(run.clone(), self.resource_uuid.clone(), reg_rx));

        // Largest first: their parts spread over the connections and the tail stays short.
        let paths: HashMap<&str, &PathBuf> = dataset.files.iter().map(|f| (f.name.as_str(), &f.path)).collect();
        let mut todo: Vec<&JournalFile> = files.iter().filter(|f| f.state == FileState::Pending).collect();
        todo.sort_by(|a, b| b.size.cmp(&a.size).then(a.name.cmp(&b.name)));
        let file_slots = Arc::new(Semaphore::new(run.opts.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for f in todo {
            let Some(path) = paths.get(f.name.as_str()).map(|p| (*p).clone()) else { continue };
            let run = run.clone();
            let f = f.clone();
            let slots = file_slots.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("semaphore open");
                if run.fatal.lock().unwrap().is_some() {
                    return;
                }
                match upload_file(&run, &f, &path).await {
                    Ok(()) => {}
                    Err(Error::Cancelled) => {}
                    Err(e) if is_fatal(&e) => {
                        run.fatal.lock().unwrap().get_or_insert(e);
                        run.control.cancel();
                    }
                    Err(e) => {
                        tracing::warn!(file = %f.name, error = %e, "file failed");
                        run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                        let _ = run.journal.mark_failed(run.upload, &f.name, &e.to_string());
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        // Every file is in; an empty name tells the registrar to flush and stop.
        let _ = run.registrar.send(CallbackFile2 { file: CallbackFile::new("", ""), callback_param: String::new() });
        let reg_result = registrar.await.map_err(|e| Error::Api { code: -1, message: format!("registrar stopped: {e}") })?;
        if let Some(e) = run.fatal.lock().unwrap().take() {
            return Err(e);
        }
        run.control.checkpoint().await?;
        reg_result?;

        // The server's file list must equal the dataset.
        let server = registered_on_server(run.tokens.api(), &self.resource_uuid).await?;
        let journal = run.journal.files(run.upload)?;
        let mut found = Vec::new();
        for f in &journal {
            if f.state == FileState::Failed {
                continue;
            }
            match server.get(&f.name) {
                Some(etag) if Some(etag) == f.etag.as_ref() => {
                    if f.state != FileState::Registered {
                        found.push(f.name.clone());
                    }
                }
                _ => {
                    let reason = "not in the resource's file list after registering: retry the failed files";
                    run.journal.mark_failed(run.upload, &f.name, reason)?;
                }
            }
        }
        run.journal.mark_registered(run.upload, &found)?;
        Ok(orphans)
    }

    /// Abort multipart uploads under this upload's storage prefixes that the journal does not know.
    async fn abort_orphans(&self, run: &Run, session: &StorageSession) -> u32 {
        let known: HashSet<String> = run.journal.files(run.upload).unwrap_or_default().into_iter().filter_map(|f| f.multipart_id).collect();
        let prefixes = run.journal.prefixes(run.upload).unwrap_or_default();
        let mut aborted = 0;
        for prefix in prefixes {
            let listed = session.s3.list_multipart_uploads().bucket(session.bucket()).prefix(format!("{prefix}/")).send().await;
            let Ok(listed) = listed else {
                tracing::debug!(%prefix, "could not list multipart uploads (not allowed?)");
                continue;
            };
            for u in listed.uploads() {
                let (Some(key), Some(id)) = (u.key(), u.upload_id()) else { continue };
                if !known.contains(id) {
                    abort_multipart(session, key, id).await;
                    aborted += 1;
                }
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

fn is_fatal(e: &Error) -> bool {
    matches!(e, Error::WrongKeys | Error::ClockSkew { .. } | Error::NoCredentials { .. } | Error::Storage { .. })
}

async fn abort_multipart(session: &StorageSession, key: &str, id: &str) {
    if let Err(e) = session.s3.abort_multipart_upload().bucket(session.bucket()).key(key).upload_id(id).send().await {
        let code = s3_error_code(&e);
        if code.as_deref() != Some("NoSuchUpload") {
            tracing::warn!(%key, error = %describe_s3_error(&e), "could not abort a multipart upload");
        }
    }
}

/// Names registered to the resource, with their ETags.
async fn registered_on_server(api: &Client, resource: &str) -> Result<HashMap<String, String>> {
    let files = api.all_files_of(resource).await?;
    Ok(files
        .into_iter()
        .map(|f| {
            let etag = f.etag.or(f.checksum).unwrap_or_default().trim_matches('"').to_string();
            (f.name, etag)
        })
        .collect())
}

/// What an S3 failure means for the file.
enum Failure {
    /// The token expired: get a new one and go on; not a failure.
    Expired,
    /// The multipart upload is gone: start the file again.
    NoSuchUpload,
    /// Not allowed (a new token may not reach the key an older token began).
    Denied(String),
    /// Worth another try.
    Retry(String),
}

fn classify<E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static>(e: &aws_sdk_s3::error::SdkError<E>) -> Failure {
    let code = s3_error_code(e);
    if is_expired_credentials(code.as_deref()) {
        Failure::Expired
    } else if code.as_deref() == Some("NoSuchUpload") {
        Failure::NoSuchUpload
    } else if code.as_deref() == Some("AccessDenied") {
        Failure::Denied(describe_s3_error(e))
    } else {
        Failure::Retry(describe_s3_error(e))
    }
}

/// A failed request that is not part of a multipart upload: a stale token, or one more try.
fn expired_or_retry<E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static>(e: &aws_sdk_s3::error::SdkError<E>) -> FileError {
    match classify(e) {
        Failure::Expired => FileError::Expired,
        Failure::NoSuchUpload => FileError::Retry(describe_s3_error(e)),
        Failure::Denied(t) | Failure::Retry(t) => FileError::Retry(t),
    }
}

fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let cap = Duration::from_millis(250 * (1 << attempt.min(6)));
    Duration::from_millis(rand::thread_rng().gen_range(cap.as_millis() as u64 / 2..=cap.as_millis() as u64))
}

fn file_unchanged(path: &Path, f: &JournalFile) -> std::io::Result<bool> {
    let m = std::fs::metadata(path)?;
    Ok(m.len() == f.size && crate::dataset::mtime_ns(&m) == f.mtime_ns)
}

/// Send one file, whole or in parts, until it is in storage; then queue it for registration.
async fn upload_file(run: &Run, f: &JournalFile, path: &Path) -> Result<()> {
    let mut attempt = 0u32;
    let mut f = f.clone();
    loop {
        run.control.checkpoint().await?;
        let session = run.tokens.session().await?;
        let outcome = if f.size >= run.opts.multipart_threshold {
            upload_multipart(run, &f, path, &session).await
        } else {
            upload_whole(run, &f, path, &session).await
        };
        match outcome {
            Ok(stored) => {
                // A file that changed while it was read goes again.
                match file_unchanged(path, &f) {
                    Ok(true) => {}
                    Ok(false) => {
                        let m = std::fs::metadata(path).map_err(|e| Error::storage("read", path, e))?;
                        f.size = m.len();
                        f.mtime_ns = crate::dataset::mtime_ns(&m);
                        run.tracker.note(format!("{} changed while it was sent; sending it again", f.name));
                        attempt += 1;
                        if attempt >= run.opts.max_attempts {
                            return Err(Error::InvalidInput(format!("{} keeps changing on disk while it is sent", f.name)));
                        }
                        continue;
                    }
                    Err(e) => return Err(Error::InvalidInput(format!("{} can no longer be read: {e}", f.name))),
                }
                run.journal.mark_uploaded(run.upload, &f.name, &stored.key, &stored.prefix, &stored.etag, &stored.callback_param)?;
                run.tracker.files_done.fetch_add(1, Ordering::Relaxed);
                run.sent_files.fetch_add(1, Ordering::Relaxed);
                let _ = run.registrar.send(CallbackFile2 { file: CallbackFile::new(f.name.clone(), &stored.etag), callback_param: stored.callback_param });
                return Ok(());
            }
            Err(FileError::Expired) => {
                run.tracker.note("storage token expired; continuing with a new one");
                run.tokens.expired(&session).await;
            }
            Err(FileError::Restart) => {
                run.journal.clear_multipart(run.upload, &f.name)?;
                f.multipart_id = None;
            }
            Err(FileError::Local(e)) => return Err(e),
            Err(FileError::Retry(reason)) => {
                attempt += 1;
                if attempt >= run.opts.max_attempts {
                    return Err(storage_error(format!("{reason} (after {attempt} tries)")));
                }
                run.tracker.note(format!("{}: {reason}; trying again", f.name));
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        // Reload what the journal knows (multipart id, parts) for the next try.
        if let Some(j) = run.journal.file(run.upload, &f.name)? {
            f.multipart_id = j.multipart_id;
            f.object_key = j.object_key;
            f.store_prefix = j.store_prefix;
            f.part_size = j.part_size;
            f.callback_param = j.callback_param;
        }
    }
}

/// Where a file ended up: its ETag, and the key, prefix and callbackParam of the token whose
/// storePath it is under.
struct Stored {
    etag: String,
    key: String,
    prefix: String,
    callback_param: String,
}

enum FileError {
    Expired,
    Restart,
    Retry(String),
    Local(Error),
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Local(e)
    }
}

fn read_error(path: &Path, e: impl std::fmt::Display) -> FileError {
    FileError::Local(Error::InvalidInput(format!("{} could not be read: {e}", path.display())))
}

async fn stream(path: &Path, offset: u64, len: u64) -> std::result::Result<ByteStream, FileError> {
    ByteStream::read_from()
        .path(path)
        .offset(offset)
        .length(Length::Exact(len))
        .buffer_size(256 * 1024)
        .build()
        .await
        .map_err(|e| read_error(path, e))
}

async fn upload_whole(run: &Run, f: &JournalFile, path: &Path, s: &StorageSession) -> std::result::Result<Stored, FileError> {
    let _permit = run.requests.acquire().await.expect("semaphore open");
    run.control.checkpoint().await?;
    let body = stream(path, 0, f.size).await?;
    let r = s.s3.put_object().bucket(s.bucket()).key(s.key(&f.name)).content_length(f.size as i64).body(body).send().await;
    match r {
        Ok(out) => {
            run.tracker.add_bytes(f.size);
            run.sent_bytes.fetch_add(f.size, Ordering::Relaxed);
            Ok(Stored {
                etag: out.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                key: s.key(&f.name),
                prefix: s.prefix.clone(),
                callback_param: s.token.callback_param.clone(),
            })
        }
        Err(e) => Err(expired_or_retry(&e)),
    }
}

fn part_len(size: u64, part_size: u64, n: u32) -> u64 {
    let start = (n as u64 - 1) * part_size;
    part_size.min(size - start)
}

/// The multipart ETag S3 computes from the parts' ETags.
fn multipart_etag(parts: &[(u32, String)]) -> String {
    let mut h = Md5::new();
    for (_, e) in parts {
        h.update(hex::decode(e.trim_matches('"')).unwrap_or_default());
    }
    format!("{}-{}", hex::encode(h.finalize()), parts.len())
}

async fn upload_multipart(run: &Run, f: &JournalFile, path: &Path, s: &StorageSession) -> std::result::Result<Stored, FileError> {
    let part_size = run.opts.part_size_for(f.size);
    let n_parts = f.size.div_ceil(part_size) as u32;

    // Go on with the earlier multipart upload, under the key of the token it began with (a new
    // token may have a new storePath), when its part size still applies.
    let mut done: HashMap<u32, String> = HashMap::new();
    let mut upload_id = None;
    let mut key = s.key(&f.name);
    let mut prefix = s.prefix.clone();
    let mut callback_param = s.token.callback_param.clone();
    if let (Some(id), Some(old_key)) = (&f.multipart_id, &f.object_key) {
        if f.part_size == Some(part_size) && f.store_prefix.is_some() && f.callback_param.is_some() {
            key = old_key.clone();
            prefix = f.store_prefix.clone().unwrap_or_default();
            callback_param = f.callback_param.clone().unwrap_or_default();
            match list_parts(s, &key, id).await {
                Ok(parts) => {
                    for (n, etag, size) in parts {
                        if n >= 1 && n <= n_parts && size == part_len(f.size, part_size, n) {
                            done.insert(n, etag);
                        }
                    }
                    upload_id = Some(id.clone());
                    let resumed: u64 = done.keys().map(|n| part_len(f.size, part_size, *n)).sum();
                    run.tracker.add_bytes(resumed);
                    tracing::info!(file = %f.name, parts = done.len(), of = n_parts, "multipart upload resumed");
                }
                Err(FileError::Restart) => {}
                Err(e) => return Err(e),
            }
        } else {
            abort_multipart(s, old_key, id).await;
        }
        if upload_id.is_none() {
            run.journal.clear_multipart(run.upload, &f.name)?;
            key = s.key(&f.name);
            prefix = s.prefix.clone();
            callback_param = s.token.callback_param.clone();
        }
    }
    let upload_id = match upload_id {
        Some(id) => id,
        None => {
            let _permit = run.requests.acquire().await.expect("semaphore open");
            let r = s.s3.create_multipart_upload().bucket(s.bucket()).key(&key).send().await;
            let id = match r {
                Ok(o) => o.upload_id().unwrap_or_default().to_string(),
                Err(e) => {
                    return Err(expired_or_retry(&e))
                }
            };
            run.journal.start_multipart(run.upload, &f.name, &key, &prefix, &callback_param, &id, part_size)?;
            id
        }
    };

    // The missing parts, in parallel within the request limit.
    let missing: Vec<u32> = (1..=n_parts).filter(|n| !done.contains_key(n)).collect();
    let results = futures::future::join_all(missing.into_iter().map(|n| {
        let key = key.clone();
        let upload_id = upload_id.clone();
        async move {
            let _permit = run.requests.acquire().await.expect("semaphore open");
            run.control.checkpoint().await?;
            let len = part_len(f.size, part_size, n);
            let mut tries = 0;
            loop {
                let body = stream(path, (n as u64 - 1) * part_size, len).await?;
                let r = s.s3.upload_part().bucket(s.bucket()).key(&key).upload_id(&upload_id).part_number(n as i32).content_length(len as i64).body(body).send().await;
                match r {
                    Ok(o) => {
                        let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_string();
                        run.journal.record_part(run.upload, &f.name, &upload_id, n, &etag, len)?;
                        run.tracker.add_bytes(len);
                        run.sent_bytes.fetch_add(len, Ordering::Relaxed);
                        return Ok::<_, FileError>((n, etag));
                    }
                    Err(e) => match classify(&e) {
                        Failure::Expired => return Err(FileError::Expired),
                        Failure::NoSuchUpload => return Err(FileError::Restart),
                        Failure::Denied(_) if key != s.key(&f.name) => return Err(FileError::Restart),
                        Failure::Denied(t) | Failure::Retry(t) => {
                            tries += 1;
                            if tries >= 3 {
                                return Err(FileError::Retry(t));
                            }
                            tokio::time::sleep(backoff(tries)).await;
                        }
                    },
                }
            }
        }
    }))
    .await;
    // An expired token or a lost upload wins over a plain retry: it changes what to do next.
    let mut retry = None;
    for r in results {
        match r {
            Ok((n, etag)) => {
                done.insert(n, etag);
            }
            Err(FileError::Retry(t)) => retry = Some(t),
            Err(e) => return Err(e),
        }
    }
    if let Some(t) = retry {
        return Err(FileError::Retry(t));
    }

    let mut parts: Vec<(u32, String)> = done.into_iter().collect();
    parts.sort_by_key(|(n, _)| *n);
    let expected = multipart_etag(&parts);
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(parts.iter().map(|(n, e)| CompletedPart::builder().part_number(*n as i32).e_tag(format!("\"{e}\"")).build()).collect()))
        .build();
    let _permit = run.requests.acquire().await.expect("semaphore open");
    let r = s.s3.complete_multipart_upload().bucket(s.bucket()).key(&key).upload_id(&upload_id).multipart_upload(completed).send().await;
    let stored = |etag: String| Stored { etag, key: key.clone(), prefix: prefix.clone(), callback_param: callback_param.clone() };
    match r {
        Ok(o) => Ok(stored(o.e_tag().map(|e| e.trim_matches('"').to_string()).unwrap_or(expected))),
        Err(e) => match classify(&e) {
            Failure::Expired => Err(FileError::Expired),
            // Completed by an earlier try whose answer was lost? The object tells.
            Failure::NoSuchUpload => match s.s3.head_object().bucket(s.bucket()).key(&key).send().await {
                Ok(h) if h.e_tag().map(|e| e.trim_matches('"')) == Some(expected.as_str()) => Ok(stored(expected)),
                _ => Err(FileError::Restart),
            },
            Failure::Denied(_) if key != s.key(&f.name) => Err(FileError::Restart),
            Failure::Denied(t) | Failure::Retry(t) => Err(FileError::Retry(t)),
        },
    }
}

async fn list_parts(s: &StorageSession, key: &str, id: &str) -> std::result::Result<Vec<(u32, String, u64)>, FileError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let r = s.s3.list_parts().bucket(s.bucket()).key(key).upload_id(id).set_part_number_marker(marker.clone()).send().await;
        match r {
            Ok(o) => {
                for p in o.parts() {
                    out.push((p.part_number().unwrap_or(0) as u32, p.e_tag().unwrap_or_default().trim_matches('"').to_string(), p.size().unwrap_or(0) as u64));
                }
                if o.is_truncated() == Some(true) {
                    marker = o.next_part_number_marker().map(str::to_string);
                    if marker.is_none() {
                        break;
                    }
                } else {
                    break;
                }
            }
            Err(e) => {
                return Err(match classify(&e) {
                    Failure::Expired => FileError::Expired,
                    Failure::NoSuchUpload | Failure::Denied(_) => FileError::Restart,
                    Failure::Retry(t) => FileError::Retry(t),
                })
            }
        }
    }
    Ok(out)
}

/// Register finished files in batches of at most 50, per callbackParam.
async fn register_loop(run: Arc<Run>, resource: String, mut rx: mpsc::UnboundedReceiver<CallbackFile2>) -> Result<()> {
    let mut pending: Vec<CallbackFile2> = Vec::new();
    let batch = run.opts.callback_batch.clamp(1, 50);
    loop {
        // Wait for a file, or flush what we have after a short quiet spell.
        let next = if pending.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
                Ok(v) => v,
                Err(_) => {
                    flush(&run, &resource, &mut pending, batch, true).await?;
                    continue;
                }
            }
        };
        match next {
            Some(item) if item.file.name.is_empty() => {
                flush(&run, &resource, &mut pending, batch, true).await?;
                return Ok(());
            }
            Some(item) => {
                pending.push(item);
                flush(&run, &resource, &mut pending, batch, false).await?;
            }
            None => {
                flush(&run, &resource, &mut pending, batch, true).await?;
                return Ok(());
            }
        }
    }
}

/// Send full batches (or everything, when `all`).
async fn flush(run: &Run, resource: &str, pending: &mut Vec<CallbackFile2>, batch: usize, all: bool) -> Result<()> {
    loop {
        // Group by callbackParam, oldest first.
        let Some(first) = pending.first() else { return Ok(()) };
        let cb = first.callback_param.clone();
        let same: Vec<usize> = pending.iter().enumerate().filter(|(_, p)| p.callback_param == cb).map(|(i, _)| i).take(batch).collect();
        if same.len() < batch && !all {
            return Ok(());
        }
        // Remove from the back so the indices stay valid, then restore the order.
        let mut items: Vec<CallbackFile2> = Vec::with_capacity(same.len());
        for i in same.iter().rev() {
            items.push(pending.remove(*i));
        }
        items.reverse();
        register_batch(run, resource, &cb, items.into_iter().map(|i| i.file).collect()).await?;
    }
}

async fn register_batch(run: &Run, resource: &str, callback_param: &str, mut files: Vec<CallbackFile>) -> Result<()> {
    let api = run.tokens.api();
    let mut attempt = 0;
    while !files.is_empty() {
        match api.upload_callback(resource, callback_param, &files).await {
            Ok(_) => {
                let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
                run.journal.mark_registered(run.upload, &names)?;
                run.tracker.files_registered.fetch_add(names.len() as u64, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) if is_fatal(&e) => return Err(e),
            Err(Error::InvalidParameters { message }) => {
                // One bad file must not hold back the others: send them one by one.
                if files.len() > 1 {
                    for f in std::mem::take(&mut files) {
                        Box::pin(register_batch(run, resource, callback_param, vec![f])).await?;
                    }
                    return Ok(());
                }
                let f = &files[0];
                run.journal.mark_failed(run.upload, &f.name, &format!("the server would not register it: {message}"))?;
                run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) => {
                // The batch may or may not have been registered: ask before sending again.
                attempt += 1;
                run.tracker.note(format!("registering files failed ({e}); checking and trying again"));
                tokio::time::sleep(backoff(attempt)).await;
                if let Ok(server) = registered_on_server(api, resource).await {
                    let (there, missing): (Vec<CallbackFile>, Vec<CallbackFile>) =
                        files.into_iter().partition(|f| server.get(&f.name) == Some(&f.etag));
                    let names: Vec<String> = there.iter().map(|f| f.name.clone()).collect();
                    run.journal.mark_registered(run.upload, &names)?;
                    run.tracker.files_registered.fetch_add(names.len() as u64, Ordering::Relaxed);
                    files = missing;
                }
                if attempt >= run.opts.max_attempts * 2 && !files.is_empty() {
                    for f in &files {
                        run.journal.mark_failed(run.upload, &f.name, &format!("could not be registered: {e}"))?;
                        run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                    }
                    return Ok(());
                }
            }
        }
    }
    Ok(())
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

    #[test]
    fn multipart_etag_matches_s3s_recipe() {
        let p1 = hex::encode(Md5::digest(b"hello"));
        let p2 = hex::encode(Md5::digest(b"world"));
        let mut h = Md5::new();
        h.update(Md5::digest(b"hello"));
        h.update(Md5::digest(b"world"));
        assert_eq!(multipart_etag(&[(1, p1), (2, p2)]), format!("{}-2", hex::encode(h.finalize())));
    }
}
