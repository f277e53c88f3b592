//! Card files: reading TOML with errors that point at the line, the rule and the key, and
//! writing a card back as TOML.

use std::fmt;
use std::path::{Path, PathBuf};

use super::model::StudyCard;

/// Why a card file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The file could not be read.
    #[error("cannot read study card {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a key or value is not valid in a card.
    #[error("{0}")]
    Invalid(Box<InvalidCard>),
    /// The card could not be written as TOML.
    #[error("cannot write study card `{name}` as TOML: {message}")]
    Write {
        /// The card's name.
        name: String,
        /// The serializer's message.
        message: String,
    },
}

/// Where and why a card file is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCard {
    /// The file, when read from one.
    pub path: Option<PathBuf>,
    /// 1-based line and column of the offending text, when known.
    pub line_col: Option<(usize, usize)>,
    /// The section the error is in: `[[rule]] 2`, `[[quality]] 1`, or another table header.
    pub section: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The offending line, for display.
    pub source_line: Option<String>,
}

impl fmt::Display for InvalidCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => f.write_str("study card")?,
        }
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        // "condition N: ..." reads as part of the location.
        let (condition, message) = match self.message.split_once(": ") {
            Some((head, rest))
                if head
                    .strip_prefix("condition ")
                    .is_some_and(|n| n.parse::<u32>().is_ok()) =>
            {
                (Some(head), rest)
            }
            _ => (None, self.message.as_str()),
        };
        match (&self.section, condition) {
            (Some(s), Some(c)) => write!(f, " in {s}, {c}")?,
            (Some(s), None) => write!(f, " in {s}")?,
            (None, Some(c)) => write!(f, " in {c}")?,
            (None, None) => {}
        }
        write!(f, ": {message}")?;
        if let (Some(src), Some((line, col))) = (&self.source_line, self.line_col) {
            let gutter = line.to_string().len();
            write!(
                f,
                "\n{line} | {src}\n{:gutter$} | {:>col$}",
                "",
                "^",
                gutter = gutter,
                col = col
            )?;
        }
        Ok(())
    }
}

/// Parses a card from TOML text.
pub fn parse_card(text: &str) -> Result<StudyCard, CardError> {
    parse(text, None)
}

/// Parses the text of the card file at `path` (named in errors; the caller read the file).
pub fn parse_card_at(text: &str, path: &Path) -> Result<StudyCard, CardError> {
    parse(text, Some(path))
}

