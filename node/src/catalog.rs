//! The catalog: the data model of one center in an embedded, transactional key-value store (redb).
//!
//! Entities ([`model`]) are stored as CBOR under their 16-byte ULIDs, with lookup tables from
//! natural keys (study name, pseudonym, de-identified UIDs) to ids, a parent -> children multimap
//! for the study tree, an instance table for de-duplication, and a blob table with reference
//! counts. One imported series is one write transaction ([`Catalog::commit_series`]): a crash
//! leaves either the whole series or none of it.
//!
//! The catalog holds no PHI: everything it stores comes from de-identified headers.

pub mod cards;
pub mod model;

use std::path::Path;

use protocol::id::{
    AcquisitionId, CenterId, DatasetId, EquipmentId, ExaminationId, StudyId, SubjectId,
};
use protocol::ContentId;
use redb::{
    MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, TableDefinition,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use cards::StoredCard;
pub use model::*;

/// Version of the catalog's layout. Bump it, and write the migration, when tables change.
pub const SCHEMA_VERSION: u64 = 2;

type Id = [u8; 16];

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
const CENTERS: TableDefinition<Id, &[u8]> = TableDefinition::new("centers");
const EQUIPMENT: TableDefinition<Id, &[u8]> = TableDefinition::new("equipment");
const STUDIES: TableDefinition<Id, &[u8]> = TableDefinition::new("studies");
const SUBJECTS: TableDefinition<Id, &[u8]> = TableDefinition::new("subjects");
const EXAMS: TableDefinition<Id, &[u8]> = TableDefinition::new("examinations");
const ACQS: TableDefinition<Id, &[u8]> = TableDefinition::new("acquisitions");
const DATASETS: TableDefinition<Id, &[u8]> = TableDefinition::new("datasets");
/// Natural keys -> ids: `study:<name>`, `subject:<study id hex>:<pseudonym>`,
/// `exam:<study id hex>:<study uid>`, `acq:<study id hex>:<series uid>`,
/// `equipment:<center>\0<manufacturer>\0<model>\0<serial hash>`,
/// `content:<manifest content id hex>` -> dataset id (schema 2).
const KEYS: TableDefinition<&str, Id> = TableDefinition::new("keys");
/// De-identified SOPInstanceUID -> dataset id (16 bytes) + instance blob id (32 bytes).
const INSTANCES: TableDefinition<&str, &[u8]> = TableDefinition::new("instances");
/// Blob id -> (size, reference count).
const BLOBS: TableDefinition<[u8; 32], (u64, u64)> = TableDefinition::new("blobs");
/// Parent id -> child ids (study > subjects > examinations > acquisitions > datasets).
const CHILDREN: MultimapTableDefinition<Id, Id> = MultimapTableDefinition::new("children");

/// A catalog error.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Another process holds the catalog.
    #[error("the node's catalog at {0} is in use by another neurofed process (is `neurofed serve` or an import running?)")]
    Locked(String),
    /// The storage engine failed.
    #[error("catalog storage: {0}")]
    Db(#[from] redb::Error),
    /// A stored value does not decode.
    #[error("catalog record {what} does not decode: {detail}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Decoder message.
        detail: String,
    },
    /// The catalog was written by a newer neurofed.
    #[error("catalog schema version {found} is newer than this neurofed understands ({SCHEMA_VERSION}); upgrade neurofed")]
    SchemaTooNew {
        /// Version found on disk.
        found: u64,
    },
    /// The node was never initialized.
    #[error("this node has no center yet: run `neurofed init --center NAME`")]
    NotInitialized,
    /// A referenced entity does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The catalog changed under a writer that read it earlier.
    #[error("concurrent change: {0}")]
    Conflict(String),
    /// A request the catalog refuses.
    #[error("{0}")]
    Invalid(String),
}

crate::from_redb!(CatalogError);

/// Result alias.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Serializing our own model types into a Vec does not fail.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

fn dec<T: DeserializeOwned>(what: &str, id: &[u8], bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| CatalogError::Corrupt {
        what: format!("{what} {}", hex::encode(id)),
        detail: e.to_string(),
    })
}

use crate::unix_now as now;

/// Counts of a repository (`neurofed stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Centers recorded.
    pub centers: u64,
    /// Studies.
    pub studies: u64,
    /// Subjects.
    pub subjects: u64,
    /// Examinations.
    pub examinations: u64,
    /// Acquisitions (series).
    pub acquisitions: u64,
    /// Datasets.
    pub datasets: u64,
    /// DICOM instances.
    pub instances: u64,
    /// Bytes of all referenced blobs.
    pub bytes: u64,
}

/// Equipment as seen in a series' headers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEquipment {
    /// Manufacturer.
    pub manufacturer: String,
    /// Model name.
    pub model: String,
    /// Field strength, tesla.
    pub field_strength: Option<f64>,
    /// Keyed hash of the serial number.
    pub serial_hash: Option<String>,
}

