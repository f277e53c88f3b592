//! Authentication: 401 on every protected route without valid credentials, tokens, sessions.

use axum::body::Body;
use axum::http::StatusCode;
use node::{Principal, Role};
use serde_json::json;

use crate::fixture::{self, get, json, request, send, Small, PASSWORD};

const PUBLIC: &[&str] = &[
    "/api/v1/health",
    "/api/v1/openapi.json",
    "/api/v1/login",
    "/api/v1/account-requests",
];

fn concrete(path: &str) -> String {
    let id = if path.starts_with("/api/v1/studies") {
        protocol::id::StudyId::new().to_string()
    } else if path.starts_with("/api/v1/datasets") {
        protocol::id::DatasetId::new().to_string()
    } else {
        node::RequestId::new().to_string()
    };
    path.replace("{id}", &id)
        .replace("{user}", "alice")
        .replace("{name}", "alice")
}

#[tokio::test]
async fn every_protected_route_answers_401_without_credentials() {
    let s = Small::new(true);
    let bad_tokens = [
        None,
        Some("nft_0000000000000000000000000000000000000000000000000000000000000000"),
        Some("nfs_0000000000000000000000000000000000000000000000000000000000000000"),
        Some("garbage"),
    ];
    for (method, path) in web::route_table() {
        if PUBLIC.contains(&path) {
            continue;
        }
        let uri = concrete(path);
        for tok in bad_tokens {
            let r = send(
                &s.state,
                request(&method.as_str().to_uppercase(), &uri, tok)
                    .header("content-type", "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
            let v = r.json();
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method:?} {uri} {tok:?}: {v}"
            );
            assert_eq!(v["error"]["code"], "unauthenticated");
        }
    }
}

#[tokio::test]
async fn public_routes_answer_without_credentials() {
    let s = Small::new(true);
    let r = get(&s.state, "/api/v1/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let r = get(&s.state, "/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["paths"].is_object());
}

