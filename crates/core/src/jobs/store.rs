//! The job history: one row per job, every transition saved before the next side effect.

use super::params::{JobKind, JobParameters};
use crate::db::{now_unix, Db};
use crate::{Error, Region, Result, UserError};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// Where a job stands, locally and on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Draft,
    Uploading,
    /// Waiting for a free slot (the account has its two unfinished jobs).
    Queued,
    /// Created and started on the server; waiting for it to begin.
    Submitted,
    /// The server is working (remote statuses 1–4).
    Processing,
    Finished,
    Failed,
    Stopped,
    Downloading,
    Downloaded,
    Exported,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Draft => "draft",
            JobState::Uploading => "uploading",
            JobState::Queued => "queued",
            JobState::Submitted => "submitted",
            JobState::Processing => "processing",
            JobState::Finished => "finished",
            JobState::Failed => "failed",
            JobState::Stopped => "stopped",
            JobState::Downloading => "downloading",
            JobState::Downloaded => "downloaded",
            JobState::Exported => "exported",
        }
    }

    pub fn parse(s: &str) -> JobState {
        match s {
            "uploading" => JobState::Uploading,
            "queued" => JobState::Queued,
            "submitted" => JobState::Submitted,
            "processing" => JobState::Processing,
            "finished" => JobState::Finished,
            "failed" => JobState::Failed,
            "stopped" => JobState::Stopped,
            "downloading" => JobState::Downloading,
            "downloaded" => JobState::Downloaded,
            "exported" => JobState::Exported,
            _ => JobState::Draft,
        }
    }

    /// The server still has work to do (or we have yet to hand it over).
    pub fn is_unfinished(self) -> bool {
        matches!(self, JobState::Draft | JobState::Uploading | JobState::Queued | JobState::Submitted | JobState::Processing)
    }

    /// The server made a result.
    pub fn has_result(self) -> bool {
        matches!(self, JobState::Finished | JobState::Downloading | JobState::Downloaded | JobState::Exported)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    #[specta(type = f64)]
    pub id: i64,
    pub name: String,
    pub kind: JobKind,
    pub dataset: String,
    pub parameters: JobParameters,
    pub region: Region,
    pub host: String,
    pub state: JobState,
    pub resource_uuid: Option<String>,
    pub remote_job_uuid: Option<String>,
    pub output_resource_uuid: Option<String>,
    pub remote_status: Option<i32>,
    pub percentage: Option<f64>,
    pub remain_seconds: Option<f64>,
    pub error: Option<UserError>,
    pub waiting_reason: Option<String>,
    pub download_dir: Option<String>,
    pub outputs: Vec<String>,
    pub export_path: Option<String>,
    #[specta(type = Option<f64>)]
    pub retry_of: Option<i64>,
    #[specta(type = f64)]
    pub created_at: i64,
    #[specta(type = f64)]
    pub updated_at: i64,
    #[serde(skip)]
    pub resource_marker: Option<String>,
    #[serde(skip)]
    pub job_marker: Option<String>,
    #[serde(skip)]
    pub start_sent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    #[specta(type = f64)]
    pub at: i64,
    pub state: JobState,
    pub message: String,
}

const COLS: &str = "id, name, kind, dataset, parameters, region, host, state, resource_uuid, resource_marker, remote_job_uuid, job_marker,
    start_sent, output_resource_uuid, remote_status, percentage, remain_seconds, error, waiting_reason, download_dir, outputs,
    export_path, retry_of, created_at, updated_at";

fn row(r: &Row) -> rusqlite::Result<JobRecord> {
    let kind: String = r.get(2)?;
    let params: String = r.get(4)?;
    let region: String = r.get(5)?;
    let error: Option<String> = r.get(17)?;
    let outputs: String = r.get(20)?;
    let kind: JobKind = kind.parse().unwrap_or(JobKind::Map2d);
    Ok(JobRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        kind,
        dataset: r.get(3)?,
        parameters: serde_json::from_str(&params).unwrap_or(JobParameters::new(kind)),
        region: region.parse().unwrap_or(Region::Sandbox),
        host: r.get(6)?,
        state: JobState::parse(&r.get::<_, String>(7)?),
        resource_uuid: r.get(8)?,
        resource_marker: r.get(9)?,
        remote_job_uuid: r.get(10)?,
        job_marker: r.get(11)?,
        start_sent: r.get::<_, i64>(12)? != 0,
        output_resource_uuid: r.get(13)?,
        remote_status: r.get(14)?,
        percentage: r.get(15)?,
        remain_seconds: r.get(16)?,
        error: error.and_then(|e| serde_json::from_str(&e).ok()),
        waiting_reason: r.get(18)?,
        download_dir: r.get(19)?,
        outputs: serde_json::from_str(&outputs).unwrap_or_default(),
        export_path: r.get(21)?,
        retry_of: r.get(22)?,
        created_at: r.get(23)?,
        updated_at: r.get(24)?,
    })
}

#[derive(Clone, Debug)]
pub struct JobStore {
    db: Db,
}

/// A change to a job, saved in one transaction with its timeline entry.
#[derive(Default)]
pub struct Change {
    pub state: Option<JobState>,
    pub message: Option<String>,
    pub resource_uuid: Option<String>,
    pub resource_marker: Option<String>,
    pub remote_job_uuid: Option<String>,
    pub job_marker: Option<String>,
    pub start_sent: Option<bool>,
    pub output_resource_uuid: Option<String>,
    pub remote: Option<(Option<i32>, Option<f64>, Option<f64>)>,
    /// `Some(None)` clears the error.
    pub error: Option<Option<UserError>>,
    pub waiting_reason: Option<Option<String>>,
    pub download_dir: Option<String>,
    pub outputs: Option<Vec<String>>,
    pub export_path: Option<String>,
}

