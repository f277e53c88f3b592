//! What the federation asks of the local node: run a search within a scope, list its public
//! studies, and tell whether a key administers studies (who may issue root grants). Production
//! uses [`NodeBackend`] over `node::Node`; tests of the network paths use their own.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use node::Node;
use node::{list_keys, KeyFile};
use node::{Access, AccessScope, Principal, Right};
use protocol::id::StudyId;
use protocol::keys::PublicKey;
use protocol::query::{SearchQuery, SearchResults};

/// The local node, as the federation uses it. Called from blocking threads.
pub trait SearchBackend: Send + Sync + 'static {
    /// This node's center name.
    fn center(&self) -> String;
    /// Run `query` restricted to `scope`. The error is logged, not shown to peers.
    fn search(&self, query: &SearchQuery, scope: &AccessScope) -> Result<SearchResults, String>;
    /// The studies every account may see now (public, out of embargo).
    fn public_studies(&self) -> Result<Vec<StudyId>, String>;
    /// Whether `key` (a local user's key) holds `administer` on every one of `studies`.
    fn administers(&self, key: &PublicKey, studies: &BTreeSet<StudyId>) -> bool;
}

/// [`SearchBackend`] over an open node: its search index, catalog and access rights.
#[derive(Debug)]
pub struct NodeBackend {
    node: Arc<Node>,
    /// User key -> user name, from `<home>/keys/users/`, re-read on a miss.
    users: RwLock<HashMap<PublicKey, String>>,
}

impl NodeBackend {
    /// A backend over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        let b = NodeBackend {
            node,
            users: RwLock::new(HashMap::new()),
        };
        b.reload_users();
        b
    }

    fn reload_users(&self) {
        let home = &self.node.home;
        let mut map = HashMap::new();
        if let Ok(names) = list_keys(&home.user_keys_dir()) {
            for name in names {
                if let Ok(k) = KeyFile::user(home, &name) {
                    map.insert(k.public(), name);
                }
            }
        }
        *self.users.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    fn user_name(&self, key: &PublicKey) -> Option<String> {
        let found = self
            .users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        if found.is_some() {
            return found;
        }
        self.reload_users();
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }
}

impl SearchBackend for NodeBackend {
    fn center(&self) -> String {
        self.node.config.node.center.clone()
    }

    fn search(&self, query: &SearchQuery, scope: &AccessScope) -> Result<SearchResults, String> {
        self.node
            .index
            .search(query, scope)
            .map_err(|e| e.to_string())
    }

    fn public_studies(&self) -> Result<Vec<StudyId>, String> {
        Access::new(&self.node.catalog)
            .public_studies(node::now())
            .map_err(|e| e.to_string())
    }

    fn administers(&self, key: &PublicKey, studies: &BTreeSet<StudyId>) -> bool {
        let Some(name) = self.user_name(key) else {
            return false;
        };
        let access = Access::new(&self.node.catalog);
        let Ok(Some(user)) = access.users().get(&name) else {
            return false;
        };
        let principal = Principal::User(user);
        let now = node::now();
        studies.iter().all(|s| {
            access
                .check(&principal, Right::Administer, *s, None, now)
                .is_ok()
        })
    }
}
