//! Access capabilities held and issued by a node: issue a root grant or delegate a narrower part
//! of one received, verify any signed document offline, revoke a grant issued here, keep a grant
//! received, list those kept. Used by `neurofed grant issue|verify|revoke|add|ls`.
//!
//! A capability file holds a chain (CBOR array of signed grants, root first); a single signed
//! capability is read as a chain of one. Kept grants live under `grants/<leaf hash>.grant`,
//! revocations under `revocations/<hash>.rev` (see [`node::Home`]).
//!
//! What only the node knows (which study a name denotes, whether a local user administers a
//! study, the right to issue root grants) comes through [`StudyAuthority`]; [`NodeStudies`]
//! answers from the node's catalog. Nothing is written that would not verify: issuing and
//! keeping check the chain first and say why they refuse.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use node::{Access, Home, KeyFileError, Node, Principal, Right};
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, Revocation, RevocationList,
    Roster,
};
use protocol::id::StudyId;
use protocol::keys::PublicKey;
use protocol::signed::{envelope_kind, GrantHash, Kind, Signed, SignedBody};
use protocol::time::{format_utc, UnixTime};
use protocol::verify::{verify_membership, verify_offline, Policy, Refusal, RootAuthority};
use serde::Serialize;
use serde_json::{json, Value};

use crate::keyring::{find_local_key, local_keys, node_key, Holder};
use crate::state::{self, known_revocations, read_chain};
use crate::FedError;

/// Why a grant operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// No study of that name on this node.
    #[error("no study named {0:?} on this node")]
    NoStudy(String),
    /// A root grant names no study.
    #[error("name at least one --study (or --public)")]
    NoResource,
    /// A root grant needs its actions.
    #[error("--actions is required for a root grant")]
    NoActions,
    /// A grant file holds no grant.
    #[error("{} holds no grant", .0.display())]
    Empty(PathBuf),
    /// The parent grant's audience has no key here.
    #[error("the parent grant is for {0}, whose key is not on this node")]
    NotOurs(PublicKey),
    /// A grant kept here must be for this node or one of its users.
    #[error("grant {grant} is for {audience}, not for this node or one of its users")]
    NotForUs {
        /// The grant.
        grant: GrantHash,
        /// Its audience.
        audience: PublicKey,
    },
    /// No issuer in the chain has a key here.
    #[error("no issuer of grant {0} has a key on this node: it cannot be revoked here")]
    NoIssuerKey(GrantHash),
    /// The grant would not verify (not issued, not kept).
    #[error("{action}: {refusal} [{}]", .refusal.code())]
    Refused {
        /// `not issued` or `not kept`.
        action: &'static str,
        /// Why.
        refusal: Refusal,
    },
    /// A key file.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The node's state (grants, revocations, roster).
    #[error(transparent)]
    State(#[from] FedError),
    /// The node's catalog.
    #[error(transparent)]
    Node(#[from] node::NodeError),
    /// Reading rights.
    #[error(transparent)]
    Access(#[from] node::AccessError),
    /// A study id that does not parse.
    #[error("{0}")]
    BadId(String),
    /// Signing or encoding.
    #[error("{0}")]
    Encode(String),
}

/// What the catalog tells the grant operations.
pub trait StudyAuthority {
    /// The id of the study called `name` on this node (or given as `st_...`).
    fn resolve(&self, name: &str) -> Result<StudyId, GrantError>;
    /// Whether `key` (a local user's key) holds `administer` on `study` of this node.
    fn administers(&self, key: &PublicKey, study: &StudyId) -> Result<bool, GrantError>;
}

/// [`StudyAuthority`] from a node's catalog, opened when first needed (so that a coordinator's
/// machine without a catalog can still create a consortium).
#[derive(Debug)]
pub struct NodeStudies<'a> {
    home: &'a Home,
    node: OnceCell<Node>,
}

impl<'a> NodeStudies<'a> {
    /// Over the node in `home`.
    pub fn new(home: &'a Home) -> Self {
        NodeStudies {
            home,
            node: OnceCell::new(),
        }
    }

    fn node(&self) -> Result<&Node, GrantError> {
        if let Some(n) = self.node.get() {
            return Ok(n);
        }
        let n = Node::open(self.home)?;
        Ok(self.node.get_or_init(|| n))
    }
}

impl StudyAuthority for NodeStudies<'_> {
    fn resolve(&self, name: &str) -> Result<StudyId, GrantError> {
        if name.starts_with(StudyId::PREFIX) {
            return name.parse().map_err(|e| GrantError::BadId(format!("{e}")));
        }
        self.node()?
            .catalog
            .study_by_name(name)
            .map_err(node::NodeError::from)?
            .map(|s| s.id)
            .ok_or_else(|| GrantError::NoStudy(name.to_string()))
    }

    fn administers(&self, key: &PublicKey, study: &StudyId) -> Result<bool, GrantError> {
        let Some(found) = find_local_key(self.home, key)? else {
            return Ok(false);
        };
        let Holder::User(name) = found.holder else {
            return Ok(false);
        };
        let node = self.node()?;
        let access = Access::new(&node.catalog);
        let Some(user) = access.users().get(&name)? else {
            return Ok(false);
        };
        Ok(access
            .check(
                &Principal::User(user),
                Right::Administer,
                *study,
                None,
                node::now(),
            )
            .is_ok())
    }
}