/// Everything one series brings into the catalog. Built by the import pipeline from
/// de-identified headers; the blobs it names must already be durable.
#[derive(Debug, Clone)]
pub struct SeriesCommit {
    /// Target study.
    pub study: StudyId,
    /// Subject pseudonym.
    pub pseudonym: String,
    /// Sex, when retained.
    pub sex: Option<String>,
    /// Birth year, when retained.
    pub birth_year: Option<i32>,
    /// De-identified StudyInstanceUID.
    pub study_uid: String,
    /// Shifted examination date, YYYY-MM-DD.
    pub exam_date: Option<String>,
    /// Age at examination, years.
    pub age_years: Option<f64>,
    /// Scanner.
    pub equipment: Option<NewEquipment>,
    /// The series: its id fields are ignored and assigned by the catalog when new.
    pub series_uid: String,
    /// Modality.
    pub modality: String,
    /// SOP class of the instances.
    pub sop_class_uid: String,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// SeriesDescription.
    pub series_description: Option<String>,
    /// ProtocolName.
    pub protocol_name: Option<String>,
    /// Acquisition parameters.
    pub protocol: Protocol,
    /// New instances (their blobs durable).
    pub instances: Vec<ManifestEntry>,
    /// The merged manifest blob (durable), covering old and new instances.
    pub manifest: ContentId,
    /// Size of the manifest blob.
    pub manifest_size: u64,
    /// The manifest the merge started from (`None` for a new dataset): the commit refuses to
    /// proceed if the dataset changed since.
    pub manifest_base: Option<ContentId>,
    /// Total instances and bytes in the merged manifest.
    pub total_instances: u32,
    /// Total instance bytes in the merged manifest.
    pub total_bytes: u64,
    /// NIfTI expression (blobs durable), if converted.
    pub nifti: Option<NiftiExpression>,
    /// Why conversion was refused, if it was.
    pub nifti_refusal: Option<String>,
    /// Study-card state for the acquisition (replaces the stored one when given).
    pub cards: Option<AcquisitionCards>,
}

/// What [`Catalog::commit_series`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesOutcome {
    /// The dataset created or extended.
    pub dataset: DatasetId,
    /// Its subject.
    pub subject: SubjectId,
    /// Its examination.
    pub examination: ExaminationId,
    /// Instances newly recorded.
    pub new_instances: u32,
    /// Instances that were already there.
    pub duplicates: u32,
    /// Whether the subject, examination, acquisition were created by this commit.
    pub new_subject: bool,
    /// See `new_subject`.
    pub new_examination: bool,
    /// See `new_subject`.
    pub new_acquisition: bool,
}

/// A dataset with its context, for listings (`neurofed ls`).
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRow {
    /// The dataset.
    pub dataset: Dataset,
    /// Its acquisition.
    pub acquisition: Acquisition,
    /// Its examination.
    pub examination: Examination,
    /// Its subject.
    pub subject: Subject,
    /// Its study.
    pub study: Study,
}

/// A reference from the catalog to a blob, for `fsck`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// The blob.
    pub id: ContentId,
    /// Size the catalog recorded.
    pub size: u64,
    /// Who refers to it, for messages.
    pub from: String,
}

/// The catalog database.
#[derive(Debug)]
pub struct Catalog {
    db: redb::Database,
}

