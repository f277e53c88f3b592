//! # neurofed-dicom
//!
//! The pure DICOM layer of a neurofed node: everything that turns the bytes of one DICOM object
//! into what the repository stores, and nothing that stores it. It sits between `protocol` (ids,
//! no I/O) and `node` (store, catalog, index, ingest pipeline), and it never opens a file, a
//! database or a socket: callers hand it bytes or objects and get objects, values and errors back.
//!
//! - [`read`] one input (Part 10 file, bare data set, gzip, deflate) into a DICOM object after
//!   [`guard`] has checked that no declared length exceeds the bytes that exist; [`un`] resolves
//!   UN-encoded elements through the dictionary.
//! - [`deid`] de-identifies an object in place (PS3.15 Annex E with a study's profile). Nothing
//!   downstream of it ever sees the original values.
//! - [`extract`] reads the catalog's metadata (series, protocol, geometry keys) out of the
//!   de-identified object.
//! - [`studycard`] evaluates study cards (metadata assignment) and quality cards (grades).
//! - [`nifti`] converts a series of de-identified objects to NIfTI-1 with a BIDS sidecar.
//!
//! Invariants, whatever the input: no panic (a malformed object is an error value with a one-line
//! reason), no allocation sized by an unchecked declared length, and no PHI in anything derived
//! after [`deid`] (extracted metadata, card values, NIfTI headers and sidecars).

pub mod deid;
pub mod extract;
pub mod guard;
pub mod nifti;
pub mod read;
pub mod studycard;
pub mod un;

pub use read::{read, read_object, ReadError, ReadInstance};
