//! `/login`, `/logout`, `/account-request`: the forms in front of the API's own login, logout
//! and account request (same throttles, same audit), with CSRF tokens.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{layout, local_path, Form, Page, PostForm};
use crate::api::accounts::{AccountRequest, LoginRequest};
use crate::api::JsonBody;
use crate::auth::cookie;
use crate::state::AppState;
use crate::throttle::ClientIp;

const LOGIN_CSRF: &str = "neurofed_form";

fn random_token() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No randomness: a token nobody can predict is impossible, so none is accepted.
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn login_page(st: &AppState, next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let body = html! {
        @if let Some(e) = error { p.error role="alert" #login-error { (e) } }
        form.card method="post" action="/login" #login-form {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="next" value=(next);
            label for="user" { "Account" }
            input #user name="user" type="text" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete="current-password" required;
            button type="submit" #login-submit { "Log in" }
        }
        p { "No account? " a href="/account-request" { "Ask for one" } "." }
    };
    with_form_cookie(
        st,
        &token,
        (status, layout("Log in", None, body)).into_response(),
    )
}

/// `resp` with the cookie holding the pre-login form token `token` (double submit).
fn with_form_cookie(st: &AppState, token: &str, mut resp: Response) -> Response {
    let secure = if st.config.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub(crate) async fn form(State(st): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/");
    login_page(&st, next, None, StatusCode::OK)
}

/// `POST /login` (form fields `user`, `password`, `csrf`, `next`).
pub(crate) async fn submit(
    State(st): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = Form::parse(&body);
    let next = local_path(f.get("next")).unwrap_or("/").to_string();
    let sent = f.get("csrf");
    if sent.is_empty() || cookie(&headers, LOGIN_CSRF) != Some(sent) {
        return login_page(
            &st,
            &next,
            Some("The form expired or did not come from this site: please log in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let req = LoginRequest {
        name: f.get("user").to_string(),
        password: f.get("password").to_string(),
    };
    match crate::api::accounts::login(State(st.clone()), ip, JsonBody(req)).await {
        Ok(resp) => {
            let mut out = Redirect::to(&next).into_response();
            for v in resp.headers().get_all(SET_COOKIE) {
                out.headers_mut().append(SET_COOKIE, v.clone());
            }
            out
        }
        Err(e) => login_page(&st, &next, Some(&e.message), e.status),
    }
}

/// `POST /logout` (form field `csrf`): ends the session in the node, clears the cookie.
pub(crate) async fn logout(
    State(st): State<AppState>,
    PostForm { page, .. }: PostForm,
) -> Response {
    match crate::api::accounts::logout(State(st), page.auth).await {
        Ok(resp) => {
            let mut out = Redirect::to("/login").into_response();
            for v in resp.headers().get_all(SET_COOKIE) {
                out.headers_mut().append(SET_COOKIE, v.clone());
            }
            out
        }
        Err(e) => super::error_page(None, &e),
    }
}

fn account_page(st: &AppState, message: Option<(&str, bool)>, status: StatusCode) -> Response {
    let token = random_token();
    let body = html! {
        @if let Some((m, ok)) = message {
            p class=(if ok { "notice" } else { "error" }) role="alert" #request-result { (m) }
        }
        p { "Ask a study's managers for an account. They see your request, your contact and why; the account works once one of them approves it." }
        form.card method="post" action="/account-request" #account-form {
            input type="hidden" name="csrf" value=(token);
            label for="study" { "Study id (" code { "st_…" } ", from the study's coordinator)" }
            input #study name="study" type="text" required;
            label for="name" { "Account name wanted" }
            input #name name="name" type="text" autocomplete="username" required;
            label for="display_name" { "Your name" }
            input #display_name name="display_name" type="text" autocomplete="name";
            label for="contact" { "Contact e-mail" }
            input #contact name="contact" type="email" autocomplete="email" required;
            label for="role" { "Role wanted" }
            select #role name="role" {
                option value="guest" { "guest: see the study's datasets" }
                option value="user" selected { "user: see and download" }
                option value="expert" { "expert: see, download and import" }
                option value="admin" { "admin: also manage the study's rights" }
            }
            label for="password" { "Password (at least 12 characters)" }
            input #password name="password" type="password" autocomplete="new-password" required;
            label for="motivation" { "Why (shown to the managers)" }
            textarea #motivation name="motivation" rows="4" required {}
            button type="submit" { "Send the request" }
        }
    };
    with_form_cookie(
        st,
        &token,
        (status, layout("Ask for an account", None, body)).into_response(),
    )
}

/// `GET /account-request`.
pub(crate) async fn account_form(State(st): State<AppState>) -> Response {
    account_page(&st, None, StatusCode::OK)
}

/// `POST /account-request`: the API's account request (same throttle, same answer whether the
/// name exists or not).
pub(crate) async fn account_submit(
    State(st): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = Form::parse(&body);
    let sent = f.get("csrf");
    if sent.is_empty() || cookie(&headers, LOGIN_CSRF) != Some(sent) {
        return account_page(
            &st,
            Some((
                "The form expired or did not come from this site: please send it again.",
                false,
            )),
            StatusCode::FORBIDDEN,
        );
    }
    let rights: &[&str] = match f.get("role") {
        "guest" => &["see"],
        "user" => &["see", "download"],
        "expert" => &["see", "download", "import"],
        "admin" => &["see", "download", "import", "administer"],
        _ => {
            return account_page(
                &st,
                Some(("Choose a role.", false)),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let contact = f.get("contact").trim();
    let req = AccountRequest {
        name: f.get("name").to_string(),
        password: f.get("password").to_string(),
        display_name: f.get("display_name").to_string(),
        email: (!contact.is_empty()).then(|| contact.to_string()),
        study: f.get("study").trim().to_string(),
        rights: rights.iter().map(|r| r.to_string()).collect(),
        motivation: f.get("motivation").to_string(),
    };
    match crate::api::accounts::request_account(State(st.clone()), ip, JsonBody(req)).await {
        Ok((_, body)) => account_page(&st, Some((body.0.message, true)), StatusCode::ACCEPTED),
        Err(e) => account_page(&st, Some((&e.message, false)), e.status),
    }
}

/// `GET /account`: the account, its rights (with what expires soon) and the password form.
pub(crate) async fn account(State(st): State<AppState>, page: Page) -> Response {
    let v = match crate::api::accounts::me(State(st), page.auth.clone()).await {
        Ok(j) => super::value(j),
        Err(e) => return super::error_page(Some(&page), &e),
    };
    let s = super::s;
    let body = html! {
        dl.meta {
            dt { "Account" } dd { (s(&v["user"]["name"])) }
            dt { "Name" } dd { (s(&v["user"]["display_name"])) }
            dt { "E-mail" } dd { (s(&v["user"]["email"])) }
            dt { "Role" } dd { (s(&v["user"]["role"])) }
        }
        h2 { "Your rights" }
        table.rights {
            thead { tr { th { "Study" } th { "Rights" } th { "Until" } } }
            tbody { @for r in v["rights"].as_array().cloned().unwrap_or_default() {
                tr { td { a href=(format!("/studies/{}", s(&r["study"]))) { (s(&r["study"])) } }
                     td { (r["rights"].as_array().map(|x| x.iter().map(s).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                     td { (s(&r["until"])) @if let Some(n) = super::manage::expiry_note(&r["until"]) { " " strong.expiring { (n) " (ask the study's managers to renew it)" } } } }
            } }
        }
        h2 { "Change your password" }
        form.card method="post" action="/account/password" #password-form {
            (page.csrf_field())
            label for="current" { "Current password" }
            input #current name="current" type="password" autocomplete="current-password" required;
            label for="new" { "New password (at least 12 characters)" }
            input #new name="new" type="password" autocomplete="new-password" minlength="12" required;
            button type="submit" { "Change the password" }
            p { "Every session of the account ends: you log in again with the new password." }
        }
    };
    layout("Your account", Some(&page), body).into_response()
}

/// `POST /account/password` (fields `current`, `new`, `csrf`): the API's password change, which
/// ends every session of the account; then the login form.
pub(crate) async fn change_password(
    State(st): State<AppState>,
    PostForm { page, form: f }: PostForm,
) -> Response {
    let req = crate::api::accounts::PasswordChange {
        current: f.get("current").to_string(),
        new: f.get("new").to_string(),
    };
    match crate::api::accounts::change_password(State(st), page.auth.clone(), JsonBody(req)).await {
        Ok(resp) => {
            let mut out = Redirect::to("/login?next=%2Faccount").into_response();
            for v in resp.headers().get_all(SET_COOKIE) {
                out.headers_mut().append(SET_COOKIE, v.clone());
            }
            out
        }
        Err(e) => super::error_page(Some(&page), &e),
    }
}
