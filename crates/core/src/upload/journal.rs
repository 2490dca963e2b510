//! The upload journal: what is known about every file of an upload, committed before and after
//! each step, so that an upload resumes where it stopped after a crash, a kill or a reboot.

use crate::dataset::Dataset;
use crate::db::{now_unix, Db};
use crate::Result;
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

#[derive(Clone, Debug)]
pub struct UploadJournal {
    db: Db,
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
        UploadJournal { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The unfinished upload of `root` into `resource_uuid`, or a new one.
    pub fn open_upload(&self, root: &str, resource_uuid: &str) -> Result<i64> {
        self.db.tx(|tx| {
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM uploads WHERE root = ?1 AND resource_uuid = ?2 ORDER BY id DESC LIMIT 1",
                    params![root, resource_uuid],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                tx.execute("UPDATE uploads SET state = 'active', updated_at = ?2 WHERE id = ?1", params![id, now_unix()])?;
                return Ok(id);
            }
            tx.execute(
                "INSERT INTO uploads (root, resource_uuid, state, created_at, updated_at) VALUES (?1, ?2, 'active', ?3, ?3)",
                params![root, resource_uuid, now_unix()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The latest upload of `root`: (id, resource uuid, state).
    pub fn latest_for_root(&self, root: &str) -> Result<Option<(i64, String, String)>> {
        self.db.read(|c| {
            c.query_row(
                "SELECT id, resource_uuid, state FROM uploads WHERE root = ?1 ORDER BY id DESC LIMIT 1",
                [root],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
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
            for f in &dataset.files {
                match known.remove(&f.name) {
                    None => {
                        tx.execute(
                            "INSERT INTO upload_files (upload_id, name, size, mtime_ns, state) VALUES (?1, ?2, ?3, ?4, 'pending')",
                            params![upload, f.name, f.size as i64, f.mtime_ns],
                        )?;
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
        self.db.tx(|tx| {
            tx.execute(
                "UPDATE upload_files SET object_key = ?3, store_prefix = ?4, multipart_id = ?5, part_size = ?6, callback_param = ?7
                 WHERE upload_id = ?1 AND name = ?2",
                params![upload, name, key, prefix, id, part_size as i64, callback_param],
            )?;
            tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix])?;
            Ok(())
        })
    }

    pub fn clear_multipart(&self, upload: i64, name: &str) -> Result<()> {
        self.db.tx(|tx| {
            tx.execute("UPDATE upload_files SET multipart_id = NULL, part_size = NULL WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
            tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
            Ok(())
        })
    }

    pub fn record_part(&self, upload: i64, name: &str, multipart_id: &str, number: u32, etag: &str, size: u64) -> Result<()> {
        self.db.tx(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO upload_parts (upload_id, name, multipart_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![upload, name, multipart_id, number, etag, size as i64],
            )
            .map(|_| ())
        })
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
        self.db.tx(|tx| tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix]).map(|_| ()))
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
        self.db.tx(|tx| {
            tx.execute(
                "UPDATE upload_files SET state = 'uploaded', object_key = ?3, store_prefix = ?4, etag = ?5, callback_param = ?6,
                 multipart_id = NULL, part_size = NULL, error = NULL WHERE upload_id = ?1 AND name = ?2",
                params![upload, name, key, prefix, etag, callback_param],
            )?;
            tx.execute("DELETE FROM upload_parts WHERE upload_id = ?1 AND name = ?2", params![upload, name])?;
            tx.execute("INSERT OR IGNORE INTO upload_prefixes (upload_id, prefix) VALUES (?1, ?2)", params![upload, prefix])?;
            Ok(())
        })
    }

    pub fn mark_registered(&self, upload: i64, names: &[String]) -> Result<()> {
        self.db.tx(|tx| {
            let mut stmt = tx.prepare("UPDATE upload_files SET state = 'registered', error = NULL WHERE upload_id = ?1 AND name = ?2")?;
            for n in names {
                stmt.execute(params![upload, n])?;
            }
            Ok(())
        })
    }

    pub fn mark_failed(&self, upload: i64, name: &str, error: &str) -> Result<()> {
        self.db.tx(|tx| {
            tx.execute(
                "UPDATE upload_files SET state = 'failed', error = ?3, attempts = attempts + 1 WHERE upload_id = ?1 AND name = ?2",
                params![upload, name, error],
            )
            .map(|_| ())
        })
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
