//! Hello exchange, bans, and the spreading of rosters and revocations.

use std::time::Instant;

use libp2p::PeerId;
use protocol::verify::{accept_roster, check_listed, verify_membership, Refusal};
use protocol::wire::{DocKind, Hello, Push, Request, Response};

use super::{wire_error, EventLoop, Peer, Pending, Phase};
use crate::{identity, now_ms, state, Event, FedError};
use protocol::keys::PublicKey;

/// Most individual revocations taken from one member (by its key) while the node runs; past
/// that its pushes are refused (`too_many_revocations`) and the coordinator's list is the way.
pub(super) const MAX_REVOCATIONS_PER_PEER: usize = 1_000;

/// How long a refused peer's connection stays open for the refusal to reach it.
const REFUSAL_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether a refusal of a peer's hello earns a ban (a membership that can never be valid here),
/// rather than a plain refusal (a valid membership our roster does not list yet).
fn deserves_ban(r: &Refusal, listed_check: bool) -> bool {
    !(listed_check && matches!(r, Refusal::NotAMember { .. }))
}

impl EventLoop {
    pub(super) fn hello(&self) -> Hello {
        Hello {
            membership: self.membership.clone(),
            roster_serial: self.roster.body().serial,
            revocation_serial: self.list.as_ref().map_or(0, |l| l.body().serial),
            agent: self.config.agent.clone(),
        }
    }

