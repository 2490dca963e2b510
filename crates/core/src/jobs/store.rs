//! The job history: one row per job, every transition saved before the next side effect, each
//! with a timeline entry that says what happened by code (for the app's languages) and in English.

use super::note::Note;
use super::params::{JobKind, JobParameters};
use crate::db::{now_unix, Db};
use crate::{Error, Region, Result, UserError};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// A job of the history. An integer everywhere (IPC, `--json`, the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct JobId(#[specta(type = u32)] pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for JobId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.trim().trim_start_matches('#').parse::<i64>().map(JobId).map_err(|_| Error::usage(format!("\"{s}\" is not a job number")))
    }
}

/// Where a job stands, locally and on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
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
    /// The stored row cannot be read (a newer version wrote it, or it is damaged): shown, never run.
    Unreadable,
}

impl JobState {
    pub const ALL: [JobState; 12] = [
        JobState::Draft,
        JobState::Uploading,
        JobState::Queued,
        JobState::Submitted,
        JobState::Processing,
        JobState::Finished,
        JobState::Failed,
        JobState::Stopped,
        JobState::Downloading,
        JobState::Downloaded,
        JobState::Exported,
        JobState::Unreadable,
    ];

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
            JobState::Unreadable => "unreadable",
        }
    }

    /// A stored state; `None` for one this version does not know.
    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s && *st != JobState::Unreadable)
    }

    /// The server still has work to do (or we have yet to hand it over).
    pub fn is_unfinished(self) -> bool {
        matches!(self, JobState::Draft | JobState::Uploading | JobState::Queued | JobState::Submitted | JobState::Processing)
    }

    /// The server made a result.
    pub fn has_result(self) -> bool {
        matches!(self, JobState::Finished | JobState::Downloading | JobState::Downloaded | JobState::Exported)
    }

    /// The job runs on the server (it can be stopped there).
    pub fn on_server(self) -> bool {
        matches!(self, JobState::Submitted | JobState::Processing)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: JobId,
    /// Goes up by one with every saved change.
    #[specta(type = u32)]
    pub revision: i64,
    pub name: String,
    pub kind: JobKind,
    pub dataset: String,
    pub parameters: JobParameters,
    pub region: Region,
    pub host: String,
    pub state: JobState,
    /// Why the row cannot be read, when `state` is `unreadable`.
    pub unreadable: Option<String>,
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
    pub retry_of: Option<JobId>,
    /// The job uploads only photos and LiDAR files, not the folder's other files.
    pub leave_out_others: bool,
    /// The result's top-level outputs, as listed when it was downloaded (to tell what was not
    /// downloaded from what the result lacks).
    pub result_outputs: Option<Vec<String>>,
    /// Files the user left out of the job (names in the folder).
    pub left_out: Vec<String>,
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

/// One line of a job's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    #[specta(type = f64)]
    pub at: i64,
    pub state: JobState,
    /// A note code (`note.…`) or an error code; `None` in entries an older version wrote.
    pub code: Option<String>,
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// In English.
    pub message: String,
}

const COLS: &str = "id, name, kind, dataset, parameters, region, host, state, resource_uuid, resource_marker, remote_job_uuid, job_marker,
    start_sent, output_resource_uuid, remote_status, percentage, remain_seconds, error, waiting_reason, download_dir, outputs,
    export_path, retry_of, created_at, updated_at, revision, leave_out_others, result_outputs, left_out";

