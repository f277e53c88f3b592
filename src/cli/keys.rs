//! `neurofed keys`: show the node's identity and the keys held under its home.

use anyhow::Result;
use clap::Subcommand;
use node::{list_keys, Home, KeyFile};
use protocol::id::StudyId;

use super::common::{local_keys, node_key, print_json};

/// Key commands.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysCmd {
    /// Show this node's key (its libp2p PeerId), its users' keys and its consortium keys.
    Show {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Create a user's key if it does not exist, and show it.
    User {
        /// The user's name on this node.
        name: String,
    },
}

/// Run a key command; returns the exit code.
pub fn run(
    cmd: KeysCmd,
    home: &Home,
    _resolve_study: &dyn Fn(&str) -> Result<StudyId>,
) -> Result<i32> {
    match cmd {
        KeysCmd::Show { json } => {
            let mut rows = Vec::new();
            let node = node_key(home)?;
            if node.created() {
                eprintln!("created the node key at {}", node.path().display());
            }
            for (label, key) in local_keys(home)? {
                rows.push((label, key.public().to_peer_id(), key.path().to_path_buf()));
            }
            for name in list_keys(&home.consortium_keys_dir())? {
                let key = KeyFile::load(&home.consortium_key_path(&name)?)?;
                rows.push((
                    format!("consortium {name}"),
                    key.public().to_peer_id(),
                    key.path().to_path_buf(),
                ));
            }
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(l, k, p)| serde_json::json!({"key": l, "public": k, "path": p}))
                    .collect();
                print_json(&v)?;
            } else {
                for (label, key, path) in rows {
                    println!("{label:<24} {key}  {}", path.display());
                }
            }
            Ok(0)
        }
        KeysCmd::User { name } => {
            let key = KeyFile::load_or_create(&home.user_key_path(&name)?)?;
            if key.created() {
                eprintln!("created key for user {name} at {}", key.path().display());
            }
            println!("{}", key.public());
            Ok(0)
        }
    }
}
