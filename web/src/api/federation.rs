//! The consortium from the HTTP side: `GET /search?scope=federated` (see [`federated`]),
//! `GET /consortium`, `POST /fetch` and `GET /blobs/{id}`. They need the node to run its
//! federation (`neurofed serve --p2p`); otherwise they answer `503 federation_off`.
//!
//! A caller presents to the members the grants kept on this node for their own key (a local
//! user with a key, `neurofed keys`/`neurofed grant add`) and those given to this node as a
//! whole; the members check them, this node does not widen them.

use std::io::Read;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use federation::{Authorization, Client};
use node::read_manifest;
use node::Right;
use node::{AuditAction, NewEvent};
use protocol::grant::{Revocation, RevocationList, Roster};
use protocol::query::SearchQuery;
use protocol::signed::Signed;
use protocol::ContentId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::summary;
use super::results::{ConsortiumBody, FederatedBody};
use super::{JsonBody, PathParams, QueryParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

fn federation(st: &AppState) -> ApiResult<Client> {
    st.federation.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "federation_off",
            "this node does not run its federation (start it with `neurofed serve --p2p ADDR` after `neurofed consortium join`)",
        )
    })
}

/// The grants `auth`'s user may present: their own (when they have a key on this node) and the
/// node's.
/// The grants `auth` invokes: its own (a user key with grants of its own), and the node's only
/// for an account that a local right allows to act for the center (a node administrator, or an
/// account holding an unexpired right on one of this node's studies): an account with no role
/// here does not get the center's grants.
fn authorization(st: &AppState, auth: &Auth) -> ApiResult<Authorization> {
    let home = &st.node.home;
    let node = if may_use_node_grants(st, auth)? {
        Authorization::for_node(home).map_err(ApiError::internal)?
    } else {
        Authorization::none()
    };
    let user_key = home
        .user_key_path(auth.who())
        .map(|p| p.is_file())
        .unwrap_or(false);
    if !user_key {
        return Ok(node);
    }
    let user = Authorization::for_user(home, auth.who()).map_err(ApiError::internal)?;
    Ok(user.merged(node))
}

/// Whether `auth` may invoke the grants held by the node (see [`authorization`]).
fn may_use_node_grants(st: &AppState, auth: &Auth) -> ApiResult<bool> {
    if auth.user.disabled {
        return Ok(false);
    }
    if auth.user.role == node::Role::Admin {
        return Ok(true);
    }
    let today = node::today();
    Ok(st
        .access()
        .rights()
        .of_user(auth.user.id)?
        .iter()
        .any(|r| !r.rights.is_empty() && r.until.is_none_or(|u| u >= today)))
}

/// Run `query` on every member and here, merged. Audited here (structure and coverage).
pub(crate) async fn federated(
    st: AppState,
    auth: Auth,
    query: SearchQuery,
) -> ApiResult<Json<FederatedBody>> {
    let client = federation(&st)?;
    let (scope, pending, fed_auth) = {
        let st = st.clone();
        let auth = auth.clone();
        blocking(move || {
            let (scope, pending) =
                st.access()
                    .scope_with_pending(&auth.principal(), Right::See, now())?;
            Ok((scope, pending, authorization(&st, &auth)?))
        })
        .await?
    };
    let r = client
        .search(query.clone(), &fed_auth, Some(scope))
        .await
        .map_err(ApiError::internal)?;
    let detail = format!(
        "federated {} coverage={}/{}",
        summary(&query, r.results.total),
        r.coverage.answered,
        r.coverage.members
    );
    let who = auth.who().to_string();
    blocking(move || {
        st.node
            .catalog
            .audit()
            .append_lazy(NewEvent::new(&who, AuditAction::Search, now()).detail(detail))?;
        Ok(())
    })
    .await?;
    Ok(Json(FederatedBody::new(r, &pending)))
}

/// The consortium as this node sees it: members, their state, when last seen, roster and
/// revocation list versions.
#[utoipa::path(get, path = "/api/v1/consortium", operation_id = "consortium_status", tag = "federation",
    responses(
        (status = 200, description = "Members and their status", body = ConsortiumBody),
        (status = 401, body = ErrorBody),
        (status = 503, description = "The node does not run its federation", body = ErrorBody),
    ))]
pub(crate) async fn consortium(
    State(st): State<AppState>,
    _auth: Auth,
) -> ApiResult<Json<ConsortiumBody>> {
    Ok(Json(federation(&st)?.status().into()))
}

/// What `POST /fetch` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchBody {
    /// The dataset's content id (64 hex digits), from a federated search hit.
    pub content_id: String,
}

/// One file of a fetched dataset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FetchedFile {
    /// Where to write it (relative).
    pub path: String,
    /// Its blob, for `GET /blobs/{content}?dataset=`.
    pub content: String,
    /// Bytes.
    pub size: u64,
}