/// The node's answer to "does this issuer administer these studies": its own key always does
/// for its own studies; a local user's key if the catalog says so; other nodes' studies cannot be
/// checked here.
struct Authority<'a> {
    me: PublicKey,
    studies: &'a dyn StudyAuthority,
}

impl RootAuthority for Authority<'_> {
    fn administers(&self, issuer: &PublicKey, resource: &Resource) -> Option<bool> {
        if *resource.node() != self.me {
            return None;
        }
        match resource {
            Resource::Studies { ids, .. } => Some(
                ids.iter()
                    .all(|id| self.studies.administers(issuer, id).unwrap_or(false)),
            ),
            Resource::Public { .. } => Some(false),
        }
    }
}

fn check(
    home: &Home,
    studies: &dyn StudyAuthority,
    chain: &CapabilityChain,
    now: UnixTime,
) -> Result<Result<(), Refusal>, GrantError> {
    let authority = Authority {
        me: node_key(home)?.public(),
        studies,
    };
    Ok(verify_offline(chain, &known_revocations(home)?, &authority, now).map(|_| ()))
}

fn encode_err(e: impl std::fmt::Display) -> GrantError {
    GrantError::Encode(e.to_string())
}

/// What to grant (`grant issue`).
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The principal (user or node key).
    pub to: PublicKey,
    /// Studies by name or `st_` id (with a parent: narrows its studies).
    pub studies: Vec<String>,
    /// This node's public studies instead of named ones.
    pub public: bool,
    /// Actions (a root grant needs them; a delegation keeps the parent's by default).
    pub actions: Option<ActionSet>,
    /// End of validity.
    pub expires: UnixTime,
    /// Only these modalities.
    pub modality: Vec<String>,
    /// Only these natures.
    pub nature: Vec<String>,
    /// The chain to delegate from.
    pub parent: Option<PathBuf>,
    /// Sign as this local user instead of the node.
    pub as_user: Option<String>,
}

