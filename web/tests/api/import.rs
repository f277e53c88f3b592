//! `POST /import`: zip and multipart uploads, rights, limits, one import at a time, audit.

use std::io::Write;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::StatusCode;
use node::Role;
use node::{AuditAction, AuditFilter};

use crate::fixture::{self, request, send, small_series, Resp, Small};

pub(crate) fn series_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(small_series())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert_eq!(v.len(), 25);
    v
}

pub(crate) fn zip_of(files: &[PathBuf]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        w.start_file(f.file_name().unwrap().to_string_lossy(), opts)
            .unwrap();
        w.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn post_zip(s: &Small, study: &str, token: &str, body: Vec<u8>) -> Resp {
    send(
        &s.state,
        request(
            "POST",
            &format!("/api/v1/import?study={study}"),
            Some(token),
        )
        .header("content-type", "application/zip")
        .body(Body::from(body))
        .unwrap(),
    )
    .await
}

fn multipart(parts: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----neurofed-test-boundary";
    let mut body = Vec::new();
    for (name, data) in parts {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_admin_imports_a_zip_into_a_new_study() {
    testkit::need_make_series!();
    let s = Small::new(true);
    let r = post_zip(&s, "uploads", &s.admin, zip_of(&series_files())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let v = r.json();
    assert_eq!(v["instances"], 25);
    assert_eq!(v["series"], 1);
    assert_eq!(v["skipped"], serde_json::json!([]));
    let study = s.node().catalog.study_by_name("uploads").unwrap().unwrap();
    assert_eq!(s.node().catalog.stats().unwrap().datasets, 1);
    // Same zip again: everything is a duplicate.
    let r = post_zip(&s, "uploads", &s.admin, zip_of(&series_files())).await;
    assert_eq!(r.json()["duplicates"], 25);
    // Audited with counts, nothing else.
    let log = s
        .node()
        .catalog
        .audit()
        .list(&AuditFilter {
            study: Some(study.id),
            ..Default::default()
        })
        .unwrap();
    let imports: Vec<_> = log
        .iter()
        .filter(|e| e.action == AuditAction::Import)
        .collect();
    assert_eq!(imports.len(), 2);
    assert!(
        imports[1].detail.starts_with("25 instances, 1 series"),
        "{}",
        imports[1].detail
    );
    // The spool folder is gone.
    assert_eq!(std::fs::read_dir(s.uploads.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn multipart_uploads_report_bad_files_by_their_own_names() {
    testkit::need_make_series!();
    let s = Small::new(true);
    let files = series_files();
    let (ctype, body) = multipart(&[
        ("IM1.dcm", std::fs::read(&files[0]).unwrap()),
        ("half.zip", zip_of(&files[1..10])),
        ("Doe^John notes.txt", b"not a DICOM file at all".to_vec()),
    ]);
    let r = send(
        &s.state,
        request("POST", "/api/v1/import?study=multi", Some(&s.admin))
            .header("content-type", ctype)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let v = r.json();
    assert_eq!(v["instances"], 10);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{v}");
    assert_eq!(skipped[0]["path"], "Doe^John notes.txt");
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());
    // What the client named its files is answered, never recorded.
    let log = s
        .node()
        .catalog
        .audit()
        .list(&AuditFilter::default())
        .unwrap();
    assert!(log.iter().all(|e| !e.detail.contains("Doe")));
}

#[tokio::test]
async fn import_needs_the_import_right_and_admins_create_studies() {
    testkit::need_make_series!();
    let s = Small::new(false);
    let node = s.node();
    let study = s.study.unwrap();
    let tech = fixture::user(node, "tech", Role::User);
    let visitor = fixture::user(node, "visitor", Role::User);
    fixture::grant(node, "tech", study, "import", None);
    fixture::grant(node, "visitor", study, "see,download", None);
    let files = series_files();
    let r = post_zip(&s, "small", &visitor, zip_of(&files)).await;
    let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(msg.contains("no import right"), "{msg}");
    let r = post_zip(&s, "brand-new", &tech, zip_of(&files)).await;
    let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(msg.contains("administrators"), "{msg}");
    let r = post_zip(&s, "small", &tech, zip_of(&files)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(r.json()["duplicates"], 25);
    // Bad requests.
    post_zip(&s, "", &tech, zip_of(&files))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    post_zip(&s, "small", &tech, Vec::new())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let r = send(
        &s.state,
        request("POST", "/api/v1/import?study=small", Some(&tech))
            .header("content-type", "text/plain")
            .body(Body::from("hello"))
            .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = send(
        &s.state,
        request(
            "POST",
            "/api/v1/import?study=small&profile=../../etc",
            Some(&s.admin),
        )
        .header("content-type", "application/zip")
        .body(Body::from(zip_of(&files)))
        .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let r = send(
        &s.state,
        request(
            "POST",
            "/api/v1/import?study=other&profile=nope",
            Some(&s.admin),
        )
        .header("content-type", "application/zip")
        .body(Body::from(zip_of(&files)))
        .unwrap(),
    )
    .await;
    r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let r = send(
        &s.state,
        request("POST", "/api/v1/import?study=small", Some(&tech))
            .header("content-type", "multipart/form-data; boundary=x")
            .body(Body::from("--x\r\ngarbage"))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json());
    assert_eq!(std::fs::read_dir(s.uploads.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn concurrent_imports_run_one_after_the_other() {
    // As the binary does first (fsck also checks that the home is owner-only).
    node::owner_only_files();
    testkit::need_make_series!();
    let s = Small::new(true);
    let files = series_files();
    let (a, b) = tokio::join!(
        post_zip(&s, "together", &s.admin, zip_of(&files[..12])),
        post_zip(&s, "together", &s.admin, zip_of(&files[12..])),
    );
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    assert_eq!(b.status, StatusCode::OK, "{}", b.json());
    let n = a.json()["instances"].as_u64().unwrap() + b.json()["instances"].as_u64().unwrap();
    assert_eq!(n, 25);
    let rows = s.node().catalog.dataset_rows().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].dataset.dicom.instances, 25);
    let report = node::fsck(s.node(), false).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
