//! The keys a node holds under its home: its own (its libp2p identity), its users' and the
//! consortium keys it coordinates with. Which local key signs a grant, receives one or may
//! revoke one is decided here, for the CLI and the server alike.
//!
//! Never does this module print or hand out a secret key: callers get [`KeyFile`]s, whose
//! secret only signs.

use std::path::PathBuf;

use node::{list_keys, Home, KeyFile, KeyFileError};
use protocol::keys::PublicKey;
use serde::Serialize;

/// Whose a local key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// The node itself (`keys/node.key`).
    Node,
    /// A local user (`keys/users/<name>.key`).
    User(String),
    /// A consortium this node coordinates (`keys/consortium/<slug>.key`).
    Consortium(String),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Node => f.write_str("node"),
            Holder::User(n) => write!(f, "user {n}"),
            Holder::Consortium(n) => write!(f, "consortium {n}"),
        }
    }
}

/// A key held under the home.
#[derive(Debug)]
pub struct LocalKey {
    /// Whose it is.
    pub holder: Holder,
    /// The key file.
    pub key: KeyFile,
}

/// One row of `neurofed keys show`: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRow {
    /// `node`, `user NAME` or `consortium SLUG`.
    pub key: String,
    /// The public key (PeerId text form).
    pub public: String,
    /// The key file.
    pub path: PathBuf,
}

/// The node key, created on first use.
pub fn node_key(home: &Home) -> Result<KeyFile, KeyFileError> {
    KeyFile::node(home)
}

/// The keys that may sign or receive grants: the node's and its users'.
pub fn local_keys(home: &Home) -> Result<Vec<LocalKey>, KeyFileError> {
    let mut keys = vec![LocalKey {
        holder: Holder::Node,
        key: node_key(home)?,
    }];
    for name in list_keys(&home.user_keys_dir())? {
        keys.push(LocalKey {
            key: KeyFile::user(home, &name)?,
            holder: Holder::User(name),
        });
    }
    Ok(keys)
}

/// The local key (node or user) whose public half is `public`.
pub fn find_local_key(home: &Home, public: &PublicKey) -> Result<Option<LocalKey>, KeyFileError> {
    Ok(local_keys(home)?
        .into_iter()
        .find(|k| k.key.public() == *public))
}

/// Every key under the home, consortium keys included, as `neurofed keys show` lists them.
/// The node key is created on first use; the returned flag says whether it was just now.
pub fn key_rows(home: &Home) -> Result<(Vec<KeyRow>, bool), KeyFileError> {
    let created = node_key(home)?.created();
    let mut keys = local_keys(home)?;
    for slug in list_keys(&home.consortium_keys_dir())? {
        keys.push(LocalKey {
            key: KeyFile::load(&home.consortium_key_path(&slug)?)?,
            holder: Holder::Consortium(slug),
        });
    }
    let rows = keys
        .into_iter()
        .map(|k| KeyRow {
            key: k.holder.to_string(),
            public: k.key.public().to_peer_id(),
            path: k.key.path().to_path_buf(),
        })
        .collect();
    Ok((rows, created))
}

/// A user's key, created if it does not exist (`neurofed keys user NAME`).
pub fn user_key_or_create(home: &Home, name: &str) -> Result<KeyFile, KeyFileError> {
    KeyFile::load_or_create(&home.user_key_path(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_keys_are_the_node_and_its_users() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path());
        let (rows, created) = key_rows(&home).unwrap();
        assert!(created);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key, "node");
        let pi = user_key_or_create(&home, "pi").unwrap();
        assert!(pi.created());
        let found = find_local_key(&home, &pi.public()).unwrap().unwrap();
        assert_eq!(found.holder, Holder::User("pi".into()));
        assert_eq!(found.holder.to_string(), "user pi");
        let (rows, created) = key_rows(&home).unwrap();
        assert!(!created);
        assert_eq!(rows.len(), 2);
        let stranger = protocol::keys::SecretKey::from_seed(&[9; 32]).public();
        assert!(find_local_key(&home, &stranger).unwrap().is_none());
        assert!(user_key_or_create(&home, "../etc").is_err());
    }
}
