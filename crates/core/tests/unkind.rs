//! The façade against a sandbox that misbehaves like a real service, one way at a time: a status
//! that lags after a start whose answer was lost, answers lost after the work was done, server
//! errors on creates, a captive portal and throttling, storage that refuses every credential, a
//! large result from a server that ignores Range, and two processes wanting one job.

use std::sync::Arc;
use std::time::{Duration, Instant};
use terradesk_core::hooks::{CrashOnce, Hooks, NoHooks, Point};
use terradesk_core::jobs::runner::TaskOutput;
use terradesk_core::jobs::{JobKind, JobParameters, JobState};
use terradesk_core::{Desk, DeskConfig, Error, ErrorCode, JobId};
use terradesk_sandbox::{Faults, Sandbox, SandboxConfig};

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(SandboxConfig { job_duration: Duration::from_millis(800), ..config }).await.unwrap()
}

async fn desk(dir: &std::path::Path, sb: &Sandbox, hooks: Arc<dyn Hooks>) -> Desk {
    let mut c = DeskConfig::new(dir);
    c.target_override = Some(sb.target());
    c.options = c.options.brisk(Duration::from_millis(60));
    c.options.upload.register_retry = terradesk_core::retry::RetryPolicy::new(12, Duration::from_millis(50), Duration::from_millis(400));
    // Small registration batches: many chances for an answer to be lost.
    c.options.upload.callback_batch = 10;
    c.hooks = hooks;
    Desk::open(c).await.unwrap()
}

fn photos(dir: &std::path::Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i as u64, 2000 + i)).unwrap();
    }
}

async fn stats(sb: &Sandbox) -> serde_json::Value {
    reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{}/sandbox/stats", sb.url())).send().await.unwrap().json().await.unwrap()
}

/// Every file registered once, one input resource (plus the result's), one server job.
async fn exactly_once(sb: &Sandbox, resources: u64) {
    let s = stats(sb).await;
    assert_eq!(s["jobs"], 1, "{s}");
    assert_eq!(s["resources"], resources, "{s}");
    for (k, n) in s["registrations"].as_object().unwrap() {
        assert_eq!(n, 1, "{k} registered {n} times: {s}");
    }
}

