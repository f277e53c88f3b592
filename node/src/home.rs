//! A node's home directory: every path under `NEUROFED_HOME` comes from [`Home`], so that the
//! CLI, the server, the federation and the tests agree on one layout.
//!
//! ```text
//! <home>/config.toml                        settings, every one with a default (`neurofed init`)
//! <home>/import.lock                        held while an import or `fsck --gc` runs
//! <home>/blobs/                             content-addressed store (its inside: `BlobStore`)
//! <home>/catalog/catalog.redb               the data model, cards, users, rights, audit
//! <home>/index/                             search index (rebuildable from the catalog)
//! <home>/profiles/<name>.toml               custom de-identification profiles
//! <home>/keys/linkage.key                   consortium linkage key: pseudonyms, date offsets
//! <home>/keys/secret.key                    this node's secret: UID remapping, serial hashes
//! <home>/keys/node.key                      the node's ed25519 key (= its libp2p identity)
//! <home>/keys/users/<name>.key              users' ed25519 keys
//! <home>/keys/consortium/<slug>.key         coordinator keys (`neurofed consortium create`)
//! <home>/consortium/joined/roster.cbor      the newest roster accepted
//! <home>/consortium/joined/membership.cbor  this node's membership grant
//! <home>/consortium/coordinated/<slug>/     a coordinator's `name`, `members/<peer>.cbor`,
//!                                           last `roster.cbor` and `revocations.cbor`
//! <home>/revocations/list.cbor              the coordinator's newest revocation list
//! <home>/revocations/<hash>.rev             individual revocations
//! <home>/grants/<hash>.grant                capability chains this node or its users received
//! ```
//! Key files are 0600 in 0700 folders. Nothing in the home holds PHI: see the crate documentation.

use std::path::{Path, PathBuf};

use protocol::GrantHash;

/// A user or consortium name that cannot be a file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot name a key: use letters, digits, '.', '_' or '-', not starting with '.'")]
pub struct BadName(pub String);

/// `name` if it can name a key file: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
pub(crate) fn checked_name(name: &str) -> Result<&str, BadName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(name)
    } else {
        Err(BadName(name.chars().take(64).collect()))
    }
}

