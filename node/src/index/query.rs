//! Translation of a [`SearchQuery`] and an [`AccessScope`] into one tantivy query.
//!
//! The scope is a clause of the same boolean query as the text and the filters, so every
//! collector that runs on it (hits, total, facet counts) sees only what the caller may see.
//! Filters and the scope score nothing: relevance comes from the text alone.

use std::ops::Bound;

use protocol::query::{Filter, SearchQuery};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::schema::{self, Fields};
use crate::access::AccessScope;

/// The tokens `analyzer` makes of `text`.
pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

fn filter(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

/// The scope as a query; `None` when it restricts nothing. An empty scope is the caller's to
/// short-circuit (it gives a query matching nothing here).
pub(super) fn scope_query(scope: &AccessScope, f: &Fields) -> Option<Box<dyn Query>> {
    let entries = match scope {
        AccessScope::All => return None,
        AccessScope::Studies(v) => v,
    };
    let clauses: Vec<(Occur, Box<dyn Query>)> = entries
        .iter()
        .map(|s| {
            let study: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(f.study_id, &s.study.to_string()),
                IndexRecordOption::Basic,
            ));
            let q: Box<dyn Query> = match &s.centers {
                None => study,
                Some(centers) => Box::new(BooleanQuery::new(vec![
                    (Occur::Must, study),
                    (
                        Occur::Must,
                        Box::new(TermSetQuery::new(
                            centers
                                .iter()
                                .map(|c| Term::from_field_text(f.center_id, &c.to_string())),
                        )),
                    ),
                ])),
            };
            (Occur::Should, q)
        })
        .collect();
    Some(filter(Box::new(BooleanQuery::new(clauses))))
}

/// The free text as a query: every whitespace-separated word must match, either whole (in
/// `text_raw`: `t1_mprage_sag_1mm`) or as all of its parts (in `text`: `t1`, `mprage`...).
/// `None` when the text has no word.
pub(super) fn text_query(text: &str, f: &Fields) -> Option<Box<dyn Query>> {
    let mut words_an = schema::words_analyzer();
    let mut raw_an = schema::raw_words_analyzer();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in text.split_whitespace() {
        let parts = tokens(&mut words_an, word);
        if parts.is_empty() {
            continue;
        }
        let raw = tokens(&mut raw_an, word);
        let mut alts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for r in raw {
            alts.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.text_raw, &r),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
        let part_queries: Vec<(Occur, Box<dyn Query>)> = parts
            .iter()
            .map(|p| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(f.text, p),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Must, q)
            })
            .collect();
        alts.push((Occur::Should, Box::new(BooleanQuery::new(part_queries))));
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(alts))));
    }
    if clauses.is_empty() {
        None
    } else {
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// A filter as a query, and whether it excludes (goes under `MustNot`).
fn filter_query(fl: &Filter, f: &Fields) -> (Occur, Box<dyn Query>) {
    match fl {
        Filter::Term {
            field,
            values,
            exclude,
        } => {
            let field = f.facet(*field);
            let terms = values
                .iter()
                .map(|v| Term::from_field_text(field, &v.trim().to_lowercase()));
            let q: Box<dyn Query> = Box::new(TermSetQuery::new(terms));
            if *exclude {
                (Occur::MustNot, q)
            } else {
                (Occur::Must, filter(q))
            }
        }
        Filter::Range { field, min, max } => {
            let field = f.range(*field);
            let b = |v: &Option<f64>| match v {
                Some(x) => Bound::Included(Term::from_field_f64(field, *x)),
                None => Bound::Unbounded,
            };
            (
                Occur::Must,
                filter(Box::new(RangeQuery::new(b(min), b(max)))),
            )
        }
        Filter::Score(score) => (Occur::Must, filter(super::scores::query(score, f.scores))),
        Filter::DateRange { from, to } => {
            let b = |v: &Option<protocol::time::Date>| match v {
                Some(d) => Bound::Included(Term::from_field_i64(f.exam_date, d.days_since_epoch())),
                None => Bound::Unbounded,
            };
            (
                Occur::Must,
                filter(Box::new(RangeQuery::new(b(from), b(to)))),
            )
        }
    }
}

/// The whole query. The query must have been validated (bounds present, finite, ordered).
pub(super) fn build(query: &SearchQuery, scope: &AccessScope, f: &Fields) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(t) = query.text.as_deref().and_then(|t| text_query(t, f)) {
        clauses.push((Occur::Must, t));
    }
    for fl in &query.filters {
        clauses.push(filter_query(fl, f));
    }
    if let Some(s) = scope_query(scope, f) {
        clauses.push((Occur::Must, s));
    }
    if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
        // Only exclusions (or nothing): start from every document.
        clauses.push((Occur::Must, filter(Box::new(AllQuery))));
    }
    Box::new(BooleanQuery::new(clauses))
}
