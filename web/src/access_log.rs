//! One access-log line per request, through `tracing` at info level (target
//! `neurofed::access`): method, route template (`/api/v1/studies/{id}`, never the raw path,
//! which may hold a study's or a user's name), status and milliseconds. Query strings are never
//! logged: a search box may receive a patient's name.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The route template of a request that matched none (unknown route, wrong method).
pub(crate) const UNMATCHED: &str = "(unmatched)";

/// The middleware: `axum::middleware::from_fn(access_log::log)`.
pub(crate) async fn log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED.to_string());
    let response = next.run(req).await;
    tracing::info!(
        target: "neurofed::access",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
