//! DICOMweb (PS3.18) under `/dicom-web`: QIDO-RS searches answered from the catalog
//! ([`qido`]), WADO-RS retrieval streamed from the store ([`wado`]), STOW-RS into the import
//! pipeline ([`stow`]).
//!
//! A DICOM study is a neurofed examination (its de-identified StudyInstanceUID), a series an
//! acquisition with its dataset, an instance an entry of the dataset's DICOM manifest; PatientID
//! and PatientName are the subject's pseudonym. Authentication is the API's (Bearer token or
//! session cookie); searches see what the `see` right allows, retrieval needs `download`, both
//! with the same per-study (and per-center) scopes as `/api/v1/search`: what a caller may not
//! see is absent, never counted. Errors are the API's JSON error bodies.
//!
//! These routes are not in the OpenAPI document (which describes `/api/v1`); docs/dicomweb.md
//! lists them and what of PS3.18 is not implemented.

mod attrs;
mod matching;
mod qido;
mod render;
mod stow;
mod wado;

use std::collections::BTreeMap;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use node::{DatasetRow, Right};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{now, AppState};
use attrs::StudyView;

/// The matching of QIDO-RS, for the other doors (DIMSE C-FIND).
pub(crate) use attrs::{find as find_attr, Item, Level, Val, ATTRS};
pub(crate) use matching::Search;
pub(crate) use qido::{find as find_items, Within};
pub(crate) use render::{encode_png, png as render_png};
pub(crate) use wado::read_instance;

/// Where DICOMweb is served.
pub(crate) const BASE: &str = "/dicom-web";

/// The DICOMweb routes (relative to [`BASE`]).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/studies",
            // STOW-RS streams the body and enforces the upload limit itself.
            get(qido::studies)
                .post(stow::store)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/series", get(qido::all_series))
        .route("/instances", get(qido::all_instances))
        .route("/studies/{study}/series", get(qido::study_series))
        .route("/studies/{study}/instances", get(qido::study_instances))
        .route(
            "/studies/{study}/series/{series}/instances",
            get(qido::series_instances),
        )
        .route("/studies/{study}", get(wado::study))
        .route("/studies/{study}/metadata", get(wado::study_metadata))
        .route("/studies/{study}/series/{series}", get(wado::series))
        .route(
            "/studies/{study}/series/{series}/metadata",
            get(wado::series_metadata),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}",
            get(wado::instance),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/metadata",
            get(wado::instance_metadata),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}",
            get(wado::frames),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/bulkdata/{tag}",
            get(wado::bulkdata),
        )
        .route(
            "/studies/{study}/series/{series}/instances/{instance}/rendered",
            get(wado::rendered),
        )
}

/// A UID from a path: digits and dots, at most 64 characters (anything else is 400).
pub(crate) fn uid(s: &str) -> ApiResult<String> {
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(ApiError::invalid_id(format!(
            "{:?} is not a DICOM UID (digits and dots, at most 64 characters)",
            crate::api::clip(s, 70)
        )));
    }
    Ok(s.to_string())
}

/// The datasets the caller may exercise `right` on (scope by study and center).
pub(crate) fn visible_rows(st: &AppState, auth: &Auth, right: Right) -> ApiResult<Vec<DatasetRow>> {
    let scope = st.access().scope(&auth.principal(), right, now())?;
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    Ok(st
        .node
        .catalog
        .dataset_rows()?
        .into_iter()
        .filter(|r| scope.allows(r.study.id, Some(r.examination.center)))
        .collect())
}

/// `rows` grouped into DICOM studies, by date then StudyInstanceUID; series by number then UID.
pub(crate) fn group(rows: Vec<DatasetRow>) -> Vec<StudyView> {
    let mut by_uid: BTreeMap<String, Vec<DatasetRow>> = BTreeMap::new();
    for r in rows {
        by_uid
            .entry(r.examination.study_uid.clone())
            .or_default()
            .push(r);
    }
    let mut studies: Vec<StudyView> = by_uid
        .into_values()
        .map(|mut series| {
            series.sort_by(|a, b| {
                (a.acquisition.series_number, &a.acquisition.series_uid)
                    .cmp(&(b.acquisition.series_number, &b.acquisition.series_uid))
            });
            StudyView { series }
        })
        .collect();
    studies.sort_by(|a, b| {
        (&a.first().examination.date, a.uid()).cmp(&(&b.first().examination.date, b.uid()))
    });
    studies
}

/// The DICOM manifest of a series (one small blob, verified as it is read).
pub(crate) fn manifest(st: &AppState, row: &DatasetRow) -> ApiResult<node::Manifest> {
    node::read_manifest(&st.node.store, &row.dataset.dicom.manifest)
        .map_err(|e| ApiError::internal(format!("manifest of dataset {}: {e}", row.dataset.id)))
}
