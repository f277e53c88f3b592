//! `GET /api/v1/studies/{id}/quarantine`, `POST .../quarantine/{entry}/release`, `DELETE
//! .../quarantine/{entry}`: a study's instances held back at import because their pixels may
//! carry burned-in text, for a study manager (the administer right on the study). Releasing
//! imports the stored de-identified instance into the study; both are audited.

use axum::extract::State;
use axum::Json;
use node::{NodeError, QuarantineError, Right};
use serde::Serialize;
use utoipa::ToSchema;

use super::import::{import_error, ImportSummaryBody};
use super::{about_study, PathParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// One quarantined instance (every value from its de-identified header).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuarantinedBody {
    /// Its id (16 hex digits).
    pub id: String,
    /// Study id.
    pub study: String,
    /// The subject's pseudonym.
    pub pseudonym: String,
    /// De-identified SeriesInstanceUID.
    pub series_uid: String,
    /// De-identified SOPInstanceUID.
    pub sop_instance_uid: String,
    /// Modality.
    pub modality: Option<String>,
    /// Why: `burned_in_annotation`, `secondary_capture`, `screen_save`, `derived`, `converted`,
    /// `encapsulated_document`, `compressed_pixels` or `unsupported_pixels`.
    pub reason: String,
    /// When it was quarantined, unix seconds.
    pub at: u64,
}

/// A study's quarantined instances.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuarantineList {
    /// Oldest first.
    pub entries: Vec<QuarantinedBody>,
}

/// What a deletion removed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuarantineDeleted {
    /// The id of the instance deleted.
    pub deleted: String,
}

fn quarantine_error(e: QuarantineError) -> ApiError {
    match e {
        QuarantineError::NotFound(_) => ApiError::not_found(e.to_string()),
        QuarantineError::NotImported { .. } => ApiError::conflict(e.to_string()),
        QuarantineError::Node(NodeError::Busy) => ApiError::conflict(e.to_string()),
        QuarantineError::Import(i) => import_error(i),
        QuarantineError::Catalog(c) => c.into(),
        other => ApiError::internal(other),
    }
}

/// The study (checked for the administer right) and, when the route names one, the entry id,
/// which must be of that study.
fn administered(
    st: &AppState,
    auth: &Auth,
    key: &StudyKey,
    entry: Option<&str>,
) -> ApiResult<node::Study> {
    let catalog = &st.node.catalog;
    let study = key.resolve(catalog)?;
    st.access()
        .check(&auth.principal(), Right::Administer, study.id, None, now())
        .map_err(about_study(&study))?;
    if let Some(id) = entry {
        let of_study = node::QuarantineEntry::is_id(id)
            && catalog
                .quarantine_get(id)?
                .is_some_and(|e| e.study == study.id);
        if !of_study {
            return Err(ApiError::not_found(format!(
                "no quarantined instance {id:?} in this study"
            )));
        }
    }
    Ok(study)
}

/// The study's quarantined instances, oldest first (needs the administer right).
#[utoipa::path(get, path = "/api/v1/studies/{id}/quarantine", operation_id = "list_quarantine", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = QuarantineList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<QuarantineList>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let study = administered(&st, &auth, &key, None)?;
        let entries = st
            .node
            .catalog
            .quarantine_list(Some(study.id))?
            .into_iter()
            .map(|e| QuarantinedBody {
                id: e.id,
                study: e.study.to_string(),
                pseudonym: e.pseudonym,
                series_uid: e.series_uid,
                sop_instance_uid: e.sop_instance_uid,
                modality: e.modality,
                reason: e.reason.name().to_string(),
                at: e.at,
            })
            .collect();
        Ok(Json(QuarantineList { entries }))
    })
    .await
}

/// Import a quarantined instance into its study without the pixel check, then forget it
/// (needs the administer right); audited.
#[utoipa::path(post, path = "/api/v1/studies/{id}/quarantine/{entry}/release", operation_id = "release_quarantined", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name"), ("entry" = String, Path, description = "Quarantine id")),
    responses((status = 200, body = ImportSummaryBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn release(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ImportSummaryBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    let entry = path.get(1)?.to_string();
    blocking(move || {
        administered(&st, &auth, &key, Some(&entry))?;
        let s =
            node::release_quarantined(&st.node, &entry, auth.who()).map_err(quarantine_error)?;
        Ok(Json(ImportSummaryBody::from(s)))
    })
    .await
}

/// Delete a quarantined instance, its bytes and its entry (needs the administer right); audited.
#[utoipa::path(delete, path = "/api/v1/studies/{id}/quarantine/{entry}", operation_id = "delete_quarantined", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name"), ("entry" = String, Path, description = "Quarantine id")),
    responses((status = 200, body = QuarantineDeleted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<QuarantineDeleted>> {
    let key = StudyKey::parse(path.get(0)?)?;
    let entry = path.get(1)?.to_string();
    blocking(move || {
        administered(&st, &auth, &key, Some(&entry))?;
        let e = node::delete_quarantined(&st.node, &entry, auth.who()).map_err(quarantine_error)?;
        Ok(Json(QuarantineDeleted { deleted: e.id }))
    })
    .await
}
