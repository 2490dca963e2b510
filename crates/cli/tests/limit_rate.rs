//! `terradesk upload --limit-rate`: the upload goes no faster than the limit, and arrives whole.

mod common;

use common::terradesk;
use std::time::Instant;

const MIB: usize = 1024 * 1024;

#[test]
fn an_upload_limited_to_2_mib_a_second_takes_its_time_and_arrives_whole() {
    let sb = common::sandbox(&[]);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    std::fs::create_dir_all(&folder).unwrap();
    // 40 MiB: eight photos of 4 MiB and one 8 MiB file.
    for i in 0..8u64 {
        std::fs::write(folder.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 4 * MIB)).unwrap();
    }
    std::fs::write(folder.join("scan.LDR"), terradesk_sandbox::fixtures::fake_photo(99, 8 * MIB)).unwrap();
    let t = Instant::now();
    let out = terradesk()
        .env("TERRADESK_HOST", &sb.url)
        .env("TERRADESK_ACCESS_KEY", &sb.ak)
        .env("TERRADESK_SECRET_KEY", &sb.sk)
        .env("TERRADESK_DATA_DIR", dir.path().join("data"))
        .args(["upload", "--json", "--limit-rate", "2MiB"])
        .arg(&folder)
        .output()
        .unwrap();
    let took = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"], 9);
    assert_eq!(report["registered"], 9, "{report}");
    assert_eq!(report["bytes"].as_u64(), Some(40 * MIB as u64));
    // 40 MiB at 2 MiB/s: 20 s, less the quarter second the bucket may hold at the start.
    assert!(took >= 18.0, "40 MiB at 2 MiB/s took only {took:.1} s");
    assert!(took < 60.0, "40 MiB at 2 MiB/s took {took:.1} s");

    // A rate the CLI cannot read is refused before anything is sent.
    let bad = terradesk().env("TERRADESK_DATA_DIR", dir.path().join("data")).args(["upload", "--limit-rate", "fast"]).arg(&folder).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2MiB, 500KiB or 20Mbit"), "{}", String::from_utf8_lossy(&bad.stderr));
}