/// Make every file and folder this process creates from now on owner-only (umask 077): the
/// catalog, blobs, index, keys and grants of a home, whatever the shell's umask (the home's own
/// folder is also set to 0700 at init and at every open). Called once at the start of the
/// binary; exports written by the same process are owner-only too.
pub fn owner_only_files() {
    #[cfg(unix)]
    {
        let _ = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// The folder layout of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// A home at `root` (nothing is created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Home { root: root.into() }
    }

    /// The platform's default: `$XDG_DATA_HOME/neurofed` (or the OS equivalent).
    pub fn default_root() -> PathBuf {
        dirs::data_dir()
            .map(|d| d.join("neurofed"))
            .unwrap_or_else(|| PathBuf::from("neurofed-home"))
    }

    /// The home folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// `import.lock`.
    pub fn import_lock_path(&self) -> PathBuf {
        self.root.join("import.lock")
    }

    /// `blobs/`.
    pub fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    /// `catalog/catalog.redb`.
    pub fn catalog_path(&self) -> PathBuf {
        self.root.join("catalog").join("catalog.redb")
    }

    /// `index/`.
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    /// `profiles/`.
    pub fn profiles_dir(&self) -> PathBuf {
        self.root.join("profiles")
    }

    /// `profiles/<name>.toml`.
    pub fn profile_path(&self, name: &str) -> PathBuf {
        self.profiles_dir().join(format!("{name}.toml"))
    }

    /// `keys/`.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// `keys/linkage.key`.
    pub fn linkage_key_path(&self) -> PathBuf {
        self.keys_dir().join("linkage.key")
    }

    /// `keys/secret.key`.
    pub fn secret_key_path(&self) -> PathBuf {
        self.keys_dir().join("secret.key")
    }

    /// `keys/node.key`.
    pub fn node_key_path(&self) -> PathBuf {
        self.keys_dir().join("node.key")
    }

    /// `keys/users/`.
    pub fn user_keys_dir(&self) -> PathBuf {
        self.keys_dir().join("users")
    }

    /// `keys/users/<name>.key`; the name must be usable as a file name.
    pub fn user_key_path(&self, name: &str) -> Result<PathBuf, BadName> {
        Ok(self
            .user_keys_dir()
            .join(format!("{}.key", checked_name(name)?)))
    }

    /// `keys/consortium/`.
    pub fn consortium_keys_dir(&self) -> PathBuf {
        self.keys_dir().join("consortium")
    }

    /// `keys/consortium/<slug>.key`; the slug must be usable as a file name.
    pub fn consortium_key_path(&self, slug: &str) -> Result<PathBuf, BadName> {
        Ok(self
            .consortium_keys_dir()
            .join(format!("{}.key", checked_name(slug)?)))
    }

    /// `consortium/joined/`.
    pub fn joined_dir(&self) -> PathBuf {
        self.root.join("consortium").join("joined")
    }

    /// `consortium/joined/roster.cbor`.
    pub fn joined_roster_path(&self) -> PathBuf {
        self.joined_dir().join("roster.cbor")
    }

    /// `consortium/joined/membership.cbor`.
    pub fn joined_membership_path(&self) -> PathBuf {
        self.joined_dir().join("membership.cbor")
    }

    /// `consortium/coordinated/<slug>/`.
    pub fn coordinated_dir(&self, slug: &str) -> PathBuf {
        self.root.join("consortium").join("coordinated").join(slug)
    }

    /// `consortium/coordinated/<slug>/name`: the consortium's name as its coordinator gave it.
    pub fn coordinated_name_path(&self, slug: &str) -> PathBuf {
        self.coordinated_dir(slug).join("name")
    }

    /// `consortium/coordinated/<slug>/members/`: one roster entry per admitted node.
    pub fn coordinated_members_dir(&self, slug: &str) -> PathBuf {
        self.coordinated_dir(slug).join("members")
    }

    /// `consortium/coordinated/<slug>/members/<peer id>.cbor`.
    pub fn coordinated_member_path(
        &self,
        slug: &str,
        member: &protocol::keys::PublicKey,
    ) -> PathBuf {
        self.coordinated_members_dir(slug)
            .join(format!("{member}.cbor"))
    }

    /// `consortium/coordinated/<slug>/roster.cbor`: the last roster issued.
    pub fn coordinated_roster_path(&self, slug: &str) -> PathBuf {
        self.coordinated_dir(slug).join("roster.cbor")
    }

    /// `consortium/coordinated/<slug>/revocations.cbor`: the last revocation list issued.
    pub fn coordinated_revocations_path(&self, slug: &str) -> PathBuf {
        self.coordinated_dir(slug).join("revocations.cbor")
    }

    /// `revocations/`.
    pub fn revocations_dir(&self) -> PathBuf {
        self.root.join("revocations")
    }

    /// `revocations/list.cbor`.
    pub fn revocation_list_path(&self) -> PathBuf {
        self.revocations_dir().join("list.cbor")
    }

    /// `revocations/<hash>.rev`, `hash` being the revocation's own (never the revoked grant's:
    /// two revocations of one grant are two files, one cannot replace the other).
    pub fn revocation_path(&self, hash: &GrantHash) -> PathBuf {
        self.revocations_dir().join(format!("{hash}.rev"))
    }

    /// `uploads/<study id>/`: instances a workstation de-identified for the study
    /// (`neurofed upload`), named by their blake3 hash, waiting for their series' commit.
    pub fn uploads_dir(&self, study: &str) -> PathBuf {
        self.root.join("uploads").join(study)
    }

    /// `quarantine/`: de-identified instances held back for their pixels (`neurofed quarantine`).
    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// `quarantine/<id>.dcm`: one quarantined instance, de-identified; `id` is checked to be
    /// a quarantine id (16 lowercase hex digits).
    pub fn quarantine_path(&self, id: &str) -> Result<PathBuf, BadName> {
        if !crate::catalog::QuarantineEntry::is_id(id) {
            return Err(BadName(id.to_string()));
        }
        Ok(self.quarantine_dir().join(format!("{id}.dcm")))
    }

    /// `grants/`.
    pub fn grants_dir(&self) -> PathBuf {
        self.root.join("grants")
    }

    /// `grants/<hash>.grant`.
    pub fn grant_path(&self, hash: &GrantHash) -> PathBuf {
        self.grants_dir().join(format!("{hash}.grant"))
    }

    /// Whether `neurofed init` ran here.
    pub fn is_initialized(&self) -> bool {
        self.config_path().is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_checked() {
        let home = Home::new("/h");
        assert_eq!(
            home.user_key_path("alice").unwrap(),
            Path::new("/h/keys/users/alice.key")
        );
        assert!(home.user_key_path("../x").is_err());
        assert!(home.consortium_key_path(".hidden").is_err());
    }
}
