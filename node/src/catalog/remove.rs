//! A study renamed, or removed with everything below it (subjects, examinations, acquisitions,
//! datasets, instances, study cards), each in one transaction with its audit record.
//!
//! Removal drops the blob references the study held: a blob no other dataset references leaves
//! the blob table and becomes garbage that `fsck --gc` collects (the store itself is not touched
//! here, so a crash never leaves the catalog referring to a deleted blob). The search index is
//! the caller's to update with [`RemovedStudy::datasets`].

use protocol::id::{DatasetId, StudyId};
use redb::{ReadableMultimapTable, ReadableTable};
use serde::Serialize;

use super::cards::CARDS;
use super::tables::*;
use super::{Catalog, CatalogError, Dataset, Result, Study};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

/// What [`Catalog::remove_study`] removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RemovedStudy {
    /// The study as it was.
    pub study: Option<Study>,
    /// Subjects removed.
    pub subjects: u64,
    /// Examinations removed.
    pub examinations: u64,
    /// Acquisitions removed.
    pub acquisitions: u64,
    /// Datasets removed (drop them from the search index).
    pub datasets: Vec<DatasetId>,
    /// Instances removed.
    pub instances: u64,
    /// Bytes of blobs no longer referenced by anything (garbage for `fsck --gc`).
    pub bytes_released: u64,
    /// Card versions removed.
    pub cards: u64,
    /// Ids of the study's quarantined instances whose entries were removed (their bytes are
    /// removed by `Node::remove_study`).
    pub quarantined: Vec<String>,
}

/// The ids below `parent` in the study tree.
fn children_of(children: &redb::MultimapTable<'_, Id, Id>, parent: Id) -> Result<Vec<Id>> {
    let mut out = Vec::new();
    for v in children.get(parent)? {
        out.push(v?.value());
    }
    Ok(out)
}

impl Catalog {
    /// The study named `name` (trimmed), or [`CatalogError::NoSuchStudy`] naming the studies
    /// that exist: for commands that must not create a study from a mistyped name.
    pub fn require_study(&self, name: &str) -> Result<Study> {
        let name = name.trim();
        if let Some(s) = self.study_by_name(name)? {
            return Ok(s);
        }
        Err(CatalogError::NoSuchStudy {
            name: name.to_string(),
            existing: self.studies()?.into_iter().map(|s| s.name).collect(),
        })
    }

