//! Canonical CBOR: the one byte form of every signed or hashed value.
//!
//! Encoding follows RFC 8949 §4.2.1 (core deterministic encoding): integers and lengths in their
//! shortest form, definite lengths only, floats in the shortest form that keeps their value, map
//! keys sorted by the bytewise order of their encodings, no duplicate keys. Structs are maps with
//! text keys (serde field names); byte strings are CBOR byte strings.
//!
//! Decoding is bounded (a byte limit checked before parsing, a nesting limit while parsing, no
//! allocation sized by a declared length) and strict: the decoded value is encoded again and must
//! give back exactly the input bytes, so a value has one encoding and one hash, and trailing
//! bytes, indefinite lengths, long-form integers, unsorted or unknown keys are all refused.

use ciborium::value::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Deepest nesting of arrays, maps and tags any neurofed message uses, with margin.
pub const MAX_DEPTH: usize = 24;

/// Why bytes are not a valid encoding of the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Over the size limit of this kind of value (checked before parsing).
    #[error("{what}: {len} bytes is over the limit of {max}")]
    TooLarge {
        /// What was being decoded.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("{what}: nested deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// What was being decoded.
        what: &'static str,
    },
    /// Not CBOR, or not CBOR of this type.
    #[error("{what}: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// The parser's reason.
        reason: String,
    },
    /// Valid, but not the canonical encoding of the value it decodes to.
    #[error("{what}: not in canonical CBOR form (RFC 8949 §4.2.1)")]
    NotCanonical {
        /// What was being decoded.
        what: &'static str,
    },
    /// A version this implementation does not speak.
    #[error("{what}: version {got} is not supported (this node speaks {supported})")]
    UnsupportedVersion {
        /// What was being decoded.
        what: &'static str,
        /// The version found.
        got: u32,
        /// The version understood.
        supported: u32,
    },
    /// Well-formed, but breaks a rule of its type (a limit, an order, a range).
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// The broken rule.
        reason: String,
    },
}

/// A value could not be encoded (a serializer error: never happens for neurofed's own types).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode {what} as CBOR: {reason}")]
pub struct EncodeError {
    /// What was being encoded.
    pub what: &'static str,
    /// The serializer's reason.
    pub reason: String,
}

/// Encode `value` canonically.
pub fn encode<T: Serialize + ?Sized>(
    value: &T,
    what: &'static str,
) -> Result<Vec<u8>, EncodeError> {
    let err = |reason: String| EncodeError { what, reason };
    // Fast path: serde's own order is already canonical for types that declare their fields in
    // canonical key order (all of this crate's signed documents).
    let mut direct = Vec::with_capacity(256);
    ciborium::into_writer(value, &mut direct).map_err(|e| err(e.to_string()))?;
    if raw_check(&direct, MAX_DEPTH) == Raw::Canonical {
        return Ok(direct);
    }
    let value = Value::serialized(value).map_err(|e| err(e.to_string()))?;
    let value = canonicalize(value).map_err(err)?;
    let mut out = Vec::with_capacity(direct.len());
    ciborium::into_writer(&value, &mut out).map_err(|e| err(e.to_string()))?;
    Ok(out)
}

/// Decode canonical bytes of a `T`, at most `max_len` of them.
pub fn decode<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    max_len: usize,
) -> Result<T, DecodeError> {
    let value: T = decode_lenient(bytes, what, max_len)?;
    match raw_check(bytes, MAX_DEPTH) {
        Raw::NotCanonical => return Err(DecodeError::NotCanonical { what }),
        Raw::Canonical => {
            // The bytes are canonical CBOR; they must also be exactly what `value` encodes to
            // (no explicit nulls for absent fields, sets in order, no ignored data).
            let mut direct = Vec::with_capacity(bytes.len());
            if ciborium::into_writer(&value, &mut direct).is_ok() && direct == bytes {
                return Ok(value);
            }
        }
        Raw::Unsure => {}
    }
    let again = encode(&value, what).map_err(|e| DecodeError::Malformed {
        what,
        reason: e.reason,
    })?;
    if again != bytes {
        return Err(DecodeError::NotCanonical { what });
    }
    Ok(value)
}

