//! The caller's side of authorization: the capability chains a principal holds, one per node at
//! most used per search, and the key that signs invocations when the principal is not the node
//! itself (a local user whose key the node keeps).

use node::{Home, KeyFile};
use protocol::grant::{Action, CapabilityChain};
use protocol::keys::{PublicKey, SecretKey};
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
