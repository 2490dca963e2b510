//! TerraDesk's durable state: one SQLite file (WAL, synchronous=FULL) in the data folder, holding
//! the upload journal and the job history. A crash at any line loses nothing that was committed.

use crate::{Error, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

const MIGRATIONS: &[&str] = &[
    // 1: the upload journal.
    "CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        root TEXT NOT NULL,
        resource_uuid TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'active',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE upload_files (
        upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        state TEXT NOT NULL,
        object_key TEXT,
        store_prefix TEXT,
        multipart_id TEXT,
        part_size INTEGER,
        etag TEXT,
        callback_param TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (upload_id, name)
    );
    CREATE TABLE upload_parts (
        upload_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        multipart_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (upload_id, name, multipart_id, part_number)
    );
    CREATE TABLE upload_prefixes (
        upload_id INTEGER NOT NULL,
        prefix TEXT NOT NULL,
        PRIMARY KEY (upload_id, prefix)
    );",
    // 2: the job history.
    "CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        dataset TEXT NOT NULL,
        parameters TEXT NOT NULL,
        region TEXT NOT NULL,
        host TEXT NOT NULL,
        state TEXT NOT NULL,
        resource_uuid TEXT,
        resource_marker TEXT,
        remote_job_uuid TEXT,
        job_marker TEXT,
        start_sent INTEGER NOT NULL DEFAULT 0,
        output_resource_uuid TEXT,
        remote_status INTEGER,
        percentage REAL,
        remain_seconds REAL,
        error TEXT,
        waiting_reason TEXT,
        download_dir TEXT,
        outputs TEXT NOT NULL DEFAULT '[]',
        export_path TEXT,
        retry_of INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE job_events (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        state TEXT NOT NULL,
        message TEXT NOT NULL
    );",
    // 3: revisions of jobs; timeline entries by code.
    "ALTER TABLE jobs ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE job_events ADD COLUMN code TEXT;
    ALTER TABLE job_events ADD COLUMN params TEXT;",
    // 4: one process drives a job at a time.
    "CREATE TABLE job_leases (
        job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        owner TEXT NOT NULL,
        pid INTEGER NOT NULL,
        until INTEGER NOT NULL
    );",
    // 5: uploads by service (the Sandbox's and the US's never mix); intents of uploads outside jobs.
    "ALTER TABLE uploads ADD COLUMN host TEXT NOT NULL DEFAULT '';
    ALTER TABLE uploads ADD COLUMN marker TEXT;",
    // 6: jobs that leave out the folder's other files; the result's outputs as listed at download.
    "ALTER TABLE jobs ADD COLUMN leave_out_others INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN result_outputs TEXT;",
    // 7: files the user left out of a job (a JSON list of names in its folder).
    "ALTER TABLE jobs ADD COLUMN left_out TEXT NOT NULL DEFAULT '[]';",
];

/// The schema version this TerraDesk writes (the number of migrations).
pub fn schema_version_known() -> i64 {
    MIGRATIONS.len() as i64
}

/// A shared connection; every call takes the lock for one short transaction.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

pub fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    let io = match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => std::io::Error::new(std::io::ErrorKind::StorageFull, e.to_string()),
        _ => std::io::Error::other(e.to_string()),
    };
    Error::storage("update its database", path, io)
}

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::storage("create the folder", dir, e))?;
        }
        let conn = Connection::open(path).map_err(|e| sql_error(path, e))?;
        // A database from a newer TerraDesk is refused before anything is written to it (even
        // the journal mode): the newer version, installed again, finds it as it left it.
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| sql_error(path, e))?;
        if found > MIGRATIONS.len() as i64 {
            return Err(Error::NewerDatabase { path: path.display().to_string(), version: found, known: MIGRATIONS.len() as i64 });
        }
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;")
            .map_err(|e| sql_error(path, e))?;
        let db = Db { conn: Arc::new(Mutex::new(conn)), path: path.to_path_buf() };
        db.migrate()?;
        Ok(db)
    }

    /// The database in the data folder.
    pub fn open_default() -> Result<Db> {
        Db::open(&crate::paths::data_dir().join("terradesk.db"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in one transaction.
    pub fn tx<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.lock();
        // IMMEDIATE: take the write lock at the start, so that a transaction never has to upgrade
        // a read lock (which SQLite refuses at once, busy timeout or not, when another process
        // wrote meanwhile).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| sql_error(&self.path, e))?;
        let out = f(&tx).map_err(|e| sql_error(&self.path, e))?;
        tx.commit().map_err(|e| sql_error(&self.path, e))?;
        Ok(out)
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.lock();
        f(&conn).map_err(|e| sql_error(&self.path, e))
    }

    fn migrate(&self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let found = self.schema_version()?;
        if found > known {
            return Err(Error::NewerDatabase { path: self.path.display().to_string(), version: found, known });
        }
        self.tx(|tx| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.execute_batch(m)?;
                tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            }
            Ok(())
        })
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
    }
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
