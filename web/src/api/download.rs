//! `GET /datasets/{id}/download?format=dicom|nifti`: a zip streamed as it is written.
//!
//! The access check, the manifest and the audit record come first (errors there are ordinary JSON
//! answers). Then a blocking task reads each blob in [`CHUNK`]-sized pieces, hashes it (blake3)
//! and CRCs it while writing the zip into a bounded channel that feeds the response body: memory
//! stays at a few chunks whatever the dataset's size, and a slow client slows the reader down.
//! A blob whose bytes do not hash to its id (or whose size differs) aborts the stream: the
//! client sees a broken transfer (no central directory, so no usable archive) and the server
//! logs the blob. Entry names are `neurofed export`'s (`node::layout`, the one export layout):
//! DICOM `<study>/sub-<pseudonym>/ses-<date>/S<nnn>_<series>/IM<nnnnn>.dcm`, NIfTI
//! `<study>/sub-<pseudonym>/ses-<date>/<datatype>/S<nnn>_<series>.nii.gz` + `.json`.

use std::io::{self, Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use node::{AuditAction, DatasetRow, ExportEntry, ExportFormat, NewEvent, Node, Right};
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

/// The files of `row` in `format`, named as `neurofed export` names them (`node::layout`, the
/// one export layout); a dataset without a NIfTI expression is 404 `no_nifti` with the reason.
pub(crate) fn entries(
    node: &Node,
    row: &DatasetRow,
    format: ExportFormat,
) -> ApiResult<Vec<ExportEntry>> {
    let (entries, mut left_out) = node::layout(&node.store, std::slice::from_ref(row), format)?;
    if let Some(n) = left_out.pop() {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "no_nifti",
            format!(
                "dataset {} has no NIfTI expression: {}",
                n.dataset, n.reason
            ),
        ));
    }
    Ok(entries)
}

/// A [`Write`] that cuts what it receives into chunks sent on a bounded channel.
pub(crate) struct ChannelWriter {
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

/// Write the archive of the generated files `texts` then `entries` to `out`, verifying every
/// blob as it is read.
pub(crate) fn write_zip<W: Write>(
    node: &Node,
    texts: &[(String, Vec<u8>)],
    entries: &[ExportEntry],
    out: W,
) -> Result<W, StreamError> {
    let mut zip = ZipStream::new(out);
    for (path, bytes) in texts {
        zip.start_entry(path, bytes.len() as u64)?;
        zip.write_data(bytes)?;
        zip.finish_entry()?;
    }
    let mut buf = vec![0u8; CHUNK];
    for e in entries {
        let mut file = node
            .store
            .open_blob(&e.blob)
            .map_err(|source| StreamError::Store {
                blob: e.blob,
                source,
            })?;
        zip.start_entry(&e.path, e.size)?;
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
                entry: e.path.clone(),
                detail: format!("{size} bytes hashing to {got}, expected {} bytes", e.size),
            });
        }
        zip.finish_entry()?;
    }
    Ok(zip.finish()?)
}

/// A response body streaming the archive of `entries`.
pub(crate) fn zip_body(node: Arc<Node>, entries: Vec<ExportEntry>, what: String) -> Body {
    zip_body_with(node, Vec::new(), entries, what)
}

/// A response body streaming the archive of the generated files `texts` then `entries`.
pub(crate) fn zip_body_with(
    node: Arc<Node>,
    texts: Vec<(String, Vec<u8>)>,
    entries: Vec<ExportEntry>,
    what: String,
) -> Body {
    channel_body(what, move |w| {
        write_zip(&node, &texts, &entries, w).map(|_| ())
    })
}

