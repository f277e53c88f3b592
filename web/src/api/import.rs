//! `POST /import?study=NAME[&profile=P]`: upload DICOM (a zip as the body, or `multipart/form-data`
//! with one or more files, each a DICOM file or a zip) and import it into a study.
//!
//! Rights are checked before a byte of the body is read: `import` on the study, or, for a study
//! that does not exist yet, the admin role. The upload is spooled to a private temporary folder
//! in [`WebConfig::upload_dir`](crate::state::WebConfig) (never under the node's home: uploads
//! hold PHI), counted against the size limit as it arrives (413 past it), imported with the
//! library's importer on a blocking thread, then deleted. Imports run one at a time: a second one
//! waits for the first (its upload is spooled meanwhile). The task owns the lock and the spool
//! folder, so a client that disconnects mid-import neither lets another import start early nor
//! leaves files behind. The answer is the object `neurofed import --json` prints; file names in
//! it are the client's own. The audit record holds counts only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::Json;
use futures_util::StreamExt;
use node::ImportError;
use node::NodeError;
use node::{ImportOptions, ImportSummary, Importer, SkippedFile};
use node::{Right, Role};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use super::{about_study, clip, QueryParams, StudyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// The import summary (the object `neurofed import --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct ImportSummaryBody {
    /// Inputs seen (files and archive entries), whatever became of them.
    pub files: u64,
    /// Instances newly stored.
    pub instances: u64,
    /// Instances already present (in the node or earlier in this import).
    pub duplicates: u64,
    /// Series that received new instances.
    pub series: u64,
    /// Subjects that received new instances.
    pub subjects: u64,
    /// Examinations that received new instances.
    pub examinations: u64,
    /// Inputs not imported, with the reason.
    pub skipped: Vec<SkippedBody>,
    /// Series converted to NIfTI by this import.
    pub nifti: u64,
    /// Series whose NIfTI conversion was refused (the reason is on the dataset).
    pub nifti_refused: u64,
    /// Public attributes removed because neither Table E.1-1 nor the keep-list names them.
    pub removed_unlisted: u64,
    /// Instances quarantined for their pixels (stored apart, not in the datasets).
    pub quarantined: u64,
    /// The quarantined instances by reason (counts, no values).
    pub quarantine_reasons: BTreeMap<String, u64>,
    /// Wall time of the import itself, seconds.
    pub seconds: f64,
}

/// An input that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct SkippedBody {
    /// The uploaded file's name (`name!entry` for an archive entry).
    pub path: String,
    /// One-line reason.
    pub reason: String,
}

impl From<ImportSummary> for ImportSummaryBody {
    fn from(s: ImportSummary) -> Self {
        ImportSummaryBody {
            files: s.files,
            instances: s.instances,
            duplicates: s.duplicates,
            series: s.series,
            subjects: s.subjects,
            examinations: s.examinations,
            skipped: s
                .skipped
                .into_iter()
                .map(|f: SkippedFile| SkippedBody {
                    path: f.path,
                    reason: f.reason,
                })
                .collect(),
            nifti: s.nifti,
            nifti_refused: s.nifti_refused,
            removed_unlisted: s.removed_unlisted,
            quarantined: s.quarantined,
            quarantine_reasons: s.quarantine_reasons,
            seconds: s.seconds,
        }
    }
}

/// A `multipart/form-data` import: any number of parts (of any field name), each a DICOM file or
/// a zip; the part's file name is how the answer's `skipped` list names it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // The OpenAPI document's description of the body; the handler streams it.
pub(crate) struct ImportForm {
    /// The files.
    #[schema(value_type = Vec<crate::openapi::Binary>, inline)]
    pub file: Vec<Vec<u8>>,
}

/// One spooled upload: its temporary path and the name the client gave it.
pub(crate) struct Part {
    pub path: PathBuf,
    pub label: String,
}

/// A client-supplied file name made safe to echo (no control characters, bounded).
fn label_of(name: Option<&str>, n: usize) -> String {
    match name.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => clip(s, 200)
            .chars()
            .map(|c| if c.is_control() { '_' } else { c })
            .collect(),
        None => format!("part-{n}"),
    }
}

/// A spool file being written.
pub(crate) struct Spool {
    file: tokio::fs::File,
    path: PathBuf,
}

impl Spool {
    pub(crate) async fn create(path: PathBuf) -> ApiResult<Spool> {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", path.display())))?;
        Ok(Spool { file, path })
    }