/// What `POST /fetch` did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FetchedBody {
    /// The dataset.
    pub content_id: String,
    /// The member that owns it (PeerId).
    pub origin: String,
    /// The grant it was downloaded under.
    pub grant: Option<String>,
    /// Instances.
    pub instances: u64,
    /// Instance bytes.
    pub bytes: u64,
    /// Bytes received now (0 when it was here already).
    pub bytes_fetched: u64,
    /// Bytes found in partial files of an earlier, interrupted fetch.
    pub bytes_resumed: u64,
    /// Its files, in instance order.
    pub files: Vec<FetchedFile>,
}

/// A content id: exactly 64 lower-case hex digits (as the API writes them), else `invalid_id`.
fn parse_content(s: &str) -> ApiResult<ContentId> {
    super::parse_id(s).map_err(|_| {
        ApiError::invalid_id(format!(
            "{:?} is not a content id (64 lower-case hex digits)",
            super::clip(s, 80)
        ))
    })
}

/// Fetch a dataset of another member into this node's store, verified as it streams, from the
/// members whose hits named it, with the caller's download grant for it; resumed if an earlier
/// fetch was interrupted. The dataset is kept with its provenance, never indexed as local data.
#[utoipa::path(post, path = "/api/v1/fetch", operation_id = "fetch_dataset", tag = "federation",
    request_body = FetchBody,
    responses(
        (status = 200, body = FetchedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No connected member holds it, or no download grant for one that does", body = ErrorBody),
        (status = 409, description = "A dataset of this node (download it through the local rights)", body = ErrorBody),
        (status = 502, description = "The members could not deliver it (the message says why)", body = ErrorBody),
        (status = 503, description = "The node does not run its federation", body = ErrorBody),
    ))]
pub(crate) async fn fetch(
    State(st): State<AppState>,
    auth: Auth,
    JsonBody(body): JsonBody<FetchBody>,
) -> ApiResult<Json<FetchedBody>> {
    let content = parse_content(&body.content_id)?;
    // A dataset of this node is downloaded through the local rights, never fetched into it
    // (checked before anything else, federation or not).
    let local = {
        let st = st.clone();
        blocking(move || {
            st.node
                .catalog
                .dataset_by_content(&content)
                .map_err(ApiError::internal)
        })
        .await?
    };
    if local.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "local_dataset",
            format!("{content} is a dataset of this node: download it through the local rights (/api/v1/download), not a fetch"),
        ));
    }
    let client = federation(&st)?;
    let fed_auth = {
        let st = st.clone();
        let auth = auth.clone();
        blocking(move || authorization(&st, &auth)).await?
    };
    let report = federation::content::fetch_dataset(
        &client,
        &st.node,
        content,
        fed_auth,
        &federation::transfer::FetchOptions::default(),
    )
    .await
    .map_err(|e| match e {
        federation::content::ContentError::NoProvider { .. } => ApiError::not_found(e.to_string()),
        federation::content::ContentError::Local { .. } => {
            ApiError::new(StatusCode::CONFLICT, "local_dataset", e.to_string())
        }
        federation::content::ContentError::Dataset(d) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "fetch_failed", d.to_string())
        }
        other => ApiError::internal(other),
    })?;
    let who = auth.who().to_string();
    blocking(move || {
        let d = &report.dataset;
        let manifest = read_manifest(&st.node.store, &content).map_err(ApiError::internal)?;
        st.node.catalog.audit().append_lazy(
            NewEvent::new(&who, AuditAction::Download, now()).detail(format!(
                "fetched dataset {content} ({} instances, {} bytes) from node {}{}",
                d.instances,
                d.bytes,
                d.origin.to_peer_id(),
                d.grant
                    .map(|g| format!(" under grant {g}"))
                    .unwrap_or_default()
            )),
        )?;
        let files = manifest
            .instances
            .iter()
            .enumerate()
            .map(|(i, e)| FetchedFile {
                path: format!("{}/IM{:05}.dcm", content.short(16), i + 1),
                content: e.content.to_hex(),
                size: e.size,
            })
            .collect();
        Ok(Json(FetchedBody {
            content_id: content.to_hex(),
            origin: d.origin.to_peer_id(),
            grant: d.grant.map(|g| g.to_string()),
            instances: d.instances,
            bytes: d.bytes,
            bytes_fetched: report.manifest.bytes_fetched + report.instances.bytes_fetched,
            bytes_resumed: report.manifest.bytes_resumed + report.instances.bytes_resumed,
            files,
        }))
    })
    .await
}

/// Bytes read per chunk of a blob response.
const BLOB_CHUNK: usize = 256 * 1024;

