//! Instrument definitions, their TOML form, and the checks of recorded values.

use std::collections::BTreeMap;

use protocol::id::{AssessmentId, ExaminationId, StudyId, SubjectId};
use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;

/// Why a definition or a value is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// The TOML definition does not parse.
    #[error("instrument definition: {0}")]
    Definition(String),
    /// A value outside the variable's range or choices.
    #[error("{instrument} {variable}: {value} is out of range ({range})")]
    OutOfRange {
        /// Instrument acronym.
        instrument: String,
        /// Variable name.
        variable: String,
        /// The value given.
        value: String,
        /// What is allowed.
        range: String,
    },
    /// A value that is not of the variable's type.
    #[error("{instrument} {variable}: {value:?} is not {expected}")]
    WrongType {
        /// Instrument acronym.
        instrument: String,
        /// Variable name.
        variable: String,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A variable the instrument does not define.
    #[error("{instrument} has no variable {variable:?} (it has: {known})")]
    UnknownVariable {
        /// Instrument acronym.
        instrument: String,
        /// The name given.
        variable: String,
        /// The variables it has.
        known: String,
    },
}

/// The type and the allowed values of a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum VariableKind {
    /// A real number, optionally bounded and on a grid of `step` from `min` (EDSS: 0 to 10 by 0.5).
    Number {
        /// Smallest allowed value.
        #[serde(default)]
        min: Option<f64>,
        /// Largest allowed value.
        #[serde(default)]
        max: Option<f64>,
        /// Allowed values are `min + k * step`.
        #[serde(default)]
        step: Option<f64>,
    },
    /// A whole number, optionally bounded (MMSE: 0 to 30).
    Integer {
        /// Smallest allowed value.
        #[serde(default)]
        min: Option<i64>,
        /// Largest allowed value.
        #[serde(default)]
        max: Option<i64>,
    },
    /// One of the listed codes (`"yes"`, `"no"`; `"RR"`, `"SP"`, `"PP"`).
    Choice {
        /// The allowed codes.
        values: Vec<String>,
    },
}

/// One variable of an instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawVariable")]
pub struct Variable {
    /// Name, as in column headers and filters (`EDSS`, `total`).
    pub name: String,
    /// Type and allowed values.
    #[serde(flatten)]
    pub kind: VariableKind,
    /// Unit, when there is one (`points`, `s`).
    #[serde(default)]
    pub unit: Option<String>,
    /// What it measures.
    #[serde(default)]
    pub description: Option<String>,
}

/// A variable as written in TOML: every key known, a misspelt one refused (serde cannot refuse
/// unknown keys through a flattened enum).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "number")]
    min: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    max: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    step: Option<f64>,
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// A bound written as an integer or a real: an integer variable's bounds are stored (CBOR) and
/// sent (JSON) as integers, which a float field alone would refuse.
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Int(i64),
        Real(f64),
    }
    Ok(Option::<Num>::deserialize(d)?.map(|n| match n {
        Num::Int(i) => i as f64,
        Num::Real(x) => x,
    }))
}

impl TryFrom<RawVariable> for Variable {
    type Error = String;

    fn try_from(r: RawVariable) -> Result<Variable, String> {
        let whole = |x: Option<f64>, what: &str| -> Result<Option<i64>, String> {
            match x {
                Some(v) if v.fract() != 0.0 || v.abs() > 9.0e15 => Err(format!(
                    "variable {:?}: {what} of an integer must be a whole number",
                    r.name
                )),
                Some(v) => Ok(Some(v as i64)),
                None => Ok(None),
            }
        };
        let only = |ok: bool, key: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "variable {:?}: `{key}` does not apply to type {:?}",
                    r.name, r.kind
                ))
            }
        };
        let kind = match r.kind.as_str() {
            "number" => {
                only(r.values.is_none(), "values")?;
                VariableKind::Number {
                    min: r.min,
                    max: r.max,
                    step: r.step,
                }
            }
            "integer" => {
                only(r.values.is_none(), "values")?;
                only(r.step.is_none(), "step")?;
                VariableKind::Integer {
                    min: whole(r.min, "min")?,
                    max: whole(r.max, "max")?,
                }
            }
            "choice" => {
                only(r.min.is_none() && r.max.is_none(), "min/max")?;
                only(r.step.is_none(), "step")?;
                VariableKind::Choice {
                    values: r.values.unwrap_or_default(),
                }
            }
            other => {
                return Err(format!(
                    "variable {:?}: unknown type {other:?} (number, integer or choice; free text and dates are not recorded, they carry identifiers)",
                    r.name
                ))
            }
        };
        Ok(Variable {
            name: r.name,
            kind,
            unit: r.unit,
            description: r.description,
        })
    }
}

/// A clinical instrument (a scale, a test, a questionnaire) as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Full name (`Expanded Disability Status Scale`).
    pub name: String,
    /// Acronym, the instrument's key on this node (`EDSS`): letters, digits, `-` and `_`.
    pub acronym: String,
    /// What it is, its reference.
    #[serde(default)]
    pub description: Option<String>,
    /// Its variables, at least one.
    pub variables: Vec<Variable>,
}

