//! Clinical scores over HTTP: instruments (listed by anyone, defined by admins and study
//! administrators), assessments recorded as JSON rows or CSV (all or none, every bad row
//! reported, dry run), read back as JSON and CSV, searchable at once; rights as on other study
//! routes.

use axum::body::Body;
use axum::http::StatusCode;
use node::Role;
use serde_json::json;

use crate::fixture::{get, grant, json, request, send, user, Resp, Small};

const EDSS_TOML: &str = r#"
name = "Expanded Disability Status Scale"
acronym = "EDSS"
[[variables]]
name = "EDSS"
type = "number"
min = 0
max = 10
step = 0.5
[[variables]]
name = "course"
type = "choice"
values = ["RR", "SP", "PP"]
"#;

async fn post(state: &web::AppState, uri: &str, token: &str, media: &str, body: &str) -> Resp {
    send(
        state,
        request("POST", uri, Some(token))
            .header("content-type", media)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn scores_are_defined_recorded_read_back_and_searched_with_the_study_rights() {
    let s = Small::new(false);
    let study = s.study.unwrap();
    let node = s.node();
    let tokens: Vec<String> = ["manager", "importer", "viewer", "stranger"]
        .iter()
        .map(|n| user(node, n, Role::User))
        .collect();
    let [manager, importer, viewer, stranger] = [0, 1, 2, 3].map(|i| tokens[i].as_str());
    let admin = s.admin.as_str();
    grant(node, "manager", study, "see,administer", None);
    grant(node, "importer", study, "see,import", None);
    grant(node, "viewer", study, "see", None);
    let row = node.catalog.dataset_rows().unwrap().remove(0);
    let pseudonym = row.subject.pseudonym.clone();
    let session = format!(
        "ses-{}",
        row.examination.date.clone().unwrap().replace('-', "")
    );
    let datasets = node.catalog.dataset_rows().unwrap().len() as u64;

    // Instruments: any account lists them; a study administrator or an admin defines them.
    let r = get(&s.state, "/api/v1/instruments", Some(viewer)).await;
    assert_eq!(r.json(), json!({"instruments": []}));
    assert_eq!(
        get(&s.state, "/api/v1/instruments", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = post(
        &s.state,
        "/api/v1/instruments",
        viewer,
        "application/toml",
        EDSS_TOML,
    )
    .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = post(
        &s.state,
        "/api/v1/instruments",
        manager,
        "application/toml",
        EDSS_TOML,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    assert_eq!(r.json(), json!({"instrument": "EDSS", "changed": true}));
    let listed = get(&s.state, "/api/v1/instruments", Some(viewer))
        .await
        .json();
    let edss = listed["instruments"][0].clone();
    assert_eq!(edss["variables"][0]["max"], 10.0, "{edss}");
    assert_eq!(edss["variables"][1]["values"], json!(["RR", "SP", "PP"]));
    // The listed JSON defines the same instrument: no change.
    let r = json(
        &s.state,
        "POST",
        "/api/v1/instruments",
        Some(admin),
        edss.clone(),
    )
    .await;
    assert_eq!(r.json(), json!({"instrument": "EDSS", "changed": false}));
    let mut typo = edss.clone();
    typo["variables"][0]["maximum"] = json!(3);
    let r = json(&s.state, "POST", "/api/v1/instruments", Some(admin), typo).await;
    let msg = r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(msg.contains("maximum"), "{msg}");
    let mmse = json!({"name": "Mini-Mental State", "acronym": "MMSE", "variables": [
        {"name": "total", "type": "integer", "min": 0, "max": 30}]});
    let r = json(&s.state, "POST", "/api/v1/instruments", Some(admin), mmse).await;
    assert_eq!(r.json()["changed"], true);

    // Recording: `import` on the study; a user without it is refused as on other study routes.
    let uri = format!("/api/v1/studies/{study}/assessments?instrument=edss");
    let good = format!("participant_id;session;EDSS;course\nsub-{pseudonym};{session};4,5;SP\n");
    let tree_status = |token: &str| {
        let state = s.state.clone();
        let uri = format!("/api/v1/studies/{study}");
        let token = token.to_string();
        async move { get(&state, &uri, Some(&token)).await.status }
    };
    for token in [viewer, stranger] {
        let r = post(&s.state, &uri, token, "text/csv", &good).await;
        assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND);
        if tree_status(token).await == StatusCode::NOT_FOUND {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "hidden study");
        }
    }
    let stranger_tree = tree_status(stranger).await;
    assert!(stranger_tree == StatusCode::FORBIDDEN || stranger_tree == StatusCode::NOT_FOUND);

    // Every bad row is reported, nothing is recorded.
    let bad = json!({"rows": [
        {"subject": pseudonym, "session": session, "values": {"EDSS": 10.5}},
        {"subject": "nobody", "values": {"EDSS": 2}},
        {"subject": pseudonym, "values": {"course": "benign"}},
    ]});
    let r = json(&s.state, "POST", &uri, Some(importer), bad).await;
    let msg = r.assert_error(StatusCode::BAD_REQUEST, "invalid_rows");
    for want in [
        "3 problem(s)",
        "row 1: EDSS EDSS: 10.5 is out of range (0 to 10 by 0.5)",
        "row 2: no subject \"nobody\"",
        "row 3: EDSS course",
    ] {
        assert!(msg.contains(want), "{want} not in {msg}");
    }
    let r = post(
        &s.state,
        &uri,
        importer,
        "text/csv",
        "subject,EDSS\nnobody,1\nnobody2,11\n",
    )
    .await;
    let msg = r.assert_error(StatusCode::BAD_REQUEST, "invalid_rows");
    assert!(
        msg.contains("line 2: no subject") && msg.contains("line 3:"),
        "{msg}"
    );
    let r = post(&s.state, &uri, importer, "application/zip", "PK").await;
    r.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = post(
        &s.state,
        &format!("/api/v1/studies/{study}/assessments?instrument=UPDRS"),
        importer,
        "text/csv",
        &good,
    )
    .await;
    let msg = r.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(msg.contains("EDSS, MMSE"), "{msg}");

    // A dry run reports and writes nothing; then the CSV is recorded.
    let r = post(
        &s.state,
        &format!("{uri}&dry_run=true"),
        importer,
        "text/csv",
        &good,
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"instrument": "EDSS", "rows": 1, "added": 1, "changed": 0, "unchanged": 0, "dry_run": true})
    );
    let scores_uri = format!("/api/v1/studies/{study}/scores?instrument=EDSS");
    let r = get(&s.state, &scores_uri, Some(viewer)).await;
    assert_eq!(r.json()["assessments"], json!([]), "the dry run recorded");
    let search = format!(
        "/api/v1/search?filter={}&limit=0",
        "score.EDSS%3A%5B4%20TO%2010%5D"
    );
    assert_eq!(
        get(&s.state, &search, Some(viewer)).await.json()["total"],
        0
    );
    let r = post(&s.state, &uri, importer, "text/csv", &good).await;
    assert_eq!(r.json()["added"], 1, "{:?}", r.json());
    // JSON rows of the subject level; a second recording of the same values changes nothing.
    let subject_level = json!({"rows": [{"subject": format!("sub-{pseudonym}"), "values": {"EDSS": 3, "course": "rr"}}]});
    let r = json(
        &s.state,
        "POST",
        &uri,
        Some(importer),
        subject_level.clone(),
    )
    .await;
    assert_eq!(
        (r.json()["added"].clone(), r.json()["rows"].clone()),
        (json!(1), json!(1))
    );
    let r = json(&s.state, "POST", &uri, Some(importer), subject_level).await;
    assert_eq!(r.json()["unchanged"], 1);

    // Read back: JSON with typed values, CSV as the CLI exports it.
    let v = get(&s.state, &scores_uri, Some(viewer)).await.json();
    assert_eq!(v["study"]["name"], "small");
    assert_eq!(v["instrument"]["acronym"], "EDSS");
    let a = v["assessments"].as_array().unwrap();
    assert_eq!(a.len(), 2, "{v}");
    let sub = format!("sub-{pseudonym}");
    assert!(
        a.contains(&json!({"participant_id": sub, "session": session,
        "examination": row.examination.id.to_string(), "values": {"EDSS": 4.5, "course": "SP"}})),
        "{v}"
    );
    assert!(
        a.contains(
            &json!({"participant_id": sub, "session": "", "examination": "",
        "values": {"EDSS": 3.0, "course": "RR"}})
        ),
        "{v}"
    );
    let r = get(&s.state, &format!("{scores_uri}&format=csv"), Some(viewer)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = String::from_utf8(r.body.clone()).unwrap();
    let (header, _) = node
        .catalog
        .assessments_table(study, &node.catalog.require_instrument("EDSS").unwrap())
        .unwrap();
    assert_eq!(csv.lines().next().unwrap(), header.join(","));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // The exported CSV records back as it is.
    let r = post(&s.state, &uri, importer, "text/csv", &csv).await;
    assert_eq!(r.json()["unchanged"], 2, "{:?}", r.json());
    let r = get(&s.state, &format!("{scores_uri}&format=pdf"), Some(viewer)).await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let r = get(&s.state, &scores_uri, Some(stranger)).await;
    assert_eq!(r.status, stranger_tree, "as the study tree: {:?}", r.json());

    // Searchable at once: every dataset of the subject (the examination's value 4.5, the
    // subject-level 3).
    assert_eq!(
        get(&s.state, &search, Some(viewer)).await.json()["total"],
        datasets
    );
    let below = "/api/v1/search?filter=score.EDSS%3A%3C4&limit=0";
    assert_eq!(
        get(&s.state, below, Some(viewer)).await.json()["total"],
        datasets
    );
    let none = "/api/v1/search?filter=score.EDSS.course%3APP&limit=0";
    assert_eq!(get(&s.state, none, Some(viewer)).await.json()["total"], 0);
    assert_eq!(
        get(&s.state, &search, Some(stranger)).await.json()["total"],
        0
    );
    let bad = "/api/v1/search?filter=score.EDSS%3A%5B5%20TO%204%5D";
    get(&s.state, bad, Some(viewer))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_query");
}
