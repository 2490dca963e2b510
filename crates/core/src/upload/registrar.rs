//! Registering uploaded files to the resource: batches of at most 50 per callbackParam, sent while
//! uploads go on; after an ambiguous failure the server is asked what it has before anything is
//! sent again, so no file is registered twice. At the end the resource's file list is compared
//! with the journal.

use super::engine::Run;
use super::journal::{FileState, Write};
use crate::api::CallbackFile;
use crate::progress::ProgressNote;
use crate::{Error, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the registrar is told.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    /// A file in storage, with the callbackParam of the token it went under.
    File { file: CallbackFile, callback_param: String },
    /// Every file is in: flush and stop.
    End,
}

/// Registration batches in flight at once: the round trips overlap, while each file is still in
/// exactly one batch.
const BATCHES_IN_FLIGHT: usize = 4;

/// Files waiting for registration, grouped by callbackParam in the order they came.
type Waiting = Vec<(String, Vec<CallbackFile>)>;
type Batches = tokio::task::JoinSet<Result<()>>;

/// Register finished files in batches of at most 50, per callbackParam, several at once.
pub(super) async fn register_loop(run: Arc<Run>, resource: String, mut rx: mpsc::UnboundedReceiver<Pending>) -> Result<()> {
    let mut waiting: Waiting = Vec::new();
    let mut batches = Batches::new();
    let batch = run.opts.callback_batch.clamp(1, 50);
    loop {
        while let Some(done) = batches.try_join_next() {
            done.map_err(Error::internal)??;
        }
        // Wait for a file, or flush what we have after a short quiet spell.
        let next = if waiting.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
                Ok(v) => v,
                Err(_) => {
                    flush(&run, &resource, &mut waiting, batch, true, &mut batches).await?;
                    continue;
                }
            }
        };
        match next {
            Some(Pending::File { file, callback_param }) => {
                match waiting.iter_mut().find(|(c, _)| *c == callback_param) {
                    Some((_, files)) => files.push(file),
                    None => waiting.push((callback_param, vec![file])),
                }
                flush(&run, &resource, &mut waiting, batch, false, &mut batches).await?;
            }
            Some(Pending::End) | None => {
                flush(&run, &resource, &mut waiting, batch, true, &mut batches).await?;
                while let Some(done) = batches.join_next().await {
                    done.map_err(Error::internal)??;
                }
                return Ok(());
            }
        }
    }
}

/// Send full batches (or everything, when `all`), at most [`BATCHES_IN_FLIGHT`] at once.
async fn flush(run: &Arc<Run>, resource: &str, waiting: &mut Waiting, batch: usize, all: bool, batches: &mut Batches) -> Result<()> {
    for (cb, files) in waiting.iter_mut() {
        while files.len() >= batch || all && !files.is_empty() {
            if batches.len() >= BATCHES_IN_FLIGHT {
                if let Some(done) = batches.join_next().await {
                    done.map_err(Error::internal)??;
                }
            }
            let items: Vec<CallbackFile> = files.drain(..batch.min(files.len())).collect();
            let (run, resource, cb) = (run.clone(), resource.to_string(), cb.clone());
            batches.spawn(async move { register_batch(&run, &resource, &cb, items).await });
        }
    }
    waiting.retain(|(_, files)| !files.is_empty());
    Ok(())
}

async fn register_batch(run: &Run, resource: &str, callback_param: &str, mut files: Vec<CallbackFile>) -> Result<()> {
    let mut budget = run.opts.register_retry.budget();
    while !files.is_empty() {
        match run.cloud.register(resource, callback_param, &files).await {
            Ok(()) => {
                let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
                let n = names.len() as u64;
                run.journal.write(Write::Registered { upload: run.upload, names }).await?;
                run.tracker.files_registered.fetch_add(n, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) if e.is_fatal() => return Err(e),
            Err(Error::InvalidParameters { message }) => {
                // One bad file must not hold back the others: send them one by one.
                if files.len() > 1 {
                    for f in std::mem::take(&mut files) {
                        Box::pin(register_batch(run, resource, callback_param, vec![f])).await?;
                    }
                    return Ok(());
                }
                let f = &files[0];
                // Sent again on retry: what is in storage may be what the server refuses.
                run.journal.write(Write::Failed { upload: run.upload, name: f.name.clone(), error: format!("the server would not register it: {message}"), resend: true }).await?;
                run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) => {
                // The batch may or may not have been registered: ask before sending again.
                run.tracker.note(ProgressNote::CheckingRegistration { reason: e.to_string() });
                let spent = !budget.wait().await;
                if let Ok(server) = run.cloud.registered(resource).await {
                    let (there, missing): (Vec<CallbackFile>, Vec<CallbackFile>) = files.into_iter().partition(|f| server.get(&f.name).is_some_and(|e| same_etag(e, &f.etag)));
                    let names: Vec<String> = there.iter().map(|f| f.name.clone()).collect();
                    let n = names.len() as u64;
                    run.journal.write(Write::Registered { upload: run.upload, names }).await?;
                    run.tracker.files_registered.fetch_add(n, Ordering::Relaxed);
                    files = missing;
                }
                if spent && !files.is_empty() {
                    for f in &files {
                        run.journal.write(Write::Failed { upload: run.upload, name: f.name.clone(), error: format!("could not be registered: {e}"), resend: false }).await?;
                        run.tracker.files_failed.fetch_add(1, Ordering::Relaxed);
                    }
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// ETags compare without case: Aliyun OSS answers them in upper case, S3 in lower.
pub(super) fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"').eq_ignore_ascii_case(b.trim_matches('"'))
}

/// Files sent in an earlier run but not known to be registered: those the server already has are
/// marked registered; the others are queued for registration.
pub(super) async fn settle_uploaded(run: &Run, resource: &str, uploaded: &[super::journal::JournalFile]) -> Result<()> {
    if uploaded.is_empty() {
        return Ok(());
    }
    let server = run.cloud.registered(resource).await?;
    let mut done = Vec::new();
    for f in uploaded {
        if server.get(&f.name).is_some_and(|e| f.etag.as_deref().is_some_and(|j| same_etag(e, j))) {
            done.push(f.name.clone());
        } else {
            let _ = run.registrar.send(Pending::File {
                file: CallbackFile::new(f.name.clone(), f.etag.as_deref().unwrap_or_default()),
                callback_param: f.callback_param.clone().unwrap_or_default(),
            });
        }
    }
    run.journal.mark_registered(run.upload, &done)?;
    run.tracker.files_registered.fetch_add(done.len() as u64, Ordering::Relaxed);
    Ok(())
}

/// The server's file list must equal the journal: what it lacks is marked failed (to retry).
pub(super) async fn final_check(run: &Run, resource: &str) -> Result<()> {
    let server = run.cloud.registered(resource).await?;
    let journal = run.journal.files(run.upload)?;
    let mut found = Vec::new();
    for f in &journal {
        if f.state == FileState::Failed {
            continue;
        }
        match server.get(&f.name) {
            Some(etag) if f.etag.as_deref().is_some_and(|j| same_etag(etag, j)) => {
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
    run.journal.mark_registered(run.upload, &found)
}
