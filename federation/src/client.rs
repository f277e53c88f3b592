//! The handle the rest of the node uses: cheap to clone, `Send + Sync`, async methods that talk
//! to the event loop through a bounded channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use libp2p::{Multiaddr, Stream, StreamProtocol};
use node::AccessScope;
use protocol::grant::{Revocation, RevocationList, Roster};
use protocol::id::StudyId;
use protocol::keys::{PublicKey, SecretKey};
use protocol::query::SearchQuery;
use protocol::signed::Signed;
use protocol::wire::Push;
use protocol::ContentId;
use tokio::sync::{mpsc, oneshot};

use crate::backend::SearchBackend;
use crate::event_loop::Command;
use crate::status::{ConsortiumStatus, MemberState, MemberStatus};
use crate::{identity, Authorization, FedError, FederatedResults};

/// Most content ids remembered with the members whose hits named them.
const MAX_PROVIDER_ENTRIES: usize = 65_536;

pub(crate) struct Inner {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) status: Arc<RwLock<ConsortiumStatus>>,
    pub(crate) secret: SecretKey,
    pub(crate) backend: Arc<dyn SearchBackend>,
    pub(crate) deadline: Duration,
    pub(crate) control: Mutex<libp2p_stream::Control>,
    pub(crate) providers: Mutex<HashMap<ContentId, Vec<PublicKey>>>,
    /// Content id -> the node whose hit named it as its own dataset, and its study there.
    pub(crate) origins: Mutex<HashMap<ContentId, (PublicKey, StudyId)>>,
    pub(crate) responder: Arc<crate::member::Responder>,
    /// Bounds of the content streams this node serves.
    pub(crate) content_streams: crate::transfer::StreamLimits,
}

/// A handle on a running federation. Clone it freely.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("node", &self.node())
            .finish()
    }
}

impl Client {
    /// This node's key (its PeerId).
    pub fn node(&self) -> PublicKey {
        self.inner.secret.public()
    }

    /// The consortium as this node sees it now.
    pub fn status(&self) -> ConsortiumStatus {
        self.inner
            .status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The roster's members and their state.
    pub fn members(&self) -> Vec<MemberStatus> {
        self.status().members
    }

    /// Where this node listens (real ports, when port 0 was asked).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.status()
            .listen_addrs
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }

    /// Wait until `n` other members are verified, or `timeout` passes; whether they are.
    pub async fn wait_for_members(&self, n: usize, timeout: Duration) -> bool {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            if self.status().verified().count() >= n {
                return true;
            }
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Search every member and this node at once, with the configured deadline (2 s by default).
    /// `local_scope` is the caller's scope on this node (`None`: do not search it).
    pub async fn search(
        &self,
        query: SearchQuery,
        auth: &Authorization,
        local_scope: Option<AccessScope>,
    ) -> Result<FederatedResults, FedError> {
        crate::search::run(self, query, auth, local_scope, self.inner.deadline).await
    }

    /// [`Client::search`] with another deadline.
    pub async fn search_with_deadline(
        &self,
        query: SearchQuery,
        auth: &Authorization,
        local_scope: Option<AccessScope>,
        deadline: Duration,
    ) -> Result<FederatedResults, FedError> {
        crate::search::run(self, query, auth, local_scope, deadline).await
    }

    async fn push(&self, doc: Push) -> Result<bool, FedError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Push {
            doc: Box::new(doc),
            reply: tx,
        })
        .await?;
        rx.await.map_err(|_| FedError::Stopped)?
    }

    /// Apply a newer roster here (checked: signed by the coordinator, newer), store it, and
    /// spread it to every member. `Ok(false)`: not newer than the one held.
    pub async fn push_roster(&self, roster: Signed<Roster>) -> Result<bool, FedError> {
        self.push(Push::Roster(roster)).await
    }

    /// Apply a newer revocation list here and spread it.
    pub async fn push_revocation_list(
        &self,
        list: Signed<RevocationList>,
    ) -> Result<bool, FedError> {
        self.push(Push::RevocationList(list)).await
    }

    /// Apply an issuer's revocation here and spread it.
    pub async fn push_revocation(&self, rev: Signed<Revocation>) -> Result<bool, FedError> {
        self.push(Push::Revocation(rev)).await
    }

    /// Open a stream of `protocol` to member `peer` (for content transfer). Only verified
    /// members are asked.
    pub async fn open_stream(
        &self,
        peer: &PublicKey,
        protocol: StreamProtocol,
    ) -> Result<Stream, FedError> {
        let verified = self
            .status()
            .members
            .iter()
            .any(|m| m.node == *peer && m.state == MemberState::Verified);
        if !verified {
            return Err(FedError::Stream {
                peer: peer.to_string(),
                detail: "not a connected, verified member".into(),
            });
        }
        let mut control = self
            .inner
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        control
            .open_stream(identity::peer_id(peer), protocol)
            .await
            .map_err(|e| FedError::Stream {
                peer: peer.to_string(),
                detail: e.to_string(),
            })
    }

    /// Accept inbound streams of `protocol` (once per protocol). The caller must keep polling
    /// the returned stream, else inbound streams are dropped; it should check each stream's peer
    /// with [`Client::is_member`].
    pub fn accept_streams(
        &self,
        protocol: StreamProtocol,
    ) -> Result<libp2p_stream::IncomingStreams, FedError> {
        self.inner
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .accept(protocol.clone())
            .map_err(|_| FedError::Stream {
                peer: "-".into(),
                detail: format!("{protocol} is accepted already"),
            })
    }

    /// Whether `peer` is a verified member now.
    pub fn is_member(&self, peer: &libp2p::PeerId) -> bool {
        identity::public_key(peer).is_some_and(|k| {
            self.status()
                .members
                .iter()
                .any(|m| m.node == k && m.state == MemberState::Verified)
        })
    }

    /// Members that may hold `content`: those whose search hits named it first, then every other
    /// verified member.
    pub fn providers(&self, content: &ContentId) -> Vec<PublicKey> {
        let mut out: Vec<PublicKey> = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(content)
            .cloned()
            .unwrap_or_default();
        for m in self.status().verified() {
            if !out.contains(&m.node) {
                out.push(m.node);
            }
        }
        out.retain(|k| *k != self.node());
        out
    }

    /// The node that owns `content` and its study there, as a search hit named them.
    pub fn origin_of(&self, content: &ContentId) -> Option<(PublicKey, StudyId)> {
        self.inner
            .origins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(content)
            .copied()
    }

    pub(crate) fn remember_providers(&self, hits: &[protocol::query::Hit]) {
        {
            let mut origins = self.inner.origins.lock().unwrap_or_else(|e| e.into_inner());
            if origins.len() + hits.len() > MAX_PROVIDER_ENTRIES {
                origins.clear();
            }
            for h in hits {
                if let Some(node) = h.node {
                    origins.insert(h.content, (node, h.study.id));
                }
            }
        }
        let mut map = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if map.len() + hits.len() > MAX_PROVIDER_ENTRIES {
            map.clear();
        }
        for h in hits {
            if let Some(node) = h.node {
                let v = map.entry(h.content).or_default();
                if !v.contains(&node) && v.len() < 16 {
                    v.push(node);
                }
            }
        }
    }

    pub(crate) async fn send(&self, cmd: Command) -> Result<(), FedError> {
        self.inner
            .commands
            .send(cmd)
            .await
            .map_err(|_| FedError::Stopped)
    }

    /// Stop the event loop (connections close). Other clones then fail with
    /// [`FedError::Stopped`].
    pub async fn shutdown(&self) {
        let _ = self.inner.commands.send(Command::Shutdown).await;
    }
}
