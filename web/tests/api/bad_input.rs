//! Bad input: malformed queries, unknown fields, huge limits, traversal in ids, broken JSON,
//! oversized bodies. Always a 4xx with a JSON error body, never a 500 or a panic.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::json;

use crate::fixture::{get, json, request, send, shared, Small};

#[tokio::test]
async fn malformed_searches_are_400_with_a_clear_message() {
    let s = shared();
    let t = Some(s.token("admin"));
    let cases: &[(&str, &str)] = &[
        ("/api/v1/search?filter=colour:red", "modality"),
        ("/api/v1/search?filter=nocolon", "field:value"),
        ("/api/v1/search?filter=tr:%5B1%20TO", "[min TO max]"),
        ("/api/v1/search?filter=tr:%5Bx%20TO%202%5D", "not a number"),
        (
            "/api/v1/search?filter=tr:%5B5%20TO%201%5D",
            "min is greater than max",
        ),
        (
            "/api/v1/search?filter=exam_date:%5B2020-02-30%20TO%20*%5D",
            "not a date",
        ),
        ("/api/v1/search?facet=colour", "unknown field"),
        ("/api/v1/search?facet=nature:0", "size"),
        ("/api/v1/search?facet=nature:99999999999", "whole number"),
        ("/api/v1/search?facet=nature&facet=nature", "twice"),
        ("/api/v1/search?limit=100000", "limit is 1000"),
        ("/api/v1/search?limit=-5", "non-negative integer"),
        ("/api/v1/search?limit=1e3", "non-negative integer"),
        (
            "/api/v1/search?offset=999999999999999999999999",
            "non-negative integer",
        ),
        ("/api/v1/search?sort=colour", "unknown key"),
        ("/api/v1/search?sort=study:sideways", "asc or desc"),
        ("/api/v1/search?q=a&q=b", "more than once"),
        ("/api/v1/search?qq=flair", "unknown query parameter"),
    ];
    for (uri, needle) in cases {
        let r = get(&s.state, uri, t).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.json());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(needle), "{uri}: {msg}");
    }
    let long = "x".repeat(5000);
    get(&s.state, &format!("/api/v1/search?q={long}"), t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    let many: String = (0..100).map(|_| "&filter=modality:MR").collect();
    get(&s.state, &format!("/api/v1/search?q=x{many}"), t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
    get(&s.state, "/api/v1/suggest", t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    get(&s.state, "/api/v1/suggest?prefix=a&limit=51", t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn ids_that_are_not_ids_are_400_invalid_id() {
    let s = shared();
    let t = Some(s.token("admin"));
    let ds = s.dataset(s.closed);
    for uri in [
        "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd".to_string(),
        "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd/download".to_string(),
        "/api/v1/datasets/ds_%00".to_string(),
        "/api/v1/datasets/%FF%FE".to_string(),
        format!("/api/v1/datasets/{}", s.closed), // a study id where a dataset id belongs
        format!("/api/v1/studies/{ds}"),
        "/api/v1/studies/..".to_string(),
        "/api/v1/studies/st_../rights".to_string(),
        format!("/api/v1/audit?study={ds}"),
        "/api/v1/requests/rq_..%2F/approve".to_string(),
    ] {
        let method = if uri.ends_with("approve") {
            "POST"
        } else {
            "GET"
        };
        let r = send(
            &s.state,
            request(method, &uri, t).body(Body::empty()).unwrap(),
        )
        .await;
        r.assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    }
    // Unescaped traversal never reaches a handler: no such route.
    get(&s.state, "/api/v1/datasets/../../etc/passwd", t)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Well-formed ids of nothing.
    get(
        &s.state,
        &format!("/api/v1/datasets/{}", protocol::id::DatasetId::new()),
        t,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    get(
        &s.state,
        &format!("/api/v1/studies/{}", protocol::id::StudyId::new()),
        t,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // User names in paths identify accounts: checked like account names.
    let r = json(
        &s.state,
        "PUT",
        &format!("/api/v1/studies/{}/rights/..%2Fadmin", s.closed),
        t,
        json!({"rights": ["see"]}),
    )
    .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}

#[tokio::test]
async fn broken_json_bodies_are_400_or_415() {
    let s = Small::new(true);
    let send_raw = |ctype: Option<&'static str>, body: &'static str| {
        let mut b = request("POST", "/api/v1/login", None);
        if let Some(c) = ctype {
            b = b.header("content-type", c);
        }
        b.body(Body::from(body)).unwrap()
    };
    for body in [
        "{bad",
        "",
        "[]",
        "{\"name\": 5, \"password\": \"x\"}",
        "{\"name\": \"a\"}",
        "{\"name\":\"a\",\"password\":\"b\",\"extra\":1}",
    ] {
        send(&s.state, send_raw(Some("application/json"), body))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    send(&s.state, send_raw(None, "{}"))
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    send(&s.state, send_raw(Some("text/plain"), "{}"))
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let t = Some(s.admin.as_str());
    for (body, code) in [
        (
            json!({"name": "x", "password": "correct horse"}),
            "bad_request",
        ), // name too short
        (json!({"name": "dave", "password": "short"}), "bad_request"),
        (
            json!({"name": "dave", "password": "correct horse", "role": "root"}),
            "bad_request",
        ),
        (
            json!({"name": "cli", "password": "correct horse"}),
            "bad_request",
        ),
    ] {
        json(&s.state, "POST", "/api/v1/users", t, body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
    }
    let st = protocol::id::StudyId::new();
    json(
        &s.state,
        "PUT",
        &format!("/api/v1/studies/{st}/rights/admin"),
        t,
        json!({"rights": 5}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    json(
        &s.state,
        "PUT",
        &format!("/api/v1/studies/{st}/rights/admin"),
        t,
        json!({"rights": ["delete"]}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    json(
        &s.state,
        "PUT",
        &format!("/api/v1/studies/{st}/rights/admin"),
        t,
        json!({"rights": ["see"], "until": "31/12/2030"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    json(
        &s.state,
        "PUT",
        &format!("/api/v1/studies/{st}/rights/admin"),
        t,
        json!({"rights": ["see"], "centers": ["../x"]}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    json(
        &s.state,
        "POST",
        "/api/v1/users/admin/tokens",
        t,
        json!({"expires": "2001-01-01"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    testkit::need_make_series!();
    let s = Small::with_upload_limit(false, 10_000);
    let t = Some(s.admin.as_str());
    let big = "x".repeat(2 << 20);
    let body = format!("{{\"name\": \"{big}\", \"password\": \"x\"}}");
    let r = send(
        &s.state,
        request("POST", "/api/v1/login", None)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Declared too large: refused before reading.
    let r = send(
        &s.state,
        request("POST", "/api/v1/import?study=small", t)
            .header("content-type", "application/zip")
            .header("content-length", "20000")
            .body(Body::from(vec![0u8; 20_000]))
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Not declared (streamed): refused once the limit is crossed.
    let chunks = futures_util::stream::iter(
        (0..10).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 4096]))),
    );
    let r = send(
        &s.state,
        request("POST", "/api/v1/import?study=small", t)
            .header("content-type", "application/zip")
            .body(Body::from_stream(chunks))
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Nothing is left in the upload folder.
    assert_eq!(std::fs::read_dir(s.uploads.path()).unwrap().count(), 0);
}
