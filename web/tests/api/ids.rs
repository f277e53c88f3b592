//! Identifiers in paths, query strings and bodies: anything that is not an id of the right kind,
//! in the text form the API writes, is `400 invalid_id` on every route that takes one (never
//! changed into another id, never a 404); studies are named by id or by name, and refusals and
//! misses say which study they are about by its name.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::fixture::{get, json, request, send, shared, Resp, Small};

async fn call(method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Resp {
    let s = shared();
    match body {
        Some(b) => json(&s.state, method, uri, token, b).await,
        None => {
            send(
                &s.state,
                request(method, uri, token).body(Body::empty()).unwrap(),
            )
            .await
        }
    }
}

/// `id` with its first ULID character replaced by `c` (`8`..`Z` overflow 128 bits: such a string
/// used to parse, as another id).
fn first_char(id: &str, c: char) -> String {
    let (prefix, rest) = id.split_at(3);
    format!("{prefix}{c}{}", &rest[1..])
}

#[tokio::test]
async fn every_route_refuses_ids_that_do_not_parse() {
    let s = shared();
    let t = Some(s.token("admin"));
    let ds = s.dataset(s.closed).to_string();
    let st = s.closed.to_string();
    let hex = "ab".repeat(32);
    let rq = format!("rq_{}", &st[3..]);
    let bad_ds = [
        ds.to_lowercase(),
        first_char(&ds, '8'),
        first_char(&ds, 'Z'),
        st.clone(),
        "ds_".to_string(),
        "..%2F..%2Fetc%2Fpasswd".to_string(),
        format!("%20{ds}"),
    ];
    let bad_st = [
        st.to_lowercase(),
        first_char(&st, '8'),
        ds.clone(),
        "st_".to_string(),
        "st_..".to_string(),
        "..".to_string(),
        format!("{st}%20"),
        "%20closed".to_string(),
    ];
    let mut cases: Vec<(&str, String, Option<Value>)> = Vec::new();
    for d in &bad_ds {
        cases.push(("GET", format!("/api/v1/datasets/{d}"), None));
        cases.push((
            "GET",
            format!("/api/v1/datasets/{d}/download?format=nifti"),
            None,
        ));
    }
    for x in &bad_st {
        cases.extend([
            ("GET", format!("/api/v1/studies/{x}"), None),
            ("GET", format!("/api/v1/studies/{x}/rights"), None),
            ("GET", format!("/api/v1/studies/{x}/rights/seer"), None),
            (
                "PUT",
                format!("/api/v1/studies/{x}/rights/seer"),
                Some(json!({"rights": ["see"]})),
            ),
            ("DELETE", format!("/api/v1/studies/{x}/rights/seer"), None),
            (
                "POST",
                format!("/api/v1/studies/{x}/requests"),
                Some(json!({"rights": ["see"], "motivation": "m"})),
            ),
            ("GET", format!("/api/v1/studies/{x}/agreement"), None),
            (
                "PUT",
                format!("/api/v1/studies/{x}/agreement"),
                Some(json!({"text": "t"})),
            ),
            (
                "POST",
                format!("/api/v1/studies/{x}/agreement/accept"),
                Some(json!({"version": 1})),
            ),
            ("GET", format!("/api/v1/audit?study={x}"), None),
            ("POST", format!("/api/v1/import?study={x}"), None),
        ]);
    }
    for r in [rq.to_lowercase(), first_char(&rq, '9'), st.clone()] {
        cases.push(("POST", format!("/api/v1/requests/{r}/approve"), None));
        cases.push(("POST", format!("/api/v1/requests/{r}/refuse"), None));
    }
    for (blob, dataset) in [
        ("nothex".to_string(), hex.clone()),
        (hex.to_uppercase(), hex.clone()),
        (hex.clone(), hex[1..].to_string()),
        (format!("%20{hex}"), hex.clone()),
    ] {
        cases.push((
            "GET",
            format!("/api/v1/blobs/{blob}?dataset={dataset}"),
            None,
        ));
    }
    for c in ["xyz".to_string(), format!(" {hex}"), hex.to_uppercase()] {
        cases.push((
            "POST",
            "/api/v1/fetch".into(),
            Some(json!({"content_id": c})),
        ));
    }
    // Ids in bodies: centers of a grant.
    cases.push((
        "PUT",
        format!("/api/v1/studies/{st}/rights/seer"),
        Some(json!({"rights": ["see"], "centers": [s.center.to_string().to_lowercase()]})),
    ));
    // User names in paths identify accounts: checked like account names.
    for u in ["..%2Fadmin", "a", "%00bob"] {
        cases.push(("GET", format!("/api/v1/studies/{st}/rights/{u}"), None));
        cases.push(("POST", format!("/api/v1/users/{u}/tokens"), Some(json!({}))));
    }
    for (method, uri, body) in cases {
        let r = call(method, &uri, t, body).await;
        let msg = r.assert_error(StatusCode::BAD_REQUEST, "invalid_id");
        assert!(!msg.contains("internal"), "{method} {uri}: {msg}");
    }
    // Without an account too (the study of an account request).
    for x in [st.to_lowercase(), "closed".to_string()] {
        call(
            "POST",
            "/api/v1/account-requests",
            None,
            Some(
                json!({"name": "newcomer", "password": "correct horse", "study": x,
                        "rights": ["see"], "motivation": "m"}),
            ),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    }
}

#[tokio::test]
async fn a_wrong_id_names_what_was_expected_and_the_canonical_form() {
    let s = shared();
    let t = Some(s.token("admin"));
    let ds = s.dataset(s.closed).to_string();
    let msg = get(
        &s.state,
        &format!("/api/v1/datasets/{}", ds.to_lowercase()),
        t,
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    assert!(msg.contains(&ds), "{msg}");
    let msg = get(&s.state, &format!("/api/v1/studies/{ds}"), t)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
    assert!(msg.contains("not a study id"), "{msg}");
}

#[tokio::test]
async fn studies_are_named_by_id_or_by_name() {
    let s = shared();
    let admin = Some(s.token("admin"));
    for (suffix, key) in [
        ("", "study"),
        ("/rights", "rights"),
        ("/agreement", "study"),
    ] {
        let by_id = get(
            &s.state,
            &format!("/api/v1/studies/{}{suffix}", s.dua),
            admin,
        )
        .await;
        let by_name = get(
            &s.state,
            &format!("/api/v1/studies/agreement{suffix}"),
            admin,
        )
        .await;
        assert_eq!(by_id.status, StatusCode::OK, "{suffix}: {}", by_id.json());
        assert_eq!(
            by_name.status,
            StatusCode::OK,
            "{suffix}: {}",
            by_name.json()
        );
        assert_eq!(by_id.json()[key], by_name.json()[key], "{suffix}");
    }
    let r = get(&s.state, "/api/v1/studies/agreement/agreement", admin).await;
    assert_eq!(r.json()["study"], s.dua.to_string());
    assert_eq!(r.json()["agreement"]["version"], 1);
    let r = get(&s.state, "/api/v1/audit?study=closed&limit=1000", admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let records = r.json()["records"].as_array().unwrap().clone();
    assert!(!records.is_empty());
    assert!(records.iter().all(|x| x["study"] == s.closed.to_string()));

    // Unknown names and ids are 404s that say what was asked; names may hold spaces and `_`.
    for (uri, needle) in [
        (
            "/api/v1/studies/no%20such%20study",
            "no study named \"no such study\"",
        ),
        (
            "/api/v1/studies/ms_cohort/agreement",
            "no study named \"ms_cohort\"",
        ),
        (
            "/api/v1/audit?study=nothing%20here",
            "no study named \"nothing here\"",
        ),
    ] {
        let msg = get(&s.state, uri, admin)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(msg.contains(needle), "{uri}: {msg}");
    }
    let ghost = protocol::id::StudyId::new();
    let msg = get(&s.state, &format!("/api/v1/studies/{ghost}"), admin)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(msg.contains(&ghost.to_string()), "{msg}");

    // Refusals name the study.
    for (user, uri, needle) in [
        (
            "nobody",
            "/api/v1/studies/closed".to_string(),
            "no see right on study \"closed\" (",
        ),
        (
            "seer",
            "/api/v1/studies/closed/rights".to_string(),
            "no administer right on study \"closed\" (",
        ),
        (
            "unsigned",
            format!("/api/v1/datasets/{}", s.dataset(s.dua)),
            "study \"agreement\" (",
        ),
        (
            "expired",
            "/api/v1/studies/closed".to_string(),
            "right on study \"closed\" (",
        ),
    ] {
        let msg = get(&s.state, &uri, Some(s.token(user)))
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
        assert!(msg.contains(needle), "{user} {uri}: {msg}");
        assert!(msg.contains("st_"), "{user} {uri}: {msg}");
    }
    let msg = json(
        &s.state,
        "POST",
        "/api/v1/studies/agreement/agreement/accept",
        Some(s.token("unsigned")),
        json!({"version": 7}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    assert!(msg.contains("study \"agreement\" ("), "{msg}");
}

#[tokio::test]
async fn rights_and_imports_take_a_study_by_name() {
    testkit::need_make_series!();
    let s = Small::new(false);
    let t = Some(s.admin.as_str());
    let a = crate::fixture::access(s.node());
    a.users()
        .add(
            &node::Principal::Operator,
            node::NewUser::new("bob", node::Role::User),
            crate::fixture::PASSWORD,
            crate::fixture::now(),
        )
        .unwrap();
    let (cohort, _) = s.node().catalog.ensure_study("MS cohort", None).unwrap();
    let r = json(
        &s.state,
        "PUT",
        "/api/v1/studies/MS%20cohort/rights/bob",
        t,
        json!({"rights": ["see"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["study"], cohort.id.to_string());
    let r = get(&s.state, "/api/v1/studies/MS%20cohort/rights/bob", t).await;
    assert_eq!(r.json()["rights"], json!(["see"]));
    let r = send(
        &s.state,
        request("DELETE", "/api/v1/studies/MS%20cohort/rights/bob", t)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let msg = get(&s.state, "/api/v1/studies/MS%20cohort/rights/bob", t)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(msg.contains("study \"MS cohort\" ("), "{msg}");

    // An import by id goes into that study; an id names an existing study only.
    let zip = crate::import::zip_of(&crate::import::series_files());
    let small = s.study.unwrap();
    let upload = |uri: String| {
        request("POST", &uri, t)
            .header("content-type", "application/zip")
            .body(Body::from(zip.clone()))
            .unwrap()
    };
    let r = send(&s.state, upload(format!("/api/v1/import?study={small}"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["duplicates"], 25, "{}", r.json());
    assert_eq!(
        s.node().catalog.studies().unwrap().len(),
        2,
        "no study created"
    );
    let ghost = protocol::id::StudyId::new();
    send(&s.state, upload(format!("/api/v1/import?study={ghost}")))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
