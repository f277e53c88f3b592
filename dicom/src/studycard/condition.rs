//! Conditions: what a condition looks at (a DICOM attribute by tag path, or a catalog field), its
//! operator, and its values, checked when the card is read so that evaluation cannot fail.
//!
//! The checks use the standard DICOM dictionary: the value representation (VR) of the attribute
//! decides how values compare (numbers, dates, times, text), so `less_than` on a text attribute
//! or `equals "abc"` on a numeric one is rejected with the attribute and its VR named.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::tag_path::{TagPath, TagPathError};
use super::values::{
    fold, parse_age, parse_date, parse_datetime, parse_number, parse_time, ValueKind,
};
use super::vocabulary::{vocabulary, Operator, UnknownName, Value};

vocabulary! {
    /// A catalog field a condition can test instead of a DICOM attribute; the values come from
    /// [`CatalogFields`](super::CatalogFields).
    CatalogField, "catalog field", "catalog fields" {
        /// The acquisition center's name (text).
        Center = "center",
        /// The study's name (text).
        Study = "study",
        /// The modality, e.g. `MR` (text).
        Modality = "modality",
        /// The equipment manufacturer (text).
        Manufacturer = "manufacturer",
        /// The equipment model name (text).
        Model = "model",
        /// The magnetic field strength in tesla (number).
        FieldStrength = "field_strength",
        /// The series number (number).
        SeriesNumber = "series_number",
        /// The series description (text).
        SeriesDescription = "series_description",
        /// The protocol name (text).
        ProtocolName = "protocol_name",
        /// The examination date as stored (after date shifting) (date).
        ExaminationDate = "examination_date",
    }
}

impl CatalogField {
    /// How the field's values compare.
    pub fn kind(self) -> ValueKind {
        match self {
            CatalogField::FieldStrength | CatalogField::SeriesNumber => ValueKind::Number,
            CatalogField::ExaminationDate => ValueKind::Date,
            _ => ValueKind::Text,
        }
    }
}

/// What a condition tests.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRef {
    /// A DICOM attribute of the acquisition's (de-identified) representative instance.
    Dicom(TagPath),
    /// A field the catalog knows about the acquisition.
    Catalog(CatalogField),
}

impl FieldRef {
    /// How values compare, when the dictionary (or the field list) tells; `None` for tags the
    /// dictionary does not know, whose VR is read from the data.
    pub fn static_kind(&self) -> Option<ValueKind> {
        match self {
            FieldRef::Dicom(p) => p.leaf_vr().map(ValueKind::of_vr),
            FieldRef::Catalog(f) => Some(f.kind()),
        }
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Dicom(p) => write!(f, "`{p}`"),
            FieldRef::Catalog(c) => write!(f, "field `{c}`"),
        }
    }
}

/// What is wrong with a condition. Messages name the attribute or field, the operator and the
/// offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    /// Neither `tag` nor `field`.
    #[error("needs `tag = \"...\"` (a DICOM attribute) or `field = \"...\"` (a catalog field)")]
    NoSubject,
    /// Both `tag` and `field`.
    #[error("has both `tag = \"{tag}\"` and `field = \"{field}\"`; keep one")]
    TwoSubjects {
        /// The tag given.
        tag: String,
        /// The field given.
        field: String,
    },
    /// A bad tag path.
    #[error("tag `{tag}`: {source}")]
    Tag {
        /// The tag as written.
        tag: String,
        /// What is wrong.
        source: TagPathError,
    },
    /// A catalog field that does not exist.
    #[error("{0}")]
    UnknownField(UnknownName),
    /// An operator that does not exist.
    #[error("{subject}: {source}")]
    UnknownOperator {
        /// The attribute or field.
        subject: String,
        /// The unknown operator and the valid ones.
        source: UnknownName,
    },
    /// An operator that needs values has none.
    #[error("{subject} `{op}` needs at least one value, e.g. `values = [...]`")]
    MissingValues {
        /// The attribute or field.
        subject: String,
        /// The operator.
        op: Operator,
    },
    /// `present` / `absent` with values.
    #[error("{subject} `{op}` takes no values; remove `values`")]
    UnexpectedValues {
        /// The attribute or field.
        subject: String,
        /// The operator.
        op: Operator,
    },
    /// A value operator on a sequence or binary attribute.
    #[error("{subject} `{op}` cannot test {kind} (VR {vr}); use `present` or `absent`{hint}")]
    NotComparable {
        /// The attribute.
        subject: String,
        /// The operator.
        op: Operator,
        /// What the attribute holds.
        kind: &'static str,
        /// Its VR.
        vr: String,
        /// A hint (may be empty).
        hint: &'static str,
    },
    /// `less_than` / `greater_than` on text.
    #[error("`{op}` compares numbers, dates or times, but {subject} is {what}; use `equals`, `contains` or `matches`")]
    NotOrdered {
        /// The attribute or field.
        subject: String,
        /// The operator.
        op: Operator,
        /// What the attribute is, with its VR.
        what: String,
    },
    /// A value that does not parse as the attribute's kind.
    #[error("{subject} `{op}` value `{value}` is not {expected}")]
    BadValue {
        /// The attribute or field.
        subject: String,
        /// The operator.
        op: Operator,
        /// The value as written.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// An invalid regular expression.
    #[error(
        "{subject} `matches` pattern `{pattern}` is not a valid regular expression: {message}"
    )]
    BadRegex {
        /// The attribute or field.
        subject: String,
        /// The pattern.
        pattern: String,
        /// The regex engine's explanation.
        message: String,
    },
}

