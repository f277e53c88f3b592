//! The event loop: owns the swarm, verifies members at connection (hello exchange), relays
//! searches and answers them, spreads rosters and revocations. Commands come from
//! [`crate::Client`] through a bounded channel; events go out through another, dropped (and
//! logged) rather than blocking when the receiver lags.
//!
//! Membership rules enforced here:
//! - after a connection, the dialer sends `hello`; the listener answers with its own only if the
//!   dialer's membership verifies and the roster lists it. Either side refuses a failing peer:
//!   an invalid membership (bad signature, another consortium, another node's, expired, revoked)
//!   is banned for [`FedConfig::ban`]; a valid membership missing from our roster is refused
//!   without a ban, since the peer may hold a newer roster (it pushes it, then says hello again);
//! - a peer that has not completed the hello in [`FedConfig::hello_timeout`] is disconnected;
//! - only verified members may send searches or individual revocations (at most
//!   `MAX_REVOCATIONS_PER_PEER` per member key, and per signing key the protocol's quota);
//!   anyone connected may push a roster or revocation list (they carry the coordinator's
//!   signature and must be newer); a revocation is (signed by
//!   its issuer);
//! - a newer roster or revocation list is stored atomically, re-pushed to every verified member,
//!   and members it removes or revokes are disconnected.

mod membership;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{allow_block_list, connection_limits, identify, Multiaddr, PeerId, Swarm};
use protocol::grant::{Membership, Revocation, RevocationList, Roster};
use protocol::keys::{ConsortiumId, PublicKey};
use protocol::signed::{GrantHash, Signed};
use protocol::wire::{Push, Request, Response, WireError};
use tokio::sync::{mpsc, oneshot};

use crate::codec::WireCodec;
use crate::member::Responder;
use crate::status::{ConsortiumStatus, MemberState, MemberStatus};
use crate::{identity, now_ms, Event, FedConfig, FedError};

/// The swarm's behaviours.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) block: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Connections per peer, pending and in all (`FedConfig::max_connections*`).
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) rr: request_response::Behaviour<WireCodec>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) stream: libp2p_stream::Behaviour,
}

/// What a [`crate::Client`] asks of the event loop.
pub(crate) enum Command {
    /// Send these search requests; each answer or failure goes to `reply`.
    Search {
        sends: Vec<(PeerId, Request)>,
        reply: mpsc::Sender<PeerReply>,
    },
    /// Apply a document locally (if newer) and spread it.
    Push {
        doc: Box<Push>,
        reply: oneshot::Sender<Result<bool, FedError>>,
    },
    /// Stop.
    Shutdown,
}

/// One member's answer to a search, or why there is none.
#[derive(Debug)]
pub(crate) struct PeerReply {
    pub(crate) peer: PeerId,
    pub(crate) result: Result<Response, PeerFailure>,
}

/// Why a member did not answer.
#[derive(Debug)]
pub(crate) enum PeerFailure {
    Unreachable(String),
    Timeout,
}

