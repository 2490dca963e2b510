//! `terradesk doctor DIR --json` on real DJI photo headers (tests/data/p4m-mirafiori, padded to
//! the photos' sizes) with planted problems, and `terradesk run` refusing or warning as it says.

mod common;

use common::terradesk;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn real() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/p4m-mirafiori")
}

fn manifest() -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(real().join("MANIFEST.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    lines.map(|l| head.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

/// Ten real photos; a copy of one, one with its metadata stripped, one from another camera.
fn survey(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for row in manifest().iter().take(10) {
        let name = &row["FileName"];
        let mut bytes = std::fs::read(real().join(name)).unwrap();
        if name == "DJI_0050.JPG" {
            let at = bytes.windows(6).position(|w| w == b"FC6360").unwrap();
            bytes[at..at + 6].copy_from_slice(b"FC7303");
        }
        std::fs::write(dir.join(name), &bytes).unwrap();
        std::fs::OpenOptions::new().write(true).open(dir.join(name)).unwrap().set_len(row["FileSize"].parse().unwrap()).unwrap();
    }
    std::fs::copy(dir.join("DJI_0030.JPG"), dir.join("DJI_0030 (1).JPG")).unwrap();
    std::fs::write(dir.join("DJI_0999.JPG"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xDA, 0, 2, 1, 2, 3]).unwrap();
}

#[test]
fn the_doctor_lists_each_photo_and_every_planted_problem_and_run_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    survey(&folder);
    let data = dir.path().join("data");
    let out = terradesk().env("TERRADESK_DATA_DIR", &data).args(["doctor", "--json"]).arg(&folder).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let photos = r["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 12);
    for row in manifest().iter().take(10) {
        let p = photos.iter().find(|p| p["name"] == row["FileName"].as_str()).unwrap();
        let lat: f64 = row["GPSLatitude"].parse().unwrap();
        assert!((p["lat"].as_f64().unwrap() - lat).abs() < 1e-7, "{p}");
        assert!(p["lon"].as_f64().is_some() && p["relAlt"].as_f64().is_some() && p["gimbalPitch"].as_f64().is_some(), "{p}");
        let camera = if row["FileName"] == "DJI_0050.JPG" { "FC7303" } else { "FC6360" };
        assert_eq!(p["model"], camera);
    }
    let findings = r["findings"].as_array().unwrap();
    let files = |code: &str| findings.iter().find(|f| f["code"] == code).map(|f| f["files"].clone()).unwrap_or_else(|| panic!("no {code} in {findings:#?}"));
    assert_eq!(files("duplicates"), serde_json::json!(["DJI_0030 (1).JPG"]));
    assert_eq!(files("no_gps"), serde_json::json!(["DJI_0999.JPG"]));
    assert_eq!(files("several_cameras"), serde_json::json!(["DJI_0050.JPG"]));
    assert_eq!(r["cameras"], serde_json::json!(["FC6360", "FC7303"]));

    // Warnings only: `run` says them and goes on.
    let sb = common::sandbox(&[]);
    let ok = sb.cli(&data).args(["run", "--kind", "2d"]).arg(&folder).output().unwrap();
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("warning: 1 photo(s) have no GPS position"), "{err}");
    assert!(err.contains("warning: The photos come from 2 cameras (FC6360, FC7303)"), "{err}");

    // A LiDAR scan without its .RTK: the doctor says which, exits 3, and `run` refuses.
    for ext in ["LDR", "IMU", "RTB", "RTL", "RTS", "CLC", "CLI", "SIG"] {
        std::fs::write(folder.join(format!("SCAN_0001.{ext}")), b"x").unwrap();
    }
    let out = terradesk().env("TERRADESK_DATA_DIR", &data).args(["doctor"]).arg(&folder).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error: 1 LiDAR scan(s) lack some of their files") && text.contains("SCAN_0001: lacks .RTK"), "{text}");
    let before = sb.stats();
    let refused = sb.cli(&data).args(["run", "--json", "--kind", "lidar"]).arg(&folder).output().unwrap();
    assert!(!refused.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&refused.stdout), String::from_utf8_lossy(&refused.stderr));
    assert!(said.contains("dataset.problems") && said.contains("--force"), "{said}");
    assert_eq!(sb.stats()["inputResources"], before["inputResources"], "nothing was created or sent");
}

#[test]
fn photos_left_out_by_name_or_from_a_list_are_judged_apart_and_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("survey");
    survey(&folder);
    let data = dir.path().join("data");
    let out = terradesk()
        .env("TERRADESK_DATA_DIR", &data)
        .args(["doctor", "--json", "--leave-out", "DJI_0030 (1).JPG", "--leave-out", "DJI_0999.JPG"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(!codes.contains(&"duplicates") && !codes.contains(&"no_gps"), "{codes:?}");
    assert!(codes.contains(&"several_cameras"), "{codes:?}");
    assert_eq!((r["uploadFiles"].as_u64(), r["leftOutFiles"].as_u64()), (Some(10), Some(2)));
    let marked: Vec<&str> = r["photos"].as_array().unwrap().iter().filter(|p| p["leftOut"] == true).map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(marked.len(), 2, "{marked:?}");

    // `run --leave-out-from`: a list, one name per line; the job uploads the ten others.
    let list = dir.path().join("leave-out.txt");
    std::fs::write(&list, "DJI_0030 (1).JPG\n\nDJI_0050.JPG\n").unwrap();
    let sb = common::sandbox(&[]);
    let ok = sb.cli(&data).args(["run", "--kind", "2d", "--leave-out-from"]).arg(&list).arg(&folder).output().unwrap();
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("Leaving out 2 file(s)") && err.contains("uploading 10"), "{err}");
    assert!(!err.contains("several cameras") && !err.contains("2 cameras"), "the other camera's photo is left out: {err}");
    let st = sb.stats();
    let names: Vec<String> = st["registrations"].as_object().unwrap().keys().map(|k| k.split_once('/').unwrap().1.to_string()).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(!names.iter().any(|n| n == "DJI_0030 (1).JPG" || n == "DJI_0050.JPG"), "{names:?}");

    // A list that cannot be read is said, and nothing starts.
    let bad = sb.cli(&data).args(["run", "--kind", "2d", "--leave-out-from"]).arg(dir.path().join("missing.txt")).arg(&folder).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing.txt"), "{}", String::from_utf8_lossy(&bad.stderr));
}