/// A row as it is; when a field cannot be read, the job is `unreadable` with the reason.
fn row(r: &Row) -> rusqlite::Result<JobRecord> {
    let mut problems: Vec<String> = Vec::new();
    let kind_text: String = r.get(2)?;
    let kind = kind_text.parse::<JobKind>().unwrap_or_else(|_| {
        problems.push(format!("unknown kind \"{kind_text}\""));
        JobKind::Map2d
    });
    let params_text: String = r.get(4)?;
    let parameters = serde_json::from_str(&params_text).unwrap_or_else(|e| {
        problems.push(format!("parameters unreadable ({e})"));
        JobParameters::new(kind)
    });
    let region_text: String = r.get(5)?;
    let region = region_text.parse::<Region>().unwrap_or_else(|_| {
        problems.push(format!("unknown region \"{region_text}\""));
        Region::Sandbox
    });
    let state_text: String = r.get(7)?;
    let mut state = JobState::parse(&state_text).unwrap_or_else(|| {
        problems.push(format!("unknown state \"{state_text}\""));
        JobState::Unreadable
    });
    let error: Option<String> = r.get(17)?;
    let error = error.and_then(|e| serde_json::from_str::<UserError>(&e).ok());
    let outputs: String = r.get(20)?;
    let result_outputs: Option<String> = r.get(27)?;
    let left_out: String = r.get(28)?;
    if !problems.is_empty() {
        state = JobState::Unreadable;
    }
    Ok(JobRecord {
        id: JobId(r.get(0)?),
        revision: r.get(25)?,
        name: r.get(1)?,
        kind,
        dataset: r.get(3)?,
        parameters,
        region,
        host: r.get(6)?,
        state,
        unreadable: (!problems.is_empty()).then(|| problems.join("; ")),
        resource_uuid: r.get(8)?,
        resource_marker: r.get(9)?,
        remote_job_uuid: r.get(10)?,
        job_marker: r.get(11)?,
        start_sent: r.get::<_, i64>(12)? != 0,
        output_resource_uuid: r.get(13)?,
        remote_status: r.get(14)?,
        percentage: r.get(15)?,
        remain_seconds: r.get(16)?,
        error,
        waiting_reason: r.get(18)?,
        download_dir: r.get(19)?,
        outputs: serde_json::from_str(&outputs).unwrap_or_default(),
        export_path: r.get(21)?,
        retry_of: r.get::<_, Option<i64>>(22)?.map(JobId),
        created_at: r.get(23)?,
        updated_at: r.get(24)?,
        leave_out_others: r.get::<_, i64>(26)? != 0,
        result_outputs: result_outputs.and_then(|o| serde_json::from_str(&o).ok()),
        left_out: serde_json::from_str(&left_out).unwrap_or_default(),
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
    /// Compare and set: the change applies only while the job is still in this state (else
    /// `JobChanged`, and nothing is saved).
    pub from: Option<JobState>,
    /// What to say on the timeline.
    pub note: Option<Note>,
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
    pub result_outputs: Option<Vec<String>>,
    pub export_path: Option<String>,
}

impl Change {
    pub fn state(state: JobState, note: Note) -> Self {
        Change { state: Some(state), note: Some(note), ..Default::default() }
    }

    pub fn note(note: Note) -> Self {
        Change { note: Some(note), ..Default::default() }
    }
}

impl JobStore {
    pub fn new(db: Db) -> Self {
        JobStore { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        &self,
        name: &str,
        kind: JobKind,
        dataset: &str,
        params: &JobParameters,
        region: Region,
        host: &str,
        retry_of: Option<JobId>,
        opts: &crate::jobs::StartOptions,
    ) -> Result<JobRecord> {
        let note = match retry_of {
            Some(of) => Note::RetryOf { of: of.0 },
            None => Note::Created,
        };
        let id = self.db.tx(|tx| {
            tx.execute(
                "INSERT INTO jobs (name, kind, dataset, parameters, region, host, state, retry_of, created_at, updated_at, revision, leave_out_others, left_out)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'draft', ?7, ?8, ?8, 1, ?9, ?10)",
                params![
                    name,
                    kind.id(),
                    dataset,
                    serde_json::to_string(params).unwrap(),
                    region.id(),
                    host,
                    retry_of.map(|r| r.0),
                    now_unix(),
                    opts.leave_out_others as i64,
                    serde_json::to_string(&opts.left_out).unwrap()
                ],
            )?;
            let id = tx.last_insert_rowid();
            insert_event(tx, id, now_unix(), "draft", &note)?;
            Ok(id)
        })?;
        self.get(JobId(id))
    }

    pub fn get(&self, id: JobId) -> Result<JobRecord> {
        self.db
            .read(|c| c.query_row(&format!("SELECT {COLS} FROM jobs WHERE id = ?1"), [id.0], row).optional())?
            .ok_or(Error::JobNotFound { id: id.0 })
    }

    pub fn list(&self) -> Result<Vec<JobRecord>> {
        self.db.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {COLS} FROM jobs ORDER BY id DESC"))?;
            let rows = stmt.query_map([], row)?;
            rows.collect()
        })
    }

    pub fn events(&self, id: JobId) -> Result<Vec<JobEvent>> {
        self.db.read(|c| {
            let mut stmt = c.prepare("SELECT at, state, message, code, params FROM job_events WHERE job_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([id.0], |r| {
                let params: Option<String> = r.get(4)?;
                Ok(JobEvent {
                    at: r.get(0)?,
                    state: JobState::parse(&r.get::<_, String>(1)?).unwrap_or(JobState::Unreadable),
                    message: r.get(2)?,
                    code: r.get(3)?,
                    params: params.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    pub fn delete(&self, id: JobId) -> Result<()> {
        self.db.tx(|tx| tx.execute("DELETE FROM jobs WHERE id = ?1", [id.0]).map(|_| ()))
    }

    /// Apply `c` and log it to the timeline when it changes the state or says something.
    pub fn update(&self, id: JobId, c: Change) -> Result<JobRecord> {
        let updated = self.db.tx(|tx| {
            let now = now_unix();
            let mut sets: Vec<String> = vec!["updated_at = ?2".into(), "revision = revision + 1".into()];
            let mut vals: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(id.0), Box::new(now)];
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
            if let Some(v) = c.result_outputs {
                push("result_outputs", Box::new(serde_json::to_string(&v).unwrap()));
            }
            if let Some(v) = c.export_path {
                push("export_path", Box::new(v));
            }
            let mut sql = format!("UPDATE jobs SET {} WHERE id = ?1", sets.join(", "));
            if let Some(from) = c.from {
                vals.push(Box::new(from.as_str()));
                sql.push_str(&format!(" AND state = ?{}", vals.len()));
            }
            let params: Vec<&dyn rusqlite::ToSql> = vals.iter().map(|b| b.as_ref()).collect();
            if tx.execute(&sql, params.as_slice())? == 0 {
                let now: Option<String> = tx.query_row("SELECT state FROM jobs WHERE id = ?1", [id.0], |r| r.get(0)).optional()?;
                return Ok(now.map(Outcome::Changed).unwrap_or(Outcome::Missing));
            }
            if c.state.is_some() || c.note.is_some() {
                let state: String = tx.query_row("SELECT state FROM jobs WHERE id = ?1", [id.0], |r| r.get(0))?;
                insert_event(tx, id.0, now, &state, &c.note.unwrap_or(Note::StateChanged))?;
            }
            Ok(Outcome::Done)
        })?;
        match updated {
            Outcome::Done => self.get(id),
            Outcome::Missing => Err(Error::JobNotFound { id: id.0 }),
            Outcome::Changed(state) => Err(Error::JobChanged { id: id.0, state }),
        }
    }

    /// Take the job for `owner` (this process) for `ttl_secs`: granted when no other live process
    /// holds it. A holder whose lease ran out, or (on this computer) whose process is gone, has lost it.
    pub fn lease(&self, id: JobId, owner: &str, ttl_secs: i64) -> Result<()> {
        let pid = std::process::id() as i64;
        let granted = self.db.tx(|tx| {
            let held: Option<(String, i64, i64)> =
                tx.query_row("SELECT owner, pid, until FROM job_leases WHERE job_id = ?1", [id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
            let free = match &held {
                None => true,
                Some((o, _, _)) if o == owner => true,
                Some((_, _, until)) if *until < now_unix() => true,
                Some((_, p, _)) => !process_alive(*p),
            };
            if free {
                tx.execute(
                    "INSERT OR REPLACE INTO job_leases (job_id, owner, pid, until) VALUES (?1, ?2, ?3, ?4)",
                    params![id.0, owner, pid, now_unix() + ttl_secs],
                )?;
            }
            Ok(free)
        })?;
        if granted {
            Ok(())
        } else {
            Err(Error::JobBusy { id: id.0 })
        }
    }

    /// Give the job back (when `owner` holds it).
    pub fn release(&self, id: JobId, owner: &str) -> Result<()> {
        self.db.tx(|tx| tx.execute("DELETE FROM job_leases WHERE job_id = ?1 AND owner = ?2", params![id.0, owner]).map(|_| ()))
    }
}

enum Outcome {
    Done,
    Missing,
    Changed(String),
}

/// Whether process `pid` runs on this computer (where that can be told; else it is taken as alive
/// and its lease runs out by itself).
fn process_alive(pid: i64) -> bool {
    if pid == std::process::id() as i64 {
        return true;
    }
    if cfg!(target_os = "linux") {
        return std::path::Path::new(&format!("/proc/{pid}")).exists();
    }
    true
}

fn insert_event(tx: &rusqlite::Transaction, job: i64, at: i64, state: &str, note: &Note) -> rusqlite::Result<()> {
    let params = serde_json::to_string(&note.params()).unwrap_or_else(|_| "{}".into());
    tx.execute(
        "INSERT INTO job_events (job_id, at, state, message, code, params) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![job, at, state, note.to_string(), note.code(), params],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, JobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::new(Db::open(&dir.path().join("t.db")).unwrap());
        (dir, store)
    }

    #[test]
    fn a_change_to_a_job_that_is_not_there_is_not_found() {
        let (_d, store) = store();
        let e = store.update(JobId(42), Change { state: Some(JobState::Failed), ..Default::default() }).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::JobNotFound);
        let j = store.insert("j", JobKind::Map2d, "/d", &JobParameters::new(JobKind::Map2d), Region::Sandbox, "h", None, &Default::default()).unwrap();
        assert_eq!(j.revision, 1);
        let j = store.update(j.id, Change::state(JobState::Uploading, Note::Uploading)).unwrap();
        assert_eq!(j.state, JobState::Uploading);
        assert_eq!(j.revision, 2);
        let ev = store.events(j.id).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].code.as_deref(), Some("note.uploading"));
        assert_eq!(ev[0].code.as_deref(), Some("note.created"));
    }

    #[test]
    fn a_row_this_version_cannot_read_is_unreadable_and_says_why() {
        let (_d, store) = store();
        let j = store.insert("j", JobKind::Map2d, "/d", &JobParameters::new(JobKind::Map2d), Region::Sandbox, "h", None, &Default::default()).unwrap();
        store.db().tx(|tx| tx.execute("UPDATE jobs SET state = 'teleporting' WHERE id = ?1", [j.id.0])).unwrap();
        let j = store.get(j.id).unwrap();
        assert_eq!(j.state, JobState::Unreadable);
        assert!(j.unreadable.as_deref().unwrap().contains("teleporting"));
        assert!(!j.state.is_unfinished(), "an unreadable job is never resumed");
        store.db().tx(|tx| tx.execute("UPDATE jobs SET state = 'uploading', kind = 'hologram' WHERE id = ?1", [j.id.0])).unwrap();
        let j = store.get(j.id).unwrap();
        assert_eq!(j.state, JobState::Unreadable);
        assert!(j.unreadable.as_deref().unwrap().contains("hologram"));
    }

    #[test]
    fn a_state_change_is_a_compare_and_set() {
        let (_d, store) = store();
        let j = store.insert("j", JobKind::Map2d, "/d", &JobParameters::new(JobKind::Map2d), Region::Sandbox, "h", None, &Default::default()).unwrap();
        store.update(j.id, Change { state: Some(JobState::Stopped), from: Some(JobState::Draft), ..Default::default() }).unwrap();
        // A process that still thinks the job is a draft changes nothing.
        let e = store.update(j.id, Change { state: Some(JobState::Uploading), from: Some(JobState::Draft), ..Default::default() }).unwrap_err();
        assert_eq!(e, Error::JobChanged { id: j.id.0, state: "stopped".into() });
        assert_eq!(store.get(j.id).unwrap().state, JobState::Stopped);
    }

    #[test]
    fn one_process_holds_a_job_until_it_lets_go_or_dies() {
        let (_d, store) = store();
        let j = store.insert("j", JobKind::Map2d, "/d", &JobParameters::new(JobKind::Map2d), Region::Sandbox, "h", None, &Default::default()).unwrap();
        store.lease(j.id, "app", 30).unwrap();
        store.lease(j.id, "app", 30).unwrap();
        // Another owner of this same (live) process: refused.
        assert_eq!(store.lease(j.id, "cli", 30).unwrap_err().code(), crate::ErrorCode::JobBusy);
        store.release(j.id, "app").unwrap();
        store.lease(j.id, "cli", 30).unwrap();
        // A holder whose process is gone (a pid no process has) loses it at once.
        store.db().tx(|tx| tx.execute("UPDATE job_leases SET pid = 999999999, owner = 'dead'", [])).unwrap();
        store.lease(j.id, "app", 30).unwrap();
        // And one whose time ran out.
        store.db().tx(|tx| tx.execute("UPDATE job_leases SET owner = 'old', until = 0", [])).unwrap();
        store.lease(j.id, "cli", 30).unwrap();
    }

    #[test]
    fn job_ids_are_plain_integers_in_json() {
        assert_eq!(serde_json::to_value(JobId(7)).unwrap(), serde_json::json!(7));
        assert_eq!(serde_json::from_value::<JobId>(serde_json::json!(7)).unwrap(), JobId(7));
        assert_eq!("#12".parse::<JobId>().unwrap(), JobId(12));
    }
}
