//! Helpers shared by the protocol commands: home layout, local keys, state files, time.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use node::keys::{list_keys, node_key_path, user_key_path, KeyFile};
use protocol::grant::{Revocation, RevocationList, Roster};
use protocol::keys::PublicKey;
use protocol::signed::Signed;
use protocol::verify::Revocations;

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `<home>/grants/`: grants this node or its users received.
pub fn grants_dir(home: &Path) -> PathBuf {
    home.join("grants")
}

/// `<home>/revocations/`: individual revocations (`<hash>.rev`) and the coordinator's list
/// (`list.cbor`).
pub fn revocations_dir(home: &Path) -> PathBuf {
    home.join("revocations")
}

/// `<home>/consortium/joined/`: the roster and membership of the consortium this node joined.
pub fn joined_dir(home: &Path) -> PathBuf {
    home.join("consortium").join("joined")
}

/// Write a file atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Read a file that must exist.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The node key (created on first use).
pub fn node_key(home: &Path) -> Result<KeyFile> {
    Ok(KeyFile::load_or_create(&node_key_path(home))?)
}

/// A user's key, which must exist.
pub fn user_key(home: &Path, name: &str) -> Result<KeyFile> {
    let path = user_key_path(home, name)?;
    KeyFile::load(&path)
        .with_context(|| format!("no key for user {name:?} (create it with `neurofed keys user`)"))
}

/// The keys held on this node: `("node", key)` and `("user NAME", key)`.
pub fn local_keys(home: &Path) -> Result<Vec<(String, KeyFile)>> {
    let mut keys = vec![("node".to_string(), node_key(home)?)];
    for name in list_keys(&home.join("keys").join("users"))? {
        keys.push((format!("user {name}"), user_key(home, &name)?));
    }
    Ok(keys)
}

/// The local key whose public half is `public`.
pub fn find_local_key(home: &Path, public: &PublicKey) -> Result<Option<(String, KeyFile)>> {
    Ok(local_keys(home)?
        .into_iter()
        .find(|(_, k)| k.public() == *public))
}

/// The roster of the joined consortium, if any.
pub fn joined_roster(home: &Path) -> Result<Option<Signed<Roster>>> {
    let path = joined_dir(home).join("roster.cbor");
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
pub fn load_revocations(home: &Path) -> Result<Revocations> {
    let mut r = Revocations::new();
    let dir = revocations_dir(home);
    if let Some(roster) = joined_roster(home)? {
        let list_path = dir.join("list.cbor");
        if list_path.exists() {
            let list = Signed::<RevocationList>::from_bytes(&read(&list_path)?)
                .with_context(|| format!("{} is not a revocation list", list_path.display()))?;
            r.apply_list(&list, &roster.body().consortium)
                .map_err(|e| anyhow!("{}: {e}", list_path.display()))?;
        }
    }
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rev") {
                if let Ok(rev) = Signed::<Revocation>::from_bytes(&read(&p)?) {
                    let _ = r.apply_revocation(&rev);
                }
            }
        }
    }
    Ok(r)
}

/// Print JSON.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