#[derive(Debug, PartialEq, Eq)]
enum Raw {
    Canonical,
    NotCanonical,
    /// Holds floats or tags: the slow path decides.
    Unsure,
}

/// One pass over raw CBOR, without allocating: shortest heads, definite lengths, map keys in
/// strictly increasing bytewise order, nothing after the item.
fn raw_check(bytes: &[u8], depth: usize) -> Raw {
    let mut unsure = false;
    match raw_item(bytes, 0, depth, &mut unsure) {
        Some(end) if end == bytes.len() => {
            if unsure {
                Raw::Unsure
            } else {
                Raw::Canonical
            }
        }
        _ => Raw::NotCanonical,
    }
}

/// The head at `pos`: (major type, argument, position after the head); `None` if truncated,
/// indefinite or not in shortest form.
fn raw_head(b: &[u8], pos: usize) -> Option<(u8, u64, u8, usize)> {
    let first = *b.get(pos)?;
    let (major, ai) = (first >> 5, first & 0x1f);
    let arg = |n: usize, min: u64| -> Option<(u64, usize)> {
        let s = b.get(pos + 1..pos + 1 + n)?;
        let v = s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        (v >= min || major == 7).then_some((v, pos + 1 + n))
    };
    let (v, next) = match ai {
        0..=23 => (u64::from(ai), pos + 1),
        24 => arg(1, 24)?,
        25 => arg(2, 0x100)?,
        26 => arg(4, 0x1_0000)?,
        27 => arg(8, 0x1_0000_0000)?,
        _ => return None,
    };
    Some((major, v, ai, next))
}

fn raw_item(b: &[u8], pos: usize, depth: usize, unsure: &mut bool) -> Option<usize> {
    let (major, v, ai, next) = raw_head(b, pos)?;
    match major {
        0 | 1 => Some(next),
        2 | 3 => {
            let end = next.checked_add(usize::try_from(v).ok()?)?;
            (end <= b.len()).then_some(end)
        }
        4 => {
            let depth = depth.checked_sub(1)?;
            let mut p = next;
            for _ in 0..v {
                p = raw_item(b, p, depth, unsure)?;
            }
            Some(p)
        }
        5 => {
            let depth = depth.checked_sub(1)?;
            let mut p = next;
            let mut prev: Option<&[u8]> = None;
            for _ in 0..v {
                let k_end = raw_item(b, p, depth, unsure)?;
                let key = b.get(p..k_end)?;
                if prev.is_some_and(|prev| prev >= key) {
                    return None;
                }
                prev = Some(key);
                p = raw_item(b, k_end, depth, unsure)?;
            }
            Some(p)
        }
        6 => {
            *unsure = true;
            raw_item(b, next, depth.checked_sub(1)?, unsure)
        }
        _ => match ai {
            20..=22 => Some(next),
            25..=27 => {
                *unsure = true;
                Some(next)
            }
            // Undefined, simple values: not produced by any neurofed type.
            _ => None,
        },
    }
}

/// Decode without the canonical check (still bounded). For values that are not signed or hashed.
pub fn decode_lenient<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    max_len: usize,
) -> Result<T, DecodeError> {
    if bytes.len() > max_len {
        return Err(DecodeError::TooLarge {
            what,
            len: bytes.len(),
            max: max_len,
        });
    }
    ciborium::de::from_reader_with_recursion_limit(bytes, MAX_DEPTH).map_err(|e| match e {
        ciborium::de::Error::RecursionLimitExceeded => DecodeError::TooDeep { what },
        ciborium::de::Error::Io(_) => DecodeError::Malformed {
            what,
            reason: "truncated".into(),
        },
        ciborium::de::Error::Syntax(at) => DecodeError::Malformed {
            what,
            reason: format!("CBOR syntax error at byte {at}"),
        },
        ciborium::de::Error::Semantic(at, msg) => DecodeError::Malformed {
            what,
            reason: match at {
                Some(at) => format!("{msg} (at byte {at})"),
                None => msg,
            },
        },
    })
}

