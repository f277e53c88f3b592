//! A blob being fetched: its partial data and outboard on disk, and how much of it is valid.
//!
//! Under `blobs/tmp/fetch/` (in the store's file system, so finishing is a rename; below the
//! staging folder's top level, so `clean_tmp` keeps it across imports):
//! `<hex>-<size>.data`, the blob's bytes at their offsets (a sparse file), and
//! `<hex>-<size>.obao4`, its pre-order outboard, where every hash pair is written once it has
//! been checked against its parent. Received bytes are written as they arrive, verified or not:
//! what is valid is never recorded, it is recomputed on resume by checking the data against the
//! stored pairs from the content id down (bao's `valid_ranges`). So nothing on disk is trusted,
//! a torn write only costs its group, and a fetch interrupted anywhere (stream dropped, task
//! aborted, process killed) resumes from every group it had verified and written: at most the
//! group in flight is fetched again.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::{BaoTree, ChunkRanges, TreeNode};
use node::BlobStore;
use node::{Durability, Staged};
use protocol::bao::{GROUP_BYTES, PAIR_BYTES};
use protocol::ContentId;

use protocol::bao::group_count;
use protocol::bao::Sink;

/// The on-disk state of one blob being fetched.
#[derive(Debug)]
pub(crate) struct PartialBlob {
    pub(crate) id: ContentId,
    pub(crate) size: u64,
    pub(crate) tree: BaoTree,
    data: PathBuf,
    outboard: PathBuf,
}

/// Where partial fetches live in a store.
pub(crate) fn fetch_dir(store_root: &Path) -> PathBuf {
    store_root.join("tmp").join("fetch")
}

impl PartialBlob {
    /// The partial state of blob `id` of `size` bytes in the store at `store_root`: created
    /// empty, or resumed. Returns it with the group ranges already valid. Partial files of the
    /// same blob with another size (from a peer that lied about it) are removed.
    pub(crate) fn open(
        store_root: &Path,
        id: ContentId,
        size: u64,
    ) -> io::Result<(Self, Vec<Range<u64>>)> {
        let dir = fetch_dir(store_root);
        fs::create_dir_all(&dir)?;
        let hex = id.to_hex();
        let stem = format!("{hex}-{size}");
        for e in fs::read_dir(&dir)? {
            let name = e?.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&hex) && !name.starts_with(&format!("{stem}.")) {
                let _ = fs::remove_file(dir.join(name.as_ref()));
            }
        }
        let tree = protocol::bao::tree(size);
        let p = PartialBlob {
            id,
            size,
            tree,
            data: dir.join(format!("{stem}.data")),
            outboard: dir.join(format!("{stem}.obao4")),
        };
        let valid = if p.data.is_file() {
            p.valid_groups()?
        } else {
            Vec::new()
        };
        p.create_files()?;
        Ok((p, valid))
    }

    fn create_files(&self) -> io::Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.data)?;
        if f.metadata()?.len() != self.size {
            f.set_len(self.size)?;
        }
        let ob_len = self.tree.outboard_size();
        if ob_len > 0 {
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&self.outboard)?;
            if f.metadata()?.len() != ob_len {
                f.set_len(ob_len)?;
            }
        }
        Ok(())
    }

    /// Groups whose bytes on disk verify against the stored pairs and the content id.
    fn valid_groups(&self) -> io::Result<Vec<Range<u64>>> {
        let data = File::open(&self.data)?;
        let pairs = if self.tree.outboard_size() > 0 {
            match File::open(&self.outboard) {
                Ok(f) => Some(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let root = blake3::Hash::from(*self.id.as_bytes());
        let all = ChunkRanges::all();
        let chunks: Vec<Range<bao_tree::ChunkNum>> = match pairs {
            Some(f) => {
                let ob = PreOrderOutboard {
                    root,
                    tree: self.tree,
                    data: f,
                };
                bao_tree::io::sync::valid_ranges(ob, &data, &all)
                    .into_iter()
                    .collect::<io::Result<_>>()?
            }
            None => {
                let ob = PreOrderOutboard {
                    root,
                    tree: self.tree,
                    data: Vec::<u8>::new(),
                };
                bao_tree::io::sync::valid_ranges(ob, &data, &all)
                    .into_iter()
                    .collect::<io::Result<_>>()?
            }
        };
        let per_group = GROUP_BYTES / 1024;
        let n = group_count(self.size);
        let mut out: Vec<Range<u64>> = Vec::new();
        for r in chunks {
            let g = r.start.0 / per_group..r.end.0.div_ceil(per_group).min(n);
            if g.start >= g.end {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.end >= g.start => last.end = last.end.max(g.end),
                _ => out.push(g),
            }
        }
        Ok(out)
    }

    /// Open the files for writing received bytes.
    pub(crate) fn writer(&self) -> io::Result<PartialWriter> {
        let data = OpenOptions::new().write(true).open(&self.data)?;
        let outboard = if self.tree.outboard_size() > 0 {
            Some(OpenOptions::new().write(true).open(&self.outboard)?)
        } else {
            None
        };
        Ok(PartialWriter {
            tree: self.tree,
            data,
            outboard,
            verified: 0,
            verified_bytes: 0,
            received: 0,
        })
    }

    /// The blob is complete and verified: hand its outboard to `outboards` and its data to the
    /// store's staging (made durable by the store's commit).
    pub(crate) fn finish(
        self,
        store: &BlobStore,
        outboards: &crate::outboard::Outboards,
    ) -> Result<Staged, FinishError> {
        if store.durability() == Durability::FsyncEach {
            File::open(&self.data)
                .and_then(|f| f.sync_data())
                .map_err(|e| FinishError::Io(self.data.clone(), e))?;
        }
        if self.tree.outboard_size() > 0 {
            outboards.adopt(&self.id, self.size, &self.outboard)?;
        }
        Ok(store.stage_file(self.data, self.id, self.size))
    }
}

/// Why a verified partial blob could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// Syncing the data failed.
    #[error("sync {0}: {1}")]
    Io(PathBuf, io::Error),
    /// The received outboard was refused.
    #[error(transparent)]
    Outboard(#[from] crate::outboard::OutboardError),
}

/// Writes a response's bytes into a partial blob.
#[derive(Debug)]
pub(crate) struct PartialWriter {
    tree: BaoTree,
    data: File,
    outboard: Option<File>,
    /// Groups verified through this writer.
    pub(crate) verified: u64,
    /// Bytes in them.
    pub(crate) verified_bytes: u64,
    /// Data bytes received, verified or not.
    pub(crate) received: u64,
}

impl Sink for PartialWriter {
    fn pair(&mut self, node: TreeNode, pair: &[u8; 64]) -> io::Result<()> {
        if let (Some(f), Some(index)) = (&self.outboard, self.tree.pre_order_offset(node)) {
            f.write_all_at(pair, index * PAIR_BYTES)?;
        }
        Ok(())
    }

    fn data(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.received += bytes.len() as u64;
        self.data.write_all_at(bytes, offset)
    }

    fn verified(&mut self, _offset: u64, len: u64) -> io::Result<()> {
        self.verified += 1;
        self.verified_bytes += len;
        Ok(())
    }
}

/// A sink that only verifies (for a size proof).
#[derive(Debug, Default)]
pub(crate) struct Discard;

impl Sink for Discard {
    fn pair(&mut self, _: TreeNode, _: &[u8; 64]) -> io::Result<()> {
        Ok(())
    }
    fn data(&mut self, _: u64, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn verified(&mut self, _: u64, _: u64) -> io::Result<()> {
        Ok(())
    }
}
