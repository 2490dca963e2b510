//! The upload journal: what is known about every file of an upload, committed before and after
//! each step, so that an upload resumes where it stopped after a crash, a kill or a reboot.

use crate::dataset::Dataset;
use crate::db::{now_unix, Db};
use crate::{Error, Result};
use rusqlite::{params, OptionalExtension};

/// Where a file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Not sent yet (or to be sent again).
    Pending,
    /// Sent; the storage answered with an ETag; not registered yet.
    Uploaded,
    /// Registered to the resource with upload_callback.
    Registered,
    /// Failed after every retry; the user may retry it.
    Failed,
}

impl FileState {
    fn parse(s: &str) -> FileState {
        match s {
            "uploaded" => FileState::Uploaded,
            "registered" => FileState::Registered,
            "failed" => FileState::Failed,
            _ => FileState::Pending,
        }
    }
}

#[derive(Debug, Clone)]
pub struct JournalFile {
    pub name: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub state: FileState,
    pub object_key: Option<String>,
    pub store_prefix: Option<String>,
    pub multipart_id: Option<String>,
    pub part_size: Option<u64>,
    pub etag: Option<String>,
    pub callback_param: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub added: usize,
    /// Files that changed on disk after they were uploaded: they go again.
    pub changed: Vec<String>,
    /// Files gone from disk that were not registered yet.
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JournalTotals {
    pub files: u64,
    pub bytes: u64,
    pub uploaded_files: u64,
    pub uploaded_bytes: u64,
    pub registered: u64,
    pub failed: u64,
}

/// An upload of a folder, as the journal knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRow {
    pub id: i64,
    /// Empty while only intended (the resource not created yet).
    pub resource_uuid: String,
    pub state: String,
    pub marker: Option<String>,
}

#[derive(Clone, Debug)]
pub struct UploadJournal {
    db: Db,
    writer: std::sync::Arc<std::sync::OnceLock<std::sync::mpsc::Sender<(Write, tokio::sync::oneshot::Sender<Result<()>>)>>>,
}

/// One write to the journal.
#[derive(Debug, Clone)]
pub enum Write {
    StartMultipart { upload: i64, name: String, key: String, prefix: String, callback_param: String, id: String, part_size: u64 },
    ClearMultipart { upload: i64, name: String },
    Part { upload: i64, name: String, multipart_id: String, number: u32, etag: String, size: u64 },
    Prefix { upload: i64, prefix: String },
    Uploaded { upload: i64, name: String, key: String, prefix: String, etag: String, callback_param: String },
    Registered { upload: i64, names: Vec<String> },
    /// `resend`: forget the ETag, so that a retry sends the file again.
    Failed { upload: i64, name: String, error: String, resend: bool },
}

impl Write {
    fn apply(&self, tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
        match self {
            Write::StartMultipart { upload, name, key, prefix, callback_param, id, part_size } => {
                tx.execute(
                    "UPDATE upload_files SET object_key = ?3, store_prefix = ?4, multipart_id = ?5, part_size = ?6, callback_param = ?7
                     WHERE upload_id = ?1 AND name = ?2",
                    params![upload, name, key, prefix, id, *part_size as i64, callback_param],
                )?;
                tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix])?;
            }
            Write::ClearMultipart { upload, name } => {
                tx.execute("UPDATE upload_files SET multipart_id = NULL, part_size = NULL WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
                tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
            }
            Write::Part { upload, name, multipart_id, number, etag, size } => {
                tx.execute(
                    "INSERT OR REPLACE INTO upload_parts (upload_id, name, multipart_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![upload, name, multipart_id, number, etag, *size as i64],
                )?;
            }
            Write::Prefix { upload, prefix } => {
                tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix])?;
            }
            Write::Uploaded { upload, name, key, prefix, etag, callback_param } => {
                tx.execute(
                    "UPDATE upload_files SET state = 'uploaded', object_key = ?3, store_prefix = ?4, etag = ?5, callback_param = ?6,
                     multipart_id = NULL, part_size = NULL, error = NULL WHERE upload_id = ?1 AND name = ?2",
                    params![upload, name, key, prefix, etag, callback_param],
                )?;
                tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
                tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix])?;
            }
            Write::Registered { upload, names } => {
                let mut stmt = tx.prepare_cached("UPDATE upload_files SET state = 'registered', error = NULL WHERE upload_id = ?1 AND name = ?2")?;
                for n in names {
                    stmt.execute(params![upload, n])?;
                }
            }
            Write::Failed { upload, name, error, resend } => {
                let sql = if *resend {
                    "UPDATE upload_files SET state = 'failed', error = ?3, etag = NULL, attempts = attempts + 1 WHERE upload_id = ?1 AND name = ?2"
                } else {
                    "UPDATE upload_files SET state = 'failed', error = ?3, attempts = attempts + 1 WHERE upload_id = ?1 AND name = ?2"
                };
                tx.execute(sql, params![upload, name, error])?;
            }
        }
        Ok(())
    }
}

