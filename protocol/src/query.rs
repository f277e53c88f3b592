//! The federated search query and its results.
//!
//! A [`SearchQuery`] is what a user asks (from the portal, the HTTP API or the CLI) and what a
//! node sends every member: free text, filters (terms, numeric ranges, a date range), the facets
//! wanted with their size, a sort and a page. A [`SearchResults`] is one node's (or the merged)
//! answer: hits (dataset summaries, never PHI: subjects appear only as pseudonyms, dates are
//! already shifted), the total, and facet counts whose small cells may be suppressed and whose
//! merged counts may carry an error bound.
//!
//! Both serialize with serde, as JSON (HTTP API) and as CBOR (federation). [`SearchQuery::validate`]
//! enforces the limits below and says precisely what is wrong (the HTTP API answers 400 with it).

mod results;
mod validate;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::Date;

pub use results::{
    Count, FacetCounts, FacetValue, Hit, QcGrade, SearchResults, StudyRef, MAX_FACET_VALUES,
};
pub use validate::QueryError;

/// Longest free text, in bytes.
pub const MAX_TEXT_LEN: usize = 1024;
/// Most filters in a query.
pub const MAX_FILTERS: usize = 64;
/// Most values in one term filter.
pub const MAX_TERM_VALUES: usize = 256;
/// Longest term value, in bytes.
pub const MAX_VALUE_LEN: usize = 256;
/// Most facets asked.
pub const MAX_FACETS: usize = 32;
/// Largest size of one facet.
pub const MAX_FACET_SIZE: u32 = 1000;
/// Largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Largest offset (deep paging across a federation is costly: narrow the query instead).
pub const MAX_OFFSET: u32 = 10_000;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = QueryError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    QueryError::UnknownField { kind: stringify!($name), name: s.chars().take(40).collect() }
                })
            }
        }
    };
}

string_enum!(
    /// A field that can be filtered by term and counted as a facet.
    FacetField {
        /// Study name.
        Study = "study",
        /// Acquisition center.
        Center = "center",
        /// Scanner manufacturer.
        Manufacturer = "manufacturer",
        /// Scanner model.
        Model = "model",
        /// Field strength, as text (`1.5`, `3`).
        FieldStrength = "field_strength",
        /// DICOM modality (`MR`, `CT`, `PT`).
        Modality = "modality",
        /// Dataset nature from the study card (`T1w`, `FLAIR`, `DWI`).
        Nature = "nature",
        /// Acquisition contrast (`gado`, `none`).
        Contrast = "contrast",
        /// BIDS datatype (`anat`, `func`, `dwi`, `fmap`).
        BidsDatatype = "bids_datatype",
        /// Quality grade (`pass`, `warning`, `fail`).
        QcGrade = "qc_grade",
        /// Subject sex (`F`, `M`, `O`).
        Sex = "sex",
        /// Age band at examination (`30-39`).
        AgeBand = "age_band",
        /// Examination year (shifted).
        ExamYear = "exam_year",
        /// Free tags.
        Tags = "tags",
        /// Whether a NIfTI expression exists (`true`, `false`).
        HasNifti = "has_nifti",
    }
);

string_enum!(
    /// A numeric field that can be filtered by range.
    RangeField {
        /// Repetition time, ms.
        Tr = "tr",
        /// Echo time, ms.
        Te = "te",
        /// Inversion time, ms.
        Ti = "ti",
        /// Flip angle, degrees.
        FlipAngle = "flip_angle",
        /// Slice thickness, mm.
        SliceThickness = "slice_thickness",
        /// In-plane pixel spacing, mm.
        PixelSpacing = "pixel_spacing",
        /// Field strength, tesla.
        FieldStrength = "field_strength",
        /// Age at examination, years.
        Age = "age",
    }
);

string_enum!(
    /// What hits are sorted by.
    SortKey {
        /// Text relevance (score), then dataset id.
        Relevance = "relevance",
        /// Examination date.
        ExamDate = "exam_date",
        /// Study name.
        Study = "study",
        /// Center name.
        Center = "center",
        /// Subject pseudonym.
        Subject = "subject",
        /// Modality.
        Modality = "modality",
        /// Nature.
        Nature = "nature",
        /// Quality grade.
        QcGrade = "qc_grade",
    }
);

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    #[default]
    Desc,
}