/// Issue a root grant or delegate part of a parent grant; refused (with the verifier's reason)
/// if the chain would not verify here.
pub fn issue(
    home: &Home,
    studies: &dyn StudyAuthority,
    r: IssueRequest,
    now: UnixTime,
) -> Result<CapabilityChain, GrantError> {
    let to = r.to;
    let node = node_key(home)?;
    let (mut body, parent, signer) = match &r.parent {
        None => {
            let signer = match &r.as_user {
                Some(u) => node::KeyFile::user(home, u)?,
                None => node_key(home)?,
            };
            let resource = if r.public {
                Resource::Public {
                    node: node.public(),
                }
            } else {
                if r.studies.is_empty() {
                    return Err(GrantError::NoResource);
                }
                let ids = r
                    .studies
                    .iter()
                    .map(|n| studies.resolve(n))
                    .collect::<Result<_, _>>()?;
                Resource::Studies {
                    node: node.public(),
                    ids,
                }
            };
            let actions = r.actions.ok_or(GrantError::NoActions)?;
            let c = Capability::new(signer.public(), to, resource, actions, now, r.expires);
            (c, None, signer)
        }
        Some(path) => {
            let chain = read_chain(path)?;
            let leaf = chain
                .leaf()
                .ok_or_else(|| GrantError::Empty(path.clone()))?;
            let audience = leaf.body().audience;
            let signer = find_local_key(home, &audience)?
                .ok_or(GrantError::NotOurs(audience))?
                .key;
            let mut c = Capability::delegate(leaf, to);
            c.not_before = c.not_before.max(now);
            if !r.studies.is_empty() {
                let ids = r
                    .studies
                    .iter()
                    .map(|n| match n.parse::<StudyId>() {
                        Ok(id) => Ok(id),
                        Err(_) => studies.resolve(n),
                    })
                    .collect::<Result<_, _>>()?;
                c.resource = Resource::Studies {
                    node: *leaf.body().resource.node(),
                    ids,
                };
            }
            if let Some(a) = &r.actions {
                c.actions = *a;
            }
            (c, Some(chain), signer)
        }
    };
    body.expires = r.expires;
    if !r.modality.is_empty() {
        body.filters.modality = Some(r.modality.into_iter().collect());
    }
    if !r.nature.is_empty() {
        body.filters.nature = Some(r.nature.into_iter().collect());
    }
    let link = Signed::sign(body, signer.secret()).map_err(encode_err)?;
    let chain = match parent {
        Some(p) => p.with(link).map_err(encode_err)?,
        None => CapabilityChain::new(vec![link]).map_err(encode_err)?,
    };
    check(home, studies, &chain, now)?.map_err(|refusal| GrantError::Refused {
        action: "not issued",
        refusal,
    })?;
    Ok(chain)
}

/// A revocation signed and stored here.
#[derive(Debug, Clone, Serialize)]
pub struct Revoked {
    /// The grant revoked.
    pub grant: GrantHash,
    /// Whose key signed the revocation (`node`, `user NAME`).
    pub signer: String,
    /// Where it is stored.
    pub path: PathBuf,
}

/// Revoke the grant in `file`: signed by its issuer's key or an ancestor's, if one is here.
pub fn revoke(
    home: &Home,
    file: &Path,
    reason: Option<String>,
    now: UnixTime,
) -> Result<Revoked, GrantError> {
    let chain = read_chain(file)?;
    let leaf = chain
        .leaf()
        .ok_or_else(|| GrantError::Empty(file.to_path_buf()))?;
    let mut signer = None;
    for link in chain.links().iter().rev() {
        if let Some(found) = find_local_key(home, &link.body().issuer)? {
            signer = Some(found);
            break;
        }
    }
    let signer = signer.ok_or(GrantError::NoIssuerKey(leaf.hash()))?;
    let mut rev = Revocation::new(signer.key.public(), leaf.hash(), now);
    rev.reason = reason;
    let signed = Signed::sign(rev, signer.key.secret()).map_err(encode_err)?;
    let path = state::store_revocation(home, &signed)?;
    Ok(Revoked {
        grant: leaf.hash(),
        signer: signer.holder.to_string(),
        path,
    })
}

/// A grant kept here.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// Its leaf hash.
    pub grant: GrantHash,
    /// Whose key it is for (`node`, `user NAME`).
    pub holder: String,
    /// Where it is kept.
    pub path: PathBuf,
}

