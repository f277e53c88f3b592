//! Consistency check of a node: every blob re-hashed, every catalog reference followed.
//!
//! A *problem* is an inconsistency that loses or corrupts data: a blob whose bytes do not hash to
//! its name, a catalog reference to a missing blob, a size or count that disagrees, a manifest
//! that does not decode or names instances the catalog does not know, a broken parent link.
//! *Garbage* is not a problem: blobs no catalog entry references (left by an interrupted import,
//! or replaced manifests) and staging leftovers; `gc` removes them.
//!
//! Permissions are checked too: the home must be owner-only (0700) and nothing under `keys/`
//! may be open to the group or others (folders 0700, keys 0600); a wider mode is a problem.

use std::collections::{HashMap, HashSet};

use protocol::ContentId;
use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::{CatalogError, Manifest};
use crate::meter::{Meter, NoMeter};
use crate::node::Node;
use crate::store::StoreError;

/// What fsck found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FsckReport {
    /// Blob files re-hashed.
    pub blobs_checked: u64,
    /// Bytes re-hashed.
    pub bytes_checked: u64,
    /// Catalog references followed.
    pub references_checked: u64,
    /// Inconsistencies (non-empty means the node is damaged).
    pub problems: Vec<String>,
    /// Unreferenced blobs.
    pub garbage_blobs: u64,
    /// Bytes of unreferenced blobs.
    pub garbage_bytes: u64,
    /// Files left in the staging area.
    pub staging_files: u64,
    /// Quarantined instances whose file was found (`quarantine/`).
    pub quarantine_checked: u64,
    /// Files of `quarantine/` that no quarantine entry names (an import stopped between writing
    /// the de-identified file and recording it, or a write's leftover): removed by `--gc`.
    pub quarantine_orphans: u64,
    /// Whether garbage was removed.
    pub collected: bool,
}

