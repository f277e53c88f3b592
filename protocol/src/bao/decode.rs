//! The receiving half of verified streaming: a push decoder of a bao-encoded response.
//!
//! Fed with whatever the transport delivers, it checks every hash pair against its parent as
//! soon as its 64 bytes are in, and every 16 KiB group against the hash its parent promised as
//! soon as its last byte is in, hashing each byte once as it passes. Bytes of a group are handed
//! to the [`Sink`] as they arrive (so they are written without being buffered) and the group is
//! reported verified, or the decoder fails, when it ends: a peer that sends one wrong byte is
//! caught at the end of that group.

use super::ranges::truncated;
use super::{parent_hash, split_pair};
use bao_tree::iter::{BaoChunk, ResponseIter};
use bao_tree::{BaoTree, ChunkRanges, TreeNode};

/// Why a response does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A hash pair does not hash to what its parent promised.
    #[error("hash pair of the tree node covering bytes from {offset} does not verify")]
    Parent {
        /// First byte the node covers.
        offset: u64,
    },
    /// A group's bytes do not hash to what its parent promised.
    #[error("the 16 KiB group at byte {offset} does not verify")]
    Group {
        /// Its first byte.
        offset: u64,
    },
    /// The response does not follow the shape of the tree (an internal inconsistency).
    #[error("response does not follow the tree")]
    Shape,
}

/// Where decoded bytes go.
pub trait Sink {
    /// A verified hash pair of an inner node.
    fn pair(&mut self, node: TreeNode, pair: &[u8; 64]) -> std::io::Result<()>;
    /// Bytes of the group being received, not verified yet, at their offset in the blob.
    fn data(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()>;
    /// The group `[offset, offset + len)` is complete and verified.
    fn verified(&mut self, offset: u64, len: u64) -> std::io::Result<()>;
}

/// A decoder error: the peer's bytes, or the sink.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The peer's bytes do not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The sink failed to take verified bytes.
    #[error("writing received bytes: {0}")]
    Sink(#[from] std::io::Error),
}

enum Item {
    Parent {
        node: TreeNode,
        is_root: bool,
        left: bool,
        right: bool,
        buf: [u8; 64],
        got: usize,
    },
    Leaf {
        offset: u64,
        size: usize,
        got: usize,
        is_root: bool,
    },
}

/// Decoder of one response.
pub struct Decoder {
    iter: ResponseIter,
    stack: Vec<blake3::Hash>,
    item: Option<Item>,
    /// Hashes the group being received (one hasher, reset per group).
    hasher: blake3::Hasher,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder of the response for `ranges` of the blob whose tree is `tree` and whose hash is
    /// `root`.
    pub fn new(root: blake3::Hash, tree: BaoTree, ranges: &ChunkRanges) -> Self {
        let ranges = truncated(ranges, tree.size());
        let mut d = Decoder {
            iter: ResponseIter::new(tree, ranges),
            stack: vec![root],
            item: None,
            hasher: blake3::Hasher::new(),
        };
        d.advance();
        d
    }

    /// Whether the whole response has been decoded.
    pub fn is_done(&self) -> bool {
        self.item.is_none()
    }

    fn advance(&mut self) {
        self.item = self.iter.next().map(|chunk| match chunk {
            BaoChunk::Parent {
                node,
                is_root,
                left,
                right,
                ..
            } => Item::Parent {
                node,
                is_root,
                left,
                right,
                buf: [0u8; 64],
                got: 0,
            },
            BaoChunk::Leaf {
                start_chunk,
                size,
                is_root,
                ..
            } => {
                self.hasher = blake3::Hasher::new();
                if !is_root {
                    use blake3::hazmat::HasherExt;
                    self.hasher.set_input_offset(start_chunk.to_bytes());
                }
                Item::Leaf {
                    offset: start_chunk.to_bytes(),
                    size,
                    got: 0,
                    is_root,
                }
            }
        });
    }

