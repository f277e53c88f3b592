//! `GET /datasets/{id}/download?format=dicom|nifti`: a zip streamed as it is written.
//!
//! The access check, the manifest and the audit record come first (errors there are ordinary JSON
//! answers). Then a blocking task reads each blob in [`CHUNK`]-sized pieces, hashes it (blake3)
//! and CRCs it while writing the zip into a bounded channel that feeds the response body: memory
//! stays at a few chunks whatever the dataset's size, and a slow client slows the reader down.
//! A blob whose bytes do not hash to its id (or whose size differs) aborts the stream: the
//! client sees a broken transfer (no central directory, so no usable archive) and the server
//! logs the blob. Entry names follow `neurofed export`: DICOM
//! `<study>/sub-<pseudonym>/ses-<date>/S<nnn>_<series>/IM<nnnnn>.dcm`, NIfTI
//! `sub-<pseudonym>/ses-<date>/<datatype>/<series>.nii.gz` + `.json`, every component sanitized.

use std::io::{self, Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use node::sanitize;
use node::Node;
use node::Right;
use node::{AuditAction, NewEvent};
use node::{DatasetRow, Manifest};
use protocol::id::DatasetId;
use protocol::ContentId;
use tokio::sync::mpsc;

use super::datasets::row_or_404;
use super::{PathParams, QueryParams};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::{blocking, now, AppState};
use crate::zipstream::ZipStream;

/// Size of the pieces read from blobs and sent to the client.
pub const CHUNK: usize = 64 * 1024;
/// Chunks buffered between the reader and the socket.
const CHANNEL_CHUNKS: usize = 4;

/// One file of the archive.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub blob: ContentId,
    pub size: u64,
}

/// `S002_t1_mprage` as `neurofed export` names series folders.
fn series_name(row: &DatasetRow) -> String {
    let a = &row.acquisition;
    let desc = a
        .series_description
        .as_deref()
        .or(a.protocol_name.as_deref())
        .unwrap_or(&a.modality);
    match a.series_number {
        Some(n) => format!("S{n:03}_{}", sanitize(desc, 64)),
        None => sanitize(desc, 64),
    }
}

fn session(row: &DatasetRow) -> String {
    match &row.examination.date {
        Some(d) => format!("ses-{}", sanitize(&d.replace('-', ""), 16)),
        None => "ses-undated".into(),
    }
}

fn subject(row: &DatasetRow) -> String {
    format!("sub-{}", sanitize(&row.subject.pseudonym, 64))
}

/// The DICOM entries of a dataset (its manifest read and verified).
pub(crate) fn dicom_entries(node: &Node, row: &DatasetRow) -> ApiResult<Vec<Entry>> {
    let id = row.dataset.dicom.manifest;
    let bytes = node.store.read(&id)?;
    if ContentId::of(&bytes) != id {
        return Err(ApiError::internal(format!("manifest blob {id} is corrupt")));
    }
    let manifest = Manifest::from_bytes(&bytes)
        .map_err(|e| ApiError::internal(format!("manifest {id}: {e}")))?;
    let dir = format!(
        "{}/{}/{}/{}",
        sanitize(&row.study.name, 64),
        subject(row),
        session(row),
        series_name(row)
    );
    Ok(manifest
        .instances
        .iter()
        .enumerate()
        .map(|(i, e)| Entry {
            name: format!("{dir}/IM{:05}.dcm", i + 1),
            blob: e.content,
            size: e.size,
        })
        .collect())
}

/// The NIfTI entries of a dataset, or 404 when it has none.
pub(crate) fn nifti_entries(row: &DatasetRow) -> ApiResult<Vec<Entry>> {
    let Some(n) = &row.dataset.nifti else {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_nifti",
            match &row.dataset.nifti_refusal {
                Some(r) => format!("dataset {} has no NIfTI expression: {r}", row.dataset.id),
                None => format!("dataset {} has no NIfTI expression", row.dataset.id),
            },
        ));
    };
    let datatype = row
        .acquisition
        .cards
        .current
        .effective_bids_datatype()
        .map_or_else(|| "other".to_string(), |d| sanitize(d.as_str(), 16));
    let base = format!(
        "{}/{}/{datatype}/{}",
        subject(row),
        session(row),
        series_name(row)
    );
    Ok(vec![
        Entry {
            name: format!("{base}{}", if n.gzip { ".nii.gz" } else { ".nii" }),
            blob: n.nifti,
            size: n.bytes,
        },
        Entry {
            name: format!("{base}.json"),
            blob: n.sidecar,
            size: n.sidecar_bytes,
        },
    ])
}