    /// Rename a study: its record and its `study:<name>` key change in one transaction, with
    /// the audit record (`who`, at `now`). Refused when another study has the new name.
    pub fn rename_study(
        &self,
        id: StudyId,
        new_name: &str,
        who: &str,
        now: UnixTime,
    ) -> Result<Study> {
        let new_name = new_name.trim();
        if new_name.is_empty() {
            return Err(CatalogError::Invalid("the study name is empty".into()));
        }
        let txn = self.db.begin_write()?;
        let study = {
            let mut studies = txn.open_table(STUDIES)?;
            let mut keys = txn.open_table(KEYS)?;
            let mut study: Study = get(&studies, "study", id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
            if study.name == new_name {
                return Ok(study);
            }
            let new_key = format!("study:{new_name}");
            if keys.get(new_key.as_str())?.is_some() {
                return Err(CatalogError::StudyExists(new_name.to_string()));
            }
            keys.remove(format!("study:{}", study.name).as_str())?;
            keys.insert(new_key.as_str(), id.to_bytes())?;
            let old = std::mem::replace(&mut study.name, new_name.to_string());
            studies.insert(id.to_bytes(), enc(&study).as_slice())?;
            Audit::append_in(
                &txn,
                NewEvent::new(who, AuditAction::StudyRename, now)
                    .study(id)
                    .detail(format!("from={old:?} to={new_name:?}")),
            )?;
            study
        };
        txn.commit()?;
        Ok(study)
    }

    /// Remove a study with everything below it and its study cards, in one transaction with
    /// the audit record. A study that holds subjects is only removed with `force`
    /// ([`CatalogError::StudyNotEmpty`] otherwise). Rights and agreements on the study are the
    /// access module's (they no longer match any data).
    pub fn remove_study(
        &self,
        id: StudyId,
        force: bool,
        who: &str,
        now: UnixTime,
    ) -> Result<RemovedStudy> {
        let txn = self.db.begin_write()?;
        let removed = {
            let mut studies = txn.open_table(STUDIES)?;
            let mut keys = txn.open_table(KEYS)?;
            let mut subjects = txn.open_table(SUBJECTS)?;
            let mut exams = txn.open_table(EXAMS)?;
            let mut acqs = txn.open_table(ACQS)?;
            let mut datasets = txn.open_table(DATASETS)?;
            let mut instances = txn.open_table(INSTANCES)?;
            let mut blobs = txn.open_table(BLOBS)?;
            let mut counters = txn.open_table(COUNTERS)?;
            let mut children = txn.open_multimap_table(CHILDREN)?;
            let study: Study = get(&studies, "study", id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
            let sid = id.to_bytes();
            let subject_ids = children_of(&children, sid)?;
            let mut r = RemovedStudy::default();
            let mut dataset_ids: Vec<Id> = Vec::new();
            let mut tree: Vec<(Id, Id)> = Vec::new();
            for &sub in &subject_ids {
                tree.push((sid, sub));
                for x in children_of(&children, sub)? {
                    tree.push((sub, x));
                    r.examinations += 1;
                    for a in children_of(&children, x)? {
                        tree.push((x, a));
                        r.acquisitions += 1;
                        for d in children_of(&children, a)? {
                            tree.push((a, d));
                            dataset_ids.push(d);
                        }
                        acqs.remove(a)?;
                    }
                    exams.remove(x)?;
                }
                subjects.remove(sub)?;
            }
            r.subjects = subject_ids.len() as u64;
            if !force && (r.subjects > 0 || !dataset_ids.is_empty()) {
                return Err(CatalogError::StudyNotEmpty {
                    name: study.name,
                    subjects: r.subjects,
                    datasets: dataset_ids.len() as u64,
                });
            }
            let mut released = 0i128;
            for d in &dataset_ids {
                if let Some(ds) = get::<Dataset>(&datasets, "dataset", *d)? {
                    for (blob, _) in dataset_blobs(&ds) {
                        released += drop_ref(&mut blobs, blob)?;
                    }
                    keys.remove(content_key(&ds.dicom.manifest).as_str())?;
                }
                datasets.remove(*d)?;
                r.datasets.push(DatasetId::from_bytes(*d));
            }
            // Instances are keyed by SOP UID; their record starts with the dataset id.
            let mut dead = Vec::new();
            for item in instances.iter()? {
                let (k, v) = item?;
                let v = v.value();
                if v.len() == 48 && dataset_ids.iter().any(|d| v[..16] == d[..]) {
                    let mut h = [0u8; 32];
                    h.copy_from_slice(&v[16..48]);
                    dead.push((k.value().to_string(), h));
                }
            }
            for (uid, blob) in &dead {
                instances.remove(uid.as_str())?;
                released += drop_ref(&mut blobs, protocol::ContentId::from_bytes(*blob))?;
            }
            r.instances = dead.len() as u64;
            for (parent, child) in &tree {
                children.remove(*parent, *child)?;
            }
            // The study's natural keys: `subject:`, `exam:`, `acq:` prefixed by its id in hex.
            let hex_id = hex::encode(sid);
            let mut natural = Vec::new();
            for item in keys.iter()? {
                let (k, _) = item?;
                let k = k.value();
                let rest = k.split_once(':').map(|(_, r)| r).unwrap_or("");
                if rest.starts_with(&hex_id) && !k.starts_with("content:") {
                    natural.push(k.to_string());
                }
            }
            for k in &natural {
                keys.remove(k.as_str())?;
            }
            keys.remove(format!("study:{}", study.name).as_str())?;
            studies.remove(sid)?;
            let mut cards = txn.open_table(CARDS)?;
            let prefix = format!("{hex_id}\0");
            let mut dead_cards = Vec::new();
            for item in cards.range(prefix.as_str()..)? {
                let (k, _) = item?;
                if !k.value().starts_with(&prefix) {
                    break;
                }
                dead_cards.push(k.value().to_string());
            }
            for k in &dead_cards {
                cards.remove(k.as_str())?;
            }
            r.cards = dead_cards.len() as u64;
            let mut quarantine = txn.open_table(super::quarantine::QUARANTINE)?;
            for item in quarantine.iter()? {
                let (k, v) = item?;
                let e: super::QuarantineEntry =
                    dec("quarantine entry", k.value().as_bytes(), v.value())?;
                if e.study == id {
                    r.quarantined.push(e.id);
                }
            }
            for q in &r.quarantined {
                quarantine.remove(q.as_str())?;
            }
            bump(&mut counters, "instances", -i128::from(r.instances))?;
            bump(&mut counters, "bytes", -released)?;
            r.bytes_released = u64::try_from(released).unwrap_or(0);
            Audit::append_in(
                &txn,
                NewEvent::new(who, AuditAction::StudyRemove, now)
                    .study(id)
                    .detail(format!(
                        "name={:?} subjects={} datasets={} instances={} quarantined={}",
                        study.name,
                        r.subjects,
                        r.datasets.len(),
                        r.instances,
                        r.quarantined.len()
                    )),
            )?;
            r.study = Some(study);
            r
        };
        txn.commit()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ManifestEntry, SeriesCommit};
    use protocol::ContentId;

    fn catalog() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        c.init_center("Rennes").unwrap();
        (dir, c)
    }

    /// One series of `subject`; instances named `shared-*` hold the blob `shared`.
    fn commit(study: StudyId, subject: &str, uids: &[&str], shared: ContentId) -> SeriesCommit {
        let instances: Vec<ManifestEntry> = uids
            .iter()
            .map(|u| ManifestEntry {
                sop_instance_uid: (*u).to_string(),
                content: if u.starts_with("shared") {
                    shared
                } else {
                    ContentId::of(u.as_bytes())
                },
                size: 100,
                instance_number: None,
            })
            .collect();
        SeriesCommit {
            study,
            pseudonym: subject.into(),
            sex: None,
            birth_year: None,
            study_uid: format!("1.2.{subject}"),
            exam_date: None,
            age_years: None,
            equipment: None,
            series_uid: format!("1.3.{subject}"),
            modality: "MR".into(),
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.4".into(),
            series_number: None,
            series_description: None,
            protocol_name: None,
            protocol: Default::default(),
            manifest: ContentId::of(uids.concat().as_bytes()),
            manifest_size: 10,
            manifest_base: None,
            total_instances: instances.len() as u32,
            total_bytes: 100 * instances.len() as u64,
            instances,
            nifti: None,
            nifti_refusal: None,
            cards: None,
        }
    }

    #[test]
    fn a_study_is_renamed_under_its_new_key_only() {
        let (_d, c) = catalog();
        let (a, _) = c.ensure_study("MS cohort", None).unwrap();
        c.ensure_study("Stroke", None).unwrap();
        let r = c.rename_study(a.id, " MS cohort 2 ", "cli", 10).unwrap();
        assert_eq!(r.name, "MS cohort 2");
        assert!(c.study_by_name("MS cohort").unwrap().is_none());
        assert_eq!(c.study_by_name("MS cohort 2").unwrap().unwrap().id, a.id);
        assert!(matches!(
            c.rename_study(a.id, "Stroke", "cli", 11),
            Err(CatalogError::StudyExists(_))
        ));
        // The old name is free again.
        let (again, created) = c.ensure_study("MS cohort", None).unwrap();
        assert!(created && again.id != a.id);
        let log = c.audit().list(&Default::default()).unwrap();
        assert_eq!(log[0].action, AuditAction::StudyRename);
        assert!(log[0].detail.contains("MS cohort 2"), "{}", log[0].detail);
    }

    #[test]
    fn a_mistyped_study_is_refused_naming_those_that_exist() {
        let (_d, c) = catalog();
        let e = c.require_study("MS").unwrap_err().to_string();
        assert!(e.contains("no study yet"), "{e}");
        c.ensure_study("MS cohort", None).unwrap();
        let e = c.require_study("MS cohrot").unwrap_err().to_string();
        assert!(e.contains("\"MS cohort\""), "{e}");
        assert!(c.require_study(" MS cohort").is_ok());
    }

    #[test]
    fn removing_a_study_drops_its_tree_and_only_its_blob_references() {
        let (_d, c) = catalog();
        let (a, _) = c.ensure_study("A", None).unwrap();
        let (b, _) = c.ensure_study("B", None).unwrap();
        let shared = ContentId::of(b"same bytes in both studies");
        c.commit_series(&commit(a.id, "s1", &["a1", "a2", "shared-a"], shared))
            .unwrap();
        c.commit_series(&commit(a.id, "s2", &["a3"], shared))
            .unwrap();
        c.commit_series(&commit(b.id, "t1", &["b1", "shared-b"], shared))
            .unwrap();
        let before = c.stats().unwrap();
        // Not without force.
        assert!(matches!(
            c.remove_study(a.id, false, "cli", 5),
            Err(CatalogError::StudyNotEmpty { datasets: 2, .. })
        ));
        assert_eq!(c.stats().unwrap(), before);
        let r = c.remove_study(a.id, true, "cli", 6).unwrap();
        assert_eq!((r.subjects, r.examinations, r.acquisitions), (2, 2, 2));
        assert_eq!((r.datasets.len(), r.instances), (2, 4));
        let after = c.stats().unwrap();
        assert_eq!(after.studies, 1);
        assert_eq!(after.subjects, 1);
        assert_eq!(after.datasets, 1);
        assert_eq!(after.instances, before.instances - 4);
        assert!(c.study_by_name("A").unwrap().is_none());
        // Every remaining reference is B's; the reference counts agree; links hold.
        let (refs, problems) = c.blob_references().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(c.check_links().unwrap().is_empty());
        assert_eq!(refs.len(), 3, "{refs:?}");
        assert!(!refs.iter().any(|r| r.id == ContentId::of(b"a1")));
        // The name can be used again; an empty study goes without force.
        let (a2, _) = c.ensure_study("A", None).unwrap();
        assert!(c.dataset_for_series(a2.id, "1.3.s1").unwrap().is_none());
        let empty = c.remove_study(a2.id, false, "cli", 7).unwrap();
        assert_eq!(empty.datasets.len(), 0);
        let log = c.audit().list(&Default::default()).unwrap();
        assert_eq!(log[0].action, AuditAction::StudyRemove);
        assert_eq!(log[1].action, AuditAction::StudyRemove);
        assert!(log[1].detail.contains("datasets=2"), "{}", log[1].detail);
    }
}
