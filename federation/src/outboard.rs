//! Bao outboards of stored blobs: the blake3 hash tree that lets a node serve any byte range of
//! a blob so that the receiver verifies every 16 KiB group as it arrives.
//!
//! A blob's tree is cut in chunk groups of 16 KiB ([`protocol::bao::BLOCK_SIZE`]); its *outboard*
//! is the list of hash pairs of the tree's inner nodes in pre-order, 64 bytes per group (~0.4% of
//! the blob). The tree and hash primitives live in [`protocol::bao`]; this module keeps them.
//! The root of the tree is the blob's content id, so an outboard proves itself: [`Outboards`]
//! never hands out one whose root pair does not hash to the id it is stored under, and the
//! serving side checks every pair it sends against its parent (`federation::transfer`).
//!
//! Outboards are derived data, kept beside the store as
//! `blobs/outboards/<h0h1>/<hex>.obao4` (one level deeper than blobs, so that the store's
//! listing and `fsck` never mistake them for blobs). They are written atomically (temp file,
//! rename) but not synced: a torn or lost file fails its checks and is computed again from the
//! blob. Blobs of at most [`INLINE_MAX`] bytes (DICOM instances, manifests) get their outboard
//! computed in memory when served (hashing 1 MiB costs ~0.3 ms) instead of one more file each;
//! blobs of one group have no inner node at all.
//!
//! This module never changes a blob.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bao_tree::io::sync::Outboard;
use bao_tree::{BaoTree, TreeNode};
use node::BlobStore;
use protocol::bao::{compute, parent_hash, split_pair, tree, PAIR_BYTES};
use protocol::ContentId;

/// Largest blob whose outboard is computed in memory when needed rather than stored.
pub const INLINE_MAX: u64 = 1 << 20;
/// An outboard error, with the blob it concerns.
#[derive(Debug, thiserror::Error)]
pub enum OutboardError {
    /// The blob is not in the store.
    #[error("blob {0} is missing from the store")]
    Missing(ContentId),
    /// The blob's bytes do not hash to its name: the store is damaged.
    #[error("blob {id} is corrupt: its bytes hash to {actual} (run `neurofed fsck`)")]
    BlobCorrupt {
        /// The blob.
        id: ContentId,
        /// What its bytes hash to.
        actual: ContentId,
    },
    /// An outboard offered for a blob does not belong to it.
    #[error("outboard of blob {id} is not its tree: {reason}")]
    Mismatch {
        /// The blob.
        id: ContentId,
        /// What is wrong.
        reason: &'static str,
    },
    /// An I/O operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> OutboardError + 'a {
    move |source| OutboardError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Where the hash pairs of an outboard are.
#[derive(Debug)]
enum Pairs {
    Mem(Vec<u8>),
    File(File),
}

/// The outboard of one blob, whose root pair has been checked against the blob's id.
#[derive(Debug)]
pub struct BlobOutboard {
    id: ContentId,
    tree: BaoTree,
    pairs: Pairs,
}

impl BlobOutboard {
    /// The blob.
    pub fn id(&self) -> ContentId {
        self.id
    }

    /// The blob's tree (its size and group size).
    pub fn tree(&self) -> BaoTree {
        self.tree
    }

    /// Whether the pairs are in memory (small blobs) rather than in a file.
    pub fn is_inline(&self) -> bool {
        matches!(self.pairs, Pairs::Mem(_))
    }

    /// Read outboard bytes at `offset` (a multiple of 64 for whole pairs); returns how many
    /// bytes were read (short only at the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match &self.pairs {
            Pairs::Mem(v) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(v.len());
                let n = buf.len().min(v.len() - start);
                buf[..n].copy_from_slice(&v[start..start + n]);
                Ok(n)
            }
            Pairs::File(f) => {
                let mut done = 0;
                while done < buf.len() {
                    match f.read_at(&mut buf[done..], offset + done as u64) {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(done)
            }
        }
    }
}

impl Outboard for BlobOutboard {
    fn root(&self) -> blake3::Hash {
        blake3::Hash::from(*self.id.as_bytes())
    }

    fn tree(&self) -> BaoTree {
        self.tree
    }

    fn load(&self, node: TreeNode) -> io::Result<Option<(blake3::Hash, blake3::Hash)>> {
        let Some(index) = self.tree.pre_order_offset(node) else {
            return Ok(None);
        };
        let mut pair = [0u8; 64];
        if self.read_at(index * PAIR_BYTES, &mut pair)? < pair.len() {
            pair = [0u8; 64]; // never verifies: treated as a damaged node
        }
        Ok(Some(split_pair(&pair)))
    }
}

