//! The computer is kept awake while files transfer, through the desktop's real D-Bus interface:
//! a session bus (the test harness runs dbus-run-session) with a stand-in for the desktop's
//! `org.freedesktop.ScreenSaver` that counts the calls. Inhibited when the upload starts, let go
//! a little after it ends, and the app told each time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use terradesk_core::awake::AwakeState;
use terradesk_core::jobs::{JobKind, JobParameters};
use terradesk_core::{Desk, DeskConfig, DeskEvent};
use terradesk_sandbox::{Sandbox, SandboxConfig};

#[derive(Clone, Default)]
struct ScreenSaver {
    inhibits: Arc<AtomicU32>,
    released: Arc<AtomicU32>,
    reasons: Arc<std::sync::Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.freedesktop.ScreenSaver")]
impl ScreenSaver {
    fn inhibit(&self, application: &str, reason: &str) -> u32 {
        self.reasons.lock().unwrap().push(format!("{application}: {reason}"));
        self.inhibits.fetch_add(1, Ordering::SeqCst) + 41
    }

    fn un_inhibit(&self, cookie: u32) {
        assert_eq!(cookie, 41, "the cookie it was given");
        self.released.fetch_add(1, Ordering::SeqCst);
    }
}

/// The next `Awake` event.
async fn next_awake(events: &mut tokio::sync::broadcast::Receiver<DeskEvent>) -> AwakeState {
    loop {
        if let Ok(DeskEvent::Awake(s)) = events.recv().await {
            return s;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_keeps_the_computer_awake_and_lets_it_sleep_after() {
    let fake = ScreenSaver::default();
    let _bus = zbus::connection::Builder::session()
        .expect("a session bus (run under scripts/headless.sh)")
        .name("org.freedesktop.ScreenSaver")
        .unwrap()
        .serve_at("/org/freedesktop/ScreenSaver", fake.clone())
        .unwrap()
        .build()
        .await
        .unwrap();

    let sb = Sandbox::start(SandboxConfig { job_duration: Duration::from_millis(300), ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..10u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 300_000)).unwrap();
    }
    let mut c = DeskConfig::new(dir.path().join("data"));
    c.target_override = Some(sb.target());
    c.options = c.options.brisk(Duration::from_millis(50));
    let desk = Desk::open(c).await.unwrap();
    // 3 MB at 1 MB/s: a few seconds of transfer.
    desk.set_speed_limit(1_000_000).await.unwrap();
    let mut events = desk.subscribe();
    assert_eq!(desk.awake(), AwakeState::Idle);
    let v = desk.start_job("awake", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap();

    let held = tokio::time::timeout(Duration::from_secs(10), next_awake(&mut events)).await.expect("held while uploading");
    assert!(matches!(&held, AwakeState::Held { how } if how.contains(&"screensaver".to_string())), "{held:?}");
    assert_eq!(fake.inhibits.load(Ordering::SeqCst), 1);
    assert_eq!(desk.awake(), held);
    assert!(fake.reasons.lock().unwrap()[0].starts_with("TerraDesk: Uploading"));
    desk.wait(v.job.id).await.unwrap().unwrap();
    assert_eq!(fake.released.load(Ordering::SeqCst), 0, "not let go the moment the upload ends");
    let idle = tokio::time::timeout(Duration::from_secs(20), next_awake(&mut events)).await.expect("let go after the transfers");
    assert_eq!(idle, AwakeState::Idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((fake.inhibits.load(Ordering::SeqCst), fake.released.load(Ordering::SeqCst)), (1, 1), "one inhibitor, released once");
}
