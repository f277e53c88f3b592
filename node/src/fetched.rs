//! Datasets fetched from other nodes, with their provenance.
//!
//! A fetched dataset is a manifest blob and its instance blobs in the local store, verified
//! against the content id on arrival, plus one record here: where it came from (origin node),
//! under which grant, when. It is kept in a table of its own in the catalog file, *not* as a
//! dataset of a local study: the catalog's datasets, statistics, search index and federated
//! answers never see it, so another node's data is never re-indexed or counted as this node's.
//! Its blobs are still live for `fsck` ([`Fetched::referenced_blobs`]). `export` writes it out
//! as it does local data.
//!
//! Records are written only after the blobs they name are durable.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::PathBuf;

use protocol::{ContentId, GrantHash, PublicKey};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Manifest};
use crate::clock::UnixTime;
use crate::store::{BlobStore, StoreError};

/// Content id (32 bytes) -> [`FetchedDataset`] (CBOR).
const FETCHED: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("fetched");

/// Largest manifest read back from the store.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// A dataset fetched from another node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedDataset {
    /// The dataset's content id (its manifest blob).
    pub content: ContentId,
    /// The node that owns it (whose grant allowed the download).
    pub origin: PublicKey,
    /// The capability used, if any.
    #[serde(default)]
    pub grant: Option<GrantHash>,
    /// The dataset's study at its origin, when known (from the search hit that named it): a
    /// node holding this copy serves it to members whose grant from the origin covers it.
    #[serde(default)]
    pub study: Option<protocol::id::StudyId>,
    /// When it was completed, unix seconds.
    pub fetched_at: UnixTime,
    /// De-identified SeriesInstanceUID, from the manifest.
    pub series_uid: String,
    /// Instances in the manifest.
    pub instances: u64,
    /// Bytes of the instance blobs.
    pub bytes: u64,
}

/// A provenance-table or export error.
#[derive(Debug, thiserror::Error)]
pub enum FetchedError {
    /// The storage engine failed.
    #[error("fetched-datasets table: {0}")]
    Db(#[from] redb::Error),
    /// A record does not decode.
    #[error("fetched dataset record {0} does not decode")]
    Corrupt(ContentId),
    /// No such fetched dataset.
    #[error("no fetched dataset {0}")]
    NotFound(ContentId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A manifest or blob is not what its id says.
    #[error("fetched blob {0} is missing or corrupt: fetch the dataset again")]
    BadBlob(ContentId),
    /// Writing the output failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// Operation.
        op: &'static str,
        /// Path.
        path: PathBuf,
        /// OS error.
        source: io::Error,
    },
}

crate::db::from_redb!(FetchedError);

/// The fetched datasets of a node, in its catalog database (`node.catalog.db()`).
#[derive(Debug, Clone, Copy)]
pub struct Fetched<'a> {
    db: &'a redb::Database,
}

impl<'a> Fetched<'a> {
    /// The table in `db`.
    pub(crate) fn new(db: &'a redb::Database) -> Self {
        Fetched { db }
    }

    /// Record a fetched dataset (durably). Its blobs must already be durable in the store.
    pub fn record(&self, d: &FetchedDataset) -> Result<(), FetchedError> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(FETCHED)?;
            let mut bytes = Vec::with_capacity(256);
            // Serializing our own record type into a Vec does not fail.
            let _ = ciborium::into_writer(d, &mut bytes);
            t.insert(d.content.as_bytes(), bytes.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// One fetched dataset.
    pub fn get(&self, content: &ContentId) -> Result<Option<FetchedDataset>, FetchedError> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(FETCHED) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match t.get(content.as_bytes())? {
            Some(v) => ciborium::from_reader(v.value())
                .map(Some)
                .map_err(|_| FetchedError::Corrupt(*content)),
            None => Ok(None),
        }
    }

