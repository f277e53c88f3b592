//! Who is calling: a Bearer token (`Authorization: Bearer nft_…` for API tokens, `nfs_…` for a
//! session) or the `neurofed_session` cookie set by `POST /api/v1/login`.
//!
//! [`Auth`] is an extractor: a handler that takes it answers 401 to a request without valid
//! credentials before doing anything else. Credentials are re-verified on every request, so a
//! revoked token, a closed session or a disabled account stops working at once.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use node::{AccessError, Principal, Role, TokenKind, User};

use crate::error::{ApiError, ApiResult};
use crate::state::{blocking, now, AppState};

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "neurofed_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    /// The account (as read when the credentials were verified).
    pub user: User,
    /// The session token, when the caller authenticated with one (for logout).
    pub session: Option<String>,
}

impl Auth {
    /// The principal rights are evaluated for.
    pub(crate) fn principal(&self) -> Principal {
        Principal::User(self.user.clone())
    }

    /// The name the audit log records.
    pub(crate) fn who(&self) -> &str {
        &self.user.name
    }

    /// Refuse unless the caller is an (enabled) admin.
    pub(crate) fn require_admin(&self) -> ApiResult<()> {
        if self.user.role == Role::Admin && !self.user.disabled {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "account {:?} is not an administrator",
                self.user.name
            )))
        }
    }
}

/// A credential found in a request, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Credential {
    Bearer(TokenKind, String),
    Cookie(String),
}

fn find_credential(parts: &Parts) -> ApiResult<Option<Credential>> {
    if let Some(h) = parts.headers.get(AUTHORIZATION) {
        let v = h
            .to_str()
            .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
        let (scheme, token) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthenticated(
                "the Authorization header must be `Bearer <token>`",
            ));
        }
        let token = token.trim();
        let kind = if token.starts_with("nft_") {
            TokenKind::Api
        } else if token.starts_with("nfs_") {
            TokenKind::Session
        } else {
            return Err(ApiError::unauthenticated(
                "not a neurofed token (expected nft_… or nfs_…)",
            ));
        };
        return Ok(Some(Credential::Bearer(kind, token.to_string())));
    }
    Ok(session_cookie(parts).map(Credential::Cookie))
}

/// The value of the session cookie, if the request carries one.
pub(crate) fn session_cookie(parts: &Parts) -> Option<String> {
    cookie(&parts.headers, SESSION_COOKIE).map(str::to_string)
}

/// The value of cookie `name` in `headers`.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// `Set-Cookie` value opening a session.
pub(crate) fn session_set_cookie(token: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value closing a session.
pub(crate) fn session_clear_cookie(secure: bool) -> String {
    session_set_cookie("", 0, secure)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let cred = find_credential(parts)?.ok_or_else(|| {
            ApiError::unauthenticated(
                "authentication required: `Authorization: Bearer <API token>` or a session cookie from POST /api/v1/login",
            )
        })?;
        let st = state.clone();
        blocking(move || {
            let access = st.access();
            let t = now();
            let (res, session) = match cred {
                Credential::Bearer(TokenKind::Api, tok) => (access.tokens().verify(&tok, t), None),
                Credential::Bearer(TokenKind::Session, tok) | Credential::Cookie(tok) => {
                    (access.sessions().verify(&tok, t), Some(tok))
                }
            };
            match res {
                Ok(user) => Ok(Auth { user, session }),
                Err(AccessError::BadToken(kind)) => Err(ApiError::unauthenticated(format!(
                    "invalid, revoked or expired {kind}"
                ))),
                Err(AccessError::AccountDisabled(name)) => Err(ApiError::unauthenticated(format!(
                    "account {name:?} is disabled"
                ))),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = Request::builder().uri("/");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| Request::new(()).into_parts().0)
    }

    #[test]
    fn credentials_are_found_in_header_or_cookie() {
        let p = parts(&[("authorization", "Bearer nft_abc")]);
        assert_eq!(
            find_credential(&p).ok().flatten(),
            Some(Credential::Bearer(TokenKind::Api, "nft_abc".into()))
        );
        let p = parts(&[("cookie", "a=b; neurofed_session=nfs_x ; c=d")]);
        assert_eq!(
            find_credential(&p).ok().flatten(),
            Some(Credential::Cookie("nfs_x".into()))
        );
        let p = parts(&[("authorization", "Basic dXNlcjpwYXNz")]);
        assert!(find_credential(&p).is_err());
        let p = parts(&[("authorization", "Bearer secret")]);
        assert!(find_credential(&p).is_err());
        assert_eq!(find_credential(&parts(&[])).ok().flatten(), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = session_set_cookie("nfs_1", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(session_clear_cookie(false).contains("Max-Age=0"));
    }
}
