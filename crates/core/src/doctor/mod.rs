//! The dataset doctor: what in a survey's files would make a cloud job fail or come back poor,
//! found before the upload. It reads each photo's header only ([`meta`]), in parallel, and names
//! each problem with a severity, the files concerned and what to do. Used by New job and by
//! `terradesk doctor`.

pub mod meta;

use crate::dataset::{Dataset, DatasetFile, FileKind};
use crate::jobs::{JobKind, StartOptions};
pub use meta::PhotoMeta;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The job would fail or be wrong: fix it first.
    Error,
    /// The result may be poor or the job may fail: look before uploading.
    Warning,
    /// Worth knowing.
    Info,
}

/// What a finding is about; the app words it from the code and `params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    /// Photos without a GPS position.
    NoGps,
    /// Photos whose position is 0, 0 (a receiver without a fix).
    GpsZero,
    /// Photos that are byte-for-byte copies of another.
    Duplicates,
    /// Photos from more than one camera.
    SeveralCameras,
    /// Photos of more than one image size.
    SeveralImageSizes,
    /// Photos from more than one flight (a gap in time or place).
    SeveralFlights,
    /// Oblique photos in a 2D map (a 3D model suits them).
    ObliqueFor2d,
    /// Only straight-down photos for a 3D model (a 2D map suits them).
    NadirFor3d,
    /// Files that are neither photos nor LiDAR data (they are uploaded as they are).
    NotSurvey,
    /// LiDAR scans that lack some of their files.
    LidarIncomplete,
    /// Photo headers that could not be read.
    Unreadable,
    /// The folder is beyond DJI's limits for the job (too few or too many photos, LiDAR too
    /// large); `params.error` is the error's code, the rest its parameters.
    Limits,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// How many files it concerns, and all of them (the app draws them a page at a time, and can
    /// leave them all out of the job).
    pub count: u32,
    pub files: Vec<String>,
    /// Facts the message needs (cameras, sizes, flights, the missing files of each scan …).
    pub params: BTreeMap<String, String>,
    /// What happened and what to do, in English (the app translates from the code).
    pub message: String,
}

/// What the doctor found in a folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub photos: Vec<PhotoMeta>,
    pub findings: Vec<Finding>,
    pub flights: u32,
    pub cameras: Vec<String>,
    /// Megapixels in all (DJI prices and limits jobs by them).
    pub megapixels: f64,
    /// The kind the photos suit: oblique ones a 3D model, straight-down ones a 2D map.
    pub suggested_kind: Option<JobKind>,
    /// Seconds the upload should take at the link's last measured speed (none measured yet: none).
    pub upload_seconds: Option<f64>,
    /// What the job uploads: files and bytes (the folder's, less what is left out).
    pub upload_files: u32,
    #[specta(type = f64)]
    pub upload_bytes: u64,
    /// Files left out of the job (photos the user left out, other files when they are left out).
    pub left_out_files: u32,
    #[specta(type = f64)]
    pub left_out_bytes: u64,
}

impl DoctorReport {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}

/// Photos this far below the horizon (pitch −90 is straight down) or more count as nadir.
const NADIR: f64 = -75.0;
/// A gap this long between consecutive photos starts another flight.
const FLIGHT_GAP_SECS: i64 = 20 * 60;
/// LiDAR scan files that belong together, by extension; the newer sensors' extras.
const LIDAR_SET: &[&str] = &["LDR", "IMU", "RTK", "RTB", "RTL", "RTS", "CLC", "CLI", "SIG"];
const LIDAR_EXTRA: &[&str] = &["LDRT", "RPT", "RPOS"];

/// [`examine`] the files a job started with `opts` uploads. The photos it leaves out are on the
/// report too, marked `left_out` (to draw them on the map), but no finding counts them.
pub fn examine_for(ds: Dataset, kind: Option<JobKind>, link_speed: u64, opts: &StartOptions) -> DoctorReport {
    let kept = opts.apply(ds.clone());
    let mut report = examine(&kept, kind, link_speed);
    if kept.files.len() < ds.files.len() {
        let names: HashSet<&str> = kept.files.iter().map(|f| f.name.as_str()).collect();
        let gone: Vec<&DatasetFile> = ds.files.iter().filter(|f| !names.contains(f.name.as_str())).collect();
        report.left_out_files = gone.len() as u32;
        report.left_out_bytes = gone.iter().map(|f| f.size).sum();
        for f in gone.into_iter().filter(|f| f.kind == FileKind::Photo && !f.not_an_image) {
            report.photos.push(PhotoMeta { left_out: true, ..meta::read(&f.path, &f.name, f.size) });
        }
    }
    report
}

