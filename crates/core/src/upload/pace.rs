//! How many big requests (parts, and files of 1 MiB or more) an upload keeps in flight, sized to
//! the link as it goes: each request should finish within [`AIM`], so a thin link carries a few
//! requests that complete one after another (an interruption loses little, and progress is real
//! parts, not bytes spread over many), and a fat or long link carries enough to stay full.
//!
//! Measured from the requests themselves: the time each takes, from its first byte to the
//! server's answer, holds the link's throughput and its round trip alike (a request of S bytes
//! with n in flight takes about n·S/throughput plus a round trip). Too slow: fewer in flight, in
//! proportion; much quicker: more, up to the cap (`--concurrency`, which also bounds memory).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// The time a request should take at most.
pub const AIM: Duration = Duration::from_secs(8);
/// Requests in flight to begin with, before anything is measured.
pub const START: usize = 4;
/// Fewer never: while one request ends and the next begins, another keeps the link busy.
pub const MIN: usize = 2;
/// Changes this often at most.
const EVERY: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Pace {
    sem: Semaphore,
    /// The number of slots now (in use or free).
    target: AtomicUsize,
    /// Slots to take away as their requests end (a shrink bigger than the free slots).
    debt: AtomicUsize,
    min: usize,
    max: usize,
    aim: Duration,
    seen: Mutex<Seen>,
}

#[derive(Debug)]
struct Seen {
    /// Smoothed seconds per request.
    secs: Option<f64>,
    changed: Instant,
}

/// A slot held while a request runs.
pub struct Slot<'a> {
    permit: Option<SemaphorePermit<'a>>,
    pace: Option<&'a Pace>,
}

impl<'a> Slot<'a> {
    /// A permit of another semaphore, held the same way.
    pub fn plain(permit: SemaphorePermit<'a>) -> Slot<'a> {
        Slot { permit: Some(permit), pace: None }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let (Some(pace), Some(permit)) = (self.pace, self.permit.take()) else { return };
        // Owed to a shrink: the slot goes away instead of back.
        if pace.debt.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1)).is_ok() {
            permit.forget();
        }
    }
}

impl Pace {
    /// Up to `max` in flight, each request to take at most `aim`; `adaptive: false` keeps `max`
    /// whatever the link.
    pub fn new(max: usize, adaptive: bool, aim: Duration) -> Pace {
        let max = max.max(1);
        let min = MIN.min(max);
        let start = if adaptive { START.clamp(min, max) } else { max };
        Pace::with(start, if adaptive { min } else { max }, max, aim)
    }

    pub fn with(start: usize, min: usize, max: usize, aim: Duration) -> Pace {
        Pace {
            sem: Semaphore::new(start),
            target: AtomicUsize::new(start),
            debt: AtomicUsize::new(0),
            min,
            max,
            aim,
            seen: Mutex::new(Seen { secs: None, changed: Instant::now() }),
        }
    }

    pub async fn acquire(&self) -> Slot<'_> {
        Slot { permit: Some(self.sem.acquire().await.expect("semaphore open")), pace: Some(self) }
    }

    /// Requests allowed in flight now.
    pub fn slots(&self) -> usize {
        self.target.load(Ordering::SeqCst)
    }

    /// A request of `bytes` was answered `took` after it began.
    pub fn finished(&self, bytes: u64, took: Duration) {
        if self.min == self.max || bytes == 0 {
            return;
        }
        let mut seen = self.seen.lock().unwrap();
        let t = took.as_secs_f64();
        let secs = match seen.secs {
            None => t,
            Some(s) => 0.7 * s + 0.3 * t,
        };
        seen.secs = Some(secs);
        if seen.changed.elapsed() < EVERY {
            return;
        }
        let n = self.slots();
        let aim = self.aim.as_secs_f64();
        let want = if secs > aim {
            // n·S/throughput ≈ secs: n·aim/secs finishes within the aim.
            ((n as f64 * aim / secs).floor() as usize).max(self.min)
        } else if secs < aim / 4.0 {
            n * 2
        } else if secs < aim / 2.0 {
            n + 1
        } else {
            n
        }
        .clamp(self.min, self.max);
        if want != n {
            tracing::debug!(from = n, to = want, secs_per_request = secs, "requests in flight resized");
            self.resize(want);
            seen.changed = Instant::now();
            // What was measured with the old number no longer holds.
            seen.secs = None;
        }
    }

    fn resize(&self, want: usize) {
        let cur = self.target.swap(want, Ordering::SeqCst);
        if want > cur {
            let mut grow = want - cur;
            // First cancel what a shrink still owes.
            while grow > 0 && self.debt.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1)).is_ok() {
                grow -= 1;
            }
            self.sem.add_permits(grow);
        } else {
            for _ in 0..cur - want {
                match self.sem.try_acquire() {
                    Ok(p) => p.forget(),
                    Err(_) => {
                        self.debt.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(start: usize) -> Pace {
        let p = Pace::with(start, 2, 12, Duration::from_secs(8));
        p.seen.lock().unwrap().changed = Instant::now() - EVERY;
        p
    }

    fn after(p: &Pace, secs: f64) -> usize {
        p.seen.lock().unwrap().changed = Instant::now() - EVERY;
        p.finished(16 << 20, Duration::from_secs_f64(secs));
        p.slots()
    }

    #[test]
    fn slow_requests_mean_fewer_in_flight_and_quick_ones_more() {
        // A thin link: 4 × 16 MiB at 2.5 MB/s take 27 s each: down to 2 (the least).
        let p = pace(4);
        assert_eq!(after(&p, 27.0), 2);
        // A fat one: 4 in flight answered in 0.2 s: doubled, then up to the cap.
        let p = pace(4);
        assert_eq!(after(&p, 0.2), 8);
        assert_eq!(after(&p, 0.3), 12);
        assert_eq!(after(&p, 0.3), 12);
        // In between: 6 s per request with 6 in flight is near the aim and stays; 12 s shrinks it.
        let p = pace(6);
        assert_eq!(after(&p, 6.0), 6);
        let p = pace(6);
        assert_eq!(after(&p, 12.0), 4);
        assert_eq!(after(&p, 3.0), 5);
    }

    #[test]
    fn a_shrink_waits_for_requests_in_flight_and_a_fixed_pace_never_moves() {
        let p = pace(6);
        let held: Vec<_> = (0..6).map(|_| p.sem.try_acquire().unwrap()).map(|permit| Slot { permit: Some(permit), pace: Some(&p) }).collect();
        p.resize(2);
        assert_eq!(p.debt.load(Ordering::SeqCst), 4, "none free: owed by the requests running");
        drop(held);
        assert_eq!(p.sem.available_permits(), 2, "four slots went away as their requests ended");
        p.resize(3);
        assert_eq!(p.sem.available_permits(), 3);

        let fixed = Pace::new(12, false, AIM);
        fixed.finished(16 << 20, Duration::from_secs(100));
        assert_eq!(fixed.slots(), 12);
        assert_eq!(Pace::new(12, true, AIM).slots(), START);
        assert_eq!(Pace::new(1, true, AIM).slots(), 1);
    }
}