/// Check that the first pair of a pre-order outboard is the root of blob `id`.
fn root_matches(id: &ContentId, first_pair: &[u8; 64]) -> bool {
    let (l, r) = split_pair(first_pair);
    parent_hash(&l, &r, true).as_bytes() == id.as_bytes()
}

/// The outboards of a store's blobs.
#[derive(Debug)]
pub struct Outboards {
    dir: PathBuf,
    counter: AtomicU64,
}

impl Outboards {
    /// The outboards beside `store` (`blobs/outboards/`), created if needed.
    pub fn open(store: &BlobStore) -> Result<Self, OutboardError> {
        let dir = store.root().join("outboards");
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        Ok(Outboards {
            dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Where the stored outboard of `id` lives (whether or not it exists).
    pub fn path(&self, id: &ContentId) -> PathBuf {
        let hex = id.to_hex();
        self.dir.join(&hex[..2]).join(format!("{hex}.obao4"))
    }

    /// The outboard of a stored blob: read from its file when present and sound, else computed
    /// from the blob (and stored when the blob is larger than [`INLINE_MAX`]). Computing hashes
    /// the whole blob, which also proves the blob sound.
    pub fn get(&self, store: &BlobStore, id: &ContentId) -> Result<BlobOutboard, OutboardError> {
        let blob = store.path(id);
        let size = match fs::metadata(&blob) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(OutboardError::Missing(*id))
            }
            Err(e) => return Err(io_err("stat", &blob)(e)),
        };
        let tree = tree(size);
        if tree.outboard_size() == 0 {
            // One group: the root is the hash of the data, no inner node.
            return Ok(BlobOutboard {
                id: *id,
                tree,
                pairs: Pairs::Mem(Vec::new()),
            });
        }
        if size > INLINE_MAX {
            if let Some(ob) = self.load(id, tree)? {
                return Ok(ob);
            }
        }
        self.create(store, id)
    }

    /// Load the stored outboard of `id` for `tree`, if present and its root pair matches.
    /// A stored file that does not match is removed.
    fn load(&self, id: &ContentId, tree: BaoTree) -> Result<Option<BlobOutboard>, OutboardError> {
        let path = self.path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("open", &path)(e)),
        };
        let len = file.metadata().map_err(io_err("stat", &path))?.len();
        let mut first = [0u8; 64];
        let sound = len == tree.outboard_size()
            && file.read_exact_at(&mut first, 0).is_ok()
            && root_matches(id, &first);
        if !sound {
            tracing::warn!(blob = %id, "stored outboard does not match its blob: computing it again");
            let _ = fs::remove_file(&path);
            return Ok(None);
        }
        Ok(Some(BlobOutboard {
            id: *id,
            tree,
            pairs: Pairs::File(file),
        }))
    }

    /// Compute the outboard of a stored blob by hashing it (streaming, 1 MiB reads); refuse if
    /// the blob does not hash to its id; store it when larger than [`INLINE_MAX`].
    pub fn create(&self, store: &BlobStore, id: &ContentId) -> Result<BlobOutboard, OutboardError> {
        let path = store.path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(OutboardError::Missing(*id))
            }
            Err(e) => return Err(io_err("open", &path)(e)),
        };
        let size = file.metadata().map_err(io_err("stat", &path))?.len();
        let tree = tree(size);
        let (root, pairs) = compute(BufReader::with_capacity(1 << 20, file), tree)
            .map_err(io_err("read", &path))?;
        let actual = ContentId::from(root);
        if actual != *id {
            return Err(OutboardError::BlobCorrupt { id: *id, actual });
        }
        if size > INLINE_MAX {
            self.write(id, &pairs)?;
        }
        Ok(BlobOutboard {
            id: *id,
            tree,
            pairs: Pairs::Mem(pairs),
        })
    }

    fn write(&self, id: &ContentId, pairs: &[u8]) -> Result<(), OutboardError> {
        let dest = self.path(id);
        let dir = dest.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.tmp-{}-{n}", id.short(16), std::process::id()));
        fs::write(&tmp, pairs).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, &dest).map_err(io_err("rename", &dest))
    }

    /// Adopt a complete pre-order outboard file (received with a fetched blob, every pair of it
    /// verified on arrival) for blob `id` of `size` bytes. The file is moved, not copied; it is
    /// refused (and left in place) unless its length and root pair match. Blobs of at most
    /// [`INLINE_MAX`] bytes keep no outboard: the file is removed.
    pub fn adopt(&self, id: &ContentId, size: u64, file: &Path) -> Result<(), OutboardError> {
        let tree = tree(size);
        if size <= INLINE_MAX || tree.outboard_size() == 0 {
            let _ = fs::remove_file(file);
            return Ok(());
        }
        let f = File::open(file).map_err(io_err("open", file))?;
        let len = f.metadata().map_err(io_err("stat", file))?.len();
        if len != tree.outboard_size() {
            return Err(OutboardError::Mismatch {
                id: *id,
                reason: "its length is not that of the blob's tree",
            });
        }
        let mut first = [0u8; 64];
        f.read_exact_at(&mut first, 0)
            .map_err(io_err("read", file))?;
        if !root_matches(id, &first) {
            return Err(OutboardError::Mismatch {
                id: *id,
                reason: "its root pair does not hash to the blob's id",
            });
        }
        let dest = self.path(id);
        let dir = dest.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        fs::rename(file, &dest).map_err(io_err("rename", &dest))
    }

    /// Drop the stored outboard of `id` (found damaged while serving, or the blob removed).
    pub fn remove(&self, id: &ContentId) -> Result<(), OutboardError> {
        let p = self.path(id);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &p)(e)),
        }
    }
}

