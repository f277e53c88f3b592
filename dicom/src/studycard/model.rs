//! The study card model: cards, rules, assignments, and the closed vocabularies (operators,
//! natures, BIDS datatypes, grades) with their exact spellings.
//!
//! Every type here serializes to the same shape in TOML (the card file) and CBOR (the catalog),
//! and deserializing validates: a `StudyCard` value that exists is a card that can be evaluated.

use serde::{Deserialize, Serialize};

use super::condition::Condition;
use super::vocabulary::vocabulary;

/// A study card: rules on DICOM attributes and catalog fields that assign metadata to the
/// acquisitions of a study, and quality rules that grade them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StudyCardRepr", into = "StudyCardRepr")]
pub struct StudyCard {
    /// The card's name, unique within a study; the catalog versions cards by name.
    pub name: String,
    /// The study the card belongs to (the CLI may also name it).
    pub study: Option<String>,
    /// Free text for the people who maintain the card.
    pub description: Option<String>,
    /// When set, the card applies only to acquisitions of this center (case-insensitive).
    pub center: Option<String>,
    /// When set, the card applies only to acquisitions made on matching equipment.
    pub equipment: Option<EquipmentScope>,
    /// Assignment rules, applied in order.
    pub rules: Vec<Rule>,
    /// Quality rules; the acquisition's grade is the worst of those that match.
    pub quality: Vec<QualityRule>,
}

/// A card with the version the catalog gave it (versions count from 1 per card name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionedCard {
    /// The version, increasing each time a card of this name is added.
    pub version: u32,
    /// The card.
    pub card: StudyCard,
}

/// Which equipment a card applies to: each given part must occur (case-insensitive substring)
/// in the acquisition's manufacturer / model name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquipmentScope {
    /// Part of the manufacturer's name, e.g. `"siemens"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Part of the model name, e.g. `"prisma"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// One assignment rule: when all its conditions hold (or it has none), its assignments apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// ANDed conditions; an empty list always holds.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::condition::deserialize_conditions"
    )]
    pub conditions: Vec<Condition>,
    /// What the rule assigns.
    pub assign: Assignments,
}

/// One quality rule: when all its conditions hold (or it has none), the acquisition gets at
/// least this grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityRule {
    /// The grade given when the rule matches.
    pub grade: Grade,
    /// ANDed conditions; an empty list always holds.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::condition::deserialize_conditions"
    )]
    pub conditions: Vec<Condition>,
    /// The reason shown to people (and in `--reject-failed` reports); a description of the
    /// conditions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The metadata a rule assigns. Every field is optional: a rule sets only what it names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignments {
    /// The dataset's nature (a BIDS suffix, or one of the few non-BIDS natures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<Nature>,
    /// The acquisition contrast, free text (e.g. `T1`, `T2`, `PD`, `T2*`, `DWI`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<String>,
    /// The BIDS datatype folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bids_datatype: Option<BidsDatatype>,
    /// A normalized series name (replaces the scanner's description in listings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_name: Option<String>,
    /// A comment on the acquisition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Free tags; they accumulate across rules and cards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Assignments {
    /// True when nothing is assigned.
    pub fn is_empty(&self) -> bool {
        *self == Assignments::default()
    }

    /// Lays `later` over `self`: each scalar `later` sets replaces this one; tags are appended
    /// (without duplicates, first occurrence kept).
    pub fn merge(&mut self, later: &Assignments) {
        fn over<T: Clone>(slot: &mut Option<T>, later: &Option<T>) {
            if let Some(v) = later {
                *slot = Some(v.clone());
            }
        }
        over(&mut self.nature, &later.nature);
        over(&mut self.contrast, &later.contrast);
        over(&mut self.bids_datatype, &later.bids_datatype);
        over(&mut self.series_name, &later.series_name);
        over(&mut self.comment, &later.comment);
        for t in &later.tags {
            if !self.tags.contains(t) {
                self.tags.push(t.clone());
            }
        }
    }

    /// The BIDS datatype: the assigned one, else the one the nature implies (if any).
    pub fn effective_bids_datatype(&self) -> Option<BidsDatatype> {
        self.bids_datatype
            .or_else(|| self.nature.and_then(Nature::bids_datatype))
    }
}