enum Pending {
    Hello(PeerId),
    Push(PeerId),
    Pull(PeerId),
    Search {
        peer: PeerId,
        reply: mpsc::Sender<PeerReply>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connected, hello not (yet) verified.
    Connected,
    /// A verified member.
    Verified,
}

struct Peer {
    key: Option<PublicKey>,
    connections: u32,
    phase: Phase,
    connected_at: Instant,
    last_hello: Option<Instant>,
    hello_in_flight: bool,
    membership: Option<GrantHash>,
    /// When the verified membership ends (unix seconds): this side's own timer, not the
    /// peer's heartbeat, ends the peer's standing.
    membership_expires: Option<u64>,
    agent: Option<String>,
    /// When this peer last pulled our roster and our list: one answer of each per
    /// [`PULL_INTERVAL`], so a member cannot make us send an 8 MiB list in a loop.
    last_pull: [Option<Instant>; 2],
}

/// Shortest interval between two documents answered to one peer's pulls.
const PULL_INTERVAL: Duration = Duration::from_secs(10);

struct MemberRec {
    center: String,
    addrs: Vec<Multiaddr>,
    addr_text: Vec<String>,
    last_seen: Option<u64>,
    last_error: Option<String>,
    next_dial: Instant,
    backoff: Duration,
    dialing: bool,
}

/// Everything the loop owns.
pub(crate) struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) status: Arc<RwLock<ConsortiumStatus>>,
    pub(crate) config: FedConfig,
    pub(crate) home: node::Home,
    pub(crate) me: PublicKey,
    pub(crate) consortium: ConsortiumId,
    pub(crate) roster: Signed<Roster>,
    pub(crate) membership: Signed<Membership>,
    pub(crate) list: Option<Signed<RevocationList>>,
    pub(crate) individual: Vec<Signed<Revocation>>,
    pub(crate) seen_revocations: std::collections::HashSet<GrantHash>,
    pub(crate) responder: Arc<Responder>,
    pub(crate) listen_addrs: Vec<Multiaddr>,
    peers: HashMap<PeerId, Peer>,
    members: BTreeMap<PublicKey, MemberRec>,
    banned: HashMap<PeerId, Instant>,
    to_ban: HashMap<PeerId, Instant>,
    pending: HashMap<OutboundRequestId, Pending>,
    inbound: HashMap<u64, (PeerId, ResponseChannel<Response>)>,
    next_token: u64,
    answers_tx: mpsc::Sender<(u64, Response)>,
    answers_rx: mpsc::Receiver<(u64, Response)>,
    dirty: bool,
    dropped_events: u64,
    /// Revocations taken from each member key since start (see `MAX_REVOCATIONS_PER_PEER`).
    pub(crate) revocations_from: HashMap<PublicKey, usize>,
}

/// The parts [`EventLoop::new`] needs.
pub(crate) struct Parts {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) status: Arc<RwLock<ConsortiumStatus>>,
    pub(crate) config: FedConfig,
    pub(crate) home: node::Home,
    pub(crate) roster: Signed<Roster>,
    pub(crate) membership: Signed<Membership>,
    pub(crate) revocations: crate::state::RevocationState,
    pub(crate) responder: Arc<Responder>,
    pub(crate) listen_addrs: Vec<Multiaddr>,
}

impl EventLoop {
    pub(crate) fn new(p: Parts) -> Self {
        let (answers_tx, answers_rx) = mpsc::channel(p.config.max_concurrent_searches.max(1));
        let me = p.responder.me;
        let consortium = p.roster.body().consortium;
        let mut el = EventLoop {
            swarm: p.swarm,
            commands: p.commands,
            events: p.events,
            status: p.status,
            config: p.config,
            home: p.home,
            me,
            consortium,
            roster: p.roster,
            membership: p.membership,
            list: p.revocations.list,
            individual: p.revocations.individual,
            seen_revocations: p.revocations.seen,
            responder: p.responder,
            listen_addrs: p.listen_addrs,
            peers: HashMap::new(),
            members: BTreeMap::new(),
            banned: HashMap::new(),
            to_ban: HashMap::new(),
            pending: HashMap::new(),
            inbound: HashMap::new(),
            next_token: 0,
            answers_tx,
            answers_rx,
            dirty: true,
            dropped_events: 0,
            revocations_from: HashMap::new(),
        };
        el.sync_members();
        el
    }