/// A response body written by `produce` on a blocking thread, in [`CHUNK`]s through a bounded
/// channel: memory stays at a few chunks and a slow client slows the producer down. An error
/// other than the client going away breaks the transfer (the client sees it) and is logged.
pub(crate) fn channel_body<F>(what: String, produce: F) -> Body
where
    F: FnOnce(&mut ChannelWriter) -> Result<(), StreamError> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        match produce(&mut w).and_then(|()| Ok(w.flush()?)) {
            Ok(()) => tracing::debug!(%what, "download complete"),
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

/// Refuse unless `auth` may download the dataset of `row` (a download, a preview): the API's
/// refusal, naming the study.
pub(crate) fn require_download(
    st: &AppState,
    auth: &Auth,
    row: &DatasetRow,
    t: u64,
) -> ApiResult<()> {
    st.access()
        .check(
            &auth.principal(),
            Right::Download,
            row.study.id,
            Some(row.examination.center),
            t,
        )
        .map_err(super::about_study(&row.study))?;
    Ok(())
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
pub(crate) async fn download(
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
        require_download(&st, &auth, &row, t)?;
        let format = if nifti {
            ExportFormat::Nifti
        } else {
            ExportFormat::Dicom
        };
        let entries = entries(&st.node, &row, format)?;
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

/// Most datasets in one selection download.
pub(crate) const MAX_SELECTION: usize = 1000;

/// Download a selection of datasets as one zip (the layout of `neurofed export`, or with
/// `format=bids` a BIDS dataset of one study as `neurofed export --format bids` writes it):
/// every dataset must exist and be downloadable by the caller, or nothing is sent. In NIfTI and
/// BIDS, datasets without a NIfTI expression are left out and named in `X-Neurofed-Left-Out`.
#[utoipa::path(get, path = "/api/v1/download", operation_id = "download_selection", tag = "datasets",
    params(
        ("dataset" = Vec<String>, Query, description = "Dataset ids (`ds_…`), repeated, at most 1000"),
        ("format" = Option<String>, Query, description = "`dicom` (default), `nifti` or `bids` (one study)"),
    ),
    responses(
        (status = 200, description = "A zip archive, streamed; `X-Neurofed-Bytes` gives the bytes of the files it holds", content_type = "application/zip", body = inline(crate::openapi::Binary)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No download right on one of them (the message says which study)", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub(crate) async fn download_selection(
    State(st): State<AppState>,
    auth: Auth,
    q: QueryParams,
) -> ApiResult<Response> {
    q.allow(&["format", "dataset"])?;
    let fmt = match q.one("format")? {
        None => "dicom",
        Some(f @ ("dicom" | "nifti" | "bids")) => f,
        Some(f) => {
            return Err(ApiError::bad_request(format!(
                "format {:?} is not dicom, nifti or bids",
                super::clip(f, 20)
            )))
        }
    }
    .to_string();
    let mut ids: Vec<DatasetId> = Vec::new();
    for d in q.all("dataset") {
        let id: DatasetId = d.parse().map_err(|_| {
            ApiError::bad_request(format!("{:?} is not a dataset id", super::clip(d, 40)))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::bad_request("select at least one dataset"));
    }
    if ids.len() > MAX_SELECTION {
        return Err(ApiError::bad_request(format!(
            "{} datasets selected, at most {MAX_SELECTION} at once",
            ids.len()
        )));
    }
    let st2 = st.clone();
    let fmt2 = fmt.clone();
    let (texts, entries, left_out) = blocking(move || {
        let fmt = fmt2;
        let st = st2;
        let t = now();
        let mut rows = Vec::with_capacity(ids.len());
        for &id in &ids {
            let row = row_or_404(&st.node.catalog, id)?;
            require_download(&st, &auth, &row, t)?;
            rows.push(row);
        }
        let (texts, entries, left_out) = match fmt.as_str() {
            "bids" => {
                let b = node::bids_layout(&st.node, rows.clone())?;
                let left: Vec<_> = b
                    .summary
                    .not_exported
                    .into_iter()
                    .map(|n| n.dataset)
                    .collect();
                (b.texts, b.images, left)
            }
            f => {
                let format = if f == "nifti" {
                    ExportFormat::Nifti
                } else {
                    ExportFormat::Dicom
                };
                let (entries, left_out) = node::layout(&st.node.store, &rows, format)?;
                let left = left_out.iter().map(|n| n.dataset.to_string()).collect();
                (Vec::new(), entries, left)
            }
        };
        for row in &rows {
            st.node.catalog.audit().append(
                NewEvent::new(auth.who(), AuditAction::Download, t)
                    .study(row.study.id)
                    .dataset(row.dataset.id)
                    .detail(format!("format={fmt} selection={}", rows.len())),
            )?;
        }
        Ok((texts, entries, left_out))
    })
    .await?;
    let bytes: u64 = entries.iter().map(|e| e.size).sum::<u64>()
        + texts.iter().map(|t| t.1.len() as u64).sum::<u64>();
    let name = format!("neurofed-selection-{fmt}.zip");
    let body = zip_body_with(
        st.node.clone(),
        texts,
        entries,
        format!("selection of {} datasets", q.all("dataset").count()),
    );
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                axum::http::HeaderName::from_static("x-neurofed-bytes"),
                bytes.to_string(),
            ),
            (
                axum::http::HeaderName::from_static("x-neurofed-left-out"),
                left_out.join(","),
            ),
        ],
        body,
    )
        .into_response())
}
