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

/// Store an individual revocation (the caller checked its signature) under its own hash: a
/// revocation of the same grant signed by another key is another file and never replaces it.
pub fn store_revocation(home: &Home, rev: &Signed<Revocation>) -> Result<PathBuf, FedError> {
    let path = home.revocation_path(&rev.hash());
    write_atomic(&path, rev.bytes())?;
    Ok(path)
}

/// Remove the individual revocations that the list held in `revocations` names (the list
/// supersedes them); returns how many files were removed.
pub fn prune_superseded(home: &Home, revocations: &Revocations) -> Result<usize, FedError> {
    let mut removed = 0;
    for (path, rev) in stored_revocations(home)? {
        if revocations.listed(&rev.body().grant) {
            fs::remove_file(&path).map_err(|e| state_err(&path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Every `revocations/*.rev` that decodes (others are skipped with a warning), sorted by path.
fn stored_revocations(home: &Home) -> Result<Vec<(PathBuf, Signed<Revocation>)>, FedError> {
    let dir = home.revocations_dir();
    let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(e) => e.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(state_err(&dir, e)),
    };
    paths.sort();
    let mut out = Vec::new();
    for p in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "rev"))
    {
        match read_signed::<Revocation>(&p) {
            Ok(Some(rev)) => out.push((p, rev)),
            Ok(None) => {}
            Err(e) => tracing::warn!("ignoring {e}"),
        }
    }
    Ok(out)
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
    for (p, rev) in stored_revocations(home)? {
        if st.revocations.listed(&rev.body().grant) {
            st.seen.insert(rev.hash());
            continue;
        }
        match st.revocations.apply_revocation(&rev) {
            Ok(()) => {
                st.seen.insert(rev.hash());
                st.individual.push(rev);
            }
            Err(e) => tracing::warn!("ignoring {}: {e}", p.display()),
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

/// What this node knows to be revoked: the joined consortium's list and every individual
/// revocation stored; a node that joined nothing knows only the individual ones whose
/// signature checks (others are skipped with a warning naming their file).
pub fn known_revocations(home: &Home) -> Result<Revocations, FedError> {
    if let Some(joined) = load_joined(home)? {
        return Ok(load_revocations(home, &joined.consortium())?.revocations);
    }
    let mut r = Revocations::new();
    for (p, rev) in stored_revocations(home)? {
        if let Err(e) = r.apply_revocation(&rev) {
            tracing::warn!("ignoring {}: {e}", p.display());
        }
    }
    Ok(r)
}

/// Why `consortium join` refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// A file is not the document it should be.
    #[error("{} is not a {what}: {detail}", .path.display())]
    NotA {
        /// What was expected (`roster`, `membership grant`, `revocation list`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The node belongs to another consortium.
    #[error("this node already belongs to consortium {held}; not joining {offered}")]
    OtherConsortium {
        /// The one it joined.
        held: ConsortiumId,
        /// The one offered.
        offered: ConsortiumId,
    },
    /// A document does not verify.
    #[error("{what} refused: {refusal} [{}]", .refusal.code())]
    Refused {
        /// `membership`, `roster` or `revocation list`.
        what: &'static str,
        /// Why.
        refusal: protocol::verify::Refusal,
    },
    /// Reading or writing the node's state.
    #[error(transparent)]
    State(#[from] FedError),
}

/// What `join` recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JoinReport {
    /// The consortium.
    pub consortium: ConsortiumId,
    /// This node's center, as its membership names it.
    pub center: String,
    /// The roster's version.
    pub roster_serial: u64,
    /// Members in it.
    pub members: usize,
    /// Whether the roster lists this node (if not, ask the coordinator for a newer one).
    pub listed: bool,
    /// The revocation list's version, when one was given.
    pub revocation_serial: Option<u64>,
}

fn read_doc<T: SignedBody>(path: &Path, what: &'static str) -> Result<Signed<T>, JoinError> {
    let not_a = |detail: String| JoinError::NotA {
        what,
        path: path.to_path_buf(),
        detail,
    };
    let bytes = read_bounded(path)
        .map_err(|e| not_a(e.to_string()))?
        .ok_or_else(|| not_a("no such file".into()))?;
    Signed::<T>::from_bytes(&bytes).map_err(|e| not_a(e.to_string()))
}

/// Join a consortium, or take a newer roster of the one joined: the membership must be this
/// node's and valid now, the roster signed by its consortium and not older than the one held,
/// the revocation list (when given) the consortium's and not older. Then everything is stored.
pub fn join(
    home: &Home,
    roster: &Path,
    membership: &Path,
    revocations: Option<&Path>,
    now: protocol::time::UnixTime,
) -> Result<JoinReport, JoinError> {
    use protocol::verify::{accept_roster, verify_membership, Policy};
    let roster = read_doc::<Roster>(roster, "roster")?;
    let membership = read_doc::<Membership>(membership, "membership grant")?;
    let list = match revocations {
        Some(p) => Some(read_doc::<RevocationList>(p, "revocation list")?),
        None => None,
    };
    let me = node_key(home)?.public();
    let consortium = roster.body().consortium;
    let held = read_signed::<Roster>(&home.joined_roster_path())?;
    if let Some(h) = &held {
        if h.body().consortium != consortium {
            return Err(JoinError::OtherConsortium {
                held: h.body().consortium,
                offered: consortium,
            });
        }
    }
    let refused = |what| move |refusal| JoinError::Refused { what, refusal };
    verify_membership(
        &membership,
        &me,
        &[consortium],
        &Revocations::new(),
        &Policy::offline(),
        now,
    )
    .map_err(refused("membership"))?;
    accept_roster(&roster, held.as_ref().map(|h| h.body()), &consortium)
        .map_err(refused("roster"))?;
    if let Some(list) = &list {
        let mut known = Revocations::new();
        if let Ok(Some(l)) = load_revocation_list(home) {
            let _ = known.apply_list(&l, &consortium);
        }
        known
            .apply_list(list, &consortium)
            .map_err(refused("revocation list"))?;
        store_revocation_list(home, list)?;
    }
    let report = JoinReport {
        consortium,
        center: membership.body().center.clone(),
        roster_serial: roster.body().serial,
        members: roster.body().members.len(),
        listed: roster.body().member(&me).is_some(),
        revocation_serial: list.as_ref().map(|l| l.body().serial),
    };
    store_joined(home, &Joined { roster, membership })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::keys::SecretKey;

    #[test]
    fn a_revocation_of_the_same_grant_by_another_key_does_not_replace_the_real_one() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path());
        let issuer = SecretKey::from_seed(&[1; 32]);
        let forger = SecretKey::from_seed(&[2; 32]);
        let grant = GrantHash::from_bytes([7; 32]);
        let real = Signed::sign(Revocation::new(issuer.public(), grant, 10), &issuer).unwrap();
        let forged = Signed::sign(Revocation::new(forger.public(), grant, 11), &forger).unwrap();
        let a = store_revocation(&home, &real).unwrap();
        let b = store_revocation(&home, &forged).unwrap();
        assert_ne!(a, b, "two revocations, two files");
        // As after a restart: the real one still applies, the forged one revokes nothing.
        let known = known_revocations(&home).unwrap();
        assert!(known.is_revoked(&grant, [&issuer.public()]));
        assert!(!known.is_revoked(&grant, [&SecretKey::from_seed(&[3; 32]).public()]));
        assert_eq!(known.held(), 2);
    }
}
