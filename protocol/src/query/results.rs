//! Search results: hits (dataset summaries), totals and facet counts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FacetField, MAX_FACETS, MAX_PAGE_SIZE};
use crate::content::ContentId;
use crate::id::{DatasetId, StudyId};
use crate::keys::PublicKey;
use crate::time::Date;

/// A count, exact or suppressed. Suppressed counts protect small groups of subjects (k-anonymity):
/// a count between 1 and `k - 1` is reported as `Below(k)`, text form `"<k"` (in count-only
/// answers, [`Count::coarse`], zero too, and the other counts are rounded down to multiples of k). JSON and CBOR: an
/// integer, or the string `"<k"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    /// Exactly this many.
    Exact(u64),
    /// Fewer than this many: at least 1 ([`Count::suppressed`]), or possibly 0 in a count-only
    /// answer ([`Count::coarse`]).
    Below(u32),
}

impl Count {
    /// `n`, suppressed when `0 < n < threshold`.
    pub fn suppressed(n: u64, threshold: u32) -> Count {
        if n > 0 && n < u64::from(threshold) {
            Count::Below(threshold)
        } else {
            Count::Exact(n)
        }
    }

    /// `n` in a count-only answer: below `threshold` (zero included) it is `Below(threshold)`,
    /// else it is rounded down to a multiple of `threshold`. Neither a small cell nor an empty
    /// one is told, and two answers (a query and its complement, or a narrower one) differ by
    /// a multiple of `threshold`, so differencing them bounds a cell only to within
    /// `threshold`. A threshold below 2 suppresses nothing.
    pub fn coarse(n: u64, threshold: u32) -> Count {
        if threshold < 2 {
            return Count::Exact(n);
        }
        let k = u64::from(threshold);
        if n < k {
            Count::Below(threshold)
        } else {
            Count::Exact(n / k * k)
        }
    }

    /// The exact value, if not suppressed.
    pub fn exact(self) -> Option<u64> {
        match self {
            Count::Exact(n) => Some(n),
            Count::Below(_) => None,
        }
    }

    /// An upper bound of the true value.
    pub fn upper_bound(self) -> u64 {
        match self {
            Count::Exact(n) => n,
            Count::Below(k) => u64::from(k).saturating_sub(1),
        }
    }
}

impl Default for Count {
    fn default() -> Self {
        Count::Exact(0)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Below(k) => write!(f, "<{k}"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => s.serialize_u64(*n),
            Count::Below(_) => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count: an integer or \"<k\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count::Exact(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count::Exact)
                    .map_err(|_| E::custom("a count is not negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Count, E> {
                v.strip_prefix('<')
                    .filter(|k| !k.starts_with('0') && !k.starts_with('+'))
                    .and_then(|k| k.parse::<u32>().ok())
                    .filter(|&k| k >= 2)
                    .map(Count::Below)
                    .ok_or_else(|| E::custom("a suppressed count is \"<k\" with k >= 2"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Quality grade of an acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QcGrade {
    /// Passes the quality card.
    Pass,
    /// Usable with reservations.
    Warning,
    /// Fails.
    Fail,
}

/// A study as a hit names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyRef {
    /// Its id on the answering node.
    pub id: StudyId,
    /// Its name.
    pub name: String,
}

/// One dataset found: a summary, never PHI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hit {
    /// The node holding it (set by the federating node when merging; absent locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<PublicKey>,
    /// Its id on that node.
    pub dataset: DatasetId,
    /// Acquisition center.
    pub center: String,
    /// Study.
    pub study: StudyRef,
    /// Subject pseudonym.
    pub subject: String,
    /// Examination date, already shifted by de-identification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_date: Option<Date>,
    /// DICOM modality.
    pub modality: String,
    /// Series description (cleaned by de-identification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_description: Option<String>,
    /// Nature from the study card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    /// Contrast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<String>,
    /// Quality grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qc_grade: Option<QcGrade>,
    /// Image dimensions (columns, rows, slices, frames...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dims: Vec<u32>,
    /// DICOM instances.
    pub instances: u32,
    /// Content id of the dataset's manifest.
    pub content: ContentId,
    /// Whether a NIfTI expression exists.
    pub has_nifti: bool,
    /// Relevance score (sort by relevance merges on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// Count of one facet value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacetValue {
    /// The value.
    pub value: String,
    /// Datasets with it.
    pub count: Count,
}

/// Counts of one facet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacetCounts {
    /// The field.
    pub field: FacetField,
    /// The most frequent values, by count descending then value.
    pub values: Vec<FacetValue>,
    /// Datasets whose value is not listed.
    pub other: Count,
    /// Each listed count may be short of the true count by at most this much (top-k merged from
    /// several nodes); absent when exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_bound: Option<u64>,
}

impl FacetCounts {
    /// Exact counts of `field`'s values, ranked by count descending then value; the first `size`
    /// are listed and the rest summed into `other`. Values counted 0 are left out.
    pub fn ranked<V: Into<String>>(
        field: FacetField,
        counts: impl IntoIterator<Item = (V, u64)>,
        size: usize,
    ) -> FacetCounts {
        let mut all: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(v, n)| (v.into(), n))
            .filter(|(_, n)| *n > 0)
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let other: u64 = all.iter().skip(size).map(|(_, n)| n).sum();
        all.truncate(size);
        FacetCounts {
            field,
            values: all
                .into_iter()
                .map(|(value, n)| FacetValue {
                    value,
                    count: Count::Exact(n),
                })
                .collect(),
            other: Count::Exact(other),
            error_bound: None,
        }
    }
}

/// Most facet values a result may carry for one facet (nodes over-request for merging).
pub const MAX_FACET_VALUES: usize = 4 * super::MAX_FACET_SIZE as usize;

/// A search's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchResults {
    /// Matching datasets.
    pub total: Count,
    /// The page of hits, in sort order.
    pub hits: Vec<Hit>,
    /// Facet counts, in the order asked.
    pub facets: Vec<FacetCounts>,
}

impl SearchResults {
    /// Whether the result is within the limits a node accepts from a peer.
    pub fn check_limits(&self) -> Result<(), String> {
        // A federating node asks members for offset + size hits.
        let max_hits = (MAX_PAGE_SIZE + super::MAX_OFFSET) as usize;
        if self.hits.len() > max_hits {
            return Err(format!("{} hits, the limit is {max_hits}", self.hits.len()));
        }
        if self
            .hits
            .iter()
            .any(|h| h.score.is_some_and(|s| !s.is_finite()))
        {
            return Err("a hit score is not a finite number".into());
        }
        if self.facets.len() > MAX_FACETS {
            return Err(format!(
                "{} facets, the limit is {MAX_FACETS}",
                self.facets.len()
            ));
        }
        if let Some(f) = self
            .facets
            .iter()
            .find(|f| f.values.len() > MAX_FACET_VALUES)
        {
            return Err(format!(
                "facet {} has {} values, the limit is {MAX_FACET_VALUES}",
                f.field,
                f.values.len()
            ));
        }
        Ok(())
    }
}
