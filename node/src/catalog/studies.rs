//! Centers, equipment and studies: the top of the data model, created, read and updated.

use protocol::id::{CenterId, EquipmentId, StudyId};
use redb::{ReadableDatabase, ReadableTable};

use super::tables::*;
use super::{Catalog, CatalogError, Center, Equipment, Result, Study, StudyStatus};
use crate::clock::now;

impl Catalog {
    /// Record this node's own center (once, at `neurofed init`). Returns the existing center
    /// when one was recorded already with the same name.
    pub fn init_center(&self, name: &str) -> Result<Center> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CatalogError::Invalid("the center name is empty".into()));
        }
        if let Ok(c) = self.node_center() {
            if c.name == name {
                return Ok(c);
            }
            return Err(CatalogError::Invalid(format!(
                "this node is already initialized for center {:?}",
                c.name
            )));
        }
        let center = Center {
            id: CenterId::new(),
            name: name.to_string(),
        };
        let txn = self.db.begin_write()?;
        {
            txn.open_table(CENTERS)?
                .insert(center.id.to_bytes(), enc(&center).as_slice())?;
            txn.open_table(META)?
                .insert("node_center", center.id.to_bytes().as_slice())?;
        }
        txn.commit()?;
        Ok(center)
    }

    /// This node's own center.
    pub fn node_center(&self) -> Result<Center> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let id = meta
            .get("node_center")?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .ok_or(CatalogError::NotInitialized)?;
        let centers = txn.open_table(CENTERS)?;
        get(&centers, "center", id)?.ok_or(CatalogError::NotInitialized)
    }

    /// A center by id.
    pub fn center(&self, id: CenterId) -> Result<Option<Center>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(CENTERS)?, "center", id.to_bytes())
    }

    /// Every center recorded.
    pub fn centers(&self) -> Result<Vec<Center>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(CENTERS)?, "center")
    }

    /// Equipment by id.
    pub fn equipment(&self, id: EquipmentId) -> Result<Option<Equipment>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(EQUIPMENT)?, "equipment", id.to_bytes())
    }

    /// All equipment.
    pub fn all_equipment(&self) -> Result<Vec<Equipment>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(EQUIPMENT)?, "equipment")
    }

    /// A study by name.
    pub fn study_by_name(&self, name: &str) -> Result<Option<Study>> {
        let txn = self.db.begin_read()?;
        let keys = txn.open_table(KEYS)?;
        let Some(id) = keys
            .get(format!("study:{name}").as_str())?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        get(&txn.open_table(STUDIES)?, "study", id)
    }

    /// A study by id.
    pub fn study(&self, id: StudyId) -> Result<Option<Study>> {
        let txn = self.db.begin_read()?;
        get(&txn.open_table(STUDIES)?, "study", id.to_bytes())
    }

    /// Every study, oldest first.
    pub fn studies(&self) -> Result<Vec<Study>> {
        let txn = self.db.begin_read()?;
        all(&txn.open_table(STUDIES)?, "study")
    }

    /// The study named `name`, created with `profile` if it does not exist. Returns the study and
    /// whether it was created. An existing study keeps its own profile; asking for another one is
    /// an error, because mixing profiles in one study would mix pseudonymization schemes.
    pub fn ensure_study(&self, name: &str, profile: Option<&str>) -> Result<(Study, bool)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CatalogError::Invalid("the study name is empty".into()));
        }
        if let Some(s) = self.study_by_name(name)? {
            if let Some(p) = profile {
                if p != s.profile {
                    return Err(CatalogError::Invalid(format!(
                        "study {name:?} uses de-identification profile {:?}, not {p:?}",
                        s.profile
                    )));
                }
            }
            return Ok((s, false));
        }
        let study = Study {
            id: StudyId::new(),
            name: name.to_string(),
            status: StudyStatus::InProgress,
            description: String::new(),
            public: false,
            embargo_until: None,
            profile: profile.unwrap_or("default").to_string(),
            created_at: now(),
        };
        let txn = self.db.begin_write()?;
        {
            let mut keys = txn.open_table(KEYS)?;
            let k = format!("study:{name}");
            if keys.get(k.as_str())?.is_some() {
                return Err(CatalogError::Conflict(format!(
                    "study {name:?} created concurrently"
                )));
            }
            keys.insert(k.as_str(), study.id.to_bytes())?;
            txn.open_table(STUDIES)?
                .insert(study.id.to_bytes(), enc(&study).as_slice())?;
        }
        txn.commit()?;
        Ok((study, true))
    }

    /// Replace a study record (description, status, public flag...). The name is its key and
    /// cannot change here.
    pub fn update_study(&self, study: &Study) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(STUDIES)?;
            let old: Study = get(&t, "study", study.id.to_bytes())?
                .ok_or_else(|| CatalogError::NotFound(study.id.to_string()))?;
            if old.name != study.name {
                return Err(CatalogError::Invalid(
                    "a study's name cannot be changed".into(),
                ));
            }
            t.insert(study.id.to_bytes(), enc(study).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }
}
