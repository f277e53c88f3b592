//! Conditions: what a condition looks at (a DICOM attribute by tag path, or a catalog field), its
//! operator, and its values, checked when the card is read so that evaluation cannot fail.
//!
//! The checks use the standard DICOM dictionary: the value representation (VR) of the attribute
//! decides how values compare (numbers, dates, times, text), so `less_than` on a text attribute
//! or `equals "abc"` on a numeric one is rejected with the attribute and its VR named.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::model::{vocabulary, Operator, UnknownName, Value};

/// How the values of an attribute or field compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Text (AE, CS, LO, LT, PN, SH, ST, UC, UI, UR, UT, ...): case-insensitive by default.
    Text,
    /// Numbers (DS, IS, US, SS, UL, SL, FL, FD, UV, SV), compared as f64.
    Number,
    /// Age strings (AS, `055Y`, `006M`, `003W`, `010D`), compared in years.
    Age,
    /// Dates (DA).
    Date,
    /// Times of day (TM).
    Time,
    /// Date-times (DT); a time zone offset is ignored.
    DateTime,
    /// Sequences (SQ): only `present` / `absent`.
    Sequence,
    /// Binary data (OB, OW, OF, OD, OL, OV): only `present` / `absent`.
    Binary,
}

impl ValueKind {
    /// The kind of an attribute with this VR. `UN` reads as text (its bytes decoded).
    pub fn of_vr(vr: VR) -> ValueKind {
        use VR::*;
        match vr {
            DS | IS | US | SS | UL | SL | FL | FD | UV | SV => ValueKind::Number,
            AS => ValueKind::Age,
            DA => ValueKind::Date,
            TM => ValueKind::Time,
            DT => ValueKind::DateTime,
            SQ => ValueKind::Sequence,
            OB | OW | OF | OD | OL | OV => ValueKind::Binary,
            _ => ValueKind::Text,
        }
    }

    /// Whether values of this kind have an order (`less_than`, `greater_than`).
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            ValueKind::Number
                | ValueKind::Age
                | ValueKind::Date
                | ValueKind::Time
                | ValueKind::DateTime
        )
    }

    fn describe(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Number => "a number",
            ValueKind::Age => "an age (a number of years, or `055Y`, `006M`, `003W`, `010D`)",
            ValueKind::Date => "a date (`2020-01-31` or `20200131`)",
            ValueKind::Time => "a time (`14:30:00` or `143000`)",
            ValueKind::DateTime => "a date-time (`2020-01-31T14:30:00` or `20200131143000`)",
            ValueKind::Sequence => "a sequence",
            ValueKind::Binary => "binary data",
        }
    }
}

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

/// Which item(s) of a sequence a path step goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSelector {
    /// Every item (`[*]`, also the default when no selector is written).
    Any,
    /// The item at this index, counting from 0 (`[0]`).
    Index(u32),
}

/// One sequence step of a tag path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagStep {
    /// The sequence attribute.
    pub tag: Tag,
    /// Which of its items to enter.
    pub item: ItemSelector,
}

/// A DICOM attribute, possibly inside sequences: `RepetitionTime`, `(0018,0080)`,
/// `SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence[0]/RepetitionTime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPath {
    text: String,
    steps: Vec<TagStep>,
    leaf: Tag,
    leaf_vr: Option<VR>,
}

/// What is wrong with a tag path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagPathError {
    /// Nothing was written.
    #[error("the tag is empty")]
    Empty,
    /// A `/` with nothing on one side.
    #[error("tag path `{path}` has an empty step (two `/` in a row, or one at an end)")]
    EmptyStep {
        /// The whole path.
        path: String,
    },
    /// Not a keyword of the standard dictionary, and not shaped like a tag.
    #[error(
        "`{key}` is not a DICOM keyword (keywords are case-sensitive, e.g. `SeriesDescription`) \
         nor a tag written `(gggg,eeee)`{hint}"
    )]
    UnknownKeyword {
        /// The step as written.
        key: String,
        /// A hint for a likely mistake (may be empty).
        hint: &'static str,
    },
    /// Shaped like a tag but not a valid one.
    #[error(
        "`{key}` is not a valid tag: write `(gggg,eeee)` with 4 hexadecimal digits in each part"
    )]
    BadTag {
        /// The step as written.
        key: String,
    },
    /// A `[...]` that is neither `[*]` nor `[N]`.
    #[error(
        "`{step}`: an item selector is `[*]` (any item) or `[N]` (the item at index N, from 0)"
    )]
    BadSelector {
        /// The step as written.
        step: String,
    },
    /// An item selector on the last step.
    #[error("`{step}` ends the path: item selectors go on a sequence that a `/` follows")]
    SelectorOnLeaf {
        /// The step as written.
        step: String,
    },
    /// A `/` after an attribute that the dictionary says is not a sequence.
    #[error("`{key}` has VR {vr}, not SQ: only a sequence can be followed by `/`")]
    NotASequence {
        /// The step as written.
        key: String,
        /// Its VR.
        vr: String,
    },
}

