//! Fetching a whole dataset by its content id: the manifest, then its instances.

use std::sync::Arc;

use crate::outboard::Outboards;
use node::BlobStore;
use node::{read_manifest, Catalog, FetchedDataset, FetchedError, MAX_MANIFEST_BYTES};
use protocol::{ContentId, GrantHash, PublicKey};

use super::fetch::{
    fetch_blobs, probe_size, FetchError, FetchOptions, FetchReport, Provider, Want,
};

/// Most instances accepted in one fetched manifest.
pub const MAX_INSTANCES: usize = 1_000_000;

/// Where a dataset comes from, recorded with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The node that owns the dataset.
    pub origin: PublicKey,
    /// The capability the download was made under, if any.
    pub grant: Option<GrantHash>,
    /// The dataset's study at the origin, when known (lets this node serve its copy).
    pub study: Option<protocol::id::StudyId>,
}

/// What [`fetch_dataset`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetReport {
    /// The provenance record written (or found).
    pub dataset: FetchedDataset,
    /// The manifest's fetch.
    pub manifest: FetchReport,
    /// The instances' fetch.
    pub instances: FetchReport,
}

/// Why a dataset fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// Fetching blobs failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The manifest is too large, does not decode, or lists impossible instances.
    #[error("manifest {id}: {detail}")]
    Manifest {
        /// The dataset's content id.
        id: ContentId,
        /// What is wrong.
        detail: String,
    },
    /// The provenance table failed.
    #[error(transparent)]
    Record(#[from] FetchedError),
}

/// Fetch the dataset named by `content` (its manifest's content id) and every instance blob
/// its manifest lists, skipping blobs the store already holds, from `providers` in parallel;
/// commit the blobs (one durable batch) and then record the dataset with its provenance in the
/// fetched-datasets table of `catalog` (never as local data). Instance requests name the dataset as
/// their `within`, so the serving node authorizes them through it. Interrupted, it resumes.
pub async fn fetch_dataset(
    store: &BlobStore,
    outboards: &Outboards,
    catalog: &Catalog,
    content: ContentId,
    provenance: Provenance,
    providers: &[Arc<dyn Provider>],
    options: &FetchOptions,
) -> Result<DatasetReport, DatasetError> {
    let manifest_err = |detail: String| DatasetError::Manifest {
        id: content,
        detail,
    };
    let mut manifest_report = FetchReport {
        blobs: 1,
        already_present: 1,
        ..Default::default()
    };
    if !store.contains(&content) {
        let size = probe_size(content, None, providers, options).await?;
        if size > MAX_MANIFEST_BYTES {
            return Err(manifest_err(format!(
                "{size} bytes, more than the limit of {MAX_MANIFEST_BYTES}"
            )));
        }
        let (staged, report) = fetch_blobs(
            store,
            outboards,
            &[Want {
                id: content,
                size,
                within: None,
            }],
            providers,
            options,
        )
        .await?;
        store.commit(staged).map_err(FetchError::from)?;
        manifest_report = report;
    }
    let manifest = read_manifest(store, &content).map_err(|e| manifest_err(e.to_string()))?;
    if manifest.instances.len() > MAX_INSTANCES {
        return Err(manifest_err(format!(
            "{} instances, more than the limit of {MAX_INSTANCES}",
            manifest.instances.len()
        )));
    }
    let wants: Vec<Want> = manifest
        .instances
        .iter()
        .map(|e| Want {
            id: e.content,
            size: e.size,
            within: Some(content),
        })
        .collect();
    let (staged, instances) = fetch_blobs(store, outboards, &wants, providers, options).await?;
    store.commit(staged).map_err(FetchError::from)?;
    // Provenance is bound to the first verified fetch: a later fetch (by another caller,
    // under another grant, naming another origin) does not rewrite it.
    if let Some(first) = catalog.fetched().get(&content)? {
        return Ok(DatasetReport {
            dataset: first,
            manifest: manifest_report,
            instances,
        });
    }
    let record = FetchedDataset {
        content,
        origin: provenance.origin,
        grant: provenance.grant,
        study: provenance.study,
        fetched_at: node::now(),
        series_uid: manifest.series_uid.clone(),
        instances: manifest.instances.len() as u64,
        bytes: manifest
            .instances
            .iter()
            .fold(0u64, |a, e| a.saturating_add(e.size)),
    };
    catalog.fetched().record(&record)?;
    Ok(DatasetReport {
        dataset: record,
        manifest: manifest_report,
        instances,
    })
}
