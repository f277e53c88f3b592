//! One pass over the matching documents: the total, the facet counts and the top `k` hits in
//! sort order, per segment, then merged. Facet counts and sort keys read fast columns; string
//! columns are compared by term ordinal inside a segment (ordinals follow the term order) and
//! turned into text only for the few values that leave it.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use protocol::query::{FacetCounts, FacetField, SortKey, SortOrder};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::facet_name;

/// A sort value leaving a segment.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub(super) enum SortValue {
    /// Score, date or rank.
    Num(f64),
    /// A string column's value.
    Text(String),
}

/// One hit candidate.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// Primary sort value (`None`: missing, sorts last whatever the order).
    pub key: Option<SortValue>,
    /// The dataset id as a 128-bit number (the tie-breaker, ascending).
    pub id: u128,
    /// Where the document is.
    pub address: DocAddress,
    /// Its score.
    pub score: Score,
}

/// What the collector returns.
#[derive(Debug, Default)]
pub(super) struct Collected {
    /// Matching documents.
    pub total: u64,
    /// Counts per facet asked, value -> documents.
    pub facets: Vec<HashMap<String, u64>>,
    /// The best `k` candidates, in order.
    pub top: Vec<Candidate>,
}

/// Where the sort key comes from.
#[derive(Debug, Clone)]
enum KeySource {
    Score,
    I64(&'static str),
    U64(&'static str),
    Str(String),
}

/// The collector of a search.
#[derive(Debug)]
pub(super) struct SearchCollector {
    facets: Vec<String>,
    source: KeySource,
    desc: bool,
    k: usize,
    scoring: bool,
}

impl SearchCollector {
    /// Count `facets`, keep the best `k` hits by `key`/`order`; `scoring` when text is present.
    pub(super) fn new(
        facets: &[FacetField],
        key: SortKey,
        order: SortOrder,
        k: usize,
        scoring: bool,
    ) -> Self {
        let source = match key {
            SortKey::Relevance => KeySource::Score,
            SortKey::ExamDate => KeySource::I64("exam_date"),
            SortKey::QcGrade => KeySource::U64("qc_rank"),
            SortKey::Subject => KeySource::Str("subject".into()),
            SortKey::Study => KeySource::Str(facet_name(FacetField::Study)),
            SortKey::Center => KeySource::Str(facet_name(FacetField::Center)),
            SortKey::Modality => KeySource::Str(facet_name(FacetField::Modality)),
            SortKey::Nature => KeySource::Str(facet_name(FacetField::Nature)),
        };
        SearchCollector {
            facets: facets.iter().map(|f| facet_name(*f)).collect(),
            source,
            desc: order == SortOrder::Desc,
            k,
            scoring: scoring && key == SortKey::Relevance,
        }
    }

    /// Only count the values of these string columns (no hits, no scoring).
    pub(super) fn counting(columns: &[&str]) -> Self {
        SearchCollector {
            facets: columns.iter().map(|c| c.to_string()).collect(),
            source: KeySource::Score,
            desc: true,
            k: 0,
            scoring: false,
        }
    }
}

/// Per-segment sort key column.
enum KeyColumn {
    Score,
    I64(Column<i64>),
    U64(Column<u64>),
    Str(Option<StrColumn>),
}

/// A candidate inside a segment: smaller is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SegEntry {
    missing: bool,
    /// The primary value, negated for a descending sort.
    key: i128,
    id: u128,
    doc: DocId,
    score_bits: u32,
}

/// Segment side of [`SearchCollector`].
#[allow(missing_debug_implementations)] // holds column readers without Debug
pub(super) struct SearchSegment {
    segment: SegmentOrdinal,
    total: u64,
    facet_cols: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
    key: KeyColumn,
    desc: bool,
    id_hi: Column<u64>,
    id_lo: Column<u64>,
    k: usize,
    heap: BinaryHeap<SegEntry>,
}

/// Order-preserving map of a float to an integer.
fn f32_key(s: f32) -> i128 {
    let b = s.to_bits() as i32;
    i128::from(if b < 0 { !b | i32::MIN } else { b })
}

impl Collector for SearchCollector {
    type Fruit = Collected;
    type Child = SearchSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SearchSegment> {
        let ff = reader.fast_fields();
        let mut facet_cols = Vec::with_capacity(self.facets.len());
        let mut counts = Vec::with_capacity(self.facets.len());
        for name in &self.facets {
            let col = ff.str(name)?;
            counts.push(vec![0u32; col.as_ref().map_or(0, |c| c.num_terms())]);
            facet_cols.push(col);
        }
        let key = match &self.source {
            KeySource::Score => KeyColumn::Score,
            KeySource::I64(n) => KeyColumn::I64(ff.i64(n)?),
            KeySource::U64(n) => KeyColumn::U64(ff.u64(n)?),
            KeySource::Str(n) => KeyColumn::Str(ff.str(n)?),
        };
        Ok(SearchSegment {
            segment,
            total: 0,
            facet_cols,
            counts,
            key,
            desc: self.desc,
            id_hi: ff.u64("id_hi")?,
            id_lo: ff.u64("id_lo")?,
            k: self.k,
            heap: BinaryHeap::with_capacity(self.k.min(4096) + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut out = Collected {
            facets: vec![HashMap::new(); self.facets.len()],
            ..Default::default()
        };
        for fruit in fruits {
            out.total += fruit.total;
            for (acc, counts) in out.facets.iter_mut().zip(fruit.facets) {
                for (v, n) in counts {
                    *acc.entry(v).or_default() += n;
                }
            }
            out.top.extend(fruit.top);
        }
        let desc = self.desc;
        out.top.sort_by(|a, b| compare(a, b, desc));
        out.top.truncate(self.k);
        Ok(out)
    }
}

/// Order of candidates from different segments: key (missing last), then id ascending.
pub(super) fn compare(a: &Candidate, b: &Candidate, desc: bool) -> Ordering {
    let primary = match (&a.key, &b.key) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = x.partial_cmp(y).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    };
    primary.then(a.id.cmp(&b.id))
}

impl SegmentCollector for SearchSegment {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        for (col, counts) in self.facet_cols.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.ords().values_for_doc(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
        if self.k == 0 {
            return;
        }
        let raw: Option<i128> = match &self.key {
            KeyColumn::Score => Some(f32_key(score)),
            KeyColumn::I64(c) => c.first(doc).map(i128::from),
            KeyColumn::U64(c) => c.first(doc).map(i128::from),
            KeyColumn::Str(c) => c.as_ref().and_then(|c| c.ords().first(doc)).map(i128::from),
        };
        let id = (u128::from(self.id_hi.first(doc).unwrap_or(0)) << 64)
            | u128::from(self.id_lo.first(doc).unwrap_or(0));
        let entry = SegEntry {
            missing: raw.is_none(),
            key: raw.map_or(0, |v| if self.desc { -v } else { v }),
            id,
            doc,
            score_bits: score.to_bits(),
        };
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if let Some(worst) = self.heap.peek() {
            if entry < *worst {
                self.heap.pop();
                self.heap.push(entry);
            }
        }
    }

    fn harvest(self) -> Collected {
        let mut facets = Vec::with_capacity(self.counts.len());
        for (col, counts) in self.facet_cols.iter().zip(&self.counts) {
            let mut m = HashMap::new();
            if let Some(col) = col {
                let mut s = String::new();
                for (ord, &n) in counts.iter().enumerate() {
                    if n > 0 {
                        s.clear();
                        if col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                            m.insert(s.clone(), u64::from(n));
                        }
                    }
                }
            }
            facets.push(m);
        }
        let desc = self.desc;
        let mut top = Vec::with_capacity(self.heap.len());
        let mut text = String::new();
        for e in self.heap.into_vec() {
            let key = if e.missing {
                None
            } else {
                let v = if desc { -e.key } else { e.key };
                match &self.key {
                    KeyColumn::Score => {
                        Some(SortValue::Num(f64::from(f32::from_bits(e.score_bits))))
                    }
                    KeyColumn::I64(_) | KeyColumn::U64(_) => Some(SortValue::Num(v as f64)),
                    KeyColumn::Str(c) => c.as_ref().and_then(|c| {
                        text.clear();
                        match c.ord_to_str(v as u64, &mut text) {
                            Ok(true) => Some(SortValue::Text(text.clone())),
                            _ => None,
                        }
                    }),
                }
            };
            top.push(Candidate {
                key,
                id: e.id,
                address: DocAddress::new(self.segment, e.doc),
                score: f32::from_bits(e.score_bits),
            });
        }
        top.sort_by(|a, b| compare(a, b, desc));
        Collected {
            total: self.total,
            facets,
            top,
        }
    }
}

/// Facet counts for the protocol: the `size` most frequent values (count descending, then
/// value), and the sum of the others' counts.
pub(super) fn facet_counts(
    field: FacetField,
    counts: HashMap<String, u64>,
    size: usize,
) -> FacetCounts {
    FacetCounts::ranked(field, counts, size)
}
