//! A capability with its delegation proofs: root grant first, the presented grant last.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_bytes::ByteBuf;

use super::Capability;
use crate::cbor::{self, DecodeError, EncodeError};
use crate::signed::{invalid, Signed, SignedBody};

/// Most links a chain may hold and still decode; verification applies a (smaller) policy limit
/// and reports [`crate::verify::Refusal::ChainTooLong`].
pub const MAX_CHAIN_DECODE_LINKS: usize = 16;

const WHAT: &str = "capability chain";
const MAX_BYTES: usize = MAX_CHAIN_DECODE_LINKS * (<Capability as SignedBody>::MAX_BYTES + 4) + 4;

/// A delegation chain. Wire form: a CBOR array of the links' envelope bytes (byte strings), root
/// first; this is also the content of a capability file. Its [`digest`](Self::digest) (blake3 of
/// those bytes) keys the cache of verified chains.
#[derive(Clone, PartialEq, Eq)]
pub struct CapabilityChain {
    links: Vec<Signed<Capability>>,
    bytes: Vec<u8>,
    digest: [u8; 32],
}

impl CapabilityChain {
    /// A chain of these links (not verified: see [`crate::verify`]).
    pub fn new(links: Vec<Signed<Capability>>) -> Result<Self, EncodeError> {
        let raw: Vec<&serde_bytes::Bytes> = links
            .iter()
            .map(|l| serde_bytes::Bytes::new(l.bytes()))
            .collect();
        let bytes = cbor::encode(&raw, WHAT)?;
        let digest = *blake3::hash(&bytes).as_bytes();
        Ok(CapabilityChain {
            links,
            bytes,
            digest,
        })
    }

    /// This chain extended by a delegated link.
    pub fn with(&self, link: Signed<Capability>) -> Result<Self, EncodeError> {
        let mut links = self.links.clone();
        links.push(link);
        CapabilityChain::new(links)
    }

    /// Decode a chain (bounded, canonical; each link decoded and checked, signatures not).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let raw: Vec<ByteBuf> = cbor::decode(bytes, WHAT, MAX_BYTES)?;
        if raw.len() > MAX_CHAIN_DECODE_LINKS {
            return Err(invalid(
                WHAT,
                format!("more than {MAX_CHAIN_DECODE_LINKS} links"),
            ));
        }
        let links = raw
            .iter()
            .map(|b| Signed::<Capability>::from_bytes(b))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CapabilityChain {
            links,
            bytes: bytes.to_vec(),
            digest: *blake3::hash(bytes).as_bytes(),
        })
    }

    /// The links, root first.
    pub fn links(&self) -> &[Signed<Capability>] {
        &self.links
    }

    /// The presented (last) grant.
    pub fn leaf(&self) -> Option<&Signed<Capability>> {
        self.links.last()
    }

    /// The wire bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// blake3 of the wire bytes.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

impl fmt::Debug for CapabilityChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.links).finish()
    }
}

/// Readable form: an array of signed capabilities. Binary form: the chain bytes as one CBOR
/// byte string.
impl Serialize for CapabilityChain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_seq(&self.links)
        } else {
            s.serialize_bytes(&self.bytes)
        }
    }
}

impl<'de> Deserialize<'de> for CapabilityChain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            let links = Vec::<Signed<Capability>>::deserialize(d)?;
            if links.len() > MAX_CHAIN_DECODE_LINKS {
                return Err(D::Error::custom("too many links"));
            }
            CapabilityChain::new(links).map_err(D::Error::custom)
        } else {
            let b = ByteBuf::deserialize(d)?;
            CapabilityChain::from_bytes(&b).map_err(D::Error::custom)
        }
    }
}
