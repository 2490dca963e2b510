//! The one retry policy: exponential backoff with full jitter, and a budget of attempts. The API
//! client, the storage transfers, registration and downloads all wait with it.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 5, base_delay: Duration::from_millis(300), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        RetryPolicy { attempts: 1, ..Default::default() }
    }

    pub fn new(attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        RetryPolicy { attempts, base_delay, max_delay }
    }

    /// How long to wait after failed attempt number `attempt` (0 for the first): a random delay
    /// between half and all of base·2ⁿ, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        let ms = cap.as_millis() as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms.max(1)))
    }

    /// Whether another attempt is allowed after `attempt` failed ones.
    pub fn allows(&self, failed: u32) -> bool {
        failed < self.attempts
    }

    /// A budget of attempts under this policy.
    pub fn budget(&self) -> Budget<'_> {
        Budget { policy: self, failed: 0 }
    }
}

/// The attempts left of one operation.
#[derive(Debug)]
pub struct Budget<'a> {
    policy: &'a RetryPolicy,
    failed: u32,
}

impl Budget<'_> {
    /// Note a failure: `Some(delay)` to wait before the next attempt, `None` when the budget is
    /// spent.
    pub fn failed(&mut self) -> Option<Duration> {
        self.failed += 1;
        if self.failed >= self.policy.attempts {
            return None;
        }
        Some(self.policy.delay(self.failed - 1))
    }

    pub fn failures(&self) -> u32 {
        self.failed
    }

    /// Wait before the next attempt; `false` when the budget is spent.
    pub async fn wait(&mut self) -> bool {
        match self.failed() {
            Some(d) => {
                tokio::time::sleep(d).await;
                true
            }
            None => false,
        }
    }
}

/// A duration with ±20 % of jitter, so that many clients do not poll in step.
pub fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.8 + rand::random::<f64>() * 0.4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_within_their_cap_and_the_budget_ends() {
        let p = RetryPolicy::new(4, Duration::from_millis(100), Duration::from_millis(350));
        for _ in 0..50 {
            let d0 = p.delay(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d5 = p.delay(5);
            assert!(d5 >= Duration::from_millis(175) && d5 <= Duration::from_millis(350));
        }
        let mut b = p.budget();
        assert!(b.failed().is_some());
        assert!(b.failed().is_some());
        assert!(b.failed().is_some());
        assert!(b.failed().is_none());
        assert_eq!(b.failures(), 4);
    }
}