    pub(super) fn on_connected(&mut self, peer: PeerId, dialer: bool) {
        if self.banned.contains_key(&peer) {
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        let key = identity::public_key(&peer);
        if let Some(rec) = key.and_then(|k| self.members.get_mut(&k)) {
            rec.dialing = false;
            rec.backoff = self.config.redial_min;
        }
        let p = self.peers.entry(peer).or_insert_with(|| Peer {
            key,
            connections: 0,
            phase: Phase::Connected,
            connected_at: Instant::now(),
            last_hello: None,
            hello_in_flight: false,
            membership: None,
            membership_expires: None,
            agent: None,
            last_pull: [None; 2],
        });
        p.connections += 1;
        if dialer && p.phase == Phase::Connected && !p.hello_in_flight {
            self.send_hello(peer);
        }
        self.dirty = true;
    }

    pub(super) fn on_disconnected(&mut self, peer: PeerId) {
        if let Some(p) = self.peers.remove(&peer) {
            if let Some(key) = p.key {
                if let Some(rec) = self.members.get_mut(&key) {
                    rec.next_dial = Instant::now() + rec.backoff;
                }
                if p.phase == Phase::Verified {
                    self.emit(Event::MemberDisconnected { peer: key });
                }
            }
        }
        self.dirty = true;
    }

    pub(super) fn send_hello(&mut self, peer: PeerId) {
        let hello = self.hello();
        let id = self
            .swarm
            .behaviour_mut()
            .rr
            .send_request(&peer, Request::Hello(hello));
        self.pending.insert(id, Pending::Hello(peer));
        if let Some(p) = self.peers.get_mut(&peer) {
            p.hello_in_flight = true;
            p.last_hello = Some(Instant::now());
        }
    }

    /// Check a peer's hello: `Err((refusal, ban))`.
    fn check_hello(&self, peer: &PeerId, h: &Hello) -> Result<(), (Refusal, bool)> {
        let claimed = h.membership.body().member;
        let Some(key) = identity::public_key(peer) else {
            let r = Refusal::NotAMember {
                node: claimed,
                consortium: h.membership.body().consortium,
            };
            return Err((r, true));
        };
        {
            let revocations = self
                .responder
                .revocations
                .read()
                .unwrap_or_else(|e| e.into_inner());
            verify_membership(
                &h.membership,
                &key,
                &[self.consortium],
                &revocations,
                &self.config.policy,
                now_ms() / 1000,
            )
            .map_err(|r| (r, true))?;
        }
        check_listed(self.roster.body(), &key).map_err(|r| {
            let ban = deserves_ban(&r, true) || h.roster_serial <= self.roster.body().serial;
            (r, ban)
        })
    }

    fn mark_verified(&mut self, peer: PeerId, h: &Hello) {
        let Some(key) = identity::public_key(&peer) else {
            return;
        };
        let newly = {
            let Some(p) = self.peers.get_mut(&peer) else {
                return;
            };
            let newly = p.phase != Phase::Verified;
            p.phase = Phase::Verified;
            p.membership = Some(h.membership.hash());
            p.membership_expires = Some(h.membership.body().expires);
            let mut agent = h.agent.clone();
            agent.truncate(100);
            p.agent = Some(agent);
            newly
        };
        if let Some(rec) = self.members.get_mut(&key) {
            rec.last_error = None;
            rec.last_seen = Some(now_ms() / 1000);
        }
        self.dirty = true;
        if newly {
            tracing::info!(%peer, center = %h.membership.body().center, "member verified");
            self.emit(Event::MemberVerified {
                peer: key,
                center: h.membership.body().center.clone(),
            });
        }
        // Bring the peer up to date (what does not fit in a request it pulls), and pull what
        // it holds newer.
        if h.roster_serial < self.roster.body().serial {
            self.push_if_it_fits(peer, Push::Roster(self.roster.clone()));
        }
        if let Some(list) = &self.list {
            if h.revocation_serial < list.body().serial {
                let doc = Push::RevocationList(list.clone());
                self.push_if_it_fits(peer, doc);
            }
        }
        if h.roster_serial > self.roster.body().serial {
            self.send_pull(peer, DocKind::Roster);
        }
        if h.revocation_serial > self.list.as_ref().map_or(0, |l| l.body().serial) {
            self.send_pull(peer, DocKind::RevocationList);
        }
    }

    fn refuse(&mut self, peer: PeerId, refusal: &Refusal, ban: bool, later: bool) {
        tracing::warn!(%peer, code = refusal.code(), ban, "peer refused: {refusal}");
        if let Some(rec) = identity::public_key(&peer).and_then(|k| self.members.get_mut(&k)) {
            rec.last_error = Some(format!("refused by this node: {}", refusal.code()));
            self.dirty = true;
        }
        self.emit(Event::MemberRefused {
            peer: peer.to_base58(),
            code: refusal.code().to_string(),
        });
        if ban {
            if later {
                self.to_ban.insert(peer, Instant::now() + REFUSAL_GRACE);
            } else {
                self.ban_now(peer);
            }
        }
    }

    pub(super) fn ban_now(&mut self, peer: PeerId) {
        self.to_ban.remove(&peer);
        self.banned.insert(peer, Instant::now() + self.config.ban);
        // Blocking closes its connections and refuses new ones until unblocked.
        self.swarm.behaviour_mut().block.block_peer(peer);
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    pub(super) fn ban_if_due(&mut self, peer: &PeerId) {
        if self.to_ban.contains_key(peer) {
            self.ban_now(*peer);
        }
    }

    pub(super) fn on_hello_request(&mut self, peer: PeerId, h: Hello) -> Response {
        match self.check_hello(&peer, &h) {
            Ok(()) => {
                self.mark_verified(peer, &h);
                Response::Hello(self.hello())
            }
            Err((refusal, ban)) => {
                self.refuse(peer, &refusal, ban, true);
                Response::Error(protocol::wire::WireError::refused(None, &refusal))
            }
        }
    }

    pub(super) fn on_hello_response(&mut self, peer: PeerId, response: Response) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.hello_in_flight = false;
        }
        match response {
            Response::Hello(h) => match self.check_hello(&peer, &h) {
                Ok(()) => self.mark_verified(peer, &h),
                Err((refusal, ban)) => {
                    self.refuse(peer, &refusal, ban, false);
                    if !ban {
                        let _ = self.swarm.disconnect_peer_id(peer);
                    }
                }
            },
            Response::Error(e) => {
                tracing::warn!(%peer, code = %e.code, "our hello was refused: {}", e.message);
                if let Some(rec) =
                    identity::public_key(&peer).and_then(|k| self.members.get_mut(&k))
                {
                    let mut code = e.code.clone();
                    code.truncate(64);
                    rec.last_error = Some(format!("refused us: {code}"));
                    self.dirty = true;
                }
                if e.code == "not_a_member" {
                    // Its roster may be older than ours: offer ours, then say hello again.
                    self.send_push(peer, Push::Roster(self.roster.clone()));
                }
            }
            _ => {
                tracing::warn!(%peer, "unexpected answer to hello");
            }
        }
    }

    pub(super) fn on_push_response(&mut self, peer: PeerId, response: Response) {
        if let Response::Push(ack) = response {
            let unverified = self
                .peers
                .get(&peer)
                .is_some_and(|p| p.phase != Phase::Verified && !p.hello_in_flight);
            if ack.applied && unverified {
                self.send_hello(peer);
            }
        }
    }

