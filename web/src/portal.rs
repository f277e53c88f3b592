//! The web portal: server-rendered HTML (maud: every value escaped by construction), plain CSS,
//! a few lines of JavaScript for autocomplete. Every page asks the API's own handlers for its
//! data (`crate::api::*`), so a page shows exactly what the API would answer the same account:
//! one place for rights.
//!
//! Sessions are the API's (`neurofed_session`, HttpOnly, SameSite=Strict, Secure when
//! configured). Forms carry a CSRF token: before login a random token in a cookie of its own
//! and in the form (double submit), after login a keyed hash of the session token; a POST
//! without the right one is refused. A page without a session redirects to
//! `/login?next=<local path>`.

mod admin;
mod explore;
mod login;
mod manage;
mod pages;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The portal's routes (not part of the `/api/v1` table).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", axum::routing::post(login::logout))
        .route("/account", get(login::account))
        .route(
            "/account/password",
            axum::routing::post(login::change_password),
        )
        .route("/search", get(pages::search))
        .route("/studies", get(pages::studies))
        .route("/studies/{id}", get(pages::study))
        .route("/studies/{id}/cards", get(manage::cards))
        .route(
            "/studies/{id}/cards/{action}",
            axum::routing::post(manage::change_cards),
        )
        .route(
            "/studies/{id}/agreement/{action}",
            axum::routing::post(manage::study_form),
        )
        .route(
            "/studies/{id}/reports",
            axum::routing::post(manage::reports_form),
        )
        .route("/subjects/{id}", get(explore::subject))
        .route("/examinations/{id}", get(explore::examination))
        .route("/datasets/{id}", get(pages::dataset))
        .route("/datasets/{id}/slices", get(explore::slices))
        .route("/import", get(pages::import))
        .route("/scores", get(pages::scores))
        .route("/access-requests", get(admin::requests))
        .route(
            "/access-requests/{id}/{decision}",
            axum::routing::post(admin::decide),
        )
        .route("/studies/{id}/rights", get(admin::rights))
        .route(
            "/studies/{id}/rights/{action}",
            axum::routing::post(admin::change_rights),
        )
        .route("/audit", get(admin::audit))
        .route("/consortium", get(admin::consortium))
        .route("/stats", get(admin::stats))
        .route(
            "/account-request",
            get(login::account_form).post(login::account_submit),
        )
        .route("/static/portal.css", get(css))
        .route("/static/portal.js", get(js))
}

const CSS: &str = include_str!("portal/portal.css");
const JS: &str = include_str!("portal/portal.js");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

/// An account with a portal session, or a redirect to the login page.
pub(crate) struct Page {
    pub auth: Auth,
    /// The CSRF token of the session's forms.
    pub csrf: String,
}

/// The CSRF token of a session: a keyed hash of its token (never the token itself).
pub(crate) fn session_csrf(session: &str) -> String {
    let key = blake3::hash(session.as_bytes());
    blake3::keyed_hash(key.as_bytes(), b"neurofed portal csrf").to_hex()[..32].to_string()
}

/// Whether `next` is a path of this site (no scheme, no host, no `//`).
pub(crate) fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() < 512
        && next.chars().all(|c| c.is_ascii_graphic()))
    .then_some(next)
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        match Auth::from_request_parts(parts, st).await {
            Ok(auth) => {
                let csrf = auth
                    .session
                    .as_deref()
                    .map(session_csrf)
                    .unwrap_or_default();
                Ok(Page { auth, csrf })
            }
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            Err(e) => Err(error_page(None, &e)),
        }
    }
}

/// A handler's JSON answer as a value to render.
pub(crate) fn value<T: serde::Serialize>(j: axum::Json<T>) -> serde_json::Value {
    serde_json::to_value(j.0).unwrap_or(serde_json::Value::Null)
}

