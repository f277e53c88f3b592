//! STOW-RS (PS3.18 10.5): `POST /dicom-web/studies?study=NAME[&profile=P]`, a
//! `multipart/related; type="application/dicom"` body, imported by the normal pipeline
//! (profile, de-identification, study cards, NIfTI) into the neurofed study named by `study`
//! (an id or a name; a new name creates the study, admins only), exactly as `POST
//! /api/v1/import` would. Parts are spooled as they arrive (bounded by the upload limit) outside
//! the home, then imported and deleted.
//!
//! The answer is the PS3.18 store response: `ReferencedSOPSequence` (0008,1199) for instances
//! stored (or already present) and `FailedSOPSequence` (0008,1198) with a `FailureReason`
//! (0008,1197) for the others. Both name the instances by the SOP Class and Instance UIDs the
//! caller sent (its own data, echoed to it only, never stored): the stored instances have
//! de-identified UIDs, found with QIDO-RS. 200 when everything was stored, 202 when some
//! failed, 409 when none was.

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use node::{ImportOptions, Importer};
use serde_json::{json, Value};

use super::qido::DICOM_JSON;
use crate::api::import::{import_error, target_study, too_large, upload_error, Part, Spool};
use crate::api::QueryParams;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::{blocking, AppState};

/// FailureReason "Processing failure" (PS3.4 Annex GG).
const PROCESSING_FAILURE: u16 = 0x0110;
/// FailureReason "Cannot understand" (not DICOM, or refused at de-identification).
const CANNOT_UNDERSTAND: u16 = 0xC000;

/// The boundary of a `multipart/related` content type.
fn boundary_of(ctype: &str) -> Option<String> {
    let mut parts = ctype.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("multipart/related") {
        return None;
    }
    parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

enum State_ {
    Preamble,
    Headers,
    Body(Spool),
    Done,
}

/// Spool the parts of a `multipart/related` body into `dir`, as they arrive.
async fn receive(st: &AppState, req: Request, dir: &Path) -> ApiResult<Vec<Part>> {
    let limit = st.config.max_upload_bytes;
    let headers = req.headers();
    crate::api::import::refuse_declared_over(headers, limit)?;
    let b = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary_of)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "STOW-RS takes multipart/related; type=\"application/dicom\" with a boundary",
            )
        })?;
    let first = format!("--{b}").into_bytes();
    let next = format!("\r\n--{b}").into_bytes();
    let mut stream = req.into_body().into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut state = State_::Preamble;
    let mut parts = Vec::new();
    let mut total = 0u64;
    let mut ended = false;
    loop {
        // Make progress on what is buffered; read more only when stuck.
        let progressed = match &mut state {
            State_::Preamble => match find(&buf, &first) {
                Some(p) => {
                    buf.drain(..p + first.len());
                    state = State_::Headers;
                    true
                }
                None => false,
            },
            State_::Headers => {
                if buf.starts_with(b"--") {
                    state = State_::Done;
                    true
                } else if let Some(p) = find(&buf, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
                    let ctype = head
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("content-type:"))
                        .map(|v| v.trim().to_string());
                    if ctype
                        .as_deref()
                        .is_some_and(|c| !c.starts_with("application/dicom"))
                    {
                        return Err(ApiError::new(
                            StatusCode::UNSUPPORTED_MEDIA_TYPE,
                            "unsupported_media_type",
                            "only application/dicom parts are accepted (not DICOM JSON with bulk data)",
                        ));
                    }
                    buf.drain(..p + 4);
                    let n = parts.len() + 1;
                    let spool = Spool::create(dir.join(format!("part-{n}.dcm"))).await?;
                    state = State_::Body(spool);
                    true
                } else if buf.len() > 16 * 1024 {
                    return Err(ApiError::bad_request("a part's headers are too long"));
                } else {
                    false
                }
            }
            State_::Body(spool) => match find(&buf, &next) {
                Some(p) => {
                    spool.push(&buf[..p], &mut total, limit).await?;
                    buf.drain(..p + next.len());
                    if let State_::Body(spool) = std::mem::replace(&mut state, State_::Headers) {
                        let n = parts.len() + 1;
                        parts.push(Part {
                            path: spool.finish().await?,
                            label: format!("part-{n}"),
                        });
                    }
                    true
                }
                None => {
                    let keep = next.len();
                    if buf.len() > keep {
                        let cut = buf.len() - keep;
                        spool.push(&buf[..cut], &mut total, limit).await?;
                        buf.drain(..cut);
                    }
                    false
                }
            },
            State_::Done => break,
        };
        if progressed {
            continue;
        }
        if ended {
            return Err(ApiError::bad_request(
                "the multipart body ends before its closing boundary",
            ));
        }
        match stream.next().await {
            Some(chunk) => {
                let chunk = chunk.map_err(|e| upload_error(&e.to_string(), limit))?;
                if buf.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large(limit));
                }
                buf.extend_from_slice(&chunk);
            }
            None => ended = true,
        }
    }
    if parts.is_empty() {
        return Err(ApiError::bad_request("the upload holds no DICOM part"));
    }
    Ok(parts)
}