vocabulary! {
    /// A dataset's nature: the BIDS suffix (spelled as BIDS does), or one of the non-BIDS
    /// natures `TOF`, `swi`, `localizer`.
    Nature, "nature", "natures" {
        /// T1-weighted.
        T1w = "T1w",
        /// T2-weighted.
        T2w = "T2w",
        /// Proton-density weighted.
        PDw = "PDw",
        /// T2*-weighted.
        T2starw = "T2starw",
        /// Fluid-attenuated inversion recovery.
        Flair = "FLAIR",
        /// T1-weighted in-plane (matched to functional slices).
        InplaneT1 = "inplaneT1",
        /// T2-weighted in-plane.
        InplaneT2 = "inplaneT2",
        /// Combined PD/T2.
        Pdt2 = "PDT2",
        /// Angiography.
        Angio = "angio",
        /// Time-of-flight angiography (not a BIDS suffix; BIDS calls it `angio`).
        Tof = "TOF",
        /// Susceptibility-weighted imaging (BIDS extension proposal).
        Swi = "swi",
        /// MP2RAGE inversions.
        Mp2rage = "MP2RAGE",
        /// Uniform T1 image from MP2RAGE.
        Unit1 = "UNIT1",
        /// Quantitative T1 map.
        T1map = "T1map",
        /// Quantitative T2 map.
        T2map = "T2map",
        /// Quantitative T2* map.
        T2starmap = "T2starmap",
        /// Quantitative PD map.
        PDmap = "PDmap",
        /// Multi-echo gradient echo.
        Megre = "MEGRE",
        /// Multi-echo spin echo.
        Mese = "MESE",
        /// Localizer / scout (not a BIDS suffix).
        Localizer = "localizer",
        /// Blood-oxygen-level dependent (functional).
        Bold = "bold",
        /// Cerebral blood volume (functional).
        Cbv = "cbv",
        /// Diffusion-weighted.
        Dwi = "dwi",
        /// Single-band reference.
        Sbref = "sbref",
        /// Arterial spin labelling.
        Asl = "asl",
        /// M0 calibration scan for ASL.
        M0scan = "m0scan",
        /// Field map: phase difference.
        Phasediff = "phasediff",
        /// Field map: first phase.
        Phase1 = "phase1",
        /// Field map: second phase.
        Phase2 = "phase2",
        /// Field map: magnitude.
        Magnitude = "magnitude",
        /// Field map: first magnitude.
        Magnitude1 = "magnitude1",
        /// Field map: second magnitude.
        Magnitude2 = "magnitude2",
        /// Field map (direct).
        Fieldmap = "fieldmap",
        /// Field map: reversed phase-encoding EPI.
        Epi = "epi",
        /// Positron emission tomography.
        Pet = "pet",
    }
}

impl Nature {
    /// The BIDS datatype folder this nature belongs to (`None` for `localizer` and `sbref`,
    /// which BIDS files under several datatypes or none).
    pub fn bids_datatype(self) -> Option<BidsDatatype> {
        use Nature::*;
        match self {
            T1w | T2w | PDw | T2starw | Flair | InplaneT1 | InplaneT2 | Pdt2 | Angio | Tof
            | Swi | Mp2rage | Unit1 | T1map | T2map | T2starmap | PDmap | Megre | Mese => {
                Some(BidsDatatype::Anat)
            }
            Bold | Cbv => Some(BidsDatatype::Func),
            Dwi => Some(BidsDatatype::Dwi),
            Asl | M0scan => Some(BidsDatatype::Perf),
            Phasediff | Phase1 | Phase2 | Magnitude | Magnitude1 | Magnitude2 | Fieldmap | Epi => {
                Some(BidsDatatype::Fmap)
            }
            Pet => Some(BidsDatatype::Pet),
            Localizer | Sbref => None,
        }
    }
}

vocabulary! {
    /// A BIDS datatype folder.
    BidsDatatype, "BIDS datatype", "BIDS datatypes" {
        /// Anatomical.
        Anat = "anat",
        /// Functional.
        Func = "func",
        /// Diffusion.
        Dwi = "dwi",
        /// Field maps.
        Fmap = "fmap",
        /// Perfusion.
        Perf = "perf",
        /// PET.
        Pet = "pet",
    }
}

vocabulary! {
    /// A quality grade, ordered from best to worst: `Pass < Warning < Fail`.
    Grade, "grade", "grades" {
        /// Conforms.
        Pass = "pass",
        /// Usable, with a reservation.
        Warning = "warning",
        /// Does not conform.
        Fail = "fail",
    }
}

/// The serialized shape of a card (same keys in TOML and CBOR).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyCardRepr {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    study: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equipment: Option<EquipmentScope>,
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    quality: Vec<QualityRule>,
}

impl TryFrom<StudyCardRepr> for StudyCard {
    type Error = String;

