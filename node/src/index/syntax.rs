//! The text syntax of filters, facets and sorts, shared by the CLI (`neurofed search --filter`)
//! and the HTTP API (`GET /api/v1/search?filter=...`):
//!
//! - filter: `field:value`, `field:a,b` (any of), `field:"a, b"` (one value containing a comma),
//!   `-field:value` (none of), `field:[min TO max]` with `*` for an open bound (range fields, and
//!   `exam_date` with `YYYY-MM-DD` bounds), `te:30` (a range field given one number: exactly
//!   that), `exam_date:YYYY-MM-DD` (that day); scores: `score.EDSS:[4 TO 10]`, `score.EDSS:>4`,
//!   `score.MMSE.total:<24`, `score.EDSS:*` (any value), `score.EDSS.course:SP,PP` (codes);
//! - facet: `field` or `field:size` (default size [`DEFAULT_FACET_SIZE`]);
//! - sort: `key` or `key:asc` / `key:desc` (`relevance` defaults to descending, other keys to
//!   ascending).
//!
//! The same language as the HTTP API's `GET /api/v1/search` (docs/api.md).
//!
//! Every parser checks the protocol's limits and answers [`IndexError::Query`] with a message
//! that says what is wrong and what is accepted; none panics, whatever the input.

use protocol::query::{
    FacetField, FacetRequest, Filter, RangeField, SearchQuery, Sort, SortKey, SortOrder,
};
use protocol::time::Date;

use super::IndexError;

/// Facet size when none is given.
pub const DEFAULT_FACET_SIZE: u32 = 10;

/// The name of the examination date in filters.
pub(super) const EXAM_DATE: &str = "exam_date";

fn err(msg: impl Into<String>) -> IndexError {
    IndexError::Query(msg.into())
}

fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// Parse one filter.
pub fn parse_filter(input: &str) -> Result<Filter, IndexError> {
    let s = input.trim();
    let (exclude, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let Some((field, value)) = s.split_once(':') else {
        return Err(err(format!(
            "filter {:?}: expected field:value or field:[min TO max]",
            short(input)
        )));
    };
    let field = field.trim();
    let value = value.trim();
    if value.is_empty() {
        return Err(err(format!("filter {:?} has no value", short(input))));
    }
    let filter = if field.starts_with(super::scores::PREFIX) {
        if exclude {
            return Err(err(format!(
                "filter {:?}: a score filter cannot be excluded",
                short(input)
            )));
        }
        super::scores::parse(input, field, value)?
    } else if let Some(inner) = value.strip_prefix('[') {
        let Some(inner) = inner.strip_suffix(']') else {
            return Err(err(format!(
                "filter {:?}: a range is [min TO max]",
                short(input)
            )));
        };
        if exclude {
            return Err(err(format!(
                "filter {:?}: a range cannot be excluded",
                short(input)
            )));
        }
        range_filter(input, field, inner)?
    } else if field == EXAM_DATE {
        if exclude {
            return Err(err(format!(
                "filter {:?}: a date cannot be excluded",
                short(input)
            )));
        }
        let d = parse_date(input, unquote(value))?;
        Filter::DateRange {
            from: Some(d),
            to: Some(d),
        }
    } else if let Ok(facet) = field.parse::<FacetField>() {
        let values: Vec<String> = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(quoted) => vec![quoted.to_string()],
            None => value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
        };
        Filter::Term {
            field: facet,
            values,
            exclude,
        }
    } else if let Ok(range) = field.parse::<RangeField>() {
        if exclude {
            return Err(err(format!(
                "filter {:?}: a range field cannot be excluded",
                short(input)
            )));
        }
        let v = number(input, value)?;
        Filter::Range {
            field: range,
            min: Some(v),
            max: Some(v),
        }
    } else {
        return Err(err(format!(
            "filter {:?}: unknown field {:?} (fields: {}, {EXAM_DATE}; ranges: {}; scores: score.INSTRUMENT[.VARIABLE])",
            short(input),
            short(field),
            names(FacetField::ALL),
            names(RangeField::ALL)
        )));
    };
    check(SearchQuery {
        filters: vec![filter.clone()],
        ..Default::default()
    })?;
    Ok(filter)
}

