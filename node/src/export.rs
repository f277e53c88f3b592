//! Export of stored datasets to a folder.
//!
//! DICOM export writes each instance blob exactly as stored (de-identified), after checking that
//! its bytes still hash to its content id, into one folder per study, subject, examination and
//! series:
//! `<out>/<study>/sub-<pseudonym>/ses-<date>/S<series number>_<description>/IM<nnnnn>.dcm`.
//! Folder names are sanitized (no separators, no `..`), whatever the descriptions contain.
//! Each file is written under a temporary name and renamed; the whole export is synced once at
//! the end.
//!
//! NIfTI export writes each dataset's NIfTI expression and its JSON sidecar, BIDS-like:
//! `<out>/<study>/sub-<pseudonym>/ses-<n>/<datatype>/S<series number>_<description>.nii.gz` (and
//! `.json`), where `n` numbers a subject's examinations by date from 1 and `datatype` is the
//! study card's BIDS datatype (`anat`, `func`, `dwi`...) or, without one, the modality. Datasets
//! without a NIfTI expression are listed in the summary with the reason.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use protocol::ContentId;
use serde::Serialize;

use crate::catalog::{CatalogError, DatasetRow, Manifest};
use crate::meter::{Meter, NoMeter};
use crate::node::Node;
use crate::store::StoreError;

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
}

/// A path component made of safe characters only, never empty, `.` or `..`.
pub fn sanitize(component: &str, max: usize) -> String {
    let mut s: String = component
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect();
    s = s.trim_matches('.').to_string();
    if s.is_empty() {
        s.push('_');
    }
    s
}

fn series_folder(row: &DatasetRow) -> String {
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

/// The datasets an export covers (all, or one study's), by study, subject, date, series.
fn selected_rows(node: &Node, filter: &ExportFilter) -> Result<Vec<DatasetRow>, ExportError> {
    if let Some(name) = &filter.study {
        if node.catalog.study_by_name(name)?.is_none() {
            return Err(ExportError::NoSuchStudy(name.clone()));
        }
    }
    let mut rows = node.catalog.dataset_rows()?;
    if let Some(name) = &filter.study {
        rows.retain(|r| &r.study.name == name);
    }
    fn key(r: &DatasetRow) -> (&str, &str, Option<&str>, Option<i64>) {
        (
            &r.study.name,
            &r.subject.pseudonym,
            r.examination.date.as_deref(),
            r.acquisition.series_number,
        )
    }
    rows.sort_by(|a, b| key(a).cmp(&key(b)));
    Ok(rows)
}

/// Write `bytes` as `dir/name` after checking they hash to `id` (temporary name, then rename).
fn write_verified(dir: &Path, name: &str, id: ContentId, bytes: &[u8]) -> Result<(), ExportError> {
    if ContentId::of(bytes) != id {
        return Err(ExportError::Corrupt(id));
    }
    let dest = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, bytes).map_err(|source| ExportError::Io {
        op: "write",
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, &dest).map_err(|source| ExportError::Io {
        op: "rename",
        path: dest,
        source,
    })
}

/// Export the DICOM expression of datasets (all, or one study's) to `out`.
pub fn export_dicom(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
) -> Result<ExportSummary, ExportError> {
    export_dicom_with(node, out, filter, &NoMeter)
}

/// [`export_dicom`], reporting each dataset written to `meter`.
pub fn export_dicom_with(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    let io = |op, path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { op, path, source }
    };
    let rows = selected_rows(node, filter)?;
    meter.total(rows.len() as u64);
    fs::create_dir_all(out).map_err(io("create", out))?;
    let mut summary = ExportSummary::default();
    // Examination folder names, unique per subject folder.
    let mut sessions: HashMap<[u8; 16], PathBuf> = HashMap::new();
    let mut used: HashMap<PathBuf, u32> = HashMap::new();
    for row in &rows {
        let subject_dir = out
            .join(sanitize(&row.study.name, 64))
            .join(format!("sub-{}", sanitize(&row.subject.pseudonym, 64)));
        let exam_dir = sessions
            .entry(row.examination.id.to_bytes())
            .or_insert_with(|| {
                let base = match &row.examination.date {
                    Some(d) => format!("ses-{}", d.replace('-', "")),
                    None => "ses-undated".to_string(),
                };
                let n = used.entry(subject_dir.join(&base)).or_insert(0);
                *n += 1;
                if *n == 1 {
                    subject_dir.join(base)
                } else {
                    subject_dir.join(format!("{base}-{n}"))
                }
            })
            .clone();
        let mut series_dir = exam_dir.join(series_folder(row));
        let n = used.entry(series_dir.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let name = format!("{}-{n}", series_folder(row));
            series_dir = exam_dir.join(name);
        }
        fs::create_dir_all(&series_dir).map_err(io("create", &series_dir))?;
        let mbytes = node.store.read(&row.dataset.dicom.manifest)?;
        let manifest = Manifest::from_bytes(&mbytes).map_err(|detail| ExportError::Manifest {
            dataset: row.dataset.id.to_string(),
            detail,
        })?;
        for (i, e) in manifest.instances.iter().enumerate() {
            let bytes = node.store.read(&e.content)?;
            write_verified(
                &series_dir,
                &format!("IM{:05}.dcm", i + 1),
                e.content,
                &bytes,
            )?;
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
        }
        summary.datasets += 1;
        meter.advance(1);
    }
    sync_tree(out).map_err(io("sync", out))?;
    Ok(summary)
}

