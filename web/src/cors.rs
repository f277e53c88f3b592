//! CORS for browser clients served elsewhere (an OHIF viewer): origins listed in `[http]
//! cors_origins` of `config.toml` (`*`: any) get `Access-Control-Allow-Origin` on every answer,
//! and their preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 before
//! routing. Other origins get no CORS headers (the browser then refuses the answer to the page).
//! Credentials are Bearer tokens (the session cookie is `SameSite=Strict` and not offered).

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The value of `Access-Control-Allow-Origin` for `origin`, if it is allowed.
fn allowed(origins: &[String], origin: &str) -> Option<HeaderValue> {
    if origins.iter().any(|o| o == "*") {
        return Some(HeaderValue::from_static("*"));
    }
    origins
        .iter()
        .any(|o| o.trim_end_matches('/') == origin)
        .then(|| HeaderValue::from_str(origin).ok())
        .flatten()
}

/// The middleware.
pub(crate) async fn cors(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|o| allowed(&st.config.cors_origins, o));
    let Some(origin) = origin else {
        return next.run(req).await;
    };
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(VARY, HeaderValue::from_static("Origin"));
    if preflight {
        h.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, POST, PUT, DELETE, OPTIONS"),
        );
        h.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Accept"),
        );
        h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    } else {
        h.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Content-Type, Content-Length, Warning"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let list = vec!["https://viewer.example.org/".to_string()];
        assert!(allowed(&list, "https://viewer.example.org").is_some());
        assert!(allowed(&list, "https://evil.example.org").is_none());
        assert!(allowed(&[], "https://viewer.example.org").is_none());
        assert_eq!(
            allowed(&["*".into()], "https://any.example")
                .map(|v| v.to_str().unwrap_or("").to_string()),
            Some("*".to_string())
        );
    }
}