    /// Every fetched dataset.
    pub fn list(&self) -> Result<Vec<FetchedDataset>, FetchedError> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(FETCHED) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let d = ciborium::from_reader(v.value())
                .map_err(|_| FetchedError::Corrupt(ContentId::from_bytes(k.value())))?;
            out.push(d);
        }
        Ok(out)
    }

    /// Forget a fetched dataset (its blobs become garbage for `fsck --gc`).
    pub fn remove(&self, content: &ContentId) -> Result<bool, FetchedError> {
        let txn = self.db.begin_write()?;
        let found = txn
            .open_table(FETCHED)?
            .remove(content.as_bytes())?
            .is_some();
        txn.commit()?;
        Ok(found)
    }

    /// The blobs fetched datasets keep alive: each manifest and the instances it lists (those
    /// present in the store).
    pub fn referenced_blobs(&self, store: &BlobStore) -> Result<HashSet<ContentId>, FetchedError> {
        let mut out = HashSet::new();
        for d in self.list()? {
            out.insert(d.content);
            if let Ok(m) = read_manifest(store, &d.content) {
                out.extend(m.instances.into_iter().map(|e| e.content));
            }
        }
        Ok(out)
    }
}

impl Catalog {
    /// The datasets fetched from other members, kept in this catalog's database.
    pub fn fetched(&self) -> Fetched<'_> {
        Fetched::new(self.db())
    }
}

/// Read and decode a stored manifest (bounded).
pub fn read_manifest(store: &BlobStore, id: &ContentId) -> Result<Manifest, FetchedError> {
    let len = fs::metadata(store.path(id))
        .map_err(|_| FetchedError::BadBlob(*id))?
        .len();
    if len > MAX_MANIFEST_BYTES {
        return Err(FetchedError::BadBlob(*id));
    }
    let bytes = store.read(id)?;
    if ContentId::of(&bytes) != *id {
        return Err(FetchedError::BadBlob(*id));
    }
    protocol::cbor::decode_lenient(&bytes, "manifest", MAX_MANIFEST_BYTES as usize)
        .map_err(|_| FetchedError::BadBlob(*id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ManifestEntry;
    use crate::store::Durability;

    #[test]
    fn record_list_reference_export() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs"), Durability::None).unwrap();
        let db = redb::Database::create(dir.path().join("cat.redb")).unwrap();
        let f = Fetched::new(&db);
        assert!(f.list().unwrap().is_empty());
        let a = store.put(b"DICM instance one").unwrap();
        let b = store.put(b"DICM instance two").unwrap();
        let m = Manifest {
            version: Manifest::VERSION,
            series_uid: "1.2.3".into(),
            instances: vec![
                ManifestEntry {
                    sop_instance_uid: "1.2.3.1".into(),
                    instance_number: Some(1),
                    content: a,
                    size: 17,
                },
                ManifestEntry {
                    sop_instance_uid: "1.2.3.2".into(),
                    instance_number: Some(2),
                    content: b,
                    size: 17,
                },
            ],
        };
        let mid = store.put(&m.to_bytes()).unwrap();
        let origin = protocol::SecretKey::from_seed(&[7; 32]).public();
        let rec = FetchedDataset {
            content: mid,
            origin,
            grant: None,
            study: None,
            fetched_at: 1,
            series_uid: "1.2.3".into(),
            instances: 2,
            bytes: 34,
        };
        f.record(&rec).unwrap();
        assert_eq!(f.get(&mid).unwrap(), Some(rec.clone()));
        assert_eq!(f.list().unwrap(), vec![rec]);
        let live = f.referenced_blobs(&store).unwrap();
        assert_eq!(live, [mid, a, b].into_iter().collect());
        let out = dir.path().join("out");
        let s = f.export_dicom(&store, &mid, &out).unwrap();
        assert_eq!((s.files, s.bytes), (2, 34));
        let sub = out.join(mid.short(16));
        assert_eq!(
            fs::read(sub.join("IM00002.dcm")).unwrap(),
            b"DICM instance two"
        );
        assert!(f.remove(&mid).unwrap());
        assert!(f.get(&mid).unwrap().is_none());
    }
}
