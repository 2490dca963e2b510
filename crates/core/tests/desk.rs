//! The façade against an in-process sandbox over real sockets: a job from folder to Terra ZIP, a
//! crash at every step then a restart, downloads and exports cancelled and resumed, and the event
//! stream.

use std::sync::Arc;
use std::time::Duration;
use terradesk_core::hooks::{CrashOnce, Hooks, NoHooks, Point};
use terradesk_core::jobs::runner::TaskOutput;
use terradesk_core::jobs::{JobKind, JobParameters, JobState};
use terradesk_core::{Desk, DeskConfig, DeskEvent, Error, JobId};
use terradesk_sandbox::{Sandbox, SandboxConfig};

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(SandboxConfig { job_duration: Duration::from_millis(600), ..config }).await.unwrap()
}

async fn desk(dir: &std::path::Path, sb: &Sandbox, hooks: Arc<dyn Hooks>) -> Desk {
    let mut c = DeskConfig::new(dir);
    c.target_override = Some(sb.target());
    c.options = c.options.brisk(Duration::from_millis(50));
    c.hooks = hooks;
    Desk::open(c).await.unwrap()
}

fn photos(dir: &std::path::Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i as u64, 3000 + i)).unwrap();
    }
}

async fn wait(desk: &Desk, id: JobId) -> Result<TaskOutput, Error> {
    desk.wait(id).await.expect("a task runs")
}

async fn stats(sb: &Sandbox) -> serde_json::Value {
    reqwest::get(format!("{}/sandbox/stats", sb.url())).await.unwrap().json().await.unwrap()
}

