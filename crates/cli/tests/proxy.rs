//! `terradesk proxy`: a proxy set from the CLI (its password read from standard input into the
//! keychain) is used by every command, here `upload`, through proxy.py with basic authentication.
//! Needs a Secret Service (run under scripts/headless.sh, as `npm test` does).

mod common;
#[path = "../../core/tests/support/proxy_py.rs"]
mod proxy_py;

use common::terradesk;
use std::io::Write;
use std::process::Stdio;

#[test]
fn an_upload_goes_through_an_authenticating_proxy_set_with_terradesk_proxy() {
    let sb = common::sandbox(&[]);
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy_py::start_proxy(dir.path(), "surveyor:cli-pw-77");
    let data = dir.path().join("data");
    let folder = dir.path().join("survey");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..6u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 200_000)).unwrap();
    }
    let set = |password: &str| {
        let mut child = terradesk()
            .env("TERRADESK_DATA_DIR", &data)
            .args(["proxy", "set", &format!("127.0.0.1:{}", proxy.port), "--user", "surveyor", "--no-proxy", "intranet.example"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let upload = || sb.cli(&data).args(["upload", "--json"]).arg(&folder).output().unwrap();

    let out = set("wrong");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let failed = upload();
    assert!(!failed.status.success(), "{}\n{}", String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    // --json: the error is a JSON object with its code.
    let err = format!("{}{}", String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    assert!(err.contains("net.proxy_auth") && err.contains("The proxy refused the connection"), "{err}");

    let out = set("cli-pw-77");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(&format!("Proxy: http://127.0.0.1:{} as surveyor (password in the keychain), not for intranet.example", proxy.port)), "{shown}");
    assert!(!std::fs::read_to_string(data.join("settings.json")).unwrap().contains("cli-pw-77"));
    let before = proxy.settled_log().lines().count();
    let ok = upload();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["registered"], 6, "{report}");
    let log = proxy.settled_log();
    let through: Vec<&str> = log.lines().skip(before).collect();
    assert!(through.iter().any(|l| l.contains(" - PUT ") && l.contains("/DJI_")), "the photos went through the proxy:\n{}", through.join("\n"));
    assert!(through.iter().any(|l| l.contains("/terra-rescon-be/")), "the API calls went through the proxy:\n{}", through.join("\n"));

    // Back to none: shown as such, and the proxy sees nothing more.
    let none = terradesk().env("TERRADESK_DATA_DIR", &data).args(["proxy", "none"]).output().unwrap();
    assert!(String::from_utf8_lossy(&none.stdout).contains("Proxy: none"), "{}", String::from_utf8_lossy(&none.stdout));
    let count = proxy.settled_log().lines().count();
    assert!(upload().status.success());
    assert_eq!(proxy.settled_log().lines().count(), count);
    let _ = terradesk().env("TERRADESK_DATA_DIR", &data).args(["proxy", "set", "127.0.0.1:1"]).output();
}
