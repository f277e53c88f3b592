//! Signed envelopes: how every grant, roster, revocation and signed answer travels.
//!
//! An envelope is the canonical CBOR map `{"sig": bstr(64), "body": bstr, "kind": tstr}`. `body`
//! holds the canonical CBOR bytes of the document, and `sig` is the ed25519 signature of the
//! document's signer over `tag(kind) || body`. The signature covers those exact bytes; decoding
//! re-checks that they are canonical, so a document has one byte form. A document's
//! [`GrantHash`] is the blake3 hash of the whole envelope: that is the name a delegated grant uses
//! for its parent and a revocation for what it revokes.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cbor::{self, DecodeError, EncodeError};
use crate::keys::{PublicKey, SecretKey, Signature, SignatureError};

/// Domain-separation tags: the bytes each kind of signature covers before the body.
pub mod tag {
    /// Membership grant (coordinator -> node).
    pub const MEMBERSHIP: &[u8] = b"neurofed/v1/membership\0";
    /// Consortium roster (coordinator).
    pub const ROSTER: &[u8] = b"neurofed/v1/roster\0";
    /// Access capability (issuer -> audience).
    pub const CAPABILITY: &[u8] = b"neurofed/v1/capability\0";
    /// Revocation of one grant (its issuer).
    pub const REVOCATION: &[u8] = b"neurofed/v1/revocation\0";
    /// Revocation list (coordinator).
    pub const REVOCATION_LIST: &[u8] = b"neurofed/v1/revocation-list\0";
    /// Search response (answering node).
    pub const SEARCH_RESPONSE: &[u8] = b"neurofed/v1/search-response\0";
    /// Invocation: a principal's signature over a request made with its capability.
    pub const INVOCATION: &[u8] = b"neurofed/v1/invocation\0";
}

/// The kind of document an envelope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// [`crate::grant::Membership`].
    Membership,
    /// [`crate::grant::Roster`].
    Roster,
    /// [`crate::grant::Capability`].
    Capability,
    /// [`crate::grant::Revocation`].
    Revocation,
    /// [`crate::grant::RevocationList`].
    RevocationList,
    /// [`crate::wire::SearchResponse`].
    SearchResponse,
}

impl Kind {
    /// The signature domain tag of this kind.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Kind::Membership => tag::MEMBERSHIP,
            Kind::Roster => tag::ROSTER,
            Kind::Capability => tag::CAPABILITY,
            Kind::Revocation => tag::REVOCATION,
            Kind::RevocationList => tag::REVOCATION_LIST,
            Kind::SearchResponse => tag::SEARCH_RESPONSE,
        }
    }
}

/// A document that travels signed.
pub trait SignedBody: Serialize + DeserializeOwned + Clone {
    /// Its kind (and so its signature tag).
    const KIND: Kind;
    /// Largest envelope accepted, in bytes.
    const MAX_BYTES: usize;
    /// Human name for errors.
    const WHAT: &'static str;
    /// The key that must have signed it.
    fn signer(&self) -> &PublicKey;
    /// Check the rules serde cannot express (version, limits, orders). Called on every decode.
    fn check(&self) -> Result<(), DecodeError>;
}

/// The blake3 hash of a signed envelope. Text: 64 hex digits; CBOR: 32-byte string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantHash([u8; 32]);

impl GrantHash {
    /// The hash of envelope bytes.
    pub fn of(envelope: &[u8]) -> Self {
        GrantHash(*blake3::hash(envelope).as_bytes())
    }

    /// Wrap raw bytes.
    pub const fn from_bytes(b: [u8; 32]) -> Self {
        GrantHash(b)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for GrantHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for GrantHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantHash({})", &self.to_hex()[..12])
    }
}

/// Why a string is not a grant hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a grant hash is 64 hex digits")]
pub struct ParseGrantHashError;

impl FromStr for GrantHash {
    type Err = ParseGrantHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| ParseGrantHashError)?;
        Ok(GrantHash(out))
    }
}

impl Serialize for GrantHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for GrantHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(serde::de::Error::custom)
        } else {
            crate::keys::fixed_bytes::<D, 32>(d, "32 bytes of a blake3 hash").map(GrantHash)
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeRepr {
    sig: Signature,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
    kind: Kind,
}

/// A document with its signature, its exact bytes and its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed<T> {
    body: T,
    body_bytes: Vec<u8>,
    signature: Signature,
    bytes: Vec<u8>,
    hash: GrantHash,
}

