//! The `terradesk` binary against a sandbox over real sockets.

use std::io::Write;
use std::process::{Command, Stdio};

mod common;

use common::{sandbox, terradesk, SandboxProcess};

fn with_env(sb: &SandboxProcess, sk: &str) -> Command {
    sb.cli_with_secret(sk)
}

#[test]
fn api_signs_and_sends_any_call_and_prints_json() {
    let sb = sandbox(&[]);
    let out = with_env(&sb, &sb.sk).args(["api", "POST", "/v2/resources", "-d", r#"{"name":"cli","type":"map"}"#]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uuid = v["uuid"].as_str().unwrap();
    let out = with_env(&sb, &sb.sk).args(["api", "GET", &format!("/terra-rescon-be/v2/resources/{uuid}")]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["name"], "cli");
}

#[test]
fn test_connection_reports_success_and_wrong_keys_in_json() {
    let sb = sandbox(&[]);
    let out = with_env(&sb, &sb.sk).args(["test-connection", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["tokenExpiresInSeconds"].as_u64().unwrap() > 500);

    let out = with_env(&sb, "wrong").args(["test-connection", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "auth.wrong_keys");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wrong\""), "the secret is not echoed");

    let out = with_env(&sb, "wrong").args(["test-connection"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("AccessKey or SecretKey is wrong"));
}

#[test]
fn bad_json_data_is_explained() {
    let sb = sandbox(&[]);
    let out = with_env(&sb, &sb.sk).args(["api", "POST", "/v2/jobs", "-d", "{name:"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data is not JSON"));
}

/// Keychain-backed: under scripts/headless.sh.
#[test]
fn account_set_show_delete_through_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let mut set = terradesk()
        .env("TERRADESK_DATA_DIR", dir.path())
        .args(["account", "set", "--region", "sandbox", "--access-key", "sandbox-demo-ak", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin.take().unwrap().write_all(b"sandbox-demo-sk-0123456789abcdef\n").unwrap();
    let out = set.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"region": "sandbox", "accessKey": "sandbox-demo-ak", "secretStored": true}));

    // The keychain's keys reach the sandbox region.
    let sb = sandbox(&[]);
    let out = terradesk().env("TERRADESK_DATA_DIR", dir.path()).env("TERRADESK_SANDBOX_URL", &sb.url).args(["test-connection"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = terradesk().env("TERRADESK_DATA_DIR", dir.path()).args(["account", "delete"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("SecretKey: not stored"));
}
