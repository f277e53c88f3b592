//! Entity identifiers.
//!
//! Every catalog entity has a stable [ULID](https://github.com/ulid/spec) that is local to the node
//! that created it; the federation refers to `(node id, entity id)`. Ids are newtypes so that a
//! `SubjectId` can never be passed where a `StudyId` is expected. Text form: the 26-character
//! Crockford base32 ULID with a short type prefix (`st_`, `su_`, ...), so an id pasted into a bug
//! report says what it is. Binary form: 16 bytes, which sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// Why a string is not an id of the expected kind.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{input:?} is not a {kind} id (expected `{prefix}` followed by 26 base32 characters{})",
    suggestion.as_ref().map(|s| format!("; did you mean {s}?")).unwrap_or_default())]
pub struct ParseIdError {
    /// The kind of id that was expected.
    pub kind: &'static str,
    /// The prefix such ids carry.
    pub prefix: &'static str,
    /// The rejected input, truncated.
    pub input: String,
    /// The id's canonical spelling, when the input spells one otherwise (lower case, `I`/`L`
    /// for `1`, `O` for `0`).
    pub suggestion: Option<String>,
}

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// Text prefix of this kind of id.
            pub const PREFIX: &'static str = $prefix;

            /// A new id, ordered after every id made before it by this process.
            pub fn new() -> Self {
                $name(Ulid::new())
            }

            /// The id with these 16 bytes.
            pub const fn from_bytes(b: [u8; 16]) -> Self {
                $name(Ulid::from_bytes(b))
            }

            /// 16 bytes, big-endian, sorting by creation time.
            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            /// The underlying ULID.
            pub const fn ulid(self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || ParseIdError {
                    kind: $kind,
                    prefix: $prefix,
                    input: s.chars().take(40).collect(),
                    suggestion: None,
                };
                let body = s.strip_prefix($prefix).ok_or_else(err)?;
                // Ulid::from_string accepts exactly 26 Crockford characters, but also lower case,
                // the aliases I, L, O and a first character above 7 (silently wrapped): only
                // the canonical text form names an id, so one id has one spelling.
                let id = Ulid::from_string(body).map_err(|_| err())?;
                let canonical = id.to_string();
                if canonical != body {
                    let respelled: String = body
                        .to_ascii_uppercase()
                        .chars()
                        .map(|c| match c {
                            'I' | 'L' => '1',
                            'O' => '0',
                            c => c,
                        })
                        .collect();
                    return Err(ParseIdError {
                        suggestion: (respelled == canonical)
                            .then(|| format!("{}{canonical}", $prefix)),
                        ..err()
                    });
                }
                Ok($name(id))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_bytes(&self.0.to_bytes())
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    let b = serde_bytes::ByteBuf::deserialize(d)?;
                    let arr: [u8; 16] = b
                        .as_slice()
                        .try_into()
                        .map_err(|_| serde::de::Error::invalid_length(b.len(), &"16 bytes"))?;
                    Ok($name::from_bytes(arr))
                }
            }
        }
    };
}

entity_id!(
    /// A center (this node's own, or an acquisition center it records).
    CenterId, "ce_", "center"
);
entity_id!(
    /// An acquisition equipment (scanner).
    EquipmentId, "eq_", "equipment"
);
entity_id!(
    /// A research study (a cohort), not a DICOM study.
    StudyId, "st_", "study"
);
entity_id!(
    /// A subject (pseudonymized person) within a study.
    SubjectId, "su_", "subject"
);
entity_id!(
    /// An examination: one imaging visit, i.e. one DICOM study.
    ExaminationId, "ex_", "examination"
);
entity_id!(
    /// A dataset acquisition: one DICOM series.
    AcquisitionId, "aq_", "acquisition"
);
entity_id!(
    /// A dataset: what an acquisition produced, with its DICOM and NIfTI expressions.
    DatasetId, "ds_", "dataset"
);
entity_id!(
    /// A local user account.
    UserId, "us_", "user"
);
entity_id!(
    /// A clinical assessment: one instrument's values for a subject (at an examination).
    AssessmentId, "as_", "assessment"
);

entity_id!(
    /// An access or account request awaiting a study administrator's decision.
    RequestId,
    "rq_",
    "request"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_prefix_checked() {
        let id = StudyId::new();
        let s = id.to_string();
        assert!(s.starts_with("st_"));
        assert_eq!(s.len(), 3 + 26);
        assert_eq!(s.parse::<StudyId>().unwrap(), id);
        let as_subject = s.replacen("st_", "su_", 1);
        assert!(as_subject.parse::<StudyId>().is_err());
        assert!("st_../../etc/passwd".parse::<StudyId>().is_err());
        // One id, one spelling: no lower case, no aliases, no overflowing first character.
        let body = &s[3..];
        assert!(format!("st_{}", body.to_lowercase())
            .parse::<StudyId>()
            .is_err());
        let wrapped = format!("st_8{}", &body[1..])
            .parse::<StudyId>()
            .unwrap_err();
        assert_eq!(wrapped.suggestion, None, "an overflowing id names no id");
        assert!(
            format!("st_{}", body.replace('1', "L"))
                .parse::<StudyId>()
                .is_err()
                || !body.contains('1')
        );
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = DatasetId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = DatasetId::new();
        assert!(a < b);
        assert!(a.to_bytes() < b.to_bytes());
    }

    #[test]
    fn serde_forms() {
        let id = SubjectId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let mut cbor = Vec::new();
        ciborium::into_writer(&id, &mut cbor).unwrap();
        assert_eq!(cbor[0], 0x50); // byte string of length 16
        let back: SubjectId = ciborium::from_reader(cbor.as_slice()).unwrap();
        assert_eq!(back, id);
    }
}
