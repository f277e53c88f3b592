//! Ed25519 identities: nodes, users and consortium coordinators.
//!
//! A [`PublicKey`] names every principal of the federation. Its text form is the libp2p
//! [PeerId](https://github.com/libp2p/specs/blob/master/peer-ids/peer-ids.md) of the key (an
//! identity multihash of the protobuf-encoded ed25519 key, in base58btc: `12D3KooW...`), so a
//! node's key and its libp2p identity read the same everywhere; user and coordinator keys use the
//! same form. Its binary form (CBOR) is the 32 raw key bytes.
//!
//! Every signature in neurofed covers a domain-separation tag followed by the signed bytes, so a
//! signature made for one kind of document can never be replayed as another (see
//! [`crate::signed::tag`]). Verification is strict (`verify_strict`: no small-order keys, no
//! malleable signatures), so a document has exactly one valid signature per key.
//!
//! A `PublicKey` is 32 bytes and is only decompressed to a curve point when it verifies something:
//! most keys in a grant (audiences, resource owners) are only ever compared.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::base58;

/// Length in bytes of a public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length in bytes of a secret key seed.
pub const SECRET_KEY_LEN: usize = 32;
/// Length in bytes of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// The prefix of a libp2p ed25519 PeerId before the 32 key bytes: identity multihash (0x00) of
/// length 36 (0x24) over the protobuf `PublicKey { Type = Ed25519 (field 1 = 1), Data (field 2,
/// 32 bytes) }`.
const PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// An ed25519 public key: a node, a user or a consortium coordinator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

/// A consortium is named by its coordinator's public key.
pub type ConsortiumId = PublicKey;

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

/// An ed25519 secret key. Never printed, zeroed on drop.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

/// Why a string is not a peer id (a public key in text form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParsePeerIdError {
    /// Not base58btc.
    #[error("{input:?} is not a peer id: {source}")]
    Base58 {
        /// The rejected text, truncated.
        input: String,
        /// What is wrong with it.
        source: base58::Base58Error,
    },
    /// Decodes, but not to an identity multihash of an ed25519 key.
    #[error("{input:?} is not the peer id of an ed25519 key (neurofed keys are ed25519)")]
    NotEd25519 {
        /// The rejected text, truncated.
        input: String,
    },
    /// The 32 bytes are not a valid ed25519 point.
    #[error("{input:?} does not hold a valid ed25519 public key")]
    InvalidKey {
        /// The rejected text, truncated.
        input: String,
    },
}

/// A signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signer's key bytes are not a valid ed25519 public key.
    #[error("the signer's key is not a valid ed25519 public key")]
    InvalidKey,
    /// The signature does not match the key and the signed bytes.
    #[error("the signature does not match the signer and the signed bytes")]
    Mismatch,
}

impl PublicKey {
    /// The key with these bytes, checked to be a valid ed25519 point.
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<Self, SignatureError> {
        VerifyingKey::from_bytes(&bytes).map_err(|_| SignatureError::InvalidKey)?;
        Ok(PublicKey(bytes))
    }

    /// The key with these bytes, not checked (it is checked when it verifies something).
    pub const fn from_bytes_unchecked(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        PublicKey(bytes)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The 38-byte libp2p PeerId (identity multihash of the protobuf-encoded key).
    pub fn peer_id_bytes(&self) -> [u8; 38] {
        let mut out = [0u8; 38];
        out[..6].copy_from_slice(&PEER_ID_PREFIX);
        out[6..].copy_from_slice(&self.0);
        out
    }

    /// The libp2p PeerId text form, `12D3KooW...`.
    pub fn to_peer_id(&self) -> String {
        base58::encode(&self.peer_id_bytes())
    }

    /// Parse the libp2p PeerId text form of an ed25519 key (checked to be a valid point).
    pub fn from_peer_id(text: &str) -> Result<Self, ParsePeerIdError> {
        let key = Self::from_peer_id_unchecked(text)?;
        PublicKey::from_bytes(key.0).map_err(|_| ParsePeerIdError::InvalidKey {
            input: text.chars().take(60).collect(),
        })
    }

    /// Parse the PeerId text form without checking the point (as binary decoding does).
    fn from_peer_id_unchecked(text: &str) -> Result<Self, ParsePeerIdError> {
        let input = || text.chars().take(60).collect::<String>();
        let bytes = base58::decode(text).map_err(|source| ParsePeerIdError::Base58 {
            input: input(),
            source,
        })?;
        let key: [u8; PUBLIC_KEY_LEN] = bytes
            .strip_prefix(&PEER_ID_PREFIX[..])
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| ParsePeerIdError::NotEd25519 { input: input() })?;
        Ok(PublicKey(key))
    }

