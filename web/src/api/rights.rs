//! Per-study rights, access requests and data-use agreements. The access module decides who may
//! change what (study administrators and admins) and writes every change's audit record in the
//! same transaction; these handlers translate JSON in and out.

use std::collections::HashMap;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use node::{
    parse_date, AccessRequest, Agreement, Decision, Grant, RequestId, Right, Study, StudyRight,
};
use protocol::id::{CenterId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::names::{right_set, user_name};
use super::{about_study, parse_id, JsonBody, PathParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// A user's rights on a study.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RightBody {
    /// Login name.
    pub user: String,
    /// Study id.
    pub study: String,
    /// Rights: `see`, `download`, `import`, `administer`.
    pub rights: Vec<String>,
    /// Last valid day (UTC), inclusive.
    pub until: Option<String>,
    /// Only data of these centers (ids); none: all centers.
    pub centers: Option<Vec<String>>,
    /// Who granted it.
    pub granted_by: String,
    /// When, unix seconds.
    pub granted_at: u64,
}

impl RightBody {
    /// `r`, held by `user_name`.
    pub(crate) fn new(r: &StudyRight, user_name: &str) -> Self {
        RightBody {
            user: user_name.to_string(),
            study: r.study.to_string(),
            rights: r.rights.iter().map(|x| x.to_string()).collect(),
            until: r.until.map(|d| d.to_string()),
            centers: r
                .centers
                .as_ref()
                .map(|cs| cs.iter().map(ToString::to_string).collect()),
            granted_by: r.granted_by.clone(),
            granted_at: r.granted_at,
        }
    }
}

/// `GET /studies/{id}/rights`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RightList {
    /// Every right recorded on the study (expired ones included).
    pub rights: Vec<RightBody>,
}

fn names(st: &AppState) -> ApiResult<HashMap<UserId, String>> {
    Ok(st
        .access()
        .users()
        .list()?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The study `key` names, provided the caller may administer it.
fn require_administer(st: &AppState, auth: &Auth, key: &StudyKey) -> ApiResult<Study> {
    let study = key.resolve(&st.node.catalog)?;
    st.access()
        .check(&auth.principal(), Right::Administer, study.id, None, now())
        .map_err(about_study(&study))?;
    Ok(study)
}

/// The rights recorded on a study (its administrators and admins).
#[utoipa::path(get, path = "/api/v1/studies/{id}/rights", operation_id = "list_study_rights", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = RightList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<RightList>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = require_administer(&st, &auth, &key)?;
        let names = names(&st)?;
        let rights = st.access().rights().list(Some(study.id))?;
        Ok(Json(RightList {
            rights: rights
                .iter()
                .map(|r| RightBody::new(r, names.get(&r.user).map_or("", String::as_str)))
                .collect(),
        }))
    })
    .await
}

/// One user's rights on a study (its administrators and admins).
#[utoipa::path(get, path = "/api/v1/studies/{id}/rights/{user}", operation_id = "get_study_right", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name"), ("user" = String, Path, description = "Login name")),
    responses((status = 200, body = RightBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<RightBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    let name = user_name(path.get(1)?)?;
    blocking(move || {
        let study = require_administer(&st, &auth, &key)?;
        let access = st.access();
        let user = access.users().require(&name)?;
        let r = access.rights().get(user.id, study.id)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "user {name:?} has no rights on {}",
                super::study_label(&study)
            ))
        })?;
        Ok(Json(RightBody::new(&r, &user.name)))
    })
    .await
}

/// `PUT /studies/{id}/rights/{user}`: the user's rights on the study, replacing what it had.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantRequest {
    /// Rights: `see`, `download`, `import`, `administer` (not empty).
    pub rights: Vec<String>,
    /// Last valid day (UTC), `YYYY-MM-DD`.
    #[serde(default)]
    pub until: Option<String>,
    /// Only data of these centers (ids `ce_…`).
    #[serde(default)]
    pub centers: Option<Vec<String>>,
}

fn grant_of(
    rights: &[String],
    until: Option<&str>,
    centers: Option<&[String]>,
) -> ApiResult<Grant> {
    Ok(Grant {
        rights: right_set(rights)?,
        until: until.map(parse_date).transpose()?,
        centers: centers
            .map(|cs| cs.iter().map(|c| parse_id::<CenterId>(c)).collect())
            .transpose()?,
    })
}

