//! Grants: the signed documents of the federation.
//!
//! - [`Membership`]: the consortium coordinator admits a node (center) into the consortium.
//! - [`Roster`]: the coordinator's versioned list of members and their addresses.
//! - [`Capability`]: a study owner grants a principal (user or node key) actions on studies of
//!   one node; delegations form a [`CapabilityChain`], each link no wider than its parent.
//! - [`Revocation`] / [`RevocationList`]: a grant's issuer withdraws it; the coordinator
//!   publishes the consortium's list of revoked grant hashes, versioned.
//!
//! Each is a [`crate::signed::SignedBody`]: canonical CBOR, signed under its own domain tag,
//! decoded with limits and checked against its rules on every decode. Whether a grant is *valid*
//! (signatures, times, chain, revocations, roles) is decided in [`crate::verify`].

mod capability;
mod chain;
mod membership;
mod revocation;

pub use capability::{
    Action, ActionSet, Capability, CapabilityFilters, ParseActionError, Resource, Widening,
    MAX_FILTER_VALUES, MAX_STUDIES_PER_GRANT,
};
pub use chain::{CapabilityChain, MAX_CHAIN_DECODE_LINKS};
pub use membership::{
    Membership, Role, Roster, RosterMember, MAX_MEMBER_ADDRS, MAX_ROSTER_MEMBERS,
};
pub(crate) use revocation::trusted_until as revocation_trusted_until;
pub use revocation::{Revocation, RevocationList, MAX_LIST_VALIDITY, MAX_REVOKED};

/// Longest free-text field in a grant (center names, reasons), in bytes.
pub const MAX_NAME_LEN: usize = 256;

pub(crate) fn check_text(
    what: &'static str,
    field: &str,
    value: &str,
) -> Result<(), crate::cbor::DecodeError> {
    if value.is_empty() || value.len() > MAX_NAME_LEN {
        return Err(crate::signed::invalid(
            what,
            format!("{field} must be 1 to {MAX_NAME_LEN} bytes long"),
        ));
    }
    Ok(())
}

pub(crate) fn check_window(
    what: &'static str,
    not_before: u64,
    expires: u64,
) -> Result<(), crate::cbor::DecodeError> {
    if not_before >= expires {
        return Err(crate::signed::invalid(
            what,
            "not-before must be earlier than expiry",
        ));
    }
    Ok(())
}
