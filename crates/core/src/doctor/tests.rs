use super::*;
use std::path::{Path, PathBuf};

fn real() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/p4m-mirafiori")
}

/// MANIFEST.csv: exiftool's reading of the full files.
fn manifest() -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(real().join("MANIFEST.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines.map(|l| head.iter().map(|h| h.to_string()).zip(l.split(',').map(str::to_string)).collect()).collect()
}

fn num(row: &HashMap<String, String>, k: &str) -> f64 {
    row[k].trim_start_matches('+').parse().unwrap()
}

#[test]
fn real_dji_headers_read_as_exiftool_reads_them() {
    let rows = manifest();
    assert!(rows.len() >= 30);
    for row in &rows {
        let name = &row["FileName"];
        let m = meta::read(&real().join(name), name, 0);
        assert!(m.unreadable.is_none(), "{name}");
        assert!((m.lat.unwrap() - num(row, "GPSLatitude")).abs() < 1e-7, "{name} lat {:?}", m.lat);
        assert!((m.lon.unwrap() - num(row, "GPSLongitude")).abs() < 1e-7, "{name} lon {:?}", m.lon);
        assert!((m.abs_alt.unwrap() - num(row, "AbsoluteAltitude")).abs() < 0.01, "{name}");
        assert!((m.rel_alt.unwrap() - num(row, "RelativeAltitude")).abs() < 0.01, "{name}");
        assert!((m.gimbal_pitch.unwrap() - num(row, "GimbalPitchDegree")).abs() < 0.01, "{name}");
        assert!((m.gimbal_yaw.unwrap() - num(row, "GimbalYawDegree")).abs() < 0.01, "{name}");
        assert_eq!(m.model.as_deref(), Some(row["Model"].as_str()), "{name}");
        assert_eq!(m.make.as_deref(), Some("DJI"));
        assert_eq!((m.width, m.height), (Some(num(row, "ImageWidth") as u32), Some(num(row, "ImageHeight") as u32)), "{name}");
        assert_eq!(m.taken.as_deref(), Some(row["DateTimeOriginal"].as_str()), "{name}");
        assert_eq!(m.rtk_flag, Some(num(row, "RtkFlag") as u32), "{name}");
        assert!((m.rtk_std.unwrap() - num(row, "RtkStdLat")).abs() < 1e-4, "{name}");
    }
}

/// A folder of real headers (padded to a photo's size, sparse) with planted problems.
fn planted(dir: &Path) {
    for row in manifest().iter().take(12) {
        let name = &row["FileName"];
        let f = std::fs::File::create(dir.join(name)).unwrap();
        let mut bytes = std::fs::read(real().join(name)).unwrap();
        if name == "DJI_0050.JPG" {
            // Another camera: the model renamed in place.
            let at = bytes.windows(6).position(|w| w == b"FC6360").unwrap();
            bytes[at..at + 6].copy_from_slice(b"FC7303");
        }
        std::io::Write::write_all(&mut &f, &bytes).unwrap();
        f.set_len(num(row, "FileSize") as u64).unwrap();
    }
    // A copy of one photo, and one with every tag stripped (a JPEG with no EXIF or XMP).
    std::fs::copy(dir.join("DJI_0020.JPG"), dir.join("DJI_0020 (copy).JPG")).unwrap();
    std::fs::write(dir.join("DJI_9999.JPG"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xDA, 0, 2, 1, 2, 3]).unwrap();
    // A LiDAR scan without its .RTK, and a stray file.
    for ext in ["LDR", "IMU", "RTB", "RTL", "RTS", "CLC", "CLI", "SIG"] {
        std::fs::write(dir.join(format!("SCAN_0001.{ext}")), b"x").unwrap();
    }
    std::fs::write(dir.join("notes.txt"), b"flight log").unwrap();
}

#[test]
fn planted_problems_are_each_found_with_their_files() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let ds = crate::dataset::scan(dir.path()).unwrap();
    let r = examine(&ds, Some(JobKind::Map2d), 2_500_000);
    let find = |c: FindingCode| r.findings.iter().find(|f| f.code == c).unwrap_or_else(|| panic!("{c:?} not found in {:#?}", r.findings));
    assert_eq!(find(FindingCode::Duplicates).count, 1);
    assert_eq!(find(FindingCode::Duplicates).files, vec!["DJI_0020 (copy).JPG"]);
    assert_eq!(find(FindingCode::NoGps).files, vec!["DJI_9999.JPG"]);
    assert_eq!(find(FindingCode::NoGps).severity, Severity::Warning);
    let cams = find(FindingCode::SeveralCameras);
    assert_eq!(cams.files, vec!["DJI_0050.JPG"]);
    assert_eq!(cams.params["cameras"], "FC6360, FC7303");
    let lidar = find(FindingCode::LidarIncomplete);
    assert_eq!((lidar.files.clone(), lidar.params["SCAN_0001"].as_str(), lidar.severity), (vec!["SCAN_0001.LDR".to_string()], ".RTK", Severity::Error));
    assert_eq!(find(FindingCode::NotSurvey).files, vec!["notes.txt"]);
    // Nadir photos for a 2D map: nothing to say; one flight; every real photo placed.
    assert!(r.findings.iter().all(|f| f.code != FindingCode::ObliqueFor2d && f.code != FindingCode::SeveralFlights), "{:#?}", r.findings);
    assert_eq!(r.flights, 1);
    assert_eq!(r.suggested_kind, Some(JobKind::Map2d));
    assert_eq!(r.photos.iter().filter(|p| p.has_position()).count(), 13);
    assert_eq!(r.worst(), Some(Severity::Error));
    assert!(r.upload_seconds.unwrap() > 4.0, "about 11 MB at 2.5 MB/s");
    // A 3D model of straight-down photos is warned about.
    let r3 = examine(&ds, Some(JobKind::Model3d), 0);
    assert!(r3.findings.iter().any(|f| f.code == FindingCode::NadirFor3d && f.severity == Severity::Warning));
    assert_eq!(r3.upload_seconds, None);
}

