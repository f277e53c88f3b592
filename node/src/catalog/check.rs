//! What `fsck` asks of the catalog: every blob reference with its reference count, the blobs
//! recorded, and the parent links of the study tree.

use std::collections::{HashMap, HashSet};

use protocol::ContentId;
use redb::{ReadableDatabase, ReadableTable};

use super::tables::*;
use super::{Acquisition, Catalog, Dataset, Examination, Result, Subject};

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

impl Catalog {
    /// Every blob the catalog references, with who references it (for `fsck`). Also checks
    /// that the reference counts agree with the references found; disagreements are returned
    /// as the second element.
    pub fn blob_references(&self) -> Result<(Vec<BlobRef>, Vec<String>)> {
        let txn = self.db.begin_read()?;
        let blobs = txn.open_table(BLOBS)?;
        let mut refs = Vec::new();
        let mut problems = Vec::new();
        let mut counted: HashMap<ContentId, u64> = Default::default();
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
    pub fn recorded_blobs(&self) -> Result<HashSet<ContentId>> {
        let txn = self.db.begin_read()?;
        let blobs = txn.open_table(BLOBS)?;
        let mut out = HashSet::new();
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
