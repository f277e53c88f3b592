//! A consortium's coordinator: its signing key, the members it admitted, and the rosters and
//! revocation lists it issues. Used by `neurofed consortium create|admit|roster|revocations`
//! (and by a coordinating server, which issues the same documents).
//!
//! State, all through [`Home`]: `keys/consortium/<slug>.key` (the coordinator key, 0600) and
//! `consortium/coordinated/<slug>/` (`name`, `members/<peer id>.cbor`, the last `roster.cbor`
//! and `revocations.cbor` issued, so that versions only grow). Every write is atomic.
//!
//! This module signs what it is asked to and checks what only the coordinator can (which
//! consortium, which version comes next); the members verify the documents themselves.

mod service;

pub use service::{Schedule, Service, ServiceError, Turn};

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use node::{list_keys, Home, KeyFile, KeyFileError};
use protocol::cbor;
use protocol::grant::{Membership, RevocationList, Role, Roster, RosterMember};
use protocol::keys::PublicKey;
use protocol::signed::{GrantHash, Signed};
use protocol::time::UnixTime;

/// Why a coordinator operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinatorError {
    /// The name has no letter or digit to make a file name of.
    #[error("{0:?} cannot name a consortium (it needs letters or digits)")]
    BadName(String),
    /// `create` of a consortium that exists.
    #[error("consortium {slug:?} already exists ({})", .path.display())]
    Exists {
        /// Its slug.
        slug: String,
        /// Its key file.
        path: PathBuf,
    },
    /// This node coordinates no consortium.
    #[error("this node coordinates no consortium (`neurofed consortium create NAME`)")]
    NoConsortium,
    /// This node coordinates several: the caller must choose.
    #[error("this node coordinates several consortia, choose one with --consortium: {}", .0.join(", "))]
    Several(Vec<String>),
    /// Not a consortium this node coordinates.
    #[error("this node does not coordinate consortium {slug:?}: {source}")]
    NotCoordinated {
        /// The slug asked for.
        slug: String,
        /// Why its key could not be loaded.
        source: KeyFileError,
    },
    /// A key file.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// A state file cannot be read, decoded or written.
    #[error("{}: {detail}", .path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Signing failed (never with the coordinator's own key).
    #[error("signing: {0}")]
    Sign(#[from] protocol::signed::SignError),
}

fn state(path: &std::path::Path, detail: impl std::fmt::Display) -> CoordinatorError {
    CoordinatorError::State {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

fn read(path: &std::path::Path) -> Result<Option<Vec<u8>>, CoordinatorError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(state(path, e)),
    }
}

fn read_signed<T: protocol::signed::SignedBody>(
    path: &std::path::Path,
) -> Result<Option<Signed<T>>, CoordinatorError> {
    read(path)?
        .map(|b| Signed::<T>::from_bytes(&b).map_err(|e| state(path, e)))
        .transpose()
}

fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), CoordinatorError> {
    node::write_atomic(path, bytes).map_err(|e| state(path, e))
}

/// A consortium name as a file name: lowercase letters and digits, other runs become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(64);
    out
}

/// How long a list signed by the coordinator is trusted by default (7 days): the service
/// re-signs it hourly, so a coordinator away for less than a week goes unnoticed.
pub const DEFAULT_LIST_VALIDITY: u64 = 7 * 86_400;

/// A member to admit.
#[derive(Debug, Clone)]
pub struct Admission {
    /// The node's key.
    pub node: PublicKey,
    /// Its center's name.
    pub center: String,
    /// Where to reach it (libp2p multiaddrs), for the roster.
    pub addrs: Vec<String>,
    /// End of membership.
    pub expires: UnixTime,
    /// Whether it may relay the coordinator's rosters and revocation lists.
    pub delegate: bool,
}

/// The coordinator of one consortium, opened from a home.
#[derive(Debug)]
pub struct Coordinator {
    home: Home,
    slug: String,
    key: KeyFile,
}

