//! Membership grants and rosters, both signed by the consortium coordinator.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{check_text, check_window};
use crate::cbor::DecodeError;
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::{check_version, invalid, Kind, SignedBody, VERSION};
use crate::time::UnixTime;

/// What a member may do in the consortium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary member center.
    Member,
    /// A member that relays the coordinator's rosters and revocation lists. v1 accepts
    /// signatures on memberships, rosters and revocation lists from the coordinator key only.
    CoordinatorDelegate,
}

/// The coordinator admits one node (center) into the consortium for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// Format version ([`VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// Valid until, exclusive (unix seconds).
    #[serde(rename = "exp")]
    pub expires: UnixTime,
    /// Valid from (unix seconds).
    #[serde(rename = "nbf")]
    pub not_before: UnixTime,
    /// Its roles.
    pub roles: BTreeSet<Role>,
    /// The member center's name.
    pub center: String,
    /// The admitted node's key (its libp2p identity).
    pub member: PublicKey,
    /// The consortium: its coordinator's key, which signs this grant.
    pub consortium: ConsortiumId,
}

impl Membership {
    /// A membership with role [`Role::Member`].
    pub fn new(
        consortium: ConsortiumId,
        member: PublicKey,
        center: impl Into<String>,
        not_before: UnixTime,
        expires: UnixTime,
    ) -> Self {
        Membership {
            version: VERSION,
            consortium,
            member,
            center: center.into(),
            roles: [Role::Member].into(),
            not_before,
            expires,
        }
    }
}

impl SignedBody for Membership {
    const KIND: Kind = Kind::Membership;
    const MAX_BYTES: usize = 4 << 10;
    const WHAT: &'static str = "membership";

    fn signer(&self) -> &PublicKey {
        &self.consortium
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        check_text(Self::WHAT, "center", &self.center)?;
        if self.roles.is_empty() {
            return Err(invalid(Self::WHAT, "a membership has at least one role"));
        }
        check_window(Self::WHAT, self.not_before, self.expires)
    }
}

/// Most members in a roster.
pub const MAX_ROSTER_MEMBERS: usize = 10_000;
/// Most addresses per roster member.
pub const MAX_MEMBER_ADDRS: usize = 16;

/// One member in a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterMember {
    /// The member node's key.
    pub node: PublicKey,
    /// Where to dial it: libp2p multiaddrs in text form (checked by the transport, not here).
    pub addrs: Vec<String>,
    /// The member center's name.
    pub center: String,
}

/// The coordinator's list of members. Versions only go up: a node accepts only a newer one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Format version ([`VERSION`]).
    #[serde(rename = "v")]
    pub version: u32,
    /// Roster version, monotonic.
    pub serial: u64,
    /// The members, sorted by node key, no duplicates.
    pub members: Vec<RosterMember>,
    /// When it was issued (unix seconds).
    pub issued_at: UnixTime,
    /// The consortium, whose coordinator signs the roster.
    pub consortium: ConsortiumId,
}

impl Roster {
    /// A roster; members are sorted by node key.
    pub fn new(
        consortium: ConsortiumId,
        serial: u64,
        issued_at: UnixTime,
        mut members: Vec<RosterMember>,
    ) -> Self {
        members.sort_by_key(|a| a.node);
        Roster {
            version: VERSION,
            consortium,
            serial,
            issued_at,
            members,
        }
    }

    /// The entry of `node`, if it is a member.
    pub fn member(&self, node: &PublicKey) -> Option<&RosterMember> {
        self.members
            .binary_search_by(|m| m.node.cmp(node))
            .ok()
            .and_then(|i| self.members.get(i))
    }
}

impl SignedBody for Roster {
    const KIND: Kind = Kind::Roster;
    const MAX_BYTES: usize = 8 << 20;
    const WHAT: &'static str = "roster";

    fn signer(&self) -> &PublicKey {
        &self.consortium
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        if self.members.len() > MAX_ROSTER_MEMBERS {
            return Err(invalid(
                Self::WHAT,
                format!("more than {MAX_ROSTER_MEMBERS} members"),
            ));
        }
        if self.members.windows(2).any(|w| w[0].node >= w[1].node) {
            return Err(invalid(
                Self::WHAT,
                "members must be sorted by node key, without duplicates",
            ));
        }
        for m in &self.members {
            check_text(Self::WHAT, "center", &m.center)?;
            if m.addrs.len() > MAX_MEMBER_ADDRS {
                return Err(invalid(
                    Self::WHAT,
                    format!("{} has more than {MAX_MEMBER_ADDRS} addresses", m.node),
                ));
            }
            for a in &m.addrs {
                check_text(Self::WHAT, "address", a)?;
            }
        }
        Ok(())
    }
}
