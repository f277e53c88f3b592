//! Merging the members' answers into one result: a pure function, tested without a network.
//!
//! - **Counts** (totals, facet values, `other`) are summed. A suppressed count (`"<k"`, from a
//!   count-only answer) is at most k-1 (zero included, `Count::coarse`): it adds 1 to the
//!   merged count, so that a value seen somewhere ranks above one seen nowhere, and k-2 to the
//!   uncertainty (the other counts of a count-only answer are rounded down to multiples of k:
//!   summed as given, a lower bound); a value that only suppressed counts make up stays suppressed (`"<K"` with K-1
//!   the sum of their maxima), so a merge never reveals a small cell a node hid.
//! - **Top-k facets.** [`plan`] asks every member for all values of a facet (up to
//!   [`MAX_FACET_SIZE`]) unless the field may have very many values ([`FacetField::Tags`],
//!   [`FacetField::Model`]), which are over-requested (`1.5 k + 10`). A member's list is complete
//!   when its `other` is 0; then its counts are exact. When a member's list is incomplete, a value
//!   it did not list may still occur there, at most `min(smallest count it listed, its other)`
//!   times (the reasoning of tantivy's `merge_fruits` and of distributed top-k). A merged count is
//!   therefore short of the truth by at most the sum of those bounds over the incomplete members
//!   that did not list the value; the facet's `error_bound` is the largest such shortfall among
//!   the values kept (absent when every listed count is exact).
//! - **Hits** are merged by the query's sort key, ties broken by (node, dataset id), so the order
//!   is total and does not depend on the order in which members answered. Each member is asked
//!   for `offset + size` hits; the merge keeps `size` after skipping `offset`.
//!
//! The merge is commutative: any order of the members' answers gives the same result.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use protocol::keys::PublicKey;
use protocol::query::{
    Count, FacetCounts, FacetField, FacetValue, Hit, Page, SearchQuery, SearchResults, Sort,
    SortKey, SortOrder, MAX_FACET_SIZE, MAX_PAGE_SIZE,
};

/// One member's answer, as merged.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeResults {
    /// Who answered.
    pub node: PublicKey,
    /// What it answered.
    pub results: SearchResults,
}

/// Whether a facet field may have more values than a member can list.
pub fn high_cardinality(field: FacetField) -> bool {
    matches!(field, FacetField::Tags | FacetField::Model)
}

/// How many values to ask each member for, for a facet of `size` values.
pub fn member_facet_size(field: FacetField, size: u32) -> u32 {
    if high_cardinality(field) {
        let over = u64::from(size) * 3 / 2 + 10;
        over.min(u64::from(MAX_FACET_SIZE)) as u32
    } else {
        MAX_FACET_SIZE
    }
}

/// Why a query cannot be federated as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `offset + size` beyond what a member may be asked for.
    #[error("a federated search reaches at most {max} hits (offset {offset} + size {size}): narrow the query")]
    TooDeep {
        /// Offset asked.
        offset: u32,
        /// Page size asked.
        size: u32,
        /// The limit on offset + size.
        max: u32,
    },
}

/// The query each member is sent for `query`: the first `offset + size` hits, and facets
/// over-requested as described in the module documentation.
pub fn plan(query: &SearchQuery) -> Result<SearchQuery, PlanError> {
    let Page { offset, size } = query.page;
    let depth = offset.saturating_add(size);
    if depth > MAX_PAGE_SIZE {
        return Err(PlanError::TooDeep {
            offset,
            size,
            max: MAX_PAGE_SIZE,
        });
    }
    let mut q = query.clone();
    q.page = Page {
        offset: 0,
        size: depth,
    };
    for f in &mut q.facets {
        f.size = member_facet_size(f.field, f.size).max(f.size);
    }
    Ok(q)
}

/// Sum of counts, some of which may be suppressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CountSum {
    exact: u64,
    suppressed: u64,
    /// Sum over suppressed cells of their largest possible value (k - 1).
    suppressed_max: u64,
}

impl CountSum {
    fn add(&mut self, c: Count) {
        match c {
            Count::Exact(n) => self.exact = self.exact.saturating_add(n),
            Count::Below(k) => {
                self.suppressed += 1;
                self.suppressed_max = self
                    .suppressed_max
                    .saturating_add(u64::from(k).saturating_sub(1));
            }
        }
    }

    /// The lower estimate used for ordering: each suppressed cell is at least 1.
    fn estimate(&self) -> u64 {
        self.exact.saturating_add(self.suppressed)
    }

    /// How much the true value may exceed `count()`.
    fn uncertainty(&self) -> u64 {
        if self.exact == 0 {
            0
        } else {
            self.suppressed_max.saturating_sub(self.suppressed)
        }
    }

    fn count(&self) -> Count {
        if self.suppressed == 0 {
            Count::Exact(self.exact)
        } else if self.exact == 0 {
            let k = self.suppressed_max.saturating_add(1);
            Count::Below(u32::try_from(k).unwrap_or(u32::MAX))
        } else {
            Count::Exact(self.estimate())
        }
    }
}

