//! The query-string language of `GET /search` (local and federated) and its translation into
//! [`SearchQuery`], and the summary of a query that the audit log keeps.
//!
//! Query string (every parameter optional, unknown parameters refused):
//! - `q`: free text.
//! - `filter` (repeatable, all must hold): `field:value`, `field:v1,v2` (any of), `-field:value`
//!   (none of), `field:"a,b"` (one value containing a comma), `field:[min TO max]` with `*` for an
//!   open bound (range fields), `exam_date:[2019-01-01 TO 2020-12-31]` or `exam_date:2020-05-01`.
//!   A range field given one number (`tr:2300`) means exactly that value. Clinical scores:
//!   `score.EDSS:[4 TO 10]`, `score.EDSS:>4`, `score.MMSE.total:<24`, `score.EDSS:*`,
//!   `score.EDSS.course:SP,PP` (docs/scores.md).
//! - `facet` (repeatable): `field` (10 values) or `field:size`.
//! - `limit` (default 20, at most 1000), `offset` (at most 10000).
//! - `sort`: `key` or `key:asc|desc` (relevance defaults to desc, other keys to asc).
//!
//! The parameter language is the index's own (`node::{parse_filter, parse_facet,
//! parse_sort}`), shared with `neurofed search`.

use protocol::query::{
    Count, FacetRequest, Filter, Page, SearchQuery, Sort, MAX_OFFSET, MAX_PAGE_SIZE,
};

use super::QueryParams;
use crate::error::{ApiError, ApiResult};

/// Default page size.
pub(super) const DEFAULT_LIMIT: u32 = 20;

pub(crate) fn bad(msg: String) -> ApiError {
    ApiError::invalid_query(msg)
}

/// The index's error for a malformed parameter, as a 400.
fn query_error(e: node::IndexError) -> ApiError {
    match e {
        node::IndexError::Query(m) => bad(m),
        other => ApiError::internal(other),
    }
}

/// Parse one `filter` parameter (the language of `node::parse_filter`).
pub(super) fn parse_filter(s: &str) -> ApiResult<Filter> {
    node::parse_filter(s).map_err(query_error)
}

/// Parse one `facet` parameter.
pub(super) fn parse_facet(s: &str) -> ApiResult<FacetRequest> {
    node::parse_facet(s).map_err(query_error)
}

/// Parse the `sort` parameter.
pub(super) fn parse_sort(s: &str) -> ApiResult<Sort> {
    node::parse_sort(s).map_err(query_error)
}

/// The whole query string of `GET /search` as a validated [`SearchQuery`].
pub(super) fn parse_query(q: &QueryParams) -> ApiResult<SearchQuery> {
    q.allow(&["q", "filter", "facet", "limit", "offset", "sort", "scope"])?;
    let text = q
        .one("q")?
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let filters = q
        .all("filter")
        .map(parse_filter)
        .collect::<ApiResult<_>>()?;
    let facets = q.all("facet").map(parse_facet).collect::<ApiResult<_>>()?;
    let size = q.number("limit", u64::from(DEFAULT_LIMIT), u64::from(MAX_PAGE_SIZE))?;
    let offset = q.number("offset", 0, u64::from(MAX_OFFSET))?;
    let sort = match q.one("sort")? {
        Some(s) => parse_sort(s)?,
        None => Sort::default(),
    };
    let query = SearchQuery {
        text,
        filters,
        facets,
        sort,
        page: Page {
            // Both bounded above by u32 limits.
            offset: u32::try_from(offset).unwrap_or(MAX_OFFSET),
            size: u32::try_from(size).unwrap_or(MAX_PAGE_SIZE),
        },
    };
    query.validate().map_err(|e| bad(e.to_string()))?;
    Ok(query)
}

