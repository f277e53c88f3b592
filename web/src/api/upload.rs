//! Uploads from a workstation (`neurofed upload`): the workstation de-identifies with the study's
//! scoped keys, so the identifying originals never leave it, then sends each de-identified
//! instance by its blake3 hash; what arrived is never sent again.
//!
//! - `GET /api/v1/studies/{id}/upload`: the study's profile and scoped keys (`import` right;
//!   audited), from which the workstation's de-identifier gives the node's own output.
//! - `POST /api/v1/studies/{id}/upload/missing`: of `{blob, sop}` pairs, which blobs the node
//!   has neither spooled nor imported (by the de-identified SOP Instance UID).
//! - `PUT /api/v1/studies/{id}/upload/blobs/{blake3}`: one instance, hashed as it streams into
//!   `uploads/<study>/` of the home (temp file, fsync, rename); a body whose hash is not the
//!   URL's is refused and nothing is kept.
//! - `POST /api/v1/studies/{id}/upload/commit`: the blobs of one series, imported by the normal
//!   pipeline (study cards, catalog, index, NIfTI) in its `deidentified` mode: each must carry
//!   the study profile's marks and a pseudonym, and is not de-identified again. Committed blobs
//!   leave the spool.
//!
//! Trust: an account with `import` on a study may already put data into it; here the node also
//! trusts its workstation to have de-identified (it checks the marks, not every value).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Json;
use futures_util::StreamExt;
use node::{AuditAction, ImportOptions, Importer, NewEvent, Right};
use protocol::ContentId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::import::{import_error, refuse_declared_over, upload_error, ImportSummaryBody, Spool};
use super::{about_study, JsonBody, PathParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Most entries in one `missing` or `commit` request.
pub(crate) const MAX_UPLOAD_LIST: usize = 5000;

/// Spooled blobs never committed are removed after this long (an upload abandoned for a week
/// sends them again when it is run again).
pub(crate) const SPOOL_EXPIRY: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// When the spools were last swept (unix seconds): at most once an hour.
static LAST_SWEEP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Remove every spooled blob (and abandoned temp file) older than [`SPOOL_EXPIRY`], in every
/// study's spool, at most once an hour; returns how many.
pub(crate) fn sweep_spools(uploads: &std::path::Path, now_s: u64, force: bool) -> usize {
    use std::sync::atomic::Ordering;
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if !force && now_s < last + 3600 {
        return 0;
    }
    LAST_SWEEP.store(now_s, Ordering::Relaxed);
    let mut removed = 0;
    let Ok(studies) = std::fs::read_dir(uploads) else {
        return 0;
    };
    for study in studies.flatten() {
        let Ok(files) = std::fs::read_dir(study.path()) else {
            continue;
        };
        for f in files.flatten() {
            let old = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > SPOOL_EXPIRY);
            if old && std::fs::remove_file(f.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// A study's de-identification, as a workstation needs it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct UploadKeys {
    /// The study id.
    pub study: String,
    /// The study's name.
    pub name: String,
    /// The study's de-identification profile (the profile file's fields).
    #[schema(value_type = Object)]
    pub profile: serde_json::Value,
    /// The study's scoped keys, hex: `uid`, `serial`, `pseudonym`, `offset`.
    pub keys: ScopedKeysBody,
    /// The largest instance the node takes, bytes.
    pub max_blob_bytes: u64,
}

/// [`dicom::ScopedKeys`] as hex.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ScopedKeysBody {
    /// UID remapping.
    pub uid: String,
    /// Device serial hashing.
    pub serial: String,
    /// Subject pseudonyms.
    pub pseudonym: String,
    /// Date offsets.
    pub offset: String,
}

impl ScopedKeysBody {
    fn of(k: &dicom::ScopedKeys) -> Self {
        ScopedKeysBody {
            uid: hex::encode(k.uid),
            serial: hex::encode(k.serial),
            pseudonym: hex::encode(k.pseudonym),
            offset: hex::encode(k.offset),
        }
    }

    /// The keys, or `None` when one is not 64 hex digits.
    pub(crate) fn keys(&self) -> Option<dicom::ScopedKeys> {
        let k = |s: &str| -> Option<[u8; 32]> {
            let mut out = [0u8; 32];
            hex::decode_to_slice(s, &mut out).ok()?;
            Some(out)
        };
        Some(dicom::ScopedKeys {
            uid: k(&self.uid)?,
            serial: k(&self.serial)?,
            pseudonym: k(&self.pseudonym)?,
            offset: k(&self.offset)?,
        })
    }
}

/// One instance a workstation holds: its blob's hash and its de-identified SOP Instance UID.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct UploadInstance {
    /// blake3 of the de-identified file, 64 hex digits.
    pub blob: String,
    /// The de-identified SOP Instance UID.
    pub sop: String,
}

/// Which instances the node still needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct MissingRequest {
    /// At most 5000.
    pub instances: Vec<UploadInstance>,
}

