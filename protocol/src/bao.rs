//! Verified streaming primitives (bao over blake3), shared by both ends of a content transfer.
//!
//! A blob's blake3 tree is cut in chunk groups of 16 KiB ([`BLOCK_SIZE`], [`GROUP_BYTES`]); its
//! *outboard* is the list of hash pairs of the tree's inner nodes in pre-order, [`PAIR_BYTES`]
//! per pair (~0.4% of the blob). The root of the tree is the blob's [`ContentId`](crate::ContentId),
//! so an outboard proves itself against the id it is asked for.
//!
//! - [`tree`], [`leaf_hash`], [`parent_hash`], [`split_pair`], [`compute`]: the tree of a blob
//!   and the hashes of its nodes.
//! - [`covered_groups`], [`byte_ranges`], [`chunk_ranges`]: which groups a request covers, the
//!   same on both ends ([`SIZE_PROOF`] asks for the last group of a blob of unknown size).
//! - [`Decoder`]: the receiving half, a push decoder that checks every pair and every group as
//!   its bytes arrive and hands them to a [`Sink`].
//!
//! No I/O: the functions take bytes (or any [`std::io::Read`] the caller gives) and return
//! hashes; where bytes go is the caller's [`Sink`].

use std::io::{self, Read};

use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::{BaoTree, BlockSize};

mod decode;
mod ranges;

pub use bao_tree::{ChunkRanges, TreeNode};
pub use decode::{DecodeError, Decoder, Sink, VerifyError};
pub use ranges::{byte_ranges, chunk_ranges, covered_groups, group_count, truncated, SIZE_PROOF};

/// Chunk groups of 2^4 blake3 chunks: 16 KiB.
pub const BLOCK_SIZE: BlockSize = BlockSize::from_chunk_log(4);
/// Bytes in one chunk group.
pub const GROUP_BYTES: u64 = 16 * 1024;
/// Bytes of one hash pair in an outboard.
pub const PAIR_BYTES: u64 = 64;

/// The tree of a blob of `size` bytes.
pub fn tree(size: u64) -> BaoTree {
    BaoTree::new(size, BLOCK_SIZE)
}

/// The blake3 chaining value of the subtree made of `data` starting at chunk `start_chunk`
/// (the hash itself when `is_root`).
pub fn leaf_hash(start_chunk: u64, data: &[u8], is_root: bool) -> blake3::Hash {
    use blake3::hazmat::HasherExt;
    if is_root {
        return blake3::hash(data);
    }
    let mut h = blake3::Hasher::new();
    h.set_input_offset(start_chunk * 1024);
    h.update(data);
    blake3::Hash::from(h.finalize_non_root())
}

/// The chaining value of a parent node from its children (the hash itself when `is_root`).
pub fn parent_hash(left: &blake3::Hash, right: &blake3::Hash, is_root: bool) -> blake3::Hash {
    use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, Mode};
    if is_root {
        merge_subtrees_root(left.as_bytes(), right.as_bytes(), Mode::Hash)
    } else {
        blake3::Hash::from(merge_subtrees_non_root(
            left.as_bytes(),
            right.as_bytes(),
            Mode::Hash,
        ))
    }
}

/// Split 64 bytes into a hash pair.
pub fn split_pair(bytes: &[u8; 64]) -> (blake3::Hash, blake3::Hash) {
    let mut l = [0u8; 32];
    let mut r = [0u8; 32];
    l.copy_from_slice(&bytes[..32]);
    r.copy_from_slice(&bytes[32..]);
    (blake3::Hash::from(l), blake3::Hash::from(r))
}

/// Hash `data` (exactly `tree.size()` bytes) into its root hash and pre-order outboard.
pub fn compute(data: impl Read, tree: BaoTree) -> io::Result<(blake3::Hash, Vec<u8>)> {
    let len = usize::try_from(tree.outboard_size())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "outboard too large"))?;
    let mut ob = PreOrderOutboard {
        root: blake3::hash(&[]),
        tree,
        data: vec![0u8; len],
    };
    let root = bao_tree::io::sync::outboard(data, tree, &mut ob)?;
    Ok((root, ob.data))
}
