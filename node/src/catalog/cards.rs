//! Study cards in the catalog: every version of every card of a study, and the card state of
//! acquisitions when cards are re-applied.

use protocol::id::{AcquisitionId, StudyId};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::tables::{dec, enc, get, ACQS};
use super::{Acquisition, Catalog, CatalogError, Result};
use crate::clock::now;
use crate::clock::UnixTime;
use dicom::{AcquisitionCards, StudyCard, VersionedCard};

/// `<study id hex>\0<card name>\0<version, 10 digits>` -> [`StoredCard`].
pub(super) const CARDS: TableDefinition<&str, &[u8]> = TableDefinition::new("studycards");

/// One version of a card as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCard {
    /// The card and its version.
    pub card: VersionedCard,
    /// The TOML it was read from, for display.
    pub source: String,
    /// When it was added, unix seconds.
    pub added_at: UnixTime,
}

fn prefix(study: StudyId) -> String {
    format!("{}\0", hex::encode(study.to_bytes()))
}

impl Catalog {
    /// Add a card to a study: version 1 for a new name, else the latest version + 1.
    pub fn add_card(&self, study: StudyId, card: StudyCard, source: &str) -> Result<VersionedCard> {
        if self.study(study)?.is_none() {
            return Err(CatalogError::NotFound(study.to_string()));
        }
        let txn = self.db.begin_write()?;
        let versioned = {
            let mut t = txn.open_table(CARDS)?;
            let name_prefix = format!("{}{}\0", prefix(study), card.name);
            let mut latest = 0u32;
            for item in t.range(name_prefix.as_str()..)? {
                let (k, _) = item?;
                let Some(rest) = k.value().strip_prefix(name_prefix.as_str()) else {
                    break;
                };
                latest = latest.max(rest.parse().unwrap_or(0));
            }
            let versioned = VersionedCard {
                version: latest + 1,
                card,
            };
            let stored = StoredCard {
                card: versioned.clone(),
                source: source.to_string(),
                added_at: now(),
            };
            let key = format!("{name_prefix}{:010}", versioned.version);
            t.insert(key.as_str(), enc(&stored).as_slice())?;
            versioned
        };
        txn.commit()?;
        Ok(versioned)
    }

    /// Every version of every card of a study, by name then version.
    pub fn card_history(&self, study: StudyId) -> Result<Vec<StoredCard>> {
        let txn = self.db.begin_read()?;
        let t = match txn.open_table(CARDS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let p = prefix(study);
        let mut out = Vec::new();
        for item in t.range(p.as_str()..)? {
            let (k, v) = item?;
            if !k.value().starts_with(p.as_str()) {
                break;
            }
            out.push(dec("study card", k.value().as_bytes(), v.value())?);
        }
        Ok(out)
    }

    /// The cards in force for a study: the latest version of each name, in name order.
    pub fn cards(&self, study: StudyId) -> Result<Vec<VersionedCard>> {
        let mut latest: Vec<VersionedCard> = Vec::new();
        for s in self.card_history(study)? {
            match latest.last_mut() {
                Some(l) if l.card.name == s.card.card.name => *l = s.card,
                _ => latest.push(s.card),
            }
        }
        Ok(latest)
    }

    /// Every acquisition of a study.
    pub fn acquisitions_of(&self, study: StudyId) -> Result<Vec<Acquisition>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(ACQS)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let a: Acquisition = dec("acquisition", &k.value(), v.value())?;
            if a.study == study {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Replace the card state of an acquisition.
    pub fn set_acquisition_cards(&self, id: AcquisitionId, cards: &AcquisitionCards) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(ACQS)?;
            let mut a: Acquisition = get(&t, "acquisition", id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
            a.cards = cards.clone();
            t.insert(id.to_bytes(), enc(&a).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }
}
/// Read and parse the study card file at `path`.
pub fn load_card(path: &std::path::Path) -> Result<StudyCard, dicom::CardError> {
    let text = std::fs::read_to_string(path).map_err(|source| dicom::CardError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    dicom::parse_card_at(&text, path)
}
