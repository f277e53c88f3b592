//! `/api/v1/studies/{id}/quarantine`: a study manager (administer right) lists, releases and
//! deletes the instances held back for their pixels; others are refused, unknown ids are 404.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::StatusCode;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use node::{ImportOptions, Importer, NoProgress, Role};

use crate::fixture::{get, grant, request, send, small_series, user, Small};

/// A secondary capture with BurnedInAnnotation YES made of the first slice of `series`, in a
/// series of its own.
fn burned_in_capture(series: &Path, out: &Path, suffix: &str) -> PathBuf {
    let mut slices: Vec<PathBuf> = std::fs::read_dir(series)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    slices.sort();
    let mut obj = dicom_object::open_file(&slices[0]).unwrap();
    let text = |o: &dicom_object::DefaultDicomObject, t| {
        o.element(t).unwrap().to_str().unwrap().to_string()
    };
    let sop = format!("{}.{suffix}", text(&obj, tags::SOP_INSTANCE_UID));
    let series_uid = format!("{}.{suffix}", text(&obj, tags::SERIES_INSTANCE_UID));
    let sc = "1.2.840.10008.5.1.4.1.1.7";
    for (tag, vr, v) in [
        (tags::SOP_CLASS_UID, VR::UI, sc),
        (tags::SOP_INSTANCE_UID, VR::UI, sop.as_str()),
        (tags::SERIES_INSTANCE_UID, VR::UI, series_uid.as_str()),
        (tags::BURNED_IN_ANNOTATION, VR::CS, "YES"),
    ] {
        obj.put(DataElement::new(tag, vr, PrimitiveValue::from(v)));
    }
    let meta = obj.meta_mut();
    meta.media_storage_sop_class_uid = sc.to_string();
    meta.media_storage_sop_instance_uid = sop;
    let path = out.join(format!("sc-{suffix}.dcm"));
    obj.write_to_file(&path).unwrap();
    path
}

async fn call(s: &Small, method: &str, uri: &str, token: &str) -> crate::fixture::Resp {
    send(
        &s.state,
        request(method, uri, Some(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_study_manager_lists_releases_and_deletes() {
    let s = Small::new(false);
    let study = s.study.unwrap();
    let node = s.node();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        burned_in_capture(&small_series(), dir.path(), "81"),
        burned_in_capture(&small_series(), dir.path(), "82"),
    ];
    let opts = ImportOptions {
        study: Some("small".into()),
        ..ImportOptions::default()
    };
    let summary = Importer::new(node).run(&files, &opts, &NoProgress).unwrap();
    assert_eq!(summary.quarantined, 2, "{summary:?}");
    let seer = user(node, "seer", Role::User);
    grant(node, "seer", study, "see,download", None);
    let manager = user(node, "manager", Role::User);
    grant(node, "manager", study, "see,administer", None);

    let base = format!("/api/v1/studies/{study}/quarantine");
    get(&s.state, &base, Some(&seer))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = get(&s.state, &base, Some(&manager)).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    let ids: Vec<String> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["reason"], "burned_in_annotation");
            e["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{list}");

    for bad in ["0123456789abcdef", "nope"] {
        call(&s, "POST", &format!("{base}/{bad}/release"), &manager)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    call(&s, "POST", &format!("{base}/{}/release", ids[0]), &seer)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let before = node.catalog.stats().unwrap().datasets;
    let r = call(&s, "POST", &format!("{base}/{}/release", ids[0]), &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["instances"], 1);
    assert_eq!(node.catalog.stats().unwrap().datasets, before + 1);

    let r = call(&s, "DELETE", &format!("{base}/{}", ids[1]), &s.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["deleted"], ids[1].as_str());
    let r = get(&s.state, &base, Some(&manager)).await;
    assert_eq!(r.json(), serde_json::json!({"entries": []}));
    call(&s, "DELETE", &format!("{base}/{}", ids[1]), &manager)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