/// Why a document could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key given is not the one the document names as its signer.
    #[error("{what} must be signed by {expected}, not by {given}")]
    WrongKey {
        /// The document kind.
        what: &'static str,
        /// The signer the document names.
        expected: PublicKey,
        /// The key given.
        given: PublicKey,
    },
    /// The document breaks a rule of its type.
    #[error(transparent)]
    Invalid(#[from] DecodeError),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl<T: SignedBody> Signed<T> {
    /// Sign `body` with `key`, which must be the body's signer.
    pub fn sign(body: T, key: &SecretKey) -> Result<Self, SignError> {
        if key.public() != *body.signer() {
            return Err(SignError::WrongKey {
                what: T::WHAT,
                expected: *body.signer(),
                given: key.public(),
            });
        }
        body.check()?;
        let body_bytes = cbor::encode(&body, T::WHAT)?;
        let signature = key.sign(T::KIND.tag(), &body_bytes);
        let bytes = cbor::encode(
            &EnvelopeRepr {
                kind: T::KIND,
                body: body_bytes.clone(),
                sig: signature,
            },
            T::WHAT,
        )?;
        if bytes.len() > T::MAX_BYTES {
            return Err(SignError::Invalid(DecodeError::TooLarge {
                what: T::WHAT,
                len: bytes.len(),
                max: T::MAX_BYTES,
            }));
        }
        let hash = GrantHash::of(&bytes);
        Ok(Signed {
            body,
            body_bytes,
            signature,
            bytes,
            hash,
        })
    }

    /// Decode an envelope (bounded, canonical, checked against its type's rules). The signature
    /// is NOT checked here: see [`Signed::verify_signature`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let env: EnvelopeRepr = cbor::decode(bytes, T::WHAT, T::MAX_BYTES)?;
        if env.kind != T::KIND {
            return Err(DecodeError::Invalid {
                what: T::WHAT,
                reason: format!("the envelope holds a {:?}, not a {}", env.kind, T::WHAT),
            });
        }
        let body: T = cbor::decode(&env.body, T::WHAT, T::MAX_BYTES)?;
        body.check()?;
        Ok(Signed {
            body,
            body_bytes: env.body,
            signature: env.sig,
            bytes: bytes.to_vec(),
            hash: GrantHash::of(bytes),
        })
    }

    /// Check the signature of the document's signer over `tag || body`.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        self.body
            .signer()
            .verify(T::KIND.tag(), &self.body_bytes, &self.signature)
    }
}

impl<T> Signed<T> {
    /// The document.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The exact signed bytes of the document.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body_bytes
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The envelope bytes (what files hold and what travels).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The blake3 hash of the envelope bytes.
    pub fn hash(&self) -> GrantHash {
        self.hash
    }
}

impl<T: fmt::Debug> fmt::Debug for Signed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("hash", &self.hash)
            .field("body", &self.body)
            .finish()
    }
}

/// Readable form (JSON): `{"kind", "hash", "body", "sig"}`. Binary form: the envelope bytes as
/// one CBOR byte string, so that the hash of an embedded document is the hash of those bytes.
impl<T: SignedBody> Serialize for Signed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            #[derive(Serialize)]
            struct Readable<'a, T> {
                kind: Kind,
                hash: GrantHash,
                body: &'a T,
                sig: Signature,
            }
            Readable {
                kind: T::KIND,
                hash: self.hash,
                body: &self.body,
                sig: self.signature,
            }
            .serialize(s)
        } else {
            s.serialize_bytes(&self.bytes)
        }
    }
}

impl<'de, T: SignedBody> Deserialize<'de> for Signed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            #[derive(Deserialize)]
            #[serde(bound = "T: DeserializeOwned")]
            struct Readable<T> {
                kind: Kind,
                #[serde(default)]
                hash: Option<GrantHash>,
                body: T,
                sig: Signature,
            }
            let r = Readable::<T>::deserialize(d)?;
            // Canonical encoding is unique, so the signed bytes can be rebuilt from the body.
            let env = EnvelopeRepr {
                kind: r.kind,
                body: cbor::encode(&r.body, T::WHAT).map_err(D::Error::custom)?,
                sig: r.sig,
            };
            let bytes = cbor::encode(&env, T::WHAT).map_err(D::Error::custom)?;
            let signed = Signed::<T>::from_bytes(&bytes).map_err(D::Error::custom)?;
            if r.hash.is_some_and(|h| h != signed.hash) {
                return Err(D::Error::custom("the hash does not match the document"));
            }
            Ok(signed)
        } else {
            struct V<T>(PhantomData<T>);
            impl<T: SignedBody> serde::de::Visitor<'_> for V<T> {
                type Value = Signed<T>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "a signed {} as a byte string", T::WHAT)
                }
                fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                    Signed::<T>::from_bytes(v).map_err(E::custom)
                }
                fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                    self.visit_bytes(&v)
                }
            }
            d.deserialize_byte_buf(V::<T>(PhantomData))
        }
    }
}

/// Peek at the kind of a signed envelope without decoding its body.
pub fn envelope_kind(bytes: &[u8]) -> Result<Kind, DecodeError> {
    let env: EnvelopeRepr = cbor::decode(bytes, "signed document", 64 << 20)?;
    Ok(env.kind)
}

/// The current version of every document body.
pub const VERSION: u32 = 1;

/// Refuse a body version this implementation does not speak.
pub(crate) fn check_version(what: &'static str, v: u32) -> Result<(), DecodeError> {
    if v == VERSION {
        Ok(())
    } else {
        Err(DecodeError::UnsupportedVersion {
            what,
            got: v,
            supported: VERSION,
        })
    }
}

/// Shorthand for a rule violation found after decoding.
pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        what,
        reason: reason.into(),
    }
}
