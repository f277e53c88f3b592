//! The content-addressed blob store.
//!
//! A blob is named by the blake3 hash of its bytes ([`ContentId`]) and lives at
//! `blobs/<h0h1>/<64 hex digits>`: 256 shard folders, created once when the store is opened, so
//! that storing a blob never creates a folder (a second level would create one folder per blob
//! for the first tens of thousands of blobs, each one more metadata write to make durable; ext4
//! and xfs index large folders, so 256 shards serve tens of millions of blobs). Blobs are
//! immutable; writing the same bytes twice stores them once.
//!
//! ## Durability, and why it is batched
//! Import writes many small blobs (one per DICOM instance). Making each durable with its own
//! `fsync` costs one journal commit per file. Instead, blobs are *staged*: written to
//! `blobs/tmp/` without any sync. [`BlobStore::commit`] then makes a whole batch (one or more
//! series) durable at once:
//! 1. sync the staged data (one `syncfs(2)` of the store's file system, or with
//!    [`Durability::FsyncEach`] one `fsync` per file),
//! 2. rename each staged file to its final name,
//! 3. sync again so the renames themselves are durable.
//!
//! Only then may the catalog transaction that references the batch commit. Because data is durable
//! before it is renamed, a file under its final name is always complete, even after a power cut;
//! a crash before step 2 leaves only files in `tmp/`, which [`BlobStore::clean_tmp`] removes.
//! `docs/BENCHMARKS.md` has the measured cost of each [`Durability`] mode.
//!
//! The store never interprets blob contents and never learns where they came from.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use protocol::ContentId;

/// How [`BlobStore::commit`] makes a batch durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// One `syncfs(2)` before and one after the renames (Linux). The default.
    #[default]
    Syncfs,
    /// `fsync` every staged file, rename, then `fsync` every directory touched. Portable, slow.
    FsyncEach,
    /// No sync at all: for throwaway stores and benchmarks only. A power cut may lose data.
    None,
}

/// A store error, with the path or blob it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A blob that should exist does not.
    #[error("blob {0} is missing from the store")]
    Missing(ContentId),
    /// A blob's bytes no longer hash to its id.
    #[error("blob {0} is corrupt (its bytes do not hash to its id): run `neurofed fsck`")]
    Corrupt(ContentId),
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// A blob written to `tmp/` and not yet durable nor visible under its final name.
#[derive(Debug)]
pub struct Staged {
    /// The blob's id.
    pub id: ContentId,
    /// Its size in bytes.
    pub size: u64,
    /// Where it waits; `None` when the store already held the blob and nothing was written.
    tmp: Option<PathBuf>,
}

impl Staged {
    /// Where the bytes are now: the staging file, or the blob when it was already stored.
    pub fn current_path(&self, store: &BlobStore) -> PathBuf {
        self.tmp.clone().unwrap_or_else(|| store.path(&self.id))
    }

    /// True when the store already held these bytes and nothing new was written.
    pub fn already_stored(&self) -> bool {
        self.tmp.is_none()
    }
}

/// The blob store under one directory.
#[derive(Debug)]
pub struct BlobStore {
    root: PathBuf,
    tmp: PathBuf,
    durability: Durability,
    counter: AtomicU64,
}

