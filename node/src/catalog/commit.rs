//! One series into the catalog in one transaction ([`SeriesCommit`] -> [`SeriesOutcome`]),
//! written by entity level: subject, equipment, examination, acquisition, dataset, then the
//! instances and the blob references; and a dataset's NIfTI expression.

use protocol::id::{
    AcquisitionId, CenterId, DatasetId, EquipmentId, ExaminationId, StudyId, SubjectId,
};
use protocol::ContentId;
use redb::{ReadableMultimapTable, ReadableTable};

use super::tables::*;
use super::{
    Acquisition, AcquisitionCards, Catalog, CatalogError, Dataset, DicomExpression, Equipment,
    Examination, ManifestEntry, NiftiExpression, Protocol, Result, Study, Subject,
};
use crate::clock::now;

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

impl Catalog {
    /// Record one series in one durable transaction (see [`SeriesCommit`]). The catalog is
    /// shared across processes (`ConcurrencyMode::MultiWriter`), where redb makes every commit
    /// durable: one fsync per series, small next to the series' own blobs.
    pub fn commit_series(&self, c: &SeriesCommit) -> Result<SeriesOutcome> {
        let txn = self.db.begin_write()?;
        let outcome = SeriesWriter::open(&txn)?.apply(c)?;
        txn.commit()?;
        Ok(outcome)
    }

    /// Record many series in ONE transaction: for bulk loads (synthetic catalogs of benchmarks
    /// and tests) where one fsync per series would dominate. Imports use [`Self::commit_series`].
    pub fn commit_series_many(&self, commits: &[SeriesCommit]) -> Result<Vec<SeriesOutcome>> {
        let txn = self.db.begin_write()?;
        let mut out = Vec::with_capacity(commits.len());
        {
            let mut w = SeriesWriter::open(&txn)?;
            for c in commits {
                out.push(w.apply(c)?);
            }
        }
        txn.commit()?;
        Ok(out)
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
            let delta = swap_refs(&mut blobs, &old, &dataset_blobs(&d))?;
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
}

/// The tables one series commit writes, opened once per transaction, and the steps of the
/// commit by entity level: subject, equipment, examination, acquisition, dataset, instances.
struct SeriesWriter<'t> {
    keys: redb::Table<'t, &'static str, Id>,
    meta: redb::Table<'t, &'static str, &'static [u8]>,
    counters: redb::Table<'t, &'static str, u64>,
    equipment: redb::Table<'t, Id, &'static [u8]>,
    studies: redb::Table<'t, Id, &'static [u8]>,
    subjects: redb::Table<'t, Id, &'static [u8]>,
    exams: redb::Table<'t, Id, &'static [u8]>,
    acqs: redb::Table<'t, Id, &'static [u8]>,
    datasets: redb::Table<'t, Id, &'static [u8]>,
    instances: redb::Table<'t, &'static str, &'static [u8]>,
    blobs: redb::Table<'t, [u8; 32], (u64, u64)>,
    children: redb::MultimapTable<'t, Id, Id>,
}

/// Where a series lands, as far as the steps have gone.
struct Place {
    study: StudyId,
    /// Hex of the study id, the prefix of the study's natural keys.
    study_hex: String,
    center: Id,
    subject: Id,
    examination: Id,
    acquisition: Id,
}