/// A desk in `dir` whose 2D job `name` of ten photos ran to finished.
async fn finished_job(sb: &Sandbox, dir: &std::path::Path, name: &str) -> (Desk, JobId) {
    let folder = dir.join("survey");
    photos(&folder, 10);
    let desk = desk(&dir.join("data"), sb, Arc::new(NoHooks)).await;
    let id = desk.start_job(name, &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap().job.id;
    wait(&desk, id).await.unwrap();
    (desk, id)
}

/// Download and export a finished job; the ZIP's entries.
async fn deliver(desk: &Desk, id: JobId, zip: &std::path::Path) -> Vec<String> {
    desk.download(id, vec![], None).await.unwrap();
    assert!(matches!(wait(desk, id).await.unwrap(), TaskOutput::Download(_)));
    desk.export(id, zip.to_path_buf()).await.unwrap();
    let TaskOutput::Export(r) = wait(desk, id).await.unwrap() else { panic!("no export report") };
    assert_eq!(desk.view(id).unwrap().job.state, JobState::Exported);
    let z = zip::ZipArchive::new(std::fs::File::open(&r.path).unwrap()).unwrap();
    z.file_names().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_goes_from_folder_to_terra_zip_and_every_change_is_a_numbered_view() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 12);
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let mut events = desk.subscribe();
    let v = desk.start_job("", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    assert_eq!(v.job.name, "survey");
    let TaskOutput::Job(j) = wait(&desk, v.job.id).await.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished);
    let names = deliver(&desk, j.id, &dir.path().join("out.zip")).await;
    assert!(names.contains(&"mission.json".to_string()) && names.iter().any(|n| n.starts_with("map/")), "{names:?}");

    // The stream: views of the job in order, each numbered higher than the last.
    let mut last = 0;
    let mut states = Vec::new();
    let mut progress = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            DeskEvent::Job(v) => {
                assert!(v.seq > last, "views come numbered in order");
                last = v.seq;
                if states.last() != Some(&v.job.state) {
                    states.push(v.job.state);
                }
            }
            DeskEvent::Progress { .. } => progress += 1,
            _ => {}
        }
    }
    for s in [JobState::Draft, JobState::Uploading, JobState::Submitted, JobState::Finished, JobState::Downloading, JobState::Downloaded, JobState::Exported] {
        assert!(states.contains(&s), "{s:?} not seen in {states:?}");
    }
    let _ = progress;
    // A read taken now is numbered after every view sent.
    assert!(desk.view(j.id).unwrap().seq > last);
    let timeline = desk.detail(j.id).unwrap().events;
    assert!(timeline.iter().all(|e| e.code.as_deref().is_some_and(|c| c.starts_with("note."))), "{timeline:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_any_step_then_a_restart_leaves_one_resource_and_one_job() {
    for point in Point::ALL {
        let sb = sandbox(SandboxConfig::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let folder = dir.path().join("survey");
        photos(&folder, 11);
        let zip = dir.path().join("out.zip");
        let id = {
            let desk = desk(&data, &sb, Arc::new(CrashOnce::at(point))).await;
            let v = desk.start_job("", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
            let id = v.job.id;
            match desk.wait(id).await.unwrap_or_else(|| panic!("{point:?}: no task for the job after start_job")) {
                // It stopped dead at the point.
                Err(Error::Cancelled) => {}
                // The point is after processing: it crashes during the delivery.
                Ok(TaskOutput::Job(_)) if point == Point::AfterDownload => {
                    desk.download(id, vec![], None).await.unwrap();
                    assert!(matches!(wait(&desk, id).await, Err(Error::Cancelled)), "{point:?}");
                }
                other => panic!("{point:?}: {other:?}"),
            }
            id
        };
        // A new process, on the same data folder.
        let desk = desk(&data, &sb, Arc::new(NoHooks)).await;
        let job = desk.view(id).unwrap().job;
        if job.state.is_unfinished() {
            desk.continue_job(id).await.unwrap();
            let TaskOutput::Job(j) = wait(&desk, id).await.unwrap() else { panic!() };
            assert_eq!(j.state, JobState::Finished, "{point:?}");
        }
        let names = deliver(&desk, id, &zip).await;
        assert!(names.contains(&"mission.json".to_string()));
        let s = stats(&sb).await;
        // One input resource and the result's output resource; one job.
        assert_eq!(s["resources"], 2, "{point:?}: {s}");
        assert_eq!(s["jobs"], 1, "{point:?}: {s}");
        for (k, n) in s["registrations"].as_object().unwrap() {
            assert_eq!(n, 1, "{point:?}: {k} registered {n} times");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_is_cancelled_then_goes_on_from_where_it_stopped_and_an_export_is_cancelled_cleanly() {
    let size: u64 = 6 << 20;
    let sb = sandbox(SandboxConfig { result_size: Some(size), download_rate: Some(2 << 20), ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let (desk, id) = finished_job(&sb, dir.path(), "big").await;

    desk.download(id, vec!["map".into()], None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(desk.detail(id).unwrap().progress.is_some_and(|p| p.bytes_done > 0));
    assert!(matches!(desk.cancel(id).await, Some(Err(Error::Cancelled))));
    let job = desk.view(id).unwrap().job;
    assert_eq!(job.state, JobState::Finished, "a cancelled download leaves the job ready to download again");
    let dl = std::path::PathBuf::from(job.download_dir.clone().unwrap());
    let part = terradesk_core::results::download::part_path(&dl.join("map/result_full.tif"));
    let kept = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0 && kept < size, "{kept}");

    // Again: it resumes (Range) and the bytes are those the server made.
    let started = std::time::Instant::now();
    desk.download(id, vec!["map".into()], None).await.unwrap();
    let TaskOutput::Download(r) = wait(&desk, id).await.unwrap() else { panic!() };
    assert!(r.refused.is_empty());
    let left = (size - kept) as f64 / (2 << 20) as f64;
    assert!(started.elapsed().as_secs_f64() < left + 2.5, "resumed, not restarted: {:?} for {left:.1} s of data", started.elapsed());
    let got = std::fs::read(dl.join("map/result_full.tif")).unwrap();
    assert_eq!(got.len() as u64, size);
    let out_uuid = desk.view(id).unwrap().job.output_resource_uuid.unwrap();
    let seed = u64::from_str_radix(&out_uuid.replace('-', "")[..16], 16).unwrap();
    let mut want = vec![0u8; size as usize];
    terradesk_sandbox::outputs::generated_bytes(seed, 0, &mut want);
    assert!(got == want, "the downloaded bytes are the generated ones");

    // An export cancelled at once leaves no ZIP and no temporary file.
    let zip = dir.path().join("zips/big.zip");
    std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
    desk.export(id, zip.clone()).await.unwrap();
    assert!(matches!(desk.cancel(id).await, Some(Err(Error::Cancelled))));
    assert_eq!(std::fs::read_dir(zip.parent().unwrap()).unwrap().count(), 0);
    assert_eq!(desk.view(id).unwrap().job.state, JobState::Downloaded);
    // And done again, it completes.
    desk.export(id, zip.clone()).await.unwrap();
    assert!(matches!(wait(&desk, id).await.unwrap(), TaskOutput::Export(_)));
    assert!(zip.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn unfit_folders_and_unreadable_jobs_get_coded_errors() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("few");
    photos(&folder, 4);
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let e = desk.start_job("", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap_err();
    assert_eq!(e.code().as_str(), "dataset.too_few_photos");
    assert_eq!(e.params()["photos"], 4);
    let summary = desk.scan(&folder).await.unwrap();
    let map = summary.problems.iter().find(|p| p.kind == JobKind::Map2d).unwrap();
    assert_eq!(map.problems[0].code.as_str(), "dataset.too_few_photos");
    assert_eq!(stats(&sb).await["resources"], 0, "nothing was sent");

    photos(&folder, 12);
    let v = desk.start_job("", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    wait(&desk, v.job.id).await.unwrap();
    desk.db().tx(|tx| tx.execute("UPDATE jobs SET state = 'from_the_future' WHERE id = ?1", [v.job.id.0])).unwrap();
    let j = desk.view(v.job.id).unwrap();
    assert_eq!(j.job.state, JobState::Unreadable);
    assert_eq!(j.actions, [terradesk_core::jobs::JobAction::Delete]);
    assert_eq!(desk.continue_job(v.job.id).await.unwrap_err().code().as_str(), "job.unreadable");
    assert!(desk.resume_unfinished().await.is_empty(), "an unreadable job is never resumed");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_photos_are_named_and_left_out_when_asked() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 12);
    std::fs::write(folder.join("LICENSE"), b"MIT").unwrap();
    std::fs::write(folder.join("flight-log.csv"), b"t,lat,lon\n").unwrap();
    // Random bytes named like a photo: named as not an image, not counted as a photo.
    std::fs::write(folder.join("DJI_9999.JPG"), [0x42u8; 5000]).unwrap();
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let s = desk.scan(&folder).await.unwrap();
    assert_eq!((s.photos, s.other_count, s.other_bytes), (12, 3, 5000 + 3 + 10));
    let others: Vec<(&str, bool)> = s.others.iter().map(|o| (o.name.as_str(), o.not_an_image)).collect();
    assert_eq!(others, [("DJI_9999.JPG", true), ("LICENSE", false), ("flight-log.csv", false)]);

    let opts = terradesk_core::jobs::StartOptions { leave_out_others: true, ..Default::default() };
    let v = desk.start_job_with("lean", &folder, &JobParameters::new(JobKind::Map2d), &opts).await.unwrap();
    assert!(v.job.leave_out_others);
    let TaskOutput::Job(j) = wait(&desk, v.job.id).await.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished);
    let registered = |st: &serde_json::Value, resource: &str| -> Vec<String> {
        let mut v: Vec<String> = st["registrations"].as_object().unwrap().keys().filter_map(|k| k.strip_prefix(&format!("{resource}/")).map(str::to_string)).collect();
        v.sort();
        v
    };
    let st = stats(&sb).await;
    let names = registered(&st, j.resource_uuid.as_deref().unwrap());
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("DJI_0")), "{names:?}");

    // Without the option every file goes up, as the user was told.
    let v = desk.start_job("all", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    let TaskOutput::Job(j) = wait(&desk, v.job.id).await.unwrap() else { panic!() };
    let names = registered(&stats(&sb).await, j.resource_uuid.as_deref().unwrap());
    assert_eq!(names.len(), 15, "{names:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_left_out_are_not_uploaded_and_the_doctor_judges_the_rest() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    photos(&folder, 12);
    // A copy of a photo, as from an SD card copied twice.
    std::fs::copy(folder.join("DJI_0003.JPG"), folder.join("DJI_0003 (1).JPG")).unwrap();
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let kind = Some(JobKind::Map2d);
    let all = desk.doctor(&folder, kind, &Default::default()).await.unwrap();
    let dup = all.findings.iter().find(|f| f.code == terradesk_core::doctor::FindingCode::Duplicates).expect("the copy is found");
    assert_eq!(dup.files, ["DJI_0003 (1).JPG"]);
    assert_eq!((all.upload_files, all.left_out_files, all.photos.len()), (13, 0, 13));

    // Leave the copy and two more out: the doctor judges the ten photos the job would upload,
    // and still reports the three (marked) for the map.
    let left: Vec<String> = ["DJI_0003 (1).JPG", "DJI_0000.JPG", "DJI_0011.JPG"].map(String::from).to_vec();
    let opts = terradesk_core::jobs::StartOptions { left_out: left.clone(), ..Default::default() };
    let some = desk.doctor(&folder, kind, &opts).await.unwrap();
    assert!(some.findings.iter().all(|f| f.code != terradesk_core::doctor::FindingCode::Duplicates), "{:?}", some.findings);
    assert_eq!((some.upload_files, some.left_out_files), (10, 3));
    assert_eq!(some.upload_bytes + some.left_out_bytes, all.upload_bytes);
    let mut marked: Vec<&str> = some.photos.iter().filter(|p| p.left_out).map(|p| p.name.as_str()).collect();
    marked.sort();
    assert_eq!(marked, ["DJI_0000.JPG", "DJI_0003 (1).JPG", "DJI_0011.JPG"]);
    assert_eq!(some.photos.len(), 13);

    let v = desk.start_job_with("ten", &folder, &JobParameters::new(JobKind::Map2d), &opts).await.unwrap();
    assert_eq!(v.job.left_out, left, "the job says what was left out");
    let TaskOutput::Job(j) = wait(&desk, v.job.id).await.unwrap() else { panic!() };
    assert_eq!(j.state, JobState::Finished);
    let st = stats(&sb).await;
    let resource = j.resource_uuid.clone().unwrap();
    let mut names: Vec<String> = st["registrations"].as_object().unwrap().keys().filter_map(|k| k.strip_prefix(&format!("{resource}/")).map(str::to_string)).collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.iter().all(|n| !left.contains(n)), "{names:?}");
    // Kept on the record (a resumed upload sends the same subset) and read back after a restart.
    drop(desk);
    let desk = self::desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    assert_eq!(desk.view(j.id).unwrap().job.left_out, left);

    // Leaving every photo out is refused before anything is created.
    let every: Vec<String> = all.photos.iter().map(|p| p.name.clone()).collect();
    let e = desk.start_job_with("none", &folder, &JobParameters::new(JobKind::Map2d), &terradesk_core::jobs::StartOptions { left_out: every, ..Default::default() }).await.unwrap_err();
    assert!(e.code().as_str().starts_with("dataset."), "{e:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_speed_limit_holds_an_upload_back_and_lifting_it_speeds_the_running_upload_at_once() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    std::fs::create_dir_all(&folder).unwrap();
    // 24 MiB: at 1 MiB/s about 24 s; at full speed on loopback well under a second.
    for i in 0..10u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, (24 << 20) / 10)).unwrap();
    }
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    assert_eq!(desk.set_speed_limit(1 << 20).await.unwrap().speed_limit, 1 << 20);
    let v = desk.start_job("limited", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();
    let id = v.job.id;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let p = desk.detail(id).unwrap().progress.expect("the upload shows progress");
    assert!(p.files_done < 10, "3 s into a 24 s upload at 1 MiB/s, {} of 10 files are in", p.files_done);
    assert_eq!(desk.view(id).unwrap().job.state, JobState::Uploading);

    // Lifted while the requests are in flight: they go on at full speed.
    let lifted = std::time::Instant::now();
    assert_eq!(desk.set_speed_limit(0).await.unwrap().speed_limit, 0);
    wait(&desk, id).await.unwrap();
    assert!(lifted.elapsed() < Duration::from_secs(8), "the job took {:?} after the limit was lifted", lifted.elapsed());
    assert_eq!(desk.view(id).unwrap().job.state, JobState::Finished);
    // The choice is kept for the next start.
    assert_eq!(desk.settings().await.unwrap().speed_limit, 0);
}

/// Ten photos of 1.2 MiB in `dir`/survey (12 MiB).
fn twelve_mib(dir: &std::path::Path) -> std::path::PathBuf {
    let folder = dir.join("survey");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..10u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, (12 << 20) / 10)).unwrap();
    }
    folder
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_half_the_link_halves_the_measured_speed_and_full_speed_hours_lift_any_limit() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = twelve_mib(dir.path());
    // A link measured at 4 MiB/s earlier: half of it is 2 MiB/s, 12 MiB take about 6 s.
    let data = dir.path().join("data");
    let settings = terradesk_core::settings::SettingsFile::in_dir(&data);
    settings.save(&terradesk_core::settings::Settings { link_share: 50, link_measured: 4 << 20, ..Default::default() }).unwrap();
    let desk = desk(&data, &sb, Arc::new(NoHooks)).await;
    let started = std::time::Instant::now();
    let id = desk.start_job("half", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap().job.id;
    wait(&desk, id).await.unwrap();
    let took = started.elapsed().as_secs_f64();
    assert!(took >= 5.0, "12 MiB at half of 4 MiB/s took only {took:.1} s");

    // A limit of 1 MiB/s, but full speed during hours around now: the upload is not held back.
    let m = chrono::Local::now();
    let at = |mins: i64| (m + chrono::Duration::minutes(mins)).format("%H:%M").to_string();
    desk.set_speed_limit(1 << 20).await.unwrap();
    let s = desk.set_link_limits(0, at(-60), at(60)).await.unwrap();
    assert_eq!((s.link_share, s.full_speed_from.as_str()), (0, at(-60).as_str()));
    let folder2 = twelve_mib(&dir.path().join("second"));
    let started = std::time::Instant::now();
    let id = desk.start_job("night", &folder2, &JobParameters::new(JobKind::Map2d)).await.unwrap().job.id;
    wait(&desk, id).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(6), "full-speed hours: {:?} for 12 MiB (1 MiB/s would take 12 s)", started.elapsed());

    // Hours that have not begun: the limit holds; a time it cannot read is refused.
    desk.set_link_limits(0, at(60), at(120)).await.unwrap();
    let folder3 = twelve_mib(&dir.path().join("third"));
    let id = desk.start_job("day", &folder3, &JobParameters::new(JobKind::Map2d)).await.unwrap().job.id;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(desk.detail(id).unwrap().progress.unwrap().files_done < 10, "the 1 MiB/s limit holds outside the hours");
    desk.set_speed_limit(0).await.unwrap();
    wait(&desk, id).await.unwrap();
    let e = desk.set_link_limits(0, "7pm".into(), "07:00".into()).await.unwrap_err();
    assert_eq!(e.code(), terradesk_core::ErrorCode::InvalidClock);
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_honour_the_speed_limit_too() {
    let size: u64 = 6 << 20;
    let sb = sandbox(SandboxConfig { result_size: Some(size), ..Default::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let (desk, id) = finished_job(&sb, dir.path(), "big").await;
    desk.set_speed_limit(2 << 20).await.unwrap();
    let started = std::time::Instant::now();
    desk.download(id, vec!["map".into()], None).await.unwrap();
    let TaskOutput::Download(r) = wait(&desk, id).await.unwrap() else { panic!("no download report") };
    let took = started.elapsed().as_secs_f64();
    assert!(r.bytes >= size, "{} bytes", r.bytes);
    // 6 MiB at 2 MiB/s: 3 s, less the quarter second the bucket may hold.
    assert!(took >= 2.5, "6 MiB at 2 MiB/s took only {took:.2} s");
    assert!(took < 15.0, "6 MiB at 2 MiB/s took {took:.2} s");
}

/// A tile server on a real socket: PNG bytes for `/z/x/y.png`, 404 for zoom 7, HTML for zoom 8;
/// counts the requests.
fn tile_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            let mut agent = String::new();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
                if l.to_ascii_lowercase().starts_with("user-agent:") {
                    agent = l[11..].trim().to_string();
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, kind, body): (&str, &str, Vec<u8>) = if !agent.starts_with("TerraDesk/") {
                ("403 Forbidden", "text/plain", b"name your app".to_vec())
            } else if path.starts_with("/7/") {
                ("404 Not Found", "text/plain", b"no".to_vec())
            } else if path.starts_with("/8/") {
                ("200 OK", "text/html", b"<html>captive portal</html>".to_vec())
            } else {
                ("200 OK", "image/png", [&[0x89u8, b'P', b'N', b'G'][..], path.as_bytes()].concat())
            };
            let mut s = stream;
            let _ = write!(s, "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
            let _ = s.write_all(&body);
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_background_map_is_off_until_turned_on_and_its_tiles_are_kept_for_offline() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&dir.path().join("data"), &sb, Arc::new(NoHooks)).await;
    let (url, count) = tile_server();
    assert!(!desk.settings().await.unwrap().map_tiles, "off by default");
    assert!(desk.map_tile(3, 1, 2).await.is_err(), "nothing fetched while off");
    assert_eq!(desk.set_map_tiles(true, "tiles.example/{z}/{x}.png".into()).await.unwrap_err().code().as_str(), "input.bad_address");

    let s = desk.set_map_tiles(true, format!("{url}/{{z}}/{{x}}/{{y}}.png")).await.unwrap();
    assert!(s.map_tiles);
    let tile = desk.map_tile(3, 1, 2).await.unwrap();
    assert_eq!(&tile[4..], b"/3/1/2.png");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Again: from the data folder, no request (the field has no network).
    assert_eq!(desk.map_tile(3, 1, 2).await.unwrap(), tile);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    // A refusal or an answer that is not an image is an error, and is not kept.
    assert!(desk.map_tile(7, 1, 1).await.is_err());
    assert!(desk.map_tile(8, 1, 1).await.is_err());
    assert!(desk.map_tile(8, 1, 1).await.is_err());
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert!(desk.map_tile(2, 4, 0).await.is_err(), "x beyond the zoom's 4 tiles");
}
