//! Following a job's task from the terminal: a progress bar fed by the façade's events, the
//! outcome awaited, and Ctrl-C to pause a download or export (run the command again to go on).

use crate::output::{human_bytes, Out};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use terradesk_core::jobs::runner::TaskOutput;
use terradesk_core::jobs::JobState;
use terradesk_core::progress::{Phase, Progress, Tracker};
use terradesk_core::results::{DownloadReport, ExportReport};
use terradesk_core::{Desk, DeskEvent, Error, JobId, Result};

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new(out: &Out) -> Bar {
        let bar = if out.json { ProgressBar::hidden() } else { ProgressBar::new(0) };
        bar.set_style(ProgressStyle::with_template("{spinner} {prefix:12} [{bar:30}] {msg}").expect("template").progress_chars("=> "));
        Bar { bar }
    }

    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    fn progress(&self, p: &Progress) {
        let prefix = match p.phase {
            Some(Phase::Upload) => "uploading",
            Some(Phase::Download) => "downloading",
            Some(Phase::Export) => "exporting",
            None => "",
        };
        self.bar.set_prefix(prefix);
        self.bar.set_length(p.bytes_total.max(1));
        self.bar.set_position(p.bytes_done);
        let eta = p.eta_seconds.filter(|_| !p.paused).map(|s| format!(", {} left", human_secs(s))).unwrap_or_default();
        self.bar.set_message(format!("{}/{} files, {}/s{eta}", p.files_done, p.files_total, human_bytes(p.speed as u64)));
    }

    fn event(&self, id: JobId, e: &DeskEvent) {
        match e {
            DeskEvent::Progress { id: j, progress } if *j == id && progress.bytes_total > 0 && progress.bytes_done < progress.bytes_total => self.progress(progress),
            DeskEvent::Job(v) if v.job.id == id => {
                let j = &v.job;
                self.bar.set_prefix(j.state.as_str().to_string());
                match (j.state, j.percentage) {
                    (JobState::Processing | JobState::Submitted, Some(p)) => {
                        self.bar.set_length(100);
                        self.bar.set_position((p * 100.0) as u64);
                        let left = j.remain_seconds.map(|s| format!(", about {} left (server's estimate)", human_secs(s))).unwrap_or_default();
                        self.bar.set_message(format!("{:.0}%{left}", p * 100.0));
                    }
                    (JobState::Queued, _) => self.bar.set_message(j.waiting_reason.clone().unwrap_or_default()),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Redraw from `tracker` a few times a second until aborted.
    pub fn follow_tracker(&self, tracker: Arc<Tracker>) -> tokio::task::JoinHandle<()> {
        let bar = Bar { bar: self.bar.clone() };
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(250));
            loop {
                every.tick().await;
                bar.progress(&tracker.snapshot(false));
            }
        })
    }
}

/// Wait for job `id`'s task, drawing its progress; Ctrl-C cancels it when `cancel_on_ctrl_c`, else
/// ends the process (the job goes on from its journal next time).
async fn wait(desk: &Desk, id: JobId, out: &Out, cancel_on_ctrl_c: bool) -> Option<Result<TaskOutput>> {
    let bar = Bar::new(out);
    let mut events = desk.subscribe();
    let mut done = Box::pin(desk.wait(id));
    let outcome = loop {
        tokio::select! {
            o = &mut done => break o,
            e = events.recv() => if let Ok(e) = e { bar.event(id, &e) },
            _ = tokio::signal::ctrl_c() => {
                bar.clear();
                if !cancel_on_ctrl_c {
                    eprintln!("Interrupted. Run `terradesk resume {id}` to go on from where it stopped.");
                    std::process::exit(130);
                }
                eprintln!("Stopping…");
                break desk.cancel(id).await;
            }
        }
    };
    bar.clear();
    outcome
}

