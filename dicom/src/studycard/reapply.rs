//! Re-application: what an acquisition keeps of the cards applied to it, so that cards can be
//! re-applied to existing data while the original values stay (Shanoir's "original vs updated
//! metadata").
//!
//! Per acquisition the catalog stores an [`AcquisitionCards`]: `base` (what the import derived
//! without any card, usually nothing), `original` (the values as imported: never changed
//! afterwards), `current` (what listings, search and export use), the current grade, and the
//! `history` of card applications. `current` is always `base` overlaid with the outcome of the
//! cards in force at the last application: re-applying is idempotent, and a field that no rule
//! assigns any more returns to its `base` value (usually unset) rather than keeping a stale one.

use serde::{Deserialize, Serialize};

use super::model::{Assignments, Grade};
use super::outcome::{CardApplication, StudyOutcome};

/// A field whose value changed, for reports (`before` / `after` as shown to people).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The assignment key (`nature`, `contrast`, `bids_datatype`, `series_name`, `comment`,
    /// `tags`) or `grade`.
    pub field: &'static str,
    /// The value before (`None`: unset).
    pub before: Option<String>,
    /// The value after (`None`: unset).
    pub after: Option<String>,
}

/// The study card state of one acquisition, as the catalog stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AcquisitionCards {
    /// What the import derived without any card; every application starts from it.
    #[serde(default, skip_serializing_if = "Assignments::is_empty")]
    pub base: Assignments,
    /// The values as imported; set once and never changed. `None` only for an acquisition
    /// imported before cards existed, until the first application sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<Assignments>,
    /// The values in force.
    #[serde(default)]
    pub current: Assignments,
    /// The grade in force (`None`: no quality card applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// Every application, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<CardApplication>,
}

impl AcquisitionCards {
    /// The state right after import: `original` and `current` are `base` with the outcome.
    pub fn at_import(base: Assignments, outcome: &StudyOutcome, applied_at: Option<u64>) -> Self {
        let (current, _) = reapply(&base, &base, &outcome.assignments);
        AcquisitionCards {
            original: Some(current.clone()),
            current,
            grade: outcome.grade,
            history: stamped(outcome, applied_at),
            base,
        }
    }

    /// Re-applies the study's cards (their new `outcome`) to an existing acquisition: `current`
    /// and `grade` are recomputed, `original` is kept (or, for an acquisition imported without
    /// cards, set to the values it had until now), the applications are added to `history`.
    /// Returns what changed in `current` and `grade`.
    pub fn reapply(&mut self, outcome: &StudyOutcome, applied_at: Option<u64>) -> Vec<FieldChange> {
        if self.original.is_none() {
            self.original = Some(self.current.clone());
        }
        let (current, mut changes) = reapply(&self.base, &self.current, &outcome.assignments);
        if self.grade != outcome.grade {
            changes.push(FieldChange {
                field: "grade",
                before: self.grade.map(|g| g.to_string()),
                after: outcome.grade.map(|g| g.to_string()),
            });
        }
        self.current = current;
        self.grade = outcome.grade;
        self.history.extend(stamped(outcome, applied_at));
        changes
    }

    /// Each field whose current value differs from the original one.
    pub fn changes_since_import(&self) -> Vec<FieldChange> {
        match &self.original {
            Some(o) => diff(o, &self.current),
            None => Vec::new(),
        }
    }
}

fn stamped(outcome: &StudyOutcome, applied_at: Option<u64>) -> Vec<CardApplication> {
    outcome
        .applications
        .iter()
        .cloned()
        .map(|mut a| {
            a.applied_at = applied_at;
            a
        })
        .collect()
}

/// The new current values, `base` overlaid with the cards' `new` assignments, and what changed
/// from `current`. Pure: the result depends on `base` and `new` only.
pub fn reapply(
    base: &Assignments,
    current: &Assignments,
    new: &Assignments,
) -> (Assignments, Vec<FieldChange>) {
    let mut next = base.clone();
    next.merge(new);
    let changes = diff(current, &next);
    (next, changes)
}

