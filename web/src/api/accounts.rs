//! Accounts: login and logout (session cookie), the caller's own account, account management
//! (admins), API tokens, and account requests from people without an account.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Instant;

use node::{parse_date, AccessError, NewUser, Role, TokenInfo, User};
use protocol::id::StudyId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::names::{right_set, user_name};
use super::rights::RightBody;
use super::{JsonBody, PathParams};
use crate::auth::{session_clear_cookie, session_set_cookie, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};
use crate::throttle::{address_key, too_many, ClientIp};

/// An account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct UserBody {
    /// Id (`us_…`).
    pub id: String,
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Contact address.
    pub email: Option<String>,
    /// `admin` or `user`.
    pub role: String,
    /// Created, unix seconds.
    pub created_at: u64,
    /// A disabled account cannot log in and has no rights.
    pub disabled: bool,
}

impl From<&User> for UserBody {
    fn from(u: &User) -> Self {
        UserBody {
            id: u.id.to_string(),
            name: u.name.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.to_string(),
            created_at: u.created_at,
            disabled: u.disabled,
        }
    }
}

/// `POST /login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    /// Login name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// The answer of `POST /login` (the session itself is in the `neurofed_session` cookie).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoginBody {
    /// The account.
    pub user: UserBody,
    /// When the session ends, unix seconds.
    pub expires_at: Option<u64>,
}

/// Open a web session: sets the `neurofed_session` cookie (HttpOnly, SameSite=Strict).
#[utoipa::path(post, path = "/api/v1/login", operation_id = "login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginBody),
        (status = 400, body = ErrorBody),
        (status = 401, description = "Wrong name or password", body = ErrorBody),
        (status = 403, description = "Account disabled", body = ErrorBody),
        (status = 429, description = "Too many failed logins for this account or address", body = ErrorBody),
    ))]
pub(crate) async fn login(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let secure = st.config.secure_cookie;
    // Failures back off per account (known or not: the same) and per client address.
    let account = node::normalize_name(&req.name)
        .unwrap_or_else(|_| req.name.trim().to_lowercase().chars().take(64).collect());
    let address = address_key(ip);
    let t = Instant::now();
    let wait = [
        st.throttles.login_account.check(&account, t),
        st.throttles.login_address.check(&address, t),
    ]
    .into_iter()
    .filter_map(Result::err)
    .max();
    if let Some(wait) = wait {
        return Err(too_many(wait, "failed logins"));
    }
    let throttles = st.throttles.clone();
    let done = blocking(move || {
        let access = st.access();
        let user = access.users().authenticate(&req.name, &req.password)?;
        let (token, info) = access.sessions().create(&user, now())?;
        Ok((user, token, info))
    })
    .await;
    let (user, token, info) = match done {
        Ok(ok) => {
            throttles.login_account.succeed(&account);
            ok
        }
        Err(e) => {
            if e.status == StatusCode::UNAUTHORIZED {
                let t = Instant::now();
                throttles.login_account.fail(&account, t);
                throttles.login_address.fail(&address, t);
            }
            return Err(e);
        }
    };
    let max_age = info.expires_at.map_or(0, |e| e.saturating_sub(now()));
    let body = LoginBody {
        user: UserBody::from(&user),
        expires_at: info.expires_at,
    };
    Ok((
        [(SET_COOKIE, session_set_cookie(&token, max_age, secure))],
        Json(body),
    )
        .into_response())
}

/// Close the caller's session (if it authenticated with one) and clear the cookie.
#[utoipa::path(post, path = "/api/v1/logout", operation_id = "logout", tag = "accounts",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorBody)))]
pub(crate) async fn logout(State(st): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let secure = st.config.secure_cookie;
    if let Some(token) = auth.session.clone() {
        blocking(move || Ok(st.access().sessions().revoke(&token, now())?)).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, session_clear_cookie(secure))],
    )
        .into_response())
}

/// `POST /me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    /// The password in use.
    pub current: String,
    /// The new one (at least 12 characters).
    pub new: String,
}

/// Change the caller's own password (the current one proves it is the account's owner, failures
/// back off as logins do). Every session of the account ends, this one too: log in again.
#[utoipa::path(post, path = "/api/v1/me/password", operation_id = "change_password", tag = "accounts",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every session of the account ended"),
        (status = 400, description = "The new password is too weak", body = ErrorBody),
        (status = 401, description = "Not logged in, or the current password is wrong", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub(crate) async fn change_password(
    State(st): State<AppState>,
    auth: Auth,
    JsonBody(req): JsonBody<PasswordChange>,
) -> ApiResult<Response> {
    let secure = st.config.secure_cookie;
    let account = auth.user.name.clone();
    let t = Instant::now();
    if let Err(wait) = st.throttles.login_account.check(&account, t) {
        return Err(too_many(wait, "failed logins"));
    }
    let throttles = st.throttles.clone();
    let name = account.clone();
    let done = blocking(move || {
        let users = st.access().users();
        let user = users.authenticate(&name, &req.current)?;
        users.set_password(&node::Principal::User(user.clone()), &name, &req.new, now())?;
        Ok(())
    })
    .await;
    if let Err(e) = &done {
        if e.status == StatusCode::UNAUTHORIZED {
            throttles.login_account.fail(&account, Instant::now());
        }
    }
    done?;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, session_clear_cookie(secure))],
    )
        .into_response())
}

/// `GET /me`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeBody {
    /// The account.
    pub user: UserBody,
    /// Its per-study rights (expired ones included, with their dates).
    pub rights: Vec<RightBody>,
}

