//! Completions of what a user is typing, over names and descriptions, within their scope.
//!
//! The last word typed is a prefix: it expands to the indexed words that start with it (from
//! each segment's term dictionary, bounded); the words before it must match whole. The query
//! runs with the caller's scope like any search, and the completions are the distinct values
//! of the `suggest` column of the matching datasets, most frequent first, keeping those that
//! contain every typed word (the last one as a prefix). Nothing outside the scope is counted,
//! so nothing outside it is suggested.

use std::collections::BTreeSet;

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use super::collect::SearchCollector;
use super::query::tokens;
use super::schema::{self, Fields};
use super::IndexError;

/// Most index words one prefix expands to.
const MAX_EXPANSIONS: usize = 1024;
/// Most completions asked at once.
pub(super) const MAX_SUGGEST: usize = 100;
/// Longest prefix, in bytes.
pub(super) const MAX_PREFIX: usize = 256;

fn engine(e: impl std::fmt::Display) -> IndexError {
    IndexError::Engine(e.to_string())
}

/// Completions of `prefix` among the datasets `scope` (a query, `None`: everything) matches.
pub(super) fn suggest(
    searcher: &Searcher,
    f: &Fields,
    prefix: &str,
    scope: Option<Box<dyn Query>>,
    limit: usize,
) -> Result<Vec<String>, IndexError> {
    if prefix.len() > MAX_PREFIX {
        return Err(IndexError::Query(format!(
            "the prefix is {} bytes long, the limit is {MAX_PREFIX}",
            prefix.len()
        )));
    }
    if limit > MAX_SUGGEST {
        return Err(IndexError::Query(format!(
            "{limit} completions asked, the limit is {MAX_SUGGEST}"
        )));
    }
    let mut words = tokens(&mut schema::words_analyzer(), prefix);
    let Some(last) = words.pop() else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut expansions = BTreeSet::new();
    'segments: for seg in searcher.segment_readers() {
        let inverted = seg.inverted_index(f.text).map_err(engine)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(last.as_bytes())
            .into_stream()
            .map_err(engine)?;
        while stream.advance() {
            let key = stream.key();
            if !key.starts_with(last.as_bytes()) {
                break;
            }
            if let Ok(k) = std::str::from_utf8(key) {
                expansions.insert(k.to_string());
                if expansions.len() >= MAX_EXPANSIONS {
                    break 'segments;
                }
            }
        }
    }
    if expansions.is_empty() {
        return Ok(Vec::new());
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(TermSetQuery::new(
            expansions.iter().map(|t| Term::from_field_text(f.text, t)),
        )),
    )];
    for w in &words {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.text, w),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if let Some(s) = scope {
        clauses.push((Occur::Must, s));
    }
    let collected = searcher
        .search(
            &BooleanQuery::new(clauses),
            &SearchCollector::counting(&["suggest"]),
        )
        .map_err(engine)?;
    let mut analyzer = schema::words_analyzer();
    let mut found: Vec<(String, u64)> = collected
        .facets
        .into_iter()
        .next()
        .unwrap_or_default()
        .into_iter()
        .filter(|(value, _)| {
            let toks = tokens(&mut analyzer, value);
            toks.iter().any(|t| t.starts_with(&last)) && words.iter().all(|w| toks.contains(w))
        })
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(found.into_iter().take(limit).map(|(v, _)| v).collect())
}
