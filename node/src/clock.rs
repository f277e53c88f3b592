//! The node's one clock. Instants are [`UnixTime`] (unix seconds, UTC) and calendar days are
//! [`Date`], the protocol's types, everywhere in the node, the federation, the API and the CLI:
//! one timestamp type, one date type, and this one place that reads the system clock.

pub use protocol::time::{Date, UnixTime, DAY};

/// Unix seconds now (0 if the system clock is before 1970).
pub fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the epoch now, for latencies and deadlines.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Today's date (UTC).
pub fn today() -> Date {
    Date::from_unix(now())
}

/// The first second after `date` ends (UTC): a right `until` a date is valid before it (0 for
/// dates before 1970, long over).
pub fn end_of_day(date: Date) -> UnixTime {
    date.start_unix().map_or(0, |t| t.saturating_add(DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_end_at_midnight_utc() {
        let d: Date = "2027-01-31".parse().unwrap();
        assert_eq!(end_of_day(d), 1_801_440_000);
        assert_eq!(Date::from_unix(end_of_day(d) - 1), d);
        assert_eq!(end_of_day("1969-12-31".parse().unwrap()), 0);
        assert!(today() >= "2026-01-01".parse().unwrap());
    }
}
