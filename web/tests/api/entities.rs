//! `GET /subjects/{id}`, `GET /examinations/{id}`, the study-card routes and the selection
//! download: the study's rights decide, a center-limited right hides what was acquired
//! elsewhere, and a selection with one forbidden dataset sends nothing.

use std::io::Cursor;

use axum::http::StatusCode;
use node::Role;
use serde_json::json;

use crate::fixture::*;

#[tokio::test]
async fn subjects_and_examinations_follow_the_study_rights() {
    let s = shared();
    let ds = s.dataset(s.closed);
    let row = s.node().catalog.dataset_rows_for(&[ds]).unwrap().remove(0);
    let subject = format!("/api/v1/subjects/{}", row.subject.id);
    let exam = format!("/api/v1/examinations/{}", row.examination.id);

    let r = get(&s.state, &subject, Some(s.token("seer"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["subject"]["pseudonym"], row.subject.pseudonym.as_str());
    assert_eq!(v["study"]["id"], s.closed.to_string());
    let exams = v["examinations"].as_array().unwrap();
    assert!(exams
        .iter()
        .any(|x| x["id"] == row.examination.id.to_string()));
    let datasets: Vec<String> = exams
        .iter()
        .flat_map(|x| x["acquisitions"].as_array().unwrap().clone())
        .flat_map(|a| a["datasets"].as_array().unwrap().clone())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert!(datasets.contains(&ds.to_string()));

    let r = get(&s.state, &exam, Some(s.token("seer"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["subject"]["id"], row.subject.id.to_string());
    assert!(!v["examination"]["acquisitions"]
        .as_array()
        .unwrap()
        .is_empty());

    // No right: refused, naming the study; a right limited to another center: not there.
    for u in ["nobody", "expired"] {
        get(&s.state, &subject, Some(s.token(u)))
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
        get(&s.state, &exam, Some(s.token(u)))
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    get(&s.state, &subject, Some(s.token("elsewhere")))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    get(&s.state, &exam, Some(s.token("elsewhere")))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        get(&s.state, &exam, Some(s.token("centered"))).await.status,
        StatusCode::OK
    );
    get(
        &s.state,
        "/api/v1/subjects/su_nonsense",
        Some(s.token("admin")),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}

#[tokio::test]
async fn a_selection_downloads_as_one_zip_or_not_at_all() {
    let s = shared();
    let closed = &s.datasets[&s.closed];
    assert!(closed.len() >= 2, "the closed study has several datasets");
    let uri = format!(
        "/api/v1/download?dataset={}&dataset={}&format=dicom",
        closed[0], closed[1]
    );
    let r = get(&s.state, &uri, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/zip");
    let announced: u64 = r.headers["x-neurofed-bytes"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(r.body.clone())).unwrap();
    let mut total = 0u64;
    let mut series = std::collections::BTreeSet::new();
    for i in 0..zip.len() {
        let f = zip.by_index(i).unwrap();
        total += f.size();
        let name = f.name().to_string();
        series.insert(name.rsplit_once('/').unwrap().0.to_string());
    }
    assert_eq!(total, announced);
    assert_eq!(series.len(), 2, "two series folders: {series:?}");
    // The same two one by one hold the same bytes.
    let mut one_by_one = 0;
    for d in &closed[..2] {
        let r = get(
            &s.state,
            &format!("/api/v1/datasets/{d}/download"),
            Some(s.token("loader")),
        )
        .await;
        let mut z = zip::ZipArchive::new(Cursor::new(r.body)).unwrap();
        for i in 0..z.len() {
            one_by_one += z.by_index(i).unwrap().size();
        }
    }
    assert_eq!(one_by_one, announced);

    // One dataset of a study without the download right: 403 and no archive.
    let mixed = format!("{uri}&dataset={}", s.dataset(s.dua));
    let r = get(&s.state, &mixed, Some(s.token("loader"))).await;
    let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(msg.contains("agreement"), "{msg}");
    get(&s.state, "/api/v1/download", Some(s.token("loader")))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    get(
        &s.state,
        "/api/v1/download?dataset=ds_x",
        Some(s.token("loader")),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn study_cards_are_listed_versioned_and_re_applied_by_managers_only() {
    let small = Small::new(false);
    let st = &small.state;
    let study = small.study.unwrap();
    let admin = small.admin.as_str();
    let seer = user(small.node(), "seer", Role::User);
    grant(small.node(), "seer", study, "see", None);

    let base = format!("/api/v1/studies/{study}/cards");
    let r = get(st, &base, Some(&seer)).await;
    assert_eq!(r.status, StatusCode::OK);
    let cards = r.json()["cards"].as_array().unwrap().clone();
    let natures = cards
        .iter()
        .find(|c| c["name"] == "mr-natures")
        .expect("the fixture's card");
    assert_eq!(natures["version"], 1);
    assert_eq!(natures["current"], true);
    let source = natures["source"].as_str().unwrap().to_string();

    // A new version whose last rule makes every series FLAIR.
    let v2 = format!("{source}\n[[rule]]\nassign = {{ nature = \"FLAIR\" }}\n");
    json(st, "POST", &base, Some(&seer), json!({ "toml": v2 }))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let msg = json(
        st,
        "POST",
        &base,
        Some(admin),
        json!({ "toml": "name = 3" }),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(msg.contains("does not parse"), "{msg}");
    let r = json(st, "POST", &base, Some(admin), json!({ "toml": v2 })).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    assert_eq!(r.json()["version"], 2);
    let cards = get(st, &base, Some(&seer)).await.json()["cards"].clone();
    let current: Vec<(String, u64)> = cards
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["current"] == true)
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(current.contains(&("mr-natures".into(), 2)), "{current:?}");

    let apply = format!("{base}/apply");
    json(st, "POST", &apply, Some(&seer), json!({}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = json(st, "POST", &apply, Some(admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    let v = r.json();
    assert!(v["acquisitions"].as_u64().unwrap() >= 1);
    let changes = v["changed"][0]["changes"].to_string();
    assert!(changes.contains("FLAIR"), "{changes}");
    // The values in force follow; applying again changes nothing.
    let r = json(st, "POST", &apply, Some(admin), json!({})).await;
    assert_eq!(r.json()["changed"].as_array().unwrap().len(), 0);
    let audit = get(st, "/api/v1/audit?limit=20", Some(admin)).await.json();
    let actions = audit["records"].to_string();
    assert!(actions.contains("study_card_set") && actions.contains("study_card_apply"));
}

#[tokio::test]
async fn a_bids_selection_is_the_bids_export_of_the_same_datasets() {
    let s = shared();
    let ids = &s.datasets[&s.closed];
    let uri = format!(
        "/api/v1/download?format=bids&{}",
        ids.iter()
            .map(|d| format!("dataset={d}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    let r = get(&s.state, &uri, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(Cursor::new(r.body.clone())).unwrap();
    let mut got = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        got.insert(f.name().to_string(), bytes);
    }
    // The command line's export of the whole study: the same files, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let study = s.node().catalog.study(s.closed).unwrap().unwrap().name;
    node::export_bids(
        s.node(),
        dir.path(),
        &node::ExportFilter { study: Some(study) },
        &node::NoMeter,
    )
    .unwrap();
    let mut want = std::collections::BTreeMap::new();
    for e in walk(dir.path()) {
        let rel = e
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        want.insert(rel, std::fs::read(&e).unwrap());
    }
    assert!(want.contains_key("dataset_description.json"));
    assert!(
        want.keys().any(|k| k.ends_with(".nii.gz")),
        "{:?}",
        want.keys()
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert!(got == want, "the same bytes");
    // Two studies are not one BIDS dataset.
    let two = format!(
        "/api/v1/download?format=bids&dataset={}&dataset={}",
        s.dataset(s.closed),
        s.dataset(s.public)
    );
    let msg = get(&s.state, &two, Some(s.token("admin")))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(msg.contains("one study"), "{msg}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_studys_datasets_are_found_by_its_tree_alone() {
    let s = shared();
    let rows = s.node().catalog.dataset_rows().unwrap();
    for study in [s.closed, s.public, s.dua] {
        let mut walked: Vec<_> = s
            .node()
            .catalog
            .datasets_of_study(study)
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        let mut want: Vec<_> = rows
            .iter()
            .filter(|r| r.study.id == study)
            .map(|r| r.dataset.id)
            .collect();
        walked.sort();
        want.sort();
        assert!(!want.is_empty());
        assert_eq!(walked, want);
    }
}
