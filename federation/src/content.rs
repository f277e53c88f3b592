//! Content transfer wired to a running node and its federation.
//!
//! - [`serve_node`]: accept the content streams ([`transfer::PROTOCOL`]) of verified members
//!   and answer them from the node's store, within the configured stream limits
//!   ([`crate::FedConfig::content_streams`]: per peer, in all, idle time). Each request must carry a capability chain that
//!   verifies here and permits `download` on the study of the dataset it is asked through (a
//!   dataset of this node, found by its content id); every transfer is written to the node's
//!   audit log (who, which blob of which dataset, bytes, under which grant).
//! - [`MemberProvider`]: a member as a [`Provider`] for [`transfer::fetch_dataset`]: streams
//!   opened through the swarm, requests authorized with the caller's download chain for that
//!   member.
//! - [`fetch_dataset`]: fetch a dataset by content id from the members whose hits named it
//!   (then any verified member), recording its origin and grant.

use std::sync::Arc;

use crate::outboard::Outboards;
use futures::StreamExt;
use libp2p::StreamProtocol;
use node::Node;
use protocol::keys::PublicKey;
use protocol::wire::ContentRequest;
use protocol::ContentId;

use crate::transfer::{
    self, Authorized, BoxFuture, BoxStream, DatasetReport, FetchOptions, Provenance, Provider,
    ServeOptions, TransferRecord,
};
use crate::{identity, Authorization, Client, FedError};

/// Serve members' content streams from `node` until the federation stops. Call once.
pub fn serve_node(
    client: &Client,
    node: Arc<Node>,
) -> Result<tokio::task::JoinHandle<()>, FedError> {
    let incoming = client.accept_streams(StreamProtocol::new(transfer::PROTOCOL))?;
    let outboards = Arc::new(Outboards::open(&node.store).map_err(|e| FedError::State {
        path: node.store.root().to_path_buf(),
        detail: e.to_string(),
    })?);
    let client = client.clone();
    let limits = client.inner.content_streams;
    let members = client.clone();
    // Streams only come over connections, and only members keep theirs; a peer whose
    // membership lapsed since is refused here.
    let incoming = incoming.filter_map(move |(peer_id, stream)| {
        let peer = identity::public_key(&peer_id).filter(|_| members.is_member(&peer_id));
        if peer.is_none() {
            tracing::info!(%peer_id, "content stream from a non-member dropped");
        }
        futures::future::ready(peer.map(|p| (p, stream)))
    });
    Ok(tokio::spawn(transfer::serve_streams(
        Box::pin(incoming),
        limits,
        move |peer, stream| {
            let (node, outboards, client) = (node.clone(), outboards.clone(), client.clone());
            async move {
                let authorize =
                    |a: &transfer::Access<'_>| authorize_request(&client, &node, peer, a);
                let audit = |r: TransferRecord| audit_transfer(&node, r);
                match transfer::serve(
                    stream,
                    peer,
                    &node.store,
                    &outboards,
                    &ServeOptions::default(),
                    authorize,
                    audit,
                )
                .await
                {
                    Ok(s) => {
                        tracing::debug!(%peer, requests = s.requests, bytes = s.bytes, "content stream served")
                    }
                    Err(e) => tracing::info!(%peer, "content stream ended: {e}"),
                }
            }
        },
    )))
}

fn authorize_request(
    client: &Client,
    node: &Node,
    peer: PublicKey,
    a: &transfer::Access<'_>,
) -> Result<Authorized, protocol::verify::Refusal> {
    let dataset = node
        .catalog
        .dataset_by_content(&a.dataset)
        .unwrap_or_else(|e| {
            tracing::error!("catalog lookup of {}: {e}", a.dataset);
            None
        });
    let now = crate::now_ms() / 1000;
    if dataset.is_none() {
        // A copy fetched from another member, whose study there is known: served under that
        // member's grant.
        let copy = node.catalog.fetched().get(&a.dataset).unwrap_or_else(|e| {
            tracing::error!("fetched lookup of {}: {e}", a.dataset);
            None
        });
        if let Some((origin, study)) = copy.and_then(|f| f.study.map(|s| (f.origin, s))) {
            let (requester, grant) = client.inner.responder.permit_download_of(
                &peer,
                a.request,
                &origin,
                (Some(&study), None),
                |_| false,
                now,
            )?;
            return Ok(Authorized {
                requester,
                grant: Some(grant),
            });
        }
    }
    let study = dataset.as_ref().map(|d| d.study);
    let labels = dataset.as_ref().and_then(|d| {
        let acq = node.catalog.acquisition(d.acquisition).ok().flatten()?;
        Some(crate::member::DatasetLabels {
            modality: acq.modality,
            nature: acq.cards.current.nature.map(|n| n.as_str().to_string()),
        })
    });
    let is_public = |s: &protocol::id::StudyId| {
        client
            .inner
            .backend
            .public_studies()
            .is_ok_and(|p| p.contains(s))
    };
    let (requester, grant) = client.inner.responder.permit_download(
        &peer,
        a.request,
        study.as_ref(),
        labels.as_ref(),
        is_public,
        now,
    )?;
    Ok(Authorized {
        requester,
        grant: Some(grant),
    })
}