    /// Run until shut down or every client is dropped.
    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ev = self.swarm.select_next_some() => self.on_swarm_event(ev),
                cmd = self.commands.recv() => match cmd {
                    None | Some(Command::Shutdown) => break,
                    Some(c) => self.on_command(c),
                },
                Some((token, resp)) = self.answers_rx.recv() => self.on_answer(token, resp),
                _ = tick.tick() => self.on_tick(),
            }
            if self.dirty {
                self.publish();
            }
        }
        tracing::info!(node = %self.me, "federation stopped");
        for (_, p) in self.pending.drain() {
            if let Pending::Search { peer, reply } = p {
                let _ = reply.try_send(PeerReply {
                    peer,
                    result: Err(PeerFailure::Unreachable(
                        "this node is shutting down".into(),
                    )),
                });
            }
        }
        self.mark_stopped();
    }

    fn emit(&mut self, ev: Event) {
        if self.events.try_send(ev).is_err() {
            self.dropped_events += 1;
            if self.dropped_events.is_power_of_two() {
                tracing::debug!(
                    dropped = self.dropped_events,
                    "federation events dropped (receiver lags or is gone)"
                );
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Search { sends, reply } => {
                for (peer, req) in sends {
                    let verified = self
                        .peers
                        .get(&peer)
                        .is_some_and(|p| p.phase == Phase::Verified);
                    if !verified {
                        let _ = reply.try_send(PeerReply {
                            peer,
                            result: Err(PeerFailure::Unreachable("not connected".into())),
                        });
                        continue;
                    }
                    let id = self.swarm.behaviour_mut().rr.send_request(&peer, req);
                    self.pending.insert(
                        id,
                        Pending::Search {
                            peer,
                            reply: reply.clone(),
                        },
                    );
                }
            }
            Command::Push { doc, reply } => {
                let r = self.apply_push(None, *doc);
                let _ = reply.send(r);
            }
            Command::Shutdown => {}
        }
    }

    fn on_answer(&mut self, token: u64, resp: Response) {
        let Some((peer, channel)) = self.inbound.remove(&token) else {
            return;
        };
        let status = match &resp {
            Response::Search(s) => format!("{:?}", s.body().status),
            Response::Error(e) => e.code.clone(),
            _ => "other".into(),
        };
        if self
            .swarm
            .behaviour_mut()
            .rr
            .send_response(channel, resp)
            .is_err()
        {
            tracing::debug!(%peer, "search answer not sent: the requester is gone");
        }
        if let Some(key) = identity::public_key(&peer) {
            self.emit(Event::SearchAnswered { peer: key, status });
        }
    }

    fn on_swarm_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address.clone());
                    self.dirty = true;
                }
                self.emit(Event::Listening { addr: address });
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| *a != address);
                self.dirty = true;
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => self.on_connected(peer_id, endpoint.is_dialer()),
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                ..
            } => {
                if num_established == 0 {
                    self.on_disconnected(peer_id);
                } else if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.connections = num_established;
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                if let Some(rec) = peer_id
                    .and_then(|p| identity::public_key(&p))
                    .and_then(|k| self.members.get_mut(&k))
                {
                    rec.dialing = false;
                    // A refusal says more than the failed redials that follow it.
                    if !rec
                        .last_error
                        .as_deref()
                        .is_some_and(|e| e.starts_with("refused"))
                    {
                        let mut text = error.to_string();
                        text.truncate(200);
                        rec.last_error = Some(text);
                    }
                    self.dirty = true;
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Rr(ev)) => self.on_rr(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    let mut agent = info.agent_version;
                    agent.truncate(100);
                    p.agent = Some(agent);
                }
            }
            _ => {}
        }
    }

    fn on_rr(&mut self, ev: request_response::Event<Request, Response>) {
        use request_response::{Event as E, Message};
        match ev {
            E::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                self.touch(&peer);
                self.on_request(peer, request, channel);
            }
            E::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                self.touch(&peer);
                match self.pending.remove(&request_id) {
                    Some(Pending::Hello(p)) => self.on_hello_response(p, response),
                    Some(Pending::Push(p)) => self.on_push_response(p, response),
                    Some(Pending::Pull(p)) => self.on_pull_response(p, response),
                    Some(Pending::Search { peer, reply }) => {
                        let _ = reply.try_send(PeerReply {
                            peer,
                            result: Ok(response),
                        });
                    }
                    None => {}
                }
            }
            E::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => match self.pending.remove(&request_id) {
                Some(Pending::Search { peer, reply }) => {
                    let failure = match error {
                        request_response::OutboundFailure::Timeout => PeerFailure::Timeout,
                        other => PeerFailure::Unreachable(other.to_string()),
                    };
                    let _ = reply.try_send(PeerReply {
                        peer,
                        result: Err(failure),
                    });
                }
                Some(Pending::Hello(p)) => {
                    if let Some(peer) = self.peers.get_mut(&p) {
                        peer.hello_in_flight = false;
                    }
                    tracing::debug!(%peer, "hello failed: {error}");
                }
                Some(Pending::Push(_) | Pending::Pull(_)) | None => {
                    tracing::debug!(%peer, "request failed: {error}");
                }
            },
            E::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "inbound request failed: {error}");
                self.ban_if_due(&peer);
            }
            // A refused peer is banned after a grace period (see `on_tick`), not here: closing
            // the connection now could cut the refusal before it reaches the peer.
            E::ResponseSent { .. } => {}
        }
    }

    fn on_request(&mut self, peer: PeerId, request: Request, channel: ResponseChannel<Response>) {
        let respond = |el: &mut Self, ch, resp| {
            if el.swarm.behaviour_mut().rr.send_response(ch, resp).is_err() {
                tracing::debug!(%peer, "response not sent: the peer is gone");
            }
        };
        match request {
            Request::Hello(h) => {
                let resp = self.on_hello_request(peer, h);
                respond(self, channel, resp);
            }
            Request::Push(doc) => {
                let ack = match self.apply_push(Some(peer), doc) {
                    Ok(applied) => protocol::wire::PushAck {
                        applied,
                        reason: None,
                    },
                    Err(FedError::Refused(r)) => protocol::wire::PushAck {
                        applied: false,
                        reason: Some(r.code().into()),
                    },
                    Err(e) => {
                        tracing::warn!(%peer, "push not applied: {e}");
                        protocol::wire::PushAck {
                            applied: false,
                            reason: Some("internal".into()),
                        }
                    }
                };
                respond(self, channel, Response::Push(ack));
            }
            Request::Pull(kind) => {
                let resp = self.on_pull_request(peer, kind);
                respond(self, channel, resp);
            }
            Request::Search(req) => {
                let id = req.id;
                let key = match self.peers.get(&peer) {
                    Some(p) if p.phase == Phase::Verified => p.key,
                    _ => None,
                };
                let Some(key) = key else {
                    let resp = wire_error(
                        Some(id),
                        "not_a_member",
                        "say hello first: only verified members may search",
                    );
                    respond(self, channel, resp);
                    return;
                };
                if self.inbound.len() >= self.config.max_concurrent_searches {
                    let resp = wire_error(
                        Some(id),
                        "overloaded",
                        "too many searches at once; try again",
                    );
                    respond(self, channel, resp);
                    return;
                }
                let token = self.next_token;
                self.next_token = self.next_token.wrapping_add(1);
                self.inbound.insert(token, (peer, channel));
                let responder = self.responder.clone();
                let tx = self.answers_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let resp = responder.answer(&key, &req, now_ms());
                    // Capacity equals the in-flight limit: this never waits.
                    let _ = tx.blocking_send((token, resp));
                });
            }
            Request::Content(c) => {
                let resp = wire_error(
                    Some(c.id),
                    "unsupported",
                    "content is served over streams, not request-response",
                );
                respond(self, channel, resp);
            }
            _ => {
                let resp = wire_error(None, "bad_request", "unknown request");
                respond(self, channel, resp);
            }
        }
    }

    fn touch(&mut self, peer: &PeerId) {
        if let Some(rec) = identity::public_key(peer).and_then(|k| self.members.get_mut(&k)) {
            rec.last_seen = Some(now_ms() / 1000);
            self.dirty = true;
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        // Lift expired bans.
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in expired {
            self.banned.remove(&p);
            self.swarm.behaviour_mut().block.unblock_peer(p);
        }
        // Bans whose refusal answer had its chance to leave.
        let due: Vec<PeerId> = self
            .to_ban
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in due {
            self.ban_now(p);
        }
        // Hello timeouts and heartbeats.
        let mut to_close = Vec::new();
        let mut to_hello = Vec::new();
        for (id, p) in &self.peers {
            match p.phase {
                Phase::Connected => {
                    if now.duration_since(p.connected_at) > self.config.hello_timeout {
                        to_close.push(*id);
                    }
                }
                Phase::Verified => {
                    // One side of each pair (the lower key) keeps the pair alive.
                    let lower = p.key.is_some_and(|k| self.me < k);
                    let due = p
                        .last_hello
                        .is_none_or(|t| now.duration_since(t) >= self.config.heartbeat);
                    if lower && due && !p.hello_in_flight {
                        to_hello.push(*id);
                    }
                }
            }
        }
        for id in to_close {
            tracing::info!(peer = %id, "no hello in time: disconnecting");
            let _ = self.swarm.disconnect_peer_id(id);
        }
        self.expire_memberships();
        for id in to_hello {
            self.send_hello(id);
        }
        // Redial members.
        let mut dials = Vec::new();
        for (key, rec) in &mut self.members {
            let peer = identity::peer_id(key);
            if *key == self.me || self.peers.contains_key(&peer) || rec.dialing {
                continue;
            }
            if rec.addrs.is_empty() || rec.next_dial > now || self.banned.contains_key(&peer) {
                continue;
            }
            rec.dialing = true;
            rec.next_dial = now + rec.backoff;
            rec.backoff = (rec.backoff * 2).min(self.config.redial_max);
            dials.push((peer, rec.addrs.clone()));
        }
        for (peer, addrs) in dials {
            let opts = DialOpts::peer_id(peer)
                .addresses(addrs)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%peer, "dial: {e}");
                if let Some(rec) =
                    identity::public_key(&peer).and_then(|k| self.members.get_mut(&k))
                {
                    rec.dialing = false;
                }
            }
        }
    }

    /// Rebuild the member records from the roster (keeping what is known of those still listed).
    fn sync_members(&mut self) {
        let now = Instant::now();
        let mut next = BTreeMap::new();
        for m in &self.roster.body().members {
            let addrs: Vec<Multiaddr> = m.addrs.iter().filter_map(|a| a.parse().ok()).collect();
            let rec = match self.members.remove(&m.node) {
                Some(mut r) => {
                    if r.addrs != addrs {
                        r.next_dial = now;
                        r.backoff = self.config.redial_min;
                    }
                    r.center = m.center.clone();
                    r.addrs = addrs;
                    r.addr_text = m.addrs.clone();
                    r
                }
                None => MemberRec {
                    center: m.center.clone(),
                    addrs,
                    addr_text: m.addrs.clone(),
                    last_seen: None,
                    last_error: None,
                    next_dial: now,
                    backoff: self.config.redial_min,
                    dialing: false,
                },
            };
            next.insert(m.node, rec);
        }
        self.members = next;
        // Verified peers the roster no longer lists are no longer members.
        let gone: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.phase == Phase::Verified)
            .filter(|(_, p)| p.key.is_none_or(|k| !self.members.contains_key(&k)))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            tracing::info!(peer = %id, "no longer in the roster: disconnecting");
            let _ = self.swarm.disconnect_peer_id(id);
        }
        self.dirty = true;
    }

    fn publish(&mut self) {
        self.dirty = false;
        let members = self
            .members
            .iter()
            .map(|(key, rec)| {
                let peer = self.peers.get(&identity::peer_id(key));
                let state = if *key == self.me {
                    MemberState::Local
                } else {
                    match peer.map(|p| p.phase) {
                        Some(Phase::Verified) => MemberState::Verified,
                        Some(Phase::Connected) => MemberState::Connecting,
                        None if rec.dialing => MemberState::Connecting,
                        None => MemberState::Disconnected,
                    }
                };
                MemberStatus {
                    node: *key,
                    center: rec.center.clone(),
                    addrs: rec.addr_text.clone(),
                    state,
                    last_seen: if *key == self.me {
                        Some(now_ms() / 1000)
                    } else {
                        rec.last_seen
                    },
                    last_error: rec.last_error.clone(),
                    agent: peer.and_then(|p| p.agent.clone()),
                }
            })
            .collect();
        let st = ConsortiumStatus {
            node: self.me,
            consortium: self.consortium,
            roster_serial: self.roster.body().serial,
            revocation_serial: self.list.as_ref().map(|l| l.body().serial),
            revocation_issued_at: self.list.as_ref().map(|l| l.body().issued_at),
            revocation_trusted_until: self.list.as_ref().and_then(|l| {
                l.body()
                    .trusted_until(self.config.policy.max_revocation_list_age)
            }),
            listen_addrs: self.listen_addrs.iter().map(ToString::to_string).collect(),
            connected_peers: self.peers.len(),
            running: true,
            members,
        };
        *self.status.write().unwrap_or_else(|e| e.into_inner()) = st;
    }

    fn mark_stopped(&mut self) {
        let mut st = self.status.write().unwrap_or_else(|e| e.into_inner());
        st.running = false;
        st.connected_peers = 0;
        for m in &mut st.members {
            if m.state != MemberState::Local {
                m.state = MemberState::Disconnected;
            }
        }
    }
}

fn wire_error(id: Option<u64>, code: &str, message: &str) -> Response {
    Response::Error(WireError {
        id,
        code: code.into(),
        message: message.into(),
    })
}
