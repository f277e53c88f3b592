//! Quarantined instances: de-identified instances whose pixels may carry burned-in text
//! (`dicom::pixel_risk`), stored apart (`Home::quarantine_path`) and recorded here, outside the
//! data model: no dataset, no index, no export, no federation. A study manager releases one (it
//! is imported like any instance) or deletes it; either is removed with its audit record in one
//! transaction.

use protocol::id::StudyId;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::tables::*;
use super::{Catalog, CatalogError, Result};
use crate::audit::{Audit, AuditAction, NewEvent};
use crate::clock::UnixTime;

/// Entries by id (16 hex digits of a hash of the de-identified SOP instance UID).
pub(super) const QUARANTINE: TableDefinition<&str, &[u8]> = TableDefinition::new("quarantine");

/// One quarantined instance. Every value comes from the de-identified header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Its id ([`QuarantineEntry::id_for`]).
    pub id: String,
    /// The study it was imported into.
    pub study: StudyId,
    /// The subject's pseudonym.
    pub pseudonym: String,
    /// The de-identified SeriesInstanceUID.
    pub series_uid: String,
    /// The de-identified SOPInstanceUID.
    pub sop_instance_uid: String,
    /// Modality, when the header says.
    pub modality: Option<String>,
    /// Why it is quarantined (`dicom::QuarantineReason`).
    pub reason: dicom::QuarantineReason,
    /// When it was quarantined.
    pub at: UnixTime,
}

impl QuarantineEntry {
    /// The id of the quarantined instance whose de-identified SOPInstanceUID is `sop`: the same
    /// instance imported again finds its entry.
    pub fn id_for(sop: &str) -> String {
        hex::encode(&blake3::hash(sop.as_bytes()).as_bytes()[..8])
    }

    /// Whether `id` is of the form [`QuarantineEntry::id_for`] gives (what a path may be made of).
    pub fn is_id(id: &str) -> bool {
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// What becomes of a quarantined instance when its entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineEnd {
    /// Imported into its study.
    Released,
    /// Deleted.
    Deleted,
}

impl Catalog {
    /// Record a quarantined instance; false when its id is recorded already.
    pub fn quarantine_add(&self, entry: &QuarantineEntry) -> Result<bool> {
        let txn = self.db.begin_write()?;
        let added = {
            let mut t = txn.open_table(QUARANTINE)?;
            if t.get(entry.id.as_str())?.is_some() {
                false
            } else {
                t.insert(entry.id.as_str(), enc(entry).as_slice())?;
                true
            }
        };
        txn.commit()?;
        Ok(added)
    }

    /// The quarantined instance `id`, if any.
    pub fn quarantine_get(&self, id: &str) -> Result<Option<QuarantineEntry>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(QUARANTINE)?;
        let Some(v) = t.get(id)? else {
            return Ok(None);
        };
        Ok(Some(dec("quarantine entry", id.as_bytes(), v.value())?))
    }

    /// The quarantined instances (of `study`, or all), oldest first.
    pub fn quarantine_list(&self, study: Option<StudyId>) -> Result<Vec<QuarantineEntry>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(QUARANTINE)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let e: QuarantineEntry = dec("quarantine entry", k.value().as_bytes(), v.value())?;
            if study.is_none_or(|s| s == e.study) {
                out.push(e);
            }
        }
        out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        Ok(out)
    }

    /// Remove entry `id` (released or deleted by `by`), with its audit record, in one
    /// transaction; the entry removed.
    pub fn quarantine_remove(
        &self,
        id: &str,
        end: QuarantineEnd,
        by: &str,
        now: UnixTime,
    ) -> Result<QuarantineEntry> {
        let txn = self.db.begin_write()?;
        let entry = {
            let mut t = txn.open_table(QUARANTINE)?;
            let entry: QuarantineEntry = match t.remove(id)? {
                Some(v) => dec("quarantine entry", id.as_bytes(), v.value())?,
                None => return Err(CatalogError::NotFound(format!("quarantined instance {id}"))),
            };
            let (action, what) = match end {
                QuarantineEnd::Released => (AuditAction::QuarantineRelease, "released"),
                QuarantineEnd::Deleted => (AuditAction::QuarantineDelete, "deleted"),
            };
            Audit::append_in(
                &txn,
                NewEvent::new(by, action, now)
                    .study(entry.study)
                    .detail(format!(
                        "quarantined instance {id} ({}) {what}",
                        entry.reason
                    )),
            )?;
            entry
        };
        txn.commit()?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_hex() {
        let id = QuarantineEntry::id_for("2.25.1234");
        assert_eq!(id, QuarantineEntry::id_for("2.25.1234"));
        assert_ne!(id, QuarantineEntry::id_for("2.25.1235"));
        assert!(QuarantineEntry::is_id(&id));
        for bad in [
            "",
            "../../etc/passwd",
            "ABCDEF0123456789",
            "0123456789abcde",
        ] {
            assert!(!QuarantineEntry::is_id(bad), "{bad}");
        }
    }
}