/// One recorded value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScoreValue {
    /// A whole number.
    Integer(i64),
    /// A real number.
    Number(f64),
    /// A code of a choice.
    Code(String),
}

impl ScoreValue {
    /// The value as a number, for ranges and facets (`None` for codes).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ScoreValue::Integer(i) => Some(*i as f64),
            ScoreValue::Number(n) => Some(*n),
            ScoreValue::Code(_) => None,
        }
    }
}

impl std::fmt::Display for ScoreValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScoreValue::Integer(i) => write!(f, "{i}"),
            ScoreValue::Number(n) => write!(f, "{n}"),
            ScoreValue::Code(c) => f.write_str(c),
        }
    }
}

/// One instrument's values for one subject, at an examination or at the subject level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Stable id.
    pub id: AssessmentId,
    /// The study.
    pub study: StudyId,
    /// The subject.
    pub subject: SubjectId,
    /// The examination it belongs to (`None`: about the subject, not a visit).
    #[serde(default)]
    pub examination: Option<ExaminationId>,
    /// The instrument's acronym.
    pub instrument: String,
    /// The values, by variable name.
    pub values: BTreeMap<String, ScoreValue>,
    /// Who recorded it last (a user name or `cli`).
    pub recorded_by: String,
    /// When it was recorded last.
    pub recorded_at: UnixTime,
}

fn fmt_bound<T: std::fmt::Display>(min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any".to_string(),
    }
}

impl Instrument {
    /// Parse and check a TOML definition.
    pub fn from_toml(text: &str) -> Result<Instrument, ScoreError> {
        let i: Instrument =
            toml::from_str(text).map_err(|e| ScoreError::Definition(e.message().to_string()))?;
        i.validate()?;
        Ok(i)
    }