type Pending = (Write, tokio::sync::oneshot::Sender<Result<()>>);

/// The writer thread: it takes what is waiting, saves it in one transaction, and tells each
/// writer when it is on disk (or why not).
fn start_writer(db: Db) -> std::sync::mpsc::Sender<Pending> {
    let (tx, rx) = std::sync::mpsc::channel::<Pending>();
    std::thread::Builder::new()
        .name("terradesk-journal".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < 512 {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                let result = db.tx(|t| {
                    for (w, _) in &batch {
                        w.apply(t)?;
                    }
                    Ok(())
                });
                for (_, ack) in batch {
                    let _ = ack.send(result.clone());
                }
            }
        })
        .expect("a thread for the journal");
    tx
}

fn row_file(r: &rusqlite::Row) -> rusqlite::Result<JournalFile> {
    Ok(JournalFile {
        name: r.get(0)?,
        size: r.get::<_, i64>(1)? as u64,
        mtime_ns: r.get(2)?,
        state: FileState::parse(&r.get::<_, String>(3)?),
        object_key: r.get(4)?,
        store_prefix: r.get(5)?,
        multipart_id: r.get(6)?,
        part_size: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
        etag: r.get(8)?,
        callback_param: r.get(9)?,
        error: r.get(10)?,
    })
}

const FILE_COLS: &str = "name, size, mtime_ns, state, object_key, store_prefix, multipart_id, part_size, etag, callback_param, error";