impl Coordinator {
    /// Create the consortium `name`: its coordinator key (refused if it exists), state folder and
    /// a first, empty revocation list valid for [`DEFAULT_LIST_VALIDITY`] from `now` (so members
    /// joining at once trust grants; a serving coordinator re-signs it on its schedule).
    pub fn create(home: &Home, name: &str, now: UnixTime) -> Result<Coordinator, CoordinatorError> {
        let slug = slug(name);
        if slug.is_empty() {
            return Err(CoordinatorError::BadName(name.to_string()));
        }
        let path = home
            .consortium_key_path(&slug)
            .map_err(KeyFileError::from)?;
        if path.exists() {
            return Err(CoordinatorError::Exists { slug, path });
        }
        let key = KeyFile::load_or_create(&path)?;
        let members = home.coordinated_members_dir(&slug);
        fs::create_dir_all(&members).map_err(|e| state(&members, e))?;
        write(&home.coordinated_name_path(&slug), name.as_bytes())?;
        let c = Coordinator {
            home: home.clone(),
            slug,
            key,
        };
        c.revocations([], now, DEFAULT_LIST_VALIDITY)?;
        Ok(c)
    }

    /// The consortium named `which` (or the only one this node coordinates).
    pub fn open(home: &Home, which: Option<&str>) -> Result<Coordinator, CoordinatorError> {
        let slug = match which {
            Some(name) => slug(name),
            None => {
                let all = list_keys(&home.consortium_keys_dir())?;
                match <[String; 1]>::try_from(all) {
                    Ok([one]) => one,
                    Err(all) if all.is_empty() => return Err(CoordinatorError::NoConsortium),
                    Err(many) => return Err(CoordinatorError::Several(many)),
                }
            }
        };
        let path = home
            .consortium_key_path(&slug)
            .map_err(KeyFileError::from)?;
        let key = KeyFile::load(&path).map_err(|source| CoordinatorError::NotCoordinated {
            slug: slug.clone(),
            source,
        })?;
        Ok(Coordinator {
            home: home.clone(),
            slug,
            key,
        })
    }

    /// The consortium's id: the coordinator's public key.
    pub fn consortium(&self) -> PublicKey {
        self.key.public()
    }

    /// Its slug (the file name of its key and state folder).
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The coordinator key's file (to back up).
    pub fn key_path(&self) -> &std::path::Path {
        self.key.path()
    }

    /// Admit a node: sign its membership grant (valid from `now`) and record it for the next
    /// roster.
    pub fn admit(
        &self,
        a: Admission,
        now: UnixTime,
    ) -> Result<Signed<Membership>, CoordinatorError> {
        let mut m = Membership::new(self.key.public(), a.node, a.center.clone(), now, a.expires);
        if a.delegate {
            m.roles.insert(Role::CoordinatorDelegate);
        }
        let signed = Signed::sign(m, self.key.secret())?;
        let entry = RosterMember {
            node: a.node,
            center: a.center,
            addrs: a.addrs,
        };
        let path = self.home.coordinated_member_path(&self.slug, &a.node);
        let bytes = cbor::encode(&entry, "roster member").map_err(|e| state(&path, e))?;
        write(&path, &bytes)?;
        Ok(signed)
    }

