//! How attribute values are typed (from their VR) and parsed: numbers, ages, dates, times and
//! date-times, in their DICOM forms and the forms card authors write. Parsers return `None` on
//! anything they do not recognize; they never panic.

use chrono::{NaiveDate, NaiveDateTime};
use dicom_core::VR;

/// How the values of an attribute or field compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Text (AE, CS, LO, LT, PN, SH, ST, UC, UI, UR, UT, ...): case-insensitive by default.
    Text,
    /// Numbers (DS, IS, US, SS, UL, SL, FL, FD, UV, SV), compared as f64.
    Number,
    /// Age strings (AS, `055Y`, `006M`, `003W`, `010D`), compared in years.
    Age,
    /// Dates (DA).
    Date,
    /// Times of day (TM).
    Time,
    /// Date-times (DT); a time zone offset is ignored.
    DateTime,
    /// Sequences (SQ): only `present` / `absent`.
    Sequence,
    /// Binary data (OB, OW, OF, OD, OL, OV): only `present` / `absent`.
    Binary,
}

impl ValueKind {
    /// The kind of an attribute with this VR. `UN` reads as text (its bytes decoded).
    pub fn of_vr(vr: VR) -> ValueKind {
        use VR::*;
        match vr {
            DS | IS | US | SS | UL | SL | FL | FD | UV | SV => ValueKind::Number,
            AS => ValueKind::Age,
            DA => ValueKind::Date,
            TM => ValueKind::Time,
            DT => ValueKind::DateTime,
            SQ => ValueKind::Sequence,
            OB | OW | OF | OD | OL | OV => ValueKind::Binary,
            _ => ValueKind::Text,
        }
    }

    /// Whether values of this kind have an order (`less_than`, `greater_than`).
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            ValueKind::Number
                | ValueKind::Age
                | ValueKind::Date
                | ValueKind::Time
                | ValueKind::DateTime
        )
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Number => "a number",
            ValueKind::Age => "an age (a number of years, or `055Y`, `006M`, `003W`, `010D`)",
            ValueKind::Date => "a date (`2020-01-31` or `20200131`)",
            ValueKind::Time => "a time (`14:30:00` or `143000`)",
            ValueKind::DateTime => "a date-time (`2020-01-31T14:30:00` or `20200131143000`)",
            ValueKind::Sequence => "a sequence",
            ValueKind::Binary => "binary data",
        }
    }
}

/// Lower-cases text unless comparisons are case-sensitive.
pub(super) fn fold(s: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        s.to_string()
    } else {
        s.to_lowercase()
    }
}