/// One condition value, pre-parsed into every form it may be compared as.
#[derive(Debug, Clone)]
pub(super) struct Operand {
    pub(super) text: String,
    /// `text`, lower-cased unless the condition is case-sensitive.
    pub(super) folded: String,
    /// Whether the card wrote it as a number (so it compares numerically with numeric text).
    pub(super) written_as_number: bool,
    pub(super) number: Option<f64>,
    pub(super) age: Option<f64>,
    pub(super) date: Option<NaiveDate>,
    pub(super) time: Option<f64>,
    pub(super) datetime: Option<NaiveDateTime>,
    pub(super) regex: Option<Regex>,
}

impl Operand {
    /// Whether this operand has a form of the given kind.
    pub(super) fn has(&self, kind: ValueKind) -> bool {
        match kind {
            ValueKind::Number => self.number.is_some(),
            ValueKind::Age => self.age.is_some(),
            ValueKind::Date => self.date.is_some(),
            ValueKind::Time => self.time.is_some(),
            ValueKind::DateTime => self.datetime.is_some(),
            ValueKind::Text | ValueKind::Sequence | ValueKind::Binary => true,
        }
    }
}

/// A condition on one attribute or catalog field. Built only through [`Condition::new`] (or by
/// deserializing), which checks it against the dictionary; evaluating it cannot fail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ConditionRepr", into = "ConditionRepr")]
pub struct Condition {
    field: FieldRef,
    op: Operator,
    values: Vec<Value>,
    case_sensitive: bool,
    operands: Vec<Operand>,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field
            && self.op == other.op
            && self.values == other.values
            && self.case_sensitive == other.case_sensitive
    }
}

impl Condition {
    /// Checks and prepares a condition: values present exactly when the operator takes them,
    /// ordering operators only on ordered kinds, each value parseable as the attribute's kind
    /// where the operator compares by kind, regular expressions valid.
    pub fn new(
        field: FieldRef,
        op: Operator,
        values: Vec<Value>,
        case_sensitive: bool,
    ) -> Result<Condition, ConditionError> {
        let subject = field.to_string();
        if op.takes_values() && values.is_empty() {
            return Err(ConditionError::MissingValues { subject, op });
        }
        if !op.takes_values() && !values.is_empty() {
            return Err(ConditionError::UnexpectedValues { subject, op });
        }
        let kind = field.static_kind();
        let vr_text = match &field {
            FieldRef::Dicom(p) => p.leaf_vr().map(|v| v.to_string()),
            FieldRef::Catalog(_) => None,
        };
        if let Some(k @ (ValueKind::Sequence | ValueKind::Binary)) = kind {
            if op.takes_values() {
                return Err(ConditionError::NotComparable {
                    subject,
                    op,
                    kind: k.describe(),
                    vr: vr_text.unwrap_or_default().to_string(),
                    hint: if k == ValueKind::Sequence {
                        ", or name an attribute inside it with `Sequence/Attribute`"
                    } else {
                        ""
                    },
                });
            }
        }
        let mut operands = Vec::with_capacity(values.len());
        for v in &values {
            operands.push(make_operand(v, op, case_sensitive, &subject)?);
        }
        let typed = op.is_ordering() || matches!(op, Operator::Equals | Operator::NotEquals);
        match kind {
            Some(ValueKind::Text) if op.is_ordering() => {
                let what = match vr_text {
                    Some(vr) => format!("text (VR {vr})"),
                    None => "text".into(),
                };
                return Err(ConditionError::NotOrdered { subject, op, what });
            }
            Some(k) if typed && k.is_ordered() => {
                if let Some(bad) = operands.iter().find(|o| !o.has(k)) {
                    let expected = match vr_text {
                        Some(vr) => format!("{} (VR {vr})", k.describe()),
                        None => k.describe().to_string(),
                    };
                    return Err(ConditionError::BadValue {
                        subject,
                        op,
                        value: bad.text.clone(),
                        expected,
                    });
                }
            }
            None if op.is_ordering() => {
                let orderable = |o: &Operand| {
                    o.number.is_some()
                        || o.date.is_some()
                        || o.time.is_some()
                        || o.datetime.is_some()
                };
                if let Some(bad) = operands.iter().find(|o| !orderable(o)) {
                    return Err(ConditionError::BadValue {
                        subject,
                        op,
                        value: bad.text.clone(),
                        expected: "a number, a date or a time".into(),
                    });
                }
            }
            _ => {}
        }
        Ok(Condition {
            field,
            op,
            values,
            case_sensitive,
            operands,
        })
    }

