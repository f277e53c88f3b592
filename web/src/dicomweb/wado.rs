//! WADO-RS (PS3.18 10.4): studies, series and instances as `multipart/related;
//! type="application/dicom"` streamed from the store (each blob verified against its content id
//! as it is read), `/metadata` as DICOM JSON, `/frames/{n}` and `/bulkdata/{tag}` as
//! `application/octet-stream` parts, `/rendered` as PNG (see [`super::render`]).
//!
//! Retrieval needs the `download` right: data of a study the caller may see but not download is
//! 403, of a study the caller may not see (or that does not exist) 404.

use std::io::{Read, Write};

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dicom_core::Tag;
use node::{AuditAction, DatasetRow, ManifestEntry, NewEvent, Right};
use protocol::ContentId;

use super::qido::DICOM_JSON;
use super::{manifest, uid, visible_rows, BASE};
use crate::api::download::{channel_body, StreamError, CHUNK};
use crate::api::{PathParams, QueryParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{blocking, now, AppState};

/// What a retrieval names.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    study: String,
    series: Option<String>,
    instance: Option<String>,
}

impl Target {
    fn from_path(path: &PathParams, depth: usize) -> ApiResult<Target> {
        Ok(Target {
            study: uid(path.get(0)?)?,
            series: if depth > 1 {
                Some(uid(path.get(1)?)?)
            } else {
                None
            },
            instance: if depth > 2 {
                Some(uid(path.get(2)?)?)
            } else {
                None
            },
        })
    }

    fn covers(&self, r: &DatasetRow) -> bool {
        r.examination.study_uid == self.study
            && self
                .series
                .as_deref()
                .is_none_or(|s| r.acquisition.series_uid == s)
    }
}

/// The series and instances of `t` the caller may download, in order (404/403 as above).
pub(crate) fn resolve(
    st: &AppState,
    auth: &Auth,
    t: &Target,
) -> ApiResult<Vec<(DatasetRow, Vec<ManifestEntry>)>> {
    let mut rows: Vec<DatasetRow> = visible_rows(st, auth, Right::Download)?
        .into_iter()
        .filter(|r| t.covers(r))
        .collect();
    if rows.is_empty() {
        let seen = visible_rows(st, auth, Right::See)?
            .into_iter()
            .any(|r| t.covers(&r));
        return Err(if seen {
            ApiError::forbidden("no download right on the study of this DICOM data")
        } else {
            ApiError::not_found("no such DICOM study or series (or not visible to this account)")
        });
    }
    rows.sort_by(|a, b| {
        (a.acquisition.series_number, &a.acquisition.series_uid)
            .cmp(&(b.acquisition.series_number, &b.acquisition.series_uid))
    });
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut entries = manifest(st, &r)?.instances;
        if let Some(i) = &t.instance {
            entries.retain(|e| &e.sop_instance_uid == i);
        }
        if !entries.is_empty() {
            out.push((r, entries));
        }
    }
    if out.is_empty() {
        return Err(ApiError::not_found("no such DICOM instance"));
    }
    Ok(out)
}

fn audit(
    st: &AppState,
    auth: &Auth,
    found: &[(DatasetRow, Vec<ManifestEntry>)],
    what: &str,
) -> ApiResult<()> {
    for (r, entries) in found {
        let bytes: u64 = entries.iter().map(|e| e.size).sum();
        st.node.catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::Download, now())
                .study(r.study.id)
                .dataset(r.dataset.id)
                .detail(format!(
                    "dicomweb {what} instances={} bytes={bytes}",
                    entries.len()
                )),
        )?;
    }
    Ok(())
}

/// A boundary that no DICOM part will hold by chance (128 random bits).
fn boundary() -> String {
    let mut h = blake3::Hasher::new();
    h.update(&node::now_ms().to_le_bytes());
    h.update(protocol::id::DatasetId::new().to_string().as_bytes());
    format!("neurofed-{}", &h.finalize().to_hex()[..32])
}

