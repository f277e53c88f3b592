//! The revocations a node knows: the coordinator's newest list plus issuers' own statements.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Policy, Refusal};
use crate::grant::{Revocation, RevocationList};
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::{GrantHash, Signed};
use crate::time::UnixTime;

/// Most individual revocations held besides the list.
pub const MAX_HELD_REVOCATIONS: usize = 100_000;

/// Most individual revocations taken from peers for one signing key: a flood of junk signed by
/// one key stops there.
pub const MAX_REVOCATIONS_PER_ISSUER: usize = 1_000;

/// Room kept for the node's own revocations (and those it stored earlier): peers' revocations
/// are refused once [`MAX_HELD_REVOCATIONS`] minus this many are held, so a flood never blocks
/// the operator's own.
pub const RESERVED_LOCAL_REVOCATIONS: usize = 10_000;

/// A node's view of what is revoked. Pure state: the node persists the documents it applied and
/// replays them on start.
#[derive(Debug, Clone, Default)]
pub struct Revocations {
    list: Option<ListInfo>,
    listed: HashSet<GrantHash>,
    by_issuer: HashMap<GrantHash, BTreeSet<PublicKey>>,
    held: usize,
    per_signer: HashMap<PublicKey, usize>,
}

/// Which list a [`Revocations`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListInfo {
    /// Consortium that signed it.
    pub consortium: ConsortiumId,
    /// Its version.
    pub serial: u64,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// End of its validity window, if it gives one.
    pub valid_until: Option<UnixTime>,
}

impl ListInfo {
    /// Until when a node with `policy` trusts this list: its own window if it has one, else its
    /// issue plus the policy's maximum age (`None`: no limit).
    pub fn trusted_until(&self, policy: &Policy) -> Option<UnixTime> {
        crate::grant::revocation_trusted_until(
            self.issued_at,
            self.valid_until,
            policy.max_revocation_list_age,
        )
    }
}

impl Revocations {
    /// Nothing revoked, no list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The list held, if any.
    pub fn list(&self) -> Option<ListInfo> {
        self.list
    }

    /// Replace the list by a newer one signed by `consortium`'s coordinator.
    pub fn apply_list(
        &mut self,
        list: &Signed<RevocationList>,
        consortium: &ConsortiumId,
    ) -> Result<(), Refusal> {
        let body = list.body();
        if body.consortium != *consortium {
            return Err(Refusal::UnknownConsortium {
                consortium: body.consortium,
            });
        }
        list.verify_signature().map_err(|_| Refusal::BadSignature {
            what: "revocation list",
            grant: list.hash(),
            signer: body.consortium,
        })?;
        if let Some(have) = self.list {
            if body.serial <= have.serial {
                return Err(Refusal::NotNewer {
                    what: "revocation list",
                    have: have.serial,
                    got: body.serial,
                });
            }
        }
        self.list = Some(ListInfo {
            consortium: body.consortium,
            serial: body.serial,
            issued_at: body.issued_at,
            valid_until: body.valid_until,
        });
        self.listed = body.revoked.iter().copied().collect();
        // The list supersedes the individual revocations it includes.
        let listed = &self.listed;
        let per_signer = &mut self.per_signer;
        let mut dropped = 0;
        self.by_issuer.retain(|grant, signers| {
            if !listed.contains(grant) {
                return true;
            }
            for s in signers.iter() {
                if let Some(n) = per_signer.get_mut(s) {
                    *n = n.saturating_sub(1);
                }
            }
            dropped += signers.len();
            false
        });
        self.held = self.held.saturating_sub(dropped);
        Ok(())
    }

    /// Individual revocations held (each signer of each grant counts once).
    pub fn held(&self) -> usize {
        self.held
    }

    /// Whether the list held names `grant` (an individual revocation of it is superseded).
    pub fn listed(&self, grant: &GrantHash) -> bool {
        self.listed.contains(grant)
    }

    /// Record a revocation received from a peer: as [`Self::apply_revocation`], but at most
    /// [`MAX_REVOCATIONS_PER_ISSUER`] per signing key and never into the room reserved for the
    /// node's own ([`RESERVED_LOCAL_REVOCATIONS`]).
    pub fn apply_peer_revocation(&mut self, rev: &Signed<Revocation>) -> Result<(), Refusal> {
        let body = rev.body();
        if self.holds(rev) {
            return Ok(());
        }
        if self.held >= MAX_HELD_REVOCATIONS - RESERVED_LOCAL_REVOCATIONS {
            return Err(Refusal::TooManyRevocations {
                max: MAX_HELD_REVOCATIONS - RESERVED_LOCAL_REVOCATIONS,
            });
        }
        if self.per_signer.get(&body.issuer).copied().unwrap_or(0) >= MAX_REVOCATIONS_PER_ISSUER {
            return Err(Refusal::TooManyRevocations {
                max: MAX_REVOCATIONS_PER_ISSUER,
            });
        }
        self.apply_revocation(rev)
    }

    fn holds(&self, rev: &Signed<Revocation>) -> bool {
        let body = rev.body();
        self.listed.contains(&body.grant)
            || self
                .by_issuer
                .get(&body.grant)
                .is_some_and(|s| s.contains(&body.issuer))
    }

    /// Record an issuer's revocation (after checking its signature). It takes effect on a grant
    /// only if its signer issued that grant or one of its ancestors in the presented chain.
    /// Anyone can sign a revocation, so at most [`MAX_HELD_REVOCATIONS`] revocations (not
    /// grants) are held; past that the coordinator's list is the way. A revocation of a grant the
    /// list already names is superseded: accepted, not held.
    pub fn apply_revocation(&mut self, rev: &Signed<Revocation>) -> Result<(), Refusal> {
        if self.holds(rev) {
            return Ok(());
        }
        if self.held >= MAX_HELD_REVOCATIONS {
            return Err(Refusal::TooManyRevocations {
                max: MAX_HELD_REVOCATIONS,
            });
        }
        rev.verify_signature().map_err(|_| Refusal::BadSignature {
            what: "revocation",
            grant: rev.hash(),
            signer: rev.body().issuer,
        })?;
        let body = rev.body();
        if self
            .by_issuer
            .entry(body.grant)
            .or_default()
            .insert(body.issuer)
        {
            self.held += 1;
            *self.per_signer.entry(body.issuer).or_default() += 1;
        }
        Ok(())
    }

    /// Whether `grant` is revoked, given the issuers of it and of its ancestors.
    pub fn is_revoked<'a>(
        &self,
        grant: &GrantHash,
        authorities: impl IntoIterator<Item = &'a PublicKey>,
    ) -> bool {
        if self.listed.contains(grant) {
            return true;
        }
        match self.by_issuer.get(grant) {
            Some(revokers) => authorities.into_iter().any(|k| revokers.contains(k)),
            None => false,
        }
    }

    /// Refuse if the list is past its validity window, or (a list without one) older than the
    /// policy allows, or missing, when the policy sets a maximum age.
    pub fn check_fresh(&self, now: UnixTime, policy: &Policy) -> Result<(), Refusal> {
        let Some(max_age) = policy.max_revocation_list_age else {
            return Ok(());
        };
        match self.list {
            Some(l) if l.trusted_until(policy).is_none_or(|until| now <= until) => Ok(()),
            other => Err(Refusal::RevocationListStale {
                issued_at: other.map(|l| l.issued_at),
                valid_until: other.and_then(|l| l.trusted_until(policy)),
                now,
                max_age,
            }),
        }
    }
}
