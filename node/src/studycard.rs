//! Study cards (rules on DICOM attributes that assign metadata) and quality cards (rules that
//! grade acquisitions).
//!
//! STUB: not built yet (study cards and NIfTI issue).
