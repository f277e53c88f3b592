//! The import pipeline: from files, folders, DICOMDIR trees and zip archives to de-identified,
//! content-addressed datasets in the catalog.
//!
//! - [`source`] expands the user's paths into readable inputs (streaming, nothing buffered whole).
//! - [`dicom`] reads one input into a DICOM object, after [`guard`] has checked that no declared
//!   length exceeds the bytes that exist.
//! - [`deid`] de-identifies the object in place (PS3.15 Annex E with the study's profile). Nothing
//!   downstream of it ever sees the original values.
//! - [`extract`] reads the catalog's metadata out of the de-identified object.
//! - [`pipeline`] runs all of it in parallel, groups instances into series, makes each batch of
//!   blobs durable, then commits one catalog transaction per series.

pub mod convert;
pub mod pipeline;
pub mod reapply;
pub mod source;

pub use pipeline::{ImportOptions, ImportSummary, Importer, Progress, SkippedFile};
