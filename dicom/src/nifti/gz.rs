//! A Huffman-only gzip writer for `.nii.gz` (RFC 1951 dynamic blocks without matches, in an
//! RFC 1952 member).
//!
//! Voxel data of MR and PET is noise in its low bits: string matching (what deflate levels
//! 1-9 spend their time on) finds almost nothing, while entropy coding of the bytes gives
//! nearly all the gain. Measured on the generated corpus' T1 (14 MB) and BOLD files, zlib's
//! `Z_HUFFMAN_ONLY` keeps 64% and 55% of the bytes, level 1 keeps 82% and 73%, level 6 63% and
//! 55% (docs/BENCHMARKS.md, "NIfTI conversion"). This writer produces the Huffman-only stream
//! with a histogram pass and a table-driven bit writer per block, several times faster than a
//! general deflate at any level; the output is an ordinary gzip file (any inflater reads it).

/// Bytes per deflate block: each block has its own code, so a header and voxels of different
/// statistics do not share one; the block header (about 100 bytes) is negligible at this size.
const BLOCK: usize = 256 * 1024;
/// Deflate's longest literal/length code.
const MAX_BITS: u8 = 15;
/// The longest code of the code-length alphabet.
const MAX_CL_BITS: u8 = 7;
/// The order in which code-length code lengths are written (RFC 1951 3.2.7).
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// `raw` as one gzip member (no name, no time stamp) of Huffman-only deflate blocks.
pub(crate) fn gzip_huffman(raw: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(raw.len() * 3 / 4 + 64);
    w.bytes(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    if raw.is_empty() {
        // One final fixed-code block holding only the end-of-block code.
        w.bits(1, 1);
        w.bits(1, 2);
        w.bits(0, 7);
    } else {
        let blocks = raw.len().div_ceil(BLOCK);
        let mut pairs = vec![0u64; 1 << 16];
        for (i, block) in raw.chunks(BLOCK).enumerate() {
            write_block(&mut w, block, i + 1 == blocks, &mut pairs);
        }
    }
    w.align();
    let mut crc = crc32fast::Hasher::new();
    crc.update(raw);
    w.bytes(&crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    w.bytes(&((raw.len() & 0xffff_ffff) as u32).to_le_bytes());
    w.finish()
}

fn write_block(w: &mut BitWriter, block: &[u8], last: bool, pairs: &mut [u64]) {
    let mut freq = [0u64; 257];
    let (even, odd) = histogram(block, &mut freq);
    freq[256] = 1; // end of block
    let lit_len = code_lengths(&freq, MAX_BITS);
    let lit_codes = canonical(&lit_len);
    // One distance code of one bit, never used (RFC 1951 3.2.7).
    let mut all_lens: Vec<u8> = lit_len.to_vec();
    all_lens.push(1);
    let (cl_syms, cl_freq) = run_length(&all_lens);
    let cl_len = code_lengths(&cl_freq, MAX_CL_BITS);
    let cl_codes = canonical(&cl_len);
    let hclen = CL_ORDER
        .iter()
        .rposition(|&s| cl_len[s] != 0)
        .map_or(4, |p| (p + 1).max(4));

    w.bits(u64::from(last), 1);
    w.bits(2, 2); // dynamic Huffman codes
    w.bits(0, 5); // HLIT: 257 literal/length codes
    w.bits(0, 5); // HDIST: 1 distance code
    w.bits((hclen - 4) as u64, 4);
    for &s in &CL_ORDER[..hclen] {
        w.bits(u64::from(cl_len[s]), 3);
    }
    for &(sym, extra, extra_bits) in &cl_syms {
        let s = usize::from(sym);
        w.bits(u64::from(cl_codes[s]), cl_len[s]);
        if extra_bits > 0 {
            w.bits(u64::from(extra), extra_bits);
        }
    }
    // The literals, two bytes at a time: for every pair of values that occurs (a 16-bit voxel
    // in the usual case, so few distinct ones) the two codes joined, code | length << 32. The
    // table keeps entries of earlier blocks for pairs this block lacks: never looked up.
    let entry = |b: usize| (u64::from(lit_codes[b]), u64::from(lit_len[b]));
    for lo in (0..256).filter(|&v| even[v]) {
        let (c0, l0) = entry(lo);
        for hi in (0..256).filter(|&v| odd[v]) {
            let (c1, l1) = entry(hi);
            pairs[lo | hi << 8] = (c0 | c1 << l0) | (l0 + l1) << 32;
        }
    }
    // The block's exact coded size is known from the histogram: room for it and one word.
    let bits: u64 = freq[..256]
        .iter()
        .zip(&lit_len)
        .map(|(f, l)| f * u64::from(*l))
        .sum();
    w.literals(
        block,
        pairs,
        usize::try_from(bits / 8).unwrap_or(usize::MAX),
    );
    if let Some(&b) = block.chunks_exact(2).remainder().first() {
        let (c, l) = entry(usize::from(b));
        w.bits(c, l as u8);
    }
    w.bits(u64::from(lit_codes[256]), lit_len[256]);
}

/// Byte counts of `block`, added to `freq`, over four tables (independent increments); and
/// which values occur at even and at odd offsets of the block.
fn histogram(block: &[u8], freq: &mut [u64; 257]) -> ([bool; 256], [bool; 256]) {
    let mut t = [[0u32; 256]; 4];
    let mut quads = block.chunks_exact(4);
    for q in &mut quads {
        t[0][usize::from(q[0])] += 1;
        t[1][usize::from(q[1])] += 1;
        t[2][usize::from(q[2])] += 1;
        t[3][usize::from(q[3])] += 1;
    }
    // The remainder starts at an offset that is a multiple of 4: even, odd, even.
    for (k, &b) in quads.remainder().iter().enumerate() {
        t[k % 2][usize::from(b)] += 1;
    }
    let (mut even, mut odd) = ([false; 256], [false; 256]);
    for (v, f) in freq.iter_mut().take(256).enumerate() {
        *f += u64::from(t[0][v] + t[1][v] + t[2][v] + t[3][v]);
        even[v] = t[0][v] + t[2][v] > 0;
        odd[v] = t[1][v] + t[3][v] > 0;
    }
    (even, odd)
}

/// The code-length sequence run-length coded with symbols 16 (repeat the previous 3-6 times),
/// 17 (3-10 zeros) and 18 (11-138 zeros): `(symbol, extra value, extra bits)` and the symbol
/// frequencies.
fn run_length(lens: &[u8]) -> (Vec<(u8, u8, u8)>, Vec<u64>) {
    let mut out = Vec::with_capacity(lens.len());
    let mut freq = vec![0u64; 19];
    let mut i = 0;
    while i < lens.len() {
        let l = lens[i];
        let run = lens[i..].iter().take_while(|&&x| x == l).count();
        if l == 0 && run >= 3 {
            let n = run.min(138);
            if n >= 11 {
                out.push((18, (n - 11) as u8, 7));
                freq[18] += 1;
            } else {
                out.push((17, (n - 3) as u8, 3));
                freq[17] += 1;
            }
            i += n;
        } else if l != 0 && run >= 4 {
            // The value once, then repeats of it.
            out.push((l, 0, 0));
            freq[usize::from(l)] += 1;
            let n = (run - 1).min(6);
            out.push((16, (n - 3) as u8, 2));
            freq[16] += 1;
            i += 1 + n;
        } else {
            out.push((l, 0, 0));
            freq[usize::from(l)] += 1;
            i += 1;
        }
    }
    (out, freq)
}

/// Huffman code lengths for `freq`, none longer than `limit` (symbols of frequency 0 get 0).
/// Frequencies are flattened until the tree fits, the usual heuristic: rare symbols get a
/// little less than optimal, never an invalid code. At least two symbols get a length, so the
/// code is complete.
fn code_lengths(freq: &[u64], limit: u8) -> Vec<u8> {
    let mut f: Vec<u64> = freq.to_vec();
    let used = f.iter().filter(|&&x| x > 0).count();
    // Pad to two symbols: a one-symbol code is not complete.
    for _ in used..2 {
        if let Some(x) = f.iter_mut().find(|x| **x == 0) {
            *x = 1;
        }
    }
    loop {
        let lens = huffman(&f);
        if lens.iter().all(|&l| l <= limit) {
            return lens;
        }
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1) | 1;
        }
    }
}

