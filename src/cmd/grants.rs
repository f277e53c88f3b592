//! `neurofed keys|consortium|grant`: the protocol commands of `src/cli/`, given what only a node
//! knows: its studies' names and which local user administers which study.

use std::cell::OnceCell;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use node::Node;
use node::{list_keys, Home, KeyFile};
use node::{Access, Principal, Right};
use protocol::id::StudyId;
use protocol::keys::PublicKey;

use crate::cli;

/// Study names and rights, read from the node's catalog when first needed (so that a
/// coordinator's machine without a catalog can still create a consortium).
struct NodeAuthority<'a> {
    home: &'a Home,
    node: OnceCell<Node>,
}

impl NodeAuthority<'_> {
    fn node(&self) -> Result<&Node> {
        if let Some(n) = self.node.get() {
            return Ok(n);
        }
        let n = Node::open(self.home)?;
        Ok(self.node.get_or_init(|| n))
    }
}

impl cli::grant::StudyAuthority for NodeAuthority<'_> {
    fn resolve(&self, name: &str) -> Result<StudyId> {
        if name.starts_with(StudyId::PREFIX) {
            return Ok(name.parse()?);
        }
        self.node()?
            .catalog
            .study_by_name(name)?
            .map(|s| s.id)
            .ok_or_else(|| anyhow!("no study named {name:?} on this node"))
    }

    fn administers(&self, key: &PublicKey, study: &StudyId) -> Result<bool> {
        let node = self.node()?;
        for name in list_keys(&self.home.user_keys_dir())? {
            if KeyFile::user(self.home, &name)?.public() != *key {
                continue;
            }
            let access = Access::new(&node.catalog);
            let Some(user) = access.users().get(&name)? else {
                return Ok(false);
            };
            let now = node::now();
            return Ok(access
                .check(&Principal::User(user), Right::Administer, *study, None, now)
                .is_ok());
        }
        Ok(false)
    }
}

fn code(c: i32) -> ExitCode {
    ExitCode::from(u8::try_from(c).unwrap_or(1))
}

pub fn keys(home: &Home, c: cli::keys::KeysCmd) -> Result<ExitCode> {
    let auth = NodeAuthority {
        home,
        node: OnceCell::new(),
    };
    let resolve = |n: &str| cli::grant::StudyAuthority::resolve(&auth, n);
    Ok(code(cli::keys::run(c, home, &resolve)?))
}

pub fn consortium(home: &Home, c: cli::consortium::ConsortiumCmd) -> Result<ExitCode> {
    let auth = NodeAuthority {
        home,
        node: OnceCell::new(),
    };
    let resolve = |n: &str| cli::grant::StudyAuthority::resolve(&auth, n);
    Ok(code(cli::consortium::run(c, home, &resolve)?))
}

pub fn grant(home: &Home, c: cli::grant::GrantCmd) -> Result<ExitCode> {
    let auth = NodeAuthority {
        home,
        node: OnceCell::new(),
    };
    Ok(code(cli::grant::run_with(c, home, &auth)?))
}
