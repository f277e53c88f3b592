//! `neurofed keys`: show the node's identity and the keys held under its home
//! ([`federation::keyring`]).

use std::process::ExitCode;

use clap::Subcommand;
use federation::keyring::{key_rows, user_key_or_create};
use node::Home;

use crate::out::json_pretty;
use crate::outln;

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
        /// Machine-readable output: `{"user", "public", "path", "created"}`.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &Home, cmd: KeysCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCmd::Show { json } => {
            let (rows, created) = key_rows(home)?;
            if created {
                eprintln!("created the node key at {}", home.node_key_path().display());
            }
            if json {
                json_pretty(&rows)?;
            } else {
                for r in rows {
                    outln!("{:<24} {}  {}", r.key, r.public, r.path.display())?;
                }
            }
        }
        KeysCmd::User { name, json } => {
            let key = user_key_or_create(home, &name)?;
            if json {
                json_pretty(&serde_json::json!({
                    "user": name, "public": key.public(), "path": key.path(),
                    "created": key.created(),
                }))?;
            } else {
                if key.created() {
                    eprintln!("created key for user {name} at {}", key.path().display());
                }
                outln!("{}", key.public())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