impl TagPath {
    /// Parses a path of `/`-separated steps. Each step is a keyword or a tag (`(gggg,eeee)`,
    /// `gggg,eeee`, `ggggeeee`); steps before the last must be sequences and may carry `[*]` or
    /// `[N]`.
    pub fn parse(text: &str) -> Result<TagPath, TagPathError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TagPathError::Empty);
        }
        let parts: Vec<&str> = text.split('/').map(str::trim).collect();
        let last = parts.len() - 1;
        let mut steps = Vec::with_capacity(last);
        let mut leaf = None;
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(TagPathError::EmptyStep { path: text.into() });
            }
            let (key, item) = split_selector(part)?;
            let (tag, vr) = resolve_key(key)?;
            if i == last {
                if item.is_some() {
                    return Err(TagPathError::SelectorOnLeaf {
                        step: (*part).into(),
                    });
                }
                leaf = Some((tag, vr));
            } else {
                if let Some(vr) = vr.filter(|vr| *vr != VR::SQ) {
                    return Err(TagPathError::NotASequence {
                        key: key.into(),
                        vr: String::from(vr.to_string()),
                    });
                }
                steps.push(TagStep {
                    tag,
                    item: item.unwrap_or(ItemSelector::Any),
                });
            }
        }
        let Some((leaf, leaf_vr)) = leaf else {
            return Err(TagPathError::Empty);
        };
        Ok(TagPath {
            text: text.into(),
            steps,
            leaf,
            leaf_vr,
        })
    }

    /// The path as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The sequence steps before the attribute.
    pub fn steps(&self) -> &[TagStep] {
        &self.steps
    }

    /// The attribute's tag.
    pub fn leaf(&self) -> Tag {
        self.leaf
    }

    /// The attribute's VR per the standard dictionary (`None` for private or unknown tags,
    /// whose VR is read from the data).
    pub fn leaf_vr(&self) -> Option<VR> {
        self.leaf_vr
    }
}

impl fmt::Display for TagPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn split_selector(part: &str) -> Result<(&str, Option<ItemSelector>), TagPathError> {
    let Some(open) = part.find('[') else {
        return Ok((part, None));
    };
    let bad = || TagPathError::BadSelector { step: part.into() };
    let inner = part[open + 1..].strip_suffix(']').ok_or_else(bad)?.trim();
    let item = if inner == "*" {
        ItemSelector::Any
    } else {
        ItemSelector::Index(inner.parse().map_err(|_| bad())?)
    };
    Ok((part[..open].trim(), Some(item)))
}

fn resolve_key(key: &str) -> Result<(Tag, Option<VR>), TagPathError> {
    let dict = StandardDataDictionary;
    // Context-dependent VRs (pixel data OB/OW, US/SS) relax to one that has the same kind.
    let vr_of = |tag: Tag| dict.by_tag(tag).map(|e| e.vr().relaxed());
    if let Some(entry) = dict.by_name(key) {
        let tag = entry.tag();
        return Ok((tag, Some(entry.vr().relaxed())));
    }
    let tag_like = key.starts_with('(')
        || key.contains(',')
        || (key.len() == 8 && key.chars().all(|c| c.is_ascii_hexdigit()));
    if tag_like {
        let tag: Tag = key
            .parse()
            .map_err(|_| TagPathError::BadTag { key: key.into() })?;
        return Ok((tag, vr_of(tag)));
    }
    let hint = if key.contains('.') {
        "; steps into sequences are separated by `/`"
    } else if key.contains(' ') {
        "; keywords have no spaces"
    } else {
        ""
    };
    Err(TagPathError::UnknownKeyword {
        key: key.into(),
        hint,
    })
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

/// Lower-cases text unless comparisons are case-sensitive.
pub(super) fn fold(s: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        s.to_string()
    } else {
        s.to_lowercase()
    }
}

