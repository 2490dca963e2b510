//! Text for people, JSON for scripts.

use serde::Serialize;
use terradesk_core::desk::{JobDetail, JobView};
use terradesk_core::jobs::{JobRecord, JobState};
use terradesk_core::results::DownloadReport;
use terradesk_core::upload::UploadReport;
use terradesk_core::{AccountView, Error, UserError};

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn value<T: Serialize>(&self, value: &T, text: &str) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).unwrap());
        } else {
            println!("{text}");
        }
    }

    pub fn account(&self, v: &AccountView) {
        let text = format!(
            "Region: {} ({})\nAccessKey: {}\nSecretKey: {}",
            v.region.label(),
            v.region.host().unwrap_or("local sandbox"),
            v.access_key.as_deref().unwrap_or("(none)"),
            if v.secret_stored { "stored in the keychain" } else { "not stored" }
        );
        self.value(v, &text);
    }

    pub fn error(&self, e: Error) {
        let e = UserError::from(e);
        if self.json {
            println!("{}", serde_json::json!({ "error": e }));
        } else {
            eprintln!("error: {}", e.message);
        }
    }

    pub fn jobs(&self, views: &[JobView]) {
        let jobs: Vec<&JobRecord> = views.iter().map(|v| &v.job).collect();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&jobs).unwrap());
        } else if jobs.is_empty() {
            println!("No jobs yet. Start one with `terradesk run --kind 2d FOLDER --out RESULT.zip`.");
        } else {
            for j in jobs {
                println!("{}", line(j));
            }
        }
    }

    pub fn detail(&self, d: &JobDetail) {
        let job = &d.view.job;
        if self.json {
            println!("{}", serde_json::json!({ "job": job, "events": d.events, "actions": d.view.actions, "steps": d.view.steps }));
            return;
        }
        println!("{}", line(job));
        println!(
            "  resource {}  remote job {}  result {}",
            job.resource_uuid.as_deref().unwrap_or("-"),
            job.remote_job_uuid.as_deref().unwrap_or("-"),
            job.output_resource_uuid.as_deref().unwrap_or("-")
        );
        if let Some(w) = &job.waiting_reason {
            println!("  {w}");
        }
        if let Some(u) = &job.unreadable {
            println!("  unreadable: {u}");
        }
        if let Some(e) = &job.error {
            println!("  error: {}", e.message);
        }
        for e in &d.events {
            println!("  {}  {:<11} {}", e.at, e.state.as_str(), e.message);
        }
    }

    pub fn upload_report(&self, report: &UploadReport) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(report).unwrap());
            return;
        }
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

    pub fn download_report(&self, r: &DownloadReport) {
        let refused = if r.refused.is_empty() {
            String::new()
        } else {
            format!("; refused {} unsafe names: {}", r.refused.len(), r.refused.iter().map(|x| format!("{} ({})", x.name, x.reason)).collect::<Vec<_>>().join(", "))
        };
        self.value(r, &format!("Downloaded {} files ({}) into {}{refused}", r.files, human_bytes(r.bytes), r.folder));
    }
}

fn line(j: &JobRecord) -> String {
    let progress = match (j.state, j.percentage) {
        (JobState::Processing, Some(p)) => format!(" {:.0}%", p * 100.0),
        _ => String::new(),
    };
    format!("{:>4}  {:<11} {:<6} {}{}  ({})", j.id, j.state.as_str(), j.kind.id(), j.name, progress, j.dataset)
}

pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
