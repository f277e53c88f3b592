//! Dates written in free text, in the forms found in practice, for Clean Descriptors: the text
//! is scanned once for date expressions and each is read with every interpretation its form
//! allows; the cleaner removes the expressions one of whose readings is a date of the header.
//!
//! Forms (case and diacritics ignored, any of `. / - space` as the separator, used alike
//! within one expression):
//! - numeric: `1971-04-05`, `1971.4.5`, `05.04.1971`, `5.4.71`, `04/05/1971` (read both day
//!   first and month first), `19710405`, `05041971`, `050471`;
//! - with a month name or abbreviation, English, German or French: `05APR1971`, `5-Apr-1971`,
//!   `5. April 1971`, `5th of April 1971`, `April 5, 1971`, `Apr 5th 71`, `5 avril 1971`,
//!   `5. Maerz 1971`.
//!
//! A two-digit year matches the header year's last two digits.

/// A date read from text: year (4 digits, or `None` with the two-digit `yy`), month, day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reading {
    year: Option<i32>,
    yy: i32,
    month: u32,
    day: u32,
}

impl Reading {
    /// Whether this reading is the date `y-m-d`.
    pub(super) fn is(&self, y: i32, m: u32, d: u32) -> bool {
        self.month == m
            && self.day == d
            && match self.year {
                Some(year) => year == y,
                None => self.yy == y.rem_euclid(100),
            }
    }
}

/// A date expression of the text: its byte span and its readings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DateExpr {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) readings: Vec<Reading>,
}

/// Month names and abbreviations (folded: lower case, no diacritics) and their numbers.
const MONTH_NAMES: &[(&str, u32)] = &[
    ("january", 1),
    ("januar", 1),
    ("janvier", 1),
    ("jan", 1),
    ("janv", 1),
    ("jaenner", 1),
    ("janner", 1),
    ("february", 2),
    ("februar", 2),
    ("fevrier", 2),
    ("feb", 2),
    ("fev", 2),
    ("fevr", 2),
    ("march", 3),
    ("maerz", 3),
    ("marz", 3),
    ("mars", 3),
    ("mar", 3),
    ("mrz", 3),
    ("april", 4),
    ("avril", 4),
    ("apr", 4),
    ("avr", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("juni", 6),
    ("juin", 6),
    ("jun", 6),
    ("july", 7),
    ("juli", 7),
    ("juillet", 7),
    ("jul", 7),
    ("juil", 7),
    ("august", 8),
    ("aout", 8),
    ("aug", 8),
    ("september", 9),
    ("septembre", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oktober", 10),
    ("octobre", 10),
    ("oct", 10),
    ("okt", 10),
    ("november", 11),
    ("novembre", 11),
    ("nov", 11),
    ("december", 12),
    ("dezember", 12),
    ("decembre", 12),
    ("dec", 12),
    ("dez", 12),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A run of ASCII digits and its value.
    Num { digits: usize, value: u32 },
    /// A month name or abbreviation.
    Month(u32),
    /// An ordinal suffix (`st`, `nd`, `rd`, `th`, French `er`).
    Ordinal,
    /// `of` (`5th of April`).
    Of,
    /// Any other word (letters).
    Word,
    /// One separator character (`. / - ,` or white space).
    Sep(char),
    /// Anything else.
    Other,
}

/// Tokens with their byte spans.
fn tokens(text: &str) -> Vec<(Tok, usize, usize)> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            let mut value: u64 = u64::from(c as u8 - b'0');
            while let Some(&(j, d)) = it.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                value = (value * 10 + u64::from(d as u8 - b'0')).min(u64::from(u32::MAX));
                end = j + 1;
                it.next();
            }
            out.push((
                Tok::Num {
                    digits: end - i,
                    value: u32::try_from(value).unwrap_or(u32::MAX),
                },
                i,
                end,
            ));
        } else if c.is_alphabetic() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
            let word = fold(&text[i..end]);
            let tok = match word.as_str() {
                "st" | "nd" | "rd" | "th" | "er" => Tok::Ordinal,
                "of" => Tok::Of,
                w => MONTH_NAMES
                    .iter()
                    .find(|(n, _)| *n == w)
                    .map_or(Tok::Word, |&(_, m)| Tok::Month(m)),
            };
            out.push((tok, i, end));
        } else if matches!(c, '.' | '/' | '-' | ',') || c.is_whitespace() {
            out.push((
                Tok::Sep(if c.is_whitespace() { ' ' } else { c }),
                i,
                i + c.len_utf8(),
            ));
        } else {
            out.push((Tok::Other, i, i + c.len_utf8()));
        }
    }
    out
}

