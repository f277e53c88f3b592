//! Re-applying a study's cards to data already imported (`neurofed studycard apply`).
//!
//! Each acquisition is evaluated on its first stored (de-identified) instance, with the cards in
//! force now; its `original` values stay as they were at import, `current` and the grade are
//! recomputed, and the application is added to its history.

use std::collections::BTreeMap;

use protocol::id::{AcquisitionId, ExaminationId};

use crate::catalog::{CatalogError, Manifest, Study};
use crate::node::Node;
use crate::store::StoreError;
use dicom::{
    evaluate_study, examination_conformity, CatalogField, CatalogFields, FieldChange, Grade,
};

/// What re-applying changed on one acquisition.
#[derive(Debug, Clone)]
pub struct AcquisitionReport {
    /// The acquisition.
    pub acquisition: AcquisitionId,
    /// Its examination.
    pub examination: ExaminationId,
    /// Its series description.
    pub series_description: Option<String>,
    /// The fields whose value changed.
    pub changes: Vec<FieldChange>,
    /// Its grade now.
    pub grade: Option<Grade>,
}

/// The result of `studycard apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// One entry per acquisition of the study.
    pub acquisitions: Vec<AcquisitionReport>,
    /// Per examination: the share of graded acquisitions that pass (`None`: nothing graded).
    pub conformity: BTreeMap<ExaminationId, Option<f64>>,
}

/// Why re-applying failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Catalog failure.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed.
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    /// A stored object no longer reads.
    #[error("acquisition {0}: {1}")]
    Unreadable(AcquisitionId, String),
}

struct Fields<'a> {
    center: &'a str,
    study: &'a str,
    meta: &'a dicom::InstanceMeta,
}

impl CatalogFields for Fields<'_> {
    fn field(&self, f: CatalogField) -> Option<String> {
        let m = self.meta;
        match f {
            CatalogField::Center => Some(self.center.to_string()),
            CatalogField::Study => Some(self.study.to_string()),
            CatalogField::Modality => Some(m.modality.clone()),
            CatalogField::Manufacturer => m.manufacturer.clone(),
            CatalogField::Model => m.model.clone(),
            CatalogField::FieldStrength => m.protocol.field_strength.map(|v| v.to_string()),
            CatalogField::SeriesNumber => m.series_number.map(|v| v.to_string()),
            CatalogField::SeriesDescription => m.series_description.clone(),
            CatalogField::ProtocolName => m.protocol_name.clone(),
            CatalogField::ExaminationDate => m.study_date.clone(),
        }
    }
}

/// Catalog fields of a series for card evaluation.
pub(crate) fn series_fields<'a>(
    center: &'a str,
    study: &'a str,
    meta: &'a dicom::InstanceMeta,
) -> impl CatalogFields + 'a {
    Fields {
        center,
        study,
        meta,
    }
}

/// Re-apply the study's current cards to every acquisition of `study`.
pub fn apply_cards(node: &Node, study: &Study) -> Result<ApplyReport, ApplyError> {
    let cards = node.catalog.cards(study.id)?;
    let center = node.catalog.node_center()?.name;
    let mut report = ApplyReport::default();
    let mut grades: BTreeMap<ExaminationId, Vec<Option<Grade>>> = BTreeMap::new();
    let mut touched = Vec::new();
    for acq in node.catalog.acquisitions_of(study.id)? {
        let Some(ds) = node.catalog.dataset_for_series(study.id, &acq.series_uid)? else {
            continue;
        };
        let unreadable = |e: String| ApplyError::Unreadable(acq.id, e);
        let manifest =
            Manifest::from_bytes(&node.store.read(&ds.dicom.manifest)?).map_err(unreadable)?;
        let Some(first) = manifest.instances.first() else {
            continue;
        };
        let bytes = node.store.read(&first.content)?;
        let obj = dicom::read(&bytes)
            .map_err(|e| unreadable(e.to_string()))?
            .obj;
        let meta = dicom::extract(&obj).map_err(|e| unreadable(e.to_string()))?;
        let fields = series_fields(&center, &study.name, &meta);
        let outcome = evaluate_study(&cards, &obj, &fields);
        let mut state = acq.cards.clone();
        let changes = state.reapply(&outcome, Some(crate::clock::now()));
        node.catalog.set_acquisition_cards(acq.id, &state)?;
        touched.push(ds.id);
        grades.entry(acq.examination).or_default().push(state.grade);
        report.acquisitions.push(AcquisitionReport {
            acquisition: acq.id,
            examination: acq.examination,
            series_description: acq.series_description.clone(),
            changes,
            grade: state.grade,
        });
    }
    node.index.index_datasets_from(&node.catalog, &touched)?;
    report.conformity = grades
        .into_iter()
        .map(|(x, g)| (x, examination_conformity(&g)))
        .collect();
    Ok(report)
}
