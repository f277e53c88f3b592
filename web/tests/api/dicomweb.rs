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

/// The parts of a `multipart/related` answer, with their content types.
fn parts(r: &Resp) -> Vec<(String, Vec<u8>)> {
    let ct = r.headers["content-type"].to_str().unwrap().to_string();
    let b = ct
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .to_string();
    let delim = format!("--{b}");
    let body = &r.body;
    let find = |from: usize, pat: &[u8]| {
        body[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| p + from)
    };
    let mut out = Vec::new();
    let mut at = find(0, delim.as_bytes()).expect("a first boundary");
    loop {
        let after = at + delim.len();
        if body[after..].starts_with(b"--") {
            break;
        }
        let head_end = find(after, b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&body[after..head_end]).to_string();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let ctype = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .unwrap()
            .to_string();
        let start = head_end + 4;
        out.push((ctype, body[start..start + len].to_vec()));
        assert_eq!(&body[start + len..start + len + 2], b"\r\n");
        at = start + len + 2;
        assert!(body[at..].starts_with(delim.as_bytes()));
    }
    out
}

#[tokio::test]
async fn wado_retrieves_the_stored_instances_with_download_rights() {
    let s = shared();
    let row = rows().into_iter().find(|r| r.study.id == s.closed).unwrap();
    let manifest = node::read_manifest(&s.node().store, &row.dataset.dicom.manifest).unwrap();
    let series = format!(
        "/dicom-web/studies/{}/series/{}",
        row.examination.study_uid, row.acquisition.series_uid
    );
    let r = get(&s.state, &series, Some(s.token("loader"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let ct = r.headers["content-type"].to_str().unwrap();
    assert!(
        ct.starts_with("multipart/related; type=\"application/dicom\""),
        "{ct}"
    );
    let got = parts(&r);
    assert_eq!(got.len(), manifest.instances.len());
    for ((ctype, bytes), e) in got.iter().zip(&manifest.instances) {
        assert_eq!(ctype, "application/dicom");
        assert_eq!(bytes, &s.node().store.read(&e.content).unwrap());
    }
    // The whole study: every series of the examination.
    let study = format!("/dicom-web/studies/{}", row.examination.study_uid);
    let r = get(&s.state, &study, Some(s.token("loader"))).await;
    let n: u32 = rows()
        .iter()
        .filter(|r| r.examination.study_uid == row.examination.study_uid)
        .map(|r| r.dataset.dicom.instances)
        .sum();
    assert_eq!(parts(&r).len(), n as usize);
    // One instance.
    let e = &manifest.instances[1];
    let inst = format!("{series}/instances/{}", e.sop_instance_uid);
    let r = get(&s.state, &inst, Some(s.token("loader"))).await;
    assert_eq!(parts(&r)[0].1, s.node().store.read(&e.content).unwrap());
    // seer may see but not download: 403; nobody may not see: 404, as for a study that is not.
    let r = get(&s.state, &series, Some(s.token("seer"))).await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    for u in ["nobody", "elsewhere"] {
        let r = get(&s.state, &series, Some(s.token(u))).await;
        r.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let r = get(
        &s.state,
        "/dicom-web/studies/1.2.3.4",
        Some(s.token("admin")),
    )
    .await;
    r.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn metadata_frames_bulkdata_and_rendered() {
    let s = shared();
    let row = rows().into_iter().find(|r| r.study.id == s.closed).unwrap();
    let manifest = node::read_manifest(&s.node().store, &row.dataset.dicom.manifest).unwrap();
    let series = format!(
        "/dicom-web/studies/{}/series/{}",
        row.examination.study_uid, row.acquisition.series_uid
    );
    let tok = Some(s.token("loader"));
    let r = get(&s.state, &format!("{series}/metadata"), tok).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/dicom+json");
    let v = r.json();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), manifest.instances.len());
    for (i, e) in items.iter().zip(&manifest.instances) {
        assert_eq!(text(i, "00080018"), Some(e.sop_instance_uid.clone()));
        assert_eq!(
            i["00100010"]["Value"][0]["Alphabetic"],
            row.subject.pseudonym.as_str()
        );
        let bulk = i["7FE00010"]["BulkDataURI"].as_str().unwrap();
        assert!(bulk.ends_with(&format!("{}/bulkdata/7FE00010", e.sop_instance_uid)));
    }
    let rows_n = items[0]["00280010"]["Value"][0].as_u64().unwrap() as usize;
    let cols_n = items[0]["00280011"]["Value"][0].as_u64().unwrap() as usize;
    let bits = items[0]["00280100"]["Value"][0].as_u64().unwrap() as usize;
    let inst = format!(
        "{series}/instances/{}",
        manifest.instances[0].sop_instance_uid
    );
    let r = get(&s.state, &format!("{inst}/frames/1"), tok).await;
    assert_eq!(r.status, StatusCode::OK);
    let frame = parts(&r);
    assert_eq!(frame.len(), 1);
    assert_eq!(frame[0].1.len(), rows_n * cols_n * bits / 8);
    let r = get(&s.state, &format!("{inst}/bulkdata/7FE00010"), tok).await;
    assert_eq!(parts(&r)[0].1, frame[0].1);
    let r = get(&s.state, &format!("{inst}/frames/2"), tok).await;
    r.assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = get(&s.state, &format!("{inst}/frames/0"), tok).await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let r = get(&s.state, &format!("{inst}/rendered"), tok).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "image/png");
    assert!(r.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    let w = u32::from_be_bytes(r.body[16..20].try_into().unwrap()) as usize;
    let h = u32::from_be_bytes(r.body[20..24].try_into().unwrap()) as usize;
    assert_eq!((w, h), (cols_n, rows_n));
    let r = get(&s.state, &format!("{inst}/metadata"), Some(s.token("seer"))).await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
}

fn multipart(files: &[Vec<u8>], boundary: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for f in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(f);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn stow_imports_through_the_pipeline_and_reports_failures() {
    let s = Small::new(true);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(small_series())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut bodies: Vec<Vec<u8>> = files[..3]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    bodies.push(b"not DICOM at all".to_vec());
    let boundary = "b0undary-xyz";
    let post = |uri: &str, token: Option<&str>| {
        request("POST", uri, token)
            .header(
                "content-type",
                format!("multipart/related; type=\"application/dicom\"; boundary={boundary}"),
            )
            .body(axum::body::Body::from(multipart(&bodies, boundary)))
            .unwrap()
    };
    let r = send(
        &s.state,
        post("/dicom-web/studies?study=stowed", Some(&s.admin)),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json());
    let v = r.json();
    assert_eq!(v["00081199"]["Value"].as_array().unwrap().len(), 3, "{v}");
    let failed = v["00081198"]["Value"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["00081197"]["Value"][0], 0xC000);
    // The instances are there, de-identified: new UIDs, the pseudonym as PatientID.
    let study = s.node().catalog.study_by_name("stowed").unwrap().unwrap();
    let rows = s.node().catalog.dataset_rows().unwrap();
    assert!(rows.iter().all(|r| r.study.id == study.id));
    let r = get(&s.state, "/dicom-web/instances", Some(&s.admin)).await;
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 3);
    for i in v.as_array().unwrap() {
        assert_eq!(text(i, "00100020"), Some(rows[0].subject.pseudonym.clone()));
    }
    // Re-sending is a no-op reported as stored; no right to import is 403 before the body.
    let r = send(
        &s.state,
        post("/dicom-web/studies?study=stowed", Some(&s.admin)),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(s.node().catalog.stats().unwrap().instances, 3);
    let other = user(s.node(), "other", node::Role::User);
    let r = send(
        &s.state,
        post("/dicom-web/studies?study=stowed", Some(&other)),
    )
    .await;
    r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = send(&s.state, post("/dicom-web/studies", Some(&s.admin))).await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn cors_for_the_configured_origin_only() {
    let s = shared();
    let preflight = |origin: &str| {
        request("OPTIONS", "/dicom-web/studies", None)
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let r = send(&s.state, preflight("https://viewer.example.org")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://viewer.example.org"
    );
    assert!(r.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("Authorization"));
    let r = send(&s.state, preflight("https://elsewhere.example.org")).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let r = send(
        &s.state,
        request("GET", "/dicom-web/studies", Some(s.token("admin")))
            .header("origin", "https://viewer.example.org")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://viewer.example.org"
    );
}

#[tokio::test]
async fn every_dicomweb_route_answers_401_without_credentials() {
    let s = shared();
    let st = "/dicom-web/studies/1.2.3";
    let inst = format!("{st}/series/1.2.4/instances/1.2.5");
    for uri in [
        "/dicom-web/studies".to_string(),
        "/dicom-web/series".into(),
        "/dicom-web/instances".into(),
        format!("{st}/series"),
        format!("{st}/instances"),
        format!("{st}/series/1.2.4/instances"),
        st.into(),
        format!("{st}/metadata"),
        format!("{st}/series/1.2.4"),
        format!("{st}/series/1.2.4/metadata"),
        inst.clone(),
        format!("{inst}/metadata"),
        format!("{inst}/frames/1"),
        format!("{inst}/bulkdata/7FE00010"),
        format!("{inst}/rendered"),
    ] {
        let r = get(&s.state, &uri, None).await;
        r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
        let r = get(&s.state, &uri, Some("nft_00000000000000000000000000000000")).await;
        r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let r = send(
        &s.state,
        request("POST", "/dicom-web/studies?study=closed", None)
            .header("content-type", "multipart/related; boundary=x")
            .body(axum::body::Body::from("--x--\r\n"))
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}
