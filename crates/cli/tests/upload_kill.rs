//! `terradesk upload` killed with SIGKILL mid-upload, then run again: it resumes, sends nothing
//! twice, registers every file once, and leaves no multipart upload behind.

mod common;

use common::terradesk;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

fn dataset(root: &Path) {
    std::fs::create_dir_all(root.join("photos/航测")).unwrap();
    for i in 0..30usize {
        let bytes = terradesk_sandbox::fixtures::fake_photo(i as u64, 300_000 + i * 10_007);
        std::fs::write(root.join(format!("photos/航测/DJI_{i:04}.JPG")), bytes).unwrap();
    }
    std::fs::write(root.join("photos/empty.txt"), b"").unwrap();
    let big: Vec<u8> = (0..70 * MIB).map(|j| (j % 253) as u8).collect();
    std::fs::write(root.join("scan.LDR"), big).unwrap();
}

#[test]
fn killed_mid_upload_then_run_again_finishes_exactly() {
    let sb = common::sandbox(&["--latency-ms", "40", "--faults-on-storage"]);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = dir.path().join("survey");
    dataset(&folder);
    let env = |c: &mut Command| {
        c.env("TERRADESK_HOST", &sb.url).env("TERRADESK_ACCESS_KEY", &sb.ak).env("TERRADESK_SECRET_KEY", &sb.sk).env("TERRADESK_DATA_DIR", &data);
    };

    // First run, killed once part of the data is in.
    let mut first = terradesk();
    env(&mut first);
    let mut child = first.args(["upload", "--json", "--concurrency", "2", "--part-size-mib", "5"]).arg(&folder).stdout(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(child.try_wait().unwrap().is_none(), "the upload was still running when killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));

    // Second run: resumes and completes.
    let mut second = terradesk();
    env(&mut second);
    let out = second.args(["upload", "--json", "--part-size-mib", "5"]).arg(&folder).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total: u64 = 30 * 300_000 + (0..30).map(|i| i * 10_007).sum::<u64>() + 70 * MIB as u64;
    assert_eq!(report["bytes"].as_u64().unwrap(), total);
    assert_eq!(report["registered"], 32);
    assert!(report["sentBytes"].as_u64().unwrap() < total, "what the first run sent was not sent again: {report}");

    // The server: each file registered once, with the ETag of its bytes; nothing left open.
    let resource = report["resourceUuid"].as_str().unwrap();
    let mut api = terradesk();
    env(&mut api);
    let listed = api.args(["api", "GET", &format!("/v2/files?resourceUuid={resource}&rows=1000")]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let files = listed["list"].as_array().unwrap();
    assert_eq!(files.len(), 32);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let path = folder.join(name);
        let size = std::fs::metadata(&path).unwrap().len();
        let part = (size >= 64 * MIB as u64).then_some(5 * MIB as u64);
        let expected = terradesk_core::upload::etag_of_file(&path, part).unwrap();
        assert_eq!(f["etag"].as_str().unwrap(), expected, "{name}");
    }
    let stats = sb.stats();
    for (k, v) in stats["registrations"].as_object().unwrap() {
        assert_eq!(v, 1, "{k} registered {v} times");
    }
    assert_eq!(stats["multipartInProgress"], 0);
}