/// Reads and parses a card file (tests only: the node reads card files, this crate does no I/O).
#[cfg(test)]
pub(crate) fn load_card(path: &Path) -> Result<StudyCard, CardError> {
    let text = std::fs::read_to_string(path).map_err(|source| CardError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_card_at(&text, path)
}

/// Writes a card as TOML (rules as `[[rule]]` tables); parsing the text gives the card back.
pub fn to_toml(card: &StudyCard) -> Result<String, CardError> {
    ::toml::to_string(card).map_err(|e| CardError::Write {
        name: card.name.clone(),
        message: e.to_string(),
    })
}

fn parse(text: &str, path: Option<&Path>) -> Result<StudyCard, CardError> {
    ::toml::from_str::<StudyCard>(text).map_err(|e| {
        let at = e.span().map(|s| s.start);
        let line_col = at.map(|at| line_col(text, at));
        let source_line = line_col
            .and_then(|(l, _)| text.lines().nth(l - 1))
            .map(|s| s.trim_end().to_string());
        CardError::Invalid(Box::new(InvalidCard {
            path: path.map(Path::to_path_buf),
            line_col,
            section: at.and_then(|at| section_at(text, at)),
            message: e.message().trim().to_string(),
            source_line,
        }))
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// The `[[rule]]` / `[[quality]]` (numbered from 1) or other table the offset falls in.
fn section_at(text: &str, at: usize) -> Option<String> {
    let (mut rules, mut quality) = (0usize, 0usize);
    let mut section = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > at {
            break;
        }
        offset += line.len();
        let header: String = line
            .split('#')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if header == "[[rule]]" {
            rules += 1;
            section = Some(format!("[[rule]] {rules}"));
        } else if header == "[[quality]]" {
            quality += 1;
            section = Some(format!("[[quality]] {quality}"));
        } else if header.starts_with("[rule.") || header.starts_with("[quality.") {
            // A sub-table of the current rule: same section.
        } else if header.starts_with('[') && header.ends_with(']') {
            section = Some(header);
        }
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studycard::condition::FieldRef;
    use crate::studycard::model::{Assignments, BidsDatatype, Grade, Nature, QualityRule, Rule};
    use crate::studycard::tag_path::TagPath;
    use crate::studycard::vocabulary::{Operator, Value};

    const MINIMAL: &str = r#"
name = "mr-natures"
study = "MS cohort"            # optional: center = "...", equipment = { manufacturer = "...", model = "..." }

[[rule]]
conditions = [{ tag = "SeriesDescription", op = "contains", values = ["mprage", "t1"] }]
assign = { nature = "T1w", contrast = "T1", bids_datatype = "anat" }

[[rule]]
conditions = [{ tag = "RepetitionTime", op = "greater_than", values = [3000] },
              { tag = "(0018,0081)", op = "greater_than", values = [80] }]
assign = { nature = "T2w" }

[[quality]]
grade = "fail"
conditions = [{ tag = "SliceThickness", op = "greater_than", values = [3] }]
"#;

    fn err(text: &str) -> String {
        parse_card(text).unwrap_err().to_string()
    }

    #[test]
    fn the_minimal_form_parses_as_written() {
        let card = parse_card(MINIMAL).unwrap();
        assert_eq!(card.name, "mr-natures");
        assert_eq!(card.study.as_deref(), Some("MS cohort"));
        assert_eq!(
            (card.center.as_ref(), card.equipment.as_ref()),
            (None, None)
        );
        assert_eq!(card.rules.len(), 2);
        let r0: &Rule = &card.rules[0];
        assert_eq!(
            r0.assign,
            Assignments {
                nature: Some(Nature::T1w),
                contrast: Some("T1".into()),
                bids_datatype: Some(BidsDatatype::Anat),
                ..Default::default()
            }
        );
        let c = &r0.conditions[0];
        assert_eq!(c.op(), Operator::Contains);
        assert_eq!(
            c.values(),
            [Value::Text("mprage".into()), Value::Text("t1".into())]
        );
        assert!(!c.case_sensitive());
        let c = &card.rules[1].conditions[1];
        let FieldRef::Dicom(echo) = c.field() else {
            panic!("{c:?}")
        };
        assert_eq!(echo.leaf(), TagPath::parse("EchoTime").unwrap().leaf());
        assert_eq!(c.values(), [Value::Integer(80)]);
        let q: &QualityRule = &card.quality[0];
        assert_eq!((q.grade, q.message.as_ref()), (Grade::Fail, None));
    }

    #[test]
    fn the_full_form_parses() {
        let card = parse_card(
            r#"
name = "full"
description = "every key"
center = "Rennes"
equipment = { manufacturer = "siemens", model = "prisma" }

[[rule]]
assign = { series_name = "any", comment = "seen", tags = ["a", "b"] }

[[rule]]
conditions = [
  { field = "field_strength", op = "less_than", values = [2.0] },
  { tag = "StudyDate", op = "greater_than", values = [2020-01-31] },
  { tag = "SeriesDescription", op = "matches", values = ["^T1"], case_sensitive = true },
  { tag = "SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence[0]/RepetitionTime", op = "present" },
]
[rule.assign]
nature = "flair"

[[quality]]
grade = "Warning"
message = "thick"
"#,
        )
        .unwrap();
        assert_eq!(card.center.as_deref(), Some("Rennes"));
        let eq = card.equipment.as_ref().unwrap();
        assert_eq!(eq.model.as_deref(), Some("prisma"));
        assert!(card.rules[0].conditions.is_empty());
        assert_eq!(card.rules[0].assign.tags, ["a", "b"]);
        let c = &card.rules[1].conditions;
        assert_eq!(c[0].field().to_string(), "field `field_strength`");
        assert_eq!(c[1].values(), [Value::Text("2020-01-31".into())]);
        assert!(c[2].case_sensitive());
        assert_eq!(card.rules[1].assign.nature, Some(Nature::Flair));
        assert_eq!(card.quality[0].grade, Grade::Warning);
        // Writing and reading back gives the same card.
        let text = to_toml(&card).unwrap();
        assert_eq!(parse_card(&text).unwrap(), card, "{text}");
        // So does the catalog's CBOR.
        let mut buf = Vec::new();
        ciborium::into_writer(&card, &mut buf).unwrap();
        let back: StudyCard = ciborium::from_reader(buf.as_slice()).unwrap();
        assert_eq!(back, card);
    }

    #[test]
    fn unknown_keys_are_rejected_where_they_are() {
        let e = err(&MINIMAL.replace("op = \"contains\"", "op = \"contains\", value = 1"));
        assert!(e.starts_with("study card:6:"), "{e}");
        assert!(e.contains("in [[rule]] 1"), "{e}");
        assert!(e.contains("unknown field `value`"), "{e}");
        assert!(e.contains("`values`"), "{e}");
        assert!(
            e.contains("6 | conditions = [{ tag = \"SeriesDescription\""),
            "{e}"
        );
        let e = err(&MINIMAL.replace(
            "assign = { nature = \"T2w\" }",
            "assign = { natur = \"T2w\" }",
        ));
        assert!(
            e.contains("in [[rule]] 2") && e.contains("unknown field `natur`"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("grade = \"fail\"", "grade = \"fail\"\nseverity = 1"));
        assert!(
            e.contains("in [[quality]] 1") && e.contains("unknown field `severity`"),
            "{e}"
        );
        let e = err(&format!("{MINIMAL}\nowner = \"x\"\n"));
        assert!(e.contains("unknown field `owner`"), "{e}");
    }

    #[test]
    fn bad_operators_tags_values_and_vocabulary_are_explained() {
        let e = err(&MINIMAL.replace("\"contains\"", "\"contain\""));
        assert!(
            e.starts_with(
                "study card:6:14 in [[rule]] 1, condition 1: `SeriesDescription`: unknown operator \
                 `contain`; valid operators (any case): equals, not_equals,"
            ),
            "{e}"
        );
        let e = err(&MINIMAL.replace("\"(0018,0081)\"", "\"EchoTim\""));
        assert!(
            e.contains(
                "in [[rule]] 2, condition 2: tag `EchoTim`: `EchoTim` is not a DICOM keyword"
            ),
            "{e}"
        );
        let e = err(&MINIMAL.replace(
            "\"RepetitionTime\", op = \"greater_than\"",
            "\"SeriesDescription\", op = \"greater_than\"",
        ));
        assert!(e.contains("`greater_than` compares numbers, dates or times, but `SeriesDescription` is text (VR LO)"), "{e}");
        let e = err(&MINIMAL.replace("values = [3000]", "values = [\"long\"]"));
        assert!(
            e.contains("in [[rule]] 2, condition 1: `RepetitionTime` `greater_than` value `long` is not a number (VR DS)"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("values = [3000]", "values = [true]"));
        assert!(e.contains("`true` is a boolean"), "{e}");
        let e = err(&MINIMAL.replace(
            "op = \"contains\", values = [\"mprage\", \"t1\"]",
            "op = \"matches\", values = [\"t1(\"]",
        ));
        assert!(
            e.contains("pattern `t1(` is not a valid regular expression"),
            "{e}"
        );
        let e = err(&MINIMAL.replace(
            "op = \"contains\", values = [\"mprage\", \"t1\"]",
            "op = \"present\", values = [\"x\"]",
        ));
        assert!(e.contains("`present` takes no values"), "{e}");
        let e = err(&MINIMAL.replace("nature = \"T1w\"", "nature = \"T1\""));
        assert!(
            e.contains("unknown nature `T1`; valid natures (any case): T1w, T2w"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("\"anat\"", "\"anatomy\""));
        assert!(
            e.contains("unknown BIDS datatype `anatomy`") && e.contains("perf"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("\"fail\"", "\"bad\""));
        assert!(
            e.contains("unknown grade `bad`; valid grades (any case): pass, warning, fail"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("tag = \"SliceThickness\"", "field = \"thickness\""));
        assert!(
            e.contains("unknown catalog field `thickness`") && e.contains("field_strength"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("tag = \"SliceThickness\", ", ""));
        assert!(e.contains("needs `tag = \"...\"`"), "{e}");
        let e = err(&MINIMAL.replace(
            "tag = \"SliceThickness\"",
            "tag = \"SliceThickness\", field = \"center\"",
        ));
        assert!(
            e.contains("has both `tag = \"SliceThickness\"` and `field = \"center\"`"),
            "{e}"
        );
    }

    #[test]
    fn card_level_problems_are_explained() {
        let e = err(&MINIMAL.replace("name = \"mr-natures\"", "name = \" \""));
        assert!(e.contains("the card's `name` is empty"), "{e}");
        let e = err(&MINIMAL.replace("name = \"mr-natures\"\n", ""));
        assert!(e.contains("missing field `name`"), "{e}");
        let e = err(&MINIMAL.replace("study = \"MS cohort\"", "study = \"x\"\nequipment = {}"));
        assert!(
            e.contains("`equipment` needs a non-empty `manufacturer` or `model`"),
            "{e}"
        );
        let e = err(&MINIMAL.replace("assign = { nature = \"T2w\" }", ""));
        assert!(
            e.contains("in [[rule]] 2") && e.contains("missing field `assign`"),
            "{e}"
        );
        let e = err("name = \"x\"\n[[rule]\n");
        assert!(e.starts_with("study card:2:"), "{e}");
    }

    #[test]
    fn files_name_themselves_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("card.toml");
        let e = load_card(&p).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot read study card ") && e.contains("card.toml"),
            "{e}"
        );
        std::fs::write(&p, MINIMAL.replace("\"fail\"", "\"bad\"")).unwrap();
        let e = load_card(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:15:", p.display())), "{e}");
        std::fs::write(&p, MINIMAL).unwrap();
        assert_eq!(load_card(&p).unwrap().name, "mr-natures");
    }

    proptest::proptest! {
        #[test]
        fn damaged_cards_give_errors_not_panics(cut in 0usize..600, insert in "\\PC{0,3}") {
            let mut text = MINIMAL.to_string();
            let at = (0..=cut.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            text.insert_str(at, &insert);
            if let Err(e) = parse_card(&text) {
                let _ = e.to_string();
            }
        }
    }
}
