//! Export of stored datasets to a folder: `neurofed export` (local datasets: DICOM, NIfTI, or a
//! BIDS dataset, [`bids`])
//! and the export of a fetched dataset. Where each file goes is decided by [`layout`] (the one
//! layout, which the HTTP download uses too); this module writes the files.
//!
//! Each file is streamed from its blob, hashed on the way and checked against its content id,
//! written under a temporary name and renamed; the whole export is synced once at the end. A
//! blob whose bytes no longer match its id stops the export ([`ExportError::Corrupt`]).

mod bids;
mod layout;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use protocol::ContentId;
use serde::Serialize;

pub use bids::{bids_layout, export_bids, BidsLayout, BIDS_VERSION};
pub use layout::{layout, sanitize, ExportEntry, ExportFormat};

use crate::catalog::{CatalogError, DatasetRow};
use crate::fetched::{read_manifest, Fetched, FetchedError};
use crate::meter::{Meter, NoMeter};
use crate::node::Node;
use crate::store::{BlobStore, StoreError};

/// Which datasets to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only this study (by name).
    pub study: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Datasets exported.
    pub datasets: u64,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Datasets not exported (no NIfTI expression), with the reason.
    pub not_exported: Vec<NotExported>,
}

/// A dataset an export left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotExported {
    /// Dataset id.
    pub dataset: String,
    /// Series description.
    pub series: String,
    /// Why.
    pub reason: String,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Catalog failure.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blob's bytes no longer match its id.
    #[error("blob {0} is corrupt (its bytes do not hash to its id): run `neurofed fsck`")]
    Corrupt(ContentId),
    /// A manifest does not decode.
    #[error("manifest of dataset {dataset}: {detail}")]
    Manifest {
        /// Dataset id.
        dataset: String,
        /// Decoder message.
        detail: String,
    },
    /// Writing the output failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// Operation.
        op: &'static str,
        /// Path.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// The named study does not exist.
    #[error("no study named {0:?}")]
    NoSuchStudy(String),
    /// What a BIDS export cannot do (several studies at once, a broken sidecar).
    #[error("BIDS export: {0}")]
    Bids(String),
    /// The fetched dataset is not recorded, or its manifest is unreadable.
    #[error(transparent)]
    Fetched(#[from] FetchedError),
}

/// The datasets an export covers (all, or one study's), by study, subject, date, series.
pub(super) fn selected_rows(
    node: &Node,
    filter: &ExportFilter,
) -> Result<Vec<DatasetRow>, ExportError> {
    if let Some(name) = &filter.study {
        if node.catalog.study_by_name(name)?.is_none() {
            return Err(ExportError::NoSuchStudy(name.clone()));
        }
    }
    let mut rows = node.catalog.dataset_rows()?;
    if let Some(name) = &filter.study {
        rows.retain(|r| &r.study.name == name);
    }
    sort_rows(&mut rows);
    Ok(rows)
}

/// Rows in export order: study, subject, examination date, series number.
pub(super) fn sort_rows(rows: &mut [DatasetRow]) {
    fn key(r: &DatasetRow) -> (&str, &str, Option<&str>, Option<i64>) {
        (
            &r.study.name,
            &r.subject.pseudonym,
            r.examination.date.as_deref(),
            r.acquisition.series_number,
        )
    }
    rows.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// Export the datasets `filter` selects to `out` in `format`, telling `meter` the bytes to write
/// and each file's bytes as it is written.
pub fn export(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    format: ExportFormat,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    let rows = selected_rows(node, filter)?;
    let (entries, not_exported) = layout(&node.store, &rows, format)?;
    let mut summary = write_all(&node.store, out, &entries, meter)?;
    summary.datasets = (rows.len() - not_exported.len()) as u64;
    summary.not_exported = not_exported;
    Ok(summary)
}

/// Export the DICOM expression of datasets (all, or one study's) to `out`.
pub fn export_dicom(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
) -> Result<ExportSummary, ExportError> {
    export(node, out, filter, ExportFormat::Dicom, &NoMeter)
}

/// [`export_dicom`], reporting the bytes written to `meter`.
pub fn export_dicom_with(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    export(node, out, filter, ExportFormat::Dicom, meter)
}

/// Export the NIfTI expression (and JSON sidecar) of datasets to `out`.
pub fn export_nifti(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
) -> Result<ExportSummary, ExportError> {
    export(node, out, filter, ExportFormat::Nifti, &NoMeter)
}

/// [`export_nifti`], reporting the bytes written to `meter`.
pub fn export_nifti_with(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    export(node, out, filter, ExportFormat::Nifti, meter)
}

impl Fetched<'_> {
    /// Write the DICOM instances of the fetched dataset `content` to
    /// `out/<content id, 16 digits>/IM<nnnnn>.dcm`, checking every blob against its id.
    pub fn export_dicom(
        &self,
        store: &BlobStore,
        content: &ContentId,
        out: &Path,
    ) -> Result<ExportSummary, ExportError> {
        self.get(content)?.ok_or(FetchedError::NotFound(*content))?;
        let manifest = read_manifest(store, content)?;
        let dir = sanitize(&content.short(16), 64);
        let entries: Vec<ExportEntry> = manifest
            .instances
            .iter()
            .enumerate()
            .map(|(i, e)| ExportEntry {
                path: format!("{dir}/IM{:05}.dcm", i + 1),
                blob: e.content,
                size: e.size,
            })
            .collect();
        let mut summary = write_all(store, out, &entries, &NoMeter)?;
        summary.datasets = 1;
        Ok(summary)
    }
}

pub(super) fn io_err<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ExportError + 'a {
    move |source| ExportError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Write every entry under `out`, then make it all durable.
pub(super) fn write_all(
    store: &BlobStore,
    out: &Path,
    entries: &[ExportEntry],
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    fs::create_dir_all(out).map_err(io_err("create", out))?;
    let total: u64 = entries.iter().map(|e| e.size).sum();
    let mut summary = ExportSummary::default();
    let mut buf = vec![0u8; 256 * 1024];
    meter.total(total);
    for e in entries {
        let dest: PathBuf = e.path.split('/').fold(out.to_path_buf(), |p, c| p.join(c));
        let n = write_verified(store, e.blob, &dest, &mut buf)?;
        summary.bytes += n;
        summary.files += 1;
        meter.advance(n);
    }
    sync_tree(out).map_err(io_err("sync", out))?;
    Ok(summary)
}

/// Stream blob `id` to `dest` through a temporary file, checking that its bytes hash to `id`.
fn write_verified(
    store: &BlobStore,
    id: ContentId,
    dest: &Path,
    buf: &mut [u8],
) -> Result<u64, ExportError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut src = store.open_blob(&id)?;
    let mut f = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
    let mut hasher = blake3::Hasher::new();
    let mut n = 0u64;
    loop {
        let k = src.read(buf).map_err(io_err("read", &tmp))?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
        f.write_all(&buf[..k]).map_err(io_err("write", &tmp))?;
        n += k as u64;
    }
    drop(f);
    if ContentId::from_hasher(&hasher) != id {
        let _ = fs::remove_file(&tmp);
        return Err(ExportError::Corrupt(id));
    }
    fs::rename(&tmp, dest).map_err(io_err("rename", dest))?;
    Ok(n)
}

/// Make everything written under `dir` durable: one syncfs on Linux.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    let f = fs::File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(&f)?;
    }
    #[cfg(not(target_os = "linux"))]
    {
        f.sync_all()?;
    }
    Ok(())
}