/// Keep the grant in `file` for this node or one of its users, if it verifies here.
pub fn keep(
    home: &Home,
    studies: &dyn StudyAuthority,
    file: &Path,
    now: UnixTime,
) -> Result<Kept, GrantError> {
    let chain = read_chain(file)?;
    let leaf = chain
        .leaf()
        .ok_or_else(|| GrantError::Empty(file.to_path_buf()))?;
    let audience = leaf.body().audience;
    let holder = find_local_key(home, &audience)?.ok_or(GrantError::NotForUs {
        grant: leaf.hash(),
        audience,
    })?;
    check(home, studies, &chain, now)?.map_err(|refusal| GrantError::Refused {
        action: "not kept",
        refusal,
    })?;
    let path = state::store_grant(home, &chain)?;
    Ok(Kept {
        grant: leaf.hash(),
        holder: holder.holder.to_string(),
        path,
    })
}

/// One grant kept here (`grant ls`).
#[derive(Debug, Clone, Serialize)]
pub struct KeptGrant {
    /// Its leaf hash.
    pub hash: GrantHash,
    /// Whose key holds it (`node`, `user NAME`, or the key).
    pub holder: String,
    /// The node whose data it opens.
    pub node: PublicKey,
    /// What it opens.
    pub resource: Resource,
    /// Its actions.
    pub actions: String,
    /// Its end (UTC).
    pub expires: String,
    /// Links in its chain.
    pub links: usize,
    /// `valid`, or the refusal code.
    pub status: String,
}

/// The grants kept here, each with whether it verifies now (unreadable files are skipped).
pub fn list(
    home: &Home,
    studies: &dyn StudyAuthority,
    now: UnixTime,
) -> Result<Vec<KeptGrant>, GrantError> {
    let keys = local_keys(home)?;
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(home.grants_dir()) {
        Ok(e) => e.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(_) => vec![],
    };
    paths.sort();
    let mut rows = Vec::new();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "grant"))
    {
        let chain = match read_chain(path) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("ignoring {e}");
                continue;
            }
        };
        let Some(leaf) = chain.leaf() else { continue };
        let b = leaf.body();
        let holder = keys
            .iter()
            .find(|k| k.key.public() == b.audience)
            .map(|k| k.holder.to_string())
            .unwrap_or_else(|| b.audience.to_string());
        let status = match check(home, studies, &chain, now)? {
            Ok(()) => "valid".to_string(),
            Err(e) => e.code().to_string(),
        };
        rows.push(KeptGrant {
            hash: leaf.hash(),
            holder,
            node: *b.resource.node(),
            resource: b.resource.clone(),
            actions: b.actions.to_string(),
            expires: format_utc(b.expires),
            links: chain.links().len(),
            status,
        });
    }
    Ok(rows)
}

/// The offline verdict on a signed document (`grant verify`).
#[derive(Debug)]
pub struct Verification {
    /// What it said about the document when valid (kind, hash, window...), or why it is not.
    pub outcome: Result<Value, Refusal>,
    /// The document, decoded (`null` when it does not decode).
    pub document: Value,
}

impl Verification {
    /// Whether the document verifies.
    pub fn is_valid(&self) -> bool {
        self.outcome.is_ok()
    }

    /// `{"valid", "details"|"reason"+"message", "document"}`, as `grant verify --json` prints.
    pub fn to_json(&self) -> Value {
        match &self.outcome {
            Ok(details) => json!({"valid": true, "details": details, "document": self.document}),
            Err(e) => json!({
                "valid": false, "reason": e.code(), "message": e.to_string(),
                "document": self.document,
            }),
        }
    }
}

