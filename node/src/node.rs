//! The open node: [`Node`] holds a home's settings, catalog, blob store, index and keys, and
//! [`Home::init`] creates one.

use std::fs;
use std::path::{Path, PathBuf};

use dicom::{DeidError, DeidKeys, Profile};

use crate::atomic::{write_atomic, write_private, WriteError};
use crate::catalog::{Catalog, CatalogError};
use crate::clock::now;
use crate::config::Config;
use crate::home::Home;
use crate::index::{Index, IndexError};
use crate::store::{BlobStore, StoreError};

/// Errors opening or initializing a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No `config.toml` in the home.
    #[error("{0} is not a neurofed home: run `neurofed init --center NAME` (or pass --home)")]
    NotInitialized(PathBuf),
    /// `config.toml` is invalid.
    #[error("{path}: {detail}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A key file is missing, unreadable or malformed.
    #[error("key file {path}: {detail}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Unknown or invalid de-identification profile.
    #[error("de-identification profile {name:?}: {detail}")]
    Profile {
        /// Profile name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// File system error.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// Catalog error.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Store error.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Search index error.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Another process imports into (or collects garbage of) this node.
    #[error("another import (or `fsck --gc`) is running on this node; try again when it is done")]
    Busy,
}

impl From<WriteError> for NodeError {
    fn from(e: WriteError) -> Self {
        NodeError::Io {
            op: e.op,
            path: e.path,
            source: e.source,
        }
    }
}

