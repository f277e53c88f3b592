//! Key files: the ed25519 secret keys of the node, its users and the consortia it coordinates.
//!
//! Layout under the node's home:
//! - `keys/node.key`: the node key (also its libp2p identity);
//! - `keys/users/<name>.key`: users' keys, created by their home node;
//! - `keys/consortium/<name>.key`: coordinator keys made by `neurofed consortium create`.
//!
//! A key file is text: the line `neurofed-ed25519-secret-key v1` then the 32-byte seed in hex.
//! Files are created with mode 0600 in directories of mode 0700, written atomically
//! ([`crate::atomic::create_private`]: temporary file, fsync, link into place, fsync of the
//! directory), and never replaced: creating a key that
//! appeared meanwhile loads it instead. A key file readable by group or others is refused.
//! This module never logs or prints a secret.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use protocol::keys::{PublicKey, SecretKey};

use crate::home::{checked_name, BadName, Home};

const HEADER: &str = "neurofed-ed25519-secret-key v1";
const MAX_FILE_LEN: u64 = 256;

/// A secret key and the file it lives in.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    key: SecretKey,
    created: bool,
}

/// Why a key file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading failed.
    #[error("cannot read key file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Writing failed.
    #[error("cannot write key file {path}: {source}")]
    Write {
        /// The file (or its directory).
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not a neurofed key file.
    #[error("{path} is not a neurofed key file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// Group or others may read the file.
    #[error(
        "key file {path} has mode {mode:o}: it must be readable by its owner only (chmod 600)"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// No random source.
    #[error("cannot generate a key: no random source ({0})")]
    Random(String),
    /// A user or consortium name that cannot be a file name.
    #[error(transparent)]
    BadName(#[from] BadName),
}

impl KeyFile {
    /// Load the key at `path`.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let read_err = |source| KeyFileError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        check_mode(&file, path)?;
        let mut text = String::new();
        file.take(MAX_FILE_LEN)
            .read_to_string(&mut text)
            .map_err(read_err)?;
        let key = parse(&text).map_err(|reason| KeyFileError::Format {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(KeyFile {
            path: path.to_path_buf(),
            key,
            created: false,
        })
    }

    /// Load the key at `path`, or create a new random one there if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        match Self::load(path) {
            Err(KeyFileError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                let key = SecretKey::generate().map_err(|e| KeyFileError::Random(e.to_string()))?;
                Self::create_with(path, key)
            }
            other => other,
        }
    }

    /// Store `key` at `path` (which must not exist yet; if it appears meanwhile, that key is
    /// loaded and returned instead).
    pub fn create_with(path: &Path, key: SecretKey) -> Result<Self, KeyFileError> {
        let text = format!("{HEADER}\n{}\n", hex::encode(key.to_seed()));
        match crate::atomic::create_private(path, text.as_bytes()) {
            Ok(true) => Ok(KeyFile {
                path: path.to_path_buf(),
                key,
                created: true,
            }),
            Ok(false) => Self::load(path),
            Err(e) => Err(KeyFileError::Write {
                path: e.path,
                source: e.source,
            }),
        }
    }

    /// The node's key (`keys/node.key`), created on first use.
    pub fn node(home: &Home) -> Result<Self, KeyFileError> {
        Self::load_or_create(&home.node_key_path())
    }

    /// A user's key (`keys/users/<name>.key`), which must exist.
    pub fn user(home: &Home, name: &str) -> Result<Self, KeyFileError> {
        Self::load(&home.user_key_path(name)?)
    }

    /// The secret key.
    pub fn secret(&self) -> &SecretKey {
        &self.key
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// Where it is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this call created the file.
    pub fn created(&self) -> bool {
        self.created
    }
}

/// Names of the keys in a directory (`<name>.key` files), sorted.
pub fn list_keys(dir: &Path) -> Result<Vec<String>, KeyFileError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => {
            return Err(KeyFileError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".key").map(str::to_string))
        .filter(|n| checked_name(n).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

fn parse(text: &str) -> Result<SecretKey, &'static str> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("first line is not the neurofed key header");
    }
    let hex_seed = lines.next().ok_or("no key line")?.trim();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(hex_seed, &mut seed).map_err(|_| "key line is not 64 hex digits")?;
    if lines.any(|l| !l.trim().is_empty()) {
        return Err("unexpected lines after the key");
    }
    let key = SecretKey::from_seed(&seed);
    seed.fill(0);
    Ok(key)
}

#[cfg(unix)]
fn check_mode(file: &File, path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|source| KeyFileError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &File, _: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_load_same_key_with_0600() {
        let home = tempfile::tempdir().unwrap();
        let path = Home::new(home.path()).node_key_path();
        let a = KeyFile::load_or_create(&path).unwrap();
        assert!(a.created());
        let b = KeyFile::load_or_create(&path).unwrap();
        assert!(!b.created());
        assert_eq!(a.public(), b.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // No temporary file left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn seeded_key_round_trips() {
        let home = tempfile::tempdir().unwrap();
        let path = Home::new(home.path()).user_key_path("alice").unwrap();
        let key = SecretKey::from_seed(&[7; 32]);
        KeyFile::create_with(&path, key.clone()).unwrap();
        assert_eq!(KeyFile::load(&path).unwrap().public(), key.public());
        // Creating again keeps the first key.
        let other = KeyFile::create_with(&path, SecretKey::from_seed(&[8; 32])).unwrap();
        assert_eq!(other.public(), key.public());
        assert!(!other.created());
        assert_eq!(list_keys(path.parent().unwrap()).unwrap(), vec!["alice"]);
    }

    #[test]
    fn clear_errors() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("bad.key");
        assert!(matches!(
            KeyFile::load(&path),
            Err(KeyFileError::Read { .. })
        ));
        crate::atomic::write_private(&path, b"hello\n").unwrap();
        let err = KeyFile::load(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::Format { .. }), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let good = Home::new(home.path()).user_key_path("bob").unwrap();
            KeyFile::load_or_create(&good).unwrap();
            fs::set_permissions(&good, fs::Permissions::from_mode(0o644)).unwrap();
            let err = KeyFile::load(&good).unwrap_err();
            assert!(
                matches!(err, KeyFileError::Permissions { mode: 0o644, .. }),
                "{err}"
            );
        }
        for bad in ["", "../x", ".hidden", "a/b", "é"] {
            assert!(matches!(
                Home::new(home.path()).user_key_path(bad),
                Err(BadName(_))
            ));
        }
    }
}
