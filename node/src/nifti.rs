//! DICOM series -> NIfTI-1 conversion (native Rust, no dcm2niix at run time), with a BIDS-style
//! JSON sidecar.
//!
//! STUB: not built yet (study cards and NIfTI issue).
