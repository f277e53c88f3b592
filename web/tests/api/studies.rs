//! The study tree: its shape, pagination, and the time to open a study of 10,000 subjects.

use std::time::Instant;

use axum::http::StatusCode;
use dicom::Protocol;
use node::SeriesCommit;
use protocol::ContentId;
use serde_json::Value;

use crate::fixture::{get, shared, Small};

#[tokio::test]
async fn the_tree_nests_subjects_examinations_acquisitions_datasets() {
    let s = shared();
    let r = get(
        &s.state,
        &format!("/api/v1/studies/{}", s.closed),
        Some(s.token("loader")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["study"]["name"], "closed");
    assert_eq!(v["subjects_total"], 1);
    assert!(v["next_offset"].is_null());
    let subject = &v["subjects"][0];
    assert!(subject["pseudonym"].as_str().is_some_and(|p| !p.is_empty()));
    let exams = subject["examinations"].as_array().unwrap();
    assert_eq!(exams.len(), 2, "two sessions");
    let mut datasets: Vec<String> = Vec::new();
    for x in exams {
        assert_eq!(x["center"]["name"], "Rennes Neurinfo");
        assert!(x["date"].as_str().is_some());
        let acqs = x["acquisitions"].as_array().unwrap();
        assert_eq!(acqs.len(), 3, "three series per session");
        for a in acqs {
            assert_eq!(a["modality"], "MR");
            assert!(
                a["nature"].as_str().is_some(),
                "the card assigned a nature: {a}"
            );
            for d in a["datasets"].as_array().unwrap() {
                datasets.push(d["id"].as_str().unwrap().to_string());
                assert!(d["instances"].as_u64().unwrap() > 0);
            }
        }
    }
    let mut want: Vec<String> = s.datasets[&s.closed]
        .iter()
        .map(ToString::to_string)
        .collect();
    want.sort();
    datasets.sort();
    assert_eq!(datasets, want);
    // Viewing the tree is audited.
    let log = s
        .node()
        .catalog
        .audit()
        .list(&node::AuditFilter {
            study: Some(s.closed),
            ..Default::default()
        })
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.who == "loader" && e.detail.starts_with("study tree")));
}

fn commit(study: protocol::id::StudyId, i: usize) -> SeriesCommit {
    SeriesCommit {
        study,
        pseudonym: format!("P{i:05}"),
        sex: Some(if i.is_multiple_of(2) { "F" } else { "M" }.into()),
        birth_year: Some(1950 + (i % 50) as i32),
        study_uid: format!("2.25.{i}.1"),
        exam_date: Some(format!("2020-01-{:02}", 1 + i % 28)),
        age_years: Some(40.0),
        equipment: None,
        series_uid: format!("2.25.{i}.2"),
        modality: "MR".into(),
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
        series_number: Some(2),
        series_description: Some("t1_mprage".into()),
        protocol_name: None,
        protocol: Protocol::default(),
        instances: Vec::new(),
        manifest: ContentId::of(format!("manifest {i}").as_bytes()),
        manifest_size: 100,
        manifest_base: None,
        total_instances: 176,
        total_bytes: 176 * 100_000,
        nifti: None,
        nifti_refusal: None,
        cards: None,
    }
}

async fn timed(state: &web::AppState, uri: &str, token: &str) -> (f64, Value) {
    let started = Instant::now();
    let r = get(state, uri, Some(token)).await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(r.status, StatusCode::OK, "{uri}");
    (secs, r.json())
}

#[tokio::test]
async fn a_study_of_10000_subjects_opens_in_well_under_a_second() {
    let s = Small::new(true);
    let node = s.node();
    let (study, _) = node.catalog.ensure_study("big", None).unwrap();
    let made = Instant::now();
    let commits: Vec<_> = (0..10_000).map(|i| commit(study.id, i)).collect();
    node.catalog.commit_series_many(&commits).unwrap();
    eprintln!(
        "10k subjects committed in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    let base = format!("/api/v1/studies/{}", study.id);
    // Warm up (page cache, first transaction).
    timed(&s.state, &base, &s.admin).await;
    let (first, v) = timed(&s.state, &base, &s.admin).await;
    assert_eq!(v["subjects_total"], 10_000);
    assert_eq!(v["subjects"].as_array().unwrap().len(), 50);
    assert!(v["subjects"][0]["pseudonym"]
        .as_str()
        .unwrap()
        .starts_with('P'));
    assert_eq!(v["next_offset"], 50);
    assert_eq!(
        v["subjects"][0]["examinations"][0]["acquisitions"][0]["datasets"][0]["instances"],
        176
    );
    let (deep, v) = timed(&s.state, &format!("{base}?offset=9950&limit=50"), &s.admin).await;
    assert_eq!(v["subjects"].as_array().unwrap().len(), 50);
    assert_eq!(v["next_offset"], 10_000);
    let r = get(&s.state, &format!("{base}?offset=10000"), Some(&s.admin)).await;
    assert_eq!(r.json()["subjects"], serde_json::json!([]));
    assert!(r.json()["next_offset"].is_null());
    let (big, v) = timed(&s.state, &format!("{base}?offset=5000&limit=500"), &s.admin).await;
    assert_eq!(v["subjects"].as_array().unwrap().len(), 500);
    let (list, _) = timed(&s.state, "/api/v1/studies", &s.admin).await;
    eprintln!(
        "10k-subject study (debug build): first page of 50 in {:.1} ms, page at offset 9950 in {:.1} ms, 500 subjects in {:.1} ms, study list in {:.1} ms",
        first * 1e3,
        deep * 1e3,
        big * 1e3,
        list * 1e3
    );
    assert!(first < 0.5, "first page took {first:.3} s");
    assert!(deep < 0.5, "deep page took {deep:.3} s");
    let r = get(&s.state, &format!("{base}?limit=501"), Some(&s.admin)).await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
}