/// Grant rights on a study (its administrators and admins); audited.
#[utoipa::path(put, path = "/api/v1/studies/{id}/rights/{user}", operation_id = "set_study_right", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name"), ("user" = String, Path, description = "Login name")),
    request_body = GrantRequest,
    responses((status = 200, body = RightBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn put(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<GrantRequest>,
) -> ApiResult<Json<RightBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    let name = user_name(path.get(1)?)?;
    let grant = grant_of(&req.rights, req.until.as_deref(), req.centers.as_deref())?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let r = st
            .access()
            .rights()
            .grant(&auth.principal(), &name, study.id, grant, now())
            .map_err(about_study(&study))?;
        Ok(Json(RightBody::new(&r, &name)))
    })
    .await
}

/// Revoke every right of a user on a study (its administrators and admins); audited. Answers
/// what was removed.
#[utoipa::path(delete, path = "/api/v1/studies/{id}/rights/{user}", operation_id = "revoke_study_right", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name"), ("user" = String, Path, description = "Login name")),
    responses((status = 200, body = RightBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<RightBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    let name = user_name(path.get(1)?)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let r = st
            .access()
            .rights()
            .revoke(&auth.principal(), &name, study.id, now())
            .map_err(about_study(&study))?;
        Ok(Json(RightBody::new(&r, &name)))
    })
    .await
}

/// An access request.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RequestBody {
    /// Id (`rq_…`).
    pub id: String,
    /// Who asks.
    pub user: String,
    /// Study id.
    pub study: String,
    /// Rights asked.
    pub rights: Vec<String>,
    /// Why.
    pub motivation: String,
    /// Whether the account itself awaits approval.
    pub new_account: bool,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// Submitted, unix seconds.
    pub created_at: u64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<u64>,
    /// The decider's reason.
    pub reason: Option<String>,
}

impl From<&AccessRequest> for RequestBody {
    fn from(r: &AccessRequest) -> Self {
        RequestBody {
            id: r.id.to_string(),
            user: r.user_name.clone(),
            study: r.study.to_string(),
            rights: r.rights.iter().map(|x| x.to_string()).collect(),
            motivation: r.motivation.clone(),
            new_account: r.new_account,
            status: r.status.to_string(),
            created_at: r.created_at,
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at,
            reason: r.reason.clone(),
        }
    }
}

/// `POST /studies/{id}/requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequest {
    /// Rights asked.
    pub rights: Vec<String>,
    /// Why (shown to the study's administrators).
    pub motivation: String,
}

/// Ask for rights on a study; audited.
#[utoipa::path(post, path = "/api/v1/studies/{id}/requests", operation_id = "request_study_rights", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = NewRequest,
    responses((status = 201, body = RequestBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn submit(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<NewRequest>,
) -> ApiResult<(StatusCode, Json<RequestBody>)> {
    let key = StudyKey::parse(path.get(0)?)?;
    let rights = right_set(&req.rights)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let r = st
            .access()
            .requests()
            .submit(&auth.principal(), study.id, rights, &req.motivation, now())
            .map_err(about_study(&study))?;
        Ok((StatusCode::CREATED, Json(RequestBody::from(&r))))
    })
    .await
}

/// `GET /requests`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RequestList {
    /// Pending requests on studies the caller administers, oldest first.
    pub requests: Vec<RequestBody>,
}

/// The pending requests the caller may decide.
#[utoipa::path(get, path = "/api/v1/requests", operation_id = "list_pending_requests", tag = "rights",
    responses((status = 200, body = RequestList), (status = 401, body = ErrorBody)))]