/// Examine `ds` for a job of `kind` (the one the photos suit when `None`); `link_speed` is the
/// last measured upload speed in bytes per second (0: none).
pub fn examine(ds: &Dataset, kind: Option<JobKind>, link_speed: u64) -> DoctorReport {
    let photos = read_photos(ds);
    let mut findings = Vec::new();
    let mut photos = photos;
    let flights = group_flights(&mut photos);

    let names = |it: &mut dyn Iterator<Item = &PhotoMeta>| -> Vec<String> { it.map(|p| p.name.clone()).collect() };
    let unreadable = names(&mut photos.iter().filter(|p| p.unreadable.is_some()));
    push(&mut findings, FindingCode::Unreadable, Severity::Error, unreadable, BTreeMap::new(), |n| {
        format!("{n} photo(s) could not be read. Copy them again from the SD card.")
    });
    let no_gps = names(&mut photos.iter().filter(|p| p.unreadable.is_none() && !p.has_position()));
    let all_without = !photos.is_empty() && no_gps.len() == photos.len();
    push(&mut findings, FindingCode::NoGps, Severity::Warning, no_gps, BTreeMap::from([("all".to_string(), all_without.to_string())]), |n| {
        if all_without {
            format!("None of the {n} photos has a GPS position: the result will not be placed on a map, and the cloud may refuse the job. Check that the drone had a GPS fix.")
        } else {
            format!("{n} photo(s) have no GPS position: the cloud cannot place them. Leave them out, or check that the drone had a GPS fix.")
        }
    });
    let zero = names(&mut photos.iter().filter(|p| p.lat.is_some_and(|v| v.abs() < 1e-6) && p.lon.is_some_and(|v| v.abs() < 1e-6)));
    push(&mut findings, FindingCode::GpsZero, Severity::Warning, zero, BTreeMap::new(), |n| {
        format!("{n} photo(s) are placed at 0°, 0° (taken before the GPS had a fix). Leave them out.")
    });
    let dups = duplicates(ds);
    push(&mut findings, FindingCode::Duplicates, Severity::Warning, dups, BTreeMap::new(), |n| {
        format!("{n} photo(s) are copies of another photo in the folder (copied twice from the SD card?). Leave the copies out.")
    });

    let mut cameras: Vec<String> = photos.iter().filter_map(|p| p.model.clone()).collect();
    cameras.sort();
    cameras.dedup();
    if cameras.len() > 1 {
        let params = BTreeMap::from([("cameras".to_string(), cameras.join(", "))]);
        let minority = minority(&photos, |p| p.model.clone());
        push(&mut findings, FindingCode::SeveralCameras, Severity::Warning, minority, params, |_| {
            format!("The photos come from {} cameras ({}). One job should hold one camera's photos: leave the others out.", cameras.len(), cameras.join(", "))
        });
    }
    let sizes = distinct(&photos, |p| p.width.zip(p.height).map(|(w, h)| format!("{w}×{h}")));
    if sizes.len() > 1 {
        let params = BTreeMap::from([("sizes".to_string(), sizes.join(", "))]);
        let minority = minority(&photos, |p| p.width.zip(p.height).map(|(w, h)| format!("{w}×{h}")));
        push(&mut findings, FindingCode::SeveralImageSizes, Severity::Warning, minority, params, |_| {
            format!("The photos have {} image sizes ({}): leave out the odd ones.", sizes.len(), sizes.join(", "))
        });
    }
    if flights > 1 {
        let per: Vec<String> = (1..=flights).map(|f| photos.iter().filter(|p| p.flight == f).count().to_string()).collect();
        let params = BTreeMap::from([("flights".to_string(), flights.to_string()), ("photos".to_string(), per.join(", "))]);
        let later = names(&mut photos.iter().filter(|p| p.flight > 1));
        push(&mut findings, FindingCode::SeveralFlights, Severity::Info, later, params, |_| {
            format!("The photos are from {flights} flights ({} photos). That is fine for one area; for separate areas make a job each.", per.join(", "))
        });
    }

    let pitched: Vec<&PhotoMeta> = photos.iter().filter(|p| p.gimbal_pitch.is_some()).collect();
    let oblique: Vec<String> = pitched.iter().filter(|p| p.gimbal_pitch.is_some_and(|g| g > NADIR)).map(|p| p.name.clone()).collect();
    let suggested_kind = if pitched.is_empty() {
        None
    } else if oblique.len() * 5 > pitched.len() {
        Some(JobKind::Model3d)
    } else {
        Some(JobKind::Map2d)
    };
    match kind.or(suggested_kind) {
        Some(JobKind::Map2d) if !oblique.is_empty() => {
            let sev = if suggested_kind == Some(JobKind::Model3d) { Severity::Warning } else { Severity::Info };
            push(&mut findings, FindingCode::ObliqueFor2d, sev, oblique, BTreeMap::new(), |n| {
                format!("{n} photo(s) look ahead, not down (gimbal above {NADIR}°). A 2D map wants straight-down photos: leave them out, or make a 3D model.")
            });
        }
        Some(JobKind::Model3d) if !pitched.is_empty() && oblique.is_empty() => {
            push(&mut findings, FindingCode::NadirFor3d, Severity::Warning, vec![], BTreeMap::new(), |_| {
                "Every photo looks straight down: a 3D model needs oblique photos for the sides. Make a 2D map, or fly an oblique mission.".to_string()
            });
        }
        _ => {}
    }

    let others: Vec<String> = ds.files.iter().filter(|f| f.kind == FileKind::Other).map(|f| f.name.clone()).collect();
    push(&mut findings, FindingCode::NotSurvey, Severity::Info, others, BTreeMap::new(), |n| {
        format!("{n} file(s) are neither photos nor LiDAR data; they are uploaded as they are (leave them out to save time).")
    });
    let (missing, params) = lidar_sets(&ds.files);
    push(&mut findings, FindingCode::LidarIncomplete, Severity::Error, missing, params, |n| {
        format!("{n} LiDAR scan(s) lack some of their files (each scan's files share one name: .LDR .IMU .RTK .RTB .RTL .RTS .CLC .CLI .SIG). Copy the whole scan folder from the SD card.")
    });

    if let Some(k) = kind.or(suggested_kind).or_else(|| crate::jobs::fitness::suggest_kind(ds)) {
        for e in crate::jobs::fitness::dataset_problems(k, ds) {
            let u = crate::error::UserError::from(&e);
            let mut params: BTreeMap<String, String> =
                u.params.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect();
            params.insert("error".into(), u.code.as_str().to_string());
            let message = u.message.clone();
            push(&mut findings, FindingCode::Limits, Severity::Error, vec![], params, move |_| message.clone());
        }
    }

    let megapixels = photos.iter().filter_map(|p| p.width.zip(p.height)).map(|(w, h)| w as f64 * h as f64 / 1e6).sum();
    DoctorReport {
        photos,
        findings,
        flights,
        cameras,
        megapixels,
        suggested_kind,
        upload_seconds: (link_speed > 0).then(|| ds.total_bytes as f64 / link_speed as f64),
        upload_files: ds.files.len() as u32,
        upload_bytes: ds.total_bytes,
        left_out_files: 0,
        left_out_bytes: 0,
    }
}