impl Catalog {
    /// Open the catalog file at `path`, creating it (with the current schema) if missing.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CatalogError::Db(e.into()))?;
        }
        // Several processes may open one node: `neurofed stats` or `ls` while `serve` runs or an
        // import goes on. Writes still serialize (one write transaction at a time across them);
        // imports additionally take the home's import lock (see `ingest::pipeline`).
        let db = match redb::Builder::new()
            .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
            .create(path)
        {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(CatalogError::Locked(path.display().to_string()))
            }
            Err(e) => return Err(CatalogError::Db(e.into())),
        };
        let cat = Catalog { db };
        cat.migrate()?;
        Ok(cat)
    }

    fn migrate(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta
                .get("schema_version")?
                .map(|v| {
                    let b = v.value();
                    let mut a = [0u8; 8];
                    if b.len() == 8 {
                        a.copy_from_slice(b);
                    }
                    u64::from_be_bytes(a)
                })
                .unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(CatalogError::SchemaTooNew { found });
            }
            if found < SCHEMA_VERSION {
                // Version 0 is an empty catalog: create every table.
                meta.insert("schema_version", SCHEMA_VERSION.to_be_bytes().as_slice())?;
            }
            if found == 1 {
                // Version 2 added `content:` keys (dataset by content id, for serving
                // transfers): fill them from the datasets, in this same transaction.
                let datasets = txn.open_table(DATASETS)?;
                let mut keys = txn.open_table(KEYS)?;
                for row in datasets.iter()? {
                    let (k, v) = row?;
                    let d: Dataset = dec("dataset", &k.value(), v.value())?;
                    keys.insert(content_key(&d.dicom.manifest).as_str(), k.value())?;
                }
            }
            txn.open_table(COUNTERS)?;
            txn.open_table(CENTERS)?;
            txn.open_table(EQUIPMENT)?;
            txn.open_table(STUDIES)?;
            txn.open_table(SUBJECTS)?;
            txn.open_table(EXAMS)?;
            txn.open_table(ACQS)?;
            txn.open_table(DATASETS)?;
            txn.open_table(KEYS)?;
            txn.open_table(INSTANCES)?;
            txn.open_table(BLOBS)?;
            txn.open_multimap_table(CHILDREN)?;
            txn.open_table(cards::CARDS)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The underlying database, for the modules that keep their own tables in the catalog file
    /// (access rights, audit log, study cards) so that they share its transactions and lock.
    pub fn db(&self) -> &redb::Database {
        &self.db
    }

    /// The schema version on disk.
    pub fn schema_version(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get("schema_version")?.map(|v| {
            let mut a = [0u8; 8];
            if v.value().len() == 8 {
                a.copy_from_slice(v.value());
            }
            u64::from_be_bytes(a)
        });
        Ok(v.unwrap_or(0))
    }

    /// Record this node's own center (once, at `neurofed init`). Returns the existing center
    /// when one was recorded already with the same name.
    pub fn init_center(&self, name: &str) -> Result<Center> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CatalogError::Invalid("the center name is empty".into()));
        }
        if let Ok(c) = self.node_center() {
            if c.name == name {
                return Ok(c);
            }
            return Err(CatalogError::Invalid(format!(
                "this node is already initialized for center {:?}",
                c.name
            )));
        }
        let center = Center {
            id: CenterId::new(),
            name: name.to_string(),
        };
        let txn = self.db.begin_write()?;
        {
            txn.open_table(CENTERS)?
                .insert(center.id.to_bytes(), enc(&center).as_slice())?;
            txn.open_table(META)?
                .insert("node_center", center.id.to_bytes().as_slice())?;
        }
        txn.commit()?;
        Ok(center)
    }

    /// This node's own center.
    pub fn node_center(&self) -> Result<Center> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let id = meta
            .get("node_center")?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .ok_or(CatalogError::NotInitialized)?;
        let centers = txn.open_table(CENTERS)?;
        get(&centers, "center", id)?.ok_or(CatalogError::NotInitialized)
    }

    /// A center by id.
    pub fn center(&self, id: CenterId) -> Result<Option<Center>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(CENTERS)?, "center", id.to_bytes())
    }

    /// Every center recorded.
    pub fn centers(&self) -> Result<Vec<Center>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(CENTERS)?, "center")
    }

    /// Equipment by id.
    pub fn equipment(&self, id: EquipmentId) -> Result<Option<Equipment>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(EQUIPMENT)?, "equipment", id.to_bytes())
    }

    /// All equipment.
    pub fn all_equipment(&self) -> Result<Vec<Equipment>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(EQUIPMENT)?, "equipment")
    }

    /// A study by name.
    pub fn study_by_name(&self, name: &str) -> Result<Option<Study>> {
        let txn = self.db.begin_read()?;
        let keys = txn.open_table(KEYS)?;
        let Some(id) = keys
            .get(format!("study:{name}").as_str())?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        get(&txn.open_table(STUDIES)?, "study", id)
    }

    /// A study by id.
    pub fn study(&self, id: StudyId) -> Result<Option<Study>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(STUDIES)?, "study", id.to_bytes())
    }

    /// Every study, oldest first.
    pub fn studies(&self) -> Result<Vec<Study>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(STUDIES)?, "study")
    }

    /// The study named `name`, created with `profile` if it does not exist. Returns the study and
    /// whether it was created. An existing study keeps its own profile; asking for another one is
    /// an error, because mixing profiles in one study would mix pseudonymization schemes.
    pub fn ensure_study(&self, name: &str, profile: Option<&str>) -> Result<(Study, bool)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CatalogError::Invalid("the study name is empty".into()));
        }
        if let Some(s) = self.study_by_name(name)? {
            if let Some(p) = profile {
                if p != s.profile {
                    return Err(CatalogError::Invalid(format!(
                        "study {name:?} uses de-identification profile {:?}, not {p:?}",
                        s.profile
                    )));
                }
            }
            return Ok((s, false));
        }
        let study = Study {
            id: StudyId::new(),
            name: name.to_string(),
            status: StudyStatus::InProgress,
            description: String::new(),
            public: false,
            embargo_until: None,
            profile: profile.unwrap_or("default").to_string(),
            created_at: now(),
        };
        let txn = self.db.begin_write()?;
        {
            let mut keys = txn.open_table(KEYS)?;
            let k = format!("study:{name}");
            if keys.get(k.as_str())?.is_some() {
                return Err(CatalogError::Conflict(format!(
                    "study {name:?} created concurrently"
                )));
            }
            keys.insert(k.as_str(), study.id.to_bytes())?;
            txn.open_table(STUDIES)?
                .insert(study.id.to_bytes(), enc(&study).as_slice())?;
        }
        txn.commit()?;
        Ok((study, true))
    }

    /// Replace a study record (description, status, public flag...). The name is its key and
    /// cannot change here.
    pub fn update_study(&self, study: &Study) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(STUDIES)?;
            let old: Study = get(&t, "study", study.id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(study.id.to_string()))?;
            if old.name != study.name {
                return Err(CatalogError::Invalid(
                    "a study's name cannot be changed".into(),
                ));
            }
            t.insert(study.id.to_bytes(), enc(study).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Whether an instance with this de-identified SOPInstanceUID is recorded.
    pub fn instance_exists(&self, sop_uid: &str) -> Result<bool> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(INSTANCES)?.get(sop_uid)?.is_some())
    }

    /// The dataset recorded for a series of a study, if any.
    pub fn dataset_for_series(&self, study: StudyId, series_uid: &str) -> Result<Option<Dataset>> {
        let txn = self.db.begin_read()?;
        let keys = txn.open_table(KEYS)?;
        let k = format!("acq:{}:{series_uid}", hex::encode(study.to_bytes()));
        let Some(acq) = keys.get(k.as_str())?.map(|v| v.value()) else {
            return Ok(None);
        };
        let children = txn.open_multimap_table(CHILDREN)?;
        let datasets = txn.open_table(DATASETS)?;
        let first = children.get(acq)?.next().transpose()?.map(|v| v.value());
        match first {
            Some(id) => get(&datasets, "dataset", id),
            None => Ok(None),
        }
    }

    /// Record one series in one durable transaction (see [`SeriesCommit`]). The catalog is
    /// shared across processes (`ConcurrencyMode::MultiWriter`), where redb makes every commit
    /// durable: one fsync per series, small next to the series' own blobs.
    pub fn commit_series(&self, c: &SeriesCommit) -> Result<SeriesOutcome> {
        let txn = self.db.begin_write()?;
        let outcome = Self::apply_series(&txn, c)?;
        txn.commit()?;
        Ok(outcome)
    }

    /// Record many series in ONE transaction: for bulk loads (synthetic catalogs of benchmarks
    /// and tests) where one fsync per series would dominate. Imports use [`Self::commit_series`].
    pub fn commit_series_many(&self, commits: &[SeriesCommit]) -> Result<Vec<SeriesOutcome>> {
        let txn = self.db.begin_write()?;
        let mut out = Vec::with_capacity(commits.len());
        for c in commits {
            out.push(Self::apply_series(&txn, c)?);
        }
        txn.commit()?;
        Ok(out)
    }

    fn apply_series(txn: &redb::WriteTransaction, c: &SeriesCommit) -> Result<SeriesOutcome> {
        let mut keys = txn.open_table(KEYS)?;
        let meta = txn.open_table(META)?;
        let mut counters = txn.open_table(COUNTERS)?;
        let mut equipment = txn.open_table(EQUIPMENT)?;
        let studies = txn.open_table(STUDIES)?;
        let mut subjects = txn.open_table(SUBJECTS)?;
        let mut exams = txn.open_table(EXAMS)?;
        let mut acqs = txn.open_table(ACQS)?;
        let mut datasets = txn.open_table(DATASETS)?;
        let mut instances = txn.open_table(INSTANCES)?;
        let mut blobs = txn.open_table(BLOBS)?;
        let mut children = txn.open_multimap_table(CHILDREN)?;

        if get::<Study>(&studies, "study", c.study.to_bytes())?.is_none() {
            return Err(CatalogError::NotFound(c.study.to_string()));
        }
        let center_id = meta
            .get("node_center")?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .ok_or(CatalogError::NotInitialized)?;
        let sh = hex::encode(c.study.to_bytes());
        let now = now();

        // Subject.
        let sk = format!("subject:{sh}:{}", c.pseudonym);
        let (subject_id, new_subject) = match key_get(&keys, &sk)? {
            Some(id) => {
                // Fill characteristics a first series lacked.
                let mut s: Subject = get(&subjects, "subject", id)?
                    .ok_or_else(|| CatalogError::NotFound(format!("subject of {sk}")))?;
                let mut changed = false;
                if s.sex.is_none() && c.sex.is_some() {
                    s.sex.clone_from(&c.sex);
                    changed = true;
                }
                if s.birth_year.is_none() && c.birth_year.is_some() {
                    s.birth_year = c.birth_year;
                    changed = true;
                }
                if changed {
                    subjects.insert(id, enc(&s).as_slice())?;
                }
                (id, false)
            }
            None => {
                let s = Subject {
                    id: SubjectId::new(),
                    study: c.study,
                    pseudonym: c.pseudonym.clone(),
                    sex: c.sex.clone(),
                    birth_year: c.birth_year,
                    subject_type: None,
                };
                let id = s.id.to_bytes();
                subjects.insert(id, enc(&s).as_slice())?;
                keys.insert(sk.as_str(), id)?;
                children.insert(c.study.to_bytes(), id)?;
                (id, true)
            }
        };

        // Equipment.
        let equipment_id = match &c.equipment {
            None => None,
            Some(e) => {
                let ek = format!(
                    "equipment:{}\0{}\0{}\0{}",
                    hex::encode(center_id),
                    e.manufacturer,
                    e.model,
                    e.serial_hash.as_deref().unwrap_or("")
                );
                match key_get(&keys, &ek)? {
                    Some(id) => Some(id),
                    None => {
                        let eq = Equipment {
                            id: EquipmentId::new(),
                            manufacturer: e.manufacturer.clone(),
                            model: e.model.clone(),
                            field_strength: e.field_strength,
                            serial_hash: e.serial_hash.clone(),
                            center: CenterId::from_bytes(center_id),
                        };
                        let id = eq.id.to_bytes();
                        equipment.insert(id, enc(&eq).as_slice())?;
                        keys.insert(ek.as_str(), id)?;
                        Some(id)
                    }
                }
            }
        };

        // Examination.
        let xk = format!("exam:{sh}:{}", c.study_uid);
        let (exam_id, new_examination) = match key_get(&keys, &xk)? {
            Some(id) => (id, false),
            None => {
                let x = Examination {
                    id: ExaminationId::new(),
                    study: c.study,
                    subject: SubjectId::from_bytes(subject_id),
                    study_uid: c.study_uid.clone(),
                    date: c.exam_date.clone(),
                    age_years: c.age_years,
                    center: CenterId::from_bytes(center_id),
                    equipment: equipment_id.map(EquipmentId::from_bytes),
                    comment: None,
                };
                let id = x.id.to_bytes();
                exams.insert(id, enc(&x).as_slice())?;
                keys.insert(xk.as_str(), id)?;
                children.insert(subject_id, id)?;
                (id, true)
            }
        };

        // Acquisition.
        let ak = format!("acq:{sh}:{}", c.series_uid);
        let (acq_id, new_acquisition) = match key_get(&keys, &ak)? {
            Some(id) => (id, false),
            None => {
                let a = Acquisition {
                    id: AcquisitionId::new(),
                    study: c.study,
                    subject: SubjectId::from_bytes(subject_id),
                    examination: ExaminationId::from_bytes(exam_id),
                    series_uid: c.series_uid.clone(),
                    modality: c.modality.clone(),
                    sop_class_uid: c.sop_class_uid.clone(),
                    series_number: c.series_number,
                    series_description: c.series_description.clone(),
                    protocol_name: c.protocol_name.clone(),
                    protocol: c.protocol.clone(),
                    cards: c.cards.clone().unwrap_or_default(),
                };
                let id = a.id.to_bytes();
                acqs.insert(id, enc(&a).as_slice())?;
                keys.insert(ak.as_str(), id)?;
                children.insert(exam_id, id)?;
                (id, true)
            }
        };
        if !new_acquisition {
            // The series grew: its protocol summary (frames, dims) follows.
            let mut a: Acquisition = get(&acqs, "acquisition", acq_id)?
                .ok_or_else(|| CatalogError::NotFound(format!("acquisition of {ak}")))?;
            a.protocol = c.protocol.clone();
            if let Some(cards) = &c.cards {
                a.cards = cards.clone();
            }
            acqs.insert(acq_id, enc(&a).as_slice())?;
        }

        // Dataset.
        let existing = children.get(acq_id)?.next().transpose()?.map(|v| v.value());
        let (dataset, old_blobs) = match existing {
            Some(id) => {
                let mut d: Dataset = get(&datasets, "dataset", id)?
                    .ok_or_else(|| CatalogError::NotFound(format!("dataset of {ak}")))?;
                if c.manifest_base != Some(d.dicom.manifest) {
                    return Err(CatalogError::Conflict(format!(
                        "dataset {} changed during import",
                        d.id
                    )));
                }
                let old = dataset_blobs(&d);
                d.dicom = DicomExpression {
                    manifest: c.manifest,
                    manifest_bytes: c.manifest_size,
                    instances: c.total_instances,
                    bytes: c.total_bytes,
                };
                d.nifti.clone_from(&c.nifti);
                d.nifti_refusal.clone_from(&c.nifti_refusal);
                d.updated_at = now;
                (d, old)
            }
            None => {
                if c.manifest_base.is_some() {
                    return Err(CatalogError::Conflict(format!(
                        "dataset of series {} vanished during import",
                        c.series_uid
                    )));
                }
                let d = Dataset {
                    id: DatasetId::new(),
                    acquisition: AcquisitionId::from_bytes(acq_id),
                    study: c.study,
                    subject: SubjectId::from_bytes(subject_id),
                    examination: ExaminationId::from_bytes(exam_id),
                    dicom: DicomExpression {
                        manifest: c.manifest,
                        manifest_bytes: c.manifest_size,
                        instances: c.total_instances,
                        bytes: c.total_bytes,
                    },
                    nifti: c.nifti.clone(),
                    nifti_refusal: c.nifti_refusal.clone(),
                    created_at: now,
                    updated_at: now,
                };
                children.insert(acq_id, d.id.to_bytes())?;
                (d, Vec::new())
            }
        };
        datasets.insert(dataset.id.to_bytes(), enc(&dataset).as_slice())?;
        if c.manifest_base != Some(c.manifest) {
            if let Some(old) = &c.manifest_base {
                keys.remove(content_key(old).as_str())?;
            }
            keys.insert(content_key(&c.manifest).as_str(), dataset.id.to_bytes())?;
        }

        // Instances and blob references.
        let mut new_instances = 0u32;
        let mut duplicates = 0u32;
        let mut bytes_delta: i128 = 0;
        for e in &c.instances {
            if instances.get(e.sop_instance_uid.as_str())?.is_some() {
                duplicates += 1;
                continue;
            }
            let mut v = Vec::with_capacity(48);
            v.extend_from_slice(&dataset.id.to_bytes());
            v.extend_from_slice(e.content.as_bytes());
            instances.insert(e.sop_instance_uid.as_str(), v.as_slice())?;
            bytes_delta += add_ref(&mut blobs, e.content, e.size)?;
            new_instances += 1;
        }
        let new_blobs = dataset_blobs(&dataset);
        for (id, size) in &new_blobs {
            if !old_blobs.iter().any(|(o, _)| o == id) {
                bytes_delta += add_ref(&mut blobs, *id, *size)?;
            }
        }
        for (id, _) in &old_blobs {
            if !new_blobs.iter().any(|(n, _)| n == id) {
                bytes_delta -= drop_ref(&mut blobs, *id)?;
            }
        }
        bump(&mut counters, "instances", i128::from(new_instances))?;
        bump(&mut counters, "bytes", bytes_delta)?;

        Ok(SeriesOutcome {
            dataset: dataset.id,
            subject: SubjectId::from_bytes(subject_id),
            examination: ExaminationId::from_bytes(exam_id),
            new_instances,
            duplicates,
            new_subject,
            new_examination,
            new_acquisition,
        })
    }

    /// Record a dataset's NIfTI expression (or why it has none), replacing an earlier one; the
    /// acquisition's volume shape follows. The new blobs must be durable already.
    pub fn set_nifti(
        &self,
        id: DatasetId,
        expression: Option<NiftiExpression>,
        refusal: Option<String>,
    ) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut datasets = txn.open_table(DATASETS)?;
            let mut acqs = txn.open_table(ACQS)?;
            let mut blobs = txn.open_table(BLOBS)?;
            let mut counters = txn.open_table(COUNTERS)?;
            let mut d: Dataset = get(&datasets, "dataset", id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
            let old = dataset_blobs(&d);
            d.nifti = expression;
            d.nifti_refusal = refusal;
            d.updated_at = now();
            let new = dataset_blobs(&d);
            let mut delta: i128 = 0;
            for (b, size) in &new {
                if !old.iter().any(|(o, _)| o == b) {
                    delta += add_ref(&mut blobs, *b, *size)?;
                }
            }
            for (b, _) in &old {
                if !new.iter().any(|(n, _)| n == b) {
                    delta -= drop_ref(&mut blobs, *b)?;
                }
            }
            bump(&mut counters, "bytes", delta)?;
            let mut a: Acquisition = get(&acqs, "acquisition", d.acquisition.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(d.acquisition.to_string()))?;
            a.protocol.dims = d.nifti.as_ref().map(|n| n.shape.clone());
            acqs.insert(a.id.to_bytes(), enc(&a).as_slice())?;
            datasets.insert(id.to_bytes(), enc(&d).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Repository counts.
    pub fn stats(&self) -> Result<Stats> {
        let txn = self.db.begin_read()?;
        let counters = txn.open_table(COUNTERS)?;
        let counter =
            |k: &str| -> Result<u64> { Ok(counters.get(k)?.map(|v| v.value()).unwrap_or(0)) };
        Ok(Stats {
            centers: txn.open_table(CENTERS)?.len()?,
            studies: txn.open_table(STUDIES)?.len()?,
            subjects: txn.open_table(SUBJECTS)?.len()?,
            examinations: txn.open_table(EXAMS)?.len()?,
            acquisitions: txn.open_table(ACQS)?.len()?,
            datasets: txn.open_table(DATASETS)?.len()?,
            instances: counter("instances")?,
            bytes: counter("bytes")?,
        })
    }

    /// A dataset by id.
    pub fn dataset(&self, id: DatasetId) -> Result<Option<Dataset>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(DATASETS)?, "dataset", id.to_bytes())
    }

    /// The local dataset whose content id (DICOM manifest) is `content`, if any.
    pub fn dataset_by_content(&self, content: &ContentId) -> Result<Option<Dataset>> {
        let txn = self.db.begin_read()?;
        match key_get(&txn.open_table(KEYS)?, &content_key(content))? {
            Some(id) => get(&txn.open_table(DATASETS)?, "dataset", id),
            None => Ok(None),
        }
    }

    /// An acquisition by id.
    pub fn acquisition(&self, id: AcquisitionId) -> Result<Option<Acquisition>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(ACQS)?, "acquisition", id.to_bytes())
    }

    /// An examination by id.
    pub fn examination(&self, id: ExaminationId) -> Result<Option<Examination>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(EXAMS)?, "examination", id.to_bytes())
    }

    /// A subject by id.
    pub fn subject(&self, id: SubjectId) -> Result<Option<Subject>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(SUBJECTS)?, "subject", id.to_bytes())
    }

    /// Every dataset with its acquisition, examination, subject and study, in creation order.
    pub fn dataset_rows(&self) -> Result<Vec<DatasetRow>> {
        let txn = self.db.begin_read()?;
        let datasets = txn.open_table(DATASETS)?;
        let mut out = Vec::new();
        let ctx = RowContext::open(&txn)?;
        for item in datasets.iter()? {
            let (k, v) = item?;
            let d: Dataset = dec("dataset", &k.value(), v.value())?;
            out.push(ctx.row(d)?);
        }
        Ok(out)
    }

    /// The rows of these datasets (unknown ids are skipped).
    pub fn dataset_rows_for(&self, ids: &[DatasetId]) -> Result<Vec<DatasetRow>> {
        let txn = self.db.begin_read()?;
        let datasets = txn.open_table(DATASETS)?;
        let ctx = RowContext::open(&txn)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = get::<Dataset>(&datasets, "dataset", id.to_bytes())? {
                out.push(ctx.row(d)?);
            }
        }
        Ok(out)
    }

    /// Child ids of an entity in the study tree, oldest first, from `offset`, at most `limit`.
    pub fn children(&self, parent: [u8; 16], offset: usize, limit: usize) -> Result<Vec<[u8; 16]>> {
        let txn = self.db.begin_read()?;
        let children = txn.open_multimap_table(CHILDREN)?;
        let mut out = Vec::new();
        for v in children.get(parent)?.skip(offset).take(limit) {
            out.push(v?.value());
        }
        Ok(out)
    }

    /// Every blob the catalog references, with who references it (for `fsck`). Also checks
    /// that the reference counts agree with the references found; disagreements are returned
    /// as the second element.
    pub fn blob_references(&self) -> Result<(Vec<BlobRef>, Vec<String>)> {
        let txn = self.db.begin_read()?;
        let blobs = txn.open_table(BLOBS)?;
        let mut refs = Vec::new();
        let mut problems = Vec::new();
        let mut counted: std::collections::HashMap<ContentId, u64> = Default::default();
        let instances = txn.open_table(INSTANCES)?;
        for item in instances.iter()? {
            let (k, v) = item?;
            let v = v.value();
            if v.len() != 48 {
                problems.push(format!("instance {} has a malformed record", k.value()));
                continue;
            }
            let mut h = [0u8; 32];
            h.copy_from_slice(&v[16..48]);
            let id = ContentId::from_bytes(h);
            *counted.entry(id).or_default() += 1;
            refs.push(BlobRef {
                id,
                size: blobs.get(h)?.map(|s| s.value().0).unwrap_or(u64::MAX),
                from: format!("instance {}", k.value()),
            });
        }
        let datasets = txn.open_table(DATASETS)?;
        for item in datasets.iter()? {
            let (k, v) = item?;
            let d: Dataset = dec("dataset", &k.value(), v.value())?;
            let mut push = |id: ContentId, what: &str| {
                *counted.entry(id).or_default() += 1;
                let size = blobs
                    .get(id.as_bytes())
                    .ok()
                    .flatten()
                    .map(|s| s.value().0)
                    .unwrap_or(u64::MAX);
                refs.push(BlobRef {
                    id,
                    size,
                    from: format!("{what} of dataset {}", d.id),
                });
            };
            push(d.dicom.manifest, "manifest");
            if let Some(n) = &d.nifti {
                push(n.nifti, "NIfTI");
                push(n.sidecar, "NIfTI sidecar");
            }
        }
        for item in blobs.iter()? {
            let (k, v) = item?;
            let id = ContentId::from_bytes(k.value());
            let (_, n) = v.value();
            let found = counted.remove(&id).unwrap_or(0);
            if found != n {
                problems.push(format!(
                    "blob {id} has reference count {n} but {found} references"
                ));
            }
        }
        for (id, n) in counted {
            problems.push(format!(
                "blob {id} is referenced {n} times but not recorded"
            ));
        }
        for r in &refs {
            if r.size == u64::MAX {
                problems.push(format!("{} refers to unrecorded blob {}", r.from, r.id));
            }
        }
        Ok((refs, problems))
    }

    /// Every blob id recorded in the blob table.
    pub fn recorded_blobs(&self) -> Result<std::collections::HashSet<ContentId>> {
        let txn = self.db.begin_read()?;
        let blobs = txn.open_table(BLOBS)?;
        let mut out = std::collections::HashSet::new();
        for item in blobs.iter()? {
            out.insert(ContentId::from_bytes(item?.0.value()));
        }
        Ok(out)
    }

    /// Check every parent/child link and natural key for consistency (for `fsck`).
    pub fn check_links(&self) -> Result<Vec<String>> {
        let txn = self.db.begin_read()?;
        let studies = txn.open_table(STUDIES)?;
        let subjects = txn.open_table(SUBJECTS)?;
        let exams = txn.open_table(EXAMS)?;
        let acqs = txn.open_table(ACQS)?;
        let datasets = txn.open_table(DATASETS)?;
        let mut problems = Vec::new();
        for item in subjects.iter()? {
            let (k, v) = item?;
            let s: Subject = dec("subject", &k.value(), v.value())?;
            if studies.get(s.study.to_bytes())?.is_none() {
                problems.push(format!(
                    "subject {} points at missing study {}",
                    s.id, s.study
                ));
            }
        }
        for item in exams.iter()? {
            let (k, v) = item?;
            let x: Examination = dec("examination", &k.value(), v.value())?;
            if subjects.get(x.subject.to_bytes())?.is_none() {
                problems.push(format!(
                    "examination {} points at missing subject {}",
                    x.id, x.subject
                ));
            }
        }
        for item in acqs.iter()? {
            let (k, v) = item?;
            let a: Acquisition = dec("acquisition", &k.value(), v.value())?;
            if exams.get(a.examination.to_bytes())?.is_none() {
                problems.push(format!(
                    "acquisition {} points at missing examination {}",
                    a.id, a.examination
                ));
            }
        }
        for item in datasets.iter()? {
            let (k, v) = item?;
            let d: Dataset = dec("dataset", &k.value(), v.value())?;
            if acqs.get(d.acquisition.to_bytes())?.is_none() {
                problems.push(format!(
                    "dataset {} points at missing acquisition {}",
                    d.id, d.acquisition
                ));
            }
        }
        Ok(problems)
    }
}