impl BlobStore {
    /// Open (creating if needed) the store rooted at `root`.
    pub fn open(root: &Path, durability: Durability) -> Result<Self, StoreError> {
        let tmp = root.join("tmp");
        fs::create_dir_all(&tmp).map_err(io_err("create", &tmp))?;
        for shard in 0..=255u8 {
            let d = root.join(hex::encode([shard]));
            if !d.is_dir() {
                fs::create_dir_all(&d).map_err(io_err("create", &d))?;
            }
        }
        // syncfs(2) is Linux-only; elsewhere the portable mode gives the same guarantee.
        let durability = if cfg!(target_os = "linux") || durability != Durability::Syncfs {
            durability
        } else {
            Durability::FsyncEach
        };
        Ok(BlobStore {
            root: root.to_path_buf(),
            tmp,
            durability,
            counter: AtomicU64::new(0),
        })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The durability mode of [`BlobStore::commit`].
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Where the blob `id` lives (whether or not it exists).
    pub fn path(&self, id: &ContentId) -> PathBuf {
        let hex = id.to_hex();
        self.root.join(&hex[0..2]).join(hex)
    }

    /// Whether the blob is in the store under its final name.
    pub fn contains(&self, id: &ContentId) -> bool {
        self.path(id).is_file()
    }

    /// Hash `bytes` and, unless the store already holds them, write them to `tmp/`.
    /// Nothing is durable or visible until [`BlobStore::commit`].
    pub fn stage(&self, bytes: &[u8]) -> Result<Staged, StoreError> {
        let id = ContentId::of(bytes);
        let size = bytes.len() as u64;
        if self.contains(&id) {
            return Ok(Staged {
                id,
                size,
                tmp: None,
            });
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .tmp
            .join(format!("{}-{}-{n}", id.short(16), std::process::id()));
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(bytes).map_err(io_err("write", &tmp))?;
        if self.durability == Durability::FsyncEach {
            f.sync_data().map_err(io_err("fsync", &tmp))?;
        }
        Ok(Staged {
            id,
            size,
            tmp: Some(tmp),
        })
    }

    /// Stage a file already written inside the store's folder (a download verified against
    /// `id` as it arrived, under `tmp/fetch/`): the caller vouches that its bytes hash to `id`
    /// and, with [`Durability::FsyncEach`], that they are synced. Committed like [`Self::stage`]d
    /// bytes; when the store already holds the blob, the file is removed.
    pub fn stage_file(&self, path: PathBuf, id: ContentId, size: u64) -> Staged {
        if self.contains(&id) {
            let _ = fs::remove_file(&path);
            return Staged {
                id,
                size,
                tmp: None,
            };
        }
        Staged {
            id,
            size,
            tmp: Some(path),
        }
    }

    /// Make a batch of staged blobs durable under their final names (see the module doc).
    /// When this returns `Ok`, every blob of the batch survives a power cut.
    pub fn commit(&self, batch: Vec<Staged>) -> Result<(), StoreError> {
        let pending: Vec<(PathBuf, ContentId)> = batch
            .into_iter()
            .filter_map(|s| s.tmp.map(|t| (t, s.id)))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        if self.durability == Durability::Syncfs {
            self.syncfs()?;
        }
        let mut dirs = BTreeSet::new();
        for (tmp, id) in pending {
            let dest = self.path(&id);
            let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
            if dest.exists() {
                // Another batch (or a duplicate in this one) already stored these bytes.
                fs::remove_file(&tmp).map_err(io_err("remove", &tmp))?;
                continue;
            }
            fs::rename(&tmp, &dest).map_err(io_err("rename", &dest))?;
            dirs.insert(dir);
        }
        match self.durability {
            Durability::Syncfs => self.syncfs()?,
            Durability::FsyncEach => {
                dirs.insert(self.root.clone());
                for d in dirs {
                    sync_dir(&d)?;
                }
            }
            Durability::None => {}
        }
        Ok(())
    }

    /// Drop a staged blob that will not be committed.
    pub fn discard(&self, staged: Staged) -> Result<(), StoreError> {
        match staged.tmp {
            Some(t) => fs::remove_file(&t).map_err(io_err("remove", &t)),
            None => Ok(()),
        }
    }

    /// Store `bytes` durably right away (stage + commit of one blob).
    pub fn put(&self, bytes: &[u8]) -> Result<ContentId, StoreError> {
        let s = self.stage(bytes)?;
        let id = s.id;
        self.commit(vec![s])?;
        Ok(id)
    }

    #[cfg(target_os = "linux")]
    fn syncfs(&self) -> Result<(), StoreError> {
        let dir = File::open(&self.root).map_err(io_err("open", &self.root))?;
        rustix::fs::syncfs(&dir).map_err(|e| StoreError::Io {
            op: "syncfs",
            path: self.root.clone(),
            source: e.into(),
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn syncfs(&self) -> Result<(), StoreError> {
        unreachable_syncfs()
    }

    /// Read a whole blob.
    pub fn read(&self, id: &ContentId) -> Result<Vec<u8>, StoreError> {
        let p = self.path(id);
        fs::read(&p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::Missing(*id)
            } else {
                StoreError::Io {
                    op: "read",
                    path: p.clone(),
                    source: e,
                }
            }
        })
    }

    /// Read a whole blob and check that its bytes still hash to its id.
    pub fn read_verified(&self, id: &ContentId) -> Result<Vec<u8>, StoreError> {
        let bytes = self.read(id)?;
        if ContentId::of(&bytes) != *id {
            return Err(StoreError::Corrupt(*id));
        }
        Ok(bytes)
    }

    /// Open a blob for streaming.
    pub fn open_blob(&self, id: &ContentId) -> Result<File, StoreError> {
        let p = self.path(id);
        File::open(&p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::Missing(*id)
            } else {
                StoreError::Io {
                    op: "open",
                    path: p.clone(),
                    source: e,
                }
            }
        })
    }

    /// Re-hash a stored blob, streaming. Returns the id its bytes actually hash to and its size.
    pub fn rehash(&self, id: &ContentId) -> Result<(ContentId, u64), StoreError> {
        let p = self.path(id);
        let mut f = self.open_blob(id)?;
        let mut h = blake3::Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(io_err("read", &p))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            h.update(&buf[..n]);
        }
        Ok((ContentId::from_hasher(&h), size))
    }

