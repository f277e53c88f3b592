//! The catalog's entities (DESIGN.md section 2): one center's studies, subjects, examinations,
//! acquisitions and datasets, with the equipment and centers they refer to.
//!
//! Every value here comes from a de-identified DICOM object or from the user; none holds PHI.
//! Dates are the shifted dates of the de-identified headers. Entities are stored as CBOR; new
//! fields must be `#[serde(default)]` so that older catalogs still decode.

use protocol::id::{
    AcquisitionId, CenterId, DatasetId, EquipmentId, ExaminationId, StudyId, SubjectId,
};
use protocol::ContentId;
use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
pub(crate) use dicom::AcquisitionCards;
pub(crate) use dicom::Protocol;

/// A center: this node's own, or one its data was acquired at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Center {
    /// Stable id.
    pub id: CenterId,
    /// Display name, e.g. "Rennes Neurinfo".
    pub name: String,
}

/// A scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Equipment {
    /// Stable id.
    pub id: EquipmentId,
    /// DICOM Manufacturer.
    pub manufacturer: String,
    /// DICOM ManufacturerModelName.
    pub model: String,
    /// Magnetic field strength in tesla (MR).
    #[serde(default)]
    pub field_strength: Option<f64>,
    /// Keyed hash of the device serial number (the serial itself is never stored).
    #[serde(default)]
    pub serial_hash: Option<String>,
    /// Where it stands.
    pub center: CenterId,
}

/// Life-cycle state of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyStatus {
    /// Collecting data.
    #[default]
    InProgress,
    /// Closed to new data.
    Finished,
}

/// A research study (cohort). Not a DICOM study: that is an [`Examination`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// Stable id.
    pub id: StudyId,
    /// Unique name on this node, e.g. "MS cohort".
    pub name: String,
    /// Life-cycle state.
    #[serde(default)]
    pub status: StudyStatus,
    /// Free description.
    #[serde(default)]
    pub description: String,
    /// Visible to every account of the node.
    #[serde(default)]
    pub public: bool,
    /// Data hidden from others until this date (YYYY-MM-DD).
    #[serde(default)]
    pub embargo_until: Option<String>,
    /// Name of the de-identification profile every import into this study uses.
    pub profile: String,
    /// Creation time, unix seconds.
    pub created_at: UnixTime,
}

/// A person in a study, known only by pseudonym.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Stable id.
    pub id: SubjectId,
    /// The study.
    pub study: StudyId,
    /// Keyed hash of the normalized identity (see `ingest::deid`).
    pub pseudonym: String,
    /// M, F or O, when the profile retains patient characteristics.
    #[serde(default)]
    pub sex: Option<String>,
    /// Year of birth, when retained.
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// e.g. patient, healthy volunteer (set by users, not by import).
    #[serde(default)]
    pub subject_type: Option<String>,
}

/// One imaging visit: one DICOM study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Examination {
    /// Stable id.
    pub id: ExaminationId,
    /// The study.
    pub study: StudyId,
    /// The subject.
    pub subject: SubjectId,
    /// De-identified StudyInstanceUID.
    pub study_uid: String,
    /// Examination date as shifted by de-identification (YYYY-MM-DD).
    #[serde(default)]
    pub date: Option<String>,
    /// Age at examination in years, when retained.
    #[serde(default)]
    pub age_years: Option<f64>,
    /// Where it was acquired.
    pub center: CenterId,
    /// The scanner, when known.
    #[serde(default)]
    pub equipment: Option<EquipmentId>,
    /// Free comment (set by users, not by import).
    #[serde(default)]
    pub comment: Option<String>,
}