/// The tables a [`DatasetRow`] is assembled from, opened once per read transaction.
struct RowContext {
    acqs: redb::ReadOnlyTable<Id, &'static [u8]>,
    exams: redb::ReadOnlyTable<Id, &'static [u8]>,
    subjects: redb::ReadOnlyTable<Id, &'static [u8]>,
    studies: redb::ReadOnlyTable<Id, &'static [u8]>,
}

impl RowContext {
    fn open(txn: &redb::ReadTransaction) -> Result<Self> {
        Ok(RowContext {
            acqs: txn.open_table(ACQS)?,
            exams: txn.open_table(EXAMS)?,
            subjects: txn.open_table(SUBJECTS)?,
            studies: txn.open_table(STUDIES)?,
        })
    }

    fn row(&self, d: Dataset) -> Result<DatasetRow> {
        let missing = |what: &str| CatalogError::NotFound(format!("{what} of dataset {}", d.id));
        let acquisition = get(&self.acqs, "acquisition", d.acquisition.to_bytes())?
            .ok_or_else(|| missing("acquisition"))?;
        let examination = get(&self.exams, "examination", d.examination.to_bytes())?
            .ok_or_else(|| missing("examination"))?;
        let subject = get(&self.subjects, "subject", d.subject.to_bytes())?
            .ok_or_else(|| missing("subject"))?;
        let study =
            get(&self.studies, "study", d.study.to_bytes())?.ok_or_else(|| missing("study"))?;
        Ok(DatasetRow {
            dataset: d,
            acquisition,
            examination,
            subject,
            study,
        })
    }
}