/// The SOP Class and Instance UIDs a part declares (when it parses).
fn sop_of(path: &Path) -> (Option<String>, Option<String>) {
    let Ok(bytes) = std::fs::read(path) else {
        return (None, None);
    };
    match dicom::read(&bytes) {
        Ok(inst) => {
            let t = |g, e| dicom::text(&inst.obj, dicom_core::Tag(g, e));
            (t(0x0008, 0x0016), t(0x0008, 0x0018))
        }
        Err(_) => (None, None),
    }
}

fn reference(class: Option<String>, instance: Option<String>) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    let ui = |v: Option<String>| match v {
        Some(v) => json!({"vr": "UI", "Value": [v]}),
        None => json!({"vr": "UI"}),
    };
    m.insert("00081150".into(), ui(class));
    m.insert("00081155".into(), ui(instance));
    m
}

/// `POST /dicom-web/studies?study=NAME`.
pub(crate) async fn store(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
    req: Request,
) -> ApiResult<Response> {
    let (study, profile) = target_study(&st, &auth, &q).await?;
    let dir = tempfile::Builder::new()
        .prefix("neurofed-stow-")
        .tempdir_in(&st.config.upload_dir)
        .map_err(|e| ApiError::internal(format!("upload folder: {e}")))?;
    let parts = receive(&st, req, dir.path()).await?;
    let guard = st.import_lock.clone().lock_owned().await;
    blocking(move || {
        let _guard = guard;
        let sops: Vec<(Option<String>, Option<String>)> =
            parts.iter().map(|p| sop_of(&p.path)).collect();
        let paths: Vec<PathBuf> = parts.iter().map(|p| p.path.clone()).collect();
        let opts = ImportOptions {
            study: Some(study.clone()),
            profile,
            actor: Some(auth.who().to_string()),
            ..ImportOptions::default()
        };
        let watch = crate::mail::ReportWatch::before(&st.node, &study);
        let result = Importer::new(&st.node).run(&paths, &opts, &node::NoProgress);
        drop(dir);
        let summary = result.map_err(import_error)?;
        if let Some(w) = watch {
            w.after(&st.node);
        }
        let mut stored = Vec::new();
        let mut failed = Vec::new();
        for (part, (class, instance)) in parts.iter().zip(sops) {
            let p = part.path.to_string_lossy();
            let skipped = summary.skipped.iter().find(|s| s.path.starts_with(&*p));
            let mut item = reference(class.clone(), instance.clone());
            match skipped {
                None if instance.is_some() => stored.push(Value::Object(item)),
                None => {
                    item.insert(
                        "00081197".into(),
                        json!({"vr": "US", "Value": [PROCESSING_FAILURE]}),
                    );
                    failed.push(Value::Object(item));
                }
                Some(_) => {
                    item.insert(
                        "00081197".into(),
                        json!({"vr": "US", "Value": [CANNOT_UNDERSTAND]}),
                    );
                    failed.push(Value::Object(item));
                }
            }
        }
        let status = match (stored.is_empty(), failed.is_empty()) {
            (_, true) => StatusCode::OK,
            (false, false) => StatusCode::ACCEPTED,
            (true, false) => StatusCode::CONFLICT,
        };
        let mut body = serde_json::Map::new();
        if !failed.is_empty() {
            body.insert("00081198".into(), json!({"vr": "SQ", "Value": failed}));
        }
        if !stored.is_empty() {
            body.insert("00081199".into(), json!({"vr": "SQ", "Value": stored}));
        }
        Ok((
            status,
            [(CONTENT_TYPE, DICOM_JSON)],
            Value::Object(body).to_string(),
        )
            .into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary_of("multipart/related; type=\"application/dicom\"; boundary=\"ab c\"")
                .as_deref(),
            Some("ab c")
        );
        assert_eq!(
            boundary_of("Multipart/Related; boundary=x").as_deref(),
            Some("x")
        );
        assert_eq!(boundary_of("multipart/form-data; boundary=x"), None);
        assert_eq!(boundary_of("multipart/related"), None);
    }
}
