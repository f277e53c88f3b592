//! Releasing and deleting quarantined instances (`neurofed quarantine release|delete`). The
//! pipeline puts them there (`Work::quarantine` in [`super::pipeline`]); the catalog keeps
//! their entries ([`crate::QuarantineEntry`]).

use crate::catalog::{CatalogError, QuarantineEnd, QuarantineEntry};
use crate::clock::now;
use crate::node::Node;

use super::error::ImportError;
use super::pipeline::{ImportOptions, ImportSummary, Importer, NoProgress};

/// Why a quarantined instance was not released or deleted.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    /// No entry of this id.
    #[error("no quarantined instance {0:?} on this node (`neurofed quarantine ls` lists them)")]
    NotFound(String),
    /// The import of the released instance stopped.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The node's import lock could not be taken (an import is running).
    #[error(transparent)]
    Node(#[from] crate::node::NodeError),
    /// The stored instance is unreadable or missing.
    #[error("quarantined instance {id}: {detail}")]
    Stored {
        /// Its id.
        id: String,
        /// What is wrong (no value of the instance).
        detail: String,
    },
    /// The import did not take the instance (its reason says why).
    #[error("quarantined instance {id} was not imported: {reason}")]
    NotImported {
        /// Its id.
        id: String,
        /// The import's reason.
        reason: String,
    },
}

fn entry(node: &Node, id: &str) -> Result<QuarantineEntry, QuarantineError> {
    if !QuarantineEntry::is_id(id) {
        return Err(QuarantineError::NotFound(id.to_string()));
    }
    node.catalog
        .quarantine_get(id)?
        .ok_or_else(|| QuarantineError::NotFound(id.to_string()))
}

/// Release quarantined instance `id` (by `actor`, audited): its stored de-identified bytes are
/// imported into its study through the normal pipeline without the pixel check, then its entry
/// and bytes are removed. Releasing an instance already in the study only removes the entry.
pub fn release_quarantined(
    node: &Node,
    id: &str,
    actor: &str,
) -> Result<ImportSummary, QuarantineError> {
    let e = entry(node, id)?;
    let path = node
        .home
        .quarantine_path(id)
        .map_err(|_| QuarantineError::NotFound(id.to_string()))?;
    if !path.is_file() {
        return Err(QuarantineError::Stored {
            id: id.to_string(),
            detail: "its stored bytes are missing (`neurofed quarantine delete` removes the entry)"
                .into(),
        });
    }
    let study = node
        .catalog
        .study(e.study)?
        .ok_or_else(|| CatalogError::NotFound(format!("study {}", e.study)))?;
    let opts = ImportOptions {
        study: Some(study.name),
        actor: Some(actor.to_string()),
        // The bytes were de-identified for this study when they were quarantined.
        deidentified: true,
        skip_pixel_check: true,
        ..ImportOptions::default()
    };
    let summary = Importer::new(node).run(std::slice::from_ref(&path), &opts, &NoProgress)?;
    if let Some(s) = summary.skipped.first() {
        return Err(QuarantineError::NotImported {
            id: id.to_string(),
            reason: s.reason.clone(),
        });
    }
    node.catalog
        .quarantine_remove(id, QuarantineEnd::Released, actor, now())?;
    remove_bytes(&path, id)?;
    Ok(summary)
}

/// Delete quarantined instance `id` (by `actor`, audited): its entry, then its bytes, under the
/// import lock (an import quarantining the same instance again does not interleave).
pub fn delete_quarantined(
    node: &Node,
    id: &str,
    actor: &str,
) -> Result<QuarantineEntry, QuarantineError> {
    entry(node, id)?;
    let _lock = node.import_lock()?;
    let path = node
        .home
        .quarantine_path(id)
        .map_err(|_| QuarantineError::NotFound(id.to_string()))?;
    let e = node
        .catalog
        .quarantine_remove(id, QuarantineEnd::Deleted, actor, now())?;
    remove_bytes(&path, id)?;
    Ok(e)
}

fn remove_bytes(path: &std::path::Path, id: &str) -> Result<(), QuarantineError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(QuarantineError::Stored {
            id: id.to_string(),
            detail: format!("cannot remove its bytes: {e}"),
        }),
    }
}
