//! Datasets fetched from other nodes, with their provenance.
//!
//! A fetched dataset is a manifest blob and its instance blobs in the local store, verified
//! against the content id on arrival, plus one record here: where it came from (origin node),
//! under which grant, when. It is kept in a table of its own in the catalog file, *not* as a
//! dataset of a local study: the catalog's datasets, statistics, search index and federated
//! answers never see it, so another node's data is never re-indexed or counted as this node's.
//! Its blobs are still live for `fsck` ([`Fetched::referenced_blobs`]). [`export_dicom`] writes
//! it out like `export` does for local data.
//!
//! Records are written only after the blobs they name are durable.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use protocol::{ContentId, GrantHash, PublicKey};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::catalog::Manifest;
use crate::clock::UnixTime;
use crate::export::{sanitize, ExportSummary};
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

    /// Write the DICOM instances of the fetched dataset `content` to
    /// `out/<content id, 16 digits>/IM<n>.dcm`, checking that every blob still hashes to its id.
    pub fn export_dicom(
        &self,
        store: &BlobStore,
        content: &ContentId,
        out: &Path,
    ) -> Result<ExportSummary, FetchedError> {
        export_dicom(store, self.db, content, out)
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

/// Write the DICOM instances of a fetched dataset to `out/<content id, 16 digits>/IM<n>.dcm`,
/// streaming each blob and checking that it still hashes to its id; synced once at the end.
pub(crate) fn export_dicom(
    store: &BlobStore,
    db: &redb::Database,
    content: &ContentId,
    out: &Path,
) -> Result<ExportSummary, FetchedError> {
    let io = |op, path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchedError::Io { op, path, source }
    };
    Fetched::new(db)
        .get(content)?
        .ok_or(FetchedError::NotFound(*content))?;
    let manifest = read_manifest(store, content)?;
    let dir = out.join(sanitize(&content.short(16), 64));
    fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    let mut summary = ExportSummary {
        datasets: 1,
        ..Default::default()
    };
    let mut buf = vec![0u8; 256 * 1024];
    for (i, e) in manifest.instances.iter().enumerate() {
        let mut src = store.open_blob(&e.content)?;
        let dest = dir.join(format!("IM{:05}.dcm", i + 1));
        let tmp = dir.join(format!(".IM{:05}.dcm.tmp", i + 1));
        let mut f = fs::File::create(&tmp).map_err(io("create", &tmp))?;
        let mut h = blake3::Hasher::new();
        let mut n = 0u64;
        loop {
            let k = src.read(&mut buf).map_err(io("read", &tmp))?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
            f.write_all(&buf[..k]).map_err(io("write", &tmp))?;
            n += k as u64;
        }
        if ContentId::from_hasher(&h) != e.content {
            let _ = fs::remove_file(&tmp);
            return Err(FetchedError::BadBlob(e.content));
        }
        fs::rename(&tmp, &dest).map_err(io("rename", &dest))?;
        summary.files += 1;
        summary.bytes += n;
    }
    let d = fs::File::open(&dir).map_err(io("open", &dir))?;
    d.sync_all().map_err(io("sync", &dir))?;
    Ok(summary)
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
        let s = export_dicom(&store, &db, &mid, &out).unwrap();
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
