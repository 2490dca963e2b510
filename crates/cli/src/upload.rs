//! `terradesk upload FOLDER`: with a progress bar, resumable by running it again.

use crate::output::Out;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use terradesk_core::connection::Target;
use terradesk_core::dataset;
use terradesk_core::db::Db;
use terradesk_core::upload::{UploadJournal, UploadOptions, UploadReport, Uploader};
use terradesk_core::{Error, Result};

pub async fn run(target: &Target, folder: &Path, name: Option<String>, resource: Option<String>, opts: UploadOptions, out: &Out) -> Result<UploadReport> {
    let folder = folder.canonicalize().map_err(|_| Error::InvalidInput(format!("The folder {} does not exist.", folder.display())))?;
    let ds = dataset::scan(&folder)?;
    if ds.files.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{} has no files to upload{}.",
            folder.display(),
            if ds.skipped.is_empty() { String::new() } else { format!(" ({} skipped: hidden or system files)", ds.skipped.len()) }
        )));
    }
    if !out.json {
        eprintln!("{}: {} files, {} ({} photos, {} LiDAR files)", folder.display(), ds.files.len(), human_bytes(ds.total_bytes), ds.photos, ds.lidar_files);
        for s in ds.skipped.iter().take(20) {
            eprintln!("  skipped {}: {}", s.name, s.reason);
        }
        if ds.skipped.len() > 20 {
            eprintln!("  … and {} more skipped", ds.skipped.len() - 20);
        }
    }
    let client = target.client()?;
    let journal = UploadJournal::new(Db::open_default()?);
    let resource = match resource {
        Some(r) => r,
        None => match journal.latest_for_root(&ds.root)? {
            Some((_, r, state)) if state != "complete" && state != "cancelled" => {
                if !out.json {
                    eprintln!("Resuming the earlier upload into resource {r}");
                }
                r
            }
            _ => {
                let name = name.unwrap_or_else(|| folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "survey".into()));
                let r = client.create_resource(&name, "map").await?;
                if !out.json {
                    eprintln!("Created resource \"{name}\" ({})", r.uuid);
                }
                r.uuid
            }
        },
    };
    let bar = if out.json { ProgressBar::hidden() } else { ProgressBar::new(ds.total_bytes) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    let b = bar.clone();
    let uploader = Uploader::new(client, journal, resource, opts);
    let report = uploader
        .run(&ds, move |p| {
            b.set_length(p.bytes_total);
            b.set_position(p.bytes_done);
            let eta = p.eta_seconds.map(|s| format!(", {} left", human_secs(s))).unwrap_or_default();
            b.set_message(format!("{}/{} files, {}/s{eta}", p.files_done, p.files_total, human_bytes(p.speed as u64)));
        })
        .await?;
    bar.finish_and_clear();
    if out.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "Uploaded {} of {} files ({}) into resource {} in {:.1} s; {} registered.",
            report.files - report.failed.len() as u32,
            report.files,
            human_bytes(report.bytes),
            report.resource_uuid,
            report.seconds,
            report.registered
        );
        if !report.changed.is_empty() {
            println!("Sent again because they changed on disk: {}", report.changed.join(", "));
        }
        for f in &report.failed {
            println!("  failed {}: {}", f.name, f.reason);
        }
        if !report.failed.is_empty() {
            println!("Run the same command again to retry the failed files.");
        }
    }
    Ok(report)
}

pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{b} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    if s < 90 { format!("{s} s") } else if s < 5400 { format!("{} min", s / 60) } else { format!("{:.1} h", s as f64 / 3600.0) }
}
