//! Progress as the user sees it: bytes and files done, speed and an honest ETA.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    #[specta(type = f64)]
    pub bytes_done: u64,
    #[specta(type = f64)]
    pub bytes_total: u64,
    pub files_done: u32,
    pub files_total: u32,
    pub files_registered: u32,
    pub files_failed: u32,
    /// Bytes per second, smoothed.
    pub speed: f64,
    /// Seconds left at the current speed; `None` until there is a speed to go by.
    pub eta_seconds: Option<f64>,
    pub paused: bool,
    /// The last thing worth telling (a retry, a token refresh…).
    pub note: Option<String>,
}

#[derive(Debug)]
pub struct Tracker {
    pub bytes_done: AtomicU64,
    pub files_done: AtomicU64,
    pub files_registered: AtomicU64,
    pub files_failed: AtomicU64,
    pub bytes_total: u64,
    pub files_total: u64,
    speed: Mutex<(Instant, u64, f64)>,
    note: Mutex<Option<String>>,
}

impl Tracker {
    pub fn new(bytes_total: u64, files_total: u64, bytes_done: u64, files_done: u64, registered: u64) -> Self {
        Tracker {
            bytes_done: AtomicU64::new(bytes_done),
            files_done: AtomicU64::new(files_done),
            files_registered: AtomicU64::new(registered),
            files_failed: AtomicU64::new(0),
            bytes_total,
            files_total,
            speed: Mutex::new((Instant::now(), bytes_done, 0.0)),
            note: Mutex::new(None),
        }
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::Relaxed);
    }

    pub fn note(&self, text: impl Into<String>) {
        *self.note.lock().unwrap() = Some(text.into());
    }

    /// A snapshot; updates the smoothed speed (call a few times a second).
    pub fn snapshot(&self, paused: bool) -> UploadProgress {
        let done = self.bytes_done.load(Ordering::Relaxed);
        let speed = {
            let mut s = self.speed.lock().unwrap();
            let dt = s.0.elapsed().as_secs_f64();
            if dt >= 0.2 {
                let inst = (done.saturating_sub(s.1)) as f64 / dt;
                // Exponential smoothing over about three seconds.
                let alpha = (dt / 3.0).min(1.0);
                s.2 = if s.2 == 0.0 { inst } else { s.2 + alpha * (inst - s.2) };
                s.0 = Instant::now();
                s.1 = done;
            }
            if paused { 0.0 } else { s.2 }
        };
        let left = self.bytes_total.saturating_sub(done);
        UploadProgress {
            bytes_done: done,
            bytes_total: self.bytes_total,
            files_done: self.files_done.load(Ordering::Relaxed) as u32,
            files_total: self.files_total as u32,
            files_registered: self.files_registered.load(Ordering::Relaxed) as u32,
            files_failed: self.files_failed.load(Ordering::Relaxed) as u32,
            speed,
            eta_seconds: if left == 0 { Some(0.0) } else if speed > 1.0 { Some(left as f64 / speed) } else { None },
            paused,
            note: self.note.lock().unwrap().clone(),
        }
    }
}