/// A [`Write`] that cuts what it receives into chunks sent on a bounded channel.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Why a stream stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    #[error("blob {blob} of {entry} is corrupt: {detail}")]
    Corrupt {
        blob: ContentId,
        entry: String,
        detail: String,
    },
    #[error("reading blob {blob}: {source}")]
    Store {
        blob: ContentId,
        source: node::StoreError,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Write the archive of `entries` to `out`, verifying every blob as it is read.
pub(crate) fn write_zip<W: Write>(
    node: &Node,
    entries: &[Entry],
    out: W,
) -> Result<W, StreamError> {
    let mut zip = ZipStream::new(out);
    let mut buf = vec![0u8; CHUNK];
    for e in entries {
        let mut file = node
            .store
            .open_blob(&e.blob)
            .map_err(|source| StreamError::Store {
                blob: e.blob,
                source,
            })?;
        zip.start_entry(&e.name, e.size)?;
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            zip.write_data(&buf[..n])?;
        }
        let got = ContentId::from_hasher(&hasher);
        if got != e.blob || size != e.size {
            return Err(StreamError::Corrupt {
                blob: e.blob,
                entry: e.name.clone(),
                detail: format!("{size} bytes hashing to {got}, expected {} bytes", e.size),
            });
        }
        zip.finish_entry()?;
    }
    Ok(zip.finish()?)
}

/// A response body streaming the archive of `entries`.
pub(crate) fn zip_body(node: Arc<Node>, entries: Vec<Entry>, what: String) -> Body {
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let w = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        match write_zip(&node, &entries, w) {
            Ok(_) => tracing::debug!(%what, "download complete"),
            Err(StreamError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                tracing::info!(%what, "download interrupted by the client");
            }
            Err(e) => {
                tracing::error!(%what, error = %e, "download aborted");
                let _ = tx.blocking_send(Err(io::Error::other("download aborted by the server")));
            }
        }
    });
    Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// Download a dataset as a zip: its DICOM instances (default) or its NIfTI image and sidecar.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/download", operation_id = "download_dataset", tag = "datasets",
    params(
        ("id" = String, Path, description = "Dataset id (`ds_…`)"),
        ("format" = Option<String>, Query, description = "`dicom` (default) or `nifti`"),
    ),
    responses(
        (status = 200, description = "A zip archive, streamed (entries stored, not compressed; see the download section of docs/api.md for their names)", content_type = "application/zip", body = inline(crate::openapi::Binary)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No download right (the message says why)", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn download(
    State(st): State<AppState>,
    auth: Auth,
    path: PathParams,
    q: QueryParams,
) -> ApiResult<Response> {
    let id: DatasetId = path.id(0)?;
    q.allow(&["format"])?;
    let nifti = match q.one("format")? {
        None | Some("dicom") => false,
        Some("nifti") => true,
        Some(f) => {
            return Err(ApiError::bad_request(format!(
                "format {:?} is not dicom or nifti",
                super::clip(f, 20)
            )))
        }
    };
    let st2 = st.clone();
    let entries = blocking(move || {
        let st = st2;
        let row = row_or_404(&st.node.catalog, id)?;
        let t = now();
        st.access()
            .check(
                &auth.principal(),
                Right::Download,
                row.study.id,
                Some(row.examination.center),
                t,
            )
            .map_err(super::about_study(&row.study))?;
        let entries = if nifti {
            nifti_entries(&row)?
        } else {
            dicom_entries(&st.node, &row)?
        };
        let bytes: u64 = entries.iter().map(|e| e.size).sum();
        st.node.catalog.audit().append(
            NewEvent::new(auth.who(), AuditAction::Download, t)
                .study(row.study.id)
                .dataset(id)
                .detail(format!(
                    "format={} files={} bytes={bytes}",
                    if nifti { "nifti" } else { "dicom" },
                    entries.len()
                )),
        )?;
        Ok(entries)
    })
    .await?;
    let name = format!("{id}-{}.zip", if nifti { "nifti" } else { "dicom" });
    let body = zip_body(st.node.clone(), entries, format!("dataset {id}"));
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