impl FsckReport {
    /// True when no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Why fsck could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum FsckError {
    /// Catalog unreadable.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Store unreadable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Garbage collection needs the import lock.
    #[error(transparent)]
    Node(#[from] crate::node::NodeError),
}

/// Check the node; with `gc`, also remove garbage.
pub fn fsck(node: &Node, gc: bool) -> Result<FsckReport, FsckError> {
    fsck_with(node, gc, &NoMeter)
}

/// [`fsck`], reporting each blob re-hashed to `meter`.
pub fn fsck_with(node: &Node, gc: bool, meter: &dyn Meter) -> Result<FsckReport, FsckError> {
    // Collecting garbage while an import runs would delete blobs made durable but not yet
    // recorded by its catalog commit: hold the import lock throughout.
    let _lock = if gc { Some(node.import_lock()?) } else { None };
    let mut report = FsckReport::default();
    report.problems.extend(permission_problems(&node.home));
    report.problems.extend(node.catalog.check_links()?);
    let (refs, ref_problems) = node.catalog.blob_references()?;
    report.problems.extend(ref_problems);
    report.references_checked = refs.len() as u64;

    // Re-hash every blob file, in parallel.
    let listed: Vec<_> = node.store.list().collect();
    meter.total(listed.len() as u64);
    let results: Vec<Result<(ContentId, u64), String>> = listed
        .into_par_iter()
        .inspect(|_| meter.advance(1))
        .map(|item| match item {
            Err(path) => Err(format!("foreign file in the store: {}", path.display())),
            Ok((id, _)) => match node.store.rehash(&id) {
                Ok((actual, size)) if actual == id => Ok((id, size)),
                Ok((actual, _)) => Err(format!("blob {id} is corrupt: its bytes hash to {actual}")),
                Err(e) => Err(format!("blob {id}: {e}")),
            },
        })
        .collect();
    let mut present: HashMap<ContentId, u64> = HashMap::new();
    for r in results {
        match r {
            Ok((id, size)) => {
                report.blobs_checked += 1;
                report.bytes_checked += size;
                present.insert(id, size);
            }
            Err(p) => report.problems.push(p),
        }
    }

    for r in &refs {
        match present.get(&r.id) {
            None => report.problems.push(format!(
                "{} refers to blob {} which is missing",
                r.from, r.id
            )),
            Some(size) if *size != r.size && r.size != u64::MAX => report.problems.push(format!(
                "{} refers to blob {} of {} bytes, the store has {size}",
                r.from, r.id, r.size
            )),
            Some(_) => {}
        }
    }

    // Every manifest decodes and lists exactly the instances recorded for its dataset.
    let referenced: HashSet<ContentId> = refs.iter().map(|r| r.id).collect();
    for row in node.catalog.dataset_rows()? {
        let d = &row.dataset;
        let Ok(bytes) = node.store.read(&d.dicom.manifest) else {
            continue; // already reported as missing
        };
        match Manifest::from_bytes(&bytes) {
            Err(e) => report.problems.push(format!("dataset {}: {e}", d.id)),
            Ok(m) => {
                if m.instances.len() as u64 != u64::from(d.dicom.instances) {
                    report.problems.push(format!(
                        "dataset {} records {} instances, its manifest lists {}",
                        d.id,
                        d.dicom.instances,
                        m.instances.len()
                    ));
                }
                for e in &m.instances {
                    if !referenced.contains(&e.content) {
                        report.problems.push(format!(
                            "dataset {} manifest lists instance blob {} that the catalog does not reference",
                            d.id, e.content
                        ));
                    }
                }
            }
        }
    }

    let mut recorded = node.catalog.recorded_blobs()?;
    // Datasets fetched from other nodes keep their blobs alive too (node/src/fetched.rs).
    recorded.extend(
        node.catalog
            .fetched()
            .referenced_blobs(&node.store)
            .map_err(|e| CatalogError::Invalid(e.to_string()))?,
    );
    let garbage: Vec<(ContentId, u64)> = present
        .iter()
        .filter(|(id, _)| !recorded.contains(id))
        .map(|(id, s)| (*id, *s))
        .collect();
    report.garbage_blobs = garbage.len() as u64;
    report.garbage_bytes = garbage.iter().map(|(_, s)| s).sum();
    report.staging_files = std::fs::read_dir(node.store.root().join("tmp"))
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    let orphans = check_quarantine(node, &mut report)?;
    report.quarantine_orphans = orphans.len() as u64;
    if gc {
        for (id, _) in &garbage {
            node.store.remove(id)?;
        }
        node.store.clean_tmp()?;
        for path in &orphans {
            std::fs::remove_file(path).map_err(|e| StoreError::Io {
                op: "remove an orphaned quarantine file",
                path: path.clone(),
                source: e,
            })?;
        }
        report.collected = true;
    }
    Ok(report)
}

/// Every quarantine entry has its file (a missing one is a problem: the instance is lost);
/// the files of `quarantine/` no entry names are returned (orphans, harmless).
fn check_quarantine(
    node: &Node,
    report: &mut FsckReport,
) -> Result<Vec<std::path::PathBuf>, FsckError> {
    let entries = node.catalog.quarantine_list(None)?;
    let mut named = HashSet::new();
    for e in &entries {
        match node.home.quarantine_path(&e.id) {
            Ok(path) if path.is_file() => {
                report.quarantine_checked += 1;
                named.insert(path);
            }
            Ok(_) => report.problems.push(format!(
                "quarantined instance {} has no file in quarantine/",
                e.id
            )),
            Err(_) => report
                .problems
                .push(format!("quarantine entry with a malformed id {:?}", e.id)),
        }
    }
    let Ok(dir) = std::fs::read_dir(node.home.quarantine_dir()) else {
        return Ok(Vec::new()); // no quarantine yet
    };
    Ok(dir
        .filter_map(Result::ok)
        .map(|d| d.path())
        .filter(|p| p.is_file() && !named.contains(p))
        .collect())
}

/// The home's root, what lies directly in it, and its `keys/` tree, where their mode lets the
/// group or others in.
fn permission_problems(home: &crate::Home) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        use std::path::Path;
        let mode = |p: &Path| std::fs::symlink_metadata(p).map(|m| m.permissions().mode() & 0o777);
        if let Ok(m) = mode(home.root()) {
            if m != 0o700 {
                out.push(format!(
                    "the home {} has mode {m:o}, not 700 (owner only)",
                    home.root().display()
                ));
            }
        }
        // Everything in the home (catalog, index, grants, keys...), the blob folder itself but
        // not each blob (millions of them, written the same way).
        let keys = home.keys_dir();
        let blobs = home.blobs_dir();
        let mut stack = vec![home.root().to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                if let Ok(m) = mode(&p) {
                    if m & 0o077 != 0 {
                        out.push(match (p.starts_with(&keys), is_dir) {
                            (true, true) => format!(
                                "the key folder {} has mode {m:o}: open to other accounts (want 700)",
                                p.display()
                            ),
                            (true, false) => format!(
                                "the key file {} has mode {m:o}: readable by other accounts (want 600)",
                                p.display()
                            ),
                            (false, d) => format!(
                                "{} has mode {m:o}: open to other accounts (want {})",
                                p.display(),
                                if d { "700" } else { "600" }
                            ),
                        });
                    }
                }
                if is_dir && p != blobs {
                    stack.push(p);
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = home;
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn fsck_reports_keys_open_to_others_and_a_home_that_is_not_owner_only() {
        // As the binary does first: whatever this process creates is owner-only.
        crate::owner_only_files();
        let dir = tempfile::tempdir().unwrap();
        let home = crate::Home::new(dir.path().join("h"));
        let node = home.init("Rennes Neurinfo", None).unwrap();
        assert!(
            fsck(&node, false).unwrap().is_clean(),
            "a fresh home is owner-only"
        );
        let key = home.secret_key_path();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(home.keys_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(home.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let catalog = home.catalog_path();
        std::fs::set_permissions(&catalog, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = fsck(&node, false).unwrap();
        let text = r.problems.join("\n");
        assert!(text.contains("secret.key has mode 644"), "{text}");
        assert!(
            text.contains("has mode 755: open to other accounts"),
            "{text}"
        );
        assert!(text.contains("has mode 755, not 700"), "{text}");
        assert!(
            text.contains(&format!("{} has mode 644", catalog.display())),
            "{text}"
        );
        assert_eq!(r.problems.len(), 4, "{text}");
    }
}
