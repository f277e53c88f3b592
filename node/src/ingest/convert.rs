//! NIfTI conversion of complete series, the last phase of an import.
//!
//! An import converts each series it touched once, after every instance of the series is
//! committed (a series may arrive over several batches), plus any dataset of the study still
//! waiting for a conversion because an earlier import stopped before this phase. Series convert
//! in parallel; each NIfTI and sidecar blob is staged as soon as it is made, the batch is made
//! durable with one barrier, then each dataset's NIfTI expression (or the reason it has none) is
//! recorded in its own catalog transaction and the search index follows.

use rayon::prelude::*;

use dicom_object::DefaultDicomObject;
use protocol::id::{DatasetId, StudyId};

use super::error::ImportError;
use crate::catalog::{Dataset, Manifest, NiftiExpression};
use crate::node::Node;
use crate::store::{Staged, StoreError};
use dicom::{convert_series, NiftiOptions};

/// What the conversion phase did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ConvertSummary {
    /// Series converted.
    pub converted: u64,
    /// Series refused, with the reason recorded on the dataset.
    pub refused: u64,
}

/// The result of converting one dataset, before its catalog update.
struct Outcome {
    dataset: DatasetId,
    expression: Option<NiftiExpression>,
    refusal: Option<String>,
    staged: Vec<Staged>,
}

/// Convert `touched` and every dataset of `study` that has neither a NIfTI expression nor a
/// recorded refusal.
pub(super) fn convert_pending(
    node: &Node,
    study: StudyId,
    touched: &[DatasetId],
    opts: &NiftiOptions,
) -> Result<ConvertSummary, ImportError> {
    let mut ids: Vec<DatasetId> = touched.to_vec();
    for row in node.catalog.dataset_rows()? {
        let d = &row.dataset;
        if d.study == study && d.nifti.is_none() && d.nifti_refusal.is_none() {
            ids.push(d.id);
        }
    }
    ids.sort();
    ids.dedup();
    let datasets: Vec<Dataset> = ids
        .iter()
        .filter_map(|id| node.catalog.dataset(*id).transpose())
        .collect::<Result<_, _>>()?;
    let outcomes: Vec<Result<Outcome, ImportError>> = datasets
        .par_iter()
        .map(|d| convert_one(node, opts, d))
        .collect();
    let mut outcomes: Vec<Outcome> = outcomes.into_iter().collect::<Result<_, _>>()?;
    node.store.commit(
        outcomes
            .iter_mut()
            .flat_map(|o| std::mem::take(&mut o.staged))
            .collect(),
    )?;
    let mut summary = ConvertSummary::default();
    let mut done = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        if o.expression.is_some() {
            summary.converted += 1;
        } else {
            summary.refused += 1;
        }
        node.catalog.set_nifti(o.dataset, o.expression, o.refusal)?;
        done.push(o.dataset);
    }
    node.index.index_datasets_from(&node.catalog, &done)?;
    Ok(summary)
}

fn convert_one(node: &Node, opts: &NiftiOptions, d: &Dataset) -> Result<Outcome, ImportError> {
    let refused = |reason: String| Outcome {
        dataset: d.id,
        expression: None,
        refusal: Some(reason),
        staged: Vec::new(),
    };
    let manifest = Manifest::from_bytes(&node.store.read(&d.dicom.manifest)?)
        .map_err(ImportError::Manifest)?;
    let mut objects: Vec<DefaultDicomObject> = Vec::with_capacity(manifest.instances.len());
    for e in &manifest.instances {
        let bytes = node.store.read(&e.content)?;
        match dicom::read(&bytes) {
            Ok(r) => objects.push(r.obj),
            Err(err) => return Ok(refused(format!("stored instance unreadable: {err}"))),
        }
    }
    let refs: Vec<&DefaultDicomObject> = objects.iter().collect();
    let converted = match convert_series(&refs, opts) {
        Ok(c) => c,
        Err(e) => return Ok(refused(e.to_string())),
    };
    drop(objects);
    let sidecar = serde_json::to_vec_pretty(&converted.sidecar).map_err(|e| {
        ImportError::Store(StoreError::Io {
            op: "encode sidecar",
            path: node.store.root().to_path_buf(),
            source: std::io::Error::other(e),
        })
    })?;
    let nii = node.store.stage(&converted.bytes)?;
    let side = node.store.stage(&sidecar)?;
    Ok(Outcome {
        dataset: d.id,
        expression: Some(NiftiExpression {
            nifti: nii.id,
            gzip: converted.gzip,
            sidecar: side.id,
            sidecar_bytes: side.size,
            bytes: nii.size,
            shape: converted
                .shape
                .iter()
                .map(|v| u32::try_from(*v).unwrap_or(u32::MAX))
                .collect(),
        }),
        refusal: None,
        staged: vec![nii, side],
    })
}