impl<'t> SeriesWriter<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
        Ok(SeriesWriter {
            keys: txn.open_table(KEYS)?,
            meta: txn.open_table(META)?,
            counters: txn.open_table(COUNTERS)?,
            equipment: txn.open_table(EQUIPMENT)?,
            studies: txn.open_table(STUDIES)?,
            subjects: txn.open_table(SUBJECTS)?,
            exams: txn.open_table(EXAMS)?,
            acqs: txn.open_table(ACQS)?,
            datasets: txn.open_table(DATASETS)?,
            instances: txn.open_table(INSTANCES)?,
            blobs: txn.open_table(BLOBS)?,
            children: txn.open_multimap_table(CHILDREN)?,
        })
    }

    fn apply(&mut self, c: &SeriesCommit) -> Result<SeriesOutcome> {
        if get::<Study>(&self.studies, "study", c.study.to_bytes())?.is_none() {
            return Err(CatalogError::NotFound(c.study.to_string()));
        }
        let center = self
            .meta
            .get("node_center")?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .ok_or(CatalogError::NotInitialized)?;
        let mut at = Place {
            study: c.study,
            study_hex: hex::encode(c.study.to_bytes()),
            center,
            subject: [0; 16],
            examination: [0; 16],
            acquisition: [0; 16],
        };
        let (subject, new_subject) = self.subject(&at, c)?;
        at.subject = subject;
        let equipment = self.equipment(&at, c)?;
        let (examination, new_examination) = self.examination(&at, c, equipment)?;
        at.examination = examination;
        let (acquisition, new_acquisition) = self.acquisition(&at, c)?;
        at.acquisition = acquisition;
        let (dataset, old_blobs) = self.dataset(&at, c)?;
        let (new_instances, duplicates, instance_bytes) = self.instances(&dataset, c)?;
        let swapped = swap_refs(&mut self.blobs, &old_blobs, &dataset_blobs(&dataset))?;
        bump(&mut self.counters, "instances", i128::from(new_instances))?;
        bump(&mut self.counters, "bytes", instance_bytes + swapped)?;
        Ok(SeriesOutcome {
            dataset: dataset.id,
            subject: SubjectId::from_bytes(subject),
            examination: ExaminationId::from_bytes(examination),
            new_instances,
            duplicates,
            new_subject,
            new_examination,
            new_acquisition,
        })
    }

    /// The subject of the pseudonym, created or completed (characteristics a first series
    /// lacked).
    fn subject(&mut self, at: &Place, c: &SeriesCommit) -> Result<(Id, bool)> {
        let sk = format!("subject:{}:{}", at.study_hex, c.pseudonym);
        if let Some(id) = key_get(&self.keys, &sk)? {
            let mut s: Subject = get(&self.subjects, "subject", id)?
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
                self.subjects.insert(id, enc(&s).as_slice())?;
            }
            return Ok((id, false));
        }
        let s = Subject {
            id: SubjectId::new(),
            study: at.study,
            pseudonym: c.pseudonym.clone(),
            sex: c.sex.clone(),
            birth_year: c.birth_year,
            subject_type: None,
        };
        let id = s.id.to_bytes();
        self.subjects.insert(id, enc(&s).as_slice())?;
        self.keys.insert(sk.as_str(), id)?;
        self.children.insert(at.study.to_bytes(), id)?;
        Ok((id, true))
    }

    /// The scanner, recorded once per center, manufacturer, model and serial hash.
    fn equipment(&mut self, at: &Place, c: &SeriesCommit) -> Result<Option<Id>> {
        let Some(e) = &c.equipment else {
            return Ok(None);
        };
        let ek = format!(
            "equipment:{}\0{}\0{}\0{}",
            hex::encode(at.center),
            e.manufacturer,
            e.model,
            e.serial_hash.as_deref().unwrap_or("")
        );
        if let Some(id) = key_get(&self.keys, &ek)? {
            return Ok(Some(id));
        }
        let eq = Equipment {
            id: EquipmentId::new(),
            manufacturer: e.manufacturer.clone(),
            model: e.model.clone(),
            field_strength: e.field_strength,
            serial_hash: e.serial_hash.clone(),
            center: CenterId::from_bytes(at.center),
        };
        let id = eq.id.to_bytes();
        self.equipment.insert(id, enc(&eq).as_slice())?;
        self.keys.insert(ek.as_str(), id)?;
        Ok(Some(id))
    }

    /// The examination of the (de-identified) StudyInstanceUID.
    fn examination(
        &mut self,
        at: &Place,
        c: &SeriesCommit,
        equipment: Option<Id>,
    ) -> Result<(Id, bool)> {
        let xk = format!("exam:{}:{}", at.study_hex, c.study_uid);
        if let Some(id) = key_get(&self.keys, &xk)? {
            return Ok((id, false));
        }
        let x = Examination {
            id: ExaminationId::new(),
            study: at.study,
            subject: SubjectId::from_bytes(at.subject),
            study_uid: c.study_uid.clone(),
            date: c.exam_date.clone(),
            age_years: c.age_years,
            center: CenterId::from_bytes(at.center),
            equipment: equipment.map(EquipmentId::from_bytes),
            comment: None,
        };
        let id = x.id.to_bytes();
        self.exams.insert(id, enc(&x).as_slice())?;
        self.keys.insert(xk.as_str(), id)?;
        self.children.insert(at.subject, id)?;
        Ok((id, true))
    }

    /// The acquisition of the SeriesInstanceUID; an existing one takes the grown series'
    /// protocol summary (frames, dims) and card state.
    fn acquisition(&mut self, at: &Place, c: &SeriesCommit) -> Result<(Id, bool)> {
        let ak = format!("acq:{}:{}", at.study_hex, c.series_uid);
        if let Some(id) = key_get(&self.keys, &ak)? {
            let mut a: Acquisition = get(&self.acqs, "acquisition", id)?
                .ok_or_else(|| CatalogError::NotFound(format!("acquisition of {ak}")))?;
            a.protocol = c.protocol.clone();
            if let Some(cards) = &c.cards {
                a.cards = cards.clone();
            }
            self.acqs.insert(id, enc(&a).as_slice())?;
            return Ok((id, false));
        }
        let a = Acquisition {
            id: AcquisitionId::new(),
            study: at.study,
            subject: SubjectId::from_bytes(at.subject),
            examination: ExaminationId::from_bytes(at.examination),
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
        self.acqs.insert(id, enc(&a).as_slice())?;
        self.keys.insert(ak.as_str(), id)?;
        self.children.insert(at.examination, id)?;
        Ok((id, true))
    }

    /// The acquisition's dataset with the merged manifest, and the dataset-level blobs it
    /// referenced before. Refused when the dataset changed since the import read it.
    fn dataset(
        &mut self,
        at: &Place,
        c: &SeriesCommit,
    ) -> Result<(Dataset, Vec<(ContentId, u64)>)> {
        let now = now();
        let dicom = DicomExpression {
            manifest: c.manifest,
            manifest_bytes: c.manifest_size,
            instances: c.total_instances,
            bytes: c.total_bytes,
        };
        let existing = self
            .children
            .get(at.acquisition)?
            .next()
            .transpose()?
            .map(|v| v.value());
        let (dataset, old) = match existing {
            Some(id) => {
                let mut d: Dataset = get(&self.datasets, "dataset", id)?.ok_or_else(|| {
                    CatalogError::NotFound(format!("dataset of series {}", c.series_uid))
                })?;
                if c.manifest_base != Some(d.dicom.manifest) {
                    return Err(CatalogError::Conflict(format!(
                        "dataset {} changed during import",
                        d.id
                    )));
                }
                let old = dataset_blobs(&d);
                d.dicom = dicom;
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
                    acquisition: AcquisitionId::from_bytes(at.acquisition),
                    study: at.study,
                    subject: SubjectId::from_bytes(at.subject),
                    examination: ExaminationId::from_bytes(at.examination),
                    dicom,
                    nifti: c.nifti.clone(),
                    nifti_refusal: c.nifti_refusal.clone(),
                    created_at: now,
                    updated_at: now,
                };
                self.children.insert(at.acquisition, d.id.to_bytes())?;
                (d, Vec::new())
            }
        };
        self.datasets
            .insert(dataset.id.to_bytes(), enc(&dataset).as_slice())?;
        if c.manifest_base != Some(c.manifest) {
            if let Some(old) = &c.manifest_base {
                self.keys.remove(content_key(old).as_str())?;
            }
            self.keys
                .insert(content_key(&c.manifest).as_str(), dataset.id.to_bytes())?;
        }
        Ok((dataset, old))
    }

    /// The series' new instances, each with a reference to its blob: (new, duplicates, bytes
    /// newly accounted).
    fn instances(&mut self, dataset: &Dataset, c: &SeriesCommit) -> Result<(u32, u32, i128)> {
        let (mut new, mut duplicates, mut bytes) = (0u32, 0u32, 0i128);
        for e in &c.instances {
            if self.instances.get(e.sop_instance_uid.as_str())?.is_some() {
                duplicates += 1;
                continue;
            }
            let mut v = Vec::with_capacity(48);
            v.extend_from_slice(&dataset.id.to_bytes());
            v.extend_from_slice(e.content.as_bytes());
            self.instances
                .insert(e.sop_instance_uid.as_str(), v.as_slice())?;
            bytes += add_ref(&mut self.blobs, e.content, e.size)?;
            new += 1;
        }
        Ok((new, duplicates, bytes))
    }
}

/// Move references from the blobs in `old` to those in `new` (a blob in both keeps its
/// reference); returns the bytes newly accounted minus those no longer accounted.
fn swap_refs(
    blobs: &mut redb::Table<[u8; 32], (u64, u64)>,
    old: &[(ContentId, u64)],
    new: &[(ContentId, u64)],
) -> Result<i128> {
    let mut delta = 0i128;
    for (id, size) in new {
        if !old.iter().any(|(o, _)| o == id) {
            delta += add_ref(blobs, *id, *size)?;
        }
    }
    for (id, _) in old {
        if !new.iter().any(|(n, _)| n == id) {
            delta -= drop_ref(blobs, *id)?;
        }
    }
    Ok(delta)
}