/// Export the NIfTI expression (and JSON sidecar) of datasets to `out` (see the module doc).
pub fn export_nifti(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
) -> Result<ExportSummary, ExportError> {
    export_nifti_with(node, out, filter, &NoMeter)
}

/// [`export_nifti`], reporting each dataset to `meter`.
pub fn export_nifti_with(
    node: &Node,
    out: &Path,
    filter: &ExportFilter,
    meter: &dyn Meter,
) -> Result<ExportSummary, ExportError> {
    let io = |op, path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { op, path, source }
    };
    let rows = selected_rows(node, filter)?;
    meter.total(rows.len() as u64);
    // Session numbers: a subject's examinations in date order (rows are sorted by date).
    let mut session: HashMap<[u8; 16], usize> = HashMap::new();
    let mut per_subject: HashMap<[u8; 16], usize> = HashMap::new();
    for r in &rows {
        session
            .entry(r.examination.id.to_bytes())
            .or_insert_with(|| {
                let n = per_subject.entry(r.subject.id.to_bytes()).or_insert(0);
                *n += 1;
                *n
            });
    }
    fs::create_dir_all(out).map_err(io("create", out))?;
    let mut summary = ExportSummary::default();
    let mut used: HashMap<PathBuf, u32> = HashMap::new();
    for row in &rows {
        meter.advance(1);
        let Some(nifti) = &row.dataset.nifti else {
            summary.not_exported.push(NotExported {
                dataset: row.dataset.id.to_string(),
                series: series_folder(row),
                reason: row
                    .dataset
                    .nifti_refusal
                    .clone()
                    .unwrap_or_else(|| "no NIfTI expression".into()),
            });
            continue;
        };
        let ses = session
            .get(&row.examination.id.to_bytes())
            .copied()
            .unwrap_or(1);
        let datatype = row
            .acquisition
            .cards
            .current
            .effective_bids_datatype()
            .map(|d| d.to_string())
            .unwrap_or_else(|| row.acquisition.modality.to_lowercase());
        let dir = out
            .join(sanitize(&row.study.name, 64))
            .join(format!("sub-{}", sanitize(&row.subject.pseudonym, 64)))
            .join(format!("ses-{ses:02}"))
            .join(sanitize(&datatype, 16));
        fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let mut stem = series_folder(row);
        let n = used.entry(dir.join(&stem)).or_insert(0);
        *n += 1;
        if *n > 1 {
            stem = format!("{stem}-{n}");
        }
        let ext = if nifti.gzip { "nii.gz" } else { "nii" };
        for (id, name) in [
            (nifti.nifti, format!("{stem}.{ext}")),
            (nifti.sidecar, format!("{stem}.json")),
        ] {
            let bytes = node.store.read(&id)?;
            write_verified(&dir, &name, id, &bytes)?;
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
        }
        summary.datasets += 1;
    }
    sync_tree(out).map_err(io("sync", out))?;
    Ok(summary)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_names_cannot_escape() {
        assert_eq!(sanitize("../../etc", 64), "_.._etc");
        assert_eq!(sanitize("..", 64), "_");
        assert_eq!(sanitize("", 64), "_");
        assert_eq!(sanitize("t1 mprage/sag", 64), "t1_mprage_sag");
        assert_eq!(sanitize("abcdef", 3), "abc");
    }
}
