//! The rights matrix for dataset views, downloads and study listings, and the rights, requests,
//! agreement and audit endpoints.

use axum::http::StatusCode;
use node::Role;
use serde_json::json;

use crate::fixture::{self, get, json, shared, Small};

/// (user, study, may see, may download, reason word when refused)
pub(crate) fn matrix() -> Vec<(
    &'static str,
    protocol::id::StudyId,
    bool,
    bool,
    &'static str,
)> {
    let s = shared();
    let (c, p, d) = (s.closed, s.public, s.dua);
    vec![
        ("admin", c, true, true, ""),
        ("admin", p, true, true, ""),
        ("admin", d, true, true, ""),
        ("nobody", c, false, false, "no see right"),
        ("nobody", p, true, false, "no download right"),
        ("nobody", d, false, false, "no see right"),
        ("seer", c, true, false, "no download right"),
        ("loader", c, true, true, ""),
        ("expired", c, false, false, "expired"),
        ("centered", c, true, true, ""),
        ("elsewhere", c, false, false, "does not cover"),
        ("signer", d, true, true, ""),
        ("signer", c, false, false, "no see right"),
        ("unsigned", d, false, false, "agreement"),
        ("unsigned", p, true, false, "no download right"),
    ]
}

#[tokio::test]
async fn rights_matrix_for_views_and_downloads() {
    let s = shared();
    for (user, study, see, download, why) in matrix() {
        let ds = s.dataset(study);
        let t = Some(s.token(user));
        let name = s.node().catalog.study(study).unwrap().unwrap().name;
        // Refusals name the study by name and id.
        let named = format!("study {name:?} ({study})");
        let r = get(&s.state, &format!("/api/v1/datasets/{ds}"), t).await;
        if see {
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{user} view {study}: {}",
                r.json()
            );
            let v = r.json();
            assert_eq!(v["id"], ds.to_string());
            assert_eq!(v["study"]["id"], study.to_string());
            assert!(v["subject"]["pseudonym"]
                .as_str()
                .is_some_and(|p| !p.is_empty()));
            assert!(v["cards"]["current"].is_object(), "{v}");
        } else {
            let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
            assert!(msg.contains(why), "{user} view {study}: {msg}");
            assert!(msg.contains(&named), "{user} view {study}: {msg}");
        }
        for format in ["dicom", "nifti"] {
            let uri = format!("/api/v1/datasets/{ds}/download?format={format}");
            let r = get(&s.state, &uri, t).await;
            if download {
                assert_eq!(r.status, StatusCode::OK, "{user} download {study}");
                assert!(!r.body.is_empty());
            } else {
                let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
                let why = if see { "no download right" } else { why };
                let why = if why == "no see right" {
                    "no download right"
                } else {
                    why
                };
                assert!(msg.contains(why), "{user} download {study}: {msg}");
                assert!(msg.contains(&named), "{user} download {study}: {msg}");
            }
        }
    }
}