fn trim_value(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

/// A finite decimal number.
pub(super) fn parse_number(s: &str) -> Option<f64> {
    trim_value(s).parse::<f64>().ok().filter(|x| x.is_finite())
}

/// An age in years: a plain number, or an AS value (`055Y`, `006M`, `003W`, `010D`).
pub(super) fn parse_age(s: &str) -> Option<f64> {
    let s = trim_value(s);
    if let Some(n) = parse_number(s) {
        return Some(n);
    }
    let unit = s.chars().last()?;
    let n: f64 = s[..s.len() - unit.len_utf8()].parse::<u32>().ok()?.into();
    match unit.to_ascii_uppercase() {
        'Y' => Some(n),
        'M' => Some(n / 12.0),
        'W' => Some(n * 7.0 / 365.25),
        'D' => Some(n / 365.25),
        _ => None,
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn digits(s: &str) -> Option<u32> {
    if !all_digits(s) {
        return None;
    }
    s.parse().ok()
}

/// A date: `YYYYMMDD` (DICOM), `YYYY-MM-DD` (ISO, TOML) or `YYYY.MM.DD` (old ACR-NEMA).
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    let (y, m, d) = match s.len() {
        8 => (&s[0..4], &s[4..6], &s[6..8]),
        10 if matches!(&s[4..5], "-" | ".") && s[4..5] == s[7..8] => {
            (&s[0..4], &s[5..7], &s[8..10])
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(digits(y)? as i32, digits(m)?, digits(d)?)
}

/// A time of day in seconds: `HHMMSS.FFFFFF`, `HHMM`, `HH` (DICOM) or `HH:MM[:SS[.F]]`.
pub(super) fn parse_time(s: &str) -> Option<f64> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    let (h, m, sec) = if s.contains(':') {
        let mut it = s.split(':');
        let h = it.next()?;
        let m = it.next()?;
        let sec = it.next().unwrap_or("0");
        if it.next().is_some() {
            return None;
        }
        (h, m, sec)
    } else {
        let (whole, _) = s.split_once('.').unwrap_or((s, ""));
        match whole.len() {
            2 if !s.contains('.') => (s, "0", "0"),
            4 if !s.contains('.') => (&s[0..2], &s[2..4], "0"),
            6 => (&s[0..2], &s[2..4], &s[4..]),
            _ => return None,
        }
    };
    if h.len() != 2 || m.len() > 2 {
        return None;
    }
    let (h, m) = (digits(h)?, digits(m)?);
    let (sec_whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec_whole = digits(sec_whole)?;
    if !frac.is_empty() && !all_digits(frac) {
        return None;
    }
    if h > 23 || m > 59 || sec_whole > 60 {
        return None;
    }
    let secs: f64 = sec.parse().ok()?;
    Some(f64::from(h * 3600 + m * 60) + secs)
}

/// A date-time: DICOM DT (`YYYY[MM[DD[HH[MM[SS[.F]]]]]]` with an ignored `+ZZXX` offset) or ISO
/// (`YYYY-MM-DD[T| ]HH:MM[:SS]`, an ignored `Z` or offset). Missing parts default to their first
/// value.
pub(super) fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = trim_value(s);
    if !s.is_ascii() {
        return None;
    }
    if s.len() >= 10 && matches!(&s[4..5], "-") {
        let date = parse_date(&s[..10])?;
        let rest = &s[10..];
        if rest.is_empty() {
            return date.and_hms_opt(0, 0, 0);
        }
        let time = rest.strip_prefix(['T', 't', ' '])?;
        let time = time.trim_end_matches(['Z', 'z']);
        let time = match time.find(['+', '-']) {
            Some(i) => &time[..i],
            None => time,
        };
        return with_time(date, parse_time(time)?);
    }
    // DICOM DT: strip an offset after the year.
    let body = match s.get(4..).and_then(|r| r.find(['+', '-'])) {
        Some(i) => &s[..4 + i],
        None => s,
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if !all_digits(whole) || !matches!(whole.len(), 4 | 6 | 8 | 10 | 12 | 14) {
        return None;
    }
    if frac.is_some() && whole.len() != 14 {
        return None;
    }
    let part = |r: std::ops::Range<usize>, default: u32| -> Option<u32> {
        whole.get(r).map_or(Some(default), digits)
    };
    let date = NaiveDate::from_ymd_opt(part(0..4, 1)? as i32, part(4..6, 1)?, part(6..8, 1)?)?;
    let (h, m, sec) = (part(8..10, 0)?, part(10..12, 0)?, part(12..14, 0)?);
    let mut secs = f64::from(h * 3600 + m * 60 + sec);
    if let Some(f) = frac {
        if !all_digits(f) {
            return None;
        }
        secs += format!("0.{f}").parse::<f64>().ok()?;
    }
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    with_time(date, secs)
}

fn with_time(date: NaiveDate, secs: f64) -> Option<NaiveDateTime> {
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as u32;
    let whole = whole as u32;
    date.and_hms_nano_opt(
        whole / 3600,
        (whole / 60) % 60,
        whole % 60,
        nanos.min(999_999_999),
    )
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
            FieldRef::Dicom(p) => (Some(p.text), None),
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
    fn tag_paths_resolve_keywords_tags_and_sequences() {
        let p = TagPath::parse("SeriesDescription").unwrap();
        assert_eq!((p.leaf(), p.leaf_vr()), (Tag(0x0008, 0x103E), Some(VR::LO)));
        assert!(p.steps().is_empty());
        for form in ["(0018,0081)", "0018,0081", "00180081", "EchoTime"] {
            let p = TagPath::parse(form).unwrap();
            assert_eq!(
                (p.leaf(), p.leaf_vr()),
                (Tag(0x0018, 0x0081), Some(VR::DS)),
                "{form}"
            );
        }
        let p = TagPath::parse(
            "SharedFunctionalGroupsSequence/MRTimingAndRelatedParametersSequence[0]/RepetitionTime",
        )
        .unwrap();
        assert_eq!(
            p.steps(),
            [
                TagStep {
                    tag: Tag(0x5200, 0x9229),
                    item: ItemSelector::Any
                },
                TagStep {
                    tag: Tag(0x0018, 0x9112),
                    item: ItemSelector::Index(0)
                }
            ]
        );
        assert_eq!(p.leaf(), Tag(0x0018, 0x0080));
        let p = TagPath::parse("PerFrameFunctionalGroupsSequence[*]/(0019,100C)").unwrap();
        assert_eq!(p.steps()[0].item, ItemSelector::Any);
        assert_eq!((p.leaf(), p.leaf_vr()), (Tag(0x0019, 0x100C), None));
        assert_eq!(
            p.to_string(),
            "PerFrameFunctionalGroupsSequence[*]/(0019,100C)"
        );
    }

    #[test]
    fn tag_path_errors_say_what_is_wrong() {
        let e = |s: &str| TagPath::parse(s).unwrap_err().to_string();
        assert_eq!(e(" "), "the tag is empty");
        assert!(e("SeriesDescripton").starts_with("`SeriesDescripton` is not a DICOM keyword"));
        assert!(e("seriesdescription").contains("case-sensitive"));
        assert!(e("A.B").contains("separated by `/`"));
        assert!(
            e("(0018,008)").contains("not a valid tag"),
            "{}",
            e("(0018,008)")
        );
        assert!(e("(0018,00ZZ)").contains("not a valid tag"));
        assert!(e("SeriesDescription/EchoTime").contains("has VR LO, not SQ"));
        assert!(e("ReferencedImageSequence[x]/ReferencedSOPInstanceUID").contains("`[*]`"));
        assert!(e("ReferencedImageSequence[1").contains("item selector"));
        assert!(e("EchoTime[0]").contains("ends the path"));
        assert!(e("ReferencedImageSequence//ReferencedSOPInstanceUID").contains("empty step"));
    }

    #[test]
    fn operand_parsers_accept_dicom_and_iso_forms() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 31);
        assert_eq!(parse_date("20200131"), d);
        assert_eq!(parse_date("2020-01-31"), d);
        assert_eq!(parse_date("2020.01.31 "), d);
        assert_eq!(parse_date("2020-01.31"), None);
        assert_eq!(parse_date("20201331"), None);
        assert_eq!(parse_date("2020131"), None);
        assert_eq!(
            parse_time("143340.5"),
            Some(14.0 * 3600.0 + 33.0 * 60.0 + 40.5)
        );
        assert_eq!(parse_time("14:33:40.5"), parse_time("143340.5"));
        assert_eq!(parse_time("1433"), Some(14.0 * 3600.0 + 33.0 * 60.0));
        assert_eq!(parse_time("14"), Some(14.0 * 3600.0));
        assert_eq!(parse_time("2500"), None);
        assert_eq!(parse_time("abc"), None);
        let dt = |s| parse_datetime(s).map(|d| d.to_string());
        assert_eq!(
            dt("20200131143340.25+0100").as_deref(),
            Some("2020-01-31 14:33:40.250")
        );
        assert_eq!(
            dt("2020-01-31T14:33:40Z").as_deref(),
            Some("2020-01-31 14:33:40")
        );
        assert_eq!(dt("2020-01-31").as_deref(), Some("2020-01-31 00:00:00"));
        assert_eq!(dt("202001").as_deref(), Some("2020-01-01 00:00:00"));
        assert_eq!(dt("2020013"), None);
        assert_eq!(parse_age("055Y"), Some(55.0));
        assert_eq!(parse_age("006M"), Some(0.5));
        assert_eq!(parse_age("30"), Some(30.0));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_number(" 2.98 "), Some(2.98));
        assert_eq!(parse_number("NaN"), None);
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

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = TagPath::parse(&s);
            let _ = (parse_number(&s), parse_age(&s), parse_date(&s), parse_time(&s));
            let _ = parse_datetime(&s);
            let _ = s.parse::<Operator>();
        }

        #[test]
        fn date_like_text_never_panics(s in "[0-9.:+\\-TZ ]{0,26}") {
            let _ = (parse_date(&s), parse_time(&s), parse_datetime(&s), parse_age(&s));
        }
    }
}