/// Lower case without diacritics, as names are folded (`März` is `marz` or `maerz`: both are
/// listed).
fn fold(word: &str) -> String {
    super::pseudonym::fold_upper_alnum(word).to_ascii_lowercase()
}

fn valid(m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn year_of(digits: usize, value: u32) -> Option<(Option<i32>, i32)> {
    let v = i32::try_from(value).ok()?;
    match digits {
        4 => Some((Some(v), v.rem_euclid(100))),
        2 => Some((None, v)),
        _ => None,
    }
}

fn reading(y: (Option<i32>, i32), month: u32, day: u32) -> Option<Reading> {
    valid(month, day).then_some(Reading {
        year: y.0,
        yy: y.1,
        month,
        day,
    })
}

/// Every date expression of `text` with at least one valid reading.
pub(super) fn date_expressions(text: &str) -> Vec<DateExpr> {
    // Cheap exit: no digit, no date.
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((expr, next)) = expression_at(&toks, i) {
            out.push(expr);
            i = next;
        } else {
            i += 1;
        }
    }
    out
}

/// The index of the next token after at most two separators (e.g. `. ` or `, `).
fn skip_seps(toks: &[(Tok, usize, usize)], mut i: usize) -> usize {
    for _ in 0..2 {
        if !matches!(toks.get(i), Some((Tok::Sep(_), _, _))) {
            break;
        }
        i += 1;
    }
    i
}

/// A day number, with an optional ordinal suffix (`5th`, `1st`, `2nd`, `3rd`) or German `.`.
fn day_at(toks: &[(Tok, usize, usize)], i: usize) -> Option<(u32, usize)> {
    let (Tok::Num { digits, value }, _, _) = toks.get(i)? else {
        return None;
    };
    if *digits > 2 || *value == 0 || *value > 31 {
        return None;
    }
    // `5th`: the suffix is the token right after the number.
    if let Some((Tok::Ordinal, _, _)) = toks.get(i + 1) {
        return Some((*value, i + 2));
    }
    Some((*value, i + 1))
}

fn num(toks: &[(Tok, usize, usize)], i: usize) -> Option<(usize, u32)> {
    match toks.get(i) {
        Some((Tok::Num { digits, value }, _, _)) => Some((*digits, *value)),
        _ => None,
    }
}

/// The longest date expression starting at token `i`, and the token after it.
fn expression_at(toks: &[(Tok, usize, usize)], i: usize) -> Option<(DateExpr, usize)> {
    let start = toks.get(i)?.1;
    let span = |last: usize, readings: Vec<Reading>, next: usize| {
        (!readings.is_empty()).then(|| {
            (
                DateExpr {
                    start,
                    end: toks[last].2,
                    readings,
                },
                next,
            )
        })
    };
    match &toks[i].0 {
        Tok::Num { digits, value } => {
            let (d0, v0) = (*digits, *value);
            // Compact numeric forms: 8 digits (YYYYMMDD, DDMMYYYY, MMDDYYYY), 6 digits (YYMMDD,
            // DDMMYY, MMDDYY).
            if d0 == 8 || d0 == 6 {
                let s = format!("{v0:0width$}", width = d0);
                let part = |a: usize, b: usize| s[a..b].parse::<u32>().unwrap_or(0);
                let mut r = Vec::new();
                if d0 == 8 {
                    let y4 = |a: usize| (Some(part(a, a + 4) as i32), part(a + 2, a + 4) as i32);
                    r.extend(reading(y4(0), part(4, 6), part(6, 8)));
                    r.extend(reading(y4(4), part(2, 4), part(0, 2)));
                    r.extend(reading(y4(4), part(0, 2), part(2, 4)));
                } else {
                    let y2 = |a: usize| (None, part(a, a + 2) as i32);
                    r.extend(reading(y2(0), part(2, 4), part(4, 6)));
                    r.extend(reading(y2(4), part(2, 4), part(0, 2)));
                    r.extend(reading(y2(4), part(0, 2), part(2, 4)));
                }
                if let Some(found) = span(i, r, i + 1) {
                    return Some(found);
                }
            }
            // N sep N sep N, one separator kind.
            if let Some(found) = numeric_triple(toks, i) {
                return Some(found);
            }
            // D [.|sep|th] Month [sep] Y: 05APR1971, 5-Apr-1971, 5. April 1971, 5th of April 71.
            let (day, after_day) = day_at(toks, i)?;
            let mut j = skip_seps(toks, after_day);
            if matches!(toks.get(j), Some((Tok::Of, _, _))) {
                j = skip_seps(toks, j + 1);
            }
            let Some((Tok::Month(m), _, _)) = toks.get(j) else {
                return None;
            };
            let k = skip_seps(toks, j + 1);
            let (yd, yv) = num(toks, k)?;
            let y = year_of(yd, yv)?;
            span(k, reading(y, *m, day).into_iter().collect(), k + 1)
        }
        Tok::Month(m) => {
            // Month D[th][,] Y: April 5, 1971; Apr 5th 71.
            let j = skip_seps(toks, i + 1);
            let (day, after_day) = day_at(toks, j)?;
            let k = skip_seps(toks, after_day);
            let (yd, yv) = num(toks, k)?;
            let y = year_of(yd, yv)?;
            span(k, reading(y, *m, day).into_iter().collect(), k + 1)
        }
        _ => None,
    }
}