/// Advance a job to the end: processing, then download and export when asked.
pub async fn finish(desk: &Desk, id: JobId, zip: Option<PathBuf>, outputs: Vec<String>, out: &Out) -> Result<()> {
    if let Some(o) = wait(desk, id, out, false).await {
        o?;
    }
    let job = desk.view(id)?.job;
    if matches!(job.state, JobState::Failed | JobState::Stopped) {
        return Err(job.error.map(Error::Saved).unwrap_or(Error::JobWrongState { id: id.0, state: job.state.as_str().into(), action: "finished".into() }));
    }
    if job.state.is_unfinished() {
        return Err(Error::JobWrongState { id: id.0, state: job.state.as_str().into(), action: "finished".into() });
    }
    let mut result = serde_json::json!({});
    if let Some(zip) = zip {
        let d = download(desk, id, outputs, None, out).await?;
        let e = export(desk, id, zip, out).await?;
        if !out.json {
            for r in &d.refused {
                eprintln!("refused {}: {}", r.name, r.reason);
            }
            for (from, to) in &e.moved {
                eprintln!("moved {from} → {to}");
            }
            if !e.missing.is_empty() {
                eprintln!("the result lacks {} of the Terra layout", e.missing.join(", "));
            }
            if !e.not_downloaded.is_empty() {
                eprintln!("not in the ZIP because not downloaded: {} (download them to include them)", e.not_downloaded.join(", "));
            }
            println!("Terra ZIP: {} ({} files, {})", e.path, e.entries, human_bytes(e.bytes));
        }
        result["download"] = serde_json::to_value(&d).unwrap();
        result["export"] = serde_json::to_value(&e).unwrap();
    } else if !out.json {
        println!("Job {id} finished. Download it with `terradesk download {id}` and `terradesk export {id} --out RESULT.zip`.");
    }
    if out.json {
        result["job"] = serde_json::to_value(desk.view(id)?.job).unwrap();
        println!("{}", serde_json::to_string_pretty(&result).unwrap());
    }
    Ok(())
}

fn interrupted(id: JobId, what: &str) -> Error {
    eprintln!("The {what} of job {id} is paused. Run the same command again to go on from where it stopped.");
    Error::Cancelled
}

pub async fn download(desk: &Desk, id: JobId, outputs: Vec<String>, to: Option<PathBuf>, out: &Out) -> Result<DownloadReport> {
    desk.download(id, outputs, to).await?;
    match wait(desk, id, out, true).await {
        Some(Ok(TaskOutput::Download(r))) => Ok(r),
        Some(Err(Error::Cancelled)) => Err(interrupted(id, "download")),
        Some(Err(e)) => Err(e),
        _ => Err(Error::internal("the download ended without a report")),
    }
}

pub async fn export(desk: &Desk, id: JobId, zip: PathBuf, out: &Out) -> Result<ExportReport> {
    desk.export(id, zip).await?;
    match wait(desk, id, out, true).await {
        Some(Ok(TaskOutput::Export(r))) => Ok(r),
        Some(Err(Error::Cancelled)) => Err(interrupted(id, "export")),
        Some(Err(e)) => Err(e),
        _ => Err(Error::internal("the export ended without a report")),
    }
}

pub fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    if s < 90 {
        format!("{s} s")
    } else if s < 5400 {
        format!("{} min", s / 60)
    } else {
        format!("{:.1} h", s as f64 / 3600.0)
    }
}

/// Names the folder's files that are neither photos nor LiDAR files, and whether they go up.
pub fn say_others(s: &terradesk_core::desk::DatasetSummary, leave_out: bool) {
    if s.other_count > 0 {
        let shown: Vec<String> = s.others.iter().take(10).map(|o| if o.not_an_image { format!("{} (named like a photo, not an image)", o.name) } else { o.name.clone() }).collect();
        let more = if s.other_count as usize > shown.len() { format!(" and {} more", s.other_count as usize - shown.len()) } else { String::new() };
        let what = if leave_out { "left out" } else { "uploaded too (--leave-out-others leaves them out)" };
        eprintln!("{} files are not photos or LiDAR files, {what}: {}{more}", s.other_count, shown.join(", "));
    }
    if s.photos_without_exif > 0 {
        eprintln!("{} photos carry no EXIF (no position or camera): the cloud may not place them", s.photos_without_exif);
    }
}