    /// What the condition tests.
    pub fn field(&self) -> &FieldRef {
        &self.field
    }

    /// The operator.
    pub fn op(&self) -> Operator {
        self.op
    }

    /// The values as written (ORed).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Whether text compares with exact case.
    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    pub(super) fn operands(&self) -> &[Operand] {
        &self.operands
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.op)?;
        for (i, v) in self.values.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { " or " })?;
            match v {
                Value::Text(t) => write!(f, "{t:?}")?,
                other => write!(f, "{other}")?,
            }
        }
        if self.case_sensitive {
            f.write_str(" (exact case)")?;
        }
        Ok(())
    }
}

fn make_operand(
    v: &Value,
    op: Operator,
    case_sensitive: bool,
    subject: &str,
) -> Result<Operand, ConditionError> {
    let text = v.to_string();
    let (number, written_as_number) = match v {
        Value::Integer(i) => (Some(*i as f64), true),
        Value::Float(x) => (Some(*x).filter(|x| x.is_finite()), true),
        Value::Text(t) => (parse_number(t), false),
    };
    let regex = if op == Operator::Matches {
        let re = RegexBuilder::new(&text)
            .case_insensitive(!case_sensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| ConditionError::BadRegex {
                subject: subject.into(),
                pattern: text.clone(),
                message: e.to_string(),
            })?;
        Some(re)
    } else {
        None
    };
    Ok(Operand {
        folded: fold(&text, case_sensitive),
        written_as_number,
        number,
        age: number.or_else(|| parse_age(&text)),
        date: parse_date(&text),
        time: parse_time(&text),
        datetime: parse_datetime(&text),
        regex,
        text,
    })
}

/// Deserializes a rule's `conditions`, numbering them (from 1) in error messages.
pub(super) fn deserialize_conditions<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<Condition>, D::Error> {
    struct Numbered;
    impl<'de> serde::de::Visitor<'de> for Numbered {
        type Value = Vec<Condition>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a list of conditions `[{ tag = \"...\", op = \"...\", values = [...] }, ...]`",
            )
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(repr) = seq.next_element::<ConditionRepr>()? {
                let n = out.len() + 1;
                let c = Condition::try_from(repr)
                    .map_err(|e| serde::de::Error::custom(format!("condition {n}: {e}")))?;
                out.push(c);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Numbered)
}

/// The serialized shape of a condition (same keys in TOML and CBOR).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConditionRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    op: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    case_sensitive: bool,
}

impl TryFrom<ConditionRepr> for Condition {
    type Error = ConditionError;

    fn try_from(r: ConditionRepr) -> Result<Self, Self::Error> {
        let field = match (r.tag, r.field) {
            (None, None) => return Err(ConditionError::NoSubject),
            (Some(tag), Some(field)) => return Err(ConditionError::TwoSubjects { tag, field }),
            (Some(tag), None) => FieldRef::Dicom(
                TagPath::parse(&tag).map_err(|source| ConditionError::Tag { tag, source })?,
            ),
            (None, Some(field)) => {
                FieldRef::Catalog(field.parse().map_err(ConditionError::UnknownField)?)
            }
        };
        let op =
            r.op.parse()
                .map_err(|source| ConditionError::UnknownOperator {
                    subject: field.to_string(),
                    source,
                })?;
        Condition::new(field, op, r.values, r.case_sensitive)
    }
}