#[derive(Debug, Default)]
struct ValueAcc {
    sum: CountSum,
    /// Sum of the bounds of the incomplete members that listed this value.
    listed_bound: u64,
}

/// Merge the members' answers to `query` (the query as the user asked it, not the planned one).
pub fn merge(query: &SearchQuery, parts: &[NodeResults]) -> SearchResults {
    let mut total = CountSum::default();
    for p in parts {
        total.add(p.results.total);
    }
    SearchResults {
        total: total.count(),
        hits: merge_hits(query.sort, query.page, parts),
        facets: query
            .facets
            .iter()
            .map(|f| merge_facet(f.field, f.size, parts))
            .collect(),
    }
}

fn merge_facet(field: FacetField, size: u32, parts: &[NodeResults]) -> FacetCounts {
    let mut values: BTreeMap<&str, ValueAcc> = BTreeMap::new();
    let mut other = CountSum::default();
    let mut incomplete_bound = 0u64;
    for p in parts {
        let Some(fc) = p.results.facets.iter().find(|f| f.field == field) else {
            // No counts for this facet: any value may be missing, up to the member's total.
            incomplete_bound = incomplete_bound.saturating_add(p.results.total.upper_bound());
            other.add(p.results.total);
            continue;
        };
        let bound = member_bound(fc);
        incomplete_bound = incomplete_bound.saturating_add(bound);
        other.add(fc.other);
        // A member listing a value twice is malformed; count it once.
        let mut seen = std::collections::BTreeSet::new();
        for v in &fc.values {
            if !seen.insert(v.value.as_str()) {
                continue;
            }
            let acc = values.entry(v.value.as_str()).or_default();
            acc.sum.add(v.count);
            acc.listed_bound = acc.listed_bound.saturating_add(bound);
        }
    }
    let mut ranked: Vec<(&str, ValueAcc)> = values.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.sum
            .estimate()
            .cmp(&a.1.sum.estimate())
            .then_with(|| a.0.cmp(b.0))
    });
    let keep = (size as usize).min(ranked.len());
    let mut error_bound = 0u64;
    let mut out = Vec::with_capacity(keep);
    for (i, (value, acc)) in ranked.into_iter().enumerate() {
        if i < keep {
            let missing = incomplete_bound.saturating_sub(acc.listed_bound);
            error_bound = error_bound.max(missing.saturating_add(acc.sum.uncertainty()));
            out.push(FacetValue {
                value: value.to_string(),
                count: acc.sum.count(),
            });
        } else {
            other.exact = other.exact.saturating_add(acc.sum.exact);
            other.suppressed += acc.sum.suppressed;
            other.suppressed_max = other.suppressed_max.saturating_add(acc.sum.suppressed_max);
        }
    }
    FacetCounts {
        field,
        values: out,
        other: other.count(),
        error_bound: (error_bound > 0).then_some(error_bound),
    }
}

/// How many times a value a member did not list may occur there.
fn member_bound(fc: &FacetCounts) -> u64 {
    let other = fc.other.upper_bound();
    if other == 0 {
        return 0;
    }
    match fc.values.iter().map(|v| v.count.upper_bound()).min() {
        Some(smallest) => smallest.min(other),
        None => other,
    }
}

fn merge_hits(sort: Sort, page: Page, parts: &[NodeResults]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = parts
        .iter()
        .flat_map(|p| {
            p.results.hits.iter().map(move |h| {
                let mut h = h.clone();
                h.node = Some(p.node);
                h
            })
        })
        .collect();
    hits.sort_by(|a, b| compare_hits(sort, a, b));
    hits.into_iter()
        .skip(page.offset as usize)
        .take(page.size as usize)
        .collect()
}

/// Missing values sort last in either direction.
fn by_key<T: Ord>(a: Option<T>, b: Option<T>, order: SortOrder) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match order {
            SortOrder::Asc => a.cmp(&b),
            SortOrder::Desc => b.cmp(&a),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Scores ordered by `total_cmp` (peers' scores are finite, checked at decoding).
struct Score(f32);
impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The merged order of hits: the sort key in the asked direction, then node, then dataset id.
pub fn compare_hits(sort: Sort, a: &Hit, b: &Hit) -> Ordering {
    let o = sort.order;
    let primary = match sort.by {
        SortKey::Relevance => by_key(a.score.map(Score), b.score.map(Score), o),
        SortKey::ExamDate => by_key(a.exam_date, b.exam_date, o),
        SortKey::Study => by_key(Some(&a.study.name), Some(&b.study.name), o),
        SortKey::Center => by_key(Some(&a.center), Some(&b.center), o),
        SortKey::Subject => by_key(Some(&a.subject), Some(&b.subject), o),
        SortKey::Modality => by_key(Some(&a.modality), Some(&b.modality), o),
        SortKey::Nature => by_key(a.nature.as_ref(), b.nature.as_ref(), o),
        SortKey::QcGrade => by_key(a.qc_grade, b.qc_grade, o),
    };
    primary
        .then_with(|| a.node.cmp(&b.node))
        .then_with(|| a.dataset.to_bytes().cmp(&b.dataset.to_bytes()))
}

#[cfg(test)]
mod tests;
