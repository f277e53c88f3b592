//! Times and dates. Instants are unix seconds (`u64`, UTC) everywhere on the wire; calendar dates
//! ([`Date`]) appear in queries and hits (examination dates, already shifted by de-identification).
//! No clock is read here: callers pass `now`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixTime = u64;

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// A calendar date (proleptic Gregorian, years 1..=9999). Text and wire form `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a string is not a date or a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a date (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM:SSZ)")]
pub struct ParseTimeError {
    /// The rejected input, truncated.
    pub input: String,
}

/// Why a string is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a duration (seconds, or a number with s, m, h or d: 90, 15m, 1h, 7d)")]
pub struct ParseDurationError {
    /// The rejected input, truncated.
    pub input: String,
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let ok = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, 1-12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of month, 1-31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date of a unix time.
    pub fn from_unix(t: UnixTime) -> Date {
        let z = (t / DAY) as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(1, 9999) as u16;
        Date { year, month, day }
    }

    /// Midnight UTC at the start of this date, or `None` before 1970.
    pub fn start_unix(self) -> Option<UnixTime> {
        u64::try_from(self.days_since_epoch()).ok().map(|d| d * DAY)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for Date {
    type Err = ParseTimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTimeError {
            input: s.chars().take(40).collect(),
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let y = digits(&s[0..4]).ok_or_else(err)?;
        let m = digits(&s[5..7]).ok_or_else(err)?;
        let d = digits(&s[8..10]).ok_or_else(err)?;
        Date::new(y as u16, m as u8, d as u8).ok_or_else(err)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parse `YYYY-MM-DDTHH:MM:SSZ` (UTC) to unix seconds.
pub fn parse_utc(s: &str) -> Result<UnixTime, ParseTimeError> {
    let err = || ParseTimeError {
        input: s.chars().take(40).collect(),
    };
    let b = s.as_bytes();
    if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return Err(err());
    }
    let date: Date = s[..10].parse().map_err(|_| err())?;
    let h = digits(&s[11..13]).filter(|&h| h < 24).ok_or_else(err)?;
    let m = digits(&s[14..16]).filter(|&m| m < 60).ok_or_else(err)?;
    let sec = digits(&s[17..19]).filter(|&s| s < 60).ok_or_else(err)?;
    let start = date.start_unix().ok_or_else(err)?;
    Ok(start + u64::from(h * 3600 + m * 60 + sec))
}

/// Parse an expiry given by a person: a UTC time is exact; a date `D` means "through `D`", i.e.
/// the grant expires at the start of the day after `D` (UTC).
pub fn parse_expiry(s: &str) -> Result<UnixTime, ParseTimeError> {
    if s.len() == 10 {
        let d: Date = s.parse()?;
        d.start_unix()
            .map(|t| t + DAY)
            .ok_or_else(|| ParseTimeError { input: s.into() })
    } else {
        parse_utc(s)
    }
}

/// Parse a duration given by a person: a number of seconds with an optional unit, `s`, `m`,
/// `h` or `d` (`90`, `90s`, `15m`, `1h`, `7d`); zero is refused.
pub fn parse_duration(s: &str) -> Result<u64, ParseDurationError> {
    let err = || ParseDurationError {
        input: s.chars().take(40).collect(),
    };
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num.parse().map_err(|_| err())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => DAY,
        _ => return Err(err()),
    };
    n.checked_mul(scale).filter(|&v| v > 0).ok_or_else(err)
}

/// Format unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_utc(t: UnixTime) -> String {
    let d = Date::from_unix(t);
    let s = t % DAY;
    format!("{d}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("1h"), Ok(3_600));
        assert_eq!(parse_duration("7d"), Ok(7 * DAY));
        for bad in [
            "",
            "0",
            "0s",
            "h",
            "1w",
            "-1h",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_utc("2000-03-01T12:34:56Z"), Ok(951_914_096));
        assert_eq!(
            parse_expiry("2026-12-31"),
            parse_utc("2027-01-01T00:00:00Z")
        );
        assert_eq!(format_utc(951_914_096), "2000-03-01T12:34:56Z");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2024-2-29".parse::<Date>().is_err());
        assert!("+024-02-29".parse::<Date>().is_err());
        assert!(parse_utc("2024-02-29T24:00:00Z").is_err());
    }

    proptest! {
        #[test]
        fn unix_round_trip(t in 0u64..253_402_300_799) {
            prop_assert_eq!(parse_utc(&format_utc(t)), Ok(t));
        }
    }
}