impl JobStore {
    pub fn new(db: Db) -> Self {
        JobStore { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn insert(&self, name: &str, kind: JobKind, dataset: &str, params: &JobParameters, region: Region, host: &str, retry_of: Option<i64>) -> Result<JobRecord> {
        let id = self.db.tx(|tx| {
            tx.execute(
                "INSERT INTO jobs (name, kind, dataset, parameters, region, host, state, retry_of, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'draft', ?7, ?8, ?8)",
                params![name, kind.id(), dataset, serde_json::to_string(params).unwrap(), region.id(), host, retry_of, now_unix()],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute("INSERT INTO job_events (job_id, at, state, message) VALUES (?1, ?2, 'draft', 'Job created')", params![id, now_unix()])?;
            Ok(id)
        })?;
        self.get(id)
    }

    pub fn get(&self, id: i64) -> Result<JobRecord> {
        self.db
            .read(|c| c.query_row(&format!("SELECT {COLS} FROM jobs WHERE id = ?1"), [id], row).optional())?
            .ok_or_else(|| Error::NotFound { what: format!("Job {id}") })
    }

    pub fn list(&self) -> Result<Vec<JobRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {COLS} FROM jobs ORDER BY id DESC"))?;
            let rows = stmt.query_map([], row)?;
            rows.collect()
        })
    }

    pub fn events(&self, id: i64) -> Result<Vec<JobEvent>> {
        self.db.read(|c| {
            let mut stmt = c.prepare("SELECT at, state, message FROM job_events WHERE job_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([id], |r| Ok(JobEvent { at: r.get(0)?, state: JobState::parse(&r.get::<_, String>(1)?), message: r.get(2)? }))?;
            rows.collect()
        })
    }

    pub fn delete(&self, id: i64) -> Result<()> {
        self.db.tx(|tx| tx.execute("DELETE FROM jobs WHERE id = ?1", [id]).map(|_| ()))
    }

    /// Apply `c` and log it to the timeline when it changes the state or says something.
    pub fn update(&self, id: i64, c: Change) -> Result<JobRecord> {
        let updated = self.db.tx(|tx| {
            let now = now_unix();
            let mut sets: Vec<String> = vec!["updated_at = ?2".into()];
            let mut vals: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(id), Box::new(now)];
            let mut push = |col: &str, v: Box<dyn rusqlite::ToSql>| {
                vals.push(v);
                sets.push(format!("{col} = ?{}", vals.len()));
            };
            if let Some(s) = c.state {
                push("state", Box::new(s.as_str()));
            }
            if let Some(v) = c.resource_uuid {
                push("resource_uuid", Box::new(v));
            }
            if let Some(v) = c.resource_marker {
                push("resource_marker", Box::new(v));
            }
            if let Some(v) = c.remote_job_uuid {
                push("remote_job_uuid", Box::new(v));
            }
            if let Some(v) = c.job_marker {
                push("job_marker", Box::new(v));
            }
            if let Some(v) = c.start_sent {
                push("start_sent", Box::new(v as i64));
            }
            if let Some(v) = c.output_resource_uuid {
                push("output_resource_uuid", Box::new(v));
            }
            if let Some((s, p, r)) = c.remote {
                push("remote_status", Box::new(s));
                push("percentage", Box::new(p));
                push("remain_seconds", Box::new(r));
            }
            if let Some(e) = c.error {
                push("error", Box::new(e.map(|e| serde_json::to_string(&e).unwrap())));
            }
            if let Some(w) = c.waiting_reason {
                push("waiting_reason", Box::new(w));
            }
            if let Some(v) = c.download_dir {
                push("download_dir", Box::new(v));
            }
            if let Some(v) = c.outputs {
                push("outputs", Box::new(serde_json::to_string(&v).unwrap()));
            }
            if let Some(v) = c.export_path {
                push("export_path", Box::new(v));
            }
            let sql = format!("UPDATE jobs SET {} WHERE id = ?1", sets.join(", "));
            let params: Vec<&dyn rusqlite::ToSql> = vals.iter().map(|b| b.as_ref()).collect();
            if tx.execute(&sql, params.as_slice())? == 0 {
                return Ok(false);
            }
            if c.state.is_some() || c.message.is_some() {
                let state: String = tx.query_row("SELECT state FROM jobs WHERE id = ?1", [id], |r| r.get(0))?;
                tx.execute(
                    "INSERT INTO job_events (job_id, at, state, message) VALUES (?1, ?2, ?3, ?4)",
                    params![id, now, state, c.message.unwrap_or_default()],
                )?;
            }
            Ok(true)
        })?;
        if !updated {
            return Err(Error::NotFound { what: format!("Job {id}") });
        }
        self.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_a_job_that_is_not_there_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::new(Db::open(&dir.path().join("t.db")).unwrap());
        let e = store.update(42, Change { state: Some(JobState::Failed), ..Default::default() }).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::NotFound);
        let j = store.insert("j", JobKind::Map2d, "/d", &JobParameters::new(JobKind::Map2d), Region::Sandbox, "h", None).unwrap();
        let j = store.update(j.id, Change { state: Some(JobState::Uploading), message: Some("go".into()), ..Default::default() }).unwrap();
        assert_eq!(j.state, JobState::Uploading);
        assert_eq!(store.events(j.id).unwrap().len(), 2);
    }
}