    /// Every blob file under its final name, as `(id, path)`; a file whose name is not a content
    /// id is reported as `Err(path)`.
    pub fn list(&self) -> impl Iterator<Item = Result<(ContentId, PathBuf), PathBuf>> + '_ {
        walkdir::WalkDir::new(&self.root)
            .min_depth(2)
            .max_depth(2)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            // Staged files are not blobs yet (walkdir's filter_entry does not see entries above
            // min_depth, so the staging folder is excluded here).
            .filter(|e| e.file_type().is_file() && e.path().parent() != Some(self.tmp.as_path()))
            .map(|e| {
                let p = e.into_path();
                let id = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.parse::<ContentId>().ok());
                match id {
                    Some(id) if self.path(&id) == p => Ok((id, p)),
                    _ => Err(p),
                }
            })
    }

    /// Remove leftovers of interrupted imports from `tmp/`. Only call while holding the node's
    /// import lock (`Node::import_lock`), so that no import is staging. Returns how many files.
    pub fn clean_tmp(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for e in fs::read_dir(&self.tmp).map_err(io_err("read", &self.tmp))? {
            let e = e.map_err(io_err("read", &self.tmp))?;
            let p = e.path();
            if p.is_file() {
                fs::remove_file(&p).map_err(io_err("remove", &p))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Remove a blob (garbage collection of unreferenced blobs only).
    pub fn remove(&self, id: &ContentId) -> Result<(), StoreError> {
        let p = self.path(id);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Io {
                op: "remove",
                path: p,
                source: e,
            }),
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn unreachable_syncfs() -> Result<(), StoreError> {
    // `open` never keeps Durability::Syncfs off Linux.
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let f = File::open(dir).map_err(io_err("open", dir))?;
    f.sync_all().map_err(io_err("fsync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modes() -> [Durability; 3] {
        [Durability::Syncfs, Durability::FsyncEach, Durability::None]
    }

    #[test]
    fn stage_commit_read_dedup() {
        for mode in modes() {
            let dir = tempfile::tempdir().unwrap();
            let store = BlobStore::open(dir.path(), mode).unwrap();
            let a = store.stage(b"alpha").unwrap();
            let a2 = store.stage(b"alpha").unwrap(); // same bytes staged twice in one batch
            let b = store.stage(b"beta").unwrap();
            let (ida, idb) = (a.id, b.id);
            assert!(!store.contains(&ida), "not visible before commit");
            store.commit(vec![a, a2, b]).unwrap();
            assert_eq!(store.read(&ida).unwrap(), b"alpha");
            assert_eq!(store.read(&idb).unwrap(), b"beta");
            assert_eq!(store.rehash(&ida).unwrap(), (ida, 5));
            // Now stored: staging again writes nothing.
            assert!(store.stage(b"alpha").unwrap().already_stored());
            assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
            let listed: Vec<_> = store.list().map(|r| r.unwrap().0).collect();
            assert_eq!(listed.len(), 2);
            assert!(listed.contains(&ida) && listed.contains(&idb));
        }
    }

    #[test]
    fn sharded_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let id = store.put(b"hello").unwrap();
        let hex = id.to_hex();
        let expect = dir.path().join(&hex[..2]).join(&hex);
        assert!(expect.is_file());
    }

    #[test]
    fn missing_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let id = ContentId::of(b"nothing");
        assert!(matches!(store.read(&id), Err(StoreError::Missing(_))));
        fs::write(dir.path().join("ab/not-a-hash"), b"x").unwrap();
        assert!(store.list().any(|r| r.is_err()));
    }

    #[test]
    fn uncommitted_staging_is_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let s = store.stage(b"interrupted").unwrap();
        assert!(!store.contains(&s.id));
        assert_eq!(
            store.list().count(),
            0,
            "staged files are not listed as blobs"
        );
        assert_eq!(store.clean_tmp().unwrap(), 1);
        assert_eq!(store.list().count(), 0);
    }
}