/// Append a transfer's record to the audit log now: a dataset's authorization durably before its
/// first byte goes out, then each blob's record when its requests end (also when the stream
/// breaks or the server stops: a queued write could be lost; no fsync, `append_lazy`). A write
/// may wait for an import's transaction, so on a multi-threaded runtime the worker is handed
/// over while it runs.
fn audit_transfer(node: &Arc<Node>, r: TransferRecord) {
    let write = || {
        let d = node.catalog.dataset_by_content(&r.dataset).ok().flatten();
        let event = r.audit_event(
            d.as_ref().map(|d| d.study),
            d.as_ref().map(|d| d.id),
            node::now(),
        );
        // The record of an authorization goes to disk before the bytes it allows go out.
        let written = if r.outcome == transfer::Outcome::Authorized {
            node.catalog.audit().append(event).map(|_| ())
        } else {
            node.catalog.audit().append_lazy(event).map(|_| ())
        };
        if let Err(e) = written {
            tracing::error!("cannot audit a transfer: {e}");
        }
    };
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(write),
        _ => write(),
    }
}

/// A verified member, as a source of blobs: the dataset's owner, or a member that may hold a
/// copy (asked with the owner's grant).
pub struct MemberProvider {
    client: Client,
    peer: PublicKey,
    owner: PublicKey,
    auth: Arc<Authorization>,
}

impl std::fmt::Debug for MemberProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberProvider")
            .field("peer", &self.peer)
            .finish()
    }
}

impl MemberProvider {
    /// Member `peer`, asked with `auth`'s download chain for `owner` (the dataset's owner:
    /// `peer` itself, or the node whose dataset `peer` holds a copy of).
    pub fn new(
        client: Client,
        peer: PublicKey,
        owner: PublicKey,
        auth: Arc<Authorization>,
    ) -> Self {
        MemberProvider {
            client,
            peer,
            owner,
            auth,
        }
    }
}

impl Provider for MemberProvider {
    fn name(&self) -> String {
        self.peer.to_string()
    }

    fn open(&self) -> BoxFuture<'_, std::io::Result<BoxStream>> {
        Box::pin(async move {
            let s = self
                .client
                .open_stream(&self.peer, StreamProtocol::new(transfer::PROTOCOL))
                .await
                .map_err(std::io::Error::other)?;
            Ok(Box::new(s) as BoxStream)
        })
    }

    fn authorize(&self, request: &mut ContentRequest) {
        self.auth
            .authorize_content(request, &self.owner, &self.peer);
    }
}

/// Why [`fetch_dataset`] could not start or failed.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// No member is connected, or the caller holds no download grant for any that may have it.
    #[error("no connected member to fetch {content} from, with a download grant held for it")]
    NoProvider {
        /// The dataset.
        content: ContentId,
    },
    /// The dataset is this node's own: it is downloaded through the local rights
    /// (`GET /api/v1/download`, `neurofed export`), never "fetched" into the node that owns it.
    #[error(
        "{content} is a dataset of this node: download it through the local rights, not a fetch"
    )]
    Local {
        /// The dataset.
        content: ContentId,
    },
    /// The fetch failed.
    #[error(transparent)]
    Dataset(#[from] transfer::DatasetError),
    /// The node's store could not be opened for it.
    #[error("store: {0}")]
    Store(String),
}

/// Fetch dataset `content` into `node`'s store. Its owner is the member whose search hit named
/// it (else the first member for which `auth` holds a download chain); the providers are the
/// owner and every other verified member (one may hold a copy: it is asked with the owner's
/// grant, and answers "not found" otherwise). The record keeps the owner, the grant and, when
/// the hit gave it, the study, so that this node can serve its copy in turn.
pub async fn fetch_dataset(
    client: &Client,
    node: &Node,
    content: ContentId,
    auth: Authorization,
    options: &FetchOptions,
) -> Result<DatasetReport, ContentError> {
    let local = node
        .catalog
        .dataset_by_content(&content)
        .map_err(|e| ContentError::Store(e.to_string()))?;
    if local.is_some() {
        return Err(ContentError::Local { content });
    }
    let auth = Arc::new(auth);
    let members = client.providers(&content);
    let (origin, study) = match client.origin_of(&content) {
        Some((origin, study)) => (origin, Some(study)),
        None => match members
            .iter()
            .find(|p| auth.download_chain_for(p).is_some())
        {
            Some(p) => (*p, None),
            None => return Err(ContentError::NoProvider { content }),
        },
    };
    let Some(grant) = auth
        .download_chain_for(&origin)
        .map(|c| c.leaf().map(|l| l.hash()))
    else {
        return Err(ContentError::NoProvider { content });
    };
    let mut peers = members;
    peers.retain(|p| *p != origin);
    // The owner first, when it is connected (else only members that may hold a copy).
    if client.is_member(&crate::identity::peer_id(&origin)) {
        peers.insert(0, origin);
    }
    if peers.is_empty() {
        return Err(ContentError::NoProvider { content });
    }
    let providers: Vec<Arc<dyn Provider>> = peers
        .into_iter()
        .map(|p| {
            Arc::new(MemberProvider::new(client.clone(), p, origin, auth.clone()))
                as Arc<dyn Provider>
        })
        .collect();
    let outboards = Outboards::open(&node.store).map_err(|e| ContentError::Store(e.to_string()))?;
    Ok(transfer::fetch_dataset(
        &node.store,
        &outboards,
        &node.catalog,
        content,
        Provenance {
            origin,
            grant,
            study,
        },
        &providers,
        options,
    )
    .await?)
}