impl UploadJournal {
    pub fn new(db: Db) -> Self {
        UploadJournal { db, writer: Default::default() }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The unfinished upload of `root` into `resource_uuid`, or a new one.
    pub fn open_upload(&self, root: &str, resource_uuid: &str, host: &str) -> Result<i64> {
        self.db.tx(|tx| {
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM uploads WHERE root = ?1 AND resource_uuid = ?2 AND host = ?3 ORDER BY id DESC LIMIT 1",
                    params![root, resource_uuid, host],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                tx.execute("UPDATE uploads SET state = 'active', updated_at = ?2 WHERE id = ?1", params![id, now_unix()])?;
                return Ok(id);
            }
            tx.execute(
                "INSERT INTO uploads (root, resource_uuid, host, state, created_at, updated_at) VALUES (?1, ?2, ?3, 'active', ?4, ?4)",
                params![root, resource_uuid, host, now_unix()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The latest upload of `root` to `host`.
    pub fn latest_for_root(&self, root: &str, host: &str) -> Result<Option<UploadRow>> {
        self.db.read(|c| {
            c.query_row(
                "SELECT id, resource_uuid, state, marker FROM uploads WHERE root = ?1 AND host = ?2 ORDER BY id DESC LIMIT 1",
                params![root, host],
                |r| Ok(UploadRow { id: r.get(0)?, resource_uuid: r.get(1)?, state: r.get(2)?, marker: r.get(3)? }),
            )
            .optional()
        })
    }

    /// Before a resource is created for an upload outside a job: the intent, with the marker its
    /// name carries, so that a rerun looks it up rather than creating a second one.
    pub fn intend_upload(&self, root: &str, host: &str, marker: &str) -> Result<i64> {
        self.db.tx(|tx| {
            tx.execute(
                "INSERT INTO uploads (root, resource_uuid, host, marker, state, created_at, updated_at) VALUES (?1, '', ?2, ?3, 'intent', ?4, ?4)",
                params![root, host, marker, now_unix()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The resource an intended upload goes to.
    pub fn set_upload_resource(&self, upload: i64, resource_uuid: &str) -> Result<()> {
        self.db.tx(|tx| tx.execute("UPDATE uploads SET resource_uuid = ?2, state = 'active', updated_at = ?3 WHERE id = ?1", params![upload, resource_uuid, now_unix()]).map(|_| ()))
    }

    pub fn set_upload_state(&self, upload: i64, state: &str) -> Result<()> {
        self.db.tx(|tx| tx.execute("UPDATE uploads SET state = ?2, updated_at = ?3 WHERE id = ?1", params![upload, state, now_unix()]).map(|_| ()))
    }

    /// Bring the journal in line with the folder as it is now.
    pub fn sync(&self, upload: i64, dataset: &Dataset) -> Result<SyncReport> {
        self.db.tx(|tx| {
            let mut report = SyncReport::default();
            let mut known = std::collections::HashMap::new();
            {
                let mut stmt = tx.prepare("SELECT name, size, mtime_ns, state FROM upload_files WHERE upload_id = ?1")?;
                let rows = stmt.query_map([upload], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?)))?;
                for row in rows {
                    let (n, s, m, st) = row?;
                    known.insert(n, (s as u64, m, FileState::parse(&st)));
                }
            }
            let mut insert = tx.prepare_cached("INSERT INTO upload_files (upload_id, name, size, mtime_ns, state) VALUES (?1, ?2, ?3, ?4, 'pending')")?;
            for f in &dataset.files {
                match known.remove(&f.name) {
                    None => {
                        insert.execute(params![upload, f.name, f.size as i64, f.mtime_ns])?;
                        report.added += 1;
                    }
                    Some((size, mtime, state)) if size != f.size || mtime != f.mtime_ns => {
                        // Changed on disk: whatever was sent is stale. Keep the multipart id so
                        // the engine aborts it.
                        tx.execute(
                            "UPDATE upload_files SET size = ?3, mtime_ns = ?4, state = 'pending', etag = NULL, error = NULL, attempts = 0
                             WHERE upload_id = ?1 AND name = ?2",
                            params![upload, f.name, f.size as i64, f.mtime_ns],
                        )?;
                        tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, f.name])?;
                        if state != FileState::Pending {
                            report.changed.push(f.name.clone());
                        }
                    }
                    Some(_) => {}
                }
            }
            for (name, (_, _, state)) in known {
                if state != FileState::Registered {
                    tx.execute("DELETE FROM upload_files WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
                    tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
                    report.removed.push(name);
                }
            }
            report.changed.sort();
            report.removed.sort();
            Ok(report)
        })
    }

    pub fn files(&self, upload: i64) -> Result<Vec<JournalFile>> {
        self.db.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {FILE_COLS} FROM upload_files WHERE upload_id = ?1 ORDER BY name"))?;
            let rows = stmt.query_map([upload], row_file)?;
            rows.collect()
        })
    }

    pub fn file(&self, upload: i64, name: &str) -> Result<Option<JournalFile>> {
        self.db.read(|c| {
            c.query_row(&format!("SELECT {FILE_COLS} FROM upload_files WHERE upload_id = ?1 AND name = ?2"), params![upload, name], row_file)
                .optional()
        })
    }

    /// A multipart upload began: remember its id before any part is sent.
    /// The callbackParam is that of the token the upload began under: the key is under its storePath.
    #[allow(clippy::too_many_arguments)]
    pub fn start_multipart(&self, upload: i64, name: &str, key: &str, prefix: &str, callback_param: &str, id: &str, part_size: u64) -> Result<()> {
        self.apply(Write::StartMultipart { upload, name: name.into(), key: key.into(), prefix: prefix.into(), callback_param: callback_param.into(), id: id.into(), part_size })
    }

    pub fn clear_multipart(&self, upload: i64, name: &str) -> Result<()> {
        self.apply(Write::ClearMultipart { upload, name: name.into() })
    }

    pub fn record_part(&self, upload: i64, name: &str, multipart_id: &str, number: u32, etag: &str, size: u64) -> Result<()> {
        self.apply(Write::Part { upload, name: name.into(), multipart_id: multipart_id.into(), number, etag: etag.into(), size })
    }

    pub fn parts(&self, upload: i64, name: &str, multipart_id: &str) -> Result<Vec<(u32, String, u64)>> {
        self.db.read(|c| {
            let mut stmt = c.prepare(
                "SELECT part_number, etag, size FROM upload_parts WHERE upload_id = ?1 AND name = ?2 AND multipart_id = ?3 ORDER BY part_number",
            )?;
            let rows = stmt.query_map(params![upload, name, multipart_id], |r| Ok((r.get::<_, u32>(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?;
            rows.collect()
        })
    }

    pub fn note_prefix(&self, upload: i64, prefix: &str) -> Result<()> {
        self.apply(Write::Prefix { upload, prefix: prefix.into() })
    }

    pub fn prefixes(&self, upload: i64) -> Result<Vec<String>> {
        self.db.read(|c| {
            let mut stmt = c.prepare("SELECT prefix FROM upload_prefixes WHERE upload_id = ?1")?;
            let rows = stmt.query_map([upload], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// The storage has the file: its ETag, and the callbackParam of the token it went under.
    pub fn mark_uploaded(&self, upload: i64, name: &str, key: &str, prefix: &str, etag: &str, callback_param: &str) -> Result<()> {
        self.apply(Write::Uploaded { upload, name: name.into(), key: key.into(), prefix: prefix.into(), etag: etag.into(), callback_param: callback_param.into() })
    }

    pub fn mark_registered(&self, upload: i64, names: &[String]) -> Result<()> {
        self.apply(Write::Registered { upload, names: names.to_vec() })
    }

    pub fn mark_failed(&self, upload: i64, name: &str, error: &str) -> Result<()> {
        self.apply(Write::Failed { upload, name: name.into(), error: error.into(), resend: false })
    }

    /// The server would not register the file: it failed, and goes up again (not just registered
    /// again) when the user retries, since what is in storage may be what it refused.
    pub fn mark_refused(&self, upload: i64, name: &str, error: &str) -> Result<()> {
        self.apply(Write::Failed { upload, name: name.into(), error: error.into(), resend: true })
    }

    fn apply(&self, w: Write) -> Result<()> {
        self.db.tx(|tx| w.apply(tx))
    }

    /// Save `w` through the writer thread, which commits what arrives together in one
    /// transaction (one fsync for many files): returns once it is on disk. The async runtime's
    /// threads never wait for SQLite.
    pub async fn write(&self, w: Write) -> Result<()> {
        let (ack, done) = tokio::sync::oneshot::channel();
        let sender = self.writer.get_or_init(|| start_writer(self.db.clone())).clone();
        sender.send((w, ack)).map_err(|_| Error::internal("the journal's writer stopped"))?;
        done.await.map_err(|_| Error::internal("the journal's writer stopped"))?
    }

    /// Put failed files back in line (the user's "Retry failed files").
    pub fn retry_failed(&self, upload: i64) -> Result<usize> {
        self.db.tx(|tx| {
            tx.execute(
                "UPDATE upload_files SET state = CASE WHEN etag IS NOT NULL THEN 'uploaded' ELSE 'pending' END, error = NULL
                 WHERE upload_id = ?1 AND state = 'failed'",
                [upload],
            )
        })
    }

    pub fn totals(&self, upload: i64) -> Result<JournalTotals> {
        self.db.read(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(size), 0),
                    SUM(CASE WHEN state IN ('uploaded', 'registered') THEN 1 ELSE 0 END),
                    COALESCE(SUM(CASE WHEN state IN ('uploaded', 'registered') THEN size ELSE 0 END), 0),
                    SUM(CASE WHEN state = 'registered' THEN 1 ELSE 0 END),
                    SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)
                 FROM upload_files WHERE upload_id = ?1",
                [upload],
                |r| {
                    Ok(JournalTotals {
                        files: r.get::<_, i64>(0)? as u64,
                        bytes: r.get::<_, i64>(1)? as u64,
                        uploaded_files: r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
                        uploaded_bytes: r.get::<_, i64>(3)? as u64,
                        registered: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                        failed: r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u64,
                    })
                },
            )
        })
    }
}
