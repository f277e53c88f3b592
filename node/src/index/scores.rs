//! Clinical scores in the index: the terms a dataset gets from its subject's assessments, the
//! query of a [`ScoreFilter`], and the text form `score.INSTRUMENT[.VARIABLE]:TEST`.
//!
//! One raw (untokenized) field, `scores`, holds lower-cased terms of three kinds per variable
//! path (`edss.course`, and `edss` alone for the instrument's default variable: the one named
//! like the instrument, or its only one):
//! - `?edss.edss`: a value is recorded;
//! - `#edss.edss#<16 hex digits>`: a number, in an order-preserving encoding, so that a range of
//!   numbers is a range of terms of the inverted index;
//! - `=edss.course=sp`: a code (numbers too, as they print: `=edss.edss=4.5`).
//!
//! A choice code that reads as a number (`0`, `1`) is indexed as that number as well.
//! Acronyms and variable names are letters, digits, `-` and `_`, so `.`, `#`, `=` and `?`
//! cannot be part of them and no term of one path falls in the range of another.

use std::collections::HashMap;
use std::ops::Bound;

use protocol::id::ExaminationId;
use protocol::query::{Filter, ScoreFilter, ScoreTest};
use tantivy::query::{Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::IndexError;
use crate::scores::{Assessment, Instrument, ScoreValue};

/// The prefix of a score filter's field.
pub(super) const PREFIX: &str = "score.";

/// Order-preserving text of a finite number: 16 hex digits that sort as the numbers do.
fn sortable(x: f64) -> String {
    let x = if x == 0.0 { 0.0 } else { x }; // -0 and 0 are one value
    let bits = x.to_bits();
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    format!("{key:016x}")
}

fn number_term(path: &str, x: f64) -> String {
    format!("#{path}#{}", sortable(x))
}

fn code_term(path: &str, code: &str) -> String {
    format!("={path}={}", code.trim().to_lowercase())
}

fn exists_term(path: &str) -> String {
    format!("?{path}")
}

/// The path of a filter: `edss` or `edss.course`.
fn path(instrument: &str, variable: Option<&str>) -> String {
    match variable {
        Some(v) => format!(
            "{}.{}",
            instrument.to_ascii_lowercase(),
            v.to_ascii_lowercase()
        ),
        None => instrument.to_ascii_lowercase(),
    }
}

/// Whether `variable` is the one `score.INSTRUMENT` (no variable) names: the variable called
/// like the instrument or, when it has a single variable, that one.
fn is_default(instrument: Option<&Instrument>, acronym: &str, variable: &str) -> bool {
    variable.eq_ignore_ascii_case(acronym)
        || instrument.is_some_and(|i| {
            i.variables.len() == 1 && i.variables[0].name.eq_ignore_ascii_case(variable)
        })
}

/// The score terms of a dataset at examination `exam`: those of the assessments of its subject
/// recorded at that examination or at the subject level. Sorted, without duplicates.
pub(super) fn terms(
    assessments: &[Assessment],
    instruments: &HashMap<String, Instrument>,
    exam: ExaminationId,
) -> Vec<String> {
    let mut out = Vec::new();
    for a in assessments
        .iter()
        .filter(|a| a.examination.is_none_or(|e| e == exam))
    {
        let instrument = instruments.get(&a.instrument.to_ascii_lowercase());
        for (name, value) in &a.values {
            let mut paths = vec![path(&a.instrument, Some(name))];
            if is_default(instrument, &a.instrument, name) {
                paths.push(path(&a.instrument, None));
            }
            for p in &paths {
                out.push(exists_term(p));
                match value {
                    ScoreValue::Code(c) => {
                        out.push(code_term(p, c));
                        if let Some(x) = c.trim().parse::<f64>().ok().filter(|x| x.is_finite()) {
                            out.push(number_term(p, x));
                        }
                    }
                    v => {
                        if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                            out.push(number_term(p, x));
                            out.push(code_term(p, &v.to_string()));
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The query of a validated score filter on the `scores` field.
pub(super) fn query(s: &ScoreFilter, field: tantivy::schema::Field) -> Box<dyn Query> {
    let p = path(&s.instrument, s.variable.as_deref());
    let term = |t: &str| Term::from_field_text(field, t);
    match &s.test {
        ScoreTest::Any => Box::new(TermQuery::new(
            term(&exists_term(&p)),
            IndexRecordOption::Basic,
        )),
        ScoreTest::Values { values } => Box::new(TermSetQuery::new(
            values.iter().map(|v| term(&code_term(&p, v))),
        )),
        ScoreTest::Range {
            min,
            max,
            min_exclusive,
            max_exclusive,
        } => {
            // `#path#` is below every number of the path, `#path$` above them all.
            let lower = match min {
                Some(x) if *min_exclusive => Bound::Excluded(term(&number_term(&p, *x))),
                Some(x) => Bound::Included(term(&number_term(&p, *x))),
                None => Bound::Included(term(&format!("#{p}#"))),
            };
            let upper = match max {
                Some(x) if *max_exclusive => Bound::Excluded(term(&number_term(&p, *x))),
                Some(x) => Bound::Included(term(&number_term(&p, *x))),
                None => Bound::Excluded(term(&format!("#{p}$"))),
            };
            Box::new(RangeQuery::new(lower, upper))
        }
    }
}

fn err(input: &str, msg: impl std::fmt::Display) -> IndexError {
    IndexError::Query(format!(
        "filter {:?}: {msg}",
        input.chars().take(60).collect::<String>()
    ))
}

fn number(input: &str, s: &str) -> Result<f64, IndexError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| err(input, format!("{:?} is not a number", s.trim())))
}

/// Parse `score.INSTRUMENT[.VARIABLE]` (`field`) and its value: `*` (any value), `[a TO b]`
/// (inclusive, `*` for an open end; `{`/`}` exclude an end), `>a`, `>=a`, `<a`, `<=a`, one
/// number (exactly it), or codes `A,B` (any of; quoted for one code containing a comma).
pub(super) fn parse(input: &str, field: &str, value: &str) -> Result<Filter, IndexError> {
    let names = field.get(PREFIX.len()..).unwrap_or_default();
    let (instrument, variable) = match names.split_once('.') {
        Some((i, v)) => (i, Some(v.to_string())),
        None => (names, None),
    };
    if instrument.is_empty() {
        return Err(err(
            input,
            "name the instrument: score.EDSS:... or score.MMSE.total:...",
        ));
    }
    let value = value.trim();
    let test = if value == "*" {
        ScoreTest::Any
    } else if let Some(inner) = value.strip_prefix(['[', '{']) {
        let min_exclusive = value.starts_with('{');
        let (inner, max_exclusive) = if let Some(i) = inner.strip_suffix(']') {
            (i, false)
        } else if let Some(i) = inner.strip_suffix('}') {
            (i, true)
        } else {
            return Err(err(input, "a range is [min TO max] (`*` for an open end)"));
        };
        let parts: Vec<&str> = inner.split_whitespace().collect();
        let [lo, to, hi] = parts.as_slice() else {
            return Err(err(input, "a range is [min TO max] (`*` for an open end)"));
        };
        if !to.eq_ignore_ascii_case("to") {
            return Err(err(input, "a range is [min TO max] (`*` for an open end)"));
        }
        let bound = |b: &str| -> Result<Option<f64>, IndexError> {
            if b == "*" {
                Ok(None)
            } else {
                number(input, b).map(Some)
            }
        };
        let (min, max) = (bound(lo)?, bound(hi)?);
        ScoreTest::Range {
            min,
            max,
            min_exclusive: min_exclusive && min.is_some(),
            max_exclusive: max_exclusive && max.is_some(),
        }
    } else if let Some(rest) = value.strip_prefix(['>', '<']) {
        let above = value.starts_with('>');
        let (rest, inclusive) = match rest.strip_prefix('=') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let x = Some(number(input, rest)?);
        if above {
            ScoreTest::Range {
                min: x,
                max: None,
                min_exclusive: !inclusive,
                max_exclusive: false,
            }
        } else {
            ScoreTest::Range {
                min: None,
                max: x,
                min_exclusive: false,
                max_exclusive: !inclusive,
            }
        }
    } else if let Some(x) = value.parse::<f64>().ok().filter(|x| x.is_finite()) {
        ScoreTest::Range {
            min: Some(x),
            max: Some(x),
            min_exclusive: false,
            max_exclusive: false,
        }
    } else {
        let values = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(quoted) => vec![quoted.to_string()],
            None => value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
        };
        ScoreTest::Values { values }
    };
    Ok(Filter::Score(ScoreFilter {
        instrument: instrument.to_string(),
        variable,
        test,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_encoding_sorts_as_the_numbers() {
        let xs = [-1e300, -10.0, -0.5, 0.0, 1e-300, 0.5, 4.0, 4.5, 10.0, 1e300];
        for w in xs.windows(2) {
            assert!(sortable(w[0]) < sortable(w[1]), "{} {}", w[0], w[1]);
        }
        assert_eq!(sortable(-0.0), sortable(0.0));
    }

    #[test]
    fn the_text_forms_parse() {
        let p = |s: &str| {
            let (f, v) = s.split_once(':').unwrap();
            match parse(s, f, v).unwrap() {
                Filter::Score(s) => s,
                other => panic!("{other:?}"),
            }
        };
        let r = |min, max, min_exclusive, max_exclusive| ScoreTest::Range {
            min,
            max,
            min_exclusive,
            max_exclusive,
        };
        assert_eq!(
            p("score.EDSS:[4 TO 10]").test,
            r(Some(4.0), Some(10.0), false, false)
        );
        assert_eq!(
            p("score.EDSS:[4 TO *]").test,
            r(Some(4.0), None, false, false)
        );
        assert_eq!(
            p("score.EDSS:{4 TO 6}").test,
            r(Some(4.0), Some(6.0), true, true)
        );
        assert_eq!(p("score.EDSS:>4").test, r(Some(4.0), None, true, false));
        assert_eq!(p("score.EDSS:>=4").test, r(Some(4.0), None, false, false));
        assert_eq!(p("score.EDSS:<=4").test, r(None, Some(4.0), false, false));
        assert_eq!(
            p("score.EDSS:4.5").test,
            r(Some(4.5), Some(4.5), false, false)
        );
        assert_eq!(p("score.EDSS:*").test, ScoreTest::Any);
        let s = p("score.MMSE.total:<24");
        assert_eq!(
            (s.instrument.as_str(), s.variable.as_deref()),
            ("MMSE", Some("total"))
        );
        assert_eq!(s.test, r(None, Some(24.0), false, true));
        assert_eq!(
            p("score.EDSS.course:SP, PP").test,
            ScoreTest::Values {
                values: vec!["SP".into(), "PP".into()]
            }
        );
        for bad in [
            "score.:4",
            "score.EDSS:[4 TO]",
            "score.EDSS:[a TO 5]",
            "score.EDSS:>x",
            "score.EDSS:[4 TO 5",
        ] {
            let (f, v) = bad.split_once(':').unwrap();
            assert!(parse(bad, f, v).is_err(), "{bad}");
        }
    }
}
