//! Which chunk groups a content request covers: both ends compute it the same way from the
//! request and the blob's size, so the server need only echo it and the client can check.
//!
//! Byte ranges are rounded out to whole 16 KiB groups (a range's first and last group are sent
//! whole); a range starting at or past the end of the blob means the last group, which is how a
//! client that does not know a blob's size asks for the proof of it. No ranges: the whole blob.

use std::ops::Range;

use crate::bao::GROUP_BYTES;
use crate::wire::ByteRange;
use bao_tree::{ChunkNum, ChunkRanges};

/// Chunks (1 KiB) per group.
const CHUNKS_PER_GROUP: u64 = GROUP_BYTES / 1024;

/// Number of groups of a blob of `size` bytes (an empty blob has one, empty).
pub fn group_count(size: u64) -> u64 {
    size.div_ceil(GROUP_BYTES).max(1)
}

/// The range that asks for the last group of a blob of unknown size (its size proof).
pub const SIZE_PROOF: ByteRange = ByteRange {
    start: u64::MAX - 1,
    end: u64::MAX,
};

/// Sorted, disjoint, non-adjacent group ranges covered by `requested` in a blob of `size` bytes.
pub fn covered_groups(requested: &[ByteRange], size: u64) -> Vec<Range<u64>> {
    let n = group_count(size);
    if requested.is_empty() {
        return std::iter::once(0..n).collect();
    }
    let mut out: Vec<Range<u64>> = requested
        .iter()
        .filter(|r| r.start < r.end)
        .map(|r| {
            let start = r.start / GROUP_BYTES;
            if start >= n {
                n - 1..n
            } else {
                start..r.end.div_ceil(GROUP_BYTES).min(n)
            }
        })
        .collect();
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The byte ranges that the groups cover (what a response header announces).
pub fn byte_ranges(groups: &[Range<u64>], size: u64) -> Vec<ByteRange> {
    groups
        .iter()
        .map(|g| ByteRange {
            start: g.start * GROUP_BYTES,
            end: (g.end * GROUP_BYTES).min(size),
        })
        .filter(|r| r.start < r.end)
        .collect()
}

/// The chunk ranges for bao-tree: group aligned, open at the end when they reach the last group
/// (so that no partial group is ever encoded).
pub fn chunk_ranges(groups: &[Range<u64>], size: u64) -> ChunkRanges {
    let n = group_count(size);
    let mut set = ChunkRanges::empty();
    for g in groups {
        let start = ChunkNum(g.start * CHUNKS_PER_GROUP);
        if g.end >= n {
            set |= ChunkRanges::from(start..);
        } else {
            set |= ChunkRanges::from(start..ChunkNum(g.end * CHUNKS_PER_GROUP));
        }
    }
    set
}

/// `ranges` cut to a blob of `size` bytes the way bao-tree reads them (anything past the end
/// means the last chunk), owned.
pub fn truncated(ranges: &ChunkRanges, size: u64) -> ChunkRanges {
    let t = bao_tree::io::sync::truncate_ranges(ranges, size);
    ChunkRanges::new(t.boundaries().into()).unwrap_or_else(ChunkRanges::empty)
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn br(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn rounding_and_clamping() {
        let g = GROUP_BYTES;
        let size = 10 * g + 5;
        assert_eq!(group_count(size), 11);
        assert_eq!(group_count(0), 1);
        assert_eq!(covered_groups(&[], size), vec![0..11]);
        assert_eq!(covered_groups(&[br(1, 2)], size), vec![0..1]);
        assert_eq!(covered_groups(&[br(g - 1, g + 1)], size), vec![0..2]);
        assert_eq!(covered_groups(&[br(0, u64::MAX)], size), vec![0..11]);
        assert_eq!(covered_groups(&[SIZE_PROOF], size), vec![10..11]);
        assert_eq!(covered_groups(&[SIZE_PROOF], 0), vec![0..1]);
        assert_eq!(
            covered_groups(&[br(0, g), br(g, 2 * g), br(5 * g, 6 * g)], size),
            vec![0..2, 5..6]
        );
        assert_eq!(
            byte_ranges(&covered_groups(&[SIZE_PROOF], size), size),
            vec![br(10 * g, size)]
        );
        assert!(byte_ranges(&[0..1], 0).is_empty());
    }
}
