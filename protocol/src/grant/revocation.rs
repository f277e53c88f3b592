//! Revocations: one issuer withdrawing one grant, and the coordinator's list of them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::cbor::DecodeError;
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::{check_version, invalid, GrantHash, Kind, SignedBody, VERSION};
use crate::time::UnixTime;

/// An issuer's signed statement that a grant it issued (or one delegated from it) is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// Format version ([`VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// Who revokes: the issuer of the grant, or of one of its ancestors.
    #[serde(rename = "iss")]
    pub issuer: PublicKey,
    /// The revoked grant.
    pub grant: GrantHash,
    /// Why, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When (unix seconds).
    pub revoked_at: UnixTime,
}

impl Revocation {
    /// A revocation of `grant` by `issuer`.
    pub fn new(issuer: PublicKey, grant: GrantHash, revoked_at: UnixTime) -> Self {
        Revocation {
            version: VERSION,
            issuer,
            grant,
            revoked_at,
            reason: None,
        }
    }
}

impl SignedBody for Revocation {
    const KIND: Kind = Kind::Revocation;
    const MAX_BYTES: usize = 2 << 10;
    const WHAT: &'static str = "revocation";

    fn signer(&self) -> &PublicKey {
        &self.issuer
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        if self.reason.as_ref().is_some_and(|r| r.len() > 1024) {
            return Err(invalid(Self::WHAT, "reason longer than 1024 bytes"));
        }
        Ok(())
    }
}

/// Most hashes in a revocation list.
pub const MAX_REVOKED: usize = 200_000;

/// The coordinator's list of revoked grant hashes. Versions only go up; a node refuses requests
/// once its newest list is past its validity window (`valid_until`, which the coordinator's
/// service sets when it re-signs the list on its schedule) or, for a list without one, older
/// than the node's configured age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    /// Format version ([`VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// List version, monotonic.
    pub serial: u64,
    /// Revoked grants (memberships or capabilities).
    pub revoked: BTreeSet<GrantHash>,
    /// When it was issued (unix seconds): its age is counted from here.
    pub issued_at: UnixTime,
    /// The consortium, whose coordinator signs the list.
    pub consortium: ConsortiumId,
    /// End of the list's validity window (unix seconds): a node trusts it until then. Absent in
    /// lists of older coordinators, whose age is then bounded by the node's policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<UnixTime>,
}

/// Longest validity window a list may give itself (90 days): a list meant for a week that is
/// signed for ten years would make revocation freshness meaningless.
pub const MAX_LIST_VALIDITY: u64 = 90 * 86_400;

impl RevocationList {
    /// A list.
    pub fn new(
        consortium: ConsortiumId,
        serial: u64,
        issued_at: UnixTime,
        revoked: BTreeSet<GrantHash>,
    ) -> Self {
        RevocationList {
            version: VERSION,
            consortium,
            serial,
            issued_at,
            revoked,
            valid_until: None,
        }
    }

    /// Until when a node whose policy bounds a list's age by `max_age` trusts this list: its
    /// own window if it has one, else its issue plus `max_age` (`None`: no bound).
    pub fn trusted_until(&self, max_age: Option<u64>) -> Option<UnixTime> {
        trusted_until(self.issued_at, self.valid_until, max_age)
    }

    /// The same list, valid for `window` seconds from its issue.
    pub fn valid_for(mut self, window: u64) -> Self {
        self.valid_until = Some(self.issued_at.saturating_add(window));
        self
    }
}

/// [`RevocationList::trusted_until`] of a list's two times.
pub(crate) fn trusted_until(
    issued_at: UnixTime,
    valid_until: Option<UnixTime>,
    max_age: Option<u64>,
) -> Option<UnixTime> {
    let age = max_age?;
    Some(valid_until.unwrap_or_else(|| issued_at.saturating_add(age)))
}

impl SignedBody for RevocationList {
    const KIND: Kind = Kind::RevocationList;
    const MAX_BYTES: usize = 8 << 20;
    const WHAT: &'static str = "revocation list";

    fn signer(&self) -> &PublicKey {
        &self.consortium
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        if self.revoked.len() > MAX_REVOKED {
            return Err(invalid(
                Self::WHAT,
                format!("more than {MAX_REVOKED} entries"),
            ));
        }
        if let Some(until) = self.valid_until {
            if until < self.issued_at || until - self.issued_at > MAX_LIST_VALIDITY {
                return Err(invalid(
                    Self::WHAT,
                    format!(
                        "validity window must end after its issue and within {} days of it",
                        MAX_LIST_VALIDITY / 86_400
                    ),
                ));
            }
        }
        Ok(())
    }
}