    fn try_from(r: StudyCardRepr) -> Result<Self, Self::Error> {
        if r.name.trim().is_empty() {
            return Err("the card's `name` is empty".into());
        }
        for (key, v) in [("study", &r.study), ("center", &r.center)] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                return Err(format!(
                    "`{key}` is empty; remove the key to leave the card unscoped"
                ));
            }
        }
        if let Some(eq) = &r.equipment {
            let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
            if blank(&eq.manufacturer) && blank(&eq.model) {
                return Err(
                    "`equipment` needs a non-empty `manufacturer` or `model` (or remove it)".into(),
                );
            }
        }
        Ok(StudyCard {
            name: r.name.trim().to_string(),
            study: r.study,
            description: r.description,
            center: r.center,
            equipment: r.equipment,
            rules: r.rules,
            quality: r.quality,
        })
    }
}

impl From<StudyCard> for StudyCardRepr {
    fn from(c: StudyCard) -> Self {
        StudyCardRepr {
            name: c.name,
            study: c.study,
            description: c.description,
            center: c.center,
            equipment: c.equipment,
            rules: c.rules,
            quality: c.quality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studycard::vocabulary::Operator;

    #[test]
    fn vocabularies_parse_any_case_and_list_valid_spellings() {
        assert_eq!("bold".parse::<Nature>(), Ok(Nature::Bold));
        assert_eq!("BOLD".parse::<Nature>(), Ok(Nature::Bold));
        assert_eq!("flair".parse::<Nature>(), Ok(Nature::Flair));
        assert_eq!(" t1W ".parse::<Nature>(), Ok(Nature::T1w));
        assert_eq!("DWI".parse::<Nature>(), Ok(Nature::Dwi));
        assert_eq!("Anat".parse::<BidsDatatype>(), Ok(BidsDatatype::Anat));
        assert_eq!("FAIL".parse::<Grade>(), Ok(Grade::Fail));
        let err = "T1".parse::<Nature>().unwrap_err().to_string();
        assert!(err.starts_with("unknown nature `T1`; valid natures (any case): T1w, T2w,"));
        assert!(err.contains("FLAIR") && err.contains("localizer"));
        let err = "contain".parse::<Operator>().unwrap_err().to_string();
        assert!(err.contains("unknown operator `contain`"), "{err}");
        assert!(
            err.contains("not_contains") && err.contains("matches"),
            "{err}"
        );
    }

    #[test]
    fn vocabulary_spellings_stay_distinct_without_case() {
        let mut seen: Vec<String> = Nature::ALL
            .iter()
            .map(|n| n.as_str().to_lowercase())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Nature::ALL.len());
        for n in Nature::ALL {
            assert_eq!(n.as_str().parse::<Nature>(), Ok(*n));
        }
        for o in Operator::ALL {
            assert_eq!(o.as_str().parse::<Operator>(), Ok(*o));
        }
    }

    #[test]
    fn grades_are_ordered_best_to_worst() {
        assert!(Grade::Pass < Grade::Warning && Grade::Warning < Grade::Fail);
        assert_eq!(
            [Grade::Warning, Grade::Fail, Grade::Pass].iter().max(),
            Some(&Grade::Fail)
        );
    }

    #[test]
    fn natures_imply_bids_datatypes() {
        assert_eq!(Nature::T1w.bids_datatype(), Some(BidsDatatype::Anat));
        assert_eq!(Nature::Bold.bids_datatype(), Some(BidsDatatype::Func));
        assert_eq!(Nature::Dwi.bids_datatype(), Some(BidsDatatype::Dwi));
        assert_eq!(Nature::Asl.bids_datatype(), Some(BidsDatatype::Perf));
        assert_eq!(Nature::Phasediff.bids_datatype(), Some(BidsDatatype::Fmap));
        assert_eq!(Nature::Localizer.bids_datatype(), None);
        let a = Assignments {
            nature: Some(Nature::Bold),
            ..Default::default()
        };
        assert_eq!(a.effective_bids_datatype(), Some(BidsDatatype::Func));
    }

    #[test]
    fn merge_overrides_scalars_and_accumulates_tags() {
        let mut a = Assignments {
            nature: Some(Nature::T1w),
            contrast: Some("T1".into()),
            tags: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        a.merge(&Assignments {
            nature: Some(Nature::Flair),
            comment: Some("c".into()),
            tags: vec!["b".into(), "c".into()],
            ..Default::default()
        });
        assert_eq!(a.nature, Some(Nature::Flair));
        assert_eq!(a.contrast.as_deref(), Some("T1"));
        assert_eq!(a.comment.as_deref(), Some("c"));
        assert_eq!(a.tags, ["a", "b", "c"]);
        assert!(!a.is_empty());
        assert!(Assignments::default().is_empty());
    }
}
