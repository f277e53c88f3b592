//! DICOMweb under `/dicom-web`: QIDO-RS answers checked against the catalog, rights as search's.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use node::DatasetRow;
use serde_json::Value;

use crate::fixture::*;

fn rows() -> Vec<DatasetRow> {
    shared().node().catalog.dataset_rows().unwrap()
}

fn text(item: &Value, tag: &str) -> Option<String> {
    item[tag]["Value"][0].as_str().map(str::to_string)
}

fn uids(v: &Value, tag: &str) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| text(i, tag).expect("a UID"))
        .collect()
}

async fn qido(user: &str, uri: &str) -> Value {
    let s = shared();
    let r = get(&s.state, uri, Some(s.token(user))).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {:?}", r.json());
    assert_eq!(r.headers["content-type"], "application/dicom+json");
    r.json()
}

#[tokio::test]
async fn studies_are_the_examinations_a_user_may_see() {
    let s = shared();
    let all: BTreeSet<String> = rows()
        .iter()
        .map(|r| r.examination.study_uid.clone())
        .collect();
    assert!(all.len() >= 3, "{all:?}");
    let v = qido("admin", "/dicom-web/studies").await;
    assert_eq!(uids(&v, "0020000D"), all);
    for item in v.as_array().unwrap() {
        let uid = text(item, "0020000D").unwrap();
        let mine: Vec<DatasetRow> = rows()
            .into_iter()
            .filter(|r| r.examination.study_uid == uid)
            .collect();
        assert_eq!(
            text(item, "00100020"),
            Some(mine[0].subject.pseudonym.clone())
        );
        assert_eq!(
            item["00100010"]["Value"][0]["Alphabetic"],
            mine[0].subject.pseudonym.as_str()
        );
        assert_eq!(item["00201206"]["Value"][0], mine.len());
        let n: u32 = mine.iter().map(|r| r.dataset.dicom.instances).sum();
        assert_eq!(item["00201208"]["Value"][0], n);
        let date = mine[0].examination.date.clone().unwrap().replace('-', "");
        assert_eq!(text(item, "00080020"), Some(date));
    }
    // seer: the closed study and the public one, never the agreement study.
    let seen = |study| -> BTreeSet<String> {
        rows()
            .iter()
            .filter(|r| r.study.id == study)
            .map(|r| r.examination.study_uid.clone())
            .collect()
    };
    let v = qido("seer", "/dicom-web/studies").await;
    let want: BTreeSet<String> = seen(s.closed).union(&seen(s.public)).cloned().collect();
    assert_eq!(uids(&v, "0020000D"), want);
    // nobody and the center-limited "elsewhere": the public study only.
    for u in ["nobody", "elsewhere"] {
        let v = qido(u, "/dicom-web/studies").await;
        assert_eq!(uids(&v, "0020000D"), seen(s.public), "{u}");
        let v = qido(u, "/dicom-web/series").await;
        let series: BTreeSet<String> = rows()
            .iter()
            .filter(|r| r.study.id == s.public)
            .map(|r| r.acquisition.series_uid.clone())
            .collect();
        assert_eq!(uids(&v, "0020000E"), series, "{u}");
    }
    // A closed study's series, asked for by UID, is not there for nobody.
    let closed_uid = seen(s.closed).into_iter().next().unwrap();
    let v = qido("nobody", &format!("/dicom-web/studies/{closed_uid}/series")).await;
    assert_eq!(v, Value::Array(vec![]));
    let r = get(&s.state, "/dicom-web/studies", None).await;
    r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn matching_keys_and_paging() {
    let all = rows();
    let pseudonym = all[0].subject.pseudonym.clone();
    let v = qido(
        "admin",
        &format!("/dicom-web/studies?PatientID={pseudonym}"),
    )
    .await;
    let want: BTreeSet<String> = all
        .iter()
        .filter(|r| r.subject.pseudonym == pseudonym)
        .map(|r| r.examination.study_uid.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(uids(&v, "0020000D"), want);
    // Wildcards on the pseudonym, tag form of the key.
    let prefix: String = pseudonym.chars().take(3).collect();
    let v = qido("admin", &format!("/dicom-web/studies?00100020={prefix}*")).await;
    assert!(uids(&v, "0020000D").is_superset(&want));
    // Date ranges.
    let date = all[0].examination.date.clone().unwrap().replace('-', "");
    let on_date: BTreeSet<String> = all
        .iter()
        .filter(|r| r.examination.date.as_deref().map(|d| d.replace('-', "")) == Some(date.clone()))
        .map(|r| r.examination.study_uid.clone())
        .collect();
    let v = qido(
        "admin",
        &format!("/dicom-web/studies?StudyDate={date}-{date}"),
    )
    .await;
    assert_eq!(uids(&v, "0020000D"), on_date);
    let v = qido("admin", "/dicom-web/studies?StudyDate=-19000101").await;
    assert_eq!(v, Value::Array(vec![]));
    // UID lists.
    let two: Vec<String> = qido("admin", "/dicom-web/studies")
        .await
        .as_array()
        .unwrap()[..2]
        .iter()
        .map(|i| text(i, "0020000D").unwrap())
        .collect();
    let v = qido(
        "admin",
        &format!("/dicom-web/studies?StudyInstanceUID={},{}", two[0], two[1]),
    )
    .await;
    assert_eq!(uids(&v, "0020000D"), two.iter().cloned().collect());
    // Modality and SeriesDescription wildcards at series level.
    let desc = all
        .iter()
        .find_map(|r| r.acquisition.series_description.clone())
        .unwrap();
    let pat: String = desc.chars().take(2).collect::<String>() + "*";
    let want: BTreeSet<String> = all
        .iter()
        .filter(|r| {
            r.acquisition
                .series_description
                .as_deref()
                .is_some_and(|d| d.starts_with(&pat[..pat.len() - 1]))
        })
        .map(|r| r.acquisition.series_uid.clone())
        .collect();
    let v = qido(
        "admin",
        &format!("/dicom-web/series?SeriesDescription={pat}&Modality=MR"),
    )
    .await;
    assert_eq!(uids(&v, "0020000E"), want);
    let v = qido("admin", "/dicom-web/series?Modality=CT").await;
    assert_eq!(v, Value::Array(vec![]));
    // limit and offset page through the same order.
    let full = qido("admin", "/dicom-web/series").await;
    let page = qido("admin", "/dicom-web/series?offset=1&limit=2").await;
    assert_eq!(page.as_array().unwrap()[..], full.as_array().unwrap()[1..3]);
    // includefield: a non-default attribute, and all.
    let v = qido("admin", "/dicom-web/studies?limit=1").await;
    assert!(v[0].get("00081030").is_none());
    let v = qido("admin", "/dicom-web/studies?limit=1&includefield=00081030").await;
    assert_eq!(v[0]["00081030"]["vr"], "LO");
    let v = qido("admin", "/dicom-web/series?limit=1&includefield=all").await;
    assert_eq!(v[0]["00181030"]["vr"], "LO");
    // Unknown keys are refused with the list of known ones.
    let s = shared();
    let r = get(
        &s.state,
        "/dicom-web/studies?PatientAddress=x",
        Some(s.token("admin")),
    )
    .await;
    assert!(r
        .assert_error(StatusCode::BAD_REQUEST, "bad_request")
        .contains("PatientID"));
}

#[tokio::test]
async fn instances_are_the_manifest() {
    let s = shared();
    let row = rows().into_iter().find(|r| r.study.id == s.closed).unwrap();
    let manifest = node::read_manifest(&s.node().store, &row.dataset.dicom.manifest).unwrap();
    let uri = format!(
        "/dicom-web/studies/{}/series/{}/instances",
        row.examination.study_uid, row.acquisition.series_uid
    );
    let v = qido("seer", &uri).await;
    let got: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| text(i, "00080018").unwrap())
        .collect();
    let want: Vec<String> = manifest
        .instances
        .iter()
        .map(|e| e.sop_instance_uid.clone())
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        v[0]["00080016"]["Value"][0],
        row.acquisition.sop_class_uid.as_str()
    );
    assert_eq!(
        text(&v[0], "0020000E"),
        Some(row.acquisition.series_uid.clone())
    );
    let one = &want[want.len() / 2];
    let v = qido("seer", &format!("{uri}?SOPInstanceUID={one}")).await;
    assert_eq!(uids(&v, "00080018"), BTreeSet::from([one.clone()]));
    // Top-level /instances carries the study attributes too; nobody sees none of the closed ones.
    let v = qido(
        "seer",
        &format!("/dicom-web/instances?SOPInstanceUID={one}"),
    )
    .await;
    assert_eq!(text(&v[0], "00100020"), Some(row.subject.pseudonym.clone()));
    let v = qido(
        "nobody",
        &format!("/dicom-web/instances?SOPInstanceUID={one}"),
    )
    .await;
    assert_eq!(v, Value::Array(vec![]));
    let r = get(
        &s.state,
        "/dicom-web/studies/1.2.x/series",
        Some(s.token("admin")),
    )
    .await;
    r.assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}
