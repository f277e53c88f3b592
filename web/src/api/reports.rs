//! `GET|PUT|DELETE /api/v1/studies/{id}/reports`: the caller's own subscription to the e-mail
//! report of every import into a study (the portal's "e-mail me" switch). Subscribing needs the
//! see right on the study; reports go only to accounts that still have it when they are sent.

use axum::extract::State;
use axum::Json;
use node::Right;
use serde::Serialize;
use utoipa::ToSchema;

use super::{about_study, PathParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// The caller's subscription to a study's import reports.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportSubscriptionBody {
    /// Study id.
    pub study: String,
    /// Whether the caller receives a report of each import.
    pub subscribed: bool,
    /// Whether the caller's account has an e-mail address (without one, nothing arrives).
    pub has_email: bool,
    /// Whether this node has a mail relay configured (`[smtp]`).
    pub mail_configured: bool,
}

async fn change(
    st: AppState,
    auth: Auth,
    path: PathParams,
    to: Option<bool>,
) -> ApiResult<Json<ReportSubscriptionBody>> {
    let key = StudyKey::parse(path.get(0)?)?;
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        let center = Some(catalog.node_center()?.id);
        st.access()
            .check(&auth.principal(), Right::See, study.id, center, now())
            .map_err(about_study(&study))?;
        let who = auth.who().to_string();
        match to {
            Some(true) => {
                catalog.subscribe_reports(study.id, &who, &who, now())?;
            }
            Some(false) => {
                catalog.unsubscribe_reports(study.id, &who, &who, now())?;
            }
            None => {}
        }
        let subscribed = catalog.report_subscribers(study.id)?.contains(&who);
        Ok(Json(ReportSubscriptionBody {
            study: study.id.to_string(),
            subscribed,
            has_email: auth
                .user
                .email
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty()),
            mail_configured: st.node.config.smtp.is_some(),
        }))
    })
    .await
}

/// Whether the caller receives the study's import reports.
#[utoipa::path(get, path = "/api/v1/studies/{id}/reports", operation_id = "get_report_subscription", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = ReportSubscriptionBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ReportSubscriptionBody>> {
    change(st, auth, path, None).await
}

/// Receive an e-mail report of each import into the study (needs the see right); audited.
#[utoipa::path(put, path = "/api/v1/studies/{id}/reports", operation_id = "subscribe_reports", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = ReportSubscriptionBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn subscribe(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ReportSubscriptionBody>> {
    change(st, auth, path, Some(true)).await
}

/// Stop the study's import reports; audited.
#[utoipa::path(delete, path = "/api/v1/studies/{id}/reports", operation_id = "unsubscribe_reports", tag = "studies",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses((status = 200, body = ReportSubscriptionBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn unsubscribe(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<ReportSubscriptionBody>> {
    change(st, auth, path, Some(false)).await
}
