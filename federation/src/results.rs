//! A federated search's answer: the merged results, and how each member fared.

use protocol::keys::PublicKey;
use protocol::query::{Count, SearchResults};
use serde::Serialize;

/// How one node fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum NodeOutcome {
    /// Answered; its results are merged.
    Ok,
    /// Did not answer before the deadline.
    Timeout,
    /// Not connected (or the connection failed during the request).
    Unreachable {
        /// What failed.
        reason: String,
    },
    /// Refused: a stable code (`expired`, `revoked`, `wrong_audience`, ..., or `no_grant` when
    /// the caller holds no grant for that node, `not_a_member` when it does not accept us).
    Denied {
        /// The refusal code.
        code: String,
    },
    /// Failed.
    Error {
        /// A message safe to show.
        message: String,
    },
}

impl NodeOutcome {
    /// The status word: `ok`, `timeout`, `unreachable`, `denied`, `error`.
    pub fn word(&self) -> &'static str {
        match self {
            NodeOutcome::Ok => "ok",
            NodeOutcome::Timeout => "timeout",
            NodeOutcome::Unreachable { .. } => "unreachable",
            NodeOutcome::Denied { .. } => "denied",
            NodeOutcome::Error { .. } => "error",
        }
    }
}

/// One node's part in a federated search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeReport {
    /// The node (its PeerId text in JSON).
    pub node: PublicKey,
    /// Its center, from the roster.
    pub center: String,
    /// Whether it is the asking node itself.
    pub local: bool,
    /// How it went.
    #[serde(flatten)]
    pub outcome: NodeOutcome,
    /// Milliseconds from sending to its answer (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Hits it returned.
    pub hits: usize,
    /// Its total (absent without an answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Count>,
}

/// Nodes that answered, of the consortium's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Nodes whose results are merged (status ok, the asking node included).
    pub answered: usize,
    /// Members in the roster (the asking node included).
    pub members: usize,
}

/// The answer to a federated search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FederatedResults {
    /// Merged hits (each naming its node), total and facet counts.
    #[serde(flatten)]
    pub results: SearchResults,
    /// One report per member, the asking node first, then by node key.
    pub nodes: Vec<NodeReport>,
    /// Answered / members.
    pub coverage: Coverage,
    /// Milliseconds the whole search took.
    pub elapsed_ms: u64,
}
