//! Helpers shared by the protocol commands: local keys and state files, through the node's
//! [`Home`] and the federation's state module.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use node::{list_keys, Home, KeyFile};
use protocol::grant::Roster;
use protocol::keys::PublicKey;
use protocol::signed::Signed;
use protocol::verify::Revocations;

pub use node::now;

/// Write a file atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(node::write_atomic(path, bytes)?)
}

/// Read a file that must exist.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The node key (created on first use).
pub fn node_key(home: &Home) -> Result<KeyFile> {
    Ok(KeyFile::node(home)?)
}

/// A user's key, which must exist.
pub fn user_key(home: &Home, name: &str) -> Result<KeyFile> {
    KeyFile::user(home, name)
        .with_context(|| format!("no key for user {name:?} (create it with `neurofed keys user`)"))
}

/// The keys held on this node: `("node", key)` and `("user NAME", key)`.
pub fn local_keys(home: &Home) -> Result<Vec<(String, KeyFile)>> {
    let mut keys = vec![("node".to_string(), node_key(home)?)];
    for name in list_keys(&home.user_keys_dir())? {
        keys.push((format!("user {name}"), user_key(home, &name)?));
    }
    Ok(keys)
}

/// The local key whose public half is `public`.
pub fn find_local_key(home: &Home, public: &PublicKey) -> Result<Option<(String, KeyFile)>> {
    Ok(local_keys(home)?
        .into_iter()
        .find(|(_, k)| k.public() == *public))
}

/// The roster of the joined consortium, if any.
pub fn joined_roster(home: &Home) -> Result<Option<Signed<Roster>>> {
    let path = home.joined_roster_path();
    if !path.exists() {
        return Ok(None);
    }
    let bytes = read(&path)?;
    Ok(Some(Signed::from_bytes(&bytes).with_context(|| {
        format!("{} is not a roster", path.display())
    })?))
}

/// What this node knows to be revoked: the joined consortium's list and every stored
/// revocation (those whose signature does not check are skipped).
pub fn load_revocations(home: &Home) -> Result<Revocations> {
    match joined_roster(home)? {
        Some(roster) => {
            Ok(federation::state::load_revocations(home, &roster.body().consortium)?.revocations)
        }
        None => {
            let mut r = Revocations::new();
            if let Ok(entries) = fs::read_dir(home.revocations_dir()) {
                for e in entries.filter_map(Result::ok) {
                    let p = e.path();
                    if p.extension().is_some_and(|x| x == "rev") {
                        if let Ok(rev) = Signed::from_bytes(&read(&p)?) {
                            let _ = r.apply_revocation(&rev);
                        }
                    }
                }
            }
            Ok(r)
        }
    }
}

/// Print JSON.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
