//! `GET /audit`: the audit log, newest first. Admins may read all of it; a study administrator
//! the records of a study they administer (`?study=`).

use axum::extract::State;
use axum::Json;
use node::Right;
use node::{AuditEvent, AuditFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::{about_study, QueryParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Records per page by default.
pub(crate) const DEFAULT_LIMIT: u64 = 100;
/// Most records per page.
pub(crate) const MAX_LIMIT: u64 = 1000;

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditRecord {
    /// Sequence number, from 1.
    pub seq: u64,
    /// When, unix seconds.
    pub at: u64,
    /// Who: a user name, `cli`, or a remote node.
    pub who: String,
    /// What: `import`, `search`, `view`, `download`, `right_grant`, ...
    pub action: String,
    /// Study id.
    pub study: Option<String>,
    /// Dataset id.
    pub dataset: Option<String>,
    /// Summary (ids, counts, query structure; never patient data).
    pub detail: String,
}

impl From<AuditEvent> for AuditRecord {
    fn from(e: AuditEvent) -> Self {
        AuditRecord {
            seq: e.seq,
            at: e.at,
            who: e.who,
            action: e.action.to_string(),
            study: e.study.map(|s| s.to_string()),
            dataset: e.dataset.map(|d| d.to_string()),
            detail: e.detail,
        }
    }
}

/// `GET /audit`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPage {
    /// Records, newest first.
    pub records: Vec<AuditRecord>,
}

/// Audit records, newest first.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", tag = "audit",
    params(
        ("study" = Option<String>, Query, description = "Only this study, by id (`st_…`) or name (required unless admin)"),
        ("since" = Option<i64>, Query, description = "Only records at or after this unix time"),
        ("limit" = Option<u64>, Query, description = "Records, default 100, at most 1000"),
        ("offset" = Option<u64>, Query, description = "Matching records skipped"),
    ),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Json<AuditPage>> {
    q.allow(&["study", "since", "limit", "offset"])?;
    let key = q.one("study")?.map(StudyKey::parse).transpose()?;
    let since = q.number("since", 0, i64::MAX as u64)?;
    let limit = q.number("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = q.number("offset", 0, 1_000_000)?;
    if key.is_none() {
        auth.require_admin()?;
    }
    blocking(move || {
        let study = match key {
            Some(key) => {
                let s = key.resolve(&st.node.catalog)?;
                st.access()
                    .check(&auth.principal(), Right::Administer, s.id, None, now())
                    .map_err(about_study(&s))?;
                Some(s.id)
            }
            None => None,
        };
        let filter = AuditFilter {
            study,
            since: (since > 0).then_some(since),
            limit: Some(limit as usize),
            offset: offset as usize,
        };
        let records = st.node.catalog.audit().list(&filter)?;
        Ok(Json(AuditPage {
            records: records.into_iter().map(AuditRecord::from).collect(),
        }))
    })
    .await
}
