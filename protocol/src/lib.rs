//! # neurofed-protocol
//!
//! The bottom of the crate graph: the identifiers, content ids and (later) keys, signed grants,
//! queries and wire messages that every other neurofed crate and every federated peer share.
//!
//! This crate does no I/O. Everything here is a value type with a stable, documented encoding, so
//! that two nodes built from different versions of neurofed (or another implementation) can check
//! each other.
//!
//! - [`id`]: entity identifiers (ULID newtypes), local to one node.
//! - [`content`]: [`ContentId`], the blake3 hash that names stored bytes everywhere in the system.

pub mod content;
pub mod id;

pub use content::ContentId;
