//! Through a real HTTP proxy (proxy.py, from PyPI) that asks for a user name and password: a
//! job's API calls, its storage upload and its result download all go through the proxy set in
//! Settings, with the password kept in the keychain; a wrong password gets a clear error.
//! Needs a Secret Service (run under scripts/headless.sh, as `npm test` does).

#[path = "support/proxy_py.rs"]
mod proxy_py;

use proxy_py::start_proxy;
use std::time::Duration;
use terradesk_core::account::Account;
use terradesk_core::credentials::Keychain;
use terradesk_core::jobs::runner::TaskOutput;
use terradesk_core::jobs::{JobKind, JobParameters, JobState};
use terradesk_core::net::{ProxyMode, ProxySettings};
use terradesk_core::settings::SettingsFile;
use terradesk_core::desk::SandboxSource;
use terradesk_core::{Desk, DeskConfig, ErrorCode, Region, SecretKey};
use terradesk_sandbox::{Sandbox, SandboxConfig};

fn photos(dir: &std::path::Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i as u64, 3000 + i)).unwrap();
    }
}

/// A desk whose settings and keychain are the test's own, with the sandbox as its Sandbox region.
async fn open_desk(data: &std::path::Path, keychain: &Keychain, sb: &Sandbox) -> Desk {
    let mut c = DeskConfig::new(data);
    c.account = Account::new(SettingsFile::in_dir(data), keychain.clone());
    c.sandbox = SandboxSource::External(sb.url().to_string());
    c.options = c.options.brisk(Duration::from_millis(50));
    c.sandbox_options = c.options.clone();
    Desk::open(c).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_runs_through_an_authenticating_proxy_set_in_settings() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig { job_duration: Duration::from_millis(600), ..Default::default() }).await.unwrap();
    let proxy = start_proxy(dir.path(), "surveyor:field-pw-0451");

    let data = dir.path().join("data");
    let service = format!("TerraDesk-test-proxy-{:08x}", rand::random::<u32>());
    let keychain = Keychain::new(&service);
    let desk = open_desk(&data, &keychain, &sb).await;
    desk.select_region(Region::Sandbox).await.unwrap();

    let manual = ProxySettings { mode: ProxyMode::Manual, url: format!("127.0.0.1:{}", proxy.port), username: "surveyor".into(), no_proxy: String::new() };

    // A wrong password: the proxy refuses, and the error says it is the proxy's credentials.
    let v = desk.save_proxy(manual.clone(), Some(SecretKey::new("wrong"))).await.unwrap();
    assert!(v.password_stored);
    assert_eq!(v.settings.url, format!("http://127.0.0.1:{}", proxy.port), "an address without a scheme is taken as http://");
    let e = desk.test_connection(Region::Sandbox, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ProxyAuth, "{e}");
    assert!(proxy.log().contains("ProxyAuthenticationFailed"), "the proxy saw the refused request");

    // The right one (the user name kept, only the password changed).
    desk.save_proxy(manual.clone(), Some(SecretKey::new("field-pw-0451"))).await.unwrap();
    let settings_file = std::fs::read_to_string(data.join("settings.json")).unwrap();
    assert!(settings_file.contains("surveyor") && !settings_file.contains("field-pw-0451"), "the password is in the keychain only: {settings_file}");
    // Saving without a password keeps the stored one.
    let v = desk.save_proxy(manual.clone(), None).await.unwrap();
    assert!(v.password_stored);
    desk.test_connection(Region::Sandbox, None).await.unwrap();

    let before = proxy.log().lines().count();
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let id = desk.start_job("through the proxy", &folder, &JobParameters::new(JobKind::Map2d)).await.unwrap().job.id;
    desk.wait(id).await.unwrap().unwrap();
    desk.download(id, vec![], None).await.unwrap();
    assert!(matches!(desk.wait(id).await.unwrap().unwrap(), TaskOutput::Download(_)));
    assert_eq!(desk.view(id).unwrap().job.state, JobState::Downloaded);

    // proxy.py writes a line as each connection closes: close ours, then wait for the log to settle.
    drop(desk);
    let log = proxy.settled_log();
    let lines: Vec<&str> = log.lines().skip(before).collect();
    // One line per connection (its last request): each kind of traffic shows at least once.
    let sandbox = format!("127.0.0.1:{}/", url::Url::parse(sb.url()).unwrap().port().unwrap());
    let count = |method: &str, path: &str| lines.iter().filter(|l| l.contains(&format!(" - {method} {sandbox}{path}"))).count();
    let (api, puts, downloads) = (count("POST", "terra-rescon-be/") + count("GET", "terra-rescon-be/"), count("PUT", "terra-sandbox/input/"), count("GET", "sandbox/download/"));
    eprintln!("through the proxy: {api} API, {puts} storage PUT, {downloads} download connections");
    assert!(api >= 1, "the API calls went through the proxy");
    assert!(puts >= 1, "the storage upload went through the proxy");
    assert!(downloads >= 1, "the result download went through the proxy");
    assert!(!lines.iter().any(|l| l.contains("ProxyAuthenticationFailed")), "no request went without the credentials");

    // Direct again (in a desk opened anew, as after a restart): nothing goes through the proxy.
    let desk = open_desk(&data, &keychain, &sb).await;
    assert!(desk.proxy().await.unwrap().password_stored);
    desk.save_proxy(ProxySettings { mode: ProxyMode::Direct, ..manual }, None).await.unwrap();
    desk.test_connection(Region::Sandbox, None).await.unwrap();
    assert_eq!(proxy.settled_log().lines().count(), log.lines().count());
    assert!(!desk.proxy().await.unwrap().password_stored, "Direct shows no stored password");
    let _ = keychain.delete_proxy_password();
}
