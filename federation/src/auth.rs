//! The caller's side of authorization: the capability chains a principal holds, one per node at
//! most used per search, and the key that signs invocations when the principal is not the node
//! itself (a local user whose key the node keeps).

use node::{Home, KeyFile};
use protocol::grant::{Action, CapabilityChain};
use protocol::id::StudyId;
use protocol::keys::{PublicKey, SecretKey};
use protocol::time::UnixTime;
use protocol::verify::{NoLocalAuthority, Policy, Refusal, Verifier};
use protocol::wire::{self, ContentRequest, SearchRequest};

use crate::{state, FedError};

/// What a caller presents to the members: its capability chains and, when their audience is a
/// user rather than the node, that user's key to sign each request (the invocation).
#[derive(Clone, Default)]
pub struct Authorization {
    chains: Vec<CapabilityChain>,
    invoker: Option<SecretKey>,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("chains", &self.chains.len())
            .field("invoker", &self.invoker.as_ref().map(SecretKey::public))
            .finish()
    }
}

impl Authorization {
    /// No grant: members are not asked (reported `denied` with code `no_grant`).
    pub fn none() -> Self {
        Self::default()
    }

    /// These chains, invoked by `invoker` when it is their audience (else sent as they are, for
    /// the node itself).
    pub fn new(chains: Vec<CapabilityChain>, invoker: Option<SecretKey>) -> Self {
        Authorization { chains, invoker }
    }

    /// The grants kept on this node (`neurofed grant add`) for its own key.
    pub fn for_node(home: &Home) -> Result<Self, FedError> {
        let key = state::node_key(home)?;
        Ok(Authorization::new(
            state::load_grants(home, &key.public())?,
            None,
        ))
    }

    /// The grants kept on this node for local user `name`, invoked with the user's key.
    pub fn for_user(home: &Home, name: &str) -> Result<Self, FedError> {
        let key = KeyFile::user(home, name).map_err(|e| FedError::Identity(e.to_string()))?;
        let chains = state::load_grants(home, &key.public())?;
        Ok(Authorization::new(chains, Some(key.secret().clone())))
    }

    /// The chains held.
    pub fn chains(&self) -> &[CapabilityChain] {
        &self.chains
    }

    /// The chain to present to `target`: one whose leaf names that node, preferring `search`
    /// over `count` only, then the latest expiry.
    pub fn chain_for(&self, target: &PublicKey) -> Option<&CapabilityChain> {
        self.chains
            .iter()
            .filter_map(|c| c.leaf().map(|l| (c, l.body())))
            .filter(|(_, b)| b.resource.node() == target)
            .max_by_key(|(_, b)| (b.actions.contains(Action::Search), b.expires))
            .map(|(c, _)| c)
    }

    /// The chain that lets this caller download from `target`, if any: the latest expiry.
    pub fn download_chain_for(&self, target: &PublicKey) -> Option<&CapabilityChain> {
        self.chains
            .iter()
            .filter_map(|c| c.leaf().map(|l| (c, l.body())))
            .filter(|(_, b)| b.resource.node() == target && b.actions.contains(Action::Download))
            .max_by_key(|(_, b)| b.expires)
            .map(|(c, _)| c)
    }

    /// The chain that lets this caller read a copy, held here, of `origin`'s dataset of `study`:
    /// one that fully verifies here (signatures, links, windows, the revocations this node
    /// knows), permits `download` on that very study of `origin`, and carries no modality or
    /// nature filter (a copy-holder cannot check one against the copy, so it refuses it).
    /// Without a recorded study nothing is permitted. The refusal of the last chain tried is
    /// returned when none fits.
    pub fn copy_chain_for(
        &self,
        home: &Home,
        origin: &PublicKey,
        study: Option<&StudyId>,
        now: UnixTime,
    ) -> Result<&CapabilityChain, CopyRefusal> {
        let study = study.ok_or(CopyRefusal::UnknownStudy)?;
        let revocations = state::known_revocations(home).map_err(CopyRefusal::State)?;
        let policy = Policy::offline();
        let verifier = Verifier {
            policy: &policy,
            revocations: &revocations,
            authority: &NoLocalAuthority,
            cache: None,
        };
        let mut last = CopyRefusal::NoGrant;
        for chain in self
            .chains
            .iter()
            .filter(|c| c.leaf().is_some_and(|l| l.body().resource.node() == origin))
        {
            let Some(audience) = chain.leaf().map(|l| l.body().audience) else {
                continue;
            };
            match verifier.verify(chain, &audience, now).and_then(|v| {
                v.permits(Action::Download, origin, Some(study))?;
                if v.filters.is_empty() {
                    Ok(())
                } else {
                    Err(Refusal::NotPermitted {
                        grant: v.leaf(),
                        action: Action::Download,
                        what: "with modality or nature filters on a copy (ask the owner)".into(),
                    })
                }
            }) {
                Ok(()) => return Ok(chain),
                Err(refusal) => last = CopyRefusal::Refused { refusal },
            }
        }
        Err(last)
    }

    /// These chains and those of `other`, invoked by this one's key (or else `other`'s).
    pub fn merged(mut self, other: Authorization) -> Self {
        self.chains.extend(other.chains);
        if self.invoker.is_none() {
            self.invoker = other.invoker;
        }
        self
    }

    /// Attach the download chain for `owner`'s data to a content request sent to `target`
    /// (the owner, or a member holding a copy), with the invocation signature when the chain's
    /// audience is the invoking user (over this very request, for `target`).
    pub fn authorize_content(
        &self,
        req: &mut ContentRequest,
        owner: &PublicKey,
        target: &PublicKey,
    ) {
        let Some(chain) = self.download_chain_for(owner) else {
            req.auth = None;
            return;
        };
        let audience = chain.leaf().map(|l| l.body().audience);
        let invocation = match &self.invoker {
            Some(k) if Some(k.public()) == audience => req
                .invocation_digest(target, chain)
                .ok()
                .map(|d| k.sign(protocol::signed::tag::INVOCATION, &d)),
            _ => None,
        };
        req.auth = Some(wire::Authorization {
            chain: chain.clone(),
            invocation,
        });
    }

    /// The authorization of `req` at `target`, if a chain names it.
    pub(crate) fn authorize(
        &self,
        req: &SearchRequest,
        target: &PublicKey,
    ) -> Result<Option<wire::Authorization>, FedError> {
        let Some(chain) = self.chain_for(target) else {
            return Ok(None);
        };
        let audience = chain.leaf().map(|l| l.body().audience);
        let invocation = match &self.invoker {
            Some(k) if Some(k.public()) == audience => {
                let digest = req.invocation_digest(target, chain)?;
                Some(k.sign(protocol::signed::tag::INVOCATION, &digest))
            }
            _ => None,
        };
        Ok(Some(wire::Authorization {
            chain: chain.clone(),
            invocation,
        }))
    }
}

/// Why a copy held here may not be read by a caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyRefusal {
    /// The copy's study at its origin was not recorded: no grant can be checked against it.
    #[error("the copy's study at its origin is not known here: only its owner can serve it")]
    UnknownStudy,
    /// The caller holds no grant from the copy's origin.
    #[error("you hold no download grant from the owner of this dataset")]
    NoGrant,
    /// The caller's grant does not verify or does not cover the copy.
    #[error("{refusal} [{}]", .refusal.code())]
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// The node's revocations could not be read.
    #[error(transparent)]
    State(FedError),
}
