//! The revocations a node knows: the coordinator's newest list plus issuers' own statements.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Policy, Refusal};
use crate::grant::{Revocation, RevocationList};
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::{GrantHash, Signed};
use crate::time::UnixTime;

/// Most individual revocations held besides the list.
pub const MAX_HELD_REVOCATIONS: usize = 100_000;

/// A node's view of what is revoked. Pure state: the node persists the documents it applied and
/// replays them on start.
#[derive(Debug, Clone, Default)]
pub struct Revocations {
    list: Option<ListInfo>,
    listed: HashSet<GrantHash>,
    by_issuer: HashMap<GrantHash, BTreeSet<PublicKey>>,
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
        });
        self.listed = body.revoked.iter().copied().collect();
        Ok(())
    }

    /// Record an issuer's revocation (after checking its signature). It takes effect on a grant
    /// only if its signer issued that grant or one of its ancestors in the presented chain.
    /// Anyone can sign a revocation, so at most [`MAX_HELD_REVOCATIONS`] are held; past that the
    /// coordinator's list is the way (it folds them in).
    pub fn apply_revocation(&mut self, rev: &Signed<Revocation>) -> Result<(), Refusal> {
        if self.by_issuer.len() >= MAX_HELD_REVOCATIONS
            && !self.by_issuer.contains_key(&rev.body().grant)
        {
            return Err(Refusal::TooManyRevocations {
                max: MAX_HELD_REVOCATIONS,
            });
        }
        rev.verify_signature().map_err(|_| Refusal::BadSignature {
            what: "revocation",
            grant: rev.hash(),
            signer: rev.body().issuer,
        })?;
        self.by_issuer
            .entry(rev.body().grant)
            .or_default()
            .insert(rev.body().issuer);
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

    /// Refuse if the list is older than the policy allows (or missing, when a maximum is set).
    pub fn check_fresh(&self, now: UnixTime, policy: &Policy) -> Result<(), Refusal> {
        let Some(max_age) = policy.max_revocation_list_age else {
            return Ok(());
        };
        match self.list {
            Some(l) if now.saturating_sub(l.issued_at) <= max_age => Ok(()),
            other => Err(Refusal::RevocationListStale {
                issued_at: other.map(|l| l.issued_at),
                now,
                max_age,
            }),
        }
    }
}