    /// The definition's own consistency: a usable acronym, unique variable names, sane ranges.
    pub fn validate(&self) -> Result<(), ScoreError> {
        let bad = |m: String| Err(ScoreError::Definition(m));
        let key_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !key_ok(&self.acronym) {
            return bad(format!(
                "acronym {:?}: use 1 to 64 letters, digits, '-' or '_'",
                self.acronym
            ));
        }
        if self.name.trim().is_empty() {
            return bad("the name is empty".into());
        }
        if self.variables.is_empty() {
            return bad(format!("{} defines no variable", self.acronym));
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.variables {
            if !key_ok(&v.name) {
                return bad(format!(
                    "variable {:?}: use 1 to 64 letters, digits, '-' or '_'",
                    v.name
                ));
            }
            if !seen.insert(v.name.to_ascii_lowercase()) {
                return bad(format!("variable {:?} is defined twice", v.name));
            }
            match &v.kind {
                VariableKind::Number { min, max, step } => {
                    let finite = |x: &Option<f64>| x.is_none_or(|x| x.is_finite());
                    if !finite(min) || !finite(max) {
                        return bad(format!("{}: bounds must be finite numbers", v.name));
                    }
                    if let (Some(a), Some(b)) = (min, max) {
                        if a > b {
                            return bad(format!("{}: min {a} is above max {b}", v.name));
                        }
                    }
                    if let Some(s) = step {
                        if !(s.is_finite() && *s > 0.0) {
                            return bad(format!("{}: step must be a positive number", v.name));
                        }
                    }
                }
                VariableKind::Integer { min, max } => {
                    if let (Some(a), Some(b)) = (min, max) {
                        if a > b {
                            return bad(format!("{}: min {a} is above max {b}", v.name));
                        }
                    }
                }
                VariableKind::Choice { values } => {
                    if values.is_empty() || values.iter().any(|c| c.trim().is_empty()) {
                        return bad(format!("{}: list at least one non-empty value", v.name));
                    }
                }
            }
        }
        Ok(())
    }

    /// The variable of this name (case-insensitive, as spreadsheets are).
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name.trim()))
    }

    fn known(&self) -> String {
        let names: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
        names.join(", ")
    }

    /// The value of variable `name` read from text (a cell), checked against its type and range.
    pub fn parse_value(&self, name: &str, text: &str) -> Result<(String, ScoreValue), ScoreError> {
        let var = self
            .variable(name)
            .ok_or_else(|| ScoreError::UnknownVariable {
                instrument: self.acronym.clone(),
                variable: name.to_string(),
                known: self.known(),
            })?;
        let text = text.trim();
        let wrong = |expected: &str| ScoreError::WrongType {
            instrument: self.acronym.clone(),
            variable: var.name.clone(),
            value: text.to_string(),
            expected: expected.to_string(),
        };
        let value = match &var.kind {
            // A decimal comma, as European spreadsheets write it.
            VariableKind::Number { .. } => ScoreValue::Number(
                text.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| wrong("a number"))?,
            ),
            VariableKind::Integer { .. } => {
                ScoreValue::Integer(text.parse::<i64>().map_err(|_| wrong("a whole number"))?)
            }
            VariableKind::Choice { values } => {
                let hit = values.iter().find(|c| c.eq_ignore_ascii_case(text));
                ScoreValue::Code(
                    hit.cloned()
                        .ok_or_else(|| wrong(&format!("one of {}", values.join(", "))))?,
                )
            }
        };
        self.check(&var.name, &value)?;
        Ok((var.name.clone(), value))
    }

    /// Check one value against its variable.
    pub fn check(&self, name: &str, value: &ScoreValue) -> Result<(), ScoreError> {
        let var = self
            .variable(name)
            .ok_or_else(|| ScoreError::UnknownVariable {
                instrument: self.acronym.clone(),
                variable: name.to_string(),
                known: self.known(),
            })?;
        let out = |range: String| ScoreError::OutOfRange {
            instrument: self.acronym.clone(),
            variable: var.name.clone(),
            value: value.to_string(),
            range,
        };
        let wrong = |expected: &str| ScoreError::WrongType {
            instrument: self.acronym.clone(),
            variable: var.name.clone(),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        match (&var.kind, value) {
            (VariableKind::Number { min, max, step }, v) => {
                let x = v.as_f64().ok_or_else(|| wrong("a number"))?;
                let range = || {
                    let mut r = fmt_bound(min, max);
                    if let Some(s) = step {
                        r.push_str(&format!(" by {s}"));
                    }
                    r
                };
                if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                    return Err(out(range()));
                }
                if let Some(s) = step {
                    let k = (x - min.unwrap_or(0.0)) / s;
                    if (k - k.round()).abs() > 1e-9 {
                        return Err(out(range()));
                    }
                }
            }
            (VariableKind::Integer { min, max }, ScoreValue::Integer(i)) => {
                if min.is_some_and(|m| *i < m) || max.is_some_and(|m| *i > m) {
                    return Err(out(fmt_bound(min, max)));
                }
            }
            (VariableKind::Integer { .. }, _) => return Err(wrong("a whole number")),
            (VariableKind::Choice { values }, ScoreValue::Code(c)) => {
                if !values.contains(c) {
                    return Err(out(format!("one of {}", values.join(", "))));
                }
            }
            (VariableKind::Choice { values }, _) => {
                return Err(wrong(&format!("one of {}", values.join(", "))))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDSS: &str = r#"
name = "Expanded Disability Status Scale"
acronym = "EDSS"
[[variables]]
name = "EDSS"
type = "number"
min = 0
max = 10
step = 0.5
[[variables]]
name = "course"
type = "choice"
values = ["RR", "SP", "PP"]
[[variables]]
name = "relapses"
type = "integer"
min = 0
"#;

    #[test]
    fn a_definition_parses_and_values_are_checked_with_the_range_named() {
        let i = Instrument::from_toml(EDSS).unwrap();
        assert_eq!(i.acronym, "EDSS");
        assert_eq!(
            i.parse_value("edss", "4,5").unwrap(),
            ("EDSS".into(), ScoreValue::Number(4.5))
        );
        assert_eq!(
            i.parse_value("course", "sp").unwrap().1,
            ScoreValue::Code("SP".into())
        );
        let e = i.parse_value("EDSS", "10.5").unwrap_err();
        assert_eq!(
            e.to_string(),
            "EDSS EDSS: 10.5 is out of range (0 to 10 by 0.5)"
        );
        let e = i.parse_value("EDSS", "4.2").unwrap_err();
        assert!(matches!(e, ScoreError::OutOfRange { .. }), "{e}");
        let e = i.parse_value("relapses", "-1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "EDSS relapses: -1 is out of range (at least 0)"
        );
        assert!(matches!(
            i.parse_value("relapses", "two").unwrap_err(),
            ScoreError::WrongType { .. }
        ));
        assert!(matches!(
            i.parse_value("course", "benign").unwrap_err(),
            ScoreError::WrongType { .. }
        ));
        let e = i.parse_value("MMSE", "3").unwrap_err();
        assert_eq!(
            e.to_string(),
            "EDSS has no variable \"MMSE\" (it has: EDSS, course, relapses)"
        );
    }

    #[test]
    fn bad_definitions_are_refused_with_the_reason() {
        for (text, why) in [
            ("name = \"x\"\nacronym = \"a b\"\nvariables = []", "acronym"),
            ("name = \"x\"\nacronym = \"A\"\nvariables = []", "no variable"),
            (
                "name = \"x\"\nacronym = \"A\"\n[[variables]]\nname = \"v\"\ntype = \"number\"\nmin = 5\nmax = 1",
                "above max",
            ),
            (
                "name = \"x\"\nacronym = \"A\"\n[[variables]]\nname = \"v\"\ntype = \"text\"",
                "unknown type \"text\"",
            ),
            (
                "name = \"x\"\nacronym = \"A\"\n[[variables]]\nname = \"v\"\ntype = \"number\"\nmaximum = 3",
                "unknown field `maximum`",
            ),
            (
                "name = \"x\"\nacronym = \"A\"\n[[variables]]\nname = \"v\"\ntype = \"integer\"\n[[variables]]\nname = \"V\"\ntype = \"integer\"",
                "twice",
            ),
        ] {
            let e = Instrument::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