/// Unlimited optimal code lengths (a Huffman tree built with a sorted queue pair).
fn huffman(freq: &[u64]) -> Vec<u8> {
    let mut leaves: Vec<(u64, usize)> = freq
        .iter()
        .enumerate()
        .filter(|(_, &f)| f > 0)
        .map(|(s, &f)| (f, s))
        .collect();
    leaves.sort_unstable();
    let n = leaves.len();
    let mut lens = vec![0u8; freq.len()];
    if n < 2 {
        if let Some(&(_, s)) = leaves.first() {
            lens[s] = 1;
        }
        return lens;
    }
    // Nodes 0..n are leaves (in frequency order), n.. are internal; parent links give depths.
    let mut weight: Vec<u64> = leaves.iter().map(|&(f, _)| f).collect();
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut leaf, mut inner) = (0usize, n);
    for next in n..2 * n - 1 {
        let mut pick = |weight: &Vec<u64>| -> usize {
            let take_leaf = leaf < n && (inner >= next || weight[leaf] <= weight[inner]);
            if take_leaf {
                leaf += 1;
                leaf - 1
            } else {
                inner += 1;
                inner - 1
            }
        };
        let a = pick(&weight);
        let b = pick(&weight);
        weight.push(weight[a] + weight[b]);
        parent[a] = next;
        parent[b] = next;
    }
    // Depths from the root (the last node) down.
    let mut depth = vec![0u8; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]].saturating_add(1);
    }
    for (i, &(_, s)) in leaves.iter().enumerate() {
        lens[s] = depth[i];
    }
    lens
}

