//! Downloads: streamed in bounded chunks, byte-identical to the stored blobs, verified, audited.

use std::io::{Cursor, Read};

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use node::Manifest;
use node::{AuditAction, AuditFilter};
use protocol::ContentId;
use tower::ServiceExt;

use crate::fixture::{get, request, shared, Small};

/// Frames of a streamed body: (count, largest, total bytes, the bytes, first error).
async fn frames(
    state: &web::AppState,
    uri: &str,
    token: &str,
) -> (StatusCode, usize, usize, Vec<u8>, Option<String>) {
    let resp = web::app(state.clone())
        .oneshot(
            request("GET", uri, Some(token))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let mut body = resp.into_body();
    let (mut n, mut largest, mut bytes, mut err) = (0, 0, Vec::new(), None);
    while let Some(f) = body.frame().await {
        match f {
            Ok(f) => {
                if let Ok(data) = f.into_data() {
                    n += 1;
                    largest = largest.max(data.len());
                    bytes.extend_from_slice(&data);
                }
            }
            Err(e) => {
                err = Some(e.to_string());
                break;
            }
        }
    }
    (status, n, largest, bytes, err)
}

#[tokio::test]
async fn dicom_download_streams_in_chunks_and_matches_the_store() {
    let s = shared();
    let node = s.node();
    // The largest dataset of the closed study (the 181-slice T1w).
    let row = node
        .catalog
        .dataset_rows_for(&s.datasets[&s.closed])
        .unwrap()
        .into_iter()
        .max_by_key(|r| r.dataset.dicom.bytes)
        .unwrap();
    let id = row.dataset.id;
    let started = std::time::Instant::now();
    let (status, n, largest, bytes, err) = frames(
        &s.state,
        &format!("/api/v1/datasets/{id}/download?format=dicom"),
        s.token("loader"),
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(err, None);
    eprintln!(
        "download: {} bytes in {n} chunks (largest {largest}) in {secs:.3} s ({:.0} MB/s, debug build)",
        bytes.len(),
        bytes.len() as f64 / secs / 1e6
    );
    assert!(
        largest <= web::DOWNLOAD_CHUNK,
        "chunks are bounded: {largest}"
    );
    assert!(
        n as u64 >= row.dataset.dicom.bytes / web::DOWNLOAD_CHUNK as u64,
        "{n} chunks"
    );

    let manifest =
        Manifest::from_bytes(&node.store.read(&row.dataset.dicom.manifest).unwrap()).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), manifest.instances.len());
    for (i, e) in manifest.instances.iter().enumerate() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        assert!(name.starts_with("closed/sub-"), "{name}");
        assert!(name.ends_with(&format!("/IM{:05}.dcm", i + 1)), "{name}");
        assert!(!name.contains(".."), "{name}");
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        assert_eq!(ContentId::of(&data), e.content, "{name}");
        assert_eq!(data, node.store.read(&e.content).unwrap());
    }
    let log = node
        .catalog
        .audit()
        .list(&AuditFilter {
            study: Some(s.closed),
            ..Default::default()
        })
        .unwrap();
    assert!(log.iter().any(|e| e.action == AuditAction::Download
        && e.who == "loader"
        && e.dataset == Some(id)
        && e.detail.contains("format=dicom")));
}

#[tokio::test]
async fn nifti_download_has_the_image_and_its_sidecar() {
    let s = shared();
    let node = s.node();
    let row = node
        .catalog
        .dataset_rows_for(&s.datasets[&s.closed])
        .unwrap()
        .into_iter()
        .find(|r| r.dataset.nifti.is_some())
        .expect("a converted dataset");
    let n = row.dataset.nifti.clone().unwrap();
    let (status, _, _, bytes, err) = frames(
        &s.state,
        &format!("/api/v1/datasets/{}/download?format=nifti", row.dataset.id),
        s.token("admin"),
    )
    .await;
    assert_eq!((status, err), (StatusCode::OK, None));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for (name, blob) in [
        (
            names.iter().find(|n| n.ends_with(".nii.gz")).unwrap(),
            n.nifti,
        ),
        (
            names.iter().find(|n| n.ends_with(".json")).unwrap(),
            n.sidecar,
        ),
    ] {
        assert!(
            name.starts_with(&format!("{}/sub-", node::sanitize(&row.study.name, 64)))
                && name.contains("/ses-"),
            "{name}"
        );
        let mut data = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut data).unwrap();
        assert_eq!(data, node.store.read(&blob).unwrap(), "{name}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.contains("/anat/") || n.contains("/func/")),
        "{names:?}"
    );
}

#[tokio::test]
async fn unknown_formats_are_400() {
    let s = shared();
    get(
        &s.state,
        &format!(
            "/api/v1/datasets/{}/download?format=bids",
            s.dataset(s.closed)
        ),
        Some(s.token("admin")),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn a_corrupt_blob_aborts_the_stream() {
    testkit::need_make_series!();
    let s = Small::new(false);
    let node = s.node();
    let row = node.catalog.dataset_rows().unwrap().remove(0);
    let manifest =
        Manifest::from_bytes(&node.store.read(&row.dataset.dicom.manifest).unwrap()).unwrap();
    let victim = manifest.instances[manifest.instances.len() / 2].content;
    let path = node.store.path(&victim);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let (status, _, _, _, err) = frames(
        &s.state,
        &format!("/api/v1/datasets/{}/download", row.dataset.id),
        &s.admin,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "headers were sent before the blob was read"
    );
    assert!(
        err.is_some(),
        "the body must end in an error, not a valid archive"
    );
}

/// The download names its files as `neurofed export` does: one layout (`node::layout`).
#[tokio::test]
async fn downloads_and_exports_share_one_layout() {
    let s = shared();
    let node = s.node();
    let rows = node
        .catalog
        .dataset_rows_for(&s.datasets[&s.closed])
        .unwrap();
    let study = rows[0].study.name.clone();
    for (format, query) in [
        (node::ExportFormat::Dicom, "dicom"),
        (node::ExportFormat::Nifti, "nifti"),
    ] {
        let out = tempfile::tempdir().unwrap();
        node::export(
            node,
            out.path(),
            &node::ExportFilter {
                study: Some(study.clone()),
            },
            format,
            &node::NoMeter,
        )
        .unwrap();
        for row in rows
            .iter()
            .filter(|r| query == "dicom" || r.dataset.nifti.is_some())
        {
            let (status, _, _, bytes, err) = frames(
                &s.state,
                &format!(
                    "/api/v1/datasets/{}/download?format={query}",
                    row.dataset.id
                ),
                s.token("admin"),
            )
            .await;
            assert_eq!((status, err), (StatusCode::OK, None));
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
            let names: Vec<String> = zip.file_names().map(str::to_string).collect();
            assert!(!names.is_empty());
            for name in names {
                let exported = std::fs::read(out.path().join(&name))
                    .unwrap_or_else(|e| panic!("{query}: {name} not in the export: {e}"));
                let mut data = Vec::new();
                zip.by_name(&name).unwrap().read_to_end(&mut data).unwrap();
                assert_eq!(data, exported, "{name}");
            }
        }
    }
}