/// The dataset-level blobs (manifest, NIfTI, sidecar) a dataset references, with their sizes.
fn dataset_blobs(d: &Dataset) -> Vec<(ContentId, u64)> {
    let mut v = vec![(d.dicom.manifest, d.dicom.manifest_bytes)];
    if let Some(n) = &d.nifti {
        v.push((n.nifti, n.bytes));
        v.push((n.sidecar, n.sidecar_bytes));
    }
    v
}

fn content_key(content: &ContentId) -> String {
    format!("content:{}", content.to_hex())
}

fn key_get(keys: &impl ReadableTable<&'static str, Id>, k: &str) -> Result<Option<Id>> {
    Ok(keys.get(k)?.map(|v| v.value()))
}

fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<Id, &'static [u8]>,
    what: &str,
    id: Id,
) -> Result<Option<T>> {
    match table.get(id)? {
        Some(v) => Ok(Some(dec(what, &id, v.value())?)),
        None => Ok(None),
    }
}

fn all<T: DeserializeOwned>(
    table: &impl ReadableTable<Id, &'static [u8]>,
    what: &str,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for item in table.iter()? {
        let (k, v) = item?;
        out.push(dec(what, &k.value(), v.value())?);
    }
    Ok(out)
}

/// Add one reference to a blob; returns the bytes newly accounted (size when it was unreferenced).
fn add_ref(
    blobs: &mut redb::Table<[u8; 32], (u64, u64)>,
    id: ContentId,
    size: u64,
) -> Result<i128> {
    let cur = blobs.get(id.as_bytes())?.map(|v| v.value());
    match cur {
        Some((s, n)) => {
            blobs.insert(id.as_bytes(), (s, n + 1))?;
            Ok(0)
        }
        None => {
            blobs.insert(id.as_bytes(), (size, 1))?;
            Ok(i128::from(size))
        }
    }
}

