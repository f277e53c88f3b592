//! # neurofed-protocol
//!
//! The bottom of the crate graph: the identifiers, content ids, keys, signed grants, queries and
//! wire messages that every other neurofed crate and every federated peer share.
//!
//! This crate does no I/O. Everything here is a value type with a stable, documented encoding, so
//! that two nodes built from different versions of neurofed (or another implementation) can check
//! each other. `docs/protocol.md` describes the format; `protocol/tests/vectors/` holds test
//! vectors.
//!
//! - [`id`]: entity identifiers (ULID newtypes), local to one node.
//! - [`content`]: [`ContentId`], the blake3 hash that names stored bytes everywhere in the system.
//! - [`keys`]: ed25519 keys; a key's text form is its libp2p PeerId.
//! - [`cbor`]: canonical CBOR, bounded and strict decoding.
//! - [`signed`]: signed envelopes, domain tags, grant hashes.
//! - [`grant`]: membership, roster, capability (and chains), revocation (and lists).
//! - [`verify`]: validity of grants, with a precise [`verify::Refusal`] on failure.
//! - [`query`]: the federated search query and its results.
//! - [`wire`]: the request and response messages nodes exchange.
//! - [`time`]: unix seconds and calendar dates.
//! - [`bao`]: verified streaming (blake3 trees, outboards, the verifying decoder), no I/O.
//!
//! Every decoder is bounded (size and nesting limits, no allocation sized by a declared length)
//! and returns an error value on any input: none panics.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]

pub mod bao;
mod base58;
pub mod cbor;
pub mod content;
pub mod grant;
pub mod id;
pub mod keys;
pub mod query;
pub mod signed;
pub mod time;
pub mod verify;
pub mod wire;

pub use content::ContentId;
pub use keys::{ConsortiumId, PublicKey, SecretKey, Signature};
pub use signed::{GrantHash, Signed};

/// Every decoder at once, for fuzzing: feeds `data` to each and ignores the results. Never
/// panics (that is what the fuzz targets and `scripts/fuzz` check).
#[doc(hidden)]
pub fn fuzz_decode_all(data: &[u8]) {
    use grant::{Capability, CapabilityChain, Membership, Revocation, RevocationList, Roster};
    let _ = Signed::<Membership>::from_bytes(data);
    let _ = Signed::<Roster>::from_bytes(data);
    let _ = Signed::<Capability>::from_bytes(data);
    let _ = Signed::<Revocation>::from_bytes(data);
    let _ = Signed::<RevocationList>::from_bytes(data);
    let _ = Signed::<wire::SearchResponse>::from_bytes(data);
    let _ = CapabilityChain::from_bytes(data);
    let _ = wire::decode_request(data);
    let _ = wire::decode_response(data);
    let _ = signed::envelope_kind(data);
    let _ = cbor::decode::<query::SearchQuery>(data, "query", 1 << 20).map(|q| q.validate());
    let _ = cbor::decode::<query::SearchResults>(data, "results", 1 << 20);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<PublicKey>();
        let _ = text.parse::<time::Date>();
        let _ = time::parse_expiry(text);
        let _ = text.parse::<grant::ActionSet>();
    }
}
