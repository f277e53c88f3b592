//! The consortium state a node keeps in its home (roster and membership of the joined
//! consortium, the revocation list and individual revocations, received grants), read and
//! written here so that the CLI, the server and the federation agree. The paths are
//! [`node::Home`]'s (`consortium/joined/`, `revocations/`, `grants/`, `keys/node.key`).
//!
//! Every write is atomic (temporary file, fsync, rename): a crash leaves the old or the new file.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use node::{Home, KeyFile};
use protocol::grant::{
    Capability, CapabilityChain, Membership, Revocation, RevocationList, Roster,
};
use protocol::keys::{ConsortiumId, PublicKey};
use protocol::signed::{envelope_kind, GrantHash, Kind, Signed, SignedBody};
use protocol::verify::Revocations;

use crate::FedError;

fn state_err(path: &Path, detail: impl std::fmt::Display) -> FedError {
    FedError::State {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// Largest state file read (a roster or revocation list envelope is at most 8 MiB).
const MAX_STATE_FILE: u64 = 9 << 20;

fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>, FedError> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(state_err(path, e)),
        Ok(m) if m.len() > MAX_STATE_FILE => {
            return Err(state_err(path, format!("{} bytes is too large", m.len())))
        }
        Ok(_) => {}
    }
    fs::read(path).map(Some).map_err(|e| state_err(path, e))
}

fn read_signed<T: SignedBody>(path: &Path) -> Result<Option<Signed<T>>, FedError> {
    match read_bounded(path)? {
        None => Ok(None),
        Some(bytes) => Signed::<T>::from_bytes(&bytes)
            .map(Some)
            .map_err(|e| state_err(path, e)),
    }
}

/// Write `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FedError> {
    node::write_atomic(path, bytes).map_err(|e| state_err(path, e))
}

/// The node key (created on first use).
pub fn node_key(home: &Home) -> Result<KeyFile, FedError> {
    KeyFile::node(home).map_err(|e| FedError::Identity(e.to_string()))
}

/// The roster and membership of the consortium this node joined.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The newest roster accepted.
    pub roster: Signed<Roster>,
    /// This node's membership grant.
    pub membership: Signed<Membership>,
}

impl Joined {
    /// The consortium.
    pub fn consortium(&self) -> ConsortiumId {
        self.roster.body().consortium
    }
}

/// The joined state, if the node joined a consortium.
pub fn load_joined(home: &Home) -> Result<Option<Joined>, FedError> {
    let roster = read_signed::<Roster>(&home.joined_roster_path())?;
    let membership = read_signed::<Membership>(&home.joined_membership_path())?;
    match (roster, membership) {
        (Some(roster), Some(membership)) => Ok(Some(Joined { roster, membership })),
        _ => Ok(None),
    }
}

/// Write the joined state (as `neurofed consortium join` does, without its checks).
pub fn store_joined(home: &Home, joined: &Joined) -> Result<(), FedError> {
    write_atomic(&home.joined_roster_path(), joined.roster.bytes())?;
    write_atomic(&home.joined_membership_path(), joined.membership.bytes())
}

/// Replace the stored roster (the caller checked it is newer and signed).
pub fn store_roster(home: &Home, roster: &Signed<Roster>) -> Result<(), FedError> {
    write_atomic(&home.joined_roster_path(), roster.bytes())
}

/// The stored revocation list, if any.
pub fn load_revocation_list(home: &Home) -> Result<Option<Signed<RevocationList>>, FedError> {
    read_signed(&home.revocation_list_path())
}

/// Replace the stored revocation list (the caller checked it).
pub fn store_revocation_list(home: &Home, list: &Signed<RevocationList>) -> Result<(), FedError> {
    write_atomic(&home.revocation_list_path(), list.bytes())
}

/// Store an individual revocation (the caller checked its signature).
pub fn store_revocation(home: &Home, rev: &Signed<Revocation>) -> Result<(), FedError> {
    write_atomic(&home.revocation_path(&rev.body().grant), rev.bytes())
}

/// What the node knows to be revoked, with the documents themselves (to pass them on).
#[derive(Debug, Clone, Default)]
pub struct RevocationState {
    /// The verification view.
    pub revocations: Revocations,
    /// The coordinator's list applied, if any.
    pub list: Option<Signed<RevocationList>>,
    /// Individual revocations applied.
    pub individual: Vec<Signed<Revocation>>,
    /// Their hashes (to recognize a new one).
    pub seen: HashSet<GrantHash>,
}

/// Load the revocation list (if signed by `consortium`) and every individual revocation whose
/// signature checks; others are skipped with a warning.
pub fn load_revocations(
    home: &Home,
    consortium: &ConsortiumId,
) -> Result<RevocationState, FedError> {
    let mut st = RevocationState::default();
    if let Some(list) = load_revocation_list(home)? {
        match st.revocations.apply_list(&list, consortium) {
            Ok(()) => st.list = Some(list),
            Err(e) => tracing::warn!("ignoring stored revocation list: {e}"),
        }
    }
    let dir = home.revocations_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(st),
        Err(e) => return Err(state_err(&dir, e)),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "rev"))
    {
        match read_signed::<Revocation>(p) {
            Ok(Some(rev)) => match st.revocations.apply_revocation(&rev) {
                Ok(()) => {
                    st.seen.insert(rev.hash());
                    st.individual.push(rev);
                }
                Err(e) => tracing::warn!("ignoring {}: {e}", p.display()),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!("ignoring {e}"),
        }
    }
    Ok(st)
}

/// Read a grant file: a chain, or one signed capability (a chain of one).
pub fn read_chain(path: &Path) -> Result<CapabilityChain, FedError> {
    let bytes = read_bounded(path)?.ok_or_else(|| state_err(path, "no such file"))?;
    if let Ok(Kind::Capability) = envelope_kind(&bytes) {
        let link = Signed::<Capability>::from_bytes(&bytes).map_err(|e| state_err(path, e))?;
        return CapabilityChain::new(vec![link]).map_err(|e| state_err(path, e));
    }
    CapabilityChain::from_bytes(&bytes).map_err(|e| state_err(path, e))
}

/// The grants kept under `<home>/grants/` whose leaf audience is `holder` (unreadable files are
/// skipped with a warning).
pub fn load_grants(home: &Home, holder: &PublicKey) -> Result<Vec<CapabilityChain>, FedError> {
    let dir = home.grants_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(state_err(&dir, e)),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "grant"))
    {
        match read_chain(p) {
            Ok(c) if c.leaf().is_some_and(|l| l.body().audience == *holder) => out.push(c),
            Ok(_) => {}
            Err(e) => tracing::warn!("ignoring {e}"),
        }
    }
    Ok(out)
}

/// Keep a grant under `<home>/grants/<leaf hash>.grant`.
pub fn store_grant(home: &Home, chain: &CapabilityChain) -> Result<PathBuf, FedError> {
    let leaf = chain
        .leaf()
        .ok_or_else(|| state_err(&home.grants_dir(), "an empty chain is not a grant"))?;
    let path = home.grant_path(&leaf.hash());
    write_atomic(&path, chain.bytes())?;
    Ok(path)
}
