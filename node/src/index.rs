//! The search index: one document per dataset, with full text, term and range filters, facets
//! and autocomplete, filtered by the caller's [`AccessScope`] inside the query so that hits and
//! facet counts are both restricted (no post-hoc hiding that leaks counts).
//!
//! The index is derived data: [`Index::rebuild`] recreates it from the catalog at any time
//! (`neurofed reindex`). Import calls [`Index::index_datasets`] after each batch of catalog
//! commits.
//!
//! STUB: the interface the pipeline, the HTTP API and the federation are written against. The
//! tantivy implementation replaces this file (and may add a folder).

use std::path::Path;

use protocol::query::{SearchQuery, SearchResults};

use crate::access::AccessScope;
use crate::catalog::{Catalog, CatalogError, DatasetRow};

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query is invalid (the HTTP API answers 400 with this message).
    #[error("invalid query: {0}")]
    Query(String),
    /// The catalog failed while (re)indexing.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The index itself failed.
    #[error("search index: {0}")]
    Engine(String),
}

/// The search index of one node.
#[derive(Debug)]
pub struct Index {
    _private: (),
}

impl Index {
    /// Open (creating if needed) the index in `dir`.
    pub fn open(_dir: &Path) -> Result<Index, IndexError> {
        Ok(Index { _private: () })
    }

    /// Add or replace the documents of these datasets (after their catalog commits).
    pub fn index_datasets(&self, _rows: &[DatasetRow]) -> Result<(), IndexError> {
        Ok(())
    }

    /// Drop everything and index every dataset of the catalog again. Returns how many.
    pub fn rebuild(&self, catalog: &Catalog) -> Result<usize, IndexError> {
        Ok(catalog.dataset_rows()?.len())
    }

    /// Run `query` restricted to `scope`.
    pub fn search(
        &self,
        _query: &SearchQuery,
        _scope: &AccessScope,
    ) -> Result<SearchResults, IndexError> {
        Err(IndexError::Engine("search is not built yet".into()))
    }

    /// Completions of `prefix` over names and descriptions visible in `scope`.
    pub fn suggest(
        &self,
        _prefix: &str,
        _scope: &AccessScope,
        _limit: usize,
    ) -> Result<Vec<String>, IndexError> {
        Ok(Vec::new())
    }
}
