//! Progress as the user sees it, the same for uploads, downloads and exports: bytes and files
//! done, and a speed and ETA measured over a moving window of recent transfer time only (time
//! spent paused is not in it, so a resumed transfer does not report a crawl).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which long operation a progress is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upload,
    Download,
    Export,
}

/// Something worth telling while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "code", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum ProgressNote {
    /// The storage token expired and a new one is in use.
    TokenRefreshed,
    /// A request failed and is tried again.
    Retrying { name: String, reason: String },
    /// Registration failed; asking the server what it has before trying again.
    CheckingRegistration { reason: String },
    /// A file changed while it was sent and goes again.
    ChangedWhileSent { name: String },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: Option<Phase>,
    #[specta(type = f64)]
    pub bytes_done: u64,
    #[specta(type = f64)]
    pub bytes_total: u64,
    pub files_done: u32,
    pub files_total: u32,
    /// Uploads: registered to the resource.
    pub files_registered: u32,
    pub files_failed: u32,
    /// Bytes per second over the recent transfer time.
    pub speed: f64,
    /// Seconds left at that speed; `None` until there is a speed to go by (and while paused).
    pub eta_seconds: Option<f64>,
    pub paused: bool,
    pub note: Option<ProgressNote>,
}

/// Rate over a moving window of the transfer's recent running time.
#[derive(Debug)]
pub struct Meter {
    window: Duration,
    samples: VecDeque<(Instant, u64)>,
}

impl Default for Meter {
    fn default() -> Self {
        Meter::new(Duration::from_secs(10))
    }
}

impl Meter {
    pub fn new(window: Duration) -> Self {
        Meter { window, samples: VecDeque::new() }
    }

    /// Note the bytes done at `now`. While paused (or waiting) nothing is measured, and the time
    /// before is forgotten, so the pause does not count as slow transfer.
    pub fn sample(&mut self, now: Instant, done: u64, paused: bool) {
        if paused {
            self.samples.clear();
            return;
        }
        self.samples.push_back((now, done));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > self.window) {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window; 0 until it spans a fraction of a second.
    pub fn rate(&self) -> f64 {
        let (Some((t0, b0)), Some((t1, b1))) = (self.samples.front(), self.samples.back()) else { return 0.0 };
        let dt = t1.duration_since(*t0).as_secs_f64();
        if dt < 0.4 {
            return 0.0;
        }
        b1.saturating_sub(*b0) as f64 / dt
    }
}

/// The bytes one request's body has handed to its connection, counted in its tracker's
/// [`Tracker::bytes_streaming`] until the request ends (dropped) or its body starts over.
#[derive(Debug)]
pub struct InFlight {
    tracker: Arc<Tracker>,
    mine: AtomicU64,
}

impl InFlight {
    pub fn new(tracker: Arc<Tracker>) -> Arc<InFlight> {
        Arc::new(InFlight { tracker, mine: AtomicU64::new(0) })
    }

    pub fn add(&self, n: u64) {
        self.mine.fetch_add(n, Ordering::Relaxed);
        self.tracker.bytes_streaming.fetch_add(n, Ordering::Relaxed);
    }

    /// The body starts over (a retry) or the request ended: what it sent no longer counts.
    pub fn reset(&self) {
        let n = self.mine.swap(0, Ordering::Relaxed);
        let _ = self.tracker.bytes_streaming.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(n)));
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.reset();
    }
}

/// The counters an operation updates from many tasks, and the snapshots it reports.
#[derive(Debug)]
pub struct Tracker {
    pub phase: Phase,
    pub bytes_done: AtomicU64,
    pub files_done: AtomicU64,
    pub files_registered: AtomicU64,
    pub files_failed: AtomicU64,
    pub bytes_total: AtomicU64,
    pub files_total: AtomicU64,
    /// Bytes of requests still in flight, handed to the connection but not yet confirmed: shown
    /// with the done ones, so a slow link's progress moves smoothly, not a whole part at a time.
    pub bytes_streaming: AtomicU64,
    meter: Mutex<Meter>,
    note: Mutex<Option<ProgressNote>>,
}

impl Tracker {
    pub fn new(phase: Phase, bytes_total: u64, files_total: u64) -> Self {
        Tracker {
            phase,
            bytes_done: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            files_registered: AtomicU64::new(0),
            files_failed: AtomicU64::new(0),
            bytes_total: AtomicU64::new(bytes_total),
            files_total: AtomicU64::new(files_total),
            bytes_streaming: AtomicU64::new(0),
            meter: Mutex::new(Meter::default()),
            note: Mutex::new(None),
        }
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub_bytes(&self, n: u64) {
        let _ = self.bytes_done.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(n)));
    }

    pub fn note(&self, note: ProgressNote) {
        *self.note.lock().unwrap() = Some(note);
    }

    /// A snapshot; feeds the meter (call a few times a second).
    pub fn snapshot(&self, paused: bool) -> Progress {
        let total = self.bytes_total.load(Ordering::Relaxed);
        let committed = self.bytes_done.load(Ordering::Relaxed);
        let done = (committed + self.bytes_streaming.load(Ordering::Relaxed)).min(total.max(committed));
        let speed = {
            let mut m = self.meter.lock().unwrap();
            m.sample(Instant::now(), done, paused);
            if paused { 0.0 } else { m.rate() }
        };
        let left = total.saturating_sub(done);
        Progress {
            phase: Some(self.phase),
            bytes_done: done,
            bytes_total: total,
            files_done: self.files_done.load(Ordering::Relaxed) as u32,
            files_total: self.files_total.load(Ordering::Relaxed) as u32,
            files_registered: self.files_registered.load(Ordering::Relaxed) as u32,
            files_failed: self.files_failed.load(Ordering::Relaxed) as u32,
            speed,
            eta_seconds: if left == 0 { Some(0.0) } else if !paused && speed > 1.0 { Some(left as f64 / speed) } else { None },
            paused,
            note: self.note.lock().unwrap().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_time_is_not_transfer_time() {
        let mut m = Meter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        // 1 MB/s for 4 s.
        for i in 0..=8 {
            m.sample(at(i as f64 * 0.5), i * 500_000, false);
        }
        assert!((m.rate() - 1_000_000.0).abs() < 1.0, "{}", m.rate());
        // Paused for 60 s, then the same speed again: the pause does not drag it down.
        m.sample(at(10.0), 4_000_000, true);
        m.sample(at(64.0), 4_000_000, true);
        for i in 0..=4 {
            m.sample(at(64.0 + i as f64 * 0.5), 4_000_000 + i * 500_000, false);
        }
        assert!((m.rate() - 1_000_000.0).abs() < 1.0, "{}", m.rate());
    }

    #[test]
    fn the_window_forgets_old_bursts() {
        let mut m = Meter::new(Duration::from_secs(5));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        m.sample(at(0), 0, false);
        m.sample(at(1), 100_000_000, false); // a burst
        for s in 2..=20 {
            m.sample(at(s), 100_000_000 + (s - 1) * 1_000, false);
        }
        assert!((m.rate() - 1_000.0).abs() < 1.0, "{}", m.rate());
    }

    #[test]
    fn no_eta_while_paused_and_zero_when_done() {
        let t = Tracker::new(Phase::Upload, 100, 1);
        assert_eq!(t.snapshot(true).eta_seconds, None);
        t.add_bytes(100);
        assert_eq!(t.snapshot(false).eta_seconds, Some(0.0));
    }
}