/// Drop one reference; returns the bytes no longer accounted. An unreferenced blob leaves the
/// table and becomes garbage for `fsck --gc`.
fn drop_ref(blobs: &mut redb::Table<[u8; 32], (u64, u64)>, id: ContentId) -> Result<i128> {
    let cur = blobs.get(id.as_bytes())?.map(|v| v.value());
    match cur {
        Some((s, n)) if n > 1 => {
            blobs.insert(id.as_bytes(), (s, n - 1))?;
            Ok(0)
        }
        Some((s, _)) => {
            blobs.remove(id.as_bytes())?;
            Ok(i128::from(s))
        }
        None => Ok(0),
    }
}

fn bump(counters: &mut redb::Table<&str, u64>, key: &str, delta: i128) -> Result<()> {
    let cur = counters.get(key)?.map(|v| v.value()).unwrap_or(0);
    let next = (i128::from(cur) + delta).clamp(0, i128::from(u64::MAX)) as u64;
    counters.insert(key, next)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(study: StudyId, uids: &[&str], base: Option<ContentId>) -> SeriesCommit {
        let instances: Vec<ManifestEntry> = uids
            .iter()
            .map(|u| ManifestEntry {
                sop_instance_uid: (*u).into(),
                instance_number: None,
                content: ContentId::of(u.as_bytes()),
                size: u.len() as u64,
            })
            .collect();
        SeriesCommit {
            study,
            pseudonym: "sub-0001".into(),
            sex: None,
            birth_year: None,
            study_uid: "2.25.1".into(),
            exam_date: None,
            age_years: None,
            equipment: None,
            series_uid: "2.25.2".into(),
            modality: "MR".into(),
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
            series_number: None,
            series_description: None,
            protocol_name: None,
            protocol: Protocol::default(),
            manifest: ContentId::of(uids.concat().as_bytes()),
            manifest_size: 10,
            manifest_base: base,
            total_instances: uids.len() as u32,
            total_bytes: 10,
            instances,
            nifti: None,
            nifti_refusal: None,
            cards: None,
        }
    }

    #[test]
    fn datasets_are_found_by_content_id_as_their_manifest_changes_and_after_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.redb");
        let cat = Catalog::open(&path).unwrap();
        cat.init_center("Rennes").unwrap();
        let (study, _) = cat.ensure_study("MS cohort", None).unwrap();
        let first = commit(study.id, &["1.1"], None);
        let d = cat.commit_series(&first).unwrap().dataset;
        assert_eq!(
            cat.dataset_by_content(&first.manifest).unwrap().unwrap().id,
            d
        );

        // The series grows: the new manifest names the dataset, the old one nothing.
        let grown = commit(study.id, &["1.1", "1.2"], Some(first.manifest));
        assert_eq!(cat.commit_series(&grown).unwrap().dataset, d);
        assert_eq!(
            cat.dataset_by_content(&grown.manifest).unwrap().unwrap().id,
            d
        );
        assert!(cat.dataset_by_content(&first.manifest).unwrap().is_none());
        assert!(cat
            .dataset_by_content(&ContentId::of(b"nothing"))
            .unwrap()
            .is_none());

        // A schema-1 catalog (no content keys) gets them when opened.
        {
            let txn = cat.db.begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                meta.insert("schema_version", 1u64.to_be_bytes().as_slice())
                    .unwrap();
                let mut keys = txn.open_table(KEYS).unwrap();
                keys.remove(content_key(&grown.manifest).as_str()).unwrap();
            }
            txn.commit().unwrap();
        }
        assert!(cat.dataset_by_content(&grown.manifest).unwrap().is_none());
        drop(cat);
        let cat = Catalog::open(&path).unwrap();
        assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(
            cat.dataset_by_content(&grown.manifest).unwrap().unwrap().id,
            d
        );
    }
}