/// An outboard held in memory, for tests and for blobs built in memory.
pub fn in_memory(id: ContentId, bytes: &[u8]) -> io::Result<BlobOutboard> {
    let tree = tree(bytes.len() as u64);
    let (_, pairs) = compute(bytes, tree)?;
    Ok(BlobOutboard {
        id,
        tree,
        pairs: Pairs::Mem(pairs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::Durability;

    fn bytes(n: usize, seed: u8) -> Vec<u8> {
        let mut out = vec![0u8; n];
        blake3::Hasher::new()
            .update(&[seed])
            .finalize_xof()
            .fill(&mut out);
        out
    }

    #[test]
    fn root_is_the_content_id() {
        for n in [0, 1, 1024, 16 * 1024, 16 * 1024 + 1, 100_000, 3 << 20] {
            let data = bytes(n, 1);
            let (root, pairs) = compute(data.as_slice(), tree(n as u64)).unwrap();
            assert_eq!(root, blake3::hash(&data), "size {n}");
            assert_eq!(pairs.len() as u64, tree(n as u64).outboard_size());
        }
    }

    #[test]
    fn stored_once_checked_and_recomputed_when_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let obs = Outboards::open(&store).unwrap();
        let small = store.put(&bytes(100_000, 2)).unwrap();
        let big = store.put(&bytes(3 << 20, 3)).unwrap();

        let ob = obs.get(&store, &small).unwrap();
        assert!(ob.is_inline());
        assert!(
            !obs.path(&small).exists(),
            "small blobs keep no outboard file"
        );

        obs.get(&store, &big).unwrap();
        let p = obs.path(&big);
        assert!(p.is_file());
        assert_eq!(
            fs::metadata(&p).unwrap().len(),
            tree(3 << 20).outboard_size()
        );
        assert!(!obs.get(&store, &big).unwrap().is_inline(), "read back");
        assert_eq!(store.list().count(), 2, "outboards are not blobs");

        // A damaged root pair is refused and the outboard computed again.
        let mut raw = fs::read(&p).unwrap();
        raw[0] ^= 1;
        fs::write(&p, &raw).unwrap();
        let ob = obs.get(&store, &big).unwrap();
        assert!(ob.is_inline(), "recomputed");
        let mut first = [0u8; 64];
        ob.read_at(0, &mut first).unwrap();
        assert!(root_matches(&big, &first));
        assert_ne!(fs::read(&p).unwrap(), raw);
    }

    #[test]
    fn corrupt_blob_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let obs = Outboards::open(&store).unwrap();
        let id = store.put(&bytes(200_000, 4)).unwrap();
        let mut raw = fs::read(store.path(&id)).unwrap();
        raw[150_000] ^= 0x40;
        fs::write(store.path(&id), &raw).unwrap();
        assert!(matches!(
            obs.get(&store, &id),
            Err(OutboardError::BlobCorrupt { .. })
        ));
    }

    #[test]
    fn adopt_checks_length_and_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path(), Durability::None).unwrap();
        let obs = Outboards::open(&store).unwrap();
        let data = bytes(2 << 20, 5);
        let id = ContentId::of(&data);
        let (_, pairs) = compute(data.as_slice(), tree(data.len() as u64)).unwrap();
        let f = dir.path().join("received.obao4");
        let mut bad = pairs.clone();
        bad[10] ^= 1;
        fs::write(&f, &bad).unwrap();
        assert!(obs.adopt(&id, data.len() as u64, &f).is_err());
        fs::write(&f, &pairs[..64]).unwrap();
        assert!(obs.adopt(&id, data.len() as u64, &f).is_err());
        fs::write(&f, &pairs).unwrap();
        obs.adopt(&id, data.len() as u64, &f).unwrap();
        assert_eq!(fs::read(obs.path(&id)).unwrap(), pairs);
    }
}
