//! A clock tests move by hand.

use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use telegcrm_domain::ports::Clock;

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// A clock at 2026-03-02 09:00:00 UTC (a Monday morning).
    pub fn monday_morning() -> Self {
        Self::at(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