/// `a S b S c` with one separator kind S (`.`, `/`, `-` or a space) and no other separator.
fn numeric_triple(toks: &[(Tok, usize, usize)], i: usize) -> Option<(DateExpr, usize)> {
    let (da, a) = num(toks, i)?;
    let sep = match toks.get(i + 1) {
        Some((Tok::Sep(c), _, _)) if *c != ',' => *c,
        _ => return None,
    };
    let (db, b) = num(toks, i + 2)?;
    if !matches!(toks.get(i + 3), Some((Tok::Sep(c), _, _)) if *c == sep) {
        return None;
    }
    let (dc, c) = num(toks, i + 4)?;
    if db > 2 {
        return None;
    }
    let mut r = Vec::new();
    if da == 4 && dc <= 2 {
        // Y-M-D
        r.extend(reading((Some(a as i32), (a % 100) as i32), b, c));
    } else if da <= 2 {
        let y = year_of(dc, c)?;
        r.extend(reading(y, b, a)); // D.M.Y
        r.extend(reading(y, a, b)); // M/D/Y
    }
    // A German `5.4.1971.` ends with a full stop that is punctuation: not part of the span.
    let start = toks[i].1;
    (!r.is_empty()).then(|| {
        (
            DateExpr {
                start,
                end: toks[i + 4].2,
                readings: r,
            },
            i + 5,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, y: i32, m: u32, d: u32) -> Vec<&str> {
        date_expressions(text)
            .into_iter()
            .filter(|e| e.readings.iter().any(|r| r.is(y, m, d)))
            .map(|e| &text[e.start..e.end])
            .collect()
    }

    #[test]
    fn every_written_form_of_one_date_is_found() {
        for form in [
            "1971-04-05",
            "1971.04.05",
            "1971/4/5",
            "05.04.1971",
            "5.4.1971",
            "5.4.71",
            "05/04/1971",
            "04/05/1971",
            "4/5/71",
            "19710405",
            "05041971",
            "04051971",
            "710405",
            "050471",
            "05APR1971",
            "5-Apr-1971",
            "05-apr-71",
            "5 April 1971",
            "5. April 1971",
            "5th April 1971",
            "5th of April 1971",
            "April 5, 1971",
            "April 5 1971",
            "Apr 5th, 71",
            "5 avril 1971",
            "5. Mai 1971",
        ] {
            let (y, m, d) = if form.contains("Mai") {
                (1971, 5, 5)
            } else {
                (1971, 4, 5)
            };
            let text = format!("born {form} in Lyon");
            assert_eq!(found(&text, y, m, d), vec![form], "{text}");
        }
    }

    #[test]
    fn other_numbers_and_dates_are_left() {
        assert!(found("TR 2000 TE 30 slices 176", 1971, 4, 5).is_empty());
        assert!(found("1.5T scanner, 3.0 mm", 1971, 4, 5).is_empty());
        assert!(found("seen 06.04.1971", 1971, 4, 5).is_empty());
        assert!(found("April 1971", 1971, 4, 5).is_empty());
        assert!(found("version 5.4.2", 1971, 4, 5).is_empty());
        assert!(found("no digits at all", 1971, 4, 5).is_empty());
        assert!(date_expressions("").is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for t in [
            "99999999999999999999 Apr 99",
            "31.31.31 00/00/0000 Apr 0, 0000",
            "ä5.ü4.ö71 Mär 5 71",
            "5th",
            "April",
            "5. April",
            "12345678",
            "1/2/",
        ] {
            let _ = date_expressions(t);
        }
    }
}
