//! The catalog's tables, the CBOR codec of its records, and reference counting of blobs.

use protocol::ContentId;
use redb::{MultimapTableDefinition, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{CatalogError, Dataset, Result};

pub(super) type Id = [u8; 16];

pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(super) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
pub(super) const CENTERS: TableDefinition<Id, &[u8]> = TableDefinition::new("centers");
pub(super) const EQUIPMENT: TableDefinition<Id, &[u8]> = TableDefinition::new("equipment");
pub(super) const STUDIES: TableDefinition<Id, &[u8]> = TableDefinition::new("studies");
pub(super) const SUBJECTS: TableDefinition<Id, &[u8]> = TableDefinition::new("subjects");
pub(super) const EXAMS: TableDefinition<Id, &[u8]> = TableDefinition::new("examinations");
pub(super) const ACQS: TableDefinition<Id, &[u8]> = TableDefinition::new("acquisitions");
pub(super) const DATASETS: TableDefinition<Id, &[u8]> = TableDefinition::new("datasets");
/// Natural keys -> ids: `study:<name>`, `subject:<study id hex>:<pseudonym>`,
/// `exam:<study id hex>:<study uid>`, `acq:<study id hex>:<series uid>`,
/// `equipment:<center>\0<manufacturer>\0<model>\0<serial hash>`,
/// `content:<manifest content id hex>` -> dataset id (schema 2).
pub(super) const KEYS: TableDefinition<&str, Id> = TableDefinition::new("keys");
/// De-identified SOPInstanceUID -> dataset id (16 bytes) + instance blob id (32 bytes).
pub(super) const INSTANCES: TableDefinition<&str, &[u8]> = TableDefinition::new("instances");
/// Blob id -> (size, reference count).
pub(super) const BLOBS: TableDefinition<[u8; 32], (u64, u64)> = TableDefinition::new("blobs");
/// Parent id -> child ids (study > subjects > examinations > acquisitions > datasets).
pub(super) const CHILDREN: MultimapTableDefinition<Id, Id> =
    MultimapTableDefinition::new("children");

pub(super) fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Serializing our own model types into a Vec does not fail.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

pub(super) fn dec<T: DeserializeOwned>(what: &str, id: &[u8], bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| CatalogError::Corrupt {
        what: format!("{what} {}", hex::encode(id)),
        detail: e.to_string(),
    })
}

/// The dataset-level blobs (manifest, NIfTI, sidecar) a dataset references, with their sizes.
pub(super) fn dataset_blobs(d: &Dataset) -> Vec<(ContentId, u64)> {
    let mut v = vec![(d.dicom.manifest, d.dicom.manifest_bytes)];
    if let Some(n) = &d.nifti {
        v.push((n.nifti, n.bytes));
        v.push((n.sidecar, n.sidecar_bytes));
    }
    v
}

pub(crate) fn content_key(content: &ContentId) -> String {
    format!("content:{}", content.to_hex())
}

pub(super) fn key_get(keys: &impl ReadableTable<&'static str, Id>, k: &str) -> Result<Option<Id>> {
    Ok(keys.get(k)?.map(|v| v.value()))
}

pub(super) fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<Id, &'static [u8]>,
    what: &str,
    id: Id,
) -> Result<Option<T>> {
    match table.get(id)? {
        Some(v) => Ok(Some(dec(what, &id, v.value())?)),
        None => Ok(None),
    }
}

pub(super) fn all<T: DeserializeOwned>(
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
pub(super) fn add_ref(
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
pub(super) fn drop_ref(
    blobs: &mut redb::Table<[u8; 32], (u64, u64)>,
    id: ContentId,
) -> Result<i128> {
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

pub(super) fn bump(counters: &mut redb::Table<&str, u64>, key: &str, delta: i128) -> Result<()> {
    let cur = counters.get(key)?.map(|v| v.value()).unwrap_or(0);
    let next = (i128::from(cur) + delta).clamp(0, i128::from(u64::MAX)) as u64;
    counters.insert(key, next)?;
    Ok(())
}
