//! A bandwidth limit shared by the transfers of one upload or download: a token bucket whose rate
//! may change while they run (the user moves the limit, a schedule begins), taking effect within a
//! fraction of a second. Bodies are sent in chunks of at most [`CHUNK`] bytes, each charged before
//! it goes, so the link sees an even flow, not bursts of whole parts.

use bytes::Bytes;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The most one chunk of a throttled body holds.
pub const CHUNK: usize = 64 * 1024;
/// A chunk while no limit is in force (fewer reads at full speed).
const FREE_CHUNK: usize = 256 * 1024;
/// The longest wait between looks at the rate: a change is seen within this.
const LOOK: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct RateLimit {
    /// Bytes per second; 0: no limit.
    rate: AtomicU64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Bytes that may go now; below zero: owed.
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// A limit of `rate` bytes per second (0: none, until set).
    pub fn new(rate: u64) -> Arc<RateLimit> {
        Arc::new(RateLimit { rate: AtomicU64::new(rate), bucket: Mutex::new(Bucket { tokens: 0.0, at: Instant::now() }) })
    }

    pub fn rate(&self) -> u64 {
        self.rate.load(Ordering::Relaxed)
    }

    /// A new rate (0: no limit), for the transfers already running too.
    pub fn set(&self, rate: u64) {
        self.rate.store(rate, Ordering::Relaxed);
    }

    /// Refill by the time passed; a full bucket holds a quarter second's worth.
    fn refill(&self, b: &mut Bucket, rate: u64) {
        let now = Instant::now();
        let burst = (rate as f64 / 4.0).max(CHUNK as f64);
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate as f64).min(burst);
        b.at = now;
    }

    /// `n` bytes are about to go: count them (they may be owed).
    pub fn charge(&self, n: u64) {
        let rate = self.rate();
        let mut b = self.bucket.lock().unwrap();
        if rate == 0 {
            b.tokens = 0.0;
            b.at = Instant::now();
            return;
        }
        self.refill(&mut b, rate);
        b.tokens -= n as f64;
    }

    /// How long to wait before what was charged may go: `None` when nothing is owed. Never more
    /// than [`LOOK`], so that a new rate is seen soon.
    pub fn owed(&self) -> Option<Duration> {
        let rate = self.rate();
        if rate == 0 {
            return None;
        }
        let mut b = self.bucket.lock().unwrap();
        self.refill(&mut b, rate);
        (b.tokens < 0.0).then(|| Duration::from_secs_f64(-b.tokens / rate as f64).min(LOOK))
    }

    /// Wait until `n` bytes may go.
    pub async fn take(&self, n: u64) {
        self.charge(n);
        while let Some(wait) = self.owed() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The limit as the user set it: none, a rate, or a share of the link as measured; and the hours
/// of the day at full speed (for example from 19:00 to 07:00, when the office has gone home).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Bytes per second (0: none), when no share is set.
    pub rate: u64,
    /// Percent of the measured link to use (0: none; 50: leave half to others).
    pub share: u8,
    /// Full speed from the first to the second minute of the local day (it may span midnight).
    pub full_speed: Option<(u16, u16)>,
}

/// "19:00" as minutes of the day; `None` for anything else.
pub fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl LimitPolicy {
    pub fn from_settings(s: &crate::settings::Settings) -> LimitPolicy {
        let full_speed = match (parse_clock(&s.full_speed_from), parse_clock(&s.full_speed_to)) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            _ => None,
        };
        LimitPolicy { rate: s.speed_limit, share: s.link_share.min(100), full_speed }
    }

    /// Whether `minute` of the local day is in the full-speed hours.
    pub fn full_speed_at(&self, minute: u16) -> bool {
        match self.full_speed {
            None => false,
            Some((from, to)) if from < to => (from..to).contains(&minute),
            Some((from, to)) => minute >= from || minute < to,
        }
    }
}

/// A share of the link is measured by lifting the limit this long (the speed meter's window is
/// 10 s) at the first transfer, and again every [`REPROBE`] while transfers run (the link may have
/// changed: another office, another hotel).
pub const PROBE: Duration = Duration::from_secs(15);
pub const REPROBE: Duration = Duration::from_secs(600);

/// Decides the rate in force now from the policy, the clock, and what the transfers measure.
#[derive(Debug)]
pub struct Governor {
    pub policy: LimitPolicy,
    /// The link's speed as last measured, bytes per second (0: not yet).
    pub measured: u64,
    probe_until: Option<Instant>,
    next_probe: Option<Instant>,
    peak: f64,
    /// The best speed of the transfers running at full speed now (kept as `measured` when they end).
    free_peak: f64,
}

impl Governor {
    /// With the link as measured before (0: not yet): a known link is shared at once, and
    /// measured again only after [`REPROBE`].
    pub fn new(policy: LimitPolicy, measured: u64) -> Governor {
        let next_probe = (measured > 0).then(|| Instant::now() + REPROBE);
        Governor { policy, measured, probe_until: None, next_probe, peak: 0.0, free_peak: 0.0 }
    }

