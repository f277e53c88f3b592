//! The asking side of a federated search: plan, send to every verified member at once with one
//! deadline, run the local part in parallel, check every answer (signature, signer, request id,
//! query digest), merge, and report each node.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use node::AccessScope;
use protocol::keys::PublicKey;
use protocol::query::{SearchQuery, SearchResults};
use protocol::wire::{NodeStatus, Request, Response, SearchRequest, SearchResponse};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::event_loop::{Command, PeerFailure};
use crate::merge::{self, NodeResults};
use crate::results::{Coverage, FederatedResults, NodeOutcome, NodeReport};
use crate::status::MemberState;
use crate::{identity, now_ms, Authorization, Client, FedError};

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Request ids: unique within this process, not predictable across restarts.
/// The next request id of this process (searches and content requests): one counter started
/// at a time-derived seed, so ids do not repeat within a process nor, likely, across restarts
/// (members refuse a requester's id seen within its deadline as a replay).
pub(crate) fn next_id() -> u64 {
    if NEXT_ID.load(Ordering::Relaxed) == 0 {
        let seed = now_ms().wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let _ = NEXT_ID.compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
    }
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Refusal codes a member may answer with as a wire error rather than a signed denial.
fn is_failure_code(code: &str) -> bool {
    matches!(
        code,
        "internal" | "overloaded" | "bad_request" | "deadline_passed" | "unsupported"
    )
}

/// Check a member's answer to request `id` for `digest`.
pub(crate) fn check_answer(
    resp: Response,
    peer: &PublicKey,
    id: u64,
    digest: &[u8; 32],
) -> Result<SearchResults, NodeOutcome> {
    let err = |m: &str| NodeOutcome::Error {
        message: m.to_string(),
    };
    match resp {
        Response::Search(signed) => {
            let b = signed.body();
            if b.node != *peer {
                return Err(err("the answer is signed by another node"));
            }
            if signed.verify_signature().is_err() {
                return Err(err("the answer's signature does not verify"));
            }
            if b.request != id || b.query_digest != *digest {
                return Err(err("the answer is for another request"));
            }
            match &b.status {
                NodeStatus::Ok => b
                    .results
                    .clone()
                    .ok_or_else(|| err("an answer without results")),
                NodeStatus::Denied(code) => Err(NodeOutcome::Denied { code: code.clone() }),
                NodeStatus::Timeout => Err(NodeOutcome::Timeout),
                NodeStatus::Error(m) => Err(NodeOutcome::Error { message: m.clone() }),
                _ => Err(err("an answer with an unknown status")),
            }
        }
        Response::Error(e) if is_failure_code(&e.code) => Err(NodeOutcome::Error {
            message: format!("{}: {}", e.code, e.message),
        }),
        Response::Error(e) => Err(NodeOutcome::Denied { code: e.code }),
        _ => Err(err("an unexpected answer")),
    }
}

fn report(node: PublicKey, center: &str, local: bool, outcome: NodeOutcome) -> NodeReport {
    NodeReport {
        node,
        center: center.to_string(),
        local,
        outcome,
        latency_ms: None,
        hits: 0,
        total: None,
    }
}

pub(crate) async fn run(
    client: &Client,
    query: SearchQuery,
    auth: &Authorization,
    local_scope: Option<AccessScope>,
    deadline: Duration,
) -> Result<FederatedResults, FedError> {
    query
        .validate()
        .map_err(|e| FedError::Query(e.to_string()))?;
    let planned = merge::plan(&query).map_err(|e| FedError::Query(e.to_string()))?;
    let started = Instant::now();
    let deadline_at = started + deadline;
    let deadline_ms = now_ms().saturating_add(deadline.as_millis() as u64);
    let digest = SearchResponse::digest_query(&planned)?;
    let status = client.status();
    let me = client.node();

    // The local part, in parallel with everything else.
    let local = local_scope.map(|scope| {
        let backend = client.inner.backend.clone();
        let q = planned.clone();
        tokio::task::spawn_blocking(move || backend.search(&q, &scope))
    });

    let mut reports: HashMap<PublicKey, NodeReport> = HashMap::new();
    let mut sends = Vec::new();
    let mut expected: HashMap<libp2p::PeerId, (PublicKey, u64)> = HashMap::new();
    for m in &status.members {
        if m.node == me {
            continue;
        }
        let mut req = SearchRequest {
            id: next_id(),
            query: planned.clone(),
            auth: None,
            deadline_ms,
        };
        let Some(a) = auth.authorize(&req, &m.node)? else {
            let code = "no_grant".to_string();
            reports.insert(
                m.node,
                report(m.node, &m.center, false, NodeOutcome::Denied { code }),
            );
            continue;
        };
        req.auth = Some(a);
        if m.state != MemberState::Verified {
            let reason = m
                .last_error
                .clone()
                .unwrap_or_else(|| "not connected".into());
            reports.insert(
                m.node,
                report(
                    m.node,
                    &m.center,
                    false,
                    NodeOutcome::Unreachable { reason },
                ),
            );
            continue;
        }
        let peer = identity::peer_id(&m.node);
        expected.insert(peer, (m.node, req.id));
        reports.insert(
            m.node,
            report(m.node, &m.center, false, NodeOutcome::Timeout),
        );
        sends.push((peer, Request::Search(req)));
    }

    let mut parts: Vec<NodeResults> = Vec::new();
    let mut waiting = sends.len();
    if waiting > 0 {
        let (tx, mut rx) = mpsc::channel(waiting);
        client.send(Command::Search { sends, reply: tx }).await?;
        while waiting > 0 {
            let reply = match tokio::time::timeout_at(deadline_at, rx.recv()).await {
                Ok(Some(r)) => r,
                Ok(None) | Err(_) => break,
            };
            let Some((key, id)) = expected.remove(&reply.peer) else {
                continue;
            };
            waiting -= 1;
            let latency = started.elapsed().as_millis() as u64;
            let Some(rep) = reports.get_mut(&key) else {
                continue;
            };
            rep.latency_ms = Some(latency);
            match reply.result {
                Ok(resp) => match check_answer(resp, &key, id, &digest) {
                    Ok(results) => {
                        rep.outcome = NodeOutcome::Ok;
                        rep.hits = results.hits.len();
                        rep.total = Some(results.total);
                        parts.push(NodeResults { node: key, results });
                    }
                    Err(outcome) => rep.outcome = outcome,
                },
                Err(PeerFailure::Timeout) => rep.outcome = NodeOutcome::Timeout,
                Err(PeerFailure::Unreachable(reason)) => {
                    rep.outcome = NodeOutcome::Unreachable { reason }
                }
            }
        }
        // Whoever has not answered keeps `timeout` and no latency.
    }

    let my_center = status
        .members
        .iter()
        .find(|m| m.node == me)
        .map(|m| m.center.clone())
        .unwrap_or_else(|| client.inner.backend.center());
    if let Some(handle) = local {
        let mut rep = report(me, &my_center, true, NodeOutcome::Timeout);
        match tokio::time::timeout_at(deadline_at, handle).await {
            Ok(Ok(Ok(results))) => {
                rep.outcome = NodeOutcome::Ok;
                rep.latency_ms = Some(started.elapsed().as_millis() as u64);
                rep.hits = results.hits.len();
                rep.total = Some(results.total);
                parts.push(NodeResults { node: me, results });
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!("local search failed: {e}");
                rep.outcome = NodeOutcome::Error { message: e };
            }
            Ok(Err(e)) => {
                rep.outcome = NodeOutcome::Error {
                    message: format!("local search: {e}"),
                }
            }
            Err(_) => {}
        }
        reports.insert(me, rep);
    }

    let results = merge::merge(&query, &parts);
    client.remember_providers(&results.hits);
    let mut nodes: Vec<NodeReport> = reports.into_values().collect();
    nodes.sort_by(|a, b| b.local.cmp(&a.local).then_with(|| a.node.cmp(&b.node)));
    let coverage = Coverage {
        answered: nodes
            .iter()
            .filter(|n| n.outcome == NodeOutcome::Ok)
            .count(),
        members: status.members.len(),
    };
    Ok(FederatedResults {
        results,
        nodes,
        coverage,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