/// How hits are ordered. Ties break by dataset id so merged pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// Key.
    pub by: SortKey,
    /// Direction.
    #[serde(default)]
    pub order: SortOrder,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            by: SortKey::Relevance,
            order: SortOrder::Desc,
        }
    }
}

/// Which hits: `size` of them after skipping `offset`. A federating node asks each member for
/// `offset + size` and merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Hits skipped.
    #[serde(default)]
    pub offset: u32,
    /// Hits returned (0: counts only).
    pub size: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            size: 20,
        }
    }
}

/// One filter. All filters of a query must hold (AND).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Filter {
    /// The field has one of `values` (or, with `exclude`, none of them).
    Term {
        /// Field.
        field: FacetField,
        /// Accepted values (OR).
        values: Vec<String>,
        /// Invert: the field has none of the values.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        exclude: bool,
    },
    /// `min <= field <= max`; a missing bound is open.
    Range {
        /// Field.
        field: RangeField,
        /// Lower bound, inclusive.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Upper bound, inclusive.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Examination date (shifted) within `[from, to]`; a missing bound is open.
    DateRange {
        /// First day, inclusive.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Date>,
        /// Last day, inclusive.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Date>,
    },
    /// A clinical score of the dataset's subject, recorded at the dataset's examination or at
    /// the subject level, passes `test` (any of several such assessments will do). Added after
    /// the first release: a node that predates it cannot decode a query that has one.
    Score(ScoreFilter),
}

/// Longest instrument acronym or variable name in a score filter, in bytes.
pub const MAX_SCORE_NAME_LEN: usize = 64;

/// A filter on one variable of a clinical instrument (`score.EDSS:[4 TO 10]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreFilter {
    /// The instrument's acronym (case-insensitive): `EDSS`, `MMSE`.
    pub instrument: String,
    /// The variable (case-insensitive); `None`: the variable named like the instrument, or its
    /// only variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// What the value must be.
    pub test: ScoreTest,
}

/// What a score must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ScoreTest {
    /// Any value recorded.
    Any,
    /// A number within the bounds; a missing bound is open.
    Range {
        /// Lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        /// The lower bound itself is excluded (`>4`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        min_exclusive: bool,
        /// The upper bound itself is excluded (`<24`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        max_exclusive: bool,
    },
    /// One of these codes (case-insensitive; OR).
    Values {
        /// Accepted codes.
        values: Vec<String>,
    },
}

impl fmt::Display for ScoreFilter {
    /// The filter's text form (`score.EDSS:[4 TO *]`), as `node::parse_filter` reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "score.{}", self.instrument)?;
        if let Some(v) = &self.variable {
            write!(f, ".{v}")?;
        }
        f.write_str(":")?;
        let b = |v: &Option<f64>| v.map_or("*".to_string(), |x| x.to_string());
        match &self.test {
            ScoreTest::Any => f.write_str("*"),
            ScoreTest::Range {
                min,
                max,
                min_exclusive: false,
                max_exclusive: false,
            } => write!(f, "[{} TO {}]", b(min), b(max)),
            ScoreTest::Range {
                min,
                max,
                min_exclusive,
                max_exclusive,
            } => write!(
                f,
                "{}{} TO {}{}",
                if *min_exclusive { '{' } else { '[' },
                b(min),
                b(max),
                if *max_exclusive { '}' } else { ']' }
            ),
            ScoreTest::Values { values } => f.write_str(&values.join(",")),
        }
    }
}

/// A facet wanted: the `size` most frequent values of `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacetRequest {
    /// Field.
    pub field: FacetField,
    /// Values wanted.
    pub size: u32,
}

/// A search.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Free text (matched against descriptions, natures, study and center names, tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Filters, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Facets wanted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facets: Vec<FacetRequest>,
    /// Order of hits.
    #[serde(default)]
    pub sort: Sort,
    /// Which hits.
    #[serde(default)]
    pub page: Page,
}

impl SearchQuery {
    /// A query for `text`, default sort and page.
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// Whether only counts are asked (no hits).
    pub fn counts_only(&self) -> bool {
        self.page.size == 0
    }
}

#[cfg(test)]
mod tests;