    /// Whether a measurement is under way (the limit lifted for it).
    pub fn probing(&self) -> bool {
        self.probe_until.is_some()
    }

    /// The rate now (0: none), given the minute of the local day, the transfers' speed (bytes per
    /// second, all together) and whether any runs. A measurement that ends updates `measured`.
    pub fn tick(&mut self, now: Instant, minute: u16, speed: f64, transferring: bool) -> u64 {
        let rate = self.decide(now, minute, speed, transferring);
        // Transfers at full speed measure the link too (the doctor's upload estimate uses it):
        // when they end, their best speed is the link's.
        if rate == 0 && transferring && !self.probing() {
            self.free_peak = self.free_peak.max(speed);
        } else if !transferring && self.free_peak > 0.0 {
            self.measured = self.free_peak as u64;
            self.free_peak = 0.0;
        }
        rate
    }

    fn decide(&mut self, now: Instant, minute: u16, speed: f64, transferring: bool) -> u64 {
        if self.policy.full_speed_at(minute) {
            return 0;
        }
        if self.policy.share == 0 {
            self.probe_until = None;
            return self.policy.rate;
        }
        if let Some(until) = self.probe_until {
            self.peak = self.peak.max(speed);
            if now < until {
                return 0;
            }
            self.probe_until = None;
            if self.peak > 0.0 {
                self.measured = self.peak as u64;
                tracing::info!(bytes_per_second = self.measured, "link measured");
            }
            self.next_probe = Some(now + REPROBE);
        } else if transferring && (self.measured == 0 || self.next_probe.is_none_or(|t| now >= t)) {
            self.probe_until = Some(now + PROBE);
            self.peak = 0.0;
            return 0;
        }
        if self.measured == 0 {
            return 0;
        }
        (self.measured * self.policy.share as u64 / 100).max(1)
    }
}

/// `len` bytes of a file from `offset`, as a request body that goes no faster than `limit`.
/// Reads are small and blocking-free enough for the runtime: one [`CHUNK`] at a time from the
/// page cache or disk, on the blocking pool.
pub struct ThrottledFile {
    file: Option<std::fs::File>,
    path: PathBuf,
    remaining: u64,
    limit: Option<Arc<RateLimit>>,
    /// Counts what the body hands to the connection (progress that moves with the bytes).
    inflight: Option<Arc<crate::progress::InFlight>>,
    /// The next chunk was charged and waits for the bucket.
    charged: Option<usize>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    read: Option<tokio::task::JoinHandle<std::io::Result<(std::fs::File, Vec<u8>)>>>,
    /// Why the file could not be opened, for a body that fails when read.
    broken: Option<String>,
}

impl ThrottledFile {
    /// `limit`: none, or one whose rate may be 0 (full speed) now and change later.
    pub fn open(path: &Path, offset: u64, len: u64, limit: Option<Arc<RateLimit>>, inflight: Option<Arc<crate::progress::InFlight>>) -> std::io::Result<ThrottledFile> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(ThrottledFile { file: Some(file), path: path.to_path_buf(), remaining: len, limit, inflight, charged: None, sleep: None, read: None, broken: None })
    }

    /// The body, or one that fails when read, saying why the file could not be opened (for a
    /// retry's rebuild, which cannot return an error).
    pub fn open_or_failing(path: &Path, offset: u64, len: u64, limit: Option<Arc<RateLimit>>, inflight: Option<Arc<crate::progress::InFlight>>) -> ThrottledFile {
        ThrottledFile::open(path, offset, len, limit.clone(), inflight.clone()).unwrap_or_else(|e| ThrottledFile {
            file: None,
            path: path.to_path_buf(),
            remaining: len.max(1),
            limit,
            inflight,
            charged: None,
            sleep: None,
            read: None,
            broken: Some(format!("{} could not be opened: {e}", path.display())),
        })
    }
}