async fn run_job(desk: &Desk, folder: &std::path::Path) -> (JobId, Result<TaskOutput, Error>) {
    let v = desk.start_job("", folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    let out = desk.wait(v.job.id).await.unwrap();
    (v.job.id, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_whose_answer_was_lost_then_a_lagging_status_does_not_start_the_job_twice() {
    // The server reports a just-started job as not started for six looks.
    let sb = sandbox(SandboxConfig { status_lag: 6, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let id = {
        // Killed right after the start reached the server, before its answer was saved.
        let d = desk(&data, &sb, Arc::new(CrashOnce::at(Point::AfterStart))).await;
        let (id, out) = run_job(&d, &folder).await;
        assert!(matches!(out, Err(Error::Cancelled)), "{out:?}");
        id
    };
    let d = desk(&data, &sb, Arc::new(NoHooks)).await;
    d.continue_job(id).await.unwrap();
    let TaskOutput::Job(j) = d.wait(id).await.unwrap().unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished, "{:?}", j.error);
    exactly_once(&sb, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_lost_after_the_work_was_done_never_register_a_file_twice_nor_make_two_of_anything() {
    let sb = sandbox(SandboxConfig { faults: Faults { lose_answer_rate: 0.3, ..Default::default() }, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 150);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (_, out) = run_job(&d, &folder).await;
    let TaskOutput::Job(j) = out.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished, "{:?}", j.error);
    assert!(stats(&sb).await["lostAnswers"].as_u64().unwrap() > 0);
    exactly_once(&sb, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_on_creates_a_captive_portal_and_throttling_are_waited_out() {
    let sb = sandbox(SandboxConfig { faults: Faults { error_rate: 0.3, captive_rate: 0.1, throttle_rate: 0.15, ..Default::default() }, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 12);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (_, out) = run_job(&d, &folder).await;
    let TaskOutput::Job(j) = out.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished, "{:?}", j.error);
    exactly_once(&sb, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captive_portal_answering_the_start_is_waited_out_and_the_job_starts_once() {
    // The first two starts are answered by a hotel Wi-Fi page: the start may or may not have
    // reached the service. The job is looked up, started once, and finishes.
    let faults = Faults { captive_rate: 1.0, only: Some("/start".into()), limit: Some(2), ..Default::default() };
    let sb = sandbox(SandboxConfig { faults, status_lag: 2, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (_, out) = run_job(&d, &folder).await;
    let TaskOutput::Job(j) = out.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished, "{:?}", j.error);
    assert_eq!(stats(&sb).await["injectedErrors"], 2);
    exactly_once(&sb, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_whose_answer_is_lost_in_a_running_app_is_confirmed_not_repeated() {
    let faults = Faults { lose_answer_rate: 1.0, only: Some("/start".into()), limit: Some(1), ..Default::default() };
    let sb = sandbox(SandboxConfig { faults, status_lag: 4, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (_, out) = run_job(&d, &folder).await;
    let TaskOutput::Job(j) = out.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished, "{:?}", j.error);
    let s = stats(&sb).await;
    assert_eq!(s["lostAnswers"], 1, "{s}");
    assert_eq!(s["startedJobs"], 1, "{s}");
    exactly_once(&sb, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_that_refuses_every_credential_stops_the_upload_and_says_so() {
    let sb = sandbox(SandboxConfig { storage_deny: true, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let started = Instant::now();
    let (id, out) = run_job(&d, &folder).await;
    let e = out.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StorageDenied, "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(60), "bounded: {:?}", started.elapsed());
    assert_eq!(d.view(id).unwrap().job.error.unwrap().code, ErrorCode::StorageDenied);
    assert!(stats(&sb).await["tokens"].as_u64().unwrap() <= 6, "a few fresh tokens, not an endless loop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_result_from_a_server_that_ignores_range_downloads_for_longer_than_a_minute() {
    // 66 MiB at 1 MiB/s, from a server that sends the whole file every time: a download that
    // takes over a minute must not be cut by a whole-request timeout.
    let size: u64 = 66 << 20;
    let sb = sandbox(SandboxConfig { result_size: Some(size), download_rate: Some(1 << 20), ignore_range: true, ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (id, out) = run_job(&d, &folder).await;
    out.unwrap();
    let started = Instant::now();
    d.download(id, vec!["map".into()], None).await.unwrap();
    let TaskOutput::Download(r) = d.wait(id).await.unwrap().unwrap() else { panic!() };
    assert!(started.elapsed() > Duration::from_secs(60));
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    let path = std::path::PathBuf::from(r.folder).join("map/result_full.tif");
    assert_generated(&path, size, &d.view(id).unwrap().job.output_resource_uuid.unwrap());
}

/// The file holds the bytes the sandbox generated for its result (checked a chunk at a time).
fn assert_generated(path: &std::path::Path, size: u64, output_uuid: &str) {
    use std::io::Read;
    let seed = u64::from_str_radix(&output_uuid.replace('-', "")[..16], 16).unwrap();
    let mut f = std::fs::File::open(path).unwrap();
    assert_eq!(f.metadata().unwrap().len(), size);
    let (mut got, mut want) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut at = 0u64;
    loop {
        let n = f.read(&mut got).unwrap();
        if n == 0 {
            break;
        }
        terradesk_sandbox::outputs::generated_bytes(seed, at, &mut want[..n]);
        assert!(got[..n] == want[..n], "bytes differ near offset {at}");
        at += n as u64;
    }
    assert_eq!(at, size);
}

/// The issue's own measure: 3 GiB at 10 MiB/s, over five minutes. Long: run it with
/// `cargo test -p terradesk-core --test unkind -- --ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn three_gib_at_ten_mib_per_second() {
    let size: u64 = 3 << 30;
    let sb = sandbox(SandboxConfig { result_size: Some(size), download_rate: Some(10 << 20), ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (id, out) = run_job(&d, &folder).await;
    out.unwrap();
    let started = Instant::now();
    d.download(id, vec!["map".into()], None).await.unwrap();
    let TaskOutput::Download(r) = d.wait(id).await.unwrap().unwrap() else { panic!() };
    eprintln!("3 GiB in {:.0} s", started.elapsed().as_secs_f64());
    assert!(started.elapsed() > Duration::from_secs(300));
    assert_generated(&std::path::PathBuf::from(r.folder).join("map/result_full.tif"), size, &d.view(id).unwrap().job.output_resource_uuid.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_process_drives_a_job_and_a_stop_from_another_is_not_overwritten() {
    let sb = Sandbox::start(SandboxConfig { job_duration: Duration::from_secs(6), ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let app = desk(&data, &sb, Arc::new(NoHooks)).await;
    let v = app.start_job("", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    let id = v.job.id;
    // Wait for the server to work on it.
    for _ in 0..200 {
        if app.view(id).unwrap().job.state == JobState::Processing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A second TerraDesk (a terminal) on the same data cannot drive it…
    let cli = desk(&data, &sb, Arc::new(NoHooks)).await;
    assert_eq!(cli.continue_job(id).await.unwrap_err().code(), ErrorCode::JobBusy);
    // …but can stop it; the app, which runs it, then reads the stop rather than overwriting it.
    let stopped = cli.stop(id).await.unwrap();
    assert_eq!(stopped.job.state, JobState::Stopped);
    let out = app.wait(id).await.unwrap();
    let TaskOutput::Job(j) = out.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Stopped);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.view(id).unwrap().job.state, JobState::Stopped);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_disk_is_not_a_survey() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    assert_eq!(d.scan(std::path::Path::new("/")).await.unwrap_err().code(), ErrorCode::NotASurvey);
    assert_eq!(d.start_job("", std::path::Path::new("/proc"), &JobParameters::new(JobKind::Map2d)).await.unwrap_err().code(), ErrorCode::NotASurvey);
}