/// Make a home's root folder (or its `keys/`) owner-only (0700): nothing under it is reachable
/// by another account, whatever the modes the umask gave the files inside.
fn restrict_home(root: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(root)?.permissions().mode();
        if mode & 0o777 != 0o700 {
            fs::set_permissions(root, fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = root;
    Ok(())
}

/// Held while an import (or a garbage collection) runs on a node: one at a time per home, across
/// processes. Released when dropped (or when the process dies).
#[derive(Debug)]
pub struct ImportLock {
    _file: fs::File,
}

impl Home {
    /// Create (or complete) a node here for `center`. Idempotent for the same center. With
    /// `linkage_key`, the consortium's shared linkage key is installed instead of a new one (only
    /// before any import: pseudonyms already made would no longer link).
    pub fn init(&self, center: &str, linkage_key: Option<[u8; 32]>) -> Result<Node, NodeError> {
        let mk = |p: PathBuf| {
            fs::create_dir_all(&p).map_err(|source| NodeError::Io {
                op: "create",
                path: p,
                source,
            })
        };
        mk(self.root().to_path_buf())?;
        restrict_home(self.root()).map_err(|source| NodeError::Io {
            op: "restrict",
            path: self.root().to_path_buf(),
            source,
        })?;
        mk(self.keys_dir())?;
        restrict_home(&self.keys_dir()).map_err(|source| NodeError::Io {
            op: "restrict",
            path: self.keys_dir(),
            source,
        })?;
        mk(self.profiles_dir())?;
        let linkage_path = self.linkage_key_path();
        match linkage_key {
            Some(k) => {
                if linkage_path.exists() && read_key(&linkage_path)? != k {
                    let cat = Catalog::open(&self.catalog_path())?;
                    if cat.stats()?.instances > 0 {
                        return Err(NodeError::Key {
                            path: linkage_path,
                            detail: "this node already imported data with another linkage key"
                                .into(),
                        });
                    }
                }
                write_secret(&linkage_path, &k)?;
            }
            None => {
                if !linkage_path.exists() {
                    write_secret(&linkage_path, &random_key()?)?;
                }
            }
        }
        let secret_path = self.secret_key_path();
        if !secret_path.exists() {
            write_secret(&secret_path, &random_key()?)?;
        }
        let mut config = if self.is_initialized() {
            load_config(self)?
        } else {
            Config::default()
        };
        config.node.center = center.trim().to_string();
        let text = toml::to_string_pretty(&config).map_err(|e| NodeError::Config {
            path: self.config_path(),
            detail: e.to_string(),
        })?;
        write_atomic(&self.config_path(), text.as_bytes())?;
        let node = Node::open(self)?;
        node.catalog.init_center(center)?;
        Ok(node)
    }
}

/// An open node: its settings, catalog, blob store and keys. Holding it holds the catalog's
/// lock, so one process at a time works on a home.
#[derive(Debug)]
pub struct Node {
    /// Layout.
    pub home: Home,
    /// Settings.
    pub config: Config,
    /// Catalog.
    pub catalog: Catalog,
    /// Blob store.
    pub store: BlobStore,
    /// Search index.
    pub index: Index,
    keys: DeidKeys,
}

impl Node {
    /// Open the node in `home`.
    pub fn open(home: &Home) -> Result<Node, NodeError> {
        let config = load_config(home)?;
        // Owner only, whatever the umask or a later chmod: the catalog, blobs and grants
        // inside are readable by no other account.
        for dir in [home.root().to_path_buf(), home.keys_dir()] {
            if let Err(e) = restrict_home(&dir) {
                tracing::warn!("cannot make {} owner-only: {e}", dir.display());
            }
        }
        let keys = DeidKeys {
            linkage: read_key(&home.linkage_key_path())?,
            node: read_key(&home.secret_key_path())?,
        };
        let catalog = Catalog::open(&home.catalog_path())?;
        let store = BlobStore::open(&home.blobs_dir(), config.store.durability)?;
        let index = Index::open(&home.index_dir())?;
        // The index is derived data: missing, recreated after damage, or behind the catalog
        // after a crash between a series' commit and its indexing, it is rebuilt from the
        // catalog (seconds for 100,000 datasets).
        if index.doc_count() != catalog.stats()?.datasets {
            tracing::info!("search index out of date: rebuilding it from the catalog");
            index.rebuild(&catalog)?;
        }
        Ok(Node {
            home: home.clone(),
            config,
            catalog,
            store,
            index,
            keys,
        })
    }

    /// Take the node's import lock, or fail with [`NodeError::Busy`] if another import (or
    /// `fsck --gc`) holds it. Staged files and unreferenced blobs may only be removed under it.
    pub fn import_lock(&self) -> Result<ImportLock, NodeError> {
        let path = self.home.import_lock_path();
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| NodeError::Io {
                op: "open",
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(ImportLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(NodeError::Busy),
            Err(fs::TryLockError::Error(source)) => Err(NodeError::Io {
                op: "lock",
                path,
                source,
            }),
        }
    }

    /// Rename the study called `name` (audited as `who`), then re-index its datasets so that
    /// searches name it anew.
    pub fn rename_study(
        &self,
        name: &str,
        new_name: &str,
        who: &str,
    ) -> Result<crate::catalog::Study, NodeError> {
        let study = self.catalog.require_study(name)?;
        let renamed = self.catalog.rename_study(study.id, new_name, who, now())?;
        let ids: Vec<_> = self
            .catalog
            .dataset_rows()?
            .into_iter()
            .filter(|r| r.study.id == study.id)
            .map(|r| r.dataset.id)
            .collect();
        self.index.index_datasets_from(&self.catalog, &ids)?;
        Ok(renamed)
    }

    /// Remove the study called `name` with its data (refused unless `force` when it holds any;
    /// audited as `who`), under the import lock, then drop its datasets from the index. Its
    /// blobs become garbage for `fsck --gc` unless another study references them.
    pub fn remove_study(
        &self,
        name: &str,
        force: bool,
        who: &str,
    ) -> Result<crate::catalog::RemovedStudy, NodeError> {
        let _lock = self.import_lock()?;
        let study = self.catalog.require_study(name)?;
        let removed = self.catalog.remove_study(study.id, force, who, now())?;
        self.index.remove_datasets(&removed.datasets)?;
        // The entries are gone; their bytes (de-identified) follow, best effort.
        for id in &removed.quarantined {
            if let Ok(p) = self.home.quarantine_path(id) {
                let _ = std::fs::remove_file(p);
            }
        }
        Ok(removed)
    }

    /// Record assessments ([`Catalog::record_assessments`]: all or none, audited as `who`),
    /// then re-index the datasets of their subjects so that searches see the scores at once.
    pub fn record_assessments(
        &self,
        study: protocol::id::StudyId,
        instrument: &crate::scores::Instrument,
        items: &[crate::catalog::NewAssessment],
        who: &str,
        dry_run: bool,
    ) -> Result<crate::catalog::ScoresReport, NodeError> {
        let report = self
            .catalog
            .record_assessments(study, instrument, items, who, dry_run)?;
        if !dry_run && report.added + report.changed > 0 {
            let mut subjects: Vec<_> = items.iter().map(|i| i.subject).collect();
            subjects.sort();
            subjects.dedup();
            let ids = self.catalog.datasets_of_subjects(&subjects)?;
            self.index.index_datasets_from(&self.catalog, &ids)?;
        }
        Ok(report)
    }

    /// Record an instrument definition ([`Catalog::set_instrument`]), then re-index the
    /// datasets of the subjects scored with it (which variable `score.ACRONYM` names may change
    /// with the definition). Whether the definition changed.
    pub fn set_instrument(
        &self,
        instrument: &crate::scores::Instrument,
        who: &str,
    ) -> Result<bool, NodeError> {
        let changed = self.catalog.set_instrument(instrument, who)?;
        if changed {
            let subjects = self.catalog.subjects_scored_with(&instrument.acronym)?;
            let ids = self.catalog.datasets_of_subjects(&subjects)?;
            self.index.index_datasets_from(&self.catalog, &ids)?;
        }
        Ok(changed)
    }

    /// The de-identification keys.
    pub fn deid_keys(&self) -> &DeidKeys {
        &self.keys
    }

    /// A de-identification profile by name: `<home>/profiles/<name>.toml` if it exists, else a
    /// built-in one.
    pub fn profile(&self, name: &str) -> Result<Profile, NodeError> {
        let bad = |detail: String| NodeError::Profile {
            name: name.to_string(),
            detail,
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("a profile name is letters, digits, '-' and '_'".into()));
        }
        let path = self.home.profile_path(name);
        if path.is_file() {
            let text = fs::read_to_string(&path).map_err(|source| NodeError::Io {
                op: "read",
                path: path.clone(),
                source,
            })?;
            return Profile::from_toml_str(&text).map_err(|e: DeidError| bad(e.to_string()));
        }
        Profile::builtin(name).ok_or_else(|| {
            bad(format!(
                "no such profile (built-in: default, basic; custom ones go in {})",
                self.home.profiles_dir().display()
            ))
        })
    }
}

impl Config {
    /// Read a config file that is not a home's (a workstation's `[dicom]` and `[pacs.NAME]` for
    /// `neurofed upload --pacs`): every section is optional.
    pub fn from_file(path: &Path) -> Result<Config, NodeError> {
        let text = fs::read_to_string(path).map_err(|e| NodeError::Io {
            op: "read",
            path: path.to_path_buf(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| NodeError::Config {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }
}

/// Read `config.toml` of `home` (absent: the home is not initialized).
pub(crate) fn load_config(home: &Home) -> Result<Config, NodeError> {
    Config::from_file(&home.config_path()).map_err(|e| match e {
        NodeError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            NodeError::NotInitialized(home.root().to_path_buf())
        }
        other => other,
    })
}

fn random_key() -> Result<[u8; 32], NodeError> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| NodeError::Key {
        path: PathBuf::from("(random source)"),
        detail: e.to_string(),
    })?;
    Ok(k)
}

/// Parse a key file: 64 hex digits (surrounding whitespace ignored).
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    let mut k = [0u8; 32];
    hex::decode_to_slice(t, &mut k).map_err(|_| "expected 64 hex digits".to_string())?;
    Ok(k)
}

fn read_key(path: &Path) -> Result<[u8; 32], NodeError> {
    let text = fs::read_to_string(path).map_err(|e| NodeError::Key {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    parse_key(&text).map_err(|detail| NodeError::Key {
        path: path.to_path_buf(),
        detail,
    })
}

/// Write a secret atomically with owner-only permissions (0600 on Unix).
fn write_secret(path: &Path, key: &[u8; 32]) -> Result<(), NodeError> {
    Ok(write_private(
        path,
        format!("{}\n", hex::encode(key)).as_bytes(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_idempotent_and_keys_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("h"));
        assert!(matches!(
            Node::open(&home),
            Err(NodeError::NotInitialized(_))
        ));
        let node = home.init("Rennes Neurinfo", None).unwrap();
        let c1 = node.catalog.node_center().unwrap();
        let k1 = node.deid_keys().linkage;
        drop(node);
        let node = home.init("Rennes Neurinfo", None).unwrap();
        assert_eq!(node.catalog.node_center().unwrap(), c1);
        assert_eq!(node.deid_keys().linkage, k1, "keys survive re-init");
        assert_eq!(node.config.node.center, "Rennes Neurinfo");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let root = |h: &Home| fs::metadata(h.root()).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                root(&home),
                0o700,
                "the home is owner-only whatever the umask"
            );
            fs::set_permissions(home.root(), fs::Permissions::from_mode(0o755)).unwrap();
            drop(Node::open(&home).unwrap());
            assert_eq!(root(&home), 0o700, "opening restores it");
            for k in ["linkage.key", "secret.key"] {
                let mode = fs::metadata(home.keys_dir().join(k))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{k}");
            }
        }
        drop(node);
        assert!(home.init("Another center", None).is_err());
    }

    #[test]
    fn one_import_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let node = home.init("A", None).unwrap();
        let other = Node::open(&home).unwrap(); // a second handle, as another process would have
        let held = node.import_lock().unwrap();
        assert!(matches!(other.import_lock(), Err(NodeError::Busy)));
        drop(held);
        assert!(other.import_lock().is_ok());
    }

    #[test]
    fn shared_linkage_key_is_installed() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let node = home.init("A", Some([7u8; 32])).unwrap();
        assert_eq!(node.deid_keys().linkage, [7u8; 32]);
        assert_ne!(node.deid_keys().node, [7u8; 32]);
    }

    #[test]
    fn profiles_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let node = home.init("A", None).unwrap();
        assert!(node.profile("default").is_ok());
        assert!(node.profile("../etc/passwd").is_err());
        assert!(node.profile("nope").is_err());
    }

    #[test]
    fn bad_config_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        home.init("A", None).unwrap();
        fs::write(home.config_path(), "[node]\ncentre = 1\n").unwrap();
        let err = Node::open(&home).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
    }
}
