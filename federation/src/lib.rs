//! # neurofed-federation
//!
//! The libp2p side of a node: the swarm and its event loop, consortium membership checks, the
//! fan-out of federated searches and the merge of their answers, and the streams content
//! transfer runs on.
//!
//! The design follows rust-libp2p's file-sharing example: [`Federation::start`] builds the swarm
//! (TCP + noise + yamux; QUIC with the `quic` feature), hands it to an event loop task that owns
//! it, and returns a [`Client`] (cheap to clone, async methods, bounded command channel) and an
//! [`Events`] stream (bounded; events are dropped, never waited for, when it lags). Responses are
//! correlated by request id.
//!
//! Peers are the roster's members (a static roster, no public DHT). After connecting, peers
//! exchange `hello` (membership grant + roster and revocation list versions) and keep only
//! verified members; see the `event_loop` module for the rules. A federated search
//! ([`Client::search`]) sends the query and the caller's capability chain for each member to all
//! of them at once with one deadline, runs this node's part locally in parallel, checks every
//! signed answer, and merges them ([`merge`], a pure function). Each member verifies the chain,
//! turns it into an access scope, and answers (the `member` module).
//!
//! [`content`] wires content transfer to a node: [`content::serve_node`] answers members'
//! streams from the store (the capability checked per request, every transfer audited), and
//! [`content::MemberProvider`] fetches from members over libp2p streams.
//!
//! The consortium's documents kept in a node's home are read and written here too, for the CLI
//! and the server alike: [`state`] (joined roster and membership, revocations, kept grants,
//! `join` with its checks), [`coordinator`] (a coordinator's key, members, rosters and
//! revocation lists), [`grants`] (issue, delegate, verify, revoke, keep, list capabilities) and
//! [`keyring`] (which local key is whose).
//!
//! What this crate never does: run anything for a peer that is not a verified member; panic on a
//! peer's bytes (every frame is size-checked before it is read and decoded by the protocol
//! crate's strict decoder); wait on an unbounded queue.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]

mod auth;
pub mod backend;
mod client;
pub mod codec;
mod config;
pub mod content;
pub mod coordinator;
mod error;
mod event_loop;
pub mod grants;
pub mod identity;
pub mod keyring;
mod member;
pub mod merge;
pub mod outboard;
mod replay;
mod results;
mod search;
pub mod state;
mod status;
pub mod transfer;

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, noise, request_response, tcp, yamux};
use node::Home;
use protocol::keys::PublicKey;
use tokio::sync::mpsc;

pub use auth::{Authorization, CopyRefusal};
pub use backend::{InboundSearch, NodeBackend, SearchBackend};
pub use client::Client;
pub use config::{FedConfig, DEFAULT_COUNT_BUDGET, DEFAULT_COUNT_THRESHOLD, DEFAULT_DEADLINE};
pub use error::FedError;
pub use results::{Coverage, FederatedResults, NodeOutcome, NodeReport};
pub use status::{ConsortiumStatus, MemberState, MemberStatus};

/// Re-exported for the transfer code: streams opened with [`Client::open_stream`].
pub use libp2p::{Multiaddr, PeerId, Stream};

/// Something that happened in the federation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Listening on this address.
    Listening {
        /// The address (real port).
        addr: Multiaddr,
    },
    /// A member completed the hello exchange.
    MemberVerified {
        /// Its key.
        peer: PublicKey,
        /// Its center, from its membership.
        center: String,
    },
    /// A peer's hello was refused (it is disconnected, and banned unless it may only lack our
    /// newest roster).
    MemberRefused {
        /// Its PeerId.
        peer: String,
        /// The refusal code (`unknown_consortium`, `not_a_member`, `expired`, ...).
        code: String,
    },
    /// A verified member's last connection closed.
    MemberDisconnected {
        /// Its key.
        peer: PublicKey,
    },
    /// A newer roster was applied.
    RosterUpdated {
        /// Its version.
        serial: u64,
    },
    /// A newer revocation list (`Some`) or a revocation (`None`) was applied.
    RevocationsUpdated {
        /// The list's version.
        list_serial: Option<u64>,
    },
    /// This node answered a member's search.
    SearchAnswered {
        /// Who asked.
        peer: PublicKey,
        /// How it went (status or error code).
        status: String,
    },
}

/// The federation's events, in order. Bounded: events are dropped when it is not read.
#[derive(Debug)]
pub struct Events(mpsc::Receiver<Event>);

impl futures::Stream for Events {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.0.poll_recv(cx)
    }
}

/// Unix milliseconds now.
pub(crate) use node::now_ms;

/// Commands waiting for the event loop.
const COMMAND_QUEUE: usize = 64;
/// Events waiting for their reader.
const EVENT_QUEUE: usize = 256;

/// Starts a node's federation.
#[derive(Debug)]
pub struct Federation;

impl Federation {
    /// Join the consortium recorded in `node`'s home: listen, dial the roster's members, answer
    /// their searches from `node`'s index. Call inside a tokio runtime (multi-threaded: searches
    /// are answered on blocking threads).
    pub async fn start(
        node: Arc<node::Node>,
        config: FedConfig,
    ) -> Result<(Client, Events, tokio::task::JoinHandle<()>), FedError> {
        let home = node.home.clone();
        let backend: Arc<dyn SearchBackend> = Arc::new(NodeBackend::new(node));
        Self::start_with(&home, backend, config).await
    }

