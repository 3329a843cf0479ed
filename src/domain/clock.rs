//! Time, injectable so that tests can move it; and the calendar of China
//! Standard Time in which deadlines are set.

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SubsecRound, Utc};

/// Where the time comes from.
pub trait Clock: Send + Sync {
    /// Now, to the microsecond (what both databases store).
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until moved (tests, simulations).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at.trunc_subsecs(6)))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at.trunc_subsecs(6);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// China Standard Time (Asia/Shanghai): UTC+8 all year, no daylight saving.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// The calendar date of `at` in Asia/Shanghai.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china_standard_time()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_turns_at_midnight_in_shanghai() {
        let late = "2026-12-31T15:59:59Z".parse().unwrap();
        let next = "2026-12-31T16:00:00Z".parse().unwrap();
        assert_eq!(
            shanghai_date(late),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(
            shanghai_date(next),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }
}