/// The JSON body of a handler's response.
pub(crate) async fn body_json(r: Response) -> ApiResult<Value> {
    let bytes = axum::body::to_bytes(r.into_body(), 64 << 20)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))
}

/// A JSON value as text: strings as they are, null as a dash.
pub(crate) fn s(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "–".into(),
        other => other.to_string(),
    }
}

/// `s` percent-encoded for a query string.
pub(crate) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Unix seconds as a UTC time, or a dash.
pub(crate) fn when(v: &serde_json::Value) -> String {
    v.as_u64()
        .map(|t| node::format_time(t).to_string())
        .unwrap_or_else(|| "–".into())
}

/// A posted form (`application/x-www-form-urlencoded`).
pub(crate) struct Form(pub Vec<(String, String)>);

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Form {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A posted form of a session's page, its CSRF token checked: the extractor of every portal
/// POST after login (a form without the right token is refused before the handler runs).
pub(crate) struct PostForm {
    pub page: Page,
    pub form: Form,
}

impl axum::extract::FromRequest<AppState> for PostForm {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let page = Page::from_request_parts(&mut parts, st).await?;
        let bytes = axum::body::to_bytes(body, 1 << 20).await.map_err(|_| {
            error_page(
                Some(&page),
                &ApiError::bad_request("the form is larger than 1 MiB"),
            )
        })?;
        let form = Form::parse(&bytes);
        if let Some(refusal) = page.check_csrf(&form) {
            return Err(refusal);
        }
        Ok(PostForm { page, form })
    }
}

impl Page {
    /// The refusal of a form without the session's CSRF token, `None` when it carries it.
    pub(crate) fn check_csrf(&self, f: &Form) -> Option<Response> {
        match &self.auth.session {
            Some(sess) if f.get("csrf") == session_csrf(sess) => None,
            _ => Some(error_page(
                Some(self),
                &ApiError::forbidden("missing or wrong form token: use the portal's own forms"),
            )),
        }
    }

    /// The hidden field carrying the session's CSRF token.
    pub(crate) fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// A whole page: header with the menu, main content, footer.
pub(crate) fn layout(title: &str, page: Option<&Page>, body: Markup) -> Html<String> {
    let user = page.map(|p| p.auth.user.name.clone());
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · neurofed" }
                    link rel="stylesheet" href="/static/portal.css";
                    script src="/static/portal.js" defer {}
                }
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        a.brand href="/" { "neurofed" }
                        nav aria-label="Main" {
                            ul {
                                li { a href="/search" { "Find datasets" } }
                                li { a href="/studies" { "Studies" } }
                                li { a href="/scores" { "Clinical scores" } }
                                li { a href="/import" { "Import" } }
                                li { a href="/access-requests" { "Requests" } }
                                li { a href="/audit" { "Audit" } }
                                li { a href="/consortium" { "Consortium" } }
                                li { a href="/stats" { "Statistics" } }
                            }
                        }
                        div.account {
                            @if let (Some(u), Some(p)) = (&user, page) {
                                a #whoami href="/account" { (u) }
                                form method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(p.csrf);
                                    button type="submit" #logout { "Log out" }
                                }
                            } @else {
                                a href="/login" { "Log in" }
                            }
                        }
                    }
                    main #main { h1 { (title) } (body) }
                    footer { "neurofed · de-identified data only: subjects are pseudonyms, dates are shifted." }
                }
            }
        }
        .into_string(),
    )
}

/// An error as a page, with the status of the API's error.
pub(crate) fn error_page(page: Option<&Page>, e: &ApiError) -> Response {
    let body = html! { p.error role="alert" { (e.message) } };
    (e.status, layout("Error", page, body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/search?q=t1"), Some("/search?q=t1"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "evil",
            "/\\evil",
            "/a b",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_hide_it() {
        let a = session_csrf("nfs_aaa");
        assert_ne!(a, session_csrf("nfs_aab"));
        assert!(!a.contains("aaa"));
        assert_eq!(a.len(), 32);
    }
}
