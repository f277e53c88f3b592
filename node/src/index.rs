//! The search index: one document per dataset, with full text, term and range filters, facets
//! and autocomplete, filtered by the caller's [`AccessScope`] inside the query so that hits and
//! facet counts are both restricted (no post-hoc hiding that leaks counts).
//!
//! The index is derived data (tantivy, in `<home>/index/`): [`Index::rebuild`] recreates it
//! from the catalog at any time (`neurofed reindex`), and import calls
//! [`Index::index_datasets_from`] after each batch of catalog commits. An index that is missing,
//! unreadable or of another schema version is recreated empty at [`Index::open`]
//! ([`Index::was_recreated`] says so, and the node rebuilds it).
//!
//! - [`schema`]: the fields and analyzers; [`document`]: catalog row -> document and hit;
//! - [`scores`]: clinical scores as terms, their filters and text form;
//! - [`query`]: protocol query + scope -> tantivy query; [`collect`]: total, facets and top hits
//!   in one pass; [`suggest`]: completions; [`syntax`]: the `field:value` text forms of filters,
//!   facets and sorts that the CLI and the HTTP API share.
//!
//! Nothing here holds PHI: documents are built from the catalog (pseudonyms, shifted dates).

mod collect;
mod document;
mod query;
mod schema;
mod scores;
mod suggest;
mod syntax;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use protocol::id::DatasetId;
use protocol::query::{Count, Hit, SearchQuery, SearchResults, SortKey};
use tantivy::schema::Value;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Compile-time check: the web server shares one `Index` between threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Index>();
};

use crate::access::AccessScope;
use crate::catalog::{Catalog, CatalogError, DatasetRow};
use crate::meter::{Meter, NoMeter};

pub use document::{Context, Summary};
pub(crate) use schema::Fields;
pub use syntax::{parse_facet, parse_filter, parse_sort, DEFAULT_FACET_SIZE};

/// Memory the writer may use before it writes a segment.
const WRITER_BUDGET: usize = 50_000_000;
/// Rows turned into documents at a time by [`Index::rebuild`].
const REBUILD_BATCH: usize = 10_000;
/// File recording the schema version of the index in its directory.
const VERSION_FILE: &str = "neurofed-index-version";
/// How long a write waits for another process's writer (`serve` and a CLI import share a home).
const WRITER_WAIT: Duration = Duration::from_secs(120);

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

fn engine(e: impl std::fmt::Display) -> IndexError {
    IndexError::Engine(e.to_string())
}

/// The search index of one node. `Send + Sync`: share it between threads (searches run
/// concurrently; writes are serialized).
///
/// Several processes may open one home (`serve` while the CLI imports or searches): each write
/// takes tantivy's writer lock for its duration only (waiting for another process's write to
/// end), and readers reload on every commit, their own at once and other processes' within
/// about a second.
pub struct Index {
    dir: PathBuf,
    index: tantivy::Index,
    reader: IndexReader,
    /// Serializes this process's writes (tantivy's directory lock serializes processes).
    write: Mutex<()>,
    fields: Fields,
    context: RwLock<Context>,
    recreated: bool,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("recreated", &self.recreated)
            .finish_non_exhaustive()
    }
}

/// Opens an existing index of the current version, or `None` when there is none or it is
/// unusable (then the caller recreates it).
fn open_existing(dir: &Path, fields: &Fields) -> Option<tantivy::Index> {
    if !dir.join("meta.json").exists() {
        return None;
    }
    match std::fs::read_to_string(dir.join(VERSION_FILE)) {
        Ok(v) if v.trim() != schema::SCHEMA_VERSION.to_string() => return None,
        // Another process may be between creating the index and recording its version: the
        // schema check below decides.
        _ => {}
    }
    let index = tantivy::Index::open_in_dir(dir).ok()?;
    (index.schema() == fields.schema).then_some(index)
}

fn io(op: &str, path: &Path, e: std::io::Error) -> IndexError {
    IndexError::Engine(format!("{op} {}: {e}", path.display()))
}

