//! Verification: is this grant valid here and now, and if not, precisely why.
//!
//! Everything is a pure function of the documents, a [`Policy`], the node's [`Revocations`], a
//! [`RootAuthority`] (which local keys administer which studies) and `now`. Checks run in a fixed
//! order so that a refusal names the most fundamental fault: shape (length), signatures, links,
//! attenuation, root authority, validity windows, revocations, revocation list age, audience.

mod cache;
mod refusal;
mod revocations;

use std::sync::Arc;

pub use cache::VerifiedCache;
pub use refusal::{ChainBreak, Refusal};
pub use revocations::{
    ListInfo, Revocations, MAX_HELD_REVOCATIONS, MAX_REVOCATIONS_PER_ISSUER,
    RESERVED_LOCAL_REVOCATIONS,
};

use crate::grant::{
    Action, ActionSet, CapabilityChain, CapabilityFilters, Membership, Resource, Roster,
};
use crate::id::StudyId;
use crate::keys::{ConsortiumId, PublicKey};
use crate::signed::{GrantHash, Signed};
use crate::time::UnixTime;

/// Verification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Longest accepted delegation chain (root included).
    pub max_chain_len: usize,
    /// Tolerated clock difference, in seconds, on not-before and expiry.
    pub clock_skew: u64,
    /// Refuse every capability while the newest revocation list is older than this (seconds).
    /// `None`: do not require a list (offline checks).
    pub max_revocation_list_age: Option<u64>,
}

/// Default longest chain.
pub const DEFAULT_MAX_CHAIN_LEN: usize = 8;

impl Default for Policy {
    /// What a serving node uses: chains of 8, 60 s of skew, a list at most a day old.
    fn default() -> Self {
        Policy {
            max_chain_len: DEFAULT_MAX_CHAIN_LEN,
            clock_skew: 60,
            max_revocation_list_age: Some(86_400),
        }
    }
}

impl Policy {
    /// For checking a grant offline (`neurofed grant verify`): no revocation list required.
    pub fn offline() -> Self {
        Policy {
            max_revocation_list_age: None,
            ..Policy::default()
        }
    }
}

/// Who may issue root grants. Implemented by the node that owns the studies (its catalog knows
/// who administers what); other nodes cannot tell.
pub trait RootAuthority {
    /// `Some(true)`: `issuer` administers every study of `resource`; `Some(false)`: it does not;
    /// `None`: this node cannot tell (the studies are another node's).
    fn administers(&self, issuer: &PublicKey, resource: &Resource) -> Option<bool>;
}

impl<F: Fn(&PublicKey, &Resource) -> Option<bool>> RootAuthority for F {
    fn administers(&self, issuer: &PublicKey, resource: &Resource) -> Option<bool> {
        self(issuer, resource)
    }
}

/// Knows no local administrators: only a node's own key is trusted for its own studies.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLocalAuthority;

impl RootAuthority for NoLocalAuthority {
    fn administers(&self, _: &PublicKey, _: &Resource) -> Option<bool> {
        None
    }
}

/// How the root issuer's authority was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCheck {
    /// The root issuer is the node that owns the studies.
    OwnerNode,
    /// The owning node's [`RootAuthority`] confirmed it.
    Confirmed,
    /// Not checkable here (another node's studies): that node checks when the grant is used.
    Unchecked,
}

/// One link of a verified chain: what must be re-checked on every use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkInfo {
    /// Its hash.
    pub hash: GrantHash,
    /// Its issuer.
    pub issuer: PublicKey,
    /// Valid from.
    pub not_before: UnixTime,
    /// Valid until (exclusive).
    pub expires: UnixTime,
}

/// What a verified chain grants.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedCapability {
    /// The links, root first.
    pub links: Vec<LinkInfo>,
    /// Who may use it.
    pub audience: PublicKey,
    /// On what (the presented grant's resource: the narrowest).
    pub resource: Resource,
    /// Which actions.
    pub actions: ActionSet,
    /// Filters to apply to results.
    pub filters: CapabilityFilters,
    /// How the root issuer's authority was established.
    pub root: RootCheck,
    /// The root grant's resource (what its issuer must administer, re-asked on every use of a
    /// cached chain whose root was [`RootCheck::Confirmed`]).
    #[serde(skip)]
    pub root_resource: Resource,
}

impl VerifiedCapability {
    /// The presented grant's hash.
    pub fn leaf(&self) -> GrantHash {
        self.links
            .last()
            .map(|l| l.hash)
            .unwrap_or(GrantHash::from_bytes([0; 32]))
    }

    /// Effective validity window: the latest start and earliest expiry of all links.
    pub fn window(&self) -> (UnixTime, UnixTime) {
        let nbf = self.links.iter().map(|l| l.not_before).max().unwrap_or(0);
        let exp = self.links.iter().map(|l| l.expires).min().unwrap_or(0);
        (nbf, exp)
    }

