//! Moving one file into storage: whole, or as a multipart upload whose parts go up in parallel and
//! are journaled one by one, so that an interrupted file continues from its last part.

use super::engine::Run;
use super::journal::{JournalFile, Write};
use super::registrar::Pending;
use super::storage::{describe_s3_error, is_expired_credentials, s3_error_code, storage_error, StorageSession};
use crate::api::CallbackFile;
use crate::progress::{InFlight, ProgressNote};
use crate::{Error, Result};
use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use std::sync::atomic::Ordering;

/// Where a file ended up: its ETag, and the key, prefix and callbackParam of the token whose
/// storePath it is under.
struct Stored {
    etag: String,
    key: String,
    prefix: String,
    callback_param: String,
}

pub(super) enum FileError {
    /// The token expired: get a new one and go on; not a failure.
    Expired,
    /// The multipart upload is gone or unusable: start the file again.
    Restart,
    /// Worth another try.
    Retry(String),
    /// Stops this file (or everything, when fatal).
    Local(Error),
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Local(e)
    }
}

/// What an S3 failure means for the file.
enum Failure {
    Expired,
    NoSuchUpload,
    /// Not allowed (a new token may not reach the key an older token began).
    Denied(String),
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

fn file_unchanged(path: &Path, f: &JournalFile) -> std::io::Result<bool> {
    let m = std::fs::metadata(path)?;
    Ok(m.len() == f.size && crate::dataset::mtime_ns(&m) == f.mtime_ns)
}

/// Send one file, whole or in parts, until it is in storage; then queue it for registration.
pub(super) async fn upload_file(run: &Run, f: &JournalFile, path: &Path) -> Result<()> {
    let mut budget = run.opts.retry.budget();
    let mut changes = 0;
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
                        let m = std::fs::metadata(path).map_err(|e| Error::FileUnreadable { name: f.name.clone(), reason: e.to_string() })?;
                        f.size = m.len();
                        f.mtime_ns = crate::dataset::mtime_ns(&m);
                        run.tracker.note(ProgressNote::ChangedWhileSent { name: f.name.clone() });
                        changes += 1;
                        if changes >= run.opts.retry.attempts {
                            return Err(Error::FileKeepsChanging { name: f.name.clone() });
                        }
                        continue;
                    }
                    Err(e) => return Err(Error::FileUnreadable { name: f.name.clone(), reason: e.to_string() }),
                }
                run.journal
                    .write(Write::Uploaded { upload: run.upload, name: f.name.clone(), key: stored.key, prefix: stored.prefix, etag: stored.etag.clone(), callback_param: stored.callback_param.clone() })
                    .await?;
                run.tracker.files_done.fetch_add(1, Ordering::Relaxed);
                run.sent_files.fetch_add(1, Ordering::Relaxed);
                let _ = run.registrar.send(Pending::File { file: CallbackFile::new(f.name.clone(), &stored.etag), callback_param: stored.callback_param });
                return Ok(());
            }
            Err(FileError::Expired) => {
                run.tracker.note(ProgressNote::TokenRefreshed);
                run.tokens.expired(&session).await?;
            }
            Err(FileError::Restart) => {
                run.journal.clear_multipart(run.upload, &f.name)?;
                f.multipart_id = None;
            }
            Err(FileError::Local(e)) => return Err(e),
            Err(FileError::Retry(reason)) => {
                run.tracker.note(ProgressNote::Retrying { name: f.name.clone(), reason: reason.clone() });
                if !budget.wait().await {
                    return Err(storage_error(format!("{reason} (after {} tries)", budget.failures())));
                }
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

fn read_error(path: &Path, e: impl std::fmt::Display) -> FileError {
    FileError::Local(Error::FileUnreadable { name: path.display().to_string(), reason: e.to_string() })
}

/// The body of one request: `len` bytes of the file from `offset`, charged to the upload's speed
/// limit when one is in force (a limit set while it runs applies at once) and counted as it goes
/// (the returned [`InFlight`] holds the count until the request ends).
fn stream(run: &Run, path: &Path, offset: u64, len: u64) -> std::result::Result<(ByteStream, Arc<InFlight>), FileError> {
    let inflight = InFlight::new(run.tracker.clone());
    // Opened here, to say now when it cannot be read; opened again only for another try.
    let first = crate::throttle::ThrottledFile::open(path, offset, len, run.opts.limit.clone(), Some(inflight.clone())).map_err(|e| read_error(path, e))?;
    let first = std::sync::Mutex::new(Some(first));
    let (path, limit, counted) = (path.to_path_buf(), run.opts.limit.clone(), inflight.clone());
    let body = SdkBody::retryable(move || {
        let body = first.lock().unwrap().take().unwrap_or_else(|| {
            // The SDK sends the body again: what the last try sent no longer counts.
            counted.reset();
            crate::throttle::ThrottledFile::open_or_failing(&path, offset, len, limit.clone(), Some(counted.clone()))
        });
        SdkBody::from_body_1_x(body)
    });
    Ok((ByteStream::new(body), inflight))
}

async fn upload_whole(run: &Run, f: &JournalFile, path: &Path, s: &StorageSession) -> std::result::Result<Stored, FileError> {
    let _permit = if f.size < super::engine::SMALL_FILE { super::pace::Slot::plain(run.small_requests.acquire().await.expect("semaphore open")) } else { run.pace.acquire().await };
    run.control.checkpoint().await?;
    let (body, inflight) = stream(run, path, 0, f.size)?;
    let sent = Instant::now();
    let r = s.s3.put_object().bucket(s.bucket()).key(s.key(&f.name)).content_length(f.size as i64).body(body).send().await;
    inflight.reset();
    match r {
        Ok(out) => {
            if f.size >= super::engine::SMALL_FILE {
                run.pace.finished(f.size, sent.elapsed());
            }
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
pub(super) fn multipart_etag(parts: &[(u32, String)]) -> String {
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
            let _permit = run.pace.acquire().await;
            let r = s.s3.create_multipart_upload().bucket(s.bucket()).key(&key).send().await;
            let id = match r {
                Ok(o) => o.upload_id().unwrap_or_default().to_string(),
                Err(e) => return Err(expired_or_retry(&e)),
            };
            run.journal
                .write(Write::StartMultipart { upload: run.upload, name: f.name.clone(), key: key.clone(), prefix: prefix.clone(), callback_param: callback_param.clone(), id: id.clone(), part_size })
                .await?;
            id
        }
    };

    // The missing parts, in parallel within the request limit.
    let missing: Vec<u32> = (1..=n_parts).filter(|n| !done.contains_key(n)).collect();
    let results = futures::future::join_all(missing.into_iter().map(|n| {
        let key = key.clone();
        let upload_id = upload_id.clone();
        async move {
            let _permit = run.pace.acquire().await;
            run.control.checkpoint().await?;
            let len = part_len(f.size, part_size, n);
            let mut budget = run.opts.part_retry.budget();
            loop {
                let (body, inflight) = stream(run, path, (n as u64 - 1) * part_size, len)?;
                let sent = Instant::now();
                let r = s.s3.upload_part().bucket(s.bucket()).key(&key).upload_id(&upload_id).part_number(n as i32).content_length(len as i64).body(body).send().await;
                inflight.reset();
                match r {
                    Ok(o) => {
                        run.pace.finished(len, sent.elapsed());
                        let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_string();
                        run.journal.write(Write::Part { upload: run.upload, name: f.name.clone(), multipart_id: upload_id.clone(), number: n, etag: etag.clone(), size: len }).await?;
                        run.tracker.add_bytes(len);
                        run.sent_bytes.fetch_add(len, Ordering::Relaxed);
                        return Ok::<_, FileError>((n, etag));
                    }
                    Err(e) => match classify(&e) {
                        Failure::Expired => return Err(FileError::Expired),
                        Failure::NoSuchUpload => return Err(FileError::Restart),
                        Failure::Denied(_) if key != s.key(&f.name) => return Err(FileError::Restart),
                        Failure::Denied(t) | Failure::Retry(t) => {
                            if !budget.wait().await {
                                return Err(FileError::Retry(t));
                            }
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
    let _permit = run.pace.acquire().await;
    let r = s.s3.complete_multipart_upload().bucket(s.bucket()).key(&key).upload_id(&upload_id).multipart_upload(completed).send().await;
    let stored = |etag: String| Stored { etag, key: key.clone(), prefix: prefix.clone(), callback_param: callback_param.clone() };
    match r {
        Ok(o) => Ok(stored(o.e_tag().map(|e| e.trim_matches('"').to_string()).unwrap_or(expected))),
        Err(e) => match classify(&e) {
            Failure::Expired => Err(FileError::Expired),
            // Completed by an earlier try whose answer was lost? The object tells.
            Failure::NoSuchUpload => match s.s3.head_object().bucket(s.bucket()).key(&key).send().await {
                Ok(h) if h.e_tag().is_some_and(|e| super::registrar::same_etag(e, &expected)) => Ok(stored(h.e_tag().unwrap_or_default().trim_matches('"').to_string())),
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

pub(super) async fn abort_multipart(session: &StorageSession, key: &str, id: &str) {
    if let Err(e) = session.s3.abort_multipart_upload().bucket(session.bucket()).key(key).upload_id(id).send().await {
        let code = s3_error_code(&e);
        if code.as_deref() != Some("NoSuchUpload") {
            tracing::warn!(%key, error = %describe_s3_error(&e), "could not abort a multipart upload");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
