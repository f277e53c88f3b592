//! `GET /search` and `GET /suggest`. The query string is [`super::query`]'s language; the
//! answer is a [`SearchBody`] (`{"total", "hits", "facets": {"field": {"value": n}},
//! "facet_other", "pending_agreements"}`), the shape `neurofed search --json` prints too.

use axum::extract::State;
use axum::Json;
use node::Right;
use node::{AuditAction, NewEvent};
use serde::Serialize;
use utoipa::ToSchema;

use super::query::{bad, parse_query, summary};
use super::results::{SearchAnswer, SearchBody};
use super::QueryParams;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Faceted search over the datasets the caller may see: hits and facet counts are filtered
/// alike, inside the index query. Audited (query structure, not its text).
#[utoipa::path(get, path = "/api/v1/search", operation_id = "search", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "Free text"),
        ("filter" = Option<Vec<String>>, Query, description = "Repeatable: `field:value`, `field:v1,v2`, `-field:value`, `field:[min TO max]` (`*` open), `exam_date:[2019-01-01 TO 2020-12-31]`"),
        ("facet" = Option<Vec<String>>, Query, description = "Repeatable: `field` or `field:size`"),
        ("limit" = Option<u32>, Query, description = "Hits per page, default 20, at most 1000"),
        ("offset" = Option<u32>, Query, description = "Hits skipped, at most 10000"),
        ("sort" = Option<String>, Query, description = "`key` or `key:asc|desc`"),
        ("scope" = Option<String>, Query, description = "`local` (default) or `federated`: every member of the consortium and this node, merged (the answer then also has `nodes`, `coverage`, `facet_error_bound`, `elapsed_ms`)"),
    ),
    responses(
        (status = 200, description = "A `SearchBody`; with `scope=federated` a `FederatedBody` (the same keys, counts that may be `\"<k\"`, plus `nodes`, `coverage`, `facet_error_bound`, `elapsed_ms`)", body = SearchAnswer),
        (status = 503, description = "`scope=federated` on a node that does not run its federation", body = ErrorBody),
        (status = 400, description = "Malformed query, unknown field, limit too large", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub(crate) async fn search(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let query = parse_query(&q)?;
    match q.one("scope")? {
        None | Some("local") => {}
        Some("federated") => {
            return Ok(super::federation::federated(st, auth, query)
                .await?
                .into_response())
        }
        Some(other) => {
            return Err(bad(format!(
                "scope {other:?}: expected \"local\" or \"federated\""
            )))
        }
    }
    blocking(move || {
        let t = now();
        let (scope, pending) = st
            .access()
            .scope_with_pending(&auth.principal(), Right::See, t)?;
        let results = st.node.index.search(&query, &scope)?;
        st.node.catalog.audit().append_lazy(
            NewEvent::new(auth.who(), AuditAction::Search, t)
                .detail(summary(&query, results.total)),
        )?;
        let body = SearchBody::new(results, &pending).map_err(ApiError::internal)?;
        Ok(Json(body).into_response())
    })
    .await
}

/// The answer of `GET /suggest`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SuggestBody {
    /// Completions of the prefix, from what the caller may see.
    pub suggestions: Vec<String>,
}

/// Longest `prefix` accepted.
pub(crate) const MAX_PREFIX_CHARS: usize = 100;

/// Autocomplete over names and descriptions visible to the caller. Not audited: it runs on
/// every keystroke and returns no dataset.
#[utoipa::path(get, path = "/api/v1/suggest", operation_id = "suggest", tag = "search",
    params(
        ("prefix" = String, Query, description = "What the user typed so far (1-100 characters)"),
        ("limit" = Option<u32>, Query, description = "Completions, default 10, at most 50"),
    ),
    responses((status = 200, body = SuggestBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn suggest(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Json<SuggestBody>> {
    q.allow(&["prefix", "limit"])?;
    let prefix = q
        .one("prefix")?
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter \"prefix\" is required"))?
        .to_string();
    if prefix.chars().count() > MAX_PREFIX_CHARS {
        return Err(ApiError::bad_request(format!(
            "prefix is longer than {MAX_PREFIX_CHARS} characters"
        )));
    }
    let limit = q.number("limit", 10, 50)? as usize;
    blocking(move || {
        let scope = st.access().scope(&auth.principal(), Right::See, now())?;
        let suggestions = st.node.index.suggest(&prefix, &scope, limit)?;
        Ok(Json(SuggestBody { suggestions }))
    })
    .await
}