impl http_body::Body for ThrottledFile {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        loop {
            if let Some(read) = this.read.as_mut() {
                let done = std::task::ready!(Pin::new(read).poll(cx));
                this.read = None;
                let (file, buf) = match done {
                    Ok(Ok(v)) => v,
                    Ok(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Err(e) => return Poll::Ready(Some(Err(std::io::Error::other(e)))),
                };
                if buf.is_empty() {
                    return Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("{} ended early", this.path.display())))));
                }
                this.file = Some(file);
                this.remaining -= buf.len() as u64;
                if let Some(c) = &this.inflight {
                    c.add(buf.len() as u64);
                }
                return Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(buf)))));
            }
            if this.remaining == 0 {
                return Poll::Ready(None);
            }
            if let Some(s) = this.sleep.as_mut() {
                std::task::ready!(s.as_mut().poll(cx));
                this.sleep = None;
            }
            let limit = this.limit.as_ref().filter(|l| l.rate() > 0);
            let n = match (this.charged, limit) {
                (Some(n), _) => n,
                (None, Some(l)) => {
                    let n = CHUNK.min(this.remaining as usize);
                    l.charge(n as u64);
                    this.charged = Some(n);
                    n
                }
                (None, None) => FREE_CHUNK.min(this.remaining as usize),
            };
            if let Some(wait) = this.limit.as_ref().and_then(|l| l.owed()) {
                this.sleep = Some(Box::pin(tokio::time::sleep(wait)));
                continue;
            }
            this.charged = None;
            let Some(mut file) = this.file.take() else {
                let why = this.broken.clone().unwrap_or_else(|| "body polled after an error".into());
                return Poll::Ready(Some(Err(std::io::Error::other(why))));
            };
            this.read = Some(tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; n];
                let mut got = 0;
                while got < n {
                    match file.read(&mut buf[got..])? {
                        0 => break,
                        k => got += k,
                    }
                }
                buf.truncate(got);
                Ok((file, buf))
            }));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.read.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_speed_hours_may_span_midnight() {
        let night = LimitPolicy { rate: 1000, share: 0, full_speed: Some((parse_clock("19:00").unwrap(), parse_clock("07:00").unwrap())) };
        assert!(night.full_speed_at(19 * 60) && night.full_speed_at(23 * 60 + 59) && night.full_speed_at(0) && night.full_speed_at(6 * 60 + 59));
        assert!(!night.full_speed_at(7 * 60) && !night.full_speed_at(12 * 60) && !night.full_speed_at(18 * 60 + 59));
        let lunch = LimitPolicy { full_speed: Some((12 * 60, 13 * 60)), ..Default::default() };
        assert!(lunch.full_speed_at(12 * 60 + 30) && !lunch.full_speed_at(13 * 60));
        assert_eq!(parse_clock("7:05"), Some(425));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(parse_clock("noon"), None);
        let mut g = Governor::new(night, 0);
        assert_eq!(g.tick(Instant::now(), 20 * 60, 0.0, true), 0, "full speed at 20:00");
        assert_eq!(g.tick(Instant::now(), 9 * 60, 0.0, true), 1000, "the rate at 09:00");
    }

    #[test]
    fn leaving_half_the_link_measures_it_first_and_again_later() {
        let t0 = Instant::now();
        let mut g = Governor::new(LimitPolicy { share: 50, ..Default::default() }, 0);
        assert_eq!(g.tick(t0, 600, 0.0, false), 0, "nothing to measure with: full speed");
        assert_eq!(g.tick(t0, 600, 0.0, true), 0, "the first transfer measures the link");
        assert!(g.probing());
        assert_eq!(g.tick(t0 + Duration::from_secs(10), 600, 2_400_000.0, true), 0);
        assert_eq!(g.tick(t0 + Duration::from_secs(16), 600, 2_500_000.0, true), 1_250_000, "then half of it");
        assert_eq!(g.measured, 2_500_000);
        // Ten minutes on, measured again (the link got faster).
        let later = t0 + Duration::from_secs(16) + REPROBE;
        assert_eq!(g.tick(later - Duration::from_secs(1), 600, 1_250_000.0, true), 1_250_000);
        assert_eq!(g.tick(later, 600, 1_250_000.0, true), 0);
        assert_eq!(g.tick(later + PROBE, 600, 5_000_000.0, true), 2_500_000);
        // Transfers at full speed measure the link as well, kept when they end.
        let mut free = Governor::new(LimitPolicy::default(), 0);
        assert_eq!(free.tick(t0, 600, 1_000_000.0, true), 0);
        assert_eq!(free.tick(t0, 600, 3_000_000.0, true), 0);
        assert_eq!(free.measured, 0, "not while they run");
        free.tick(t0, 600, 0.0, false);
        assert_eq!(free.measured, 3_000_000);
        // A known link is halved at once after a restart.
        let mut g = Governor::new(LimitPolicy { share: 50, ..Default::default() }, 4_000_000);
        assert_eq!(g.tick(t0, 600, 0.0, true), 2_000_000);
    }

    #[tokio::test]
    async fn a_limit_holds_the_rate_and_a_change_is_seen_at_once() {
        let limit = RateLimit::new(1024 * 1024);
        let t = Instant::now();
        for _ in 0..32 {
            limit.take(CHUNK as u64).await; // 2 MiB in all at 1 MiB/s
        }
        let first = t.elapsed().as_secs_f64();
        assert!((1.6..2.6).contains(&first), "2 MiB at 1 MiB/s took {first:.2} s");
        limit.set(0);
        let t = Instant::now();
        for _ in 0..1000 {
            limit.take(CHUNK as u64).await;
        }
        assert!(t.elapsed() < Duration::from_millis(100), "no limit: no wait");
    }
}
