//! Limits on queries, with precise errors.

use super::*;

/// Why a query is refused. Every variant names what is wrong and the limit broken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Text longer than [`MAX_TEXT_LEN`].
    #[error("text is {len} bytes long, the limit is {max}")]
    TextTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_FILTERS`] filters.
    #[error("{count} filters, the limit is {max}")]
    TooManyFilters {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A term filter with no value.
    #[error("filter {index} ({field}) has no value")]
    EmptyTermFilter {
        /// Filter index.
        index: usize,
        /// Its field.
        field: FacetField,
    },
    /// A term filter with too many values.
    #[error("filter {index} ({field}) has {count} values, the limit is {max}")]
    TooManyValues {
        /// Filter index.
        index: usize,
        /// Its field.
        field: FacetField,
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A term value that is empty or longer than [`MAX_VALUE_LEN`].
    #[error("filter {index} ({field}) has a value of {len} bytes, it must be 1 to {max}")]
    BadValueLength {
        /// Filter index.
        index: usize,
        /// Its field.
        field: FacetField,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A range filter without bounds, with a bound that is not a finite number, or min > max.
    #[error("filter {index} ({field}): {reason}")]
    BadRange {
        /// Filter index.
        index: usize,
        /// Its field.
        field: RangeField,
        /// What is wrong.
        reason: &'static str,
    },
    /// A date range without bounds, or from after to.
    #[error("filter {index} (exam date): {reason}")]
    BadDateRange {
        /// Filter index.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A score filter with a bad instrument or variable name, a bad range or bad codes.
    #[error("filter {index} ({target}): {reason}")]
    BadScore {
        /// Filter index.
        index: usize,
        /// `score.INSTRUMENT[.VARIABLE]`, cut to 140 characters.
        target: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// More than [`MAX_FACETS`] facets.
    #[error("{count} facets asked, the limit is {max}")]
    TooManyFacets {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The same facet twice.
    #[error("facet {field} asked twice")]
    DuplicateFacet {
        /// The field.
        field: FacetField,
    },
    /// A facet size of 0 or over [`MAX_FACET_SIZE`].
    #[error("facet {field} size {size}: it must be 1 to {max}")]
    FacetSize {
        /// The field.
        field: FacetField,
        /// The size asked.
        size: u32,
        /// The limit.
        max: u32,
    },
    /// A page size over [`MAX_PAGE_SIZE`].
    #[error("page size {size}, the limit is {max}")]
    PageTooLarge {
        /// The size asked.
        size: u32,
        /// The limit.
        max: u32,
    },
    /// An offset over [`MAX_OFFSET`].
    #[error("offset {offset}, the limit is {max}: narrow the query instead")]
    OffsetTooLarge {
        /// The offset asked.
        offset: u32,
        /// The limit.
        max: u32,
    },
    /// A field, sort key or range field name that does not exist.
    #[error("{name:?} is not a {kind}")]
    UnknownField {
        /// What kind of name.
        kind: &'static str,
        /// The name given.
        name: String,
    },
}

impl SearchQuery {
    /// Check every limit. The first problem found is returned.
    pub fn validate(&self) -> Result<(), QueryError> {
        if let Some(text) = &self.text {
            if text.len() > MAX_TEXT_LEN {
                return Err(QueryError::TextTooLong {
                    len: text.len(),
                    max: MAX_TEXT_LEN,
                });
            }
        }
        if self.filters.len() > MAX_FILTERS {
            return Err(QueryError::TooManyFilters {
                count: self.filters.len(),
                max: MAX_FILTERS,
            });
        }
        for (index, filter) in self.filters.iter().enumerate() {
            check_filter(index, filter)?;
        }
        if self.facets.len() > MAX_FACETS {
            return Err(QueryError::TooManyFacets {
                count: self.facets.len(),
                max: MAX_FACETS,
            });
        }
        for (i, facet) in self.facets.iter().enumerate() {
            if self.facets[..i].iter().any(|f| f.field == facet.field) {
                return Err(QueryError::DuplicateFacet { field: facet.field });
            }
            if facet.size == 0 || facet.size > MAX_FACET_SIZE {
                return Err(QueryError::FacetSize {
                    field: facet.field,
                    size: facet.size,
                    max: MAX_FACET_SIZE,
                });
            }
        }
        if self.page.size > MAX_PAGE_SIZE {
            return Err(QueryError::PageTooLarge {
                size: self.page.size,
                max: MAX_PAGE_SIZE,
            });
        }
        if self.page.offset > MAX_OFFSET {
            return Err(QueryError::OffsetTooLarge {
                offset: self.page.offset,
                max: MAX_OFFSET,
            });
        }
        Ok(())
    }
}

fn check_filter(index: usize, filter: &Filter) -> Result<(), QueryError> {
    match filter {
        Filter::Term { field, values, .. } => {
            let field = *field;
            if values.is_empty() {
                return Err(QueryError::EmptyTermFilter { index, field });
            }
            if values.len() > MAX_TERM_VALUES {
                return Err(QueryError::TooManyValues {
                    index,
                    field,
                    count: values.len(),
                    max: MAX_TERM_VALUES,
                });
            }
            if let Some(v) = values
                .iter()
                .find(|v| v.is_empty() || v.len() > MAX_VALUE_LEN)
            {
                return Err(QueryError::BadValueLength {
                    index,
                    field,
                    len: v.len(),
                    max: MAX_VALUE_LEN,
                });
            }
        }
        Filter::Range { field, min, max } => {
            let bad = |reason| QueryError::BadRange {
                index,
                field: *field,
                reason,
            };
            if min.is_none() && max.is_none() {
                return Err(bad("a range needs a min or a max"));
            }
            if min.iter().chain(max.iter()).any(|v| !v.is_finite()) {
                return Err(bad("bounds must be finite numbers"));
            }
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(bad("min is greater than max"));
                }
            }
        }
        Filter::Score(score) => check_score(index, score)?,
        Filter::DateRange { from, to } => {
            if from.is_none() && to.is_none() {
                return Err(QueryError::BadDateRange {
                    index,
                    reason: "a date range needs a from or a to",
                });
            }
            if let (Some(f), Some(t)) = (from, to) {
                if f > t {
                    return Err(QueryError::BadDateRange {
                        index,
                        reason: "from is after to",
                    });
                }
            }
        }
    }
    Ok(())
}

/// A name an instrument or a variable may have: 1 to [`MAX_SCORE_NAME_LEN`] letters, digits,
/// `-` or `_`.
fn score_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCORE_NAME_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_score(index: usize, score: &ScoreFilter) -> Result<(), QueryError> {
    let bad = |reason| {
        let mut target = format!("score.{}", score.instrument);
        if let Some(v) = &score.variable {
            target.push('.');
            target.push_str(v);
        }
        QueryError::BadScore {
            index,
            target: target.chars().take(140).collect(),
            reason,
        }
    };
    if !score_name_ok(&score.instrument) {
        return Err(bad(
            "an instrument is named by 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    if score.variable.as_deref().is_some_and(|v| !score_name_ok(v)) {
        return Err(bad(
            "a variable is named by 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    match &score.test {
        ScoreTest::Any => {}
        ScoreTest::Range {
            min,
            max,
            min_exclusive,
            max_exclusive,
        } => {
            if min.is_none() && max.is_none() {
                return Err(bad("a range needs a min or a max (`*` alone: any value)"));
            }
            if min.iter().chain(max.iter()).any(|v| !v.is_finite()) {
                return Err(bad("bounds must be finite numbers"));
            }
            if (*min_exclusive && min.is_none()) || (*max_exclusive && max.is_none()) {
                return Err(bad("an open bound cannot be exclusive"));
            }
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi || (lo == hi && (*min_exclusive || *max_exclusive)) {
                    return Err(bad("the range is empty (min above max)"));
                }
            }
        }
        ScoreTest::Values { values } => {
            if values.is_empty() {
                return Err(bad("no value"));
            }
            if values.len() > MAX_TERM_VALUES {
                return Err(bad("more than 256 values"));
            }
            if values
                .iter()
                .any(|v| v.trim().is_empty() || v.len() > MAX_VALUE_LEN)
            {
                return Err(bad("a value must be 1 to 256 bytes"));
            }
        }
    }
    Ok(())
}
