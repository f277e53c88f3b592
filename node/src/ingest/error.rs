//! What stops an import (per-file problems are [`SkippedFile`](super::SkippedFile)s instead),
//! shared by the pipeline and the NIfTI conversion that follows it.

use crate::catalog::CatalogError;
use crate::node::NodeError;
use crate::store::StoreError;

/// Errors that stop an import (per-file problems are [`SkippedFile`](super::SkippedFile)s instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Opening the node, the study or the profile failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The store failed (disk full, permissions...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored manifest is unreadable.
    #[error("dataset manifest {0}")]
    Manifest(String),
    /// The search index failed.
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    /// The audit log failed.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The worker threads could not run.
    #[error("import worker failed: {0}")]
    Worker(String),
}