    /// Consume bytes of the response; returns how many were used (fewer than given only when
    /// the response ended: the rest belongs to what follows on the stream).
    pub fn feed(&mut self, input: &[u8], sink: &mut impl Sink) -> Result<usize, DecodeError> {
        let mut used = 0;
        while used < input.len() {
            let Some(item) = self.item.as_mut() else {
                break;
            };
            let rest = &input[used..];
            match item {
                Item::Parent {
                    node,
                    is_root,
                    left,
                    right,
                    buf,
                    got,
                } => {
                    let n = rest.len().min(64 - *got);
                    buf[*got..*got + n].copy_from_slice(&rest[..n]);
                    *got += n;
                    used += n;
                    if *got < 64 {
                        continue;
                    }
                    let (l, r) = split_pair(buf);
                    let expected = self.stack.pop().ok_or(VerifyError::Shape)?;
                    if parent_hash(&l, &r, *is_root) != expected {
                        return Err(VerifyError::Parent {
                            offset: node.chunk_range().start.to_bytes(),
                        }
                        .into());
                    }
                    if *right {
                        self.stack.push(r);
                    }
                    if *left {
                        self.stack.push(l);
                    }
                    sink.pair(*node, buf)?;
                }
                Item::Leaf {
                    offset,
                    size,
                    got,
                    is_root,
                } => {
                    let n = rest.len().min(*size - *got);
                    let piece = &rest[..n];
                    self.hasher.update(piece);
                    sink.data(*offset + *got as u64, piece)?;
                    *got += n;
                    used += n;
                    if *got < *size {
                        continue;
                    }
                    let actual = if *is_root {
                        self.hasher.finalize()
                    } else {
                        use blake3::hazmat::HasherExt;
                        blake3::Hash::from(self.hasher.finalize_non_root())
                    };
                    let expected = self.stack.pop().ok_or(VerifyError::Shape)?;
                    if actual != expected {
                        return Err(VerifyError::Group { offset: *offset }.into());
                    }
                    sink.verified(*offset, *size as u64)?;
                }
            }
            self.advance();
        }
        // A response may end with an empty group (the empty blob): settle it without input.
        if let Some(Item::Leaf {
            size: 0,
            is_root,
            offset,
            ..
        }) = &self.item
        {
            let (is_root, offset) = (*is_root, *offset);
            let expected = self.stack.pop().ok_or(VerifyError::Shape)?;
            if !is_root || blake3::hash(&[]) != expected {
                return Err(VerifyError::Group { offset }.into());
            }
            sink.verified(offset, 0)?;
            self.advance();
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bao::{self, chunk_ranges, covered_groups, leaf_hash};
    use bao_tree::io::outboard::PreOrderOutboard;

    struct Collect {
        data: Vec<u8>,
        verified: u64,
        pairs: usize,
    }

    impl Sink for Collect {
        fn pair(&mut self, _: TreeNode, _: &[u8; 64]) -> std::io::Result<()> {
            self.pairs += 1;
            Ok(())
        }
        fn data(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
            let end = offset as usize + bytes.len();
            if self.data.len() < end {
                self.data.resize(end, 0);
            }
            self.data[offset as usize..end].copy_from_slice(bytes);
            Ok(())
        }
        fn verified(&mut self, _: u64, len: u64) -> std::io::Result<()> {
            self.verified += len;
            Ok(())
        }
    }

    fn encode(data: &[u8], ranges: &ChunkRanges) -> Vec<u8> {
        let tree = bao::tree(data.len() as u64);
        let (root, pairs) = bao::compute(data, tree).unwrap();
        let ob = PreOrderOutboard {
            root,
            tree,
            data: pairs,
        };
        let mut out = Vec::new();
        bao_tree::io::sync::encode_ranges_validated(data, &ob, ranges, &mut out).unwrap();
        out
    }

    #[test]
    fn decodes_bao_tree_encoding_in_any_pieces() {
        for size in [0usize, 1, 1000, 16384, 16385, 100_000, 1 << 20] {
            let mut data = vec![0u8; size];
            blake3::Hasher::new()
                .update(&size.to_le_bytes())
                .finalize_xof()
                .fill(&mut data);
            let root = blake3::hash(&data);
            let tree = bao::tree(size as u64);
            let groups = covered_groups(&[], size as u64);
            let ranges = chunk_ranges(&groups, size as u64);
            let enc = encode(&data, &ranges);
            for piece in [1usize, 63, 4096, 1 << 20] {
                let mut d = Decoder::new(root, tree, &ranges);
                let mut sink = Collect {
                    data: vec![],
                    verified: 0,
                    pairs: 0,
                };
                let mut used = 0;
                for p in enc.chunks(piece) {
                    used += d.feed(p, &mut sink).unwrap();
                }
                d.feed(&[], &mut sink).unwrap();
                assert!(d.is_done(), "size {size}");
                assert_eq!(used, enc.len());
                assert_eq!(sink.data, data);
                assert_eq!(sink.verified, size as u64);
            }
            // One flipped byte anywhere fails, in the group that holds it.
            if size > 0 {
                let mut bad = enc.clone();
                let i = bad.len() / 2;
                bad[i] ^= 1;
                let mut d = Decoder::new(root, tree, &ranges);
                let mut sink = Collect {
                    data: vec![],
                    verified: 0,
                    pairs: 0,
                };
                assert!(d.feed(&bad, &mut sink).is_err(), "size {size}");
            }
        }
        assert_eq!(leaf_hash(0, b"abc", true), blake3::hash(b"abc"));
    }
}