impl Index {
    /// Open (creating if needed) the index in `dir`. An index that is unreadable or of another
    /// schema version is replaced by an empty one (see [`Index::was_recreated`]).
    pub fn open(dir: &Path) -> Result<Index, IndexError> {
        let fields = Fields::new();
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        let (index, recreated) = match open_existing(dir, &fields) {
            Some(i) => (i, false),
            None => {
                if dir.join("meta.json").exists() {
                    tracing::warn!(dir = %dir.display(), "search index unreadable or of another version: recreating it (run `neurofed reindex`)");
                }
                // Only the index's own directory is cleared.
                std::fs::remove_dir_all(dir).map_err(|e| io("clear", dir, e))?;
                std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
                let index =
                    tantivy::Index::create_in_dir(dir, fields.schema.clone()).map_err(engine)?;
                let version = dir.join(VERSION_FILE);
                std::fs::write(&version, format!("{}\n", schema::SCHEMA_VERSION))
                    .map_err(|e| io("write", &version, e))?;
                (index, true)
            }
        };
        schema::register_tokenizers(index.tokenizers());
        // Reload on commits of other processes too (a watcher polls meta.json); own commits
        // reload at once (see `commit`).
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(engine)?;
        Ok(Index {
            dir: dir.to_path_buf(),
            index,
            reader,
            write: Mutex::new(()),
            fields,
            context: RwLock::new(Context::default()),
            recreated,
        })
    }

    /// Whether [`Index::open`] created this index (none was there, or it was unusable): if the
    /// catalog has datasets, [`Index::rebuild`] it.
    pub fn was_recreated(&self) -> bool {
        self.recreated
    }

    /// Datasets in the index (as of the last commit).
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index has no dataset.
    pub fn is_empty(&self) -> bool {
        self.doc_count() == 0
    }