#[tokio::test]
async fn malformed_authorization_headers_are_401() {
    let s = Small::new(true);
    for h in ["Basic YWxpY2U6cHc=", "Bearer", "nft_abc", "Bearer \u{7f}"] {
        let req = request("GET", "/api/v1/me", None)
            .header("authorization", h)
            .body(Body::empty());
        let Ok(req) = req else { continue };
        send(&s.state, req)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let req = request("GET", "/api/v1/me", None)
        .header("authorization", &b"Bearer \xff\xfe"[..])
        .body(Body::empty())
        .unwrap();
    send(&s.state, req)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn tokens_work_until_revoked_or_disabled() {
    let s = Small::new(true);
    let node = s.node();
    let tok = fixture::user(node, "alice", Role::User);
    let r = get(&s.state, "/api/v1/me", Some(&tok)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["name"], "alice");
    fixture::access(node)
        .users()
        .set_disabled(&Principal::Operator, "alice", true, fixture::now())
        .unwrap();
    let msg = get(&s.state, "/api/v1/me", Some(&tok))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(msg.contains("disabled"), "{msg}");
    fixture::access(node)
        .users()
        .set_disabled(&Principal::Operator, "alice", false, fixture::now())
        .unwrap();
    let id = fixture::access(node).tokens().list("alice").unwrap()[0]
        .id
        .clone();
    fixture::access(node)
        .tokens()
        .revoke(&Principal::Operator, &id, fixture::now())
        .unwrap();
    get(&s.state, "/api/v1/me", Some(&tok))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn login_sets_a_strict_cookie_that_logout_closes() {
    let s = Small::new(true);
    fixture::user(s.node(), "bob", Role::User);
    let r = json(
        &s.state,
        "POST",
        "/api/v1/login",
        None,
        json!({"name": "bob", "password": "wrong password"}),
    )
    .await;
    r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = json(
        &s.state,
        "POST",
        "/api/v1/login",
        None,
        json!({"name": "nobody-here", "password": PASSWORD}),
    )
    .await;
    r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = json(
        &s.state,
        "POST",
        "/api/v1/login",
        None,
        json!({"name": "Bob", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["user"]["name"], "bob");
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "neurofed_session=nfs_",
    ] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_string();
    let with_cookie = |method: &str, uri: &str| {
        request(method, uri, None)
            .header("cookie", format!("theme=dark; {pair}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = send(&s.state, with_cookie("GET", "/api/v1/me")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["name"], "bob");
    let r = send(&s.state, with_cookie("POST", "/api/v1/logout")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    send(&s.state, with_cookie("GET", "/api/v1/me"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Login and logout are audited by the access module.
    let log = s.node().catalog.audit().list(&Default::default()).unwrap();
    let actions: Vec<String> = log.iter().map(|e| e.action.to_string()).collect();
    assert!(
        actions.contains(&"login".into()) && actions.contains(&"logout".into()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn disabled_accounts_cannot_log_in() {
    let s = Small::new(true);
    fixture::user(s.node(), "carol", Role::User);
    fixture::access(s.node())
        .users()
        .set_disabled(&Principal::Operator, "carol", true, fixture::now())
        .unwrap();
    json(
        &s.state,
        "POST",
        "/api/v1/login",
        None,
        json!({"name": "carol", "password": PASSWORD}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let s = Small::new(true);
    get(&s.state, "/api/v1/nothing-here", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // `/` is the portal's home: without a session, its login form.
    let r = get(&s.state, "/", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/login?next=%2F");
    get(&s.state, "/no-such-page", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    send(
        &s.state,
        request("DELETE", "/api/v1/health", None)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

/// A login from `ip` (the connection's peer, as `web::serve` records it).
async fn login_from(s: &Small, ip: [u8; 4], name: &str, password: &str) -> fixture::Resp {
    let addr = std::net::SocketAddr::from((ip, 40000));
    send(
        &s.state,
        request("POST", "/api/v1/login", None)
            .header("content-type", "application/json")
            .extension(axum::extract::ConnectInfo(addr))
            .body(Body::from(
                json!({"name": name, "password": password}).to_string(),
            ))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn failed_logins_back_off_per_account_the_same_for_unknown_names() {
    let s = Small::new(true);
    // Each from its own address: only the per-account backoff is at work.
    let statuses = |name: &'static str| {
        let s = &s;
        async move {
            let mut out = Vec::new();
            for i in 0..7u8 {
                let r = login_from(s, [10, 1, i, 1], name, "wrong password").await;
                if r.status == StatusCode::TOO_MANY_REQUESTS {
                    assert_eq!(r.headers["retry-after"], "1");
                    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
                }
                out.push(r.status.as_u16());
            }
            out
        }
    };
    let known = statuses("admin").await;
    let unknown = statuses("ghost").await;
    assert_eq!(known, [401, 401, 401, 401, 401, 401, 429]);
    assert_eq!(unknown, known, "an unknown name is throttled the same way");
    // Locked: even the right password waits.
    let r = login_from(&s, [10, 2, 0, 1], "admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = login_from(&s, [10, 2, 0, 1], "admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    // A success forgets the account's failures.
    let r = login_from(&s, [10, 2, 0, 2], "admin", "wrong password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_logins_back_off_per_address_and_long_passwords_are_refused_first() {
    let s = Small::new(true);
    // 21 failures from one address, each on another name: then that address waits.
    for i in 0..21 {
        let r = login_from(&s, [10, 9, 9, 9], &format!("user{i}"), "wrong password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = login_from(&s, [10, 9, 9, 9], "admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = login_from(&s, [10, 9, 9, 8], "admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "another address is not held back");

    // Over 1024 bytes: 400 before any lookup, for a known and an unknown name alike.
    let long = "x".repeat(node::MAX_PASSWORD_BYTES + 1);
    for name in ["admin", "ghost"] {
        login_from(&s, [10, 9, 9, 7], name, &long)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
}

#[tokio::test]
async fn account_requests_are_limited_per_address() {
    let s = Small::new(false);
    let study = s.study.unwrap().to_string();
    let ask = |ip: [u8; 4], name: String| {
        let (state, study) = (s.state.clone(), study.clone());
        async move {
            send(
                &state,
                request("POST", "/api/v1/account-requests", None)
                    .header("content-type", "application/json")
                    .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                        ip, 40000,
                    ))))
                    .body(Body::from(
                        json!({"name": name, "password": "long enough pw", "study": study,
                            "rights": ["see"], "motivation": "PhD"})
                        .to_string(),
                    ))
                    .unwrap(),
            )
            .await
        }
    };
    for i in 0..5 {
        let r = ask([10, 3, 3, 3], format!("asker{i}")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json());
    }
    let r = ask([10, 3, 3, 3], "asker5".into()).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 3600, "{wait}");
    let r = ask([10, 3, 3, 4], "asker5".into()).await;
    assert_eq!(
        r.status,
        StatusCode::ACCEPTED,
        "another address may still ask"
    );
}
