//! The schema version on disk and the migrations that bring an older catalog to it, run at open.

use redb::{ReadableDatabase, ReadableTable};

use super::tables::*;
use super::{
    cards, quarantine, reports, scores, Catalog, CatalogError, Dataset, Result, SCHEMA_VERSION,
};

impl Catalog {
    pub(super) fn migrate(&self) -> Result<()> {
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
            // Version 3 added the (empty) instruments and assessments tables.
            txn.open_table(scores::INSTRUMENTS)?;
            txn.open_table(scores::ASSESSMENTS)?;
            // Version 4 added the (empty) import-report subscriptions.
            txn.open_table(reports::REPORTS)?;
            // Version 5 added the (empty) quarantine of instances held back for their pixels.
            txn.open_table(quarantine::QUARANTINE)?;
        }
        txn.commit()?;
        Ok(())
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
}