/// A summary for the audit log: structure and sizes, never the free text itself (a search box
/// may receive a patient's name, and nothing identifying is written under the node's home).
pub(super) fn summary(q: &SearchQuery, total: Count) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &q.text {
        parts.push(format!("text_chars={}", t.chars().count()));
    }
    let filters: Vec<String> = q
        .filters
        .iter()
        .map(|f| match f {
            Filter::Term {
                field,
                values,
                exclude,
            } => format!(
                "{}{field}({} values)",
                if *exclude { "-" } else { "" },
                values.len()
            ),
            Filter::Range { field, min, max } => format!(
                "{field}[{} TO {}]",
                min.map_or("*".into(), |v| v.to_string()),
                max.map_or("*".into(), |v| v.to_string())
            ),
            Filter::DateRange { from, to } => format!(
                "exam_date[{} TO {}]",
                from.map_or("*".into(), |v| v.to_string()),
                to.map_or("*".into(), |v| v.to_string())
            ),
            Filter::Score(s) => match &s.test {
                protocol::query::ScoreTest::Values { values } => format!(
                    "score.{}{}({} values)",
                    s.instrument,
                    s.variable
                        .as_deref()
                        .map(|v| format!(".{v}"))
                        .unwrap_or_default(),
                    values.len()
                ),
                _ => s.to_string(),
            },
        })
        .collect();
    if !filters.is_empty() {
        parts.push(format!("filters={}", filters.join(",")));
    }
    if !q.facets.is_empty() {
        let f: Vec<String> = q.facets.iter().map(|f| f.field.to_string()).collect();
        parts.push(format!("facets={}", f.join(",")));
    }
    parts.push(format!("sort={}:{:?}", q.sort.by, q.sort.order).to_lowercase());
    parts.push(format!("page={}+{}", q.page.offset, q.page.size));
    parts.push(format!("total={total}"));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::results::SearchBody;
    use protocol::query::{FacetField, RangeField};

    fn q(pairs: &[(&str, &str)]) -> QueryParams {
        QueryParams(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn filters_parse() {
        assert_eq!(
            parse_filter("modality:MR,CT").ok(),
            Some(Filter::Term {
                field: FacetField::Modality,
                values: vec!["MR".into(), "CT".into()],
                exclude: false
            })
        );
        assert_eq!(
            parse_filter("-nature:\"a,b\"").ok(),
            Some(Filter::Term {
                field: FacetField::Nature,
                values: vec!["a,b".into()],
                exclude: true
            })
        );
        assert_eq!(
            parse_filter("tr:[1000 TO *]").ok(),
            Some(Filter::Range {
                field: RangeField::Tr,
                min: Some(1000.0),
                max: None
            })
        );
        assert_eq!(
            parse_filter("field_strength:[2.9 to 3.1]").ok(),
            Some(Filter::Range {
                field: RangeField::FieldStrength,
                min: Some(2.9),
                max: Some(3.1)
            })
        );
        assert!(matches!(
            parse_filter("field_strength:3").ok(),
            Some(Filter::Term { .. })
        ));
        assert_eq!(
            parse_filter("te:30").ok(),
            Some(Filter::Range {
                field: RangeField::Te,
                min: Some(30.0),
                max: Some(30.0)
            })
        );
        assert_eq!(
            parse_filter("exam_date:[2019-01-01 TO 2020-12-31]").ok(),
            Some(Filter::DateRange {
                from: "2019-01-01".parse().ok(),
                to: "2020-12-31".parse().ok()
            })
        );
    }

    #[test]
    fn bad_filters_say_why() {
        let msg = |s: &str| parse_filter(s).err().map(|e| e.message).unwrap_or_default();
        assert!(
            msg("colour:red").contains("modality"),
            "{}",
            msg("colour:red")
        );
        assert!(msg("nomodality").contains("field:value"));
        assert!(msg("modality:").contains("no value"));
        assert!(msg("tr:[1 TO").contains("[min TO max]"));
        assert!(msg("tr:[a TO 2]").contains("not a number"));
        assert!(msg("tr:[1 2]").contains("[min TO max]"));
        assert!(msg("modality:[1 TO 2]").contains("not a range field"));
        assert!(msg("exam_date:[2019-13-01 TO *]").contains("not a date"));
        assert!(msg("tr:[NaN TO 1]").contains("not a number"));
        assert!(msg("tr:[inf TO *]").contains("not a number"));
    }

    #[test]
    fn whole_queries_validate() {
        let ok = parse_query(&q(&[
            ("q", "flair"),
            ("filter", "modality:MR"),
            ("facet", "nature:5"),
            ("facet", "center"),
            ("sort", "exam_date:desc"),
            ("limit", "50"),
        ]));
        let ok = ok.ok();
        assert_eq!(ok.as_ref().map(|q| q.facets.len()), Some(2));
        assert_eq!(ok.as_ref().map(|q| q.page.size), Some(50));
        for bad in [
            vec![("limit", "100000")],
            vec![("offset", "99999999")],
            vec![("facet", "nature:0")],
            vec![("facet", "nature"), ("facet", "nature")],
            vec![("facet", "colour")],
            vec![("sort", "colour")],
            vec![("sort", "study:up")],
            vec![("filter", "tr:[5 TO 1]")],
            vec![("q", "a"), ("q", "b")],
            vec![("qq", "a")],
        ] {
            assert!(parse_query(&q(&bad)).is_err(), "{bad:?}");
        }
        let long = "x".repeat(5000);
        assert!(parse_query(&q(&[("q", &long)])).is_err());
    }

    #[test]
    fn facets_keep_their_order_in_json() {
        use protocol::query::{FacetCounts, FacetField, FacetValue, SearchResults};
        let results = SearchResults {
            total: Count::Exact(3),
            hits: vec![],
            facets: vec![FacetCounts {
                field: FacetField::Nature,
                values: vec![
                    FacetValue {
                        value: "T2w".into(),
                        count: Count::Exact(2),
                    },
                    FacetValue {
                        value: "BOLD".into(),
                        count: Count::Exact(1),
                    },
                ],
                other: Count::Exact(0),
                error_bound: None,
            }],
        };
        let body = SearchBody::new(results.clone(), &[]).ok();
        let s = serde_json::to_string(&body).unwrap_or_default();
        assert!(
            s.contains(r#""facets":{"nature":{"T2w":2,"BOLD":1}}"#),
            "{s}"
        );
        let back: Option<SearchBody> = serde_json::from_str(&s).ok();
        assert_eq!(back, body, "read back as written");
        // A suppressed count has no place in a local answer: an error, not a made-up number.
        let mut suppressed = results;
        suppressed.facets[0].values[1].count = Count::Below(5);
        assert!(SearchBody::new(suppressed, &[]).is_err());
    }

    #[test]
    fn audit_summary_has_no_free_text() {
        let query = parse_query(&q(&[("q", "Schmidt Lukas"), ("filter", "modality:MR")]));
        let s = query
            .map(|q| summary(&q, Count::Exact(4)))
            .unwrap_or_default();
        assert!(!s.contains("Schmidt"), "{s}");
        assert!(s.contains("text_chars=13") && s.contains("total=4"), "{s}");
    }
}