fn push(findings: &mut Vec<Finding>, code: FindingCode, severity: Severity, files: Vec<String>, params: BTreeMap<String, String>, message: impl Fn(usize) -> String) {
    let always = matches!(code, FindingCode::NadirFor3d | FindingCode::SeveralCameras | FindingCode::SeveralImageSizes | FindingCode::SeveralFlights | FindingCode::Limits);
    if files.is_empty() && !always {
        return;
    }
    let count = files.len();
    findings.push(Finding { code, severity, count: count as u32, message: message(count), files, params });
}

fn distinct(photos: &[PhotoMeta], key: impl Fn(&PhotoMeta) -> Option<String>) -> Vec<String> {
    let mut v: Vec<String> = photos.iter().filter_map(key).collect();
    v.sort();
    v.dedup();
    v
}

/// The photos not of the most common value of `key`.
fn minority(photos: &[PhotoMeta], key: impl Fn(&PhotoMeta) -> Option<String>) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for p in photos {
        if let Some(k) = key(p) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let Some(common) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| k.clone()) else { return vec![] };
    photos.iter().filter(|p| key(p).is_some_and(|k| k != common)).map(|p| p.name.clone()).collect()
}

/// Each photo's header, read on all cores.
fn read_photos(ds: &Dataset) -> Vec<PhotoMeta> {
    let files: Vec<&DatasetFile> = ds.files.iter().filter(|f| f.kind == FileKind::Photo && !f.not_an_image).collect();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 16) * 2;
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = files.chunks(chunk).map(|c| s.spawn(move || c.iter().map(|f| meta::read(&f.path, &f.name, f.size)).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Number the flights: sorted by capture time, a gap of [`FLIGHT_GAP_SECS`] starts a new one.
/// Photos without a time join the first.
fn group_flights(photos: &mut [PhotoMeta]) -> u32 {
    let mut timed: Vec<(i64, usize)> = photos.iter().enumerate().filter_map(|(i, p)| p.taken_secs().map(|t| (t, i))).collect();
    timed.sort();
    let mut flight = 1;
    let mut last: Option<i64> = None;
    for (t, i) in timed {
        if last.is_some_and(|l| t - l > FLIGHT_GAP_SECS) {
            flight += 1;
        }
        photos[i].flight = flight;
        last = Some(t);
    }
    for p in photos.iter_mut().filter(|p| p.flight == 0) {
        p.flight = 1;
    }
    if photos.is_empty() { 0 } else { flight }
}

/// Photos that are copies of another: the same size and the same first and last 64 KiB (a copy
/// made twice from the SD card), confirmed by hashing the whole file. The shortest name of each
/// set is taken for the original; the others are listed.
fn duplicates(ds: &Dataset) -> Vec<String> {
    use sha2::{Digest, Sha256};
    use std::io::{Read, Seek, SeekFrom};
    let sample = |path: &std::path::Path, size: u64, whole: bool| -> Option<Vec<u8>> {
        let mut f = std::fs::File::open(path).ok()?;
        let mut h = Sha256::new();
        if whole {
            std::io::copy(&mut f, &mut DigestWriter(&mut h)).ok()?;
        } else {
            let mut buf = vec![0u8; 64 * 1024];
            let n = f.read(&mut buf).ok()?;
            h.update(&buf[..n]);
            if size > 128 * 1024 {
                f.seek(SeekFrom::Start(size - 64 * 1024)).ok()?;
                let n = f.read(&mut buf).ok()?;
                h.update(&buf[..n]);
            }
        }
        Some(h.finalize().to_vec())
    };
    let mut by_size: HashMap<u64, Vec<&DatasetFile>> = HashMap::new();
    for f in ds.files.iter().filter(|f| f.kind == FileKind::Photo) {
        by_size.entry(f.size).or_default().push(f);
    }
    let mut copies = Vec::new();
    for same in by_size.values().filter(|v| v.len() > 1) {
        let mut seen: HashMap<Vec<u8>, Vec<&DatasetFile>> = HashMap::new();
        for f in same {
            if let Some(k) = sample(&f.path, f.size, false) {
                seen.entry(k).or_default().push(f);
            }
        }
        for group in seen.values().filter(|g| g.len() > 1) {
            let mut whole: HashMap<Vec<u8>, Vec<&str>> = HashMap::new();
            for f in group {
                if let Some(k) = sample(&f.path, f.size, true) {
                    whole.entry(k).or_default().push(&f.name);
                }
            }
            for mut names in whole.into_values().filter(|n| n.len() > 1) {
                // The shortest name is the original ("DJI_0020.JPG", not "DJI_0020 (1).JPG").
                names.sort_by_key(|n| (n.len(), n.to_string()));
                copies.extend(names[1..].iter().map(|n| n.to_string()));
            }
        }
    }
    copies.sort();
    copies
}

struct DigestWriter<'a, D: sha2::Digest>(&'a mut D);

impl<D: sha2::Digest> std::io::Write for DigestWriter<'_, D> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// LiDAR scans (files sharing a name stem) missing some of the set's extensions: the files
/// concerned are the scans' `.LDR` (or first) names; `params` holds what each lacks.
fn lidar_sets(files: &[DatasetFile]) -> (Vec<String>, BTreeMap<String, String>) {
    let mut stems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let Some((stem, ext)) = f.name.rsplit_once('.') else { continue };
        let ext = ext.to_ascii_uppercase();
        if LIDAR_SET.contains(&ext.as_str()) || LIDAR_EXTRA.contains(&ext.as_str()) {
            stems.entry(stem.to_string()).or_default().push(ext);
        }
    }
    let mut scans = Vec::new();
    let mut params = BTreeMap::new();
    for (stem, exts) in stems {
        // A scan is there when its point data is; sidecars alone are not a scan.
        if !exts.iter().any(|e| e == "LDR" || e == "LDRT") {
            continue;
        }
        let missing: Vec<&str> = LIDAR_SET.iter().copied().filter(|e| !exts.iter().any(|x| x == e)).collect();
        if !missing.is_empty() {
            let list = missing.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(" ");
            params.insert(stem.clone(), list);
            scans.push(format!("{stem}.LDR"));
        }
    }
    (scans, params)
}

#[cfg(test)]
mod tests;