    /// Whether it permits `action` on `study` of `node`. For a [`Resource::Public`] grant the
    /// caller checks the study is public on its node.
    pub fn permits(
        &self,
        action: Action,
        node: &PublicKey,
        study: Option<&StudyId>,
    ) -> Result<(), Refusal> {
        let refuse = |what: String| Refusal::NotPermitted {
            grant: self.leaf(),
            action,
            what,
        };
        if !self.actions.contains(action) {
            return Err(refuse("at all".into()));
        }
        if self.resource.node() != node {
            return Err(refuse(format!("on node {node}")));
        }
        if let Some(study) = study {
            if self.resource.covers(node, study) == Some(false) {
                return Err(refuse(format!("on study {study}")));
            }
        }
        Ok(())
    }
}

/// The things a capability verification needs besides the chain.
#[derive(Clone, Copy)]
pub struct Verifier<'a> {
    /// Settings.
    pub policy: &'a Policy,
    /// What is revoked.
    pub revocations: &'a Revocations,
    /// Who administers local studies.
    pub authority: &'a dyn RootAuthority,
    /// Verified chains, if caching.
    pub cache: Option<&'a VerifiedCache>,
}

impl std::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", self.policy)
            .field("cached", &self.cache.map(VerifiedCache::len))
            .finish()
    }
}

impl Verifier<'_> {
    /// Verify chain bytes presented by `requester` (consults the cache before decoding).
    pub fn verify_bytes(
        &self,
        bytes: &[u8],
        requester: &PublicKey,
        now: UnixTime,
    ) -> Result<Arc<VerifiedCapability>, Refusal> {
        if let Some(cache) = self.cache {
            let digest = *blake3::hash(bytes).as_bytes();
            if let Some(v) = cache.get(&digest) {
                self.check_dynamic(&v, requester, now)?;
                return Ok(v);
            }
            let chain = CapabilityChain::from_bytes(bytes)?;
            return self.verify_uncached(&chain, requester, now, Some(cache));
        }
        let chain = CapabilityChain::from_bytes(bytes)?;
        self.verify_uncached(&chain, requester, now, None)
    }

    /// Verify a decoded chain presented by `requester`.
    pub fn verify(
        &self,
        chain: &CapabilityChain,
        requester: &PublicKey,
        now: UnixTime,
    ) -> Result<Arc<VerifiedCapability>, Refusal> {
        if let Some(v) = self.cache.and_then(|c| c.get(chain.digest())) {
            self.check_dynamic(&v, requester, now)?;
            return Ok(v);
        }
        self.verify_uncached(chain, requester, now, self.cache)
    }

    fn verify_uncached(
        &self,
        chain: &CapabilityChain,
        requester: &PublicKey,
        now: UnixTime,
        cache: Option<&VerifiedCache>,
    ) -> Result<Arc<VerifiedCapability>, Refusal> {
        let v = Arc::new(self.verify_static(chain)?);
        self.check_dynamic(&v, requester, now)?;
        if let Some(cache) = cache {
            cache.insert(*chain.digest(), v.clone());
        }
        Ok(v)
    }

    /// The checks whose answer never changes for the same bytes.
    fn verify_static(&self, chain: &CapabilityChain) -> Result<VerifiedCapability, Refusal> {
        let links = chain.links();
        let (root, leaf) = match (links.first(), links.last()) {
            (Some(r), Some(l)) => (r, l),
            _ => return Err(Refusal::EmptyChain),
        };
        if links.len() > self.policy.max_chain_len {
            return Err(Refusal::ChainTooLong {
                len: links.len(),
                max: self.policy.max_chain_len,
            });
        }
        for link in links {
            link.verify_signature().map_err(|_| Refusal::BadSignature {
                what: "capability",
                grant: link.hash(),
                signer: link.body().issuer,
            })?;
        }
        if root.body().parent.is_some() {
            return Err(Refusal::BrokenChain {
                grant: root.hash(),
                reason: ChainBreak::MissingRoot,
            });
        }
        for pair in links.windows(2) {
            let (parent, child) = (&pair[0], &pair[1]);
            if child.body().parent != Some(parent.hash()) {
                return Err(Refusal::BrokenChain {
                    grant: child.hash(),
                    reason: ChainBreak::ParentMismatch,
                });
            }
            if child.body().issuer != parent.body().audience {
                return Err(Refusal::BrokenChain {
                    grant: child.hash(),
                    reason: ChainBreak::IssuerIsNotParentAudience,
                });
            }
            child
                .body()
                .attenuates(parent.body())
                .map_err(|how| Refusal::WidenedDelegation {
                    grant: child.hash(),
                    how,
                })?;
        }
        let rb = root.body();
        let root_check = if rb.issuer == *rb.resource.node() {
            RootCheck::OwnerNode
        } else {
            match self.authority.administers(&rb.issuer, &rb.resource) {
                Some(true) => RootCheck::Confirmed,
                None => RootCheck::Unchecked,
                Some(false) => {
                    return Err(Refusal::RootNotAuthorized {
                        grant: root.hash(),
                        issuer: rb.issuer,
                        node: *rb.resource.node(),
                    })
                }
            }
        };
        let lb = leaf.body();
        Ok(VerifiedCapability {
            links: links
                .iter()
                .map(|l| LinkInfo {
                    hash: l.hash(),
                    issuer: l.body().issuer,
                    not_before: l.body().not_before,
                    expires: l.body().expires,
                })
                .collect(),
            audience: lb.audience,
            root_resource: rb.resource.clone(),
            resource: lb.resource.clone(),
            actions: lb.actions,
            filters: lb.filters.clone(),
            root: root_check,
        })
    }

    /// The checks that depend on time, revocations and who asks.
    fn check_dynamic(
        &self,
        v: &VerifiedCapability,
        requester: &PublicKey,
        now: UnixTime,
    ) -> Result<(), Refusal> {
        let skew = self.policy.clock_skew;
        for link in &v.links {
            if now.saturating_add(skew) < link.not_before {
                return Err(Refusal::NotYetValid {
                    grant: link.hash,
                    not_before: link.not_before,
                    now,
                });
            }
            if now >= link.expires.saturating_add(skew) {
                return Err(Refusal::Expired {
                    grant: link.hash,
                    expired_at: link.expires,
                    now,
                });
            }
        }
        // A root confirmed by the owner's authority (a local user administering the studies) is
        // re-asked on every use: rights change, a cached verification must not outlive them.
        if v.root == RootCheck::Confirmed {
            if let Some(root) = v.links.first() {
                if self.authority.administers(&root.issuer, &v.root_resource) != Some(true) {
                    return Err(Refusal::RootNotAuthorized {
                        grant: root.hash,
                        issuer: root.issuer,
                        node: *v.root_resource.node(),
                    });
                }
            }
        }
        for (i, link) in v.links.iter().enumerate() {
            let authorities = v.links[..=i].iter().map(|l| &l.issuer);
            if self.revocations.is_revoked(&link.hash, authorities) {
                return Err(Refusal::Revoked { grant: link.hash });
            }
        }
        self.revocations.check_fresh(now, self.policy)?;
        if v.audience != *requester {
            return Err(Refusal::WrongAudience {
                grant: v.leaf(),
                audience: v.audience,
                requester: *requester,
            });
        }
        Ok(())
    }
}

