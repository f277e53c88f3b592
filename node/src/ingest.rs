//! The import pipeline: from files, folders, DICOMDIR trees and zip archives to de-identified,
//! content-addressed datasets in the catalog.
//!
//! - [`source`] expands the user's paths into readable inputs (streaming, nothing buffered whole).
//! - `dicom::read` reads one input into a DICOM object (after its length guard);
//!   `dicom::deid` de-identifies it in place (PS3.15 Annex E with the study's profile), so that
//!   nothing downstream ever sees the original values; `dicom::extract` reads the catalog's
//!   metadata out of the de-identified object (all in the `neurofed-dicom` crate).
//! - [`pipeline`] runs all of it in parallel, groups instances into series, makes each batch of
//!   blobs durable, then commits one catalog transaction per series.

mod convert;
mod error;
mod pipeline;
mod reapply;
mod source;

pub use error::ImportError;
pub use pipeline::{ImportOptions, ImportSummary, Importer, NoProgress, Progress, SkippedFile};
pub use reapply::{apply_cards, AcquisitionReport, ApplyError, ApplyReport};