/// The fields that differ between two sets of assignments.
pub fn diff(before: &Assignments, after: &Assignments) -> Vec<FieldChange> {
    fn show<T: ToString>(v: &Option<T>) -> Option<String> {
        v.as_ref().map(ToString::to_string)
    }
    fn tags(t: &[String]) -> Option<String> {
        (!t.is_empty()).then(|| t.join(", "))
    }
    let pairs = [
        ("nature", show(&before.nature), show(&after.nature)),
        ("contrast", show(&before.contrast), show(&after.contrast)),
        (
            "bids_datatype",
            show(&before.bids_datatype),
            show(&after.bids_datatype),
        ),
        (
            "series_name",
            show(&before.series_name),
            show(&after.series_name),
        ),
        ("comment", show(&before.comment), show(&after.comment)),
        ("tags", tags(&before.tags), tags(&after.tags)),
    ];
    pairs
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studycard::model::Nature;

    fn outcome(nature: Option<Nature>, tags: &[&str], grade: Option<Grade>) -> StudyOutcome {
        let assignments = Assignments {
            nature,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        };
        StudyOutcome {
            applications: vec![CardApplication {
                card_name: "c".into(),
                card_version: 1,
                applied_at: None,
                matched_rules: vec![0],
                assignments: assignments.clone(),
                grade,
            }],
            assignments,
            grade,
            ..Default::default()
        }
    }

    #[test]
    fn reapply_keeps_originals_and_recomputes_current() {
        let base = Assignments {
            comment: Some("from import".into()),
            ..Default::default()
        };
        let mut acq = AcquisitionCards::at_import(
            base,
            &outcome(Some(Nature::T2w), &["x"], Some(Grade::Pass)),
            Some(100),
        );
        let imported = acq.current.clone();
        assert_eq!(imported.nature, Some(Nature::T2w));
        assert_eq!(imported.comment.as_deref(), Some("from import"));
        assert_eq!(acq.original.as_ref(), Some(&imported));
        assert_eq!(acq.history[0].applied_at, Some(100));

        // v2 corrects the nature and fails the series.
        let changes = acq.reapply(
            &outcome(Some(Nature::Flair), &["x", "y"], Some(Grade::Fail)),
            Some(200),
        );
        assert_eq!(acq.current.nature, Some(Nature::Flair));
        assert_eq!(acq.current.comment.as_deref(), Some("from import"));
        assert_eq!(acq.original.as_ref(), Some(&imported), "original kept");
        assert_eq!(acq.grade, Some(Grade::Fail));
        assert_eq!(acq.history.len(), 2);
        assert_eq!(acq.history[1].applied_at, Some(200));
        let fields: Vec<_> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["nature", "tags", "grade"]);
        assert_eq!(changes[0].before.as_deref(), Some("T2w"));
        assert_eq!(changes[0].after.as_deref(), Some("FLAIR"));
        assert_eq!(changes[1].after.as_deref(), Some("x, y"));

        // v3 no longer assigns a nature: the field returns to its base value (unset).
        let changes = acq.reapply(&outcome(None, &[], None), Some(300));
        assert_eq!(acq.current.nature, None);
        assert_eq!(acq.current.comment.as_deref(), Some("from import"));
        assert_eq!(
            acq.original.as_ref(),
            Some(&imported),
            "original still kept"
        );
        assert_eq!(changes.len(), 3);
        let since = acq.changes_since_import();
        assert_eq!(since.len(), 2, "{since:?}");

        // Re-applying the same cards changes nothing.
        assert!(acq.reapply(&outcome(None, &[], None), Some(400)).is_empty());
    }

    #[test]
    fn acquisitions_imported_without_cards_get_their_original_at_first_application() {
        let mut acq = AcquisitionCards::default();
        acq.reapply(&outcome(Some(Nature::T1w), &[], None), None);
        assert_eq!(acq.original, Some(Assignments::default()));
        assert_eq!(acq.current.nature, Some(Nature::T1w));
    }

    #[test]
    fn the_pure_function_depends_on_base_and_new_only() {
        let base = Assignments::default();
        let stale = Assignments {
            contrast: Some("T2".into()),
            ..Default::default()
        };
        let new = Assignments {
            nature: Some(Nature::T1w),
            ..Default::default()
        };
        let (a, changes) = reapply(&base, &stale, &new);
        let (b, _) = reapply(&base, &Assignments::default(), &new);
        assert_eq!(a, b);
        assert_eq!(a.contrast, None);
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn state_round_trips_through_cbor() {
        let acq = AcquisitionCards::at_import(
            Assignments::default(),
            &outcome(Some(Nature::Bold), &["rest"], Some(Grade::Warning)),
            Some(1),
        );
        let mut buf = Vec::new();
        ciborium::into_writer(&acq, &mut buf).unwrap();
        let back: AcquisitionCards = ciborium::from_reader(buf.as_slice()).unwrap();
        assert_eq!(back, acq);
    }
}
