//! The routes, declared once: [`routes`] builds the router and lists them ([`route_table`]) so
//! that a test holds the OpenAPI document to exactly the same set; [`app`] adds the fallbacks
//! and layers every answer goes through.

use std::any::Any;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;
use crate::{api, openapi};

/// Largest JSON body of the routes that take long texts (a study's agreement: up to 100,000
/// characters).
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// Largest body of `POST /consortium/push`: a signed roster or revocation list may be 8 MiB
/// (the protocol's document limit), with room for its envelope.
pub const MAX_DOCUMENT_BYTES: usize = 9 << 20;

/// Largest JSON body of every other route (logins, accounts, rights, requests, fetch): 413
/// above.
pub const MAX_SMALL_JSON_BYTES: usize = 64 * 1024;

/// An HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET (and HEAD).
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// Lower-case name, as OpenAPI writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

/// The routes, as a router and as a list.
#[derive(Debug)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_router(method, path, on(method.filter(), handler))
    }

    fn add_router(
        mut self,
        method: Method,
        path: &'static str,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.table.push((method, path));
        self.router = self.router.route(path, mr);
        self
    }
}

/// Every route of the API.
pub fn routes() -> Routes {
    use api::*;
    use Method::*;
    Routes::new()
        .add(Get, "/api/v1/health", health)
        .add(Get, "/api/v1/openapi.json", openapi::openapi_json)
        .add(Get, "/api/v1/stats", stats)
        .add(Get, "/api/v1/search", search::search)
        .add(Get, "/api/v1/suggest", search::suggest)
        .add(Get, "/api/v1/studies", studies::list)
        .add(Get, "/api/v1/studies/{id}", studies::tree)
        .add(Get, "/api/v1/studies/{id}/cards", cards::list)
        .add(Post, "/api/v1/studies/{id}/cards", cards::add)
        .add(Post, "/api/v1/studies/{id}/cards/apply", cards::apply)
        .add(Get, "/api/v1/studies/{id}/rights", rights::list)
        .add(Get, "/api/v1/studies/{id}/rights/{user}", rights::get)
        .add(Put, "/api/v1/studies/{id}/rights/{user}", rights::put)
        .add(Delete, "/api/v1/studies/{id}/rights/{user}", rights::delete)
        .add(Post, "/api/v1/studies/{id}/requests", rights::submit)
        .add(Get, "/api/v1/studies/{id}/agreement", rights::agreement)
        .add_router(
            Put,
            "/api/v1/studies/{id}/agreement",
            on(MethodFilter::PUT, rights::set_agreement)
                .layer(DefaultBodyLimit::max(MAX_JSON_BYTES)),
        )
        .add(
            Post,
            "/api/v1/studies/{id}/agreement/accept",
            rights::accept,
        )
        .add(Get, "/api/v1/requests", rights::pending)
        .add(Post, "/api/v1/requests/{id}/approve", rights::approve)
        .add(Post, "/api/v1/requests/{id}/refuse", rights::refuse)
        .add(Get, "/api/v1/instruments", scores::list_instruments)
        .add_router(
            Post,
            "/api/v1/instruments",
            // The handler reads the body with its own limit (scores::MAX_SCORES_BODY).
            on(MethodFilter::POST, scores::set_instrument).layer(DefaultBodyLimit::disable()),
        )
        .add_router(
            Post,
            "/api/v1/studies/{id}/assessments",
            on(MethodFilter::POST, scores::record).layer(DefaultBodyLimit::disable()),
        )
        .add(Get, "/api/v1/studies/{id}/scores", scores::scores)
        .add(Get, "/api/v1/studies/{id}/reports", reports::get)
        .add(Put, "/api/v1/studies/{id}/reports", reports::subscribe)
        .add(Delete, "/api/v1/studies/{id}/reports", reports::unsubscribe)
        .add(Get, "/api/v1/studies/{id}/quarantine", quarantine::list)
        .add(
            Post,
            "/api/v1/studies/{id}/quarantine/{entry}/release",
            quarantine::release,
        )
        .add(
            Delete,
            "/api/v1/studies/{id}/quarantine/{entry}",
            quarantine::delete,
        )
        .add(Get, "/api/v1/subjects/{id}", entities::subject)
        .add(Get, "/api/v1/examinations/{id}", entities::examination)
        .add(Get, "/api/v1/datasets/{id}", datasets::detail)
        .add(Get, "/api/v1/datasets/{id}/download", download::download)
        .add(Get, "/api/v1/download", download::download_selection)
        .add_router(
            Post,
            "/api/v1/import",
            // The import handler streams the body and enforces its own (configurable) limit.
            on(MethodFilter::POST, import::import).layer(DefaultBodyLimit::disable()),
        )
        .add(Get, "/api/v1/studies/{id}/upload", upload::keys)
        .add_router(
            Post,
            "/api/v1/studies/{id}/upload/missing",
            on(MethodFilter::POST, upload::missing).layer(DefaultBodyLimit::max(MAX_JSON_BYTES)),
        )
        .add_router(
            Put,
            "/api/v1/studies/{id}/upload/blobs/{blob}",
            // The handler streams the body and enforces the upload limit.
            on(MethodFilter::PUT, upload::put_blob).layer(DefaultBodyLimit::disable()),
        )
        .add_router(
            Post,
            "/api/v1/studies/{id}/upload/commit",
            on(MethodFilter::POST, upload::commit).layer(DefaultBodyLimit::max(MAX_JSON_BYTES)),
        )
        .add(Post, "/api/v1/login", accounts::login)
        .add(Post, "/api/v1/logout", accounts::logout)
        .add(Get, "/api/v1/me", accounts::me)
        .add(Post, "/api/v1/me/password", accounts::change_password)
        .add(Get, "/api/v1/users", accounts::list_users)
        .add(Post, "/api/v1/users", accounts::create_user)
        .add(Post, "/api/v1/users/{name}/tokens", accounts::create_token)
        .add(Post, "/api/v1/account-requests", accounts::request_account)
        .add(Get, "/api/v1/audit", audit::list)
        .add(Get, "/api/v1/consortium", federation::consortium)
        .add_router(
            Post,
            "/api/v1/consortium/push",
            on(MethodFilter::POST, federation::push)
                .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES)),
        )
        .add(Post, "/api/v1/fetch", federation::fetch)
        .add(Get, "/api/v1/blobs/{id}", federation::blob)
}

/// The `(method, path)` of every route, in declaration order.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().table
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such API route (see /api/v1/openapi.json)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept this method (see /api/v1/openapi.json)",
    )
}

fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let cors = axum::middleware::from_fn_with_state(state.clone(), crate::cors::cors);
    routes()
        .router
        .nest(crate::dicomweb::BASE, crate::dicomweb::router())
        .route(
            "/datasets/{id}/preview.png",
            axum::routing::get(crate::preview::preview),
        )
        .merge(crate::portal::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_SMALL_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::server::request_timeout,
        ))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn(crate::access_log::log))
        .layer(cors)
        // Spans name the method and path only: query strings may hold what users typed.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}