    /// The members admitted so far, in file order.
    pub fn members(&self) -> Result<Vec<RosterMember>, CoordinatorError> {
        let dir = self.home.coordinated_members_dir(&self.slug);
        let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(e) => e.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(state(&dir, e)),
        };
        paths.sort();
        let mut members = Vec::new();
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "cbor"))
        {
            let bytes = read(p)?.unwrap_or_default();
            members.push(cbor::decode(&bytes, "roster member", 64 << 10).map_err(|e| state(p, e))?);
        }
        Ok(members)
    }

    /// Sign the next roster version (every admitted member) and keep it as the last issued.
    pub fn roster(&self, now: UnixTime) -> Result<Signed<Roster>, CoordinatorError> {
        let members = self.members()?;
        let last = self.home.coordinated_roster_path(&self.slug);
        let serial = self.last_roster()?.map_or(1, |r| r.body().serial + 1);
        let signed = Signed::sign(
            Roster::new(self.key.public(), serial, now, members),
            self.key.secret(),
        )?;
        write(&last, signed.bytes())?;
        Ok(signed)
    }

    /// The last revocation list issued (`create` issues the first).
    pub fn last_revocations(&self) -> Result<Option<Signed<RevocationList>>, CoordinatorError> {
        read_signed(&self.home.coordinated_revocations_path(&self.slug))
    }

    /// The last roster issued, if any.
    pub fn last_roster(&self) -> Result<Option<Signed<Roster>>, CoordinatorError> {
        read_signed(&self.home.coordinated_roster_path(&self.slug))
    }

    /// Whether the members admitted differ from the last roster's (a roster is due).
    pub fn roster_due(&self) -> Result<bool, CoordinatorError> {
        let members = self.members()?;
        Ok(match self.last_roster()? {
            Some(r) => r.body().members != members,
            None => !members.is_empty(),
        })
    }

    /// Sign the next revocation list, valid for `window` seconds from `now`: the last one's
    /// grants and `revoke`, the coordinator's own decisions only. What the node received under
    /// `revocations/` is never folded in: a self-signed revocation of someone else's grant or
    /// membership must not become the consortium's word.
    pub fn revocations(
        &self,
        revoke: impl IntoIterator<Item = GrantHash>,
        now: UnixTime,
        window: u64,
    ) -> Result<Signed<RevocationList>, CoordinatorError> {
        let last = self.home.coordinated_revocations_path(&self.slug);
        let (serial, mut revoked) = match self.last_revocations()? {
            Some(l) => (l.body().serial + 1, l.body().revoked.clone()),
            None => (1, BTreeSet::new()),
        };
        revoked.extend(revoke);
        let window = window.min(protocol::grant::MAX_LIST_VALIDITY);
        let list = RevocationList::new(self.key.public(), serial, now, revoked).valid_for(window);
        let signed = Signed::sign(list, self.key.secret())?;
        write(&last, signed.bytes())?;
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::grant::Revocation;
    use protocol::keys::SecretKey;

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("OFSEP imaging"), "ofsep-imaging");
        assert_eq!(slug("  --A/B--  "), "a-b");
        assert_eq!(slug("é"), "");
        assert_eq!(slug(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn versions_grow_and_members_accumulate() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path());
        assert!(matches!(
            Coordinator::open(&home, None),
            Err(CoordinatorError::NoConsortium)
        ));
        assert!(matches!(
            Coordinator::create(&home, "!!", 1_000),
            Err(CoordinatorError::BadName(_))
        ));
        let c = Coordinator::create(&home, "OFSEP imaging", 1_000).unwrap();
        let first = c
            .last_revocations()
            .unwrap()
            .expect("create issues a first list");
        assert_eq!(first.body().serial, 1);
        assert_eq!(
            first.body().valid_until,
            Some(1_000 + DEFAULT_LIST_VALIDITY)
        );
        assert!(matches!(
            Coordinator::create(&home, "ofsep imaging", 1_000),
            Err(CoordinatorError::Exists { .. })
        ));
        let node = SecretKey::from_seed(&[7; 32]).public();
        let m = c
            .admit(
                Admission {
                    node,
                    center: "Rennes".into(),
                    addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
                    expires: 2_000_000_000,
                    delegate: true,
                },
                1_000,
            )
            .unwrap();
        assert!(m.body().roles.contains(&Role::CoordinatorDelegate));
        assert_eq!(m.body().consortium, c.consortium());
        let c = Coordinator::open(&home, None).unwrap();
        assert!(c.roster_due().unwrap(), "an admission makes a roster due");
        let r1 = c.roster(1_001).unwrap();
        assert!(
            !c.roster_due().unwrap(),
            "the roster lists every admitted member"
        );
        let r2 = c.roster(1_002).unwrap();
        assert_eq!((r1.body().serial, r2.body().serial), (1, 2));
        assert_eq!(r2.body().members.len(), 1);
        // A revocation of the membership signed by its holder's own key (anyone's) reached this
        // home's revocations/: it is not the coordinator's decision and stays out of the list.
        let forger = SecretKey::from_seed(&[9; 32]);
        let forged =
            Signed::sign(Revocation::new(forger.public(), m.hash(), 1_002), &forger).unwrap();
        crate::state::store_revocation(&home, &forged).unwrap();
        let l0 = c.revocations([], 1_002, 3_600).unwrap();
        assert!(
            !l0.body().revoked.contains(&m.hash()),
            "a received revocation is not the coordinator's decision"
        );
        let l1 = c.revocations([m.hash()], 1_003, 3_600).unwrap();
        let l2 = c.revocations([], 1_004, 3_600).unwrap();
        assert_eq!(l2.body().serial, l1.body().serial + 1);
        assert!(
            l2.body().revoked.contains(&m.hash()),
            "revocations are kept"
        );
        // A second consortium: now the caller must choose.
        Coordinator::create(&home, "Other", 1_000).unwrap();
        assert!(matches!(
            Coordinator::open(&home, None),
            Err(CoordinatorError::Several(v)) if v.len() == 2
        ));
        assert!(Coordinator::open(&home, Some("OFSEP imaging")).is_ok());
        assert!(matches!(
            Coordinator::open(&home, Some("nope")),
            Err(CoordinatorError::NotCoordinated { .. })
        ));
    }
}