/// Canonical codes (RFC 1951 3.2.2), bit-reversed for the LSB-first writer.
fn canonical(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0u32;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lens.iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c.reverse_bits() >> (32 - u32::from(l))
        })
        .collect()
}

/// Bits written least significant first, as deflate packs them: whole bytes in `out`, fewer
/// than 8 pending bits in `acc`.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn with_capacity(cap: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(cap),
            acc: 0,
            n: 0,
        }
    }

    /// Append `len` (at most 32) bits.
    fn bits(&mut self, value: u64, len: u8) {
        self.acc |= value << self.n;
        self.n += u32::from(len);
        while self.n >= 8 {
            self.out.push((self.acc & 0xff) as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Append the codes of the byte pairs of `block` (an odd last byte is the caller's):
    /// `pairs[lo | hi << 8]` is the two codes joined, code | length << 32 (at most 30 bits).
    /// Each pair joins the fewer than 8 pending bits, the 64-bit word is stored whole and the
    /// position moves by its complete bytes. `bytes` is the block's coded size (whole bytes):
    /// the buffer grows by it once.
    fn literals(&mut self, block: &[u8], pairs: &[u64], bytes: usize) {
        let start = self.out.len();
        self.out
            .resize(start.saturating_add(bytes).saturating_add(16), 0);
        let buf = &mut self.out[start..];
        let (mut acc, mut n, mut pos) = (self.acc, self.n, 0usize);
        for p in block.chunks_exact(2) {
            let e = pairs[usize::from(p[0]) | usize::from(p[1]) << 8];
            acc |= (e & 0xffff_ffff) << n;
            n += (e >> 32) as u32;
            buf[pos..pos + 8].copy_from_slice(&acc.to_le_bytes());
            let whole = n >> 3; // at most 4
            pos += whole as usize;
            acc >>= whole * 8;
            n &= 7;
        }
        self.out.truncate(start + pos);
        self.acc = acc;
        self.n = n;
    }

    /// Pad the last byte with zero bits.
    fn align(&mut self) {
        if self.n > 0 {
            self.out.push((self.acc & 0xff) as u8);
        }
        self.acc = 0;
        self.n = 0;
    }

    fn bytes(&mut self, b: &[u8]) {
        self.align();
        self.out.extend_from_slice(b);
    }

    fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .expect("a valid gzip member");
        out
    }

    /// A deterministic byte stream (xorshift) of 16-bit "voxels" with noisy low bytes.
    fn voxels(n: usize, spread: u64) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut v = Vec::with_capacity(n * 2);
        for i in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let val = 800 + (i as u64 % 97) + x % spread;
            v.extend_from_slice(&(val as u16).to_le_bytes());
        }
        v
    }

    #[test]
    fn round_trips_through_an_ordinary_inflater() {
        let cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![7],
            vec![0; 1000],
            (0..=255u8).collect(),
            voxels(300_000, 400),
            voxels(10, 3),
            (0..BLOCK * 2 + 17).map(|i| (i % 251) as u8).collect(),
        ];
        for raw in cases {
            let gz = gzip_huffman(&raw);
            assert_eq!(gunzip(&gz), raw, "{} bytes", raw.len());
        }
    }

    #[test]
    fn skewed_frequencies_are_limited_to_fifteen_bits_and_still_decode() {
        // Fibonacci-like counts would need codes far longer than 15 bits.
        let mut raw = Vec::new();
        let (mut a, mut b) = (1usize, 1usize);
        for sym in 0..30u8 {
            raw.extend(std::iter::repeat_n(sym, a));
            (a, b) = (b, (a + b).min(200_000));
        }
        let mut freq = [0u64; 257];
        histogram(&raw, &mut freq);
        freq[256] = 1;
        let lens = code_lengths(&freq, MAX_BITS);
        assert!(lens.iter().all(|&l| l <= MAX_BITS));
        // Kraft: the code is complete (sum of 2^-len == 1).
        let kraft: f64 = lens
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 0.5f64.powi(i32::from(l)))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-9, "kraft {kraft}");
        assert_eq!(gunzip(&gzip_huffman(&raw)), raw);
    }

    #[test]
    fn noisy_voxels_compress_like_an_entropy_coder() {
        let raw = voxels(500_000, 300);
        let gz = gzip_huffman(&raw);
        // High bytes are almost constant and low bytes uniform over ~300 values: about 9.3 bits
        // of entropy per 16-bit voxel plus the high byte's few bits, i.e. well under 75%.
        assert!(
            gz.len() < raw.len() * 3 / 4,
            "{} of {}",
            gz.len(),
            raw.len()
        );
        assert_eq!(gunzip(&gz), raw);
    }
}