/// The answer to [`MissingRequest`]: blobs neither spooled nor imported, and blobs whose instance
/// the study already holds (nothing to send or commit). The others are spooled.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct MissingAnswer {
    /// To send.
    pub missing: Vec<String>,
    /// Already imported.
    pub imported: Vec<String>,
}

/// The spooled blobs of one series to import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct CommitRequest {
    /// At most 5000 blob hashes.
    pub blobs: Vec<String>,
}

/// Whether a blob was newly stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct BlobStored {
    /// False when the node already held it.
    pub stored: bool,
}

/// A blob hash as the routes take it: a content id (blake3, 64 lower-case hex digits), in its
/// canonical text form.
fn blob_name(s: &str) -> ApiResult<String> {
    super::parse_id::<ContentId>(s).map(|id| id.to_hex())
}

/// The study named by the path, with `import` checked.
async fn study_for_upload(st: &AppState, auth: &Auth, path: &PathParams) -> ApiResult<node::Study> {
    let key = StudyKey::parse(path.get(0)?)?;
    let (st, auth) = (st.clone(), auth.clone());
    blocking(move || {
        let catalog = &st.node.catalog;
        let study = key.resolve(catalog)?;
        let center = catalog.node_center()?.id;
        st.access()
            .check(
                &auth.principal(),
                Right::Import,
                study.id,
                Some(center),
                now(),
            )
            .map_err(about_study(&study))?;
        Ok(study)
    })
    .await
}

/// The study's de-identification profile and scoped keys, for `neurofed upload`.
#[utoipa::path(get, path = "/api/v1/studies/{id}/upload", operation_id = "upload_keys", tag = "import",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    responses(
        (status = 200, body = UploadKeys),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn keys(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
) -> ApiResult<Json<UploadKeys>> {
    let study = study_for_upload(&st, &auth, &path).await?;
    blocking(move || {
        let node = &st.node;
        let profile = node
            .profile(&study.profile)
            .map_err(|e| ApiError::internal(format!("the study's profile: {e}")))?;
        let deid =
            dicom::Deidentifier::new(profile.clone(), node.deid_keys(), &study.id.to_string());
        node.catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::UploadKeys, now())
                .study(study.id)
                .detail(format!(
                    "de-identification keys of profile {:?} given for an upload",
                    profile.name
                )),
        )?;
        Ok(Json(UploadKeys {
            study: study.id.to_string(),
            name: study.name.clone(),
            profile: serde_json::to_value(&profile).map_err(ApiError::internal)?,
            keys: ScopedKeysBody::of(&deid.scoped_keys()),
            max_blob_bytes: st.config.max_upload_bytes,
        }))
    })
    .await
}

/// Which of a workstation's instances the node still needs.
#[utoipa::path(post, path = "/api/v1/studies/{id}/upload/missing", operation_id = "upload_missing", tag = "import",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = MissingRequest,
    responses(
        (status = 200, body = MissingAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn missing(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<MissingRequest>,
) -> ApiResult<Json<MissingAnswer>> {
    if req.instances.len() > MAX_UPLOAD_LIST {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_UPLOAD_LIST} instances per request"
        )));
    }
    for i in &req.instances {
        blob_name(&i.blob)?;
    }
    let study = study_for_upload(&st, &auth, &path).await?;
    blocking(move || {
        let dir = st.node.home.uploads_dir(&study.id.to_string());
        if let Some(root) = dir.parent() {
            let swept = sweep_spools(root, now(), false);
            if swept > 0 {
                tracing::info!("removed {swept} upload blobs never committed for a week");
            }
        }
        let mut answer = MissingAnswer {
            missing: Vec::new(),
            imported: Vec::new(),
        };
        for i in req.instances {
            if dir.join(&i.blob).is_file() {
                continue;
            }
            if st.node.catalog.instance_exists(&i.sop)? {
                answer.imported.push(i.blob);
            } else {
                answer.missing.push(i.blob);
            }
        }
        Ok(Json(answer))
    })
    .await
}

/// One de-identified instance, by its blake3 hash.
#[utoipa::path(put, path = "/api/v1/studies/{id}/upload/blobs/{blob}", operation_id = "upload_blob", tag = "import",
    params(
        ("id" = String, Path, description = "Study id (`st_…`) or name"),
        ("blob" = String, Path, description = "blake3 of the body, 64 lower-case hex digits"),
    ),
    request_body(content = inline(crate::openapi::Binary), content_type = "application/dicom"),
    responses(
        (status = 201, description = "Stored", body = BlobStored),
        (status = 200, description = "Already held", body = BlobStored),
        (status = 400, description = "The body's hash is not the URL's (`hash_mismatch`)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
    ))]