impl From<Condition> for ConditionRepr {
    fn from(c: Condition) -> Self {
        let (tag, field) = match c.field {
            FieldRef::Dicom(p) => (Some(p.as_str().to_string()), None),
            FieldRef::Catalog(f) => (None, Some(f.as_str().to_string())),
        };
        ConditionRepr {
            tag,
            field,
            op: c.op.as_str().to_string(),
            values: c.values,
            case_sensitive: c.case_sensitive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(tag: &str, op: Operator, values: Vec<Value>) -> Result<Condition, ConditionError> {
        Condition::new(
            FieldRef::Dicom(TagPath::parse(tag).unwrap()),
            op,
            values,
            false,
        )
    }

    #[test]
    fn values_are_checked_against_the_vr() {
        let n = |i| Value::Integer(i);
        let t = |s: &str| Value::Text(s.into());
        assert!(cond("RepetitionTime", Operator::GreaterThan, vec![n(3000)]).is_ok());
        assert!(cond("RepetitionTime", Operator::Equals, vec![t("2300.0")]).is_ok());
        assert!(cond("StudyDate", Operator::LessThan, vec![t("2020-01-31")]).is_ok());
        assert!(cond("StudyDate", Operator::LessThan, vec![n(20200131)]).is_ok());
        let e = cond("SeriesDescription", Operator::LessThan, vec![n(3)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`less_than` compares numbers, dates or times, but `SeriesDescription` is text \
             (VR LO); use `equals`, `contains` or `matches`"
        );
        let e = cond("RepetitionTime", Operator::Equals, vec![t("long")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`RepetitionTime` `equals` value `long` is not a number (VR DS)"
        );
        let e = cond("StudyDate", Operator::GreaterThan, vec![t("31/01/2020")]).unwrap_err();
        assert!(e.to_string().contains("is not a date"), "{e}");
        let e = cond("(0019,100C)", Operator::GreaterThan, vec![t("big")]).unwrap_err();
        assert!(
            e.to_string().contains("not a number, a date or a time"),
            "{e}"
        );
        // Text operators on numbers work on the text.
        assert!(cond("RepetitionTime", Operator::StartsWith, vec![t("23")]).is_ok());
    }

    #[test]
    fn operator_arity_and_attribute_kinds_are_checked() {
        let e = cond("SeriesDescription", Operator::Equals, vec![]).unwrap_err();
        assert!(
            e.to_string().contains("`equals` needs at least one value"),
            "{e}"
        );
        let e = cond(
            "SeriesDescription",
            Operator::Present,
            vec![Value::Integer(1)],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`present` takes no values"), "{e}");
        assert!(cond("ReferencedImageSequence", Operator::Present, vec![]).is_ok());
        let e = cond(
            "ReferencedImageSequence",
            Operator::Contains,
            vec![Value::Text("x".into())],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("cannot test a sequence (VR SQ)"),
            "{e}"
        );
        let e = cond("PixelData", Operator::Equals, vec![Value::Integer(0)]).unwrap_err();
        assert!(e.to_string().contains("binary data"), "{e}");
        let e = cond(
            "SeriesDescription",
            Operator::Matches,
            vec![Value::Text("t1(".into())],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("pattern `t1(` is not a valid regular expression"),
            "{e}"
        );
    }

    #[test]
    fn catalog_fields_have_kinds() {
        assert_eq!(
            "Field_Strength".parse::<CatalogField>(),
            Ok(CatalogField::FieldStrength)
        );
        let e = "fieldstrength"
            .parse::<CatalogField>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown catalog field `fieldstrength`") && e.contains("field_strength")
        );
        let f = FieldRef::Catalog(CatalogField::Center);
        let e =
            Condition::new(f, Operator::GreaterThan, vec![Value::Integer(1)], false).unwrap_err();
        assert!(e.to_string().contains("field `center` is text"), "{e}");
        let f = FieldRef::Catalog(CatalogField::FieldStrength);
        assert!(Condition::new(f, Operator::LessThan, vec![Value::Float(1.5)], false).is_ok());
    }

    #[test]
    fn conditions_display_for_people() {
        let c = cond(
            "SeriesDescription",
            Operator::Contains,
            vec![Value::Text("t1".into()), Value::Integer(3)],
        )
        .unwrap();
        assert_eq!(c.to_string(), "`SeriesDescription` contains \"t1\" or 3");
    }
}
