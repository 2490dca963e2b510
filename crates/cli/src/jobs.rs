//! `terradesk run | jobs | job | download | export | stop | retry | delete`.

use crate::output::Out;
use crate::upload::human_bytes;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use terradesk_core::connection::Target;
use terradesk_core::db::Db;
use terradesk_core::jobs::params::{preset, JobKind, JobParameters};
use terradesk_core::jobs::pipeline::{Events, Pipeline, PipelineEvent, PipelineOptions};
use terradesk_core::jobs::{JobRecord, JobState};
use terradesk_core::{Error, Result};

pub fn pipeline(target: &Target) -> Result<Pipeline> {
    let mut opts = PipelineOptions::default();
    // Scripts and tests against the sandbox set a faster pace.
    if let Some(ms) = std::env::var("TERRADESK_POLL_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        opts.poll_min = std::time::Duration::from_millis(ms);
        opts.poll_max = std::time::Duration::from_millis(ms * 4);
        opts.queue_retry = std::time::Duration::from_millis(ms * 2);
    }
    Ok(Pipeline::new(Db::open_default()?, target.client()?, opts))
}

/// A progress bar fed by pipeline events (hidden with --json).
fn progress_events(out: &Out) -> (Events, ProgressBar) {
    let bar = if out.json { ProgressBar::hidden() } else { ProgressBar::new(0) };
    bar.set_style(ProgressStyle::with_template("{spinner} {prefix:12} [{bar:30}] {msg}").expect("template").progress_chars("=> "));
    let b = bar.clone();
    let events: Events = Arc::new(move |e| match e {
        PipelineEvent::Job(j) => {
            b.set_prefix(j.state.as_str().to_string());
            match (j.state, j.percentage) {
                (JobState::Processing | JobState::Submitted, Some(p)) => {
                    b.set_length(100);
                    b.set_position((p * 100.0) as u64);
                    let left = j.remain_seconds.map(|s| format!(", about {} s left (server's estimate)", s as u64)).unwrap_or_default();
                    b.set_message(format!("{:.0}%{left}", p * 100.0));
                }
                (JobState::Queued, _) => b.set_message(j.waiting_reason.clone().unwrap_or_default()),
                _ => {}
            }
        }
        PipelineEvent::Upload(p) => {
            b.set_prefix("uploading");
            b.set_length(p.bytes_total.max(1));
            b.set_position(p.bytes_done);
            let eta = p.eta_seconds.map(|s| format!(", {} s left", s as u64)).unwrap_or_default();
            b.set_message(format!("{}/{} files, {}/s{eta}", p.files_done, p.files_total, human_bytes(p.speed as u64)));
        }
        PipelineEvent::Download(p) => {
            b.set_prefix("downloading");
            b.set_length(p.bytes_total.max(1));
            b.set_position(p.bytes_done);
            b.set_message(format!("{}/{} files", p.files_done, p.files_total));
        }
    });
    (events, bar)
}

#[allow(clippy::too_many_arguments)]
pub async fn run(target: &Target, kind: JobKind, folder: &Path, params: &[String], preset_id: Option<String>, name: Option<String>, out_zip: Option<PathBuf>, outputs: Vec<String>, out: &Out) -> Result<()> {
    let mut p = JobParameters::new(kind);
    if let Some(id) = preset_id {
        let pr = preset(&id)?;
        if pr.kind != kind {
            return Err(Error::InvalidInput(format!("preset {id} is for {} jobs, not {}", pr.kind.label(), kind.label())));
        }
        p.values = pr.values;
    }
    for kv in params {
        let (k, v) = kv.split_once('=').ok_or_else(|| Error::InvalidInput(format!("--param takes key=value, not \"{kv}\"")))?;
        p.set_text(k.trim(), v)?;
    }
    if let Err(errs) = p.validate() {
        return Err(Error::InvalidInput(errs.iter().map(|e| format!("{}: {}", e.key, e.message)).collect::<Vec<_>>().join("; ")));
    }
    let pl = pipeline(target)?;
    let job = pl.create(name.as_deref().unwrap_or(""), folder, &p, target.region)?;
    if !out.json {
        eprintln!("Job {} \"{}\" ({}) from {}", job.id, job.name, kind.label(), job.dataset);
    }
    finish(&pl, job.id, out_zip, outputs, out).await
}

/// Advance a job to the end: processing, then download and export when asked.
pub async fn finish(pl: &Pipeline, id: i64, out_zip: Option<PathBuf>, outputs: Vec<String>, out: &Out) -> Result<()> {
    let (events, bar) = progress_events(out);
    let job = pl.advance(id, &events).await?;
    if job.state == JobState::Failed || job.state == JobState::Stopped {
        bar.finish_and_clear();
        let reason = job.error.map(|e| e.message).unwrap_or_else(|| format!("The job {}.", job.state.as_str()));
        return Err(Error::InvalidInput(reason));
    }
    let mut result = serde_json::json!({ "job": pl.store.get(id)? });
    if let Some(zip) = out_zip {
        let d = pl.download(id, None, outputs, &events).await?;
        let e = pl.export(id, &zip, &events)?;
        result["download"] = serde_json::to_value(&d).unwrap();
        result["export"] = serde_json::to_value(&e).unwrap();
        bar.finish_and_clear();
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
            println!("Terra ZIP: {} ({} files, {})", e.path, e.entries, human_bytes(e.bytes));
        }
    } else {
        bar.finish_and_clear();
        if !out.json {
            println!("Job {} finished. Download it with `terradesk download {id}` and `terradesk export {id} --out RESULT.zip`.", id);
        }
    }
    if out.json {
        result["job"] = serde_json::to_value(pl.store.get(id)?).unwrap();
        println!("{}", serde_json::to_string_pretty(&result).unwrap());
    }
    Ok(())
}

fn line(j: &JobRecord) -> String {
    let progress = match (j.state, j.percentage) {
        (JobState::Processing, Some(p)) => format!(" {:.0}%", p * 100.0),
        _ => String::new(),
    };
    format!("{:>4}  {:<11} {:<6} {}{}  ({})", j.id, j.state.as_str(), j.kind.id(), j.name, progress, j.dataset)
}

pub fn list(out: &Out) -> Result<()> {
    let store = terradesk_core::jobs::JobStore::new(Db::open_default()?);
    let jobs = store.list()?;
    if out.json {
        println!("{}", serde_json::to_string_pretty(&jobs).unwrap());
    } else if jobs.is_empty() {
        println!("No jobs yet. Start one with `terradesk run --kind 2d FOLDER --out RESULT.zip`.");
    } else {
        for j in &jobs {
            println!("{}", line(j));
        }
    }
    Ok(())
}

pub fn show(id: i64, out: &Out) -> Result<()> {
    let store = terradesk_core::jobs::JobStore::new(Db::open_default()?);
    let job = store.get(id)?;
    let events = store.events(id)?;
    if out.json {
        println!("{}", serde_json::json!({ "job": job, "events": events }));
        return Ok(());
    }
    println!("{}", line(&job));
    println!("  resource {}  remote job {}  result {}", job.resource_uuid.as_deref().unwrap_or("-"), job.remote_job_uuid.as_deref().unwrap_or("-"), job.output_resource_uuid.as_deref().unwrap_or("-"));
    if let Some(w) = &job.waiting_reason {
        println!("  {w}");
    }
    if let Some(e) = &job.error {
        println!("  error: {}", e.message);
    }
    for e in events {
        println!("  {}  {:<11} {}", e.at, e.state.as_str(), e.message);
    }
    Ok(())
}