/// One DICOM series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acquisition {
    /// Stable id.
    pub id: AcquisitionId,
    /// The study.
    pub study: StudyId,
    /// The subject.
    pub subject: SubjectId,
    /// The examination.
    pub examination: ExaminationId,
    /// De-identified SeriesInstanceUID.
    pub series_uid: String,
    /// DICOM Modality: MR, CT, PT, ...
    pub modality: String,
    /// SOPClassUID of its instances.
    pub sop_class_uid: String,
    /// SeriesNumber.
    #[serde(default)]
    pub series_number: Option<i64>,
    /// SeriesDescription (cleaned by de-identification).
    #[serde(default)]
    pub series_description: Option<String>,
    /// ProtocolName (cleaned by de-identification).
    #[serde(default)]
    pub protocol_name: Option<String>,
    /// Acquisition parameters.
    #[serde(default)]
    pub protocol: Protocol,
    /// Study-card and quality-card state: original, current, history.
    #[serde(default)]
    pub cards: AcquisitionCards,
}

/// The DICOM expression of a dataset: its manifest of instance blobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DicomExpression {
    /// Content id of the [`Manifest`] blob; also the dataset's content id.
    pub manifest: ContentId,
    /// Size of the manifest blob.
    #[serde(default)]
    pub manifest_bytes: u64,
    /// Number of instances.
    pub instances: u32,
    /// Total bytes of the instance blobs.
    pub bytes: u64,
}

/// The NIfTI expression of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NiftiExpression {
    /// The `.nii` or `.nii.gz` blob.
    pub nifti: ContentId,
    /// Whether it is gzip-compressed.
    pub gzip: bool,
    /// The BIDS JSON sidecar blob.
    pub sidecar: ContentId,
    /// Size of the sidecar blob.
    #[serde(default)]
    pub sidecar_bytes: u64,
    /// Size of the NIfTI blob.
    pub bytes: u64,
    /// Volume shape.
    pub shape: Vec<u32>,
}

/// What an acquisition produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Stable id.
    pub id: DatasetId,
    /// The acquisition.
    pub acquisition: AcquisitionId,
    /// The study (denormalized for access checks).
    pub study: StudyId,
    /// The subject (denormalized).
    pub subject: SubjectId,
    /// The examination (denormalized).
    pub examination: ExaminationId,
    /// DICOM expression.
    pub dicom: DicomExpression,
    /// NIfTI expression, when the series converts.
    #[serde(default)]
    pub nifti: Option<NiftiExpression>,
    /// Why there is no NIfTI expression, when conversion was refused.
    #[serde(default)]
    pub nifti_refusal: Option<String>,
    /// Creation time, unix seconds.
    pub created_at: UnixTime,
    /// Last change, unix seconds.
    pub updated_at: UnixTime,
}

impl Dataset {
    /// The dataset's content id: the id of its DICOM manifest.
    pub fn content_id(&self) -> ContentId {
        self.dicom.manifest
    }
}

/// One instance of a dataset's DICOM expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// De-identified SOPInstanceUID.
    pub sop_instance_uid: String,
    /// InstanceNumber, when present.
    pub instance_number: Option<i64>,
    /// The instance blob.
    pub content: ContentId,
    /// Its size in bytes.
    pub size: u64,
}

/// The list of instance blobs that make a dataset's DICOM expression. Stored as a blob; its
/// content id is the dataset's content id, so fetching a dataset by content id from any node
/// starts with this manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// De-identified SeriesInstanceUID.
    pub series_uid: String,
    /// Instances sorted by instance number then SOPInstanceUID.
    pub instances: Vec<ManifestEntry>,
}

impl Manifest {
    /// Current format version.
    pub const VERSION: u32 = 1;

    /// Sort entries canonically, so equal sets of instances give equal bytes.
    pub fn normalize(&mut self) {
        self.instances.sort_by(|a, b| {
            (a.instance_number, &a.sop_instance_uid).cmp(&(b.instance_number, &b.sop_instance_uid))
        });
        self.instances
            .dedup_by(|a, b| a.sop_instance_uid == b.sop_instance_uid);
    }

    /// Canonical bytes (CBOR).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.instances.len() * 120);
        // Writing to a Vec cannot fail and the types serialize infallibly.
        let _ = ciborium::into_writer(self, &mut out);
        out
    }

    /// Decode manifest bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        ciborium::from_reader(bytes).map_err(|e| format!("manifest does not decode: {e}"))
    }

    /// Sum of instance sizes.
    pub fn bytes(&self) -> u64 {
        self.instances.iter().map(|e| e.size).sum()
    }
}