    /// Append `chunk`, counting it against `limit`.
    pub(crate) async fn push(
        &mut self,
        chunk: &[u8],
        total: &mut u64,
        limit: u64,
    ) -> ApiResult<()> {
        *total += chunk.len() as u64;
        if *total > limit {
            return Err(too_large(limit));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", self.path.display())))
    }

    /// [`Spool::finish`], then fsync: the file survives a crash.
    pub(crate) async fn finish_synced(mut self) -> ApiResult<PathBuf> {
        let failed =
            |e: std::io::Error, p: &Path| ApiError::internal(format!("spool {}: {e}", p.display()));
        self.file.flush().await.map_err(|e| failed(e, &self.path))?;
        self.file
            .sync_all()
            .await
            .map_err(|e| failed(e, &self.path))?;
        Ok(self.path)
    }

    pub(crate) async fn finish(mut self) -> ApiResult<PathBuf> {
        self.file
            .flush()
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", self.path.display())))?;
        Ok(self.path)
    }
}

pub(crate) fn too_large(limit: u64) -> ApiError {
    ApiError::too_large(format!(
        "the upload exceeds this node's limit of {limit} bytes"
    ))
}

pub(crate) fn upload_error(msg: &str, limit: u64) -> ApiError {
    if msg.contains("length limit") {
        too_large(limit)
    } else if msg.contains(crate::server::IDLE_UPLOAD) {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the upload was abandoned: {}", clip(msg, 200)),
        )
    } else {
        ApiError::bad_request(format!(
            "the upload was interrupted or malformed: {}",
            clip(msg, 200)
        ))
    }
}

/// Refuse a body whose declared Content-Length is over `limit` before reading any of it.
pub(crate) fn refuse_declared_over(headers: &axum::http::HeaderMap, limit: u64) -> ApiResult<()> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Read the request body into `dir`: one file, or one per multipart field.
async fn receive(st: &AppState, req: Request, dir: &Path) -> ApiResult<Vec<Part>> {
    let limit = st.config.max_upload_bytes;
    refuse_declared_over(req.headers(), limit)?;
    let ctype = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut total = 0u64;
    let mut parts = Vec::new();
    match ctype.as_str() {
        "application/zip"
        | "application/x-zip-compressed"
        | "application/dicom"
        | "application/octet-stream" => {
            let mut spool = Spool::create(dir.join("part-1")).await?;
            let mut stream = req.into_body().into_data_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| upload_error(&e.to_string(), limit))?;
                spool.push(&chunk, &mut total, limit).await?;
            }
            let path = spool.finish().await?;
            parts.push(Part {
                path,
                label: "upload".into(),
            });
        }
        "multipart/form-data" => {
            let mut mp = Multipart::from_request(req, st).await.map_err(|e| {
                ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
            })?;
            loop {
                let field = mp
                    .next_field()
                    .await
                    .map_err(|e| upload_error(&e.body_text(), limit))?;
                let Some(mut field) = field else { break };
                let n = parts.len() + 1;
                let label = label_of(field.file_name().or(field.name()), n);
                let mut spool = Spool::create(dir.join(format!("part-{n}"))).await?;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| upload_error(&e.body_text(), limit))?
                {
                    spool.push(&chunk, &mut total, limit).await?;
                }
                let path = spool.finish().await?;
                parts.push(Part { path, label });
            }
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send a zip (Content-Type: application/zip) or files as multipart/form-data",
            ))
        }
    }
    if parts.is_empty() || total == 0 {
        return Err(ApiError::bad_request("the upload is empty"));
    }
    Ok(parts)
}

pub(crate) fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Node(NodeError::Profile { .. }) => ApiError::bad_request(e.to_string()),
        // Another process (a CLI import, `fsck --gc`) holds the node's import lock.
        ImportError::Node(NodeError::Busy) => ApiError::conflict(e.to_string()),
        ImportError::Catalog(c) => c.into(),
        other => ApiError::internal(other),
    }
}