fn to_value(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Verify the signed document in `bytes` offline: a capability (chain), membership, roster,
/// revocation list, revocation or signed search answer. Rosters and lists are checked against
/// the consortium this node joined, when it joined one.
pub fn verify(
    home: &Home,
    studies: &dyn StudyAuthority,
    bytes: &[u8],
    now: UnixTime,
) -> Result<Verification, GrantError> {
    let trusted: Option<PublicKey> = state::load_joined(home)?.map(|j| j.consortium());
    let revocations = known_revocations(home)?;
    Ok(match envelope_kind(bytes).ok() {
        Some(Kind::Membership) => match Signed::<Membership>::from_bytes(bytes) {
            Err(e) => malformed(e),
            Ok(m) => {
                let consortium = trusted.unwrap_or(m.body().consortium);
                let b = m.body();
                let outcome = verify_membership(
                    &m,
                    &b.member,
                    &[consortium],
                    &revocations,
                    &Policy::offline(),
                    now,
                )
                .map(|()| {
                    json!({
                        "kind": "membership", "hash": m.hash(), "member": b.member,
                        "center": b.center, "consortium": b.consortium,
                        "expires": format_utc(b.expires),
                        "consortium_trusted_here": trusted.is_some(),
                    })
                });
                Verification {
                    outcome,
                    document: to_value(&m),
                }
            }
        },
        Some(Kind::Roster) => signed_only::<Roster>(bytes, trusted),
        Some(Kind::RevocationList) => signed_only::<RevocationList>(bytes, trusted),
        Some(Kind::Revocation) => signed_only::<Revocation>(bytes, None),
        Some(Kind::SearchResponse) => signed_only::<protocol::wire::SearchResponse>(bytes, None),
        Some(Kind::Capability) | None => {
            let chain = match envelope_kind(bytes) {
                Ok(Kind::Capability) => Signed::<Capability>::from_bytes(bytes)
                    .map_err(Refusal::Malformed)
                    .and_then(|l| CapabilityChain::new(vec![l]).map_err(|_| Refusal::EmptyChain)),
                _ => CapabilityChain::from_bytes(bytes).map_err(Refusal::Malformed),
            };
            let chain = match chain {
                Ok(c) => c,
                Err(refusal) => {
                    return Ok(Verification {
                        outcome: Err(refusal),
                        document: Value::Null,
                    })
                }
            };
            let authority = Authority {
                me: node_key(home)?.public(),
                studies,
            };
            let outcome = verify_offline(&chain, &revocations, &authority, now).map(|v| {
                let (nbf, exp) = v.window();
                json!({
                    "kind": "capability", "hash": v.leaf(), "audience": v.audience,
                    "resource": v.resource, "actions": v.actions.to_string(),
                    "filters": v.filters, "valid_from": format_utc(nbf),
                    "expires": format_utc(exp), "links": v.links.len(),
                    "root_authority": v.root,
                })
            });
            Verification {
                outcome,
                document: to_value(&chain),
            }
        }
    })
}

fn malformed(e: protocol::cbor::DecodeError) -> Verification {
    Verification {
        outcome: Err(Refusal::Malformed(e)),
        document: Value::Null,
    }
}

fn signed_only<T: SignedBody + Serialize>(
    bytes: &[u8],
    trusted: Option<PublicKey>,
) -> Verification {
    let s = match Signed::<T>::from_bytes(bytes) {
        Ok(s) => s,
        Err(e) => return malformed(e),
    };
    let signer = *s.body().signer();
    let outcome = if trusted.is_some_and(|t| t != signer) {
        Err(Refusal::UnknownConsortium { consortium: signer })
    } else {
        s.verify_signature()
            .map_err(|_| Refusal::BadSignature {
                what: T::WHAT,
                grant: s.hash(),
                signer,
            })
            .map(|()| json!({ "kind": T::WHAT, "hash": s.hash(), "signer": signer }))
    };
    Verification {
        outcome,
        document: to_value(&s),
    }
}

#[cfg(test)]
#[path = "grants/tests.rs"]
mod tests;
