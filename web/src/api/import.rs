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

use super::{clip, QueryParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};

/// Longest study name accepted here.
const MAX_STUDY_NAME: usize = 200;

/// The import summary (`neurofed import --json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummaryDoc {
    /// Inputs seen (files and archive entries).
    pub files: u64,
    /// Instances newly stored.
    pub instances: u64,
    /// Instances already present.
    pub duplicates: u64,
    /// Series that received new instances.
    pub series: u64,
    /// Subjects that received new instances.
    pub subjects: u64,
    /// Examinations that received new instances.
    pub examinations: u64,
    /// Inputs not imported, with the reason (`path` is the uploaded file's name, `!entry` for
    /// archive entries).
    #[schema(value_type = Vec<Object>)]
    pub skipped: Vec<SkippedFile>,
    /// Wall time of the import itself, seconds.
    pub seconds: f64,
}

/// One spooled upload: its temporary path and the name the client gave it.
struct Part {
    path: PathBuf,
    label: String,
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
struct Spool {
    file: tokio::fs::File,
    path: PathBuf,
}

impl Spool {
    async fn create(path: PathBuf) -> ApiResult<Spool> {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", path.display())))?;
        Ok(Spool { file, path })
    }

    /// Append `chunk`, counting it against `limit`.
    async fn push(&mut self, chunk: &[u8], total: &mut u64, limit: u64) -> ApiResult<()> {
        *total += chunk.len() as u64;
        if *total > limit {
            return Err(too_large(limit));
        }
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", self.path.display())))
    }

    async fn finish(mut self) -> ApiResult<PathBuf> {
        self.file
            .flush()
            .await
            .map_err(|e| ApiError::internal(format!("spool {}: {e}", self.path.display())))?;
        Ok(self.path)
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::too_large(format!(
        "the upload exceeds this node's limit of {limit} bytes"
    ))
}

fn upload_error(msg: &str, limit: u64) -> ApiError {
    if msg.contains("length limit") {
        too_large(limit)
    } else {
        ApiError::bad_request(format!(
            "the upload was interrupted or malformed: {}",
            clip(msg, 200)
        ))
    }
}

/// Read the request body into `dir`: one file, or one per multipart field.
async fn receive(st: &AppState, req: Request, dir: &Path) -> ApiResult<Vec<Part>> {
    let limit = st.config.max_upload_bytes;
    if let Some(len) = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit {
            return Err(too_large(limit));
        }
    }
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

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Node(NodeError::Profile { .. }) => ApiError::bad_request(e.to_string()),
        // Another process (a CLI import, `fsck --gc`) holds the node's import lock.
        ImportError::Node(NodeError::Busy) => ApiError::conflict(e.to_string()),
        ImportError::Catalog(c) => c.into(),
        other => ApiError::internal(other),
    }
}

/// Import uploaded DICOM into a study.
#[utoipa::path(post, path = "/api/v1/import", tag = "import",
    params(
        ("study" = String, Query, description = "Study name (created if missing: admins only)"),
        ("profile" = Option<String>, Query, description = "De-identification profile of a new study"),
    ),
    request_body(description = "A zip (`application/zip`) or `multipart/form-data` with DICOM files and zips", content = Vec<u8>),
    responses(
        (status = 200, body = ImportSummaryDoc),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ))]
pub async fn import(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
    req: Request,
) -> ApiResult<Json<ImportSummary>> {
    q.allow(&["study", "profile"])?;
    let study = q
        .one("study")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("query parameter \"study\" (a study name) is required")
        })?
        .to_string();
    if study.chars().count() > MAX_STUDY_NAME || study.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "a study name is 1 to {MAX_STUDY_NAME} printable characters"
        )));
    }
    let profile = q.one("profile")?.map(str::to_string);

    // Authorize before reading the body.
    let (st2, auth2, name) = (st.clone(), auth.clone(), study.clone());
    blocking(move || {
        let node = &st2.node;
        match node.catalog.study_by_name(&name)? {
            Some(s) => {
                let center = node.catalog.node_center()?.id;
                st2.access()
                    .check(&auth2.principal(), Right::Import, s.id, Some(center), now())?;
                Ok(())
            }
            None if auth2.user.role == Role::Admin => Ok(()),
            None => Err(ApiError::forbidden(format!(
                "study {:?} does not exist, and only administrators may create studies",
                clip(&name, 60)
            ))),
        }
    })
    .await?;

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
        let result = Importer::new(node).run(&paths, &opts, &node::NoProgress);
        drop(dir);
        let mut summary = result.map_err(import_error)?;
        for s in &mut summary.skipped {
            if let Some(p) = parts
                .iter()
                .find(|p| s.path.starts_with(&*p.path.to_string_lossy()))
            {
                s.path = s.path.replacen(&*p.path.to_string_lossy(), &p.label, 1);
            }
        }
        Ok(Json(summary))
    })
    .await
}
