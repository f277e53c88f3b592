//! # neurofed-sample
//!
//! A self-contained generator of the demo corpus: a few subjects, each with a few MR
//! examinations of three series (a 3-D sagittal T1 MPRAGE, a 2-D axial T2 TSE and a 4-D
//! resting-state BOLD EPI), written as classic MR Image Storage files (one slice per file,
//! Explicit VR Little Endian) with the identifying data a hospital writes into its headers.
//! No external data: the pixels come from a procedural head phantom, so a fresh clone can run
//! `neurofed sample --out DIR` and then `neurofed demo --corpus DIR`. It replaces
//! `make_series.py` (which needed real NIfTI volumes and Python) for the demo, and writes the
//! same `truth.tsv`, so tests and the demo read either corpus.
//!
//! **Layout.** One top-level folder per subject, named by its PatientID (the demo shares
//! subjects between centres by listing top-level folders), one folder per examination, named by
//! its AccessionNumber, one per series, and one file per slice:
//! `OUT/<PatientID>/<AccessionNumber>/S<nn>_<KIND>/IM<nnnn>`, e.g.
//! `OUT/MRN48213/A1957201/S04_BOLD/IM0031`. Every component is a legal PS3.10 file id (at most
//! eight characters among `A-Z 0-9 _`, hence no `.dcm` extension): PatientIDs are `MRN` and five
//! digits, accession numbers `A`, the year and five digits. `OUT/DICOMDIR` (one for the whole
//! corpus, at its root) lists every file in PATIENT > STUDY > SERIES > IMAGE records, so
//! importing `OUT` reads the DICOMDIR and importing a subject's folder walks it: both work.
//! `OUT/truth.tsv` has one row per series ([`TRUTH_COLUMNS`]), and `OUT/.neurofed-sample`
//! ([`MARKER`]) marks the folder as a corpus that a later run may replace.
//!
//! **Determinism.** Everything derives from [`SampleOptions::seed`]: names and dates, UIDs
//! (under [`UID_ROOT`], a hash of the seed and what they name), anatomy, head position, noise.
//! Random streams are keyed by position (subject, examination, series, volume, slice), so each
//! slice is computed alone, and only IEEE-754 basic operations are used (no libm
//! transcendental functions, whose last bits differ between platforms): re-running gives
//! byte-identical files.
//!
//! **Phantom.** A head of nested ellipsoids in the spirit of the 3-D Shepp-Logan phantom, but
//! with tissue classes (scalp, skull and marrow, eyes, CSF, folded grey-matter cortex, white
//! matter, ventricles, deep grey nuclei, cerebellum, brainstem, white-matter lesions) that each
//! contrast maps to its own intensity: white matter bright on T1, CSF bright on T2, a
//! fat-saturated EPI for BOLD with a slow grey-matter fluctuation. A coil bias field and Rician
//! noise make it look acquired. Subjects differ in head size, ventricles (with age), folding
//! and lesions (one more at each follow-up), examinations in head position.
//!
//! **Geometry and headers.** ImageOrientationPatient and ImagePositionPatient are exact for
//! every slice (positions advance by SpacingBetweenSlices along the normal of the orientation;
//! the BOLD is tilted by about 11 degrees), with PixelSpacing, SliceThickness, rescale and
//! window, and a 3 T scanner's acquisition attributes (RepetitionTime, EchoTime, InversionTime,
//! FlipAngle, ScanningSequence, SequenceVariant, MRAcquisitionType, ImageType, ...). The BOLD
//! carries TemporalPositionIdentifier, NumberOfTemporalPositions, AcquisitionNumber per volume,
//! and per-slice AcquisitionTime and TriggerTime for an interleaved acquisition, TR 2 s.
//!
//! **PHI.** It is a PHI corpus on purpose: the point is that import removes it. Each subject
//! has a name (subject 1's has an umlaut; SpecificCharacterSet `ISO_IR 100`), an MRN, birth
//! date, sex, age, address, telephone, other patient ids, weight and height; each examination
//! an institution with its address, station, device serial number, physicians, operator,
//! accession number, study id, dates and times. The patient's name also appears in free text
//! (StudyDescription of follow-ups, the last examination's T2 SeriesDescription, the BOLD's
//! ImageComments, AdditionalPatientHistory) and in a private block, `NEUROFED SAMPLE` at
//! (0029,10xx).
//!
//! **Writing.** [`write_sample`] writes one slice at a time (a temporary name, then a rename),
//! holding only that slice plus the DICOMDIR records and `truth.tsv` rows, and reports progress
//! per file. The DICOMDIR's record offsets are patched into dicom-rs's encoding (see
//! `dicomdir.rs`). At [`SampleSize::Full`] the default corpus (3 subjects x 2 examinations)
//! holds 2,400 files; [`SampleSize::Small`] makes a coarse one for tests.

#![deny(missing_docs, unreachable_pub, rustdoc::broken_intra_doc_links)]
#![forbid(unsafe_code)]

mod corpus;
mod dicomdir;
mod error;
mod folder;
mod instance;
mod options;
mod people;
mod phantom;
mod pixels;
mod protocol;
mod rng;
mod truth;
mod uid;

pub use corpus::write_sample;
pub use error::SampleError;
pub use folder::MARKER;
pub use options::{SampleOptions, SampleSize, Summary, DEFAULT_SEED};
pub use truth::TRUTH_COLUMNS;
pub use uid::UID_ROOT;
