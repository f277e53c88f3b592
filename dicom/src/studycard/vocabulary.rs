//! The words of the card language shared by the card model and its conditions: the
//! closed-vocabulary machinery ([`vocabulary!`](vocabulary)), the operators and condition values.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Defines a closed vocabulary parsed case-insensitively from its canonical spellings.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])* $name:ident, $what:literal, $plural:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::studycard::vocabulary::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| $crate::studycard::vocabulary::UnknownName {
                        what: $what,
                        plural: $plural,
                        given: s.to_string(),
                        valid: $name::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use vocabulary;

/// A name that is not in a closed vocabulary; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`; valid {plural} (any case): {}", valid.join(", "))]
pub struct UnknownName {
    /// What was being named (`operator`, `nature`, ...).
    pub what: &'static str,
    /// Its plural, for the message.
    pub plural: &'static str,
    /// What the card said.
    pub given: String,
    /// The canonical spellings.
    pub valid: Vec<&'static str>,
}

vocabulary! {
    /// A condition's operator. The `not_` forms are the exact negations of their positive
    /// forms (see `docs/studycards.md`).
    Operator, "operator", "operators" {
        /// Equal (numbers, dates and times compare by value).
        Equals = "equals",
        /// Negation of `equals`.
        NotEquals = "not_equals",
        /// Text starts with.
        StartsWith = "starts_with",
        /// Negation of `starts_with`.
        NotStartsWith = "not_starts_with",
        /// Text ends with.
        EndsWith = "ends_with",
        /// Negation of `ends_with`.
        NotEndsWith = "not_ends_with",
        /// Text contains.
        Contains = "contains",
        /// Negation of `contains`.
        NotContains = "not_contains",
        /// Strictly less than (numbers, dates, times).
        LessThan = "less_than",
        /// Strictly greater than (numbers, dates, times).
        GreaterThan = "greater_than",
        /// The attribute has a non-empty value; takes no values.
        Present = "present",
        /// The attribute is missing or empty; takes no values.
        Absent = "absent",
        /// A regular expression finds a match in the text (unanchored).
        Matches = "matches",
    }
}

impl Operator {
    /// For a `not_` operator, the operator it negates.
    pub fn negated(self) -> Option<Operator> {
        match self {
            Operator::NotEquals => Some(Operator::Equals),
            Operator::NotStartsWith => Some(Operator::StartsWith),
            Operator::NotEndsWith => Some(Operator::EndsWith),
            Operator::NotContains => Some(Operator::Contains),
            _ => None,
        }
    }

    /// Whether the operator takes values (all but `present` and `absent`).
    pub fn takes_values(self) -> bool {
        !matches!(self, Operator::Present | Operator::Absent)
    }

    /// Whether the operator orders values (`less_than`, `greater_than`).
    pub fn is_ordering(self) -> bool {
        matches!(self, Operator::LessThan | Operator::GreaterThan)
    }
}

/// A value in a condition's `values`: TOML (and CBOR) integers, floats and strings. A TOML date
/// or date-time literal (`2020-01-31`) is read as its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Float(x) => s.serialize_f64(*x),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, an integer, a float or a date")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Err(E::custom(format!(
            "`{v}` is a boolean; condition values are strings, numbers or dates"
        )))
    }

    // The TOML deserializer hands date literals over as a one-entry map.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        let dt = ::toml::value::Datetime::deserialize(
            serde::de::value::MapAccessDeserializer::new(map),
        )?;
        Ok(Value::Text(dt.to_string()))
    }
}
