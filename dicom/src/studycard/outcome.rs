//! What evaluating cards gives: per card ([`CardOutcome`]) and per study ([`StudyOutcome`]), with
//! the quality findings and the card applications they carry. Plain data, shared by evaluation,
//! quality decisions and re-application.

use serde::{Deserialize, Serialize};

use super::model::{Assignments, Grade};

/// The result of one card on one acquisition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardOutcome {
    /// The card's name.
    pub card: String,
    /// Whether the card's center / equipment scope matched; when false, nothing else is set.
    pub in_scope: bool,
    /// The assignments of the matching rules, merged in rule order.
    pub assignments: Assignments,
    /// Indices (from 0) of the rules that matched, in order.
    pub matched_rules: Vec<usize>,
    /// The worst grade of the matching quality rules; `Pass` when the card has quality rules
    /// and none matched; `None` when it has none.
    pub grade: Option<Grade>,
    /// The quality rules that matched, in card order.
    pub findings: Vec<QualityFinding>,
}

/// The result of all of a study's cards on one acquisition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudyOutcome {
    /// Every in-scope card's assignments merged in application order.
    pub assignments: Assignments,
    /// The worst grade over the in-scope cards that grade; `None` when none does.
    pub grade: Option<Grade>,
    /// Every matching quality rule of every in-scope card.
    pub findings: Vec<QualityFinding>,
    /// One record per in-scope card, in application order (`applied_at` left unset).
    pub applications: Vec<CardApplication>,
    /// Names of the cards whose scope did not match.
    pub out_of_scope: Vec<String>,
}

/// A quality rule that matched an acquisition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityFinding {
    /// The card's name.
    pub card: String,
    /// The quality rule's index in the card (from 0).
    pub rule: usize,
    /// The rule's grade.
    pub grade: Grade,
    /// The rule's `message`, else its conditions with the values found.
    pub message: String,
    /// The rule's conditions with the values found, e.g. "`SliceThickness` greater_than 3
    /// (found 5)"; empty for a rule without conditions.
    pub observed: String,
}

/// One card applied to one acquisition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardApplication {
    /// The card's name.
    pub card_name: String,
    /// The card's version.
    pub card_version: u32,
    /// When, in seconds since the Unix epoch (set by the caller; evaluation is pure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<u64>,
    /// Indices (from 0) of the rules that matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_rules: Vec<usize>,
    /// What this card assigned.
    #[serde(default, skip_serializing_if = "Assignments::is_empty")]
    pub assignments: Assignments,
    /// The grade this card gave, if it grades.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
}
