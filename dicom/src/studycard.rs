//! Study cards (rules on DICOM attributes that assign metadata to imported acquisitions) and
//! quality cards (rules that grade them). The file format and every semantic choice are
//! documented for card authors in `docs/studycards.md`; this module is its implementation.
//!
//! - [`model`]: the card, its rules and assignments, and the closed vocabularies (operators,
//!   natures, BIDS datatypes, grades). One serde shape for TOML files and CBOR in the catalog.
//! - [`condition`]: conditions on a DICOM attribute (keyword, `(gggg,eeee)`, or a path into
//!   sequences) or a catalog field, checked against the DICOM dictionary when read.
//! - [`tag_path`]: attributes by keyword, tag, or path through sequence items.
//! - [`values`]: how values are typed by VR and parsed (numbers, ages, dates, times).
//! - [`eval`]: evaluating a card, or a study's cards, on one acquisition.
//! - [`outcome`]: what evaluation gives (per card, per study; findings, applications).
//! - [`quality`]: the per-examination conformity score, `--reject-failed`.
//! - [`reapply`](mod@reapply): what an acquisition stores so cards can be re-applied with originals kept.
//! - [`file`](mod@file): reading and writing card files, with errors that name the line, rule and key.
//!
//! What this module must never do: fail or panic while evaluating. Every check that can fail
//! runs when a card is read (TOML or CBOR); a [`StudyCard`] that exists can be evaluated on any
//! DICOM object. It reads only the de-identified object it is given and writes nothing.

mod condition;
mod eval;
mod file;
mod model;
mod outcome;
mod quality;
mod reapply;
mod tag_path;
mod values;
mod vocabulary;

pub use condition::{CatalogField, Condition, ConditionError, FieldRef};
pub use eval::{evaluate, evaluate_study, holds, in_scope, CatalogFields, NoCatalogFields};
#[cfg(test)]
use file::load_card;
pub use file::{parse_card, parse_card_at, to_toml, CardError, InvalidCard};
pub use model::{
    Assignments, BidsDatatype, EquipmentScope, Grade, Nature, QualityRule, Rule, StudyCard,
    VersionedCard,
};
pub use outcome::{CardApplication, CardOutcome, QualityFinding, StudyOutcome};
pub use quality::{examination_conformity, reject, Rejection};
pub use reapply::{diff, reapply, AcquisitionCards, FieldChange};
pub use tag_path::{ItemSelector, TagPath, TagPathError, TagStep};
pub use values::ValueKind;
pub use vocabulary::{Operator, UnknownName, Value};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::*;

    fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }

    /// The first instance of each series of the first examination of the first subject.
    fn one_file_per_series(root: &Path) -> Vec<(String, PathBuf)> {
        let subject = sorted_dir(root).into_iter().find(|p| p.is_dir()).unwrap();
        let exam = sorted_dir(&subject).into_iter().next().unwrap();
        sorted_dir(&exam)
            .into_iter()
            .map(|series| {
                let name = series.file_name().unwrap().to_string_lossy().into_owned();
                let file = sorted_dir(&series)
                    .into_iter()
                    .find(|f| f.extension().is_some_and(|e| e == "dcm"))
                    .unwrap();
                (name, file)
            })
            .collect()
    }

    fn example_cards() -> Vec<VersionedCard> {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cards");
        ["mr-natures.toml", "mr-quality.toml"]
            .into_iter()
            .map(|f| VersionedCard {
                version: 1,
                card: load_card(&docs.join(f)).unwrap(),
            })
            .collect()
    }

    #[test]
    fn example_cards_name_and_grade_the_generated_corpus() {
        testkit::need_shared!();
        let cards = example_cards();
        let expected = [
            (
                "t1_mprage",
                Nature::T1w,
                "T1",
                BidsDatatype::Anat,
                Grade::Pass,
            ),
            ("t2_tse", Nature::T2w, "T2", BidsDatatype::Anat, Grade::Pass),
            (
                "bold_rest",
                Nature::Bold,
                "T2*",
                BidsDatatype::Func,
                Grade::Warning,
            ),
        ];
        for root in [testkit::synth_corpus(), testkit::synth_enhanced_corpus()] {
            let files = one_file_per_series(&root);
            assert_eq!(files.len(), 3, "{files:?}");
            let mut grades = Vec::new();
            for (series, file) in &files {
                let (_, nature, contrast, datatype, grade) = expected
                    .iter()
                    .find(|e| series.contains(e.0))
                    .unwrap_or_else(|| panic!("unexpected series {series}"));
                let obj = dicom_object::open_file(file).unwrap();
                let out = evaluate_study(&cards, &obj, &NoCatalogFields);
                let at = file.display();
                assert_eq!(out.assignments.nature, Some(*nature), "{at}");
                assert_eq!(out.assignments.contrast.as_deref(), Some(*contrast), "{at}");
                assert_eq!(out.assignments.bids_datatype, Some(*datatype), "{at}");
                assert!(out.assignments.tags.contains(&"3T".to_string()), "{at}");
                assert_eq!(
                    out.assignments.tags.contains(&"fmri".to_string()),
                    *nature == Nature::Bold,
                    "{at}"
                );
                assert_eq!(out.grade, Some(*grade), "{at}: {:?}", out.findings);
                assert_eq!(reject(&out), None);
                assert_eq!(out.applications.len(), 2);
                grades.push(out.grade);

                // The same series from a 1.5 T scanner (as the catalog records it) fails.
                let cat: BTreeMap<CatalogField, String> =
                    [(CatalogField::FieldStrength, "1.5".to_string())].into();
                let out = evaluate_study(&cards, &obj, &cat);
                assert!(!out.assignments.tags.contains(&"3T".to_string()), "{at}");
                let r = reject(&out).unwrap();
                assert!(
                    r.reason.starts_with(
                        "quality card `mr-quality` rule 5 failed: the protocol is 3 T only"
                    ),
                    "{}",
                    r.reason
                );
                assert!(r
                    .reason
                    .contains("field `field_strength` not_equals 3 (found 1.5)"));
            }
            let conformity = examination_conformity(&grades).unwrap();
            assert!((conformity - 2.0 / 3.0).abs() < 1e-12, "{conformity}");
        }
    }

    #[test]
    fn example_cards_round_trip() {
        for vc in example_cards() {
            let text = to_toml(&vc.card).unwrap();
            assert_eq!(parse_card(&text).unwrap(), vc.card);
        }
    }

    #[test]
    fn every_card_in_the_documentation_parses() {
        let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/studycards.md");
        let text = std::fs::read_to_string(doc).unwrap();
        let blocks: Vec<&str> = text
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .filter(|b| b.contains("name = "))
            .collect();
        assert!(blocks.len() >= 2);
        for b in blocks {
            if let Err(e) = parse_card(b) {
                panic!("{e}\n{b}");
            }
        }
    }
}
