//! The catalog: the data model of one center in an embedded, transactional key-value store (redb).
//!
//! Entities ([`model`]) are stored as CBOR under their 16-byte ULIDs, with lookup tables from
//! natural keys (study name, pseudonym, de-identified UIDs) to ids, a parent -> children multimap
//! for the study tree, an instance table for de-duplication, and a blob table with reference
//! counts. One imported series is one write transaction ([`Catalog::commit_series`]): a crash
//! leaves either the whole series or none of it.
//!
//! - [`tables`]: the table definitions, the CBOR codec of records, reference counting.
//! - [`migrate`]: the schema version and the migrations between versions.
//! - [`studies`]: centers, equipment and studies (created, read, updated).
//! - [`commit`]: one series into the catalog, by entity level (subject, equipment, examination,
//!   acquisition, dataset, instances), and a dataset's NIfTI expression.
//! - [`read`]: datasets and their context, the study tree, counts.
//! - [`check`]: what `fsck` asks of the catalog (blob references, links).
//! - [`cards`]: stored study cards.
//! - [`scores`]: instruments and assessments (clinical scores), recorded in one transaction.
//! - [`quarantine`]: instances held back for their pixels, outside the data model.
//!
//! The catalog holds no PHI: everything it stores comes from de-identified headers.

mod cards;
mod check;
mod commit;
mod migrate;
mod model;
mod quarantine;
mod read;
mod remove;
mod reports;
mod scores;
mod studies;
mod tables;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use cards::{load_card, StoredCard};
pub use check::BlobRef;
pub use commit::{NewEquipment, SeriesCommit, SeriesOutcome};
pub use model::*;
pub use quarantine::{QuarantineEnd, QuarantineEntry};
pub use read::DatasetRow;
pub use remove::RemovedStudy;
pub use scores::{NewAssessment, RowsError, ScoresReport};

/// Version of the catalog's layout. Bump it, and write the migration, when tables change.
pub const SCHEMA_VERSION: u64 = 5;

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
    /// No study of this name; the error names those that exist (a mistyped name must not
    /// create a study silently).
    #[error("no study {name:?} on this node ({})", known_studies(.existing))]
    NoSuchStudy {
        /// The name asked for.
        name: String,
        /// The studies that exist.
        existing: Vec<String>,
    },
    /// A study of this name exists already.
    #[error("a study named {0:?} exists already")]
    StudyExists(String),
    /// The study holds data and removing it was not forced.
    #[error("study {name:?} holds {datasets} datasets ({subjects} subjects): pass --force to remove it with its data")]
    StudyNotEmpty {
        /// Its name.
        name: String,
        /// Its subjects.
        subjects: u64,
        /// Its datasets.
        datasets: u64,
    },
    /// The audit record of a change could not be written (the change is not made).
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

fn known_studies(names: &[String]) -> String {
    if names.is_empty() {
        "it has no study yet: `--create` makes one".to_string()
    } else {
        let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        format!("studies: {}; `--create` makes a new one", quoted.join(", "))
    }
}

crate::db::from_redb!(CatalogError);

/// Result alias.
pub(crate) type Result<T, E = CatalogError> = std::result::Result<T, E>;

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

    /// The underlying database, for the modules that keep their own tables in the catalog file
    /// (access rights, audit log, study cards) so that they share its transactions and lock.
    pub(crate) fn db(&self) -> &redb::Database {
        &self.db
    }

    /// The audit log, kept in this catalog's database.
    pub fn audit(&self) -> crate::audit::Audit<'_> {
        crate::audit::Audit::new(&self.db)
    }
}

#[cfg(test)]
mod tests {
    use super::tables::{content_key, KEYS, META};
    use super::*;
    use protocol::id::StudyId;
    use protocol::ContentId;

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