/// The study an upload goes to (`study` and `profile` of the query string), authorized before a
/// byte of the body is read: `import` on an existing study, the admin role for a new one.
pub(crate) async fn target_study(
    st: &AppState,
    auth: &Auth,
    q: &QueryParams,
) -> ApiResult<(String, Option<String>)> {
    q.allow(&["study", "profile"])?;
    let key = q
        .one("study")?
        .filter(|s| !s.is_empty())
        .map(StudyKey::parse)
        .transpose()?
        .ok_or_else(|| {
            ApiError::bad_request("query parameter \"study\" (a study id or name) is required")
        })?;
    let profile = q.one("profile")?.map(str::to_string);

    // Authorize before reading the body. An id names an existing study; a name may be new.
    let (st2, auth2) = (st.clone(), auth.clone());
    let study = blocking(move || {
        let node = &st2.node;
        let existing = match &key {
            StudyKey::Id(_) => Some(key.resolve(&node.catalog)?),
            StudyKey::Name(name) => node.catalog.study_by_name(name)?,
        };
        match (existing, key) {
            (Some(s), _) => {
                let center = node.catalog.node_center()?.id;
                st2.access()
                    .check(&auth2.principal(), Right::Import, s.id, Some(center), now())
                    .map_err(about_study(&s))?;
                Ok(s.name)
            }
            (None, StudyKey::Name(name)) if auth2.user.role == Role::Admin => Ok(name),
            (None, StudyKey::Name(name)) => Err(ApiError::forbidden(format!(
                "study {:?} does not exist, and only administrators may create studies",
                clip(&name, 60)
            ))),
            (None, StudyKey::Id(id)) => Err(ApiError::not_found(format!("no study {id}"))),
        }
    })
    .await?;

    Ok((study, profile))
}

/// Import uploaded DICOM into a study.
#[utoipa::path(post, path = "/api/v1/import", operation_id = "import_dicom", tag = "import",
    params(
        ("study" = String, Query, description = "Study id (`st_…`) or name (a new name creates the study: admins only)"),
        ("profile" = Option<String>, Query, description = "De-identification profile of a new study"),
    ),
    request_body(description = "A zip as the body (`application/zip`; one DICOM file as `application/dicom` or `application/octet-stream`), or `multipart/form-data` with any number of parts, each a DICOM file or a zip",
        content(
            (inline(crate::openapi::Binary) = "application/zip"),
            (inline(crate::openapi::Binary) = "application/dicom"),
            (inline(crate::openapi::Binary) = "application/octet-stream"),
            (inline(ImportForm) = "multipart/form-data"),
        )),
    responses(
        (status = 200, body = ImportSummaryBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ))]
pub(crate) async fn import(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
    req: Request,
) -> ApiResult<Json<ImportSummaryBody>> {
    let (study, profile) = target_study(&st, &auth, &q).await?;

    let dir = tempfile::Builder::new()
        .prefix("neurofed-upload-")
        .tempdir_in(&st.config.upload_dir)
        .map_err(|e| ApiError::internal(format!("upload folder: {e}")))?;
    let parts = receive(&st, req, dir.path()).await?;
    let guard = st.import_lock.clone().lock_owned().await;
    blocking(move || {
        let _guard = guard;
        let node = &st.node;
        let paths: Vec<PathBuf> = parts.iter().map(|p| p.path.clone()).collect();
        let opts = ImportOptions {
            study: Some(study.clone()),
            profile,
            // The importer writes the audit record (counts only) under this name.
            actor: Some(auth.who().to_string()),
            ..ImportOptions::default()
        };
        let watch = crate::mail::ReportWatch::before(node, &study);
        let result = Importer::new(node).run(&paths, &opts, &node::NoProgress);
        drop(dir);
        let mut summary = result.map_err(import_error)?;
        if let Some(w) = watch {
            w.after(node);
        }
        for s in &mut summary.skipped {
            if let Some(p) = parts
                .iter()
                .find(|p| s.path.starts_with(&*p.path.to_string_lossy()))
            {
                s.path = s.path.replacen(&*p.path.to_string_lossy(), &p.label, 1);
            }
        }
        Ok(Json(ImportSummaryBody::from(summary)))
    })
    .await
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn the_summary_body_is_the_cli_summary() {
        let s = ImportSummary {
            files: 3,
            instances: 2,
            duplicates: 1,
            series: 1,
            subjects: 1,
            examinations: 1,
            skipped: vec![SkippedFile {
                path: "cd.zip!README".into(),
                reason: "not DICOM".into(),
            }],
            nifti: 1,
            nifti_refused: 0,
            removed_unlisted: 7,
            quarantined: 1,
            quarantine_reasons: [("burned_in_annotation".to_string(), 1)].into(),
            seconds: 0.5,
        };
        assert_eq!(
            serde_json::to_value(ImportSummaryBody::from(s.clone())).ok(),
            serde_json::to_value(&s).ok()
        );
    }
}
