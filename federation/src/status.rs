//! The consortium as this node sees it: for `GET /api/v1/consortium` and `neurofed demo`.

use protocol::keys::{ConsortiumId, PublicKey};
use serde::Serialize;

/// A member's connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// This node.
    Local,
    /// Connected, hello verified both ways: searches go to it.
    Verified,
    /// Dialing, or connected with the hello exchange not complete.
    Connecting,
    /// Not connected (redialed with backoff).
    Disconnected,
}

/// One roster member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberStatus {
    /// Its key (PeerId text in JSON).
    pub node: PublicKey,
    /// Its center.
    pub center: String,
    /// Its addresses in the roster.
    pub addrs: Vec<String>,
    /// Connection state.
    pub state: MemberState,
    /// When it was last heard from (unix seconds).
    pub last_seen: Option<u64>,
    /// The last failure (dial error, refusal), if any since it was last verified.
    pub last_error: Option<String>,
    /// Its software, as it says.
    pub agent: Option<String>,
}

/// The consortium and this node's place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsortiumStatus {
    /// This node.
    pub node: PublicKey,
    /// The consortium (its coordinator's key).
    pub consortium: ConsortiumId,
    /// Version of the roster held.
    pub roster_serial: u64,
    /// Version of the revocation list held, if any.
    pub revocation_serial: Option<u64>,
    /// When that list was issued (unix seconds).
    pub revocation_issued_at: Option<u64>,
    /// Until when this node trusts it (its window, or its issue plus the node's maximum age;
    /// `None` with a list: no limit). Past it, every grant is refused (`revocation_list_stale`).
    pub revocation_trusted_until: Option<u64>,
    /// Where this node listens.
    pub listen_addrs: Vec<String>,
    /// Peers connected (members or not yet verified).
    pub connected_peers: usize,
    /// Whether the event loop runs.
    pub running: bool,
    /// Roster members, by key.
    pub members: Vec<MemberStatus>,
}

impl ConsortiumStatus {
    /// Members verified now, this node excluded.
    pub fn verified(&self) -> impl Iterator<Item = &MemberStatus> {
        self.members
            .iter()
            .filter(|m| m.state == MemberState::Verified)
    }
}
