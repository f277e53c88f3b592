//! Content ids: the blake3 hash of a byte string.
//!
//! A [`ContentId`] names a blob (one de-identified DICOM instance, a NIfTI file, a manifest) in a
//! node's store and across the federation. Its text form is 64 lowercase hex digits; its binary
//! form (CBOR) is a 32-byte byte string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length in bytes of a [`ContentId`].
pub const CONTENT_ID_LEN: usize = 32;

/// The blake3 hash of some bytes. Two equal ids name byte-identical content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId([u8; CONTENT_ID_LEN]);

/// Why a string is not a content id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseContentIdError {
    /// Not 64 characters long.
    #[error("a content id is 64 hex digits, got {0} characters")]
    Length(usize),
    /// A character outside `[0-9a-f]`.
    #[error("a content id is 64 hex digits, got a non-hex character")]
    NotHex,
    /// Upper-case hex: a content id is written in lower case only, one spelling per id.
    #[error("a content id is written in lower-case hex (did you mean {0}?)")]
    UpperCase(String),
}

impl ContentId {
    /// Hash `bytes` in one go.
    pub fn of(bytes: &[u8]) -> Self {
        ContentId(*blake3::hash(bytes).as_bytes())
    }

    /// The id of a finished incremental hash.
    pub fn from_hasher(hasher: &blake3::Hasher) -> Self {
        ContentId(*hasher.finalize().as_bytes())
    }

    /// Wrap raw hash bytes.
    pub const fn from_bytes(bytes: [u8; CONTENT_ID_LEN]) -> Self {
        ContentId(bytes)
    }

    /// The raw hash bytes.
    pub const fn as_bytes(&self) -> &[u8; CONTENT_ID_LEN] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first `n` hex digits, for display only (never for lookup).
    pub fn short(&self, n: usize) -> String {
        let mut s = self.to_hex();
        s.truncate(n.min(2 * CONTENT_ID_LEN));
        s
    }
}

impl From<blake3::Hash> for ContentId {
    fn from(h: blake3::Hash) -> Self {
        ContentId(*h.as_bytes())
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({})", self.short(12))
    }
}

impl FromStr for ContentId {
    type Err = ParseContentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 2 * CONTENT_ID_LEN {
            return Err(ParseContentIdError::Length(s.chars().count()));
        }
        let mut out = [0u8; CONTENT_ID_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseContentIdError::NotHex)?;
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ParseContentIdError::UpperCase(s.to_ascii_lowercase()));
        }
        Ok(ContentId(out))
    }
}

impl Serialize for ContentId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ContentId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        } else {
            let b = serde_bytes::ByteBuf::deserialize(d)?;
            let arr: [u8; CONTENT_ID_LEN] = b.as_slice().try_into().map_err(|_| {
                serde::de::Error::invalid_length(b.len(), &"32 bytes of a blake3 hash")
            })?;
            Ok(ContentId(arr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = ContentId::of(b"hello");
        assert_eq!(id.to_hex().len(), 64);
        assert_eq!(id.to_hex().parse::<ContentId>().unwrap(), id);
        // blake3("hello"), a fixed vector.
        assert_eq!(
            id.to_hex(),
            "ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f"
        );
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            "abc".parse::<ContentId>(),
            Err(ParseContentIdError::Length(3))
        );
        let bad = "g".repeat(64);
        assert_eq!(bad.parse::<ContentId>(), Err(ParseContentIdError::NotHex));
        let id = ContentId::of(b"x");
        assert_eq!(
            id.to_hex().to_uppercase().parse::<ContentId>(),
            Err(ParseContentIdError::UpperCase(id.to_hex()))
        );
    }

    #[test]
    fn cbor_is_bytes_json_is_hex() {
        let id = ContentId::of(b"x");
        let mut buf = Vec::new();
        ciborium::into_writer(&id, &mut buf).unwrap();
        // 0x58 0x20 = CBOR byte string of length 32.
        assert_eq!(&buf[..2], &[0x58, 0x20]);
        assert_eq!(buf.len(), 34);
        let back: ContentId = ciborium::from_reader(buf.as_slice()).unwrap();
        assert_eq!(back, id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        assert_eq!(serde_json::from_str::<ContentId>(&json).unwrap(), id);
    }
}
