//! The one export layout: where each file of a dataset goes, for `neurofed export` (a folder)
//! and the HTTP download (a zip) alike. Pure: rows in, relative paths and blobs out.
//!
//! - DICOM: `<study>/sub-<pseudonym>/ses-<date>/S<nnn>_<series>/IM<nnnnn>.dcm`
//! - NIfTI: `<study>/sub-<pseudonym>/ses-<date>/<datatype>/S<nnn>_<series>.nii.gz` and `.json`
//!
//! `<date>` is the examination's (shifted) date as `YYYYMMDD` (`undated` without one), and
//! `<datatype>` the study card's BIDS datatype (`anat`, `func`, `dwi`...) or, without one, the
//! modality in lower case. Every component is [`sanitize`]d (no separators, no `..`), whatever
//! the descriptions contain; two examinations of a subject on one day, or two series with one
//! name in one session, get `-2`, `-3`... so nothing is overwritten.

use std::collections::HashMap;

use protocol::ContentId;

use super::{ExportError, NotExported};
use crate::catalog::{DatasetRow, Manifest};
use crate::store::BlobStore;

/// What an export writes for each dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The stored (de-identified) DICOM instances.
    Dicom,
    /// The NIfTI expression and its JSON sidecar.
    Nifti,
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEntry {
    /// Where it goes: `/`-separated, relative, every component sanitized.
    pub path: String,
    /// The blob it is.
    pub blob: ContentId,
    /// Its size in bytes (from the catalog; checked when the blob is read).
    pub size: u64,
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

/// `S002_t1_mprage`: the series' number and description (else protocol name, else modality).
pub(super) fn series_name(row: &DatasetRow) -> String {
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

/// The files of `rows` in `format`, in row order, and the datasets left out (NIfTI only: those
/// without a NIfTI expression, with the reason). DICOM manifests are read from `store`.
pub fn layout(
    store: &BlobStore,
    rows: &[DatasetRow],
    format: ExportFormat,
) -> Result<(Vec<ExportEntry>, Vec<NotExported>), ExportError> {
    let mut names = Names::default();
    let mut entries = Vec::new();
    let mut left_out = Vec::new();
    for row in rows {
        match format {
            ExportFormat::Dicom => {
                let dir = names.series_dir(row, None);
                let manifest = read_manifest(store, row)?;
                for (i, e) in manifest.instances.iter().enumerate() {
                    entries.push(ExportEntry {
                        path: format!("{dir}/IM{:05}.dcm", i + 1),
                        blob: e.content,
                        size: e.size,
                    });
                }
            }
            ExportFormat::Nifti => {
                let Some(n) = &row.dataset.nifti else {
                    left_out.push(NotExported {
                        dataset: row.dataset.id.to_string(),
                        series: series_name(row),
                        reason: row
                            .dataset
                            .nifti_refusal
                            .clone()
                            .unwrap_or_else(|| "no NIfTI expression".into()),
                    });
                    continue;
                };
                let datatype = row
                    .acquisition
                    .cards
                    .current
                    .effective_bids_datatype()
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| row.acquisition.modality.to_lowercase());
                let stem = names.series_dir(row, Some(&sanitize(&datatype, 16)));
                let ext = if n.gzip { "nii.gz" } else { "nii" };
                entries.push(ExportEntry {
                    path: format!("{stem}.{ext}"),
                    blob: n.nifti,
                    size: n.bytes,
                });
                entries.push(ExportEntry {
                    path: format!("{stem}.json"),
                    blob: n.sidecar,
                    size: n.sidecar_bytes,
                });
            }
        }
    }
    Ok((entries, left_out))
}

fn read_manifest(store: &BlobStore, row: &DatasetRow) -> Result<Manifest, ExportError> {
    let id = row.dataset.dicom.manifest;
    let bytes = store.read_verified(&id)?;
    Manifest::from_bytes(&bytes).map_err(|detail| ExportError::Manifest {
        dataset: row.dataset.id.to_string(),
        detail,
    })
}

/// Folder names given so far, so that none is given twice.
#[derive(Default)]
struct Names {
    /// Examination -> its session folder.
    sessions: HashMap<[u8; 16], String>,
    /// How many times a base name was asked for.
    used: HashMap<String, u32>,
}

impl Names {
    fn unique(&mut self, base: String) -> String {
        let n = self.used.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base
        } else {
            format!("{base}-{n}")
        }
    }

    /// `<study>/sub-<pseudonym>/ses-<date>[/<datatype>]/<series>`, unique.
    fn series_dir(&mut self, row: &DatasetRow, datatype: Option<&str>) -> String {
        let session = match self.sessions.get(&row.examination.id.to_bytes()) {
            Some(s) => s.clone(),
            None => {
                let subject = format!(
                    "{}/sub-{}",
                    sanitize(&row.study.name, 64),
                    sanitize(&row.subject.pseudonym, 64)
                );
                let date = match &row.examination.date {
                    Some(d) => sanitize(&d.replace('-', ""), 16),
                    None => "undated".into(),
                };
                let s = self.unique(format!("{subject}/ses-{date}"));
                self.sessions
                    .insert(row.examination.id.to_bytes(), s.clone());
                s
            }
        };
        let parent = match datatype {
            Some(t) => format!("{session}/{t}"),
            None => session,
        };
        self.unique(format!("{parent}/{}", series_name(row)))
    }
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