fn parse_date(input: &str, s: &str) -> Result<Date, IndexError> {
    s.parse::<Date>().map_err(|_| {
        err(format!(
            "filter {:?}: {:?} is not a date (YYYY-MM-DD)",
            short(input),
            short(s)
        ))
    })
}

fn number(input: &str, b: &str) -> Result<f64, IndexError> {
    match b.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(err(format!(
            "filter {:?}: {:?} is not a number",
            short(input),
            short(b)
        ))),
    }
}

fn range_filter(input: &str, field: &str, inner: &str) -> Result<Filter, IndexError> {
    let parts: Vec<&str> = inner.split_whitespace().collect();
    let (lo, hi) = match parts.as_slice() {
        [lo, to, hi] if to.eq_ignore_ascii_case("to") => (*lo, *hi),
        _ => {
            return Err(err(format!(
                "filter {:?}: a range is [min TO max] (`*` for an open bound)",
                short(input)
            )))
        }
    };
    let open = |b: &str| b == "*";
    if field == EXAM_DATE {
        let bound = |b: &str| -> Result<Option<Date>, IndexError> {
            if open(b) {
                Ok(None)
            } else {
                parse_date(input, b).map(Some)
            }
        };
        return Ok(Filter::DateRange {
            from: bound(lo)?,
            to: bound(hi)?,
        });
    }
    let field: RangeField = field.parse().map_err(|_| {
        err(format!(
            "filter {:?}: {:?} is not a range field (ranges: {}, {EXAM_DATE})",
            short(input),
            short(field),
            names(RangeField::ALL)
        ))
    })?;
    let bound = |b: &str| -> Result<Option<f64>, IndexError> {
        if open(b) {
            Ok(None)
        } else {
            number(input, b).map(Some)
        }
    };
    Ok(Filter::Range {
        field,
        min: bound(lo)?,
        max: bound(hi)?,
    })
}

/// Parse one facet request.
pub fn parse_facet(input: &str) -> Result<FacetRequest, IndexError> {
    let s = input.trim();
    let (name, size) = match s.split_once(':') {
        Some((n, size)) => {
            let size = size.trim().parse::<u32>().map_err(|_| {
                err(format!(
                    "facet {:?}: the size must be a whole number",
                    short(input)
                ))
            })?;
            (n.trim(), size)
        }
        None => (s, DEFAULT_FACET_SIZE),
    };
    let field: FacetField = name.parse().map_err(|_| {
        err(format!(
            "facet {:?}: unknown field (fields: {})",
            short(name),
            names(FacetField::ALL)
        ))
    })?;
    let request = FacetRequest { field, size };
    check(SearchQuery {
        facets: vec![request],
        ..Default::default()
    })?;
    Ok(request)
}

/// Parse a sort.
pub fn parse_sort(input: &str) -> Result<Sort, IndexError> {
    let s = input.trim();
    let (key, order) = match s.split_once(':') {
        Some((k, o)) => {
            let o = o.trim();
            let order = if o.eq_ignore_ascii_case("asc") {
                SortOrder::Asc
            } else if o.eq_ignore_ascii_case("desc") {
                SortOrder::Desc
            } else {
                return Err(err(format!(
                    "sort {:?}: order {:?} is not asc or desc",
                    short(input),
                    short(o)
                )));
            };
            (k.trim(), Some(order))
        }
        None => (s, None),
    };
    let by: SortKey = key.parse().map_err(|_| {
        err(format!(
            "sort {:?}: unknown key (keys: {})",
            short(key),
            names(SortKey::ALL)
        ))
    })?;
    let order = order.unwrap_or(if by == SortKey::Relevance {
        SortOrder::Desc
    } else {
        SortOrder::Asc
    });
    Ok(Sort { by, order })
}

fn check(q: SearchQuery) -> Result<(), IndexError> {
    q.validate().map_err(|e| err(e.to_string()))
}