#[test]
fn a_gap_of_an_hour_is_another_flight() {
    let mut photos: Vec<PhotoMeta> = ["2026:01:26 10:00:00", "2026:01:26 10:00:05", "2026:01:26 11:30:00", "2026:01:26 11:30:04"]
        .iter()
        .map(|t| PhotoMeta { taken: Some(t.to_string()), ..Default::default() })
        .collect();
    assert_eq!(group_flights(&mut photos), 2);
    assert_eq!(photos.iter().map(|p| p.flight).collect::<Vec<_>>(), vec![1, 1, 2, 2]);
}

#[test]
fn a_folder_beyond_djis_limits_is_an_error_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    for row in manifest().iter().take(6) {
        std::fs::copy(real().join(&row["FileName"]), dir.path().join(&row["FileName"])).unwrap();
    }
    let ds = crate::dataset::scan(dir.path()).unwrap();
    let r = examine(&ds, Some(JobKind::Map2d), 0);
    let f = r.findings.iter().find(|f| f.code == FindingCode::Limits).unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!((f.severity, f.params["error"].as_str(), f.params["photos"].as_str(), f.params["min"].as_str()), (Severity::Error, "dataset.too_few_photos", "6", "10"));
    assert!(f.message.contains("10"), "{}", f.message);
    // Ten photos are enough: no such finding.
    for row in manifest().iter().skip(6).take(4) {
        std::fs::copy(real().join(&row["FileName"]), dir.path().join(&row["FileName"])).unwrap();
    }
    let ds = crate::dataset::scan(dir.path()).unwrap();
    assert!(examine(&ds, Some(JobKind::Map2d), 0).findings.iter().all(|f| f.code != FindingCode::Limits));
}