    pub(super) fn send_push(&mut self, peer: PeerId, doc: Push) {
        let id = self
            .swarm
            .behaviour_mut()
            .rr
            .send_request(&peer, Request::Push(doc));
        self.pending.insert(id, Pending::Push(peer));
    }

    /// Push to every verified member except `except`.
    fn spread(&mut self, doc: &Push, except: Option<PeerId>) {
        let targets: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(id, p)| p.phase == Phase::Verified && Some(**id) != except)
            .map(|(id, _)| *id)
            .collect();
        // A document too large for a request frame: a hello tells each member its serial, and
        // they pull it in a response.
        let fits = fits_in_a_request(doc);
        for t in targets {
            if fits {
                self.send_push(t, doc.clone());
            } else {
                self.send_hello(t);
            }
        }
    }

    /// Push `doc` to `peer` when it fits in a request frame; else the peer pulls it (it has
    /// our serial from the hello).
    fn push_if_it_fits(&mut self, peer: PeerId, doc: Push) {
        if fits_in_a_request(&doc) {
            self.send_push(peer, doc);
        }
    }

    pub(super) fn send_pull(&mut self, peer: PeerId, kind: DocKind) {
        let id = self
            .swarm
            .behaviour_mut()
            .rr
            .send_request(&peer, Request::Pull(kind));
        self.pending.insert(id, Pending::Pull(peer));
    }

    /// A verified member asks for our roster or revocation list.
    pub(super) fn on_pull_request(&mut self, peer: PeerId, kind: DocKind) -> Response {
        let Some(p) = self
            .peers
            .get_mut(&peer)
            .filter(|p| p.phase == Phase::Verified)
        else {
            return wire_error(
                None,
                "not_a_member",
                "say hello first: only verified members may pull",
            );
        };
        let last = &mut p.last_pull[kind as usize];
        if last.is_some_and(|t| t.elapsed() < super::PULL_INTERVAL) {
            return wire_error(
                None,
                "busy",
                "one pull of each document per peer every 10 seconds",
            );
        }
        *last = Some(Instant::now());
        match kind {
            DocKind::Roster => Response::Document(Push::Roster(self.roster.clone())),
            DocKind::RevocationList => match &self.list {
                Some(l) => Response::Document(Push::RevocationList(l.clone())),
                None => wire_error(None, "not_found", "this node holds no revocation list"),
            },
        }
    }

    /// A pulled document: applied as a push from `peer` would be (signature, consortium,
    /// serial checked), then spread.
    pub(super) fn on_pull_response(&mut self, peer: PeerId, response: Response) {
        match response {
            Response::Document(doc @ (Push::Roster(_) | Push::RevocationList(_))) => {
                match self.apply_push(Some(peer), doc) {
                    Ok(applied) => tracing::debug!(%peer, applied, "pulled document"),
                    Err(e) => tracing::warn!(%peer, "pulled document refused: {e}"),
                }
            }
            other => tracing::debug!(%peer, "pull not answered with a document: {other:?}"),
        }
    }

    /// Verified members whose membership has ended lose their standing now, on this side's own
    /// clock (whether or not they still send hellos): refused as `expired` and disconnected,
    /// not banned, so that a renewed membership is verified again at its next connection.
    pub(super) fn expire_memberships(&mut self) {
        let now = now_ms() / 1000;
        let ended: Vec<(PeerId, Option<PublicKey>)> = self
            .peers
            .iter()
            .filter(|(_, p)| p.phase == Phase::Verified)
            .filter(|(_, p)| p.membership_expires.is_some_and(|e| e <= now))
            .map(|(id, p)| (*id, p.key))
            .collect();
        for (id, key) in ended {
            tracing::warn!(peer = %id, "membership expired: disconnecting");
            if let Some(p) = self.peers.get_mut(&id) {
                p.phase = Phase::Connected;
                p.membership = None;
                p.membership_expires = None;
            }
            if let Some(rec) = key.and_then(|k| self.members.get_mut(&k)) {
                rec.last_error = Some("membership expired".into());
                self.dirty = true;
            }
            self.emit(Event::MemberRefused {
                peer: id.to_base58(),
                code: "expired".into(),
            });
            let _ = self.swarm.disconnect_peer_id(id);
        }
    }

    /// Disconnect (and ban) verified members whose membership is now revoked.
    fn recheck_memberships(&mut self) {
        let revoked: Vec<PeerId> = {
            let revocations = self
                .responder
                .revocations
                .read()
                .unwrap_or_else(|e| e.into_inner());
            self.peers
                .iter()
                .filter(|(_, p)| {
                    p.membership
                        .is_some_and(|h| revocations.is_revoked(&h, [&self.consortium]))
                })
                .map(|(id, _)| *id)
                .collect()
        };
        for id in revoked {
            tracing::warn!(peer = %id, "membership revoked: disconnecting");
            self.ban_now(id);
        }
    }

    /// The member key of `peer` if it may push one more individual revocation: a verified
    /// member under its quota.
    fn revocation_sender(&self, peer: PeerId, claimed: PublicKey) -> Result<PublicKey, FedError> {
        let key = match self.peers.get(&peer) {
            Some(p) if p.phase == Phase::Verified => p.key,
            _ => None,
        };
        let key = key.ok_or(FedError::Refused(Refusal::NotAMember {
            node: self.peers.get(&peer).and_then(|p| p.key).unwrap_or(claimed),
            consortium: self.consortium,
        }))?;
        if self.revocations_from.get(&key).copied().unwrap_or(0) >= MAX_REVOCATIONS_PER_PEER {
            return Err(FedError::Refused(Refusal::TooManyRevocations {
                max: MAX_REVOCATIONS_PER_PEER,
            }));
        }
        Ok(key)
    }

    /// Apply a roster, revocation list or revocation (from a peer, or local when `from` is
    /// `None`); `Ok(false)` when already known.
    pub(super) fn apply_push(&mut self, from: Option<PeerId>, doc: Push) -> Result<bool, FedError> {
        match &doc {
            Push::Roster(r) => {
                if let Err(refusal) = accept_roster(r, Some(self.roster.body()), &self.consortium) {
                    return match refusal {
                        Refusal::NotNewer { .. } => Ok(false),
                        other => Err(other.into()),
                    };
                }
                state::store_roster(&self.home, r)?;
                self.roster = r.clone();
                tracing::info!(serial = r.body().serial, "roster updated");
                self.sync_members();
                self.emit(Event::RosterUpdated {
                    serial: r.body().serial,
                });
            }
            Push::RevocationList(l) => {
                let applied = self
                    .responder
                    .revocations
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .apply_list(l, &self.consortium);
                if let Err(refusal) = applied {
                    return match refusal {
                        Refusal::NotNewer { .. } => Ok(false),
                        other => Err(other.into()),
                    };
                }
                state::store_revocation_list(&self.home, l)?;
                self.list = Some(l.clone());
                {
                    let revs = self
                        .responder
                        .revocations
                        .read()
                        .unwrap_or_else(|e| e.into_inner());
                    self.individual.retain(|r| !revs.listed(&r.body().grant));
                    if let Err(e) = state::prune_superseded(&self.home, &revs) {
                        tracing::warn!("superseded revocations not removed: {e}");
                    }
                }
                tracing::info!(serial = l.body().serial, "revocation list updated");
                self.recheck_memberships();
                self.emit(Event::RevocationsUpdated {
                    list_serial: Some(l.body().serial),
                });
            }
            Push::Revocation(rev) => {
                if self.seen_revocations.contains(&rev.hash()) {
                    return Ok(false);
                }
                let sender = match from {
                    None => None,
                    Some(peer) => Some(self.revocation_sender(peer, rev.body().issuer)?),
                };
                {
                    let mut revs = self
                        .responder
                        .revocations
                        .write()
                        .unwrap_or_else(|e| e.into_inner());
                    if revs.listed(&rev.body().grant) {
                        self.seen_revocations.insert(rev.hash());
                        return Ok(false);
                    }
                    match sender {
                        None => revs.apply_revocation(rev)?,
                        Some(_) => revs.apply_peer_revocation(rev)?,
                    }
                }
                if let Some(key) = sender {
                    *self.revocations_from.entry(key).or_default() += 1;
                }
                state::store_revocation(&self.home, rev)?;
                self.seen_revocations.insert(rev.hash());
                self.individual.push(rev.clone());
                tracing::info!(grant = %rev.body().grant, "revocation applied");
                self.recheck_memberships();
                self.emit(Event::RevocationsUpdated { list_serial: None });
            }
            _ => {
                return Err(FedError::Query("unknown document".into()));
            }
        }
        self.dirty = true;
        self.spread(&doc, from);
        Ok(true)
    }
}

/// Whether `doc` fits in a request frame (pushes are requests; pulls are answered in responses,
/// which may be larger).
fn fits_in_a_request(doc: &Push) -> bool {
    protocol::wire::encode_request(&Request::Push(doc.clone()))
        .is_ok_and(|b| b.len() + 4 <= protocol::wire::MAX_REQUEST_BYTES)
}