/// The caller's account and rights.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "me", tag = "accounts",
    responses((status = 200, body = MeBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<MeBody>> {
    blocking(move || {
        let rights = st.access().rights().of_user(auth.user.id)?;
        Ok(Json(MeBody {
            user: UserBody::from(&auth.user),
            rights: rights
                .iter()
                .map(|r| RightBody::new(r, &auth.user.name))
                .collect(),
        }))
    })
    .await
}

/// `GET /users`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserList {
    /// Every account, by name.
    pub users: Vec<UserBody>,
}

/// Every account (admins only).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", tag = "accounts",
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_users(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<UserList>> {
    auth.require_admin()?;
    blocking(move || {
        let users = st.access().users().list()?;
        Ok(Json(UserList {
            users: users.iter().map(UserBody::from).collect(),
        }))
    })
    .await
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    /// Login name: 3-64 characters of `a-z 0-9 . _ -`.
    pub name: String,
    /// Password, at least 8 characters.
    pub password: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// `admin` or `user` (default).
    #[serde(default)]
    pub role: Option<String>,
}

fn parse_role(s: Option<&str>) -> ApiResult<Role> {
    match s {
        None | Some("user") => Ok(Role::User),
        Some("admin") => Ok(Role::Admin),
        Some(other) => Err(ApiError::bad_request(format!(
            "role {:?} is not admin or user",
            super::clip(other, 20)
        ))),
    }
}

/// Create an account (admins only).
#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", tag = "accounts",
    request_body = NewUserRequest,
    responses(
        (status = 201, body = UserBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    ))]
pub(crate) async fn create_user(
    State(st): State<AppState>,
    auth: Auth,
    JsonBody(req): JsonBody<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<UserBody>)> {
    auth.require_admin()?;
    let role = parse_role(req.role.as_deref())?;
    blocking(move || {
        let new = NewUser {
            name: req.name,
            display_name: req.display_name,
            email: req.email,
            role,
            disabled: false,
        };
        let user = st
            .access()
            .users()
            .add(&auth.principal(), new, &req.password, now())?;
        Ok((StatusCode::CREATED, Json(UserBody::from(&user))))
    })
    .await
}

/// `POST /users/{name}/tokens`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenRequest {
    /// What it is for.
    #[serde(default)]
    pub label: String,
    /// Last valid day (UTC), `YYYY-MM-DD`; none: no expiry.
    #[serde(default)]
    pub expires: Option<String>,
}

/// A new API token: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewTokenBody {
    /// The token (`nft_…`): use it as `Authorization: Bearer <token>`. Only its hash is stored.
    pub token: String,
    /// Its public handle.
    pub id: String,
    /// Label.
    pub label: String,
    /// Expiry, unix seconds.
    pub expires_at: Option<u64>,
}

/// Create an API token for an account (the account itself or an admin).
#[utoipa::path(post, path = "/api/v1/users/{name}/tokens", operation_id = "create_token", tag = "accounts",
    params(("name" = String, Path, description = "Login name")),
    request_body = NewTokenRequest,
    responses(
        (status = 201, body = NewTokenBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn create_token(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewTokenBody>)> {
    let name = user_name(path.get(0)?)?;
    let expires = req.expires.as_deref().map(parse_date).transpose()?;
    blocking(move || {
        let (token, info): (String, TokenInfo) =
            st.access()
                .tokens()
                .create(&auth.principal(), &name, &req.label, expires, now())?;
        Ok((
            StatusCode::CREATED,
            Json(NewTokenBody {
                token,
                id: info.id,
                label: info.label,
                expires_at: info.expires_at,
            }),
        ))
    })
    .await
}

/// `POST /account-requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountRequest {
    /// Wanted login name.
    pub name: String,
    /// Password.
    pub password: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Contact address.
    #[serde(default)]
    pub email: Option<String>,
    /// Study id (`st_…`) the rights are asked on. Not a name: this route needs no account, and
    /// names (unlike ids) can be guessed, so a name would tell strangers which studies exist.
    pub study: String,
    /// Rights asked: `see`, `download`, `import`, `administer`.
    pub rights: Vec<String>,
    /// Why (shown to the study's administrators).
    pub motivation: String,
}

/// The answer of `POST /account-requests`: the same whether or not the name was free.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccountRequestBody {
    /// `received`.
    pub status: &'static str,
    /// What happens next.
    pub message: &'static str,
}

/// Ask for an account with rights on a study (no authentication): the account is created
/// disabled and enabled when a study administrator approves. The answer is the same whether
/// or not the name is taken (a taken name makes no request), so that it does not tell which
/// accounts exist; requests are limited per client address and in all (429, `Retry-After`).
#[utoipa::path(post, path = "/api/v1/account-requests", operation_id = "request_account", tag = "accounts",
    request_body = AccountRequest,
    responses(
        (status = 202, body = AccountRequestBody),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, description = "Too many account requests", body = ErrorBody),
    ))]
pub(crate) async fn request_account(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<AccountRequest>,
) -> ApiResult<(StatusCode, Json<AccountRequestBody>)> {
    if let Err(wait) = st
        .throttles
        .account_requests
        .take(&address_key(ip), Instant::now())
    {
        return Err(too_many(wait, "account requests"));
    }
    let study: StudyId = super::parse_id(&req.study)?;
    let rights = right_set(&req.rights)?;
    blocking(move || {
        let new = NewUser {
            name: req.name,
            display_name: req.display_name,
            email: req.email,
            role: Role::User,
            disabled: true,
        };
        // The password is hashed before the name is looked up: a taken name costs the same.
        match st.access().requests().request_account(
            new,
            &req.password,
            study,
            rights,
            &req.motivation,
            now(),
        ) {
            Ok(_) | Err(AccessError::UserExists(_)) => Ok((
                StatusCode::ACCEPTED,
                Json(AccountRequestBody {
                    status: "received",
                    message: "the study's administrators will decide on the request; the account can log in once it is approved",
                }),
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await
}
