//! The upload engine against the sandbox's S3: a mixed dataset, faults, short tokens, resume.

mod common;

use common::*;
use common::{mixed_dataset, MIB};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use terradesk_core::dataset;
use terradesk_core::db::Db;
use terradesk_core::upload::{etag_of_file, UploadJournal, UploadOptions};
use terradesk_sandbox::{Faults, Sandbox, SandboxConfig};

pub struct Outcome {
    pub report: terradesk_core::upload::UploadReport,
    pub resource: String,
}

pub async fn upload(sb: &Sandbox, root: &Path, db: &Db, opts: UploadOptions, resource: Option<String>) -> Outcome {
    let c = client(sb);
    let resource = match resource {
        Some(r) => r,
        None => c.create_resource("mixed", "map").await.unwrap().uuid,
    };
    let ds = dataset::scan(root).unwrap();
    let (up, _, _) = uploader(c, UploadJournal::new(db.clone()), resource.clone(), opts);
    let report = up.run(&ds).await.unwrap();
    Outcome { report, resource }
}

/// Every dataset file registered exactly once with the right ETag, nothing else, no multipart left.
pub async fn assert_exact(sb: &Sandbox, root: &Path, resource: &str, part_size: u64, threshold: u64) {
    let ds = dataset::scan(root).unwrap();
    let c = client(sb);
    let files = c.all_files_of(resource).await.unwrap();
    let server: HashMap<String, String> = files.iter().map(|f| (f.name.clone(), f.etag.clone().unwrap())).collect();
    assert_eq!(server.len(), files.len(), "no name twice in the resource");
    let mut expected = HashMap::new();
    for f in &ds.files {
        let etag = etag_of_file(&f.path, (f.size >= threshold).then_some(part_size)).unwrap();
        expected.insert(f.name.clone(), etag);
    }
    assert_eq!(server, expected, "the resource's files equal the dataset, byte for byte");
    let (regs, multipart) = sb.inspect(|s| {
        (
            s.registrations.iter().filter(|((r, _), _)| r == resource).map(|((_, n), c)| (n.clone(), *c)).collect::<HashMap<_, _>>(),
            s.multipart.len(),
        )
    });
    for (name, count) in &regs {
        assert_eq!(*count, 1, "{name} registered {count} times");
    }
    assert_eq!(multipart, 0, "no multipart upload left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mixed_dataset_uploads_and_registers_exactly() {
    let sb = sandbox(1.0).await;
    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join("../journal-mixed.db")).unwrap();
    let opts = UploadOptions::default();
    let out = upload(&sb, dir.path(), &db, opts.clone(), None).await;
    assert!(out.report.complete(), "{:?}", out.report.failed);
    assert_eq!(out.report.files, 27);
    assert_exact(&sb, dir.path(), &out.resource, opts.part_size, opts.multipart_threshold).await;

    // Again: nothing is sent twice.
    let again = upload(&sb, dir.path(), &db, opts.clone(), Some(out.resource.clone())).await;
    assert_eq!(again.report.sent_files, 0);
    assert_eq!(again.report.sent_bytes, 0);

    // A file changed on disk after it was uploaded goes again, and only it.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.path().join("flight 1/raw/DJI_0003.JPG"), b"edited photo").unwrap();
    let changed = upload(&sb, dir.path(), &db, opts.clone(), Some(out.resource.clone())).await;
    assert_eq!(changed.report.changed, vec!["flight 1/raw/DJI_0003.JPG".to_string()]);
    assert_eq!(changed.report.sent_files, 1);
    let files = client(&sb).all_files_of(&out.resource).await.unwrap();
    let f = files.iter().find(|f| f.name == "flight 1/raw/DJI_0003.JPG").unwrap();
    assert_eq!(f.etag.as_deref(), Some(etag_of_file(&dir.path().join("flight 1/raw/DJI_0003.JPG"), None).unwrap().as_str()));
    let _ = std::fs::remove_file(dir.path().join("../journal-mixed.db"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn injected_500s_and_dropped_connections_lose_nothing() {
    let sb = sandbox(1.0).await;
    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join(".journal.db")).unwrap();
    // Small parts: many requests, many faults.
    let opts = UploadOptions { part_size: 5 * MIB, retry: terradesk_core::retry::RetryPolicy::new(12, Duration::from_millis(250), Duration::from_secs(16)), ..Default::default() };
    let c = client_retrying(&sb, &sb.secret_key(), 0, 12);
    // The resource first: a create is never sent twice, so a fault there would end the test
    // before the upload it is about.
    let resource = c.create_resource("faults", "map").await.unwrap().uuid;
    sb.set_faults(Faults { error_rate: 0.10, drop_rate: 0.10, include_storage: true, ..Default::default() });
    let ds = dataset::scan(dir.path()).unwrap();
    let report = uploader(c, UploadJournal::new(db), resource.clone(), opts.clone()).0.run(&ds).await.unwrap();
    assert!(report.complete(), "{:?}", report.failed);
    sb.set_faults(Faults::default());
    let (errors, drops) = sb.inspect(|s| (s.counters.injected_errors, s.counters.injected_drops));
    assert!(errors > 0 && drops > 0, "{errors} errors, {drops} drops injected");
    assert_exact(&sb, dir.path(), &resource, opts.part_size, opts.multipart_threshold).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_lasting_seconds_are_refreshed_during_a_long_upload() {
    let sb = Sandbox::start(SandboxConfig {
        token_lifetime: Duration::from_secs(2),
        faults: Faults { latency: Duration::from_millis(40), include_storage: true, ..Default::default() },
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join(".journal.db")).unwrap();
    let opts = UploadOptions { part_size: 5 * MIB, concurrency: 2, ..Default::default() };
    let started = std::time::Instant::now();
    let out = upload(&sb, dir.path(), &db, opts.clone(), None).await;
    assert!(out.report.complete(), "{:?}", out.report.failed);
    let tokens = sb.inspect(|s| s.tokens.len());
    assert!(started.elapsed() > Duration::from_secs(3), "the upload outlived several tokens");
    assert!(tokens >= 2, "{tokens} tokens were used");
    assert_exact(&sb, dir.path(), &out.resource, opts.part_size, opts.multipart_threshold).await;
    // Files were registered with the callbackParam of the token they went under: the sandbox
    // checks that the object is under that token's storePath.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_dropped_midway_resumes_and_aborts_what_it_left() {
    let sb = sandbox(1.0).await;
    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join(".journal.db")).unwrap();
    let opts = UploadOptions { part_size: 5 * MIB, concurrency: 3, ..Default::default() };
    let c = client(&sb);
    let resource = c.create_resource("resume", "map").await.unwrap().uuid;
    let ds = dataset::scan(dir.path()).unwrap();

    // Stop the first run abruptly once some bytes are in (as a killed process would).
    let (up, _, seen) = uploader(c.clone(), UploadJournal::new(db.clone()), resource.clone(), opts.clone());
    let run = up.run(&ds);
    tokio::select! {
        _ = run => panic!("the upload finished before it could be interrupted"),
        _ = async { while seen.bytes_done.load(std::sync::atomic::Ordering::Relaxed) < 30 * MIB { tokio::time::sleep(Duration::from_millis(5)).await } } => {}
    }
    // An orphan the journal never heard of, as a crash between create and journal would leave: of
    // one of this upload's files, under a prefix this upload used.
    let token = c.obtain_token().await.unwrap();
    let s3 = s3(&token);
    s3.create_multipart_upload().bucket(&token.cloud_bucket_name).key(token.object_key("航测 2024/scan.LDR")).send().await.unwrap();
    UploadJournal::new(db.clone()).note_prefix(1, token.store_path.trim_end_matches("/{fileName}")).unwrap();
    // And another client's upload under the same prefix: not ours to abort.
    let theirs = s3.create_multipart_upload().bucket(&token.cloud_bucket_name).key(token.object_key("someone-else.bin")).send().await.unwrap();
    let in_progress = sb.inspect(|s| s.multipart.len());
    assert!(in_progress >= 2);

    let report = uploader(c, UploadJournal::new(db), resource.clone(), opts.clone()).0.run(&ds).await.unwrap();
    assert!(report.complete(), "{:?}", report.failed);
    assert!(report.sent_bytes < ds.total_bytes, "completed parts and files were not sent again");
    assert!(report.orphans_aborted >= 1);
    let their_id = theirs.upload_id().unwrap().to_string();
    assert!(sb.inspect(|s| s.multipart.contains_key(&their_id)), "another client's multipart upload was left alone");
    s3.abort_multipart_upload().bucket(&token.cloud_bucket_name).key(token.object_key("someone-else.bin")).upload_id(&their_id).send().await.unwrap();
    assert_exact(&sb, dir.path(), &resource, opts.part_size, opts.multipart_threshold).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_holds_the_upload_resume_finishes_it_and_cancel_cleans_up() {
    use std::sync::atomic::Ordering;
    /// The bytes a tracker counts.
    struct Done(Arc<terradesk_core::progress::Tracker>);
    impl Done {
        fn load(&self, o: Ordering) -> u64 {
            self.0.bytes_done.load(o)
        }
    }
    let sb = Sandbox::start(SandboxConfig { faults: Faults { latency: Duration::from_millis(30), include_storage: true, ..Default::default() }, ..Default::default() })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join(".journal.db")).unwrap();
    let opts = UploadOptions { part_size: 5 * MIB, concurrency: 2, ..Default::default() };
    let c = client(&sb);
    let resource = c.create_resource("pause", "map").await.unwrap().uuid;
    let ds = dataset::scan(dir.path()).unwrap();

    let (up, control, tracker) = uploader(c.clone(), UploadJournal::new(db.clone()), resource.clone(), opts.clone());
    let done = Done(tracker);
    let task = tokio::spawn(async move { up.run(&ds).await });
    while done.load(Ordering::Relaxed) < 10 * MIB {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    control.pause();
    // The requests in flight finish (a few seconds at most); then nothing moves.
    let mut held = done.load(Ordering::Relaxed);
    let mut quiet = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = done.load(Ordering::Relaxed);
        quiet = if now == held { quiet + 1 } else { 0 };
        held = now;
        if quiet == 4 {
            break;
        }
    }
    eprintln!("paused at {held} bytes");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(done.load(Ordering::Relaxed), held, "paused: no bytes move");
    control.resume();
    let report = task.await.unwrap().unwrap();
    assert!(report.complete(), "{:?}", report.failed);
    assert_exact(&sb, dir.path(), &resource, opts.part_size, opts.multipart_threshold).await;

    // Cancel in the middle of another upload: it stops, and no multipart upload is left.
    let dir2 = tempfile::tempdir().unwrap();
    mixed_dataset(dir2.path(), true);
    let resource2 = c.create_resource("cancel", "map").await.unwrap().uuid;
    let ds2 = dataset::scan(dir2.path()).unwrap();
    let (up, control, tracker) = uploader(c.clone(), UploadJournal::new(db), resource2, opts);
    let done = Done(tracker);
    let task = tokio::spawn(async move { up.run(&ds2).await });
    while done.load(Ordering::Relaxed) < 10 * MIB {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    control.cancel();
    let result = task.await.unwrap();
    assert!(matches!(result, Err(terradesk_core::Error::Cancelled)), "{result:?}");
    assert_eq!(sb.inspect(|s| s.multipart.len()), 0, "the cancelled multipart upload was aborted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_the_server_will_not_register_are_sent_again_on_the_next_run() {
    // The storage acknowledges the first three objects, then loses them: the server refuses to
    // register those files ("not found in storage"). They are failed, not stuck: the next run
    // sends them again, and everything ends registered once.
    let faults = Faults { lose_objects: 3, ..Default::default() };
    let sb = Sandbox::start(SandboxConfig { faults, ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("survey");
    std::fs::create_dir_all(&root).unwrap();
    for (name, bytes) in photos(12) {
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let db = Db::open(&dir.path().join("t.db")).unwrap();
    let opts = UploadOptions { concurrency: 2, ..Default::default() };
    let first = upload(&sb, &root, &db, opts.clone(), None).await;
    assert_eq!(first.report.failed.len(), 3, "{:?}", first.report.failed);
    assert!(first.report.failed.iter().all(|f| f.reason.contains("would not register")), "{:?}", first.report.failed);
    assert!(!first.report.complete());
    assert_eq!(first.report.registered, 9);

    let second = upload(&sb, &root, &db, opts, Some(first.resource.clone())).await;
    assert!(second.report.complete(), "{:?}", second.report.failed);
    assert_eq!(second.report.sent_files, 3, "the three refused files went up again, nothing else");
    assert_exact(&sb, &root, &first.resource, 16 * MIB, u64::MAX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_small_files_with_lost_answers_are_each_registered_once() {
    // Many small files go 48 at once and their registrations 4 batches at once; answers are
    // lost after the work was done (storage and API). Each file must still be in the resource
    // exactly once, registered once.
    let sb = sandbox(1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("survey");
    terradesk_sandbox::fixtures::write_photos(&root, 2000, 2048);
    let db = Db::open(&dir.path().join("t.db")).unwrap();
    let c = client_retrying(&sb, &sb.secret_key(), 0, 12);
    let resource = c.create_resource("many", "map").await.unwrap().uuid;
    sb.set_faults(Faults { lose_answer_rate: 0.03, latency: Duration::from_millis(5), include_storage: true, ..Default::default() });
    let opts = UploadOptions { retry: terradesk_core::retry::RetryPolicy::new(12, Duration::from_millis(50), Duration::from_secs(2)), ..Default::default() };
    let ds = dataset::scan(&root).unwrap();
    let (up, _, tracker) = uploader(c, UploadJournal::new(db), resource.clone(), opts.clone());
    let report = up.run(&ds).await.unwrap();
    sb.set_faults(Faults::default());
    assert!(report.complete(), "{:?}", report.failed);
    assert_eq!(report.registered, 2000);
    assert_eq!(tracker.files_registered.load(std::sync::atomic::Ordering::Relaxed), 2000);
    let lost = sb.inspect(|s| s.counters.lost_answers);
    assert!(lost > 20, "only {lost} answers lost");
    assert_exact(&sb, &root, &resource, opts.part_size, opts.multipart_threshold).await;
}

/// A thin link (here a 2 MiB/s limit): an adaptive upload keeps few requests in flight, so files
/// finish one after another from the start (a fixed twelve finish all at the end, and a kill
/// midway loses them all); and its progress moves with the bytes: the speed holds near the
/// link's rate and the ETA counts down without jumps.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_thin_link_files_finish_one_after_another_and_the_eta_counts_down_smoothly() {
    async fn run(adaptive: bool) -> (Vec<(f64, terradesk_core::progress::Progress)>, f64) {
        let sb = sandbox(1.0).await;
        let dir = tempfile::tempdir().unwrap();
        for i in 0..10u64 {
            std::fs::write(dir.path().join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 2 * MIB as usize)).unwrap();
        }
        let db = Db::open(&dir.path().join(".journal.db")).unwrap();
        let limit = terradesk_core::throttle::RateLimit::new(2 * MIB);
        let opts = UploadOptions { adaptive, request_aim: Duration::from_secs(2), limit: Some(limit), ..Default::default() };
        let c = client(&sb);
        let resource = c.create_resource("thin", "map").await.unwrap().uuid;
        let ds = dataset::scan(dir.path()).unwrap();
        let (up, _, tracker) = uploader(c, UploadJournal::new(db.clone()), resource, opts);
        let started = std::time::Instant::now();
        let sampler = {
            let tracker = tracker.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    let p = tracker.snapshot(false);
                    let done = p.bytes_total > 0 && p.bytes_done >= p.bytes_total;
                    samples.push((started.elapsed().as_secs_f64(), p));
                    if done {
                        return samples;
                    }
                }
            })
        };
        let report = up.run(&ds).await.unwrap();
        assert!(report.complete(), "{:?}", report.failed);
        (sampler.await.unwrap(), started.elapsed().as_secs_f64())
    }
    let ((adaptive, took), (fixed, fixed_took)) = tokio::join!(run(true), run(false));
    let files_at = |s: &[(f64, terradesk_core::progress::Progress)], t: f64| s.iter().filter(|(at, _)| *at <= t).last().map(|(_, p)| p.files_done).unwrap_or(0);
    let half = took / 2.0;
    eprintln!("adaptive: {took:.1} s, {} files done at {half:.1} s; fixed: {fixed_took:.1} s, {} files done then", files_at(&adaptive, half), files_at(&fixed, half));
    assert!(files_at(&adaptive, half) >= 3, "adaptive: files finish along the way");
    assert!(files_at(&fixed, half) <= 1, "fixed twelve in flight: nothing finishes until the end (what the adaptive pace avoids)");
    // 20 MiB at 2 MiB/s: about 10 s either way: fewer requests in flight fill the link as well.
    assert!(took < fixed_took + 3.0, "adaptive {took:.1} s vs fixed {fixed_took:.1} s");

    // Speed and ETA, once a second has passed: near the link's rate, counting down.
    let steady: Vec<&(f64, terradesk_core::progress::Progress)> = adaptive.iter().filter(|(at, p)| *at > 1.5 && p.bytes_done < p.bytes_total).collect();
    assert!(steady.len() >= 20, "{} samples", steady.len());
    for (at, p) in &steady {
        let mib = p.speed / MIB as f64;
        assert!((1.4..2.8).contains(&mib), "at {at:.2} s the speed read {mib:.2} MiB/s on a 2 MiB/s link");
    }
    for w in steady.windows(2) {
        let (a, b) = (w[0].1.eta_seconds.unwrap(), w[1].1.eta_seconds.unwrap());
        assert!(b <= a + 0.75, "the ETA jumped from {a:.1} s to {b:.1} s at {:.2} s", w[1].0);
    }
    let first = steady.first().unwrap();
    let predicted_end = first.0 + first.1.eta_seconds.unwrap();
    assert!((predicted_end - took).abs() < 2.5, "at {:.1} s the ETA said the end at {predicted_end:.1} s; it came at {took:.1} s", first.0);
}