    /// The fields (for tools that inspect the index).
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Re-read the centers and scanners that documents name (done by
    /// [`Index::index_datasets_from`] and [`Index::rebuild`]; call it before
    /// [`Index::index_datasets`] when rows may name new ones).
    pub fn refresh_context(&self, catalog: &Catalog) -> Result<(), IndexError> {
        let ctx = Context::load(catalog)?;
        *self
            .context
            .write()
            .map_err(|_| engine("context lock poisoned"))? = ctx;
        Ok(())
    }

    /// Replace the centers and scanners that documents name (for tools that index rows built
    /// without a catalog, like the benchmark).
    pub fn set_context(&self, ctx: Context) -> Result<(), IndexError> {
        *self
            .context
            .write()
            .map_err(|_| engine("context lock poisoned"))? = ctx;
        Ok(())
    }

    /// A writer, waiting (bounded) while another process holds the index's writer lock.
    fn writer(&self) -> Result<IndexWriter, IndexError> {
        let start = Instant::now();
        loop {
            match self.index.writer(WRITER_BUDGET) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                )) if start.elapsed() < WRITER_WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(engine(e)),
            }
        }
    }

    /// Run `f` with a writer held for this call only; on error, nothing of it is committed.
    /// The writer finishes its segment merges before it is released, so segments stay few.
    fn with_writer<R>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<R, IndexError>,
    ) -> Result<R, IndexError> {
        let _serial = self
            .write
            .lock()
            .map_err(|_| engine("index write lock poisoned"))?;
        let mut w = self.writer()?;
        let out = f(&mut w);
        if out.is_err() {
            let _ = w.rollback();
        }
        let merged = w.wait_merging_threads().map_err(engine);
        let out = out?;
        merged?;
        Ok(out)
    }

    fn add_rows(
        &self,
        w: &IndexWriter,
        rows: &[DatasetRow],
        replace: bool,
    ) -> Result<(), IndexError> {
        let ctx = self
            .context
            .read()
            .map_err(|_| engine("context lock poisoned"))?;
        for row in rows {
            if replace {
                w.delete_term(Term::from_field_text(
                    self.fields.dataset_id,
                    &row.dataset.id.to_string(),
                ));
            }
            let doc = Summary::of(row, &ctx).document(row, &self.fields);
            w.add_document(doc).map_err(engine)?;
        }
        Ok(())
    }

    fn commit(&self, w: &mut IndexWriter) -> Result<(), IndexError> {
        w.commit().map_err(engine)?;
        self.reader.reload().map_err(engine)
    }

    /// Add or replace the documents of these datasets (after their catalog commits): one
    /// commit. Centers and scanners are named from the last context read (see
    /// [`Index::refresh_context`]); prefer [`Index::index_datasets_from`].
    pub fn index_datasets(&self, rows: &[DatasetRow]) -> Result<(), IndexError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with_writer(|w| {
            self.add_rows(w, rows, true)?;
            self.commit(w)
        })
    }

    /// Re-read centers and scanners, then index these datasets of `catalog` (unknown ids are
    /// skipped): what import and card re-application call after their catalog commits.
    pub fn index_datasets_from(
        &self,
        catalog: &Catalog,
        ids: &[DatasetId],
    ) -> Result<(), IndexError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.refresh_context(catalog)?;
        self.index_datasets(&catalog.dataset_rows_for(ids)?)
    }

    /// Remove the documents of these datasets (after their catalog removal): one commit.
    pub fn remove_datasets(&self, ids: &[DatasetId]) -> Result<(), IndexError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.with_writer(|w| {
            for id in ids {
                w.delete_term(Term::from_field_text(
                    self.fields.dataset_id,
                    &id.to_string(),
                ));
            }
            self.commit(w)
        })
    }

    /// Drop everything and index every dataset of the catalog again, in one commit (searches
    /// see the old index until it lands). Returns how many.
    pub fn rebuild(&self, catalog: &Catalog) -> Result<usize, IndexError> {
        self.rebuild_with(catalog, &NoMeter)
    }

    /// [`Index::rebuild`], reporting each dataset indexed to `meter`.
    pub fn rebuild_with(&self, catalog: &Catalog, meter: &dyn Meter) -> Result<usize, IndexError> {
        self.refresh_context(catalog)?;
        let rows = catalog.dataset_rows()?;
        meter.total(rows.len() as u64);
        self.with_writer(|w| {
            w.delete_all_documents().map_err(engine)?;
            for batch in rows.chunks(REBUILD_BATCH) {
                self.add_rows(w, batch, false)?;
                meter.advance(batch.len() as u64);
            }
            self.commit(w)
        })?;
        Ok(rows.len())
    }

    /// Run `query` restricted to `scope`: hits, total and facet counts all within the scope.
    pub fn search(
        &self,
        query: &SearchQuery,
        scope: &AccessScope,
    ) -> Result<SearchResults, IndexError> {
        query
            .validate()
            .map_err(|e| IndexError::Query(e.to_string()))?;
        let facet_fields: Vec<_> = query.facets.iter().map(|f| f.field).collect();
        let empty_facets = |counts: Vec<std::collections::HashMap<String, u64>>| {
            query
                .facets
                .iter()
                .zip(counts)
                .map(|(f, c)| collect::facet_counts(f.field, c, f.size as usize))
                .collect::<Vec<_>>()
        };
        if scope.is_empty() {
            return Ok(SearchResults {
                total: Count::Exact(0),
                hits: Vec::new(),
                facets: empty_facets(vec![Default::default(); query.facets.len()]),
            });
        }
        let has_text = query
            .text
            .as_deref()
            .is_some_and(|t| query::text_query(t, &self.fields).is_some());
        let k = (query.page.offset as usize).saturating_add(query.page.size as usize);
        let k = if query.page.size == 0 { 0 } else { k };
        let collector = collect::SearchCollector::new(
            &facet_fields,
            query.sort.by,
            query.sort.order,
            k,
            has_text,
        );
        let q = query::build(query, scope, &self.fields);
        let searcher = self.reader.searcher();
        let collected = searcher.search(&q, &collector).map_err(engine)?;
        let scored = has_text && query.sort.by == SortKey::Relevance;
        let mut hits = Vec::with_capacity(query.page.size as usize);
        for c in collected.top.iter().skip(query.page.offset as usize) {
            let doc: TantivyDocument = searcher.doc(c.address).map_err(engine)?;
            let bytes = doc
                .get_first(self.fields.hit)
                .and_then(|v| v.as_bytes())
                .ok_or_else(|| engine("a document has no stored hit"))?;
            let mut hit: Hit = serde_json::from_slice(bytes)
                .map_err(|e| engine(format!("a stored hit does not decode: {e}")))?;
            hit.score = scored.then_some(c.score).filter(|s| s.is_finite());
            hits.push(hit);
        }
        Ok(SearchResults {
            total: Count::Exact(collected.total),
            hits,
            facets: empty_facets(collected.facets),
        })
    }

    /// Completions of `prefix` over names and descriptions visible in `scope`, most frequent
    /// first (at most 100).
    pub fn suggest(
        &self,
        prefix: &str,
        scope: &AccessScope,
        limit: usize,
    ) -> Result<Vec<String>, IndexError> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        suggest::suggest(
            &self.reader.searcher(),
            &self.fields,
            prefix,
            query::scope_query(scope, &self.fields),
            limit,
        )
    }
}

#[cfg(test)]
mod tests;
