//! QIDO-RS matching (PS3.4 C.2.2.2): single values, `*`/`?` wildcards, UID lists, date ranges,
//! universal matching; and the query parameters of a search.

use super::attrs::{find, Attr, Level, Val, ATTRS};
use crate::error::{ApiError, ApiResult};

/// One matching key.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// The attribute.
    pub attr: &'static Attr,
    /// What the caller asked (as given).
    pub pattern: String,
}

impl Key {
    /// Whether every value matches (empty or `*`).
    fn universal(&self) -> bool {
        self.pattern.is_empty() || self.pattern == "*"
    }

    /// Whether `v` matches this key.
    pub(crate) fn matches(&self, v: &Val) -> bool {
        if self.universal() {
            return true;
        }
        let values = v.strings();
        match self.attr.vr {
            "UI" => {
                let list: Vec<&str> = self
                    .pattern
                    .split(['\\', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                values.iter().any(|v| list.contains(&v.as_str()))
            }
            "DA" => values.iter().any(|v| date_matches(&self.pattern, v)),
            "IS" | "US" => {
                let want = self.pattern.trim().parse::<i64>().ok();
                values
                    .iter()
                    .any(|v| want.is_some() && v.parse::<i64>().ok() == want)
            }
            vr => {
                let fold = vr == "PN";
                values.iter().any(|v| wildcard(&self.pattern, v, fold))
            }
        }
    }
}

/// A date or a range `A-B`, `-B`, `A-` (YYYYMMDD; `YYYY-MM-DD` is read too).
fn date_matches(pattern: &str, value: &str) -> bool {
    let norm = |s: &str| -> String { s.trim().chars().filter(char::is_ascii_digit).collect() };
    let p = pattern.trim();
    // A range has exactly one '-' between 8-digit dates (a YYYY-MM-DD date has two).
    let range = if p.matches('-').count() == 1 {
        p.split_once('-')
    } else if p.matches('-').count() == 5 {
        // YYYY-MM-DD-YYYY-MM-DD
        Some((&p[..10.min(p.len())], p.get(11..).unwrap_or("")))
    } else {
        None
    };
    match range {
        Some((from, to)) => {
            let (from, to) = (norm(from), norm(to));
            (from.is_empty() || value >= from.as_str()) && (to.is_empty() || value <= to.as_str())
        }
        None => norm(p) == value,
    }
}

/// `*` (any run) and `?` (one character) wildcard matching; `fold`: case-insensitive.
pub(crate) fn wildcard(pattern: &str, value: &str, fold: bool) -> bool {
    let low = |s: &str| -> Vec<char> {
        if fold {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, v) = (low(pattern), low(value));
    // Iterative matcher with backtracking to the last star.
    let (mut i, mut j) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

/// The parameters of one search.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// Matching keys.
    pub keys: Vec<Key>,
    /// Attributes returned beyond the defaults.
    pub include: Vec<&'static Attr>,
    /// Skip this many results.
    pub offset: usize,
    /// Return at most this many.
    pub limit: usize,
}

/// Most results of one search.
pub(crate) const MAX_LIMIT: usize = 100_000;

impl Search {
    /// Parse a query string for a search at `level`: keys of deeper levels are refused.
    pub(crate) fn parse(pairs: &[(String, String)], level: Level) -> ApiResult<Search> {
        let mut s = Search {
            keys: Vec::new(),
            include: Vec::new(),
            offset: 0,
            limit: MAX_LIMIT,
        };
        let number = |k: &str, v: &str| -> ApiResult<usize> {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!(
                    "{k} must be a non-negative integer, not {:?}",
                    crate::api::clip(v, 20)
                ))
            })
        };
        for (k, v) in pairs {
            match k.as_str() {
                "limit" => s.limit = number(k, v)?.min(MAX_LIMIT),
                "offset" => s.offset = number(k, v)?,
                // Fuzzy matching of person names is not offered: exact and wildcard only.
                "fuzzymatching" => {}
                "includefield" => {
                    for f in v.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                        if f == "all" {
                            s.include.extend(ATTRS.iter().filter(|a| a.level <= level));
                        } else if let Some(a) = find(f) {
                            s.include.push(a);
                        }
                        // Unknown includefield attributes are not in the catalog: ignored.
                    }
                }
                name => {
                    let attr = find(name).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "{:?} is not a matching key this node supports (known: {})",
                            crate::api::clip(name, 40),
                            ATTRS
                                .iter()
                                .map(|a| a.keyword)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                    if attr.level > level {
                        return Err(ApiError::bad_request(format!(
                            "{} is not a key of this search's level",
                            attr.keyword
                        )));
                    }
                    s.keys.push(Key {
                        attr,
                        pattern: v.clone(),
                    });
                }
            }
        }
        Ok(s)
    }

    /// The keys of `level`.
    pub(crate) fn keys_at(&self, level: Level) -> impl Iterator<Item = &Key> {
        self.keys.iter().filter(move |k| k.attr.level == level)
    }

    /// Whether an attribute of `level` is returned: a default of a level in `levels`, included,
    /// or matched on.
    pub(crate) fn returned(&self, levels: &[Level]) -> Vec<&'static Attr> {
        ATTRS
            .iter()
            .filter(|a| {
                (a.default && levels.contains(&a.level))
                    || self.include.iter().any(|i| i.tag == a.tag)
                    || self.keys.iter().any(|k| k.attr.tag == a.tag)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, pattern: &str) -> Key {
        Key {
            attr: find(name).unwrap(),
            pattern: pattern.into(),
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("T1*", "T1_MPRAGE", false));
        assert!(wildcard("*MPR?GE", "T1_MPRAGE", false));
        assert!(!wildcard("t1*", "T1_MPRAGE", false));
        assert!(wildcard("t1*", "T1_MPRAGE", true));
        assert!(wildcard("a*b*c", "aXXbYYc", false));
        assert!(!wildcard("a*b*c", "aXXbYY", false));
        assert!(wildcard("", "", false));
        assert!(!wildcard("?", "", false));
    }

    #[test]
    fn dates_and_ranges() {
        let v = Val::Text(vec!["20200115".into()]);
        for (p, want) in [
            ("20200115", true),
            ("20200116", false),
            ("20200101-20200131", true),
            ("20200116-", false),
            ("-20200115", true),
            ("20200115-", true),
            ("2020-01-01-2020-01-31", true),
            ("2020-01-15", true),
        ] {
            assert_eq!(key("StudyDate", p).matches(&v), want, "{p}");
        }
        assert!(!key("StudyDate", "20200101").matches(&Val::Empty));
        assert!(key("StudyDate", "").matches(&Val::Empty));
    }

    #[test]
    fn uid_lists_and_numbers() {
        let v = Val::Text(vec!["1.2.3".into()]);
        assert!(key("StudyInstanceUID", "1.2.4,1.2.3").matches(&v));
        assert!(key("StudyInstanceUID", "1.2.4\\1.2.3").matches(&v));
        assert!(!key("StudyInstanceUID", "1.2.33").matches(&v));
        assert!(key("SeriesNumber", "7").matches(&Val::Number(7)));
        assert!(!key("SeriesNumber", "x").matches(&Val::Number(7)));
    }

    #[test]
    fn parse_refuses_deeper_keys_and_unknown_ones() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(Search::parse(&p("SOPInstanceUID", "1"), Level::Series).is_err());
        assert!(Search::parse(&p("PatientAddress", "x"), Level::Study).is_err());
        assert!(Search::parse(&p("limit", "-1"), Level::Study).is_err());
        let s = Search::parse(&p("includefield", "all"), Level::Study).unwrap();
        assert!(s.include.iter().all(|a| a.level == Level::Study));
        let s = Search::parse(&p("includefield", "00081030,Nope"), Level::Study).unwrap();
        assert_eq!(s.include.len(), 1);
    }
}
