//! Per-subject date shifting (Retain Longitudinal Temporal Information with Modified Dates).
//!
//! Every date of one subject moves by the same number of days, so intervals between
//! examinations survive; times of day are kept. The offset is derived from the consortium linkage
//! key and the subject's normalized identity, so two centers sharing the key shift the same person
//! equally, and it is never zero, so a shifted date is never the true one.

use chrono::{Datelike, NaiveDate, TimeDelta};

/// The largest shift, in days, either way.
pub(super) const MAX_OFFSET_DAYS: i32 = 730;

/// The offset of the subject whose normalized identity is `identity`: in
/// `[-MAX_OFFSET_DAYS, -1] ∪ [1, MAX_OFFSET_DAYS]`.
pub(crate) fn offset_days(offset_key: &[u8; 32], identity: &str) -> i32 {
    let h = blake3::keyed_hash(offset_key, identity.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    let span = 2 * MAX_OFFSET_DAYS as u64;
    // The bias of a 64-bit value reduced modulo 1460 is below 2^-50: negligible.
    let n = (u64::from_le_bytes(b) % span) as i32;
    if n < MAX_OFFSET_DAYS {
        -(n + 1)
    } else {
        n - MAX_OFFSET_DAYS + 1
    }
}

/// A DA value parsed: `YYYYMMDD`, or the ACR-NEMA `YYYY.MM.DD` some old writers still use.
pub(crate) fn parse_da(v: &str) -> Option<NaiveDate> {
    let v = v.trim_matches(|c: char| c == '\0' || c.is_ascii_whitespace());
    if !v.is_ascii() {
        return None;
    }
    let b = v.as_bytes();
    let (y, m, d) = match b.len() {
        8 => (&v[0..4], &v[4..6], &v[6..8]),
        10 if b[4] == b'.' && b[7] == b'.' => (&v[0..4], &v[5..7], &v[8..10]),
        _ => return None,
    };
    if ![y, m, d]
        .iter()
        .all(|p| p.bytes().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

pub(crate) fn format_da(d: NaiveDate) -> Option<String> {
    (0..=9999)
        .contains(&d.year())
        .then(|| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
}

/// One DA value moved by `days`; `None` when it is not a full date (it cannot be shifted safely).
pub(crate) fn shift_da(v: &str, days: i32) -> Option<String> {
    let d = parse_da(v)?.checked_add_signed(TimeDelta::try_days(days.into())?)?;
    format_da(d)
}

/// One DT value with its date part moved by `days` and the rest (time, fraction, UTC offset)
/// kept; `None` when it has no full date (`YYYY`, `YYYYMM`).
pub(crate) fn shift_dt(v: &str, days: i32) -> Option<String> {
    let v = v.trim_matches(|c: char| c == '\0' || c.is_ascii_whitespace());
    let date = v.get(..8)?;
    let rest = &v[8..];
    if !rest
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'+' | b'-'))
    {
        return None;
    }
    Some(format!("{}{rest}", shift_da(date, days)?))
}

/// The year of a full birth date.
pub(crate) fn birth_year(v: &str) -> Option<i32> {
    parse_da(v).map(|d| d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_in_range_never_zero_and_spread() {
        let key = [7u8; 32];
        let mut seen = std::collections::HashSet::new();
        for i in 0..5000 {
            let o = offset_days(&key, &format!("subject {i}"));
            assert!(o != 0 && o.abs() <= MAX_OFFSET_DAYS, "{o}");
            seen.insert(o);
        }
        // Both signs, and most of the 1460 values, come up.
        assert!(seen.iter().any(|o| *o < 0) && seen.iter().any(|o| *o > 0));
        assert!(seen.len() > 1000, "{}", seen.len());
        assert_eq!(offset_days(&key, "a"), offset_days(&key, "a"));
        assert_ne!(offset_days(&key, "a"), offset_days(&[8u8; 32], "a"));
    }

    #[test]
    fn da_shift_crosses_months_years_and_leap_days() {
        assert_eq!(shift_da("20201107", 1).as_deref(), Some("20201108"));
        assert_eq!(shift_da("20201231", 1).as_deref(), Some("20210101"));
        assert_eq!(shift_da("20200301", -1).as_deref(), Some("20200229"));
        assert_eq!(shift_da("1964.11.15", -730).as_deref(), Some("19621116"));
        assert_eq!(shift_da("20201107 ", 0).as_deref(), Some("20201107"));
        for bad in [
            "",
            "2020",
            "202011",
            "20201332",
            "2020-11-07",
            "abcdefgh",
            "2020é11",
            "2020.é.1",
        ] {
            assert_eq!(shift_da(bad, 3), None, "{bad}");
        }
    }

    #[test]
    fn dt_shift_keeps_time_and_zone() {
        assert_eq!(
            shift_dt("20201107143340.123456+0100", 10).as_deref(),
            Some("20201117143340.123456+0100")
        );
        assert_eq!(shift_dt("20201107", -7).as_deref(), Some("20201031"));
        assert_eq!(shift_dt("2020", 1), None);
        assert_eq!(shift_dt("20201107T1200", 1), None);
        assert_eq!(shift_dt("2020110é", 1), None);
        assert_eq!(shift_dt("202011é7", 1), None);
    }

    #[test]
    fn intervals_survive_a_shift() {
        let a = parse_da("20201107").unwrap();
        let b = parse_da("20210315").unwrap();
        for days in [-730, -1, 1, 365, 730] {
            let sa = parse_da(&shift_da("20201107", days).unwrap()).unwrap();
            let sb = parse_da(&shift_da("20210315", days).unwrap()).unwrap();
            assert_eq!(sb - sa, b - a);
        }
    }

    #[test]
    fn birth_year_only() {
        assert_eq!(birth_year("19641115"), Some(1964));
        assert_eq!(birth_year("1964"), None);
    }
}