/// Copy a blob to `out`, verifying its hash and size; a mismatch aborts the stream.
fn copy_verified(
    st: &AppState,
    blob: &ContentId,
    size: u64,
    out: &mut dyn Write,
    buf: &mut [u8],
) -> Result<(), StreamError> {
    let mut file = st
        .node
        .store
        .open_blob(blob)
        .map_err(|source| StreamError::Store {
            blob: *blob,
            source,
        })?;
    let mut hasher = blake3::Hasher::new();
    let mut n_total = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        n_total += n as u64;
        out.write_all(&buf[..n])?;
    }
    let got = ContentId::from_hasher(&hasher);
    if got != *blob || n_total != size {
        return Err(StreamError::Corrupt {
            blob: *blob,
            entry: "a DICOMweb instance".into(),
            detail: format!("{n_total} bytes hashing to {got}, expected {size} bytes"),
        });
    }
    Ok(())
}

async fn retrieve(st: AppState, auth: Auth, t: Target) -> ApiResult<Response> {
    let st2 = st.clone();
    let found = blocking(move || {
        let found = resolve(&st2, &auth, &t)?;
        audit(&st2, &auth, &found, "retrieve")?;
        Ok(found)
    })
    .await?;
    let parts: Vec<(ContentId, u64)> = found
        .iter()
        .flat_map(|(_, es)| es.iter().map(|e| (e.content, e.size)))
        .collect();
    let b = boundary();
    let content_type = format!("multipart/related; type=\"application/dicom\"; boundary={b}");
    let what = format!("dicomweb retrieve of {} instances", parts.len());
    let body = channel_body(what, move |w| {
        let mut buf = vec![0u8; CHUNK];
        for (blob, size) in &parts {
            write!(
                w,
                "--{b}\r\nContent-Type: application/dicom\r\nContent-Length: {size}\r\n\r\n"
            )?;
            copy_verified(&st, blob, *size, w, &mut buf)?;
            w.write_all(b"\r\n")?;
        }
        write!(w, "--{b}--\r\n")?;
        Ok(())
    });
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /dicom-web/studies/{study}`.
pub(crate) async fn study(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Response> {
    retrieve(st, auth, Target::from_path(&path, 1)?).await
}

/// `GET /dicom-web/studies/{study}/series/{series}`.
pub(crate) async fn series(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Response> {
    retrieve(st, auth, Target::from_path(&path, 2)?).await
}

/// `GET /dicom-web/studies/{study}/series/{series}/instances/{instance}`.
pub(crate) async fn instance(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Response> {
    retrieve(st, auth, Target::from_path(&path, 3)?).await
}

/// Read and verify one instance blob.
pub(crate) fn read_instance(st: &AppState, e: &ManifestEntry) -> ApiResult<dicom::ReadInstance> {
    let bytes = st.node.store.read_verified(&e.content)?;
    dicom::read(&bytes)
        .map_err(|err| ApiError::internal(format!("stored instance {}: {err}", e.content)))
}

/// The URL prefix of this server's DICOMweb, as the caller reached it.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}{BASE}")
}

async fn metadata(st: AppState, auth: Auth, t: Target, headers: HeaderMap) -> ApiResult<Response> {
    let base = base_url(&headers);
    let body = blocking(move || {
        let found = resolve(&st, &auth, &t)?;
        audit(&st, &auth, &found, "metadata")?;
        let mut out = Vec::new();
        for (r, entries) in &found {
            for e in entries {
                let inst = read_instance(&st, e)?;
                let prefix = format!(
                    "{base}/studies/{}/series/{}/instances/{}",
                    r.examination.study_uid, r.acquisition.series_uid, e.sop_instance_uid
                );
                let bulk = |tag: Tag| format!("{prefix}/bulkdata/{:04X}{:04X}", tag.0, tag.1);
                out.push(dicom::to_dicom_json(&inst.obj, &bulk));
            }
        }
        Ok(serde_json::Value::Array(out).to_string())
    })
    .await?;
    Ok(([(CONTENT_TYPE, DICOM_JSON)], body).into_response())
}

/// `GET /dicom-web/studies/{study}/metadata`.
pub(crate) async fn study_metadata(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    headers: HeaderMap,
) -> ApiResult<Response> {
    metadata(st, auth, Target::from_path(&path, 1)?, headers).await
}

/// `GET /dicom-web/studies/{study}/series/{series}/metadata`.
pub(crate) async fn series_metadata(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    headers: HeaderMap,
) -> ApiResult<Response> {
    metadata(st, auth, Target::from_path(&path, 2)?, headers).await
}

/// `GET /dicom-web/studies/{study}/series/{series}/instances/{instance}/metadata`.
pub(crate) async fn instance_metadata(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    headers: HeaderMap,
) -> ApiResult<Response> {
    metadata(st, auth, Target::from_path(&path, 3)?, headers).await
}

/// One instance, read, for frames, bulk data and rendering.
pub(crate) async fn one_instance(
    st: &AppState,
    auth: Auth,
    path: &PathParams,
    what: &'static str,
) -> ApiResult<dicom::ReadInstance> {
    let t = Target::from_path(path, 3)?;
    let st = st.clone();
    blocking(move || {
        let found = resolve(&st, &auth, &t)?;
        audit(&st, &auth, &found, what)?;
        let e = found
            .first()
            .and_then(|(_, es)| es.first())
            .ok_or_else(|| ApiError::not_found("no such DICOM instance"))?;
        read_instance(&st, e)
    })
    .await
}

fn octet_parts(parts: Vec<Vec<u8>>, media: &str) -> Response {
    let b = boundary();
    let mut body = Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + 128);
    for p in &parts {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Type: {media}\r\nContent-Length: {}\r\n\r\n",
                p.len()
            )
            .as_bytes(),
        );
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (
        [(
            CONTENT_TYPE,
            format!("multipart/related; type=\"{media}\"; boundary={b}"),
        )],
        body,
    )
        .into_response()
}

/// `GET …/instances/{instance}/frames/{frames}`: the listed frames (1-based, comma-separated)
/// as `application/octet-stream` parts (native pixel data) or the encapsulated fragments.
pub(crate) async fn frames(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Response> {
    let list: Vec<usize> = path
        .get(3)?
        .split(',')
        .map(|f| f.trim().parse::<usize>().ok().filter(|&n| n >= 1))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            ApiError::bad_request("frames must be a comma-separated list of numbers from 1")
        })?;
    let inst = one_instance(&st, auth, &path, "frames").await?;
    let frames = super::render::frames(&inst.obj)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "no_pixel_data", e))?;
    let mut parts = Vec::with_capacity(list.len());
    for n in list {
        let f = frames.get(n - 1).ok_or_else(|| {
            ApiError::not_found(format!("frame {n} (the instance has {})", frames.len()))
        })?;
        parts.push(f.clone());
    }
    Ok(octet_parts(parts, "application/octet-stream"))
}

/// `GET …/instances/{instance}/bulkdata/{tag}`: a top-level binary value (as metadata's
/// `BulkDataURI` names it).
pub(crate) async fn bulkdata(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Response> {
    let tag = path.get(3)?;
    let t = (tag.len() == 8)
        .then(|| u32::from_str_radix(tag, 16).ok())
        .flatten()
        .ok_or_else(|| ApiError::bad_request("a bulk data tag is 8 hexadecimal digits"))?;
    let tag = Tag((t >> 16) as u16, (t & 0xFFFF) as u16);
    let inst = one_instance(&st, auth, &path, "bulkdata").await?;
    if tag == Tag(0x7FE0, 0x0010) {
        if let Ok(frames) = super::render::frames(&inst.obj) {
            if inst
                .obj
                .get(tag)
                .is_some_and(|e| e.value().fragments().is_some())
            {
                return Ok(octet_parts(frames, "application/octet-stream"));
            }
        }
    }
    let e = inst
        .obj
        .get(tag)
        .ok_or_else(|| ApiError::not_found("the instance has no such attribute"))?;
    let bytes = e
        .value()
        .to_bytes()
        .map_err(|_| ApiError::not_found("this attribute has no binary value"))?
        .into_owned();
    Ok(octet_parts(vec![bytes], "application/octet-stream"))
}

/// `GET …/rendered` (instance or series): a PNG of the (first) frame with the stored window.
pub(crate) async fn rendered(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let _ = q;
    let inst = one_instance(&st, auth, &path, "rendered").await?;
    let png = super::render::png(&inst.obj)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_renderable", e))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}