    /// [`Federation::start`] with another search backend (tests, benchmarks): the consortium
    /// state and node key are read from `home`.
    pub async fn start_with(
        home: &Home,
        backend: Arc<dyn SearchBackend>,
        config: FedConfig,
    ) -> Result<(Client, Events, tokio::task::JoinHandle<()>), FedError> {
        let key = state::node_key(home)?;
        let secret = key.secret().clone();
        let me = secret.public();
        let joined =
            state::load_joined(home)?.ok_or_else(|| FedError::NotJoined(home.joined_dir()))?;
        if joined.membership.body().member != me {
            return Err(FedError::State {
                path: home.joined_membership_path(),
                detail: format!(
                    "the membership is for {}, not for this node ({me})",
                    joined.membership.body().member
                ),
            });
        }
        let consortium = joined.consortium();
        let revocations = state::load_revocations(home, &consortium)?;
        let shared_revocations = Arc::new(RwLock::new(revocations.revocations.clone()));
        let responder = Arc::new(
            member::Responder::new(
                secret.clone(),
                backend.clone(),
                config.policy.clone(),
                shared_revocations,
                config.count_threshold,
            )
            .with_count_budget(config.count_budget_per_day),
        );

        let mut swarm = build_swarm(&secret, &config)?;
        let control = swarm.behaviour().stream.new_control();
        let listen_addrs = listen(&mut swarm, &config.listen).await?;

        let center = joined.membership.body().center.clone();
        let status = Arc::new(RwLock::new(ConsortiumStatus {
            node: me,
            consortium,
            roster_serial: joined.roster.body().serial,
            revocation_serial: revocations.list.as_ref().map(|l| l.body().serial),
            revocation_issued_at: revocations.list.as_ref().map(|l| l.body().issued_at),
            revocation_trusted_until: revocations.list.as_ref().and_then(|l| {
                l.body()
                    .trusted_until(config.policy.max_revocation_list_age)
            }),
            listen_addrs: listen_addrs.iter().map(ToString::to_string).collect(),
            connected_peers: 0,
            running: true,
            members: vec![],
        }));
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
        let el = event_loop::EventLoop::new(event_loop::Parts {
            swarm,
            commands: cmd_rx,
            events: ev_tx,
            status: status.clone(),
            config: config.clone(),
            home: home.clone(),
            roster: joined.roster,
            membership: joined.membership,
            revocations,
            responder: responder.clone(),
            listen_addrs,
        });
        tracing::info!(node = %me, %center, "federation started");
        let handle = tokio::spawn(el.run());
        let client = Client {
            inner: Arc::new(client::Inner {
                commands: cmd_tx,
                status,
                secret,
                backend,
                deadline: config.deadline,
                control: Mutex::new(control),
                providers: Mutex::new(Default::default()),
                origins: Mutex::new(Default::default()),
                responder,
                content_streams: config.content_streams,
            }),
        };
        // The first status snapshot is published by the loop's first turn.
        tokio::task::yield_now().await;
        Ok((client, Events(ev_rx), handle))
    }
}

fn build_swarm(
    secret: &protocol::keys::SecretKey,
    config: &FedConfig,
) -> Result<libp2p::Swarm<event_loop::Behaviour>, FedError> {
    let keypair = identity::keypair(secret)?;
    let codec = codec::WireCodec {
        max_request: config.max_request_bytes,
        max_response: config.max_response_bytes,
    };
    let rr_config = request_response::Config::default()
        .with_request_timeout(config.request_timeout)
        .with_max_concurrent_streams(config.max_concurrent_searches.max(16) * 2);
    let agent = config.agent.clone();
    let limits = libp2p::connection_limits::ConnectionLimits::default()
        .with_max_pending_incoming(Some(config.max_pending_connections))
        .with_max_pending_outgoing(Some(config.max_pending_connections))
        .with_max_established(Some(config.max_connections))
        .with_max_established_per_peer(Some(config.max_connections_per_peer));
    let behaviour = move |key: &libp2p::identity::Keypair| event_loop::Behaviour {
        block: Default::default(),
        limits: libp2p::connection_limits::Behaviour::new(limits),
        rr: request_response::Behaviour::with_codec(
            codec,
            [(
                codec::WIRE_PROTOCOL,
                request_response::ProtocolSupport::Full,
            )],
            rr_config,
        ),
        identify: identify::Behaviour::new(
            identify::Config::new("/neurofed/id/1".into(), key.public())
                .with_agent_version(agent)
                .with_interval(Duration::from_secs(300)),
        ),
        stream: libp2p_stream::Behaviour::new(),
    };
    let transport_err = |e: &dyn std::fmt::Display| FedError::Transport(e.to_string());
    let builder = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| transport_err(&e))?;
    #[cfg(feature = "quic")]
    let builder = builder.with_quic();
    let swarm = builder
        .with_behaviour(behaviour)
        .map_err(|e| transport_err(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    Ok(swarm)
}

/// Listen on every address and wait (at most 5 s) until each has its real address.
async fn listen(
    swarm: &mut libp2p::Swarm<event_loop::Behaviour>,
    addrs: &[Multiaddr],
) -> Result<Vec<Multiaddr>, FedError> {
    let mut waiting = HashSet::new();
    for a in addrs {
        let id = swarm
            .listen_on(a.clone())
            .map_err(|e| FedError::Transport(format!("cannot listen on {a}: {e}")))?;
        waiting.insert(id);
    }
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while !waiting.is_empty() {
        match tokio::time::timeout_at(until, swarm.select_next_some()).await {
            Ok(SwarmEvent::NewListenAddr {
                listener_id,
                address,
            }) => {
                waiting.remove(&listener_id);
                out.push(address);
            }
            Ok(SwarmEvent::ListenerError { error, .. }) => {
                return Err(FedError::Transport(error.to_string()))
            }
            Ok(SwarmEvent::ListenerClosed {
                reason: Err(error), ..
            }) => return Err(FedError::Transport(error.to_string())),
            Ok(_) => {}
            Err(_) => return Err(FedError::Transport("no listen address within 5 s".into())),
        }
    }
    Ok(out)
}