/// One file of a fetched dataset, streamed. Allowed while the caller holds a download grant
/// from the dataset's origin; audited.
#[utoipa::path(get, path = "/api/v1/blobs/{id}", operation_id = "get_fetched_blob", tag = "federation",
    params(
        ("id" = String, Path, description = "The blob's content id"),
        ("dataset" = String, Query, description = "The fetched dataset it belongs to (its content id)"),
    ),
    responses(
        (status = 200, description = "The file, streamed", content_type = "application/octet-stream", body = inline(crate::openapi::Binary)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No download grant from the dataset's origin", body = ErrorBody),
        (status = 404, description = "Not a fetched dataset, or the blob is not one of its files", body = ErrorBody),
    ))]
pub(crate) async fn blob(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    q.allow(&["dataset"])?;
    let blob = parse_content(path.get(0)?)?;
    let dataset = parse_content(
        q.one("dataset")?
            .ok_or_else(|| ApiError::bad_request("query parameter \"dataset\" is required"))?,
    )?;
    let (file, size) = blocking(move || {
        // A dataset of this node is downloaded through the local rights, never as a copy.
        if st
            .node
            .catalog
            .dataset_by_content(&dataset)
            .map_err(ApiError::internal)?
            .is_some()
        {
            return Err(ApiError::forbidden(format!(
                "{dataset} is a dataset of this node: download it through /api/v1/download"
            )));
        }
        let fetched = st
            .node
            .catalog
            .fetched()
            .get(&dataset)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found(format!("{dataset} is not a fetched dataset")))?;
        let grants = authorization(&st, &auth)?;
        let chain = grants
            .copy_chain_for(
                &st.node.home,
                &fetched.origin,
                fetched.study.as_ref(),
                now(),
            )
            .map_err(|e| {
                ApiError::forbidden(format!(
                    "reading this copy of a dataset of {}: {e}",
                    fetched.origin.to_peer_id()
                ))
            })?;
        let grant = chain.leaf().map(|l| l.hash());
        let manifest = read_manifest(&st.node.store, &dataset).map_err(ApiError::internal)?;
        let entry = manifest
            .instances
            .iter()
            .find(|e| e.content == blob)
            .ok_or_else(|| ApiError::not_found(format!("{blob} is not a file of {dataset}")))?;
        let file = st.node.store.open_blob(&blob).map_err(ApiError::internal)?;
        st.node.catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::Download, now()).detail(format!(
                "read blob {blob} of fetched dataset {dataset}{}",
                grant
                    .map(|g| format!(" under grant {g}"))
                    .unwrap_or_default()
            )),
        )?;
        Ok((file, entry.size))
    })
    .await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        loop {
            let mut buf = vec![0u8; BLOB_CHUNK];
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        body,
    )
        .into_response())
}

/// What `POST /consortium/push` did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PushedBody {
    /// `roster`, `revocation_list` or `revocation`.
    pub kind: &'static str,
    /// Whether it was newer and is now applied here (and spreading); `false`: already held.
    pub applied: bool,
}

/// Apply a newer signed roster, revocation list or revocation here and spread it to every
/// member. Admins only. The body is the document's CBOR bytes, as the CLI writes them.
#[utoipa::path(post, path = "/api/v1/consortium/push", operation_id = "consortium_push", tag = "federation",
    request_body(content = inline(crate::openapi::Binary), content_type = "application/cbor", description = "A signed roster, revocation list or revocation: the document's CBOR bytes as `neurofed consortium roster|revocations|revoke` write them (a `Signed<Roster>`, `Signed<RevocationList>` or `Signed<Revocation>` of docs/protocol.md). The kind is recognized from the bytes."),
    responses(
        (status = 200, body = PushedBody),
        (status = 400, description = "Not such a document, or refused (bad signature, other consortium)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, description = "The node does not run its federation", body = ErrorBody),
    ))]
pub(crate) async fn push(
    State(st): State<AppState>,
    auth: Auth,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<PushedBody>> {
    auth.require_admin()?;
    let client = federation(&st)?;
    let body = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let refused = |e: federation::FedError| ApiError::bad_request(format!("refused: {e}"));
    let (kind, applied) = if let Ok(r) = Signed::<Roster>::from_bytes(&body) {
        ("roster", client.push_roster(r).await.map_err(refused)?)
    } else if let Ok(l) = Signed::<RevocationList>::from_bytes(&body) {
        (
            "revocation_list",
            client.push_revocation_list(l).await.map_err(refused)?,
        )
    } else if let Ok(r) = Signed::<Revocation>::from_bytes(&body) {
        (
            "revocation",
            client.push_revocation(r).await.map_err(refused)?,
        )
    } else {
        return Err(ApiError::bad_request(
            "the body is not a signed roster, revocation list or revocation",
        ));
    };
    tracing::info!(
        who = auth.who(),
        kind,
        applied,
        "consortium document pushed"
    );
    Ok(Json(PushedBody { kind, applied }))
}
