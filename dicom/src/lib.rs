//! # neurofed-dicom
//!
//! The pure DICOM layer of a neurofed node: everything that turns the bytes of one DICOM object
//! into what the repository stores, and nothing that stores it. It sits between `protocol` (ids,
//! no I/O) and `node` (store, catalog, index, ingest pipeline), and it never opens a file, a
//! database or a socket: callers hand it bytes or objects and get objects, values and errors back.
//!
//! - [`read()`] one input (Part 10 file, bare data set, gzip, deflate) into a DICOM object after
//!   a length guard ([`check_lengths`]) has checked that no declared length exceeds the bytes that exist; a dictionary pass resolves
//!   UN-encoded elements through the dictionary.
//! - [`Deidentifier`] de-identifies an object in place (PS3.15 Annex E with a study's profile). Nothing
//!   downstream of it ever sees the original values.
//! - [`pixel_risk`] decides, on the original header, whether an instance's pixels may carry
//!   burned-in text (quarantined) or a profile's pixel rule blanks them ([`apply_pixel_rules`]).
//! - [`extract()`] reads the catalog's metadata (series, protocol, geometry keys) out of the
//!   de-identified object.
//! - [`evaluate_study`] evaluates study cards (metadata assignment) and quality cards (grades).
//! - [`convert_series`] converts a series of de-identified objects to NIfTI-1 with a BIDS sidecar.
//!
//! Invariants, whatever the input: no panic (a malformed object is an error value with a one-line
//! reason), no allocation sized by an unchecked declared length, and no PHI in anything derived
//! after de-identification (extracted metadata, card values, NIfTI headers and sidecars).

#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]

mod deid;
mod extract;
mod guard;
mod json;
mod nifti;
mod pixel;
mod read;
mod studycard;
mod un;

// Reading.
pub use guard::{check as check_lengths, Encoding, GuardError, MAX_DEPTH};
pub use json::{to_json as to_dicom_json, INLINE_BINARY_MAX};
pub use read::{read, read_object, ReadError, ReadInstance, MAX_INFLATED};

// De-identification.
pub use deid::{
    DeidError, DeidKeys, DeidOutcome, Deidentifier, Explained, PrivateBlock, Profile, ScopedKeys,
};

// Pixels that may carry burned-in text: quarantine or the profile's pixel rules.
pub use pixel::{
    apply_pixel_rules, blank as blank_pixels, pixel_risk, PixelError, PixelRule, PixelVerdict,
    QuarantineReason,
};

// Metadata of a de-identified object.
pub use extract::{extract, number, numbers, text, ExtractError, InstanceMeta, Protocol};

// Study cards and quality cards.
pub use studycard::{
    diff, evaluate, evaluate_study, examination_conformity, holds, in_scope, parse_card,
    parse_card_at, reapply, reject, to_toml, AcquisitionCards, Assignments, BidsDatatype,
    CardApplication, CardError, CardOutcome, CatalogField, CatalogFields, Condition,
    ConditionError, EquipmentScope, FieldChange, FieldRef, Grade, InvalidCard, ItemSelector,
    Nature, NoCatalogFields, Operator, QualityFinding, QualityRule, Rejection, Rule, StudyCard,
    StudyOutcome, TagPath, TagPathError, TagStep, UnknownName, Value, ValueKind, VersionedCard,
};

// DICOM -> NIfTI.
pub use nifti::{
    convert_series, gzip_nifti, series_geometry, Converted, NiftiOptions, NotConverted,
    SeriesGeometry, SeriesKind,
};

// Reading NIfTI / Analyze back, and slices of it for display.
pub use nifti::{
    display_range, read_nifti, read_nifti_header, read_nifti_pair, render_slice, slice_count,
    AffineSource, GraySlice, NiftiFormat, NiftiHeader, NiftiReadError, NiftiVolume, Plane, Volumes,
    MAX_VOXELS,
};
