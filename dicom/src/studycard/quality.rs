//! Quality cards' results: findings, the per-examination conformity score, and the decision to
//! reject a failed series on import (`--reject-failed`).

use super::model::Grade;
use super::outcome::{QualityFinding, StudyOutcome};

/// The share of an examination's acquisitions that pass, in `[0, 1]`. Ungraded acquisitions
/// (no quality card applied to them) are left out of both counts; `None` when none is graded,
/// since there is nothing to score. `Warning` does not count as passing.
pub fn examination_conformity(grades: &[Option<Grade>]) -> Option<f64> {
    let graded = grades.iter().flatten().count();
    if graded == 0 {
        return None;
    }
    let passed = grades
        .iter()
        .flatten()
        .filter(|g| **g == Grade::Pass)
        .count();
    Some(passed as f64 / graded as f64)
}

/// Why a series is rejected by `--reject-failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// One line for people, naming each failing card and rule and what was found.
    pub reason: String,
    /// The failing findings.
    pub findings: Vec<QualityFinding>,
}

/// The rejection of a series whose grade is `Fail`, with the reason; `None` otherwise.
pub fn reject(outcome: &StudyOutcome) -> Option<Rejection> {
    if outcome.grade != Some(Grade::Fail) {
        return None;
    }
    let findings: Vec<QualityFinding> = outcome
        .findings
        .iter()
        .filter(|f| f.grade == Grade::Fail)
        .cloned()
        .collect();
    let reason = findings
        .iter()
        .map(|f| {
            let mut s = format!(
                "quality card `{}` rule {} failed: {}",
                f.card,
                f.rule + 1,
                f.message
            );
            if !f.observed.is_empty() && f.observed != f.message {
                s.push_str(&format!(" ({})", f.observed));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(Rejection { reason, findings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformity_is_the_share_of_passing_graded_acquisitions() {
        use Grade::*;
        assert_eq!(examination_conformity(&[]), None);
        assert_eq!(examination_conformity(&[None, None]), None);
        assert_eq!(examination_conformity(&[Some(Pass), Some(Pass)]), Some(1.0));
        assert_eq!(
            examination_conformity(&[Some(Pass), Some(Warning), Some(Fail), None, Some(Pass)]),
            Some(0.5)
        );
        assert_eq!(examination_conformity(&[Some(Fail), None]), Some(0.0));
    }

    fn finding(grade: Grade, message: &str, observed: &str) -> QualityFinding {
        QualityFinding {
            card: "q".into(),
            rule: 2,
            grade,
            message: message.into(),
            observed: observed.into(),
        }
    }

    #[test]
    fn only_failed_series_are_rejected_with_the_failing_rules() {
        let mut o = StudyOutcome {
            grade: Some(Grade::Warning),
            findings: vec![finding(Grade::Warning, "thick", "x")],
            ..Default::default()
        };
        assert_eq!(reject(&o), None);
        o.grade = None;
        assert_eq!(reject(&o), None);
        o.grade = Some(Grade::Fail);
        o.findings.push(finding(
            Grade::Fail,
            "slices too thick",
            "`SliceThickness` greater_than 3 (found 5)",
        ));
        let r = reject(&o).unwrap();
        assert_eq!(r.findings.len(), 1);
        assert_eq!(
            r.reason,
            "quality card `q` rule 3 failed: slices too thick \
             (`SliceThickness` greater_than 3 (found 5))"
        );
    }
}