pub(crate) async fn put_blob(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    req: Request,
) -> ApiResult<(StatusCode, Json<BlobStored>)> {
    let blob = blob_name(path.get(1)?)?;
    let study = study_for_upload(&st, &auth, &path).await?;
    let limit = st.config.max_upload_bytes;
    refuse_declared_over(req.headers(), limit)?;
    let dir = st.node.home.uploads_dir(&study.id.to_string());
    let dest = dir.join(&blob);
    if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
        return Ok((StatusCode::OK, Json(BlobStored { stored: false })));
    }
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError::internal(format!("upload folder: {e}")))?;
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| ApiError::internal(format!("randomness: {e}")))?;
    let tmp = dir.join(format!(".tmp-{}", hex::encode(nonce)));
    let result = receive_blob(req, &tmp, &blob, limit).await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    tokio::fs::rename(&tmp, &dest)
        .await
        .map_err(|e| ApiError::internal(format!("upload folder: {e}")))?;
    Ok((StatusCode::CREATED, Json(BlobStored { stored: true })))
}

/// Stream the body into `tmp` (counted against `limit`), hashing it; the hash must be
/// `expected`; then fsync.
async fn receive_blob(req: Request, tmp: &Path, expected: &str, limit: u64) -> ApiResult<()> {
    let mut spool = Spool::create(tmp.to_path_buf()).await?;
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    let mut stream = req.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| upload_error(&e.to_string(), limit))?;
        spool.push(&chunk, &mut total, limit).await?;
        hasher.update(&chunk);
    }
    if total == 0 {
        return Err(ApiError::bad_request("the blob is empty"));
    }
    let got = ContentId::from_hasher(&hasher).to_hex();
    if got != expected {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "hash_mismatch",
            format!("the body's blake3 is {got}, not the URL's {expected}: nothing kept"),
        ));
    }
    spool.finish_synced().await?;
    Ok(())
}

/// Import the spooled blobs of one series.
#[utoipa::path(post, path = "/api/v1/studies/{id}/upload/commit", operation_id = "upload_commit", tag = "import",
    params(("id" = String, Path, description = "Study id (`st_…`) or name")),
    request_body = CommitRequest,
    responses(
        (status = 200, body = ImportSummaryBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A blob is not spooled (`missing_blobs`: send it first)", body = ErrorBody),
    ))]
pub(crate) async fn commit(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    JsonBody(req): JsonBody<CommitRequest>,
) -> ApiResult<Json<ImportSummaryBody>> {
    if req.blobs.is_empty() || req.blobs.len() > MAX_UPLOAD_LIST {
        return Err(ApiError::bad_request(format!(
            "give 1 to {MAX_UPLOAD_LIST} blobs per commit"
        )));
    }
    let mut seen = HashSet::new();
    for b in &req.blobs {
        blob_name(b)?;
        seen.insert(b.clone());
    }
    let study = study_for_upload(&st, &auth, &path).await?;
    let guard = st.import_lock.clone().lock_owned().await;
    blocking(move || {
        let _guard = guard;
        let node = &st.node;
        let dir = node.home.uploads_dir(&study.id.to_string());
        let paths: Vec<PathBuf> = seen.iter().map(|b| dir.join(b)).collect();
        let absent: Vec<&str> = seen
            .iter()
            .zip(&paths)
            .filter(|(_, p)| !p.is_file())
            .map(|(b, _)| b.as_str())
            .take(20)
            .collect();
        if !absent.is_empty() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "missing_blobs",
                format!("not spooled here, send them first: {}", absent.join(", ")),
            ));
        }
        let opts = ImportOptions {
            study: Some(study.name.clone()),
            actor: Some(auth.who().to_string()),
            deidentified: true,
            ..ImportOptions::default()
        };
        let watch = crate::mail::ReportWatch::before(node, &study.name);
        let mut summary = Importer::new(node)
            .run(&paths, &opts, &node::NoProgress)
            .map_err(import_error)?;
        if let Some(w) = watch {
            w.after(node);
        }
        // Imported, duplicate or refused, a committed blob has done its work.
        for p in &paths {
            let _ = std::fs::remove_file(p);
        }
        let prefix = format!("{}/", dir.display());
        for s in &mut summary.skipped {
            if let Some(rest) = s.path.strip_prefix(&prefix) {
                s.path = rest.to_string();
            }
        }
        Ok(Json(ImportSummaryBody::from(summary)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_names_are_lower_case_blake3_hex() {
        assert!(blob_name(&"a".repeat(64)).is_ok());
        for bad in [
            "A".repeat(64),
            "a".repeat(63),
            "../".repeat(21) + "a",
            "g".repeat(64),
        ] {
            assert!(blob_name(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spools_lose_blobs_older_than_a_week_only() {
        let d = tempfile::tempdir().unwrap();
        let study = d.path().join("st_1");
        std::fs::create_dir_all(&study).unwrap();
        let (old, new) = (study.join("old"), study.join("new"));
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&new, b"y").unwrap();
        let week_ago =
            std::time::SystemTime::now() - SPOOL_EXPIRY - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(week_ago)
            .unwrap();
        assert_eq!(sweep_spools(d.path(), 1, true), 1);
        assert!(!old.exists() && new.exists());
    }
}