#[tokio::test]
async fn study_listing_and_tree_follow_the_rights() {
    let s = shared();
    let listed = |user: &'static str| async move {
        let r = get(&s.state, "/api/v1/studies", Some(s.token(user))).await;
        assert_eq!(r.status, StatusCode::OK);
        let v = r.json();
        let mut names: Vec<String> = v["studies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        (names, v)
    };
    assert_eq!(listed("admin").await.0, ["agreement", "closed", "public"]);
    assert_eq!(listed("nobody").await.0, ["public"]);
    assert_eq!(listed("unsigned").await.0, ["public"]);
    assert_eq!(listed("signer").await.0, ["agreement", "public"]);
    assert_eq!(listed("expired").await.0, ["public"]);
    let (names, v) = listed("loader").await;
    assert_eq!(names, ["closed", "public"]);
    let closed = v["studies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "closed")
        .unwrap();
    assert_eq!(closed["rights"], json!(["see", "download"]));
    assert_eq!(closed["subjects"], 1);
    let (_, v) = listed("centered").await;
    let closed = v["studies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "closed")
        .unwrap();
    assert_eq!(closed["see_centers"], json!([s.center.to_string()]));
    assert!(closed["subjects"].is_null());

    let tree = |user: &'static str| {
        let uri = format!("/api/v1/studies/{}", s.closed);
        async move { get(&s.state, &uri, Some(s.token(user))).await }
    };
    for user in ["nobody", "expired", "signer"] {
        tree(user)
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    for user in ["admin", "seer", "loader", "centered"] {
        let r = tree(user).await;
        assert_eq!(r.status, StatusCode::OK, "{user}");
        let v = r.json();
        assert_eq!(v["subjects"].as_array().unwrap().len(), 1, "{user}");
    }
    // A right limited to another center shows the study, but none of its data.
    let r = tree("elsewhere").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["subjects"], json!([]));
}

#[tokio::test]
async fn rights_requests_and_agreements_through_the_api() {
    testkit::need_make_series!();
    let s = Small::new(false);
    let study = s.study.unwrap();
    let node = s.node();
    let admin = Some(s.admin.as_str());
    let eve = fixture::user(node, "eve", Role::User);
    let pi = fixture::user(node, "pia", Role::User);
    let eve_t = Some(eve.as_str());
    let ds = node.catalog.dataset_rows().unwrap()[0].dataset.id;
    let view = format!("/api/v1/datasets/{ds}");
    get(&s.state, &view, eve_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // Only administrators manage rights.
    let rights = format!("/api/v1/studies/{study}/rights");
    get(&s.state, &rights, eve_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = json(
        &s.state,
        "PUT",
        &format!("{rights}/pia"),
        admin,
        json!({"rights": ["administer"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let pi_t = Some(pi.as_str());
    let r = get(&s.state, &rights, pi_t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["rights"][0]["user"], "pia");

    // A request, approved by the study administrator.
    let r = json(
        &s.state,
        "POST",
        &format!("/api/v1/studies/{study}/requests"),
        eve_t,
        json!({"rights": ["see", "download"], "motivation": "replication study"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let rq = r.json()["id"].as_str().unwrap().to_string();
    let r = get(&s.state, "/api/v1/requests", pi_t).await;
    assert_eq!(r.json()["requests"][0]["id"], rq);
    assert_eq!(
        get(&s.state, "/api/v1/requests", eve_t).await.json()["requests"],
        json!([])
    );
    let approve = format!("/api/v1/requests/{rq}/approve");
    let r = crate::fixture::send(
        &s.state,
        crate::fixture::request("POST", &approve, eve_t)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = crate::fixture::send(
        &s.state,
        crate::fixture::request("POST", &approve, pi_t)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["status"], "approved");
    let again = json(&s.state, "POST", &approve, pi_t, json!({})).await;
    again.assert_error(StatusCode::CONFLICT, "conflict");
    assert_eq!(get(&s.state, &view, eve_t).await.status, StatusCode::OK);
    let r = get(&s.state, &format!("{rights}/eve"), pi_t).await;
    assert_eq!(r.json()["rights"], json!(["see", "download"]));

    // A new agreement suspends the right until accepted.
    let agreement = format!("/api/v1/studies/{study}/agreement");
    json(&s.state, "PUT", &agreement, eve_t, json!({"text": "x"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = json(
        &s.state,
        "PUT",
        &agreement,
        pi_t,
        json!({"text": "Cite us."}),
    )
    .await;
    assert_eq!(r.json()["version"], 1);
    let msg = get(&s.state, &view, eve_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(msg.contains("agreement"), "{msg}");
    let r = get(&s.state, &agreement, eve_t).await;
    assert_eq!(r.json()["agreement"]["text"], "Cite us.");
    assert!(r.json()["accepted_version"].is_null());
    json(
        &s.state,
        "POST",
        &format!("{agreement}/accept"),
        eve_t,
        json!({"version": 7}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    let r = json(
        &s.state,
        "POST",
        &format!("{agreement}/accept"),
        eve_t,
        json!({"version": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(get(&s.state, &view, eve_t).await.status, StatusCode::OK);

    // Revoking takes effect at once.
    let r = crate::fixture::send(
        &s.state,
        crate::fixture::request("DELETE", &format!("{rights}/eve"), pi_t)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    get(&s.state, &view, eve_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // The study administrator reads the study's audit log; others are refused.
    let audit = format!("/api/v1/audit?study={study}&limit=1000");
    get(&s.state, &audit, eve_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    get(&s.state, "/api/v1/audit", pi_t)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = get(&s.state, &audit, pi_t).await;
    assert_eq!(r.status, StatusCode::OK);
    let actions: Vec<String> = r.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["who"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "admin right_grant",
        "eve access_request",
        "pia access_decision",
        "pia agreement_set",
        "eve agreement_accept",
        "eve view",
        "pia right_revoke",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} missing from {actions:?}"
        );
    }
    let r = get(&s.state, "/api/v1/audit?limit=5", admin).await;
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn accounts_and_tokens_through_the_api() {
    testkit::need_make_series!();
    let s = Small::new(false);
    let admin = Some(s.admin.as_str());
    let r = json(
        &s.state,
        "POST",
        "/api/v1/users",
        admin,
        json!({"name": "Frank", "password": "long enough pw", "email": "f@example.org"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    assert_eq!(r.json()["name"], "frank");
    json(
        &s.state,
        "POST",
        "/api/v1/users",
        admin,
        json!({"name": "frank", "password": "long enough pw"}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    let r = json(
        &s.state,
        "POST",
        "/api/v1/users/frank/tokens",
        admin,
        json!({"label": "sync", "expires": "2099-12-31"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let tok = r.json()["token"].as_str().unwrap().to_string();
    assert!(tok.starts_with("nft_"));
    let ft = Some(tok.as_str());
    assert_eq!(
        get(&s.state, "/api/v1/me", ft).await.json()["user"]["name"],
        "frank"
    );
    get(&s.state, "/api/v1/users", ft)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    json(
        &s.state,
        "POST",
        "/api/v1/users",
        ft,
        json!({"name": "gina", "password": "long enough pw"}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    json(
        &s.state,
        "POST",
        "/api/v1/users/admin/tokens",
        ft,
        json!({}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = json(
        &s.state,
        "POST",
        "/api/v1/users/frank/tokens",
        ft,
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = get(&s.state, "/api/v1/users", admin).await;
    assert_eq!(r.json()["users"].as_array().unwrap().len(), 2);
    // Node-wide counts are for administrators only.
    get(&s.state, "/api/v1/stats", ft)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = get(&s.state, "/api/v1/stats", admin).await;
    assert_eq!(r.json()["datasets"], 1);
    assert_eq!(r.json()["users"], 2);

    // Someone without an account asks for one; it stays disabled until approved.
    let study = s.study.unwrap();
    let r = json(
        &s.state,
        "POST",
        "/api/v1/account-requests",
        None,
        json!({"name": "hugo", "password": "long enough pw", "study": study.to_string(), "rights": ["see"], "motivation": "PhD"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json());
    assert_eq!(r.json()["status"], "received");
    // A taken name is answered the same way (and makes no request).
    let taken = json(
        &s.state,
        "POST",
        "/api/v1/account-requests",
        None,
        json!({"name": "frank", "password": "long enough pw", "study": study.to_string(), "rights": ["see"], "motivation": "PhD"}),
    )
    .await;
    assert_eq!((taken.status, &taken.body), (r.status, &r.body));
    let login = json!({"name": "hugo", "password": "long enough pw"});
    json(&s.state, "POST", "/api/v1/login", None, login.clone())
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let pending = get(&s.state, "/api/v1/requests", admin).await.json();
    let pending = pending["requests"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["new_account"], true);
    let rq = pending[0]["id"].as_str().unwrap().to_string();
    let r = json(
        &s.state,
        "POST",
        &format!("/api/v1/requests/{rq}/approve"),
        admin,
        json!({"reason": "welcome"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        json(&s.state, "POST", "/api/v1/login", None, login)
            .await
            .status,
        StatusCode::OK
    );
    json(
        &s.state,
        "POST",
        "/api/v1/account-requests",
        None,
        json!({"name": "ivan", "password": "long enough pw", "study": "st_nope", "rights": ["see"], "motivation": "x"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}
