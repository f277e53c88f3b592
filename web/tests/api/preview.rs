//! `GET /datasets/{id}/preview.png`: the PNG decodes to exactly the slice `dicom::render_slice`
//! gives for the stored NIfTI, in every plane; the slice count is the volume's; bad parameters
//! are 400; the rights are a download's (the API's rights matrix, row by row) and every preview
//! is audited.

use std::io::Read;

use axum::http::StatusCode;
use dicom::{Plane, Volumes};

use crate::fixture::*;

/// Width, height and 8-bit gray pixels of a PNG (colour type 0, filter 0 rows).
fn decode(png: &[u8]) -> (usize, usize, Vec<u8>) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (mut at, mut w, mut h, mut z) = (8, 0, 0, Vec::new());
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!((data[8], data[9]), (8, 0), "8-bit grayscale");
            }
            b"IDAT" => z.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&z[..])
        .read_to_end(&mut raw)
        .unwrap();
    assert_eq!(raw.len(), (w + 1) * h);
    let px = raw
        .chunks(w + 1)
        .flat_map(|r| {
            assert_eq!(r[0], 0, "filter none");
            r[1..].to_vec()
        })
        .collect();
    (w, h, px)
}

#[tokio::test]
async fn previews_are_the_volume_slices_in_every_plane() {
    let s = shared();
    let id = s.dataset(s.closed);
    let row = s.node().catalog.dataset_rows_for(&[id]).unwrap().remove(0);
    let nifti = row.dataset.nifti.clone().expect("a dataset with NIfTI");
    let bytes = s.node().store.read(&nifti.nifti).unwrap();
    let vol = dicom::read_nifti(&bytes, Volumes::First).unwrap();
    let range = dicom::display_range(&vol);
    let tok = Some(s.token("loader"));
    for (plane, name) in [
        (Plane::Axial, "axial"),
        (Plane::Coronal, "coronal"),
        (Plane::Sagittal, "sagittal"),
    ] {
        let count = dicom::slice_count(&vol, plane);
        for (slice, q) in [
            (count / 2, String::new()),
            (0, "&slice=0".to_string()),
            (count - 1, format!("&slice={}", count - 1)),
        ] {
            let uri = format!("/datasets/{id}/preview.png?plane={name}{q}&size=200");
            let r = get(&s.state, &uri, tok).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            assert_eq!(r.headers["content-type"], "image/png");
            assert_eq!(r.headers["x-slice-count"], count.to_string().as_str());
            let want = dicom::render_slice(&vol, plane, Some(slice), range, 200).unwrap();
            let (w, h, px) = decode(&r.body);
            assert_eq!((w, h), (want.width, want.height), "{uri}");
            assert!(w.max(h) <= 200);
            assert!(
                px == want.pixels,
                "{uri}: other pixels than the volume's slice"
            );
        }
        let r = get(
            &s.state,
            &format!("/datasets/{id}/preview.png?plane={name}&slice={count}"),
            tok,
        )
        .await;
        r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // A real image, not a blank one.
    let r = get(&s.state, &format!("/datasets/{id}/preview.png"), tok).await;
    let (_, _, px) = decode(&r.body);
    let lit = px.iter().filter(|&&p| p > 20).count();
    assert!(lit * 10 > px.len(), "{lit} of {} pixels lit", px.len());
    let events = s.node().catalog.audit().list(&Default::default()).unwrap();
    assert!(events
        .iter()
        .any(|e| e.who == "loader" && e.detail.starts_with("preview ")));
}

#[tokio::test]
async fn previews_follow_the_download_right_and_refuse_bad_parameters() {
    let s = shared();
    let id = s.dataset(s.closed);
    // The API's rights matrix, row by row: a preview needs what a download needs.
    for (user, study, _see, download, why) in crate::access::matrix() {
        let ds = s.dataset(study);
        let r = get(
            &s.state,
            &format!("/datasets/{ds}/preview.png"),
            Some(s.token(user)),
        )
        .await;
        if download {
            assert_eq!(r.status, StatusCode::OK, "{user} preview {study}");
        } else {
            let msg = r.assert_error(StatusCode::FORBIDDEN, "forbidden");
            assert!(
                msg.contains(why) || msg.contains("download right"),
                "{user} preview {study}: {msg}"
            );
        }
    }
    let uri = format!("/datasets/{id}/preview.png");
    let r = get(&s.state, &uri, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let tok = Some(s.token("loader"));
    for bad in [
        "plane=oblique",
        "slice=-1",
        "size=99999",
        "frame=2",
        "slice=1&slice=2",
    ] {
        get(&s.state, &format!("{uri}?{bad}"), tok)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    let other = s.dataset(s.public);
    let r = get(
        &s.state,
        &format!("/datasets/{other}/preview.png"),
        Some(s.token("admin")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    get(&s.state, "/datasets/not-an-id/preview.png", tok)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_id");
}