pub(crate) async fn pending(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<RequestList>> {
    blocking(move || {
        let v = st
            .access()
            .requests()
            .pending_for(&auth.principal(), now())?;
        Ok(Json(RequestList {
            requests: v.iter().map(RequestBody::from).collect(),
        }))
    })
    .await
}

/// A JSON body that may be absent (an empty body is `T::default()`).
async fn optional_json<T: DeserializeOwned + Default>(req: Request) -> ApiResult<T> {
    let bytes = to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::too_large("the JSON body is larger than 64 KiB"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// `POST /requests/{id}/approve` (optional body).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveRequest {
    /// Rights to grant (default: those asked).
    #[serde(default)]
    pub rights: Option<Vec<String>>,
    /// Last valid day, `YYYY-MM-DD`.
    #[serde(default)]
    pub until: Option<String>,
    /// Only data of these centers.
    #[serde(default)]
    pub centers: Option<Vec<String>>,
    /// Shown to the requester.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /requests/{id}/refuse` (optional body).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefuseRequest {
    /// Shown to the requester.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Approve a pending request: the rights are granted (and a new account enabled); audited.
#[utoipa::path(post, path = "/api/v1/requests/{id}/approve", operation_id = "approve_request", tag = "rights",
    params(("id" = String, Path, description = "Request id")),
    request_body(content = ApproveRequest, description = "Optional"),
    responses((status = 200, body = RequestBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn approve(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    req: Request,
) -> ApiResult<Json<RequestBody>> {
    let id: RequestId = path.id(0)?;
    let body: ApproveRequest = optional_json(req).await?;
    blocking(move || {
        let access = st.access();
        let asked = access
            .requests()
            .get(id)?
            .ok_or_else(|| ApiError::not_found(format!("no access request {id}")))?;
        let rights: Vec<String> = match body.rights {
            Some(r) => r,
            None => asked.rights.iter().map(|r| r.to_string()).collect(),
        };
        let grant = grant_of(&rights, body.until.as_deref(), body.centers.as_deref())?;
        let r = access.requests().decide(
            &auth.principal(),
            id,
            Decision::Approve(grant),
            body.reason.as_deref(),
            now(),
        )?;
        Ok(Json(RequestBody::from(&r)))
    })
    .await
}

/// Refuse a pending request; audited.
#[utoipa::path(post, path = "/api/v1/requests/{id}/refuse", operation_id = "refuse_request", tag = "rights",
    params(("id" = String, Path, description = "Request id")),
    request_body(content = RefuseRequest, description = "Optional"),
    responses((status = 200, body = RequestBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn refuse(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    req: Request,
) -> ApiResult<Json<RequestBody>> {
    let id: RequestId = path.id(0)?;
    let body: RefuseRequest = optional_json(req).await?;
    blocking(move || {
        let r = st.access().requests().decide(
            &auth.principal(),
            id,
            Decision::Refuse,
            body.reason.as_deref(),
            now(),
        )?;
        Ok(Json(RequestBody::from(&r)))
    })
    .await
}

/// A version of a data-use agreement.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgreementBody {
    /// Version, from 1.
    pub version: u32,
    /// The text.
    pub text: String,
    /// Who set it.
    pub set_by: String,
    /// When, unix seconds.
    pub set_at: u64,
}

impl From<&Agreement> for AgreementBody {
    fn from(a: &Agreement) -> Self {
        AgreementBody {
            version: a.version,
            text: a.text.clone(),
            set_by: a.set_by.clone(),
            set_at: a.set_at,
        }
    }
}

/// `GET /studies/{id}/agreement`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgreementState {
    /// Study id.
    pub study: String,
    /// The version in force, if the study has an agreement.
    pub agreement: Option<AgreementBody>,
    /// The latest version the caller accepted.
    pub accepted_version: Option<u32>,
}

/// A study's data-use agreement (readable by every account, so that it can be accepted).
#[utoipa::path(get, path = "/api/v1/studies/{id}/agreement", operation_id = "get_agreement", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = AgreementState), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn agreement(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<AgreementState>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let a = st.access().agreements();
        Ok(Json(AgreementState {
            study: study.id.to_string(),
            agreement: a.current(study.id)?.as_ref().map(AgreementBody::from),
            accepted_version: a.acceptance(auth.user.id, study.id)?.map(|x| x.version),
        }))
    })
    .await
}

/// `PUT /studies/{id}/agreement`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgreementText {
    /// The new text (becomes the next version).
    pub text: String,
}

/// Set a new version of a study's agreement (its administrators and admins); audited.
#[utoipa::path(put, path = "/api/v1/studies/{id}/agreement", operation_id = "set_agreement", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = AgreementText,
    responses((status = 200, body = AgreementBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn set_agreement(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<AgreementText>,
) -> ApiResult<Json<AgreementBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let a = st
            .access()
            .agreements()
            .set(&auth.principal(), study.id, &req.text, now())
            .map_err(about_study(&study))?;
        Ok(Json(AgreementBody::from(&a)))
    })
    .await
}

/// `POST /studies/{id}/agreement/accept`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptRequest {
    /// The version shown to the user (must be the one in force).
    pub version: u32,
}

/// An acceptance.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AcceptanceBody {
    /// Study id.
    pub study: String,
    /// Version accepted.
    pub version: u32,
    /// When, unix seconds.
    pub at: u64,
}

/// Accept the version in force of a study's agreement; audited.
#[utoipa::path(post, path = "/api/v1/studies/{id}/agreement/accept", operation_id = "accept_agreement", tag = "rights",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = AcceptRequest,
    responses((status = 200, body = AcceptanceBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn accept(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<AcceptRequest>,
) -> ApiResult<Json<AcceptanceBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = key.resolve(&st.node.catalog)?;
        let a = st
            .access()
            .agreements()
            .accept(&auth.principal(), study.id, req.version, now())
            .map_err(about_study(&study))?;
        Ok(Json(AcceptanceBody {
            study: a.study.to_string(),
            version: a.version,
            at: a.at,
        }))
    })
    .await
}
