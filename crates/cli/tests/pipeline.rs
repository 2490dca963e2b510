//! `terradesk run` end to end against a sandbox process over real sockets: every kind makes a
//! Terra ZIP; unfit input is refused before anything is sent; hostile result names are refused;
//! a third job waits for a slot. (A crash at each step is tested in the core: crates/core/tests.)

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::{sandbox, SandboxProcess as Sandbox};

fn td(sb: &Sandbox, data: &Path) -> Command {
    sb.cli(data)
}

fn photos(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i as u64, 4000 + i)).unwrap();
    }
}

fn lidar(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for ext in ["LDR", "IMU", "RTK", "RTB", "RTL", "RTS", "CLC", "CLI", "SIG"] {
        std::fs::write(dir.join(format!("DJI_20240101_0001.{ext}")), vec![3u8; 50_000]).unwrap();
    }
    photos(dir, 3);
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}\nstdout: {}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stats(sb: &Sandbox) -> serde_json::Value {
    sb.stats()
}

fn zip_entries(path: &Path) -> HashMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = HashMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.insert(e.name().to_string(), bytes);
    }
    out
}

fn tops(entries: &HashMap<String, Vec<u8>>) -> BTreeSet<String> {
    entries.keys().map(|k| k.split('/').next().unwrap().to_string()).collect()
}

#[test]
fn run_makes_a_terra_zip_for_every_kind() {
    let sb = sandbox(&[]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (kind, layout) in [("2d", vec!["AT", "images", "map", "mission.json"]), ("3d", vec!["AT", "images", "mission.json", "models"]), ("lidar", vec!["AT", "lidars", "mission.json"])] {
        let folder = dir.path().join(format!("survey-{kind}"));
        if kind == "lidar" { lidar(&folder) } else { photos(&folder, 12) }
        let zip = dir.path().join(format!("{kind}.zip"));
        let out = td(&sb, &data).args(["run", "--json", "--kind", kind, "--out"]).arg(&zip).arg(&folder).output().unwrap();
        let v = json_of(&out);
        assert_eq!(v["job"]["state"], "exported", "{v}");
        let entries = zip_entries(&zip);
        assert_eq!(tops(&entries), layout.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(), "{kind}");

        // Each entry is byte for byte what the sandbox serves.
        let out_uuid = v["job"]["outputResourceUuid"].as_str().unwrap();
        let listed = json_of(&td(&sb, &data).args(["api", "GET", &format!("/v2/files?resourceUuid={out_uuid}&needURL=true&rows=1000")]).output().unwrap());
        let files = listed["list"].as_array().unwrap();
        assert_eq!(files.len(), entries.len());
        for f in files {
            let served = Command::new("curl").args(["-sf", f["url"].as_str().unwrap()]).output().unwrap().stdout;
            assert_eq!(&served, entries.get(f["name"].as_str().unwrap()).unwrap(), "{}", f["name"]);
        }
        let mission = String::from_utf8(entries["mission.json"].clone()).unwrap();
        assert!(mission.contains("sandbox output"));
    }
    let jobs = json_of(&td(&sb, &data).args(["jobs", "--json"]).output().unwrap());
    assert_eq!(jobs.as_array().unwrap().len(), 3);
}

#[test]
fn unfit_input_is_refused_before_anything_is_sent() {
    let sb = sandbox(&[]);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("few");
    photos(&folder, 4);
    let out = td(&sb, &dir.path().join("data")).args(["run", "--kind", "2d"]).arg(&folder).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 photos"));
    assert_eq!(stats(&sb)["resources"], 0);
}

#[test]
fn hostile_result_names_are_refused_and_nothing_lands_outside() {
    let sb = sandbox(&["--malicious-outputs"]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = dir.path().join("survey");
    photos(&folder, 10);
    let zip = dir.path().join("out.zip");
    let _ = std::fs::remove_file("/tmp/terradesk-evil-absolute.txt");
    let v = json_of(&td(&sb, &data).args(["run", "--json", "--kind", "2d", "--out"]).arg(&zip).arg(&folder).output().unwrap());
    let refused: Vec<String> = v["download"]["refused"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
    // Every name the sandbox's malicious server sends is refused, and so is the file whose address
    // redirects to another host; the good files still arrive (the ZIP check below).
    for hostile in terradesk_sandbox::outputs::HOSTILE_NAMES.iter().copied().chain(["map/elsewhere.tif"]) {
        assert!(refused.contains(&hostile.to_string()), "{hostile} not refused: {refused:?}");
    }
    assert_eq!(v["job"]["state"], "exported", "one refused file does not stop the job: {v}");
    assert_eq!(v["download"]["files"], 7, "the good files are counted, the refused ones not: {v}");
    // Nothing was written outside the download folder.
    let results = data.join("results");
    let mut stray = Vec::new();
    for p in [results.join("evil.txt"), data.join("evil.txt"), data.join("evil2.txt"), results.join("evil2.txt"), PathBuf::from("/tmp/terradesk-evil-absolute.txt"), data.join("evil3.txt"), results.join("evil3.txt")] {
        if p.exists() {
            stray.push(p);
        }
    }
    assert!(stray.is_empty(), "{stray:?}");
    let entries = zip_entries(&zip);
    assert!(entries.keys().all(|k| !k.contains("..") && !k.starts_with('/') && !k.contains('\\')), "{:?}", entries.keys());
    assert_eq!(tops(&entries), ["AT", "images", "map", "mission.json"].iter().map(|s| s.to_string()).collect());
}

#[test]
fn a_third_job_waits_in_the_queue_and_starts_when_a_slot_frees() {
    let sb = sandbox(&["--job-duration", "3"]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut children = Vec::new();
    for i in 0..3 {
        let folder = dir.path().join(format!("survey-{i}"));
        photos(&folder, 10);
        // One after the other, so the third is the one that finds the account full.
        std::thread::sleep(std::time::Duration::from_millis(if i == 0 { 0 } else { 700 }));
        children.push(td(&sb, &data).args(["run", "--json", "--kind", "2d", "--name", &format!("job {i}")]).arg(&folder).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap());
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        let v = json_of(&out);
        assert_eq!(v["job"]["state"], "finished", "{v}");
    }
    let queued: Vec<i64> = (1..=3)
        .filter(|id| {
            let v = json_of(&td(&sb, &data).args(["job", &id.to_string(), "--json"]).output().unwrap());
            v["events"].as_array().unwrap().iter().any(|e| e["state"] == "queued")
        })
        .collect();
    assert_eq!(queued.len(), 1, "exactly one job waited for a slot: {queued:?}");
    assert_eq!(stats(&sb)["jobs"], 3);
}
