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
    /// Record, before the answer goes out, a member's search or count answered here. An error
    /// withholds the answer (the member is told `internal`).
    fn audit_search(&self, record: &InboundSearch) -> Result<(), String>;
}

/// A member's search or count answered by this node, as audited here. Structure only: no
/// filter values or text (they are the asker's, and may say more than the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSearch {
    /// The member node that asked.
    pub peer: PublicKey,
    /// The principal the chain was invoked by (the member node or one of its users).
    pub requester: PublicKey,
    /// The grant presented (leaf hash).
    pub grant: protocol::GrantHash,
    /// Counts only (a `count` grant).
    pub count_only: bool,
    /// Filters and facet fields in the query.
    pub filters: usize,
    /// Facet fields asked.
    pub facets: usize,
    /// The total returned (`"<N"` when suppressed), or the outcome when none was.
    pub total: String,
}

impl InboundSearch {
    /// The audit line.
    pub fn detail(&self) -> String {
        format!(
            "federated {} from node {} for {} under grant {}: {} filters, {} facets, total {}",
            if self.count_only { "count" } else { "search" },
            crate::identity::peer_id(&self.peer),
            self.requester,
            self.grant,
            self.filters,
            self.facets,
            self.total
        )
    }
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

    fn audit_search(&self, record: &InboundSearch) -> Result<(), String> {
        let who = format!("node:{}", crate::identity::peer_id(&record.peer));
        self.node
            .catalog
            .audit()
            .append(
                node::NewEvent::new(&who, node::AuditAction::Search, node::now())
                    .detail(record.detail()),
            )
            .map(|_| ())
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