/// Check a peer's membership grant: signed by a consortium this node trusts, for this peer,
/// within its validity window, not revoked.
pub fn verify_membership(
    membership: &Signed<Membership>,
    peer: &PublicKey,
    trusted: &[ConsortiumId],
    revocations: &Revocations,
    policy: &Policy,
    now: UnixTime,
) -> Result<(), Refusal> {
    let m = membership.body();
    if !trusted.contains(&m.consortium) {
        return Err(Refusal::UnknownConsortium {
            consortium: m.consortium,
        });
    }
    membership
        .verify_signature()
        .map_err(|_| Refusal::BadSignature {
            what: "membership",
            grant: membership.hash(),
            signer: m.consortium,
        })?;
    if m.member != *peer {
        return Err(Refusal::NotAMember {
            node: *peer,
            consortium: m.consortium,
        });
    }
    if now.saturating_add(policy.clock_skew) < m.not_before {
        return Err(Refusal::NotYetValid {
            grant: membership.hash(),
            not_before: m.not_before,
            now,
        });
    }
    if now >= m.expires.saturating_add(policy.clock_skew) {
        return Err(Refusal::Expired {
            grant: membership.hash(),
            expired_at: m.expires,
            now,
        });
    }
    if revocations.is_revoked(&membership.hash(), [&m.consortium]) {
        return Err(Refusal::Revoked {
            grant: membership.hash(),
        });
    }
    Ok(())
}

/// Check that a node is listed in a roster already accepted for its consortium.
pub fn check_listed(roster: &Roster, node: &PublicKey) -> Result<(), Refusal> {
    roster.member(node).map(|_| ()).ok_or(Refusal::NotAMember {
        node: *node,
        consortium: roster.consortium,
    })
}

/// Accept `offered` in place of `held` (if any): same trusted consortium, good signature,
/// strictly newer version.
pub fn accept_roster(
    offered: &Signed<Roster>,
    held: Option<&Roster>,
    consortium: &ConsortiumId,
) -> Result<(), Refusal> {
    let r = offered.body();
    if r.consortium != *consortium {
        return Err(Refusal::UnknownConsortium {
            consortium: r.consortium,
        });
    }
    offered
        .verify_signature()
        .map_err(|_| Refusal::BadSignature {
            what: "roster",
            grant: offered.hash(),
            signer: r.consortium,
        })?;
    match held {
        Some(h) if r.serial <= h.serial => Err(Refusal::NotNewer {
            what: "roster",
            have: h.serial,
            got: r.serial,
        }),
        _ => Ok(()),
    }
}

/// A capability decoded and verified offline: for tools (`neurofed grant verify`).
pub fn verify_offline(
    chain: &CapabilityChain,
    revocations: &Revocations,
    authority: &dyn RootAuthority,
    now: UnixTime,
) -> Result<Arc<VerifiedCapability>, Refusal> {
    let policy = Policy::offline();
    let verifier = Verifier {
        policy: &policy,
        revocations,
        authority,
        cache: None,
    };
    let audience = chain
        .leaf()
        .map(|l| l.body().audience)
        .ok_or(Refusal::EmptyChain)?;
    verifier.verify(chain, &audience, now)
}