/// Sort every map's entries by the bytes of their encoded keys; refuse duplicate keys.
fn canonicalize(value: Value) -> Result<Value, String> {
    Ok(match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(canonicalize)
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut keyed = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let k = canonicalize(k)?;
                let mut kb = Vec::with_capacity(16);
                ciborium::into_writer(&k, &mut kb).map_err(|e| e.to_string())?;
                keyed.push((kb, k, canonicalize(v)?));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err("duplicate map key".into());
            }
            Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Tag(t, inner) => Value::Tag(t, Box::new(canonicalize(*inner)?)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct S {
        zz: u64,
        a: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        m: BTreeMap<String, u8>,
        f: f64,
    }

    fn sample() -> S {
        S {
            zz: 24,
            a: "x".into(),
            bytes: vec![1, 2, 3],
            m: [("bb".to_string(), 1), ("c".to_string(), 2)].into(),
            f: 1.5,
        }
    }

    #[test]
    fn keys_sorted_by_encoded_bytes_length_first() {
        let bytes = encode(&sample(), "s").unwrap();
        // Map of 5: "a" (0x61 'a'), "f", "m", "zz" (0x62..), "bytes" (0x65..).
        let expected = hex::decode(concat!(
            "a5",
            "6161",
            "6178",
            "6166",
            "f93e00", // 1.5 as a half float
            "616d",
            "a2",
            "6163",
            "02",
            "626262",
            "01", // "c" sorts before "bb"
            "627a7a",
            "1818", // 24 takes one extra byte
            "656279746573",
            "43010203", // bytes, not an array
        ))
        .unwrap();
        assert_eq!(hex::encode(&bytes), hex::encode(&expected));
        assert_eq!(decode::<S>(&bytes, "s", 1024).unwrap(), sample());
    }

    #[test]
    fn refuses_non_canonical_forms() {
        let good = encode(&sample(), "s").unwrap();
        // Long-form integer: 24 as 0x19 0x0018.
        let long_int = hex::encode(&good).replace("627a7a1818", "627a7a190018");
        let long_int = hex::decode(long_int).unwrap();
        assert_eq!(
            decode::<S>(&long_int, "s", 1024),
            Err(DecodeError::NotCanonical { what: "s" })
        );
        // Trailing byte.
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            decode::<S>(&trailing, "s", 1024),
            Err(DecodeError::NotCanonical { what: "s" })
        );
        // Indefinite-length outer map.
        let mut indef = vec![0xbf];
        indef.extend_from_slice(&good[1..]);
        indef.push(0xff);
        assert_eq!(
            decode::<S>(&indef, "s", 1024),
            Err(DecodeError::NotCanonical { what: "s" })
        );
        // Too large, checked first.
        assert!(matches!(
            decode::<S>(&good, "s", 4),
            Err(DecodeError::TooLarge { len, max: 4, .. }) if len == good.len()
        ));
    }

    #[test]
    fn depth_and_garbage_are_errors() {
        let deep = vec![0x81u8; 1000];
        assert_eq!(
            decode_lenient::<Value>(&deep, "v", 4096),
            Err(DecodeError::TooDeep { what: "v" })
        );
        // A byte string that claims 2^63 bytes.
        let huge = hex::decode("5b7fffffffffffffff00").unwrap();
        assert!(matches!(
            decode_lenient::<serde_bytes::ByteBuf>(&huge, "b", 4096),
            Err(DecodeError::Malformed { .. })
        ));
        assert!(decode::<S>(&[], "s", 10).is_err());
    }
}
