//! Reading datasets back with their context, the study tree, and the repository's counts.

use protocol::id::{AcquisitionId, DatasetId, ExaminationId, StudyId, SubjectId};
use protocol::ContentId;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::Serialize;

use super::tables::*;
use super::{
    Acquisition, Catalog, CatalogError, Dataset, Examination, Result, Stats, Study, Subject,
};

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

impl Catalog {
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

    /// Every dataset of `study`, found by walking its tree (subjects > examinations >
    /// acquisitions > datasets) in one read: the study's own records only, not the catalog's.
    pub fn datasets_of_study(&self, study: StudyId) -> Result<Vec<Dataset>> {
        let txn = self.db.begin_read()?;
        let children = txn.open_multimap_table(CHILDREN)?;
        let datasets = txn.open_table(DATASETS)?;
        let mut level = vec![study.to_bytes()];
        // Subjects, examinations, acquisitions, then the datasets' ids.
        for _ in 0..4 {
            let mut next = Vec::new();
            for parent in &level {
                for v in children.get(*parent)? {
                    next.push(v?.value());
                }
            }
            level = next;
        }
        let mut out = Vec::with_capacity(level.len());
        for id in level {
            if let Some(d) = get(&datasets, "dataset", id)? {
                out.push(d);
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
