//! The import pipeline: from files, folders, DICOMDIR trees and zip archives to de-identified,
//! content-addressed datasets in the catalog.
//!
//! - [`source`] expands the user's paths into readable inputs (streaming, nothing buffered whole).
//! - `dicom::read` reads one input into a DICOM object (after its length guard);
//!   `dicom::deid` de-identifies it in place (PS3.15 Annex E with the study's profile), so that
//!   nothing downstream ever sees the original values; `dicom::extract` reads the catalog's
//!   metadata out of the de-identified object (all in the `neurofed-dicom` crate).
//! - [`quarantine`] releases or deletes the instances the pipeline held back for their pixels.
//! - [`pipeline`] runs all of it in parallel, groups instances into series, makes each batch of
//!   blobs durable, then commits one catalog transaction per series.

mod convert;
mod error;
mod pipeline;
mod quarantine;
mod reapply;
mod source;

pub use error::ImportError;
pub use pipeline::{ImportOptions, ImportSummary, Importer, NoProgress, Progress, SkippedFile};
pub use quarantine::{delete_quarantined, release_quarantined, QuarantineError};
pub use reapply::{apply_cards, AcquisitionReport, ApplyError, ApplyReport};

use std::path::PathBuf;

/// What `neurofed import` reads from `paths` (files, folders, DICOMDIR trees, zip archives), as
/// each input's label (a path, or `archive!entry`) and bytes, lazily, one at a time; an input that
/// cannot be listed or read is a [`SkippedFile`] and the expansion goes on (how `neurofed upload`
/// reads a CD the way the node's own import would).
pub fn read_sources(
    paths: &[PathBuf],
) -> impl Iterator<Item = Result<(String, Vec<u8>), SkippedFile>> + Send {
    source::expand(paths).map(|item| match item {
        Ok(source::Input::File(p)) => match std::fs::read(&p) {
            Ok(b) => Ok((p.display().to_string(), b)),
            Err(e) => Err(SkippedFile {
                path: p.display().to_string(),
                reason: format!("cannot read: {e}"),
            }),
        },
        Ok(source::Input::Entry { label, bytes }) => Ok((label, bytes)),
        Err(u) => Err(SkippedFile {
            path: u.label,
            reason: u.reason,
        }),
    })
}
