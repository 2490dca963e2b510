//! Upgrades keep data: a data folder written by this version (tests/data/upgrade/current: its
//! database and settings, made by `UPDATE_FIXTURES=1 cargo test --test upgrade`) opens with its
//! jobs and settings as they were, migrations run at start; when a later version adds a
//! migration, this test opens the older folder through it. A database or settings file from a
//! newer TerraDesk is refused with a message and left byte for byte as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;
use terradesk_core::jobs::{JobKind, JobParameters, JobState, StartOptions};
use terradesk_core::{Desk, DeskConfig};
use terradesk_sandbox::{Sandbox, SandboxConfig};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/upgrade/current")
}

fn config(dir: &Path, sb: Option<&Sandbox>) -> DeskConfig {
    let mut c = DeskConfig::new(dir);
    c.account = terradesk_core::Account::in_dir(dir);
    if let Some(sb) = sb {
        c.target_override = Some(sb.target());
    }
    c.options = c.options.brisk(Duration::from_millis(50));
    c
}

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["terradesk.db", "settings.json"] {
        std::fs::copy(fixture().join(f), to.join(f)).unwrap();
    }
}

fn hash(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Writes the fixture: a finished job with photos left out, a stopped one, some settings.
#[tokio::test(flavor = "multi_thread")]
async fn make_the_fixture_when_asked() {
    if std::env::var("UPDATE_FIXTURES").is_err() {
        return;
    }
    let sb = Sandbox::start(SandboxConfig { job_duration: Duration::from_millis(300), ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = dir.path().join("field-7");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..12u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 2000)).unwrap();
    }
    let desk = Desk::open(config(&data, Some(&sb))).await.unwrap();
    desk.set_language("zh-CN".into()).await.unwrap();
    desk.set_link_limits(50, "19:00".into(), "07:00".into()).await.unwrap();
    let opts = StartOptions { left_out: vec!["DJI_0003.JPG".into()], ..Default::default() };
    let v = desk.start_job_with("Field 7", &folder, &JobParameters::new(JobKind::Map2d), &opts).await.unwrap();
    desk.wait(v.job.id).await.unwrap().unwrap();
    let s = desk.start_job("Field 7 again", &folder, &JobParameters::new(JobKind::Model3d)).await.unwrap();
    desk.stop(s.job.id).await.unwrap();
    drop(desk);
    let out = fixture();
    std::fs::create_dir_all(&out).unwrap();
    let conn = rusqlite::Connection::open(data.join("terradesk.db")).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;").unwrap();
    drop(conn);
    for f in ["terradesk.db", "settings.json"] {
        std::fs::copy(data.join(f), out.join(f)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_folder_of_this_version_opens_with_its_jobs_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let desk = Desk::open(config(dir.path(), None)).await.unwrap();
    let jobs = desk.list().unwrap();
    let by_name = |n: &str| jobs.iter().find(|v| v.job.name == n).unwrap_or_else(|| panic!("{n} in {jobs:#?}")).job.clone();
    let done = by_name("Field 7");
    assert_eq!((done.state, done.kind, done.left_out.clone()), (JobState::Finished, JobKind::Map2d, vec!["DJI_0003.JPG".to_string()]));
    assert!(done.resource_uuid.is_some() && done.remote_job_uuid.is_some());
    let stopped = by_name("Field 7 again");
    assert_eq!((stopped.state, stopped.kind), (JobState::Stopped, JobKind::Model3d));
    let s = desk.settings().await.unwrap();
    assert_eq!((s.language.as_str(), s.link_share, s.full_speed_from.as_str(), s.schema_version), ("zh-CN", 50, "19:00", terradesk_core::settings::SETTINGS_SCHEMA));
    // The timeline came along.
    assert!(desk.detail(done.id).unwrap().events.len() >= 4);
    drop(desk);
    let conn = rusqlite::Connection::open(dir.path().join("terradesk.db")).unwrap();
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, terradesk_core::db::schema_version_known(), "migrated to this version's schema");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_a_newer_version_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let db = dir.path().join("terradesk.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {}", terradesk_core::db::schema_version_known() + 1)).unwrap();
    drop(conn);
    let before = hash(&db);
    let e = Desk::open(config(dir.path(), None)).await.err().expect("refused");
    assert_eq!(e.code().as_str(), "disk.newer_database");
    assert!(e.to_string().contains("newer TerraDesk") && e.to_string().contains("not changed"), "{e}");
    assert_eq!(hash(&db), before, "not a byte changed");
    assert!(!dir.path().join("terradesk.db-wal").exists(), "not even a journal");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_from_a_newer_version_are_refused_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let path = dir.path().join("settings.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["schemaVersion"] = serde_json::json!(terradesk_core::settings::SETTINGS_SCHEMA + 1);
    v["aFieldOfTheFuture"] = serde_json::json!({"kept": true});
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let (before, db_before) = (hash(&path), hash(&dir.path().join("terradesk.db")));
    let e = Desk::open(config(dir.path(), None)).await.err().expect("refused");
    assert_eq!(e.code().as_str(), "disk.newer_settings");
    assert_eq!(hash(&path), before);
    assert_eq!(hash(&dir.path().join("terradesk.db")), db_before);
}