fn trim_value(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// A finite decimal number.
pub(super) fn parse_number(s: &str) -> Option<f64> {
    trim_value(s).parse::<f64>().ok().filter(|x| x.is_finite())
}

/// An age in years: a plain number, or an AS value (`055Y`, `006M`, `003W`, `010D`).
pub(super) fn parse_age(s: &str) -> Option<f64> {
    let s = trim_value(s);
    if let Some(n) = parse_number(s) {
        return Some(n);
    }
    let unit = s.chars().last()?;
    let n: f64 = s[..s.len() - unit.len_utf8()].parse::<u32>().ok()?.into();
    match unit.to_ascii_uppercase() {
        'Y' => Some(n),
        'M' => Some(n / 12.0),
        'W' => Some(n * 7.0 / 365.25),
        'D' => Some(n / 365.25),
        _ => None,
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn digits(s: &str) -> Option<u32> {
    if !all_digits(s) {
        return None;
    }
    s.parse().ok()
}

/// A date: `YYYYMMDD` (DICOM), `YYYY-MM-DD` (ISO, TOML) or `YYYY.MM.DD` (old ACR-NEMA).
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    let (y, m, d) = match s.len() {
        8 => (&s[0..4], &s[4..6], &s[6..8]),
        10 if matches!(&s[4..5], "-" | ".") && s[4..5] == s[7..8] => {
            (&s[0..4], &s[5..7], &s[8..10])
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(digits(y)? as i32, digits(m)?, digits(d)?)
}

/// A time of day in seconds: `HHMMSS.FFFFFF`, `HHMM`, `HH` (DICOM) or `HH:MM[:SS[.F]]`.
pub(super) fn parse_time(s: &str) -> Option<f64> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    let (h, m, sec) = if s.contains(':') {
        let mut it = s.split(':');
        let h = it.next()?;
        let m = it.next()?;
        let sec = it.next().unwrap_or("0");
        if it.next().is_some() {
            return None;
        }
        (h, m, sec)
    } else {
        let (whole, _) = s.split_once('.').unwrap_or((s, ""));
        match whole.len() {
            2 if !s.contains('.') => (s, "0", "0"),
            4 if !s.contains('.') => (&s[0..2], &s[2..4], "0"),
            6 => (&s[0..2], &s[2..4], &s[4..]),
            _ => return None,
        }
    };
    if h.len() != 2 || m.len() > 2 {
        return None;
    }
    let (h, m) = (digits(h)?, digits(m)?);
    let (sec_whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec_whole = digits(sec_whole)?;
    if !frac.is_empty() && !all_digits(frac) {
        return None;
    }
    if h > 23 || m > 59 || sec_whole > 60 {
        return None;
    }
    let secs: f64 = sec.parse().ok()?;
    Some(f64::from(h * 3600 + m * 60) + secs)
}

/// A date-time: DICOM DT (`YYYY[MM[DD[HH[MM[SS[.F]]]]]]` with an ignored `+ZZXX` offset) or ISO
/// (`YYYY-MM-DD[T| ]HH:MM[:SS]`, an ignored `Z` or offset). Missing parts default to their first
/// value.
pub(super) fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    if s.len() >= 10 && matches!(&s[4..5], "-") {
        let date = parse_date(&s[..10])?;
        let rest = &s[10..];
        if rest.is_empty() {
            return date.and_hms_opt(0, 0, 0);
        }
        let time = rest.strip_prefix(['T', 't', ' '])?;
        let time = time.trim_end_matches(['Z', 'z']);
        let time = match time.find(['+', '-']) {
            Some(i) => &time[..i],
            None => time,
        };
        return with_time(date, parse_time(time)?);
    }
    // DICOM DT: strip an offset after the year.
    let body = match s.get(4..).and_then(|r| r.find(['+', '-'])) {
        Some(i) => &s[..4 + i],
        None => s,
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if !all_digits(whole) || !matches!(whole.len(), 4 | 6 | 8 | 10 | 12 | 14) {
        return None;
    }
    if frac.is_some() && whole.len() != 14 {
        return None;
    }
    let part = |r: std::ops::Range<usize>, default: u32| -> Option<u32> {
        whole.get(r).map_or(Some(default), digits)
    };
    let date = NaiveDate::from_ymd_opt(part(0..4, 1)? as i32, part(4..6, 1)?, part(6..8, 1)?)?;
    let (h, m, sec) = (part(8..10, 0)?, part(10..12, 0)?, part(12..14, 0)?);
    let mut secs = f64::from(h * 3600 + m * 60 + sec);
    if let Some(f) = frac {
        if !all_digits(f) {
            return None;
        }
        secs += format!("0.{f}").parse::<f64>().ok()?;
    }
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    with_time(date, secs)
}

fn with_time(date: NaiveDate, secs: f64) -> Option<NaiveDateTime> {
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as u32;
    let whole = whole as u32;
    date.and_hms_nano_opt(
        whole / 3600,
        (whole / 60) % 60,
        whole % 60,
        nanos.min(999_999_999),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_parsers_accept_dicom_and_iso_forms() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 31);
        assert_eq!(parse_date("20200131"), d);
        assert_eq!(parse_date("2020-01-31"), d);
        assert_eq!(parse_date("2020.01.31 "), d);
        assert_eq!(parse_date("2020-01.31"), None);
        assert_eq!(parse_date("20201331"), None);
        assert_eq!(parse_date("2020131"), None);
        assert_eq!(
            parse_time("143340.5"),
            Some(14.0 * 3600.0 + 33.0 * 60.0 + 40.5)
        );
        assert_eq!(parse_time("14:33:40.5"), parse_time("143340.5"));
        assert_eq!(parse_time("1433"), Some(14.0 * 3600.0 + 33.0 * 60.0));
        assert_eq!(parse_time("14"), Some(14.0 * 3600.0));
        assert_eq!(parse_time("2500"), None);
        assert_eq!(parse_time("abc"), None);
        let dt = |s| parse_datetime(s).map(|d| d.to_string());
        assert_eq!(
            dt("20200131143340.25+0100").as_deref(),
            Some("2020-01-31 14:33:40.250")
        );
        assert_eq!(
            dt("2020-01-31T14:33:40Z").as_deref(),
            Some("2020-01-31 14:33:40")
        );
        assert_eq!(dt("2020-01-31").as_deref(), Some("2020-01-31 00:00:00"));
        assert_eq!(dt("202001").as_deref(), Some("2020-01-01 00:00:00"));
        assert_eq!(dt("2020013"), None);
        assert_eq!(parse_age("055Y"), Some(55.0));
        assert_eq!(parse_age("006M"), Some(0.5));
        assert_eq!(parse_age("30"), Some(30.0));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_number(" 2.98 "), Some(2.98));
        assert_eq!(parse_number("NaN"), None);
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = (parse_number(&s), parse_age(&s), parse_date(&s), parse_time(&s));
            let _ = parse_datetime(&s);
        }

        #[test]
        fn date_like_text_never_panics(s in "[0-9.:+\\-TZ ]{0,26}") {
            let _ = (parse_date(&s), parse_time(&s), parse_datetime(&s), parse_age(&s));
        }
    }
}
