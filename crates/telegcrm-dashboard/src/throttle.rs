//! Slowing down password guessing: after [`Throttle::MAX_FAILURES`] failed sign-ins within
//! [`Throttle::WINDOW`] for one key (a client IP, or a username), further attempts for that key
//! are refused until the oldest failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failure counts per key.
#[derive(Debug)]
pub struct Throttle {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Self::MAX_FAILURES, Self::WINDOW)
    }
}

impl Throttle {
    /// Failures allowed in the window.
    pub const MAX_FAILURES: usize = 5;
    /// The window.
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// `max` failures per `window`.
    pub fn new(max: usize, window: Duration) -> Self {
        Self { max, window, failures: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` when any key has used up its failures: how long until one more attempt is allowed.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut map = self.lock();
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(q) = map.get_mut(key) {
                while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
                    q.pop_front();
                }
                if q.len() >= self.max
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window.saturating_sub(now.saturating_duration_since(*oldest)));
                }
            }
        }
        map.retain(|_, q| !q.is_empty());
        if wait.is_zero() { Ok(()) } else { Err(wait.max(Duration::from_secs(1))) }
    }

    /// Records a failed attempt for every key.
    pub fn fail(&self, keys: &[String], now: Instant) {
        let mut map = self.lock();
        for key in keys {
            map.entry(key.clone()).or_default().push_back(now);
        }
    }

    /// Forgets the failures of these keys (after a successful sign-in).
    pub fn succeed(&self, keys: &[String]) {
        let mut map = self.lock();
        for key in keys {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ip: &str, user: &str) -> Vec<String> {
        vec![format!("ip:{ip}"), format!("user:{user}")]
    }

    #[test]
    fn five_failures_lock_the_ip_and_the_username_until_the_window_passes() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(t.check(&keys("1.2.3.4", "ada"), t0).is_ok(), "attempt {i}");
            t.fail(&keys("1.2.3.4", "ada"), t0 + Duration::from_secs(i));
        }
        let wait = t.check(&keys("1.2.3.4", "ada"), t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(15 * 60 - 10));
        // Another client guessing the same username is refused too, and so is this client guessing another.
        assert!(t.check(&keys("5.6.7.8", "ada"), t0 + Duration::from_secs(10)).is_err());
        assert!(t.check(&keys("1.2.3.4", "bob"), t0 + Duration::from_secs(10)).is_err());
        assert!(t.check(&keys("5.6.7.8", "bob"), t0 + Duration::from_secs(10)).is_ok());
        // The oldest failure leaves the window: one more attempt.
        assert!(t.check(&keys("1.2.3.4", "ada"), t0 + Duration::from_secs(15 * 60)).is_ok());
    }

    #[test]
    fn success_clears_the_count() {
        let t = Throttle::new(2, Duration::from_secs(60));
        let now = Instant::now();
        t.fail(&keys("ip", "u"), now);
        t.succeed(&keys("ip", "u"));
        t.fail(&keys("ip", "u"), now);
        assert!(t.check(&keys("ip", "u"), now).is_ok());
        t.fail(&keys("ip", "u"), now);
        assert!(t.check(&keys("ip", "u"), now).is_err());
    }
}