    /// Check `signature` over `tag || message` (strict ed25519).
    pub fn verify(
        &self,
        tag: &[u8],
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::InvalidKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        let mut signed = Vec::with_capacity(tag.len() + message.len());
        signed.extend_from_slice(tag);
        signed.extend_from_slice(message);
        key.verify_strict(&signed, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl Signature {
    /// The signature with these bytes.
    pub const fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Signature(bytes)
    }

    /// The raw 64 bytes.
    pub const fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl SecretKey {
    /// The key derived from a 32-byte seed (deterministic: tests and key files).
    pub fn from_seed(seed: &[u8; SECRET_KEY_LEN]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut seed = [0u8; SECRET_KEY_LEN];
        getrandom::fill(&mut seed)?;
        let key = SecretKey::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }

    /// The 32-byte seed, for storing the key. Handle with care.
    pub fn to_seed(&self) -> [u8; SECRET_KEY_LEN] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Sign `tag || message`.
    pub fn sign(&self, tag: &[u8], message: &[u8]) -> Signature {
        let mut signed = Vec::with_capacity(tag.len() + message.len());
        signed.extend_from_slice(tag);
        signed.extend_from_slice(message);
        Signature(self.0.sign(&signed).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public: {})", self.public())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_peer_id())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_peer_id())
    }
}

impl FromStr for PublicKey {
    type Err = ParsePeerIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::from_peer_id(s)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}..)", hex::encode(&self.0[..8]))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            // Like the binary form, not checked to be a point until it verifies something.
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            PublicKey::from_peer_id_unchecked(&s).map_err(serde::de::Error::custom)
        } else {
            fixed_bytes::<D, PUBLIC_KEY_LEN>(d, "32 bytes of an ed25519 public key").map(PublicKey)
        }
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            let mut out = [0u8; SIGNATURE_LEN];
            hex::decode_to_slice(s.as_bytes(), &mut out)
                .map_err(|_| serde::de::Error::custom("a signature is 128 hex digits"))?;
            Ok(Signature(out))
        } else {
            fixed_bytes::<D, SIGNATURE_LEN>(d, "64 bytes of an ed25519 signature").map(Signature)
        }
    }
}

/// Deserialize a byte string of exactly `N` bytes without allocating.
pub(crate) fn fixed_bytes<'de, D: Deserializer<'de>, const N: usize>(
    d: D,
    what: &'static str,
) -> Result<[u8; N], D::Error> {
    struct V<const N: usize>(&'static str);
    impl<const N: usize> serde::de::Visitor<'_> for V<N> {
        type Value = [u8; N];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            v.try_into()
                .map_err(|_| E::invalid_length(v.len(), &self.0))
        }
        fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            self.visit_bytes(&v)
        }
    }
    d.deserialize_bytes(V::<N>(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32])
    }

    #[test]
    fn peer_id_text_round_trip() {
        let k = key(1).public();
        let text = k.to_peer_id();
        assert!(text.starts_with("12D3KooW"), "{text}");
        assert_eq!(text.parse::<PublicKey>().unwrap(), k);
    }

    #[test]
    fn peer_id_matches_libp2p() {
        for n in [0u8, 1, 7, 42, 255] {
            let ours = key(n);
            let mut seed = [n; 32];
            let theirs = libp2p_identity::Keypair::ed25519_from_bytes(&mut seed).unwrap();
            assert_eq!(
                ours.public().to_peer_id(),
                theirs.public().to_peer_id().to_base58()
            );
            // Signatures agree too: libp2p signs the raw message.
            let sig = ours.sign(b"tag:", b"msg");
            assert_eq!(theirs.sign(b"tag:msg").unwrap(), sig.as_bytes().to_vec());
        }
    }

    #[test]
    fn peer_id_rejects() {
        assert!(matches!(
            "12D3KooW0".parse::<PublicKey>(),
            Err(ParsePeerIdError::Base58 { .. })
        ));
        // A sha256-multihash (RSA style) peer id.
        assert!(matches!(
            "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N".parse::<PublicKey>(),
            Err(ParsePeerIdError::NotEd25519 { .. })
        ));
    }

    #[test]
    fn sign_verify_with_tags() {
        let k = key(3);
        let sig = k.sign(b"a", b"hello");
        assert_eq!(k.public().verify(b"a", b"hello", &sig), Ok(()));
        assert_eq!(
            k.public().verify(b"b", b"hello", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            key(4).public().verify(b"a", b"hello", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn generate_gives_distinct_keys() {
        let a = SecretKey::generate().unwrap();
        let b = SecretKey::generate().unwrap();
        assert_ne!(a.public(), b.public());
        assert_eq!(SecretKey::from_seed(&a.to_seed()).public(), a.public());
        assert!(!format!("{a:?}").contains(&hex::encode(a.to_seed())));
    }
}
