//! Reading NIfTI-1, NIfTI-2 and Analyze 7.5 images back: the header (either byte order), the
//! affine (sform, else qform, else the voxel sizes), and the voxels of the first volume or of
//! all of them as `f32` with the scaling applied. Used by the portal's slice previews and by the
//! import of NIfTI files.
//!
//! Bounded: the header's dimensions are checked against the bytes present (and against
//! [`MAX_VOXELS`]) before anything is allocated, a `.nii.gz` is inflated only as far as the
//! voxels asked for, and every defect is a [`NiftiReadError`] with a one-line reason.

use std::io::Read;

use thiserror::Error;

/// Largest number of voxels read (2^30: a 1024^3 volume, 4 GiB as `f32`).
pub const MAX_VOXELS: usize = 1 << 30;

/// Why a file is not a readable NIfTI or Analyze image.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("not a readable NIfTI image: {0}")]
pub struct NiftiReadError(String);

impl NiftiReadError {
    pub(crate) fn new(why: String) -> Self {
        NiftiReadError(why)
    }
}

fn bad<T>(why: impl Into<String>) -> Result<T, NiftiReadError> {
    Err(NiftiReadError(why.into()))
}

/// Which format the header is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NiftiFormat {
    /// NIfTI-1, single file (`n+1`).
    Nifti1,
    /// NIfTI-1 header of a `.hdr`/`.img` pair (`ni1`).
    Nifti1Pair,
    /// NIfTI-2, single file (`n+2`).
    Nifti2,
    /// NIfTI-2 header of a pair (`ni2`).
    Nifti2Pair,
    /// Analyze 7.5 (`.hdr`/`.img`, no magic): no orientation beyond the voxel sizes.
    Analyze,
}

impl NiftiFormat {
    /// Whether the voxels are in a separate `.img` file.
    pub fn is_pair(self) -> bool {
        !matches!(self, NiftiFormat::Nifti1 | NiftiFormat::Nifti2)
    }
}

/// Where the affine came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AffineSource {
    /// `sform_code` > 0: the srow vectors.
    Sform,
    /// `qform_code` > 0: the quaternion, voxel sizes and qfac.
    Qform,
    /// Neither: the voxel sizes on the diagonal, x flipped (stored left to right, as Analyze
    /// files are assumed to be), the centre of the volume at the origin: nibabel's and FSL's
    /// convention.
    VoxelSizes,
}

/// What a NIfTI or Analyze header says.
#[derive(Debug, Clone, PartialEq)]
pub struct NiftiHeader {
    /// The format.
    pub format: NiftiFormat,
    /// Whether the file is big-endian.
    pub big_endian: bool,
    /// The dimensions (`dim[1..=dim[0]]`).
    pub dims: Vec<usize>,
    /// The voxel sizes and TR (`pixdim[1..=dim[0]]`).
    pub pixdim: Vec<f64>,
    /// The NIfTI datatype code.
    pub datatype: i16,
    /// Byte offset of the voxels (in the `.img` file for a pair).
    pub vox_offset: usize,
    /// `scl_slope`, `scl_inter` (slope 0 means no scaling).
    pub scl: [f64; 2],
    /// Voxel (i, j, k) to world (x, y, z) in mm, RAS+ (three rows of four).
    pub affine: [[f64; 4]; 3],
    /// Where the affine came from.
    pub affine_source: AffineSource,
    /// The description field (80 bytes in NIfTI-1), trimmed.
    pub description: String,
}

impl NiftiHeader {
    /// Bytes per voxel of the datatype, or an error for a type that is not read (complex, RGB).
    pub fn bytes_per_voxel(&self) -> Result<usize, NiftiReadError> {
        Ok(match self.datatype {
            2 | 256 => 1,
            4 | 512 => 2,
            8 | 16 | 768 => 4,
            64 | 1024 | 1280 => 8,
            128 | 2304 => return bad("RGB voxels are not read"),
            32 | 1792 | 2048 => return bad("complex voxels are not read"),
            t => return bad(format!("unknown datatype {t}")),
        })
    }

    /// Voxels in one 3-D volume (the first three dimensions).
    pub fn volume_voxels(&self) -> usize {
        self.dims.iter().take(3).product()
    }

    /// Number of 3-D volumes (the product of dimensions 4 and above).
    pub fn volumes(&self) -> usize {
        self.dims.iter().skip(3).product::<usize>().max(1)
    }
}

/// A read image: its header and voxels (x fastest), scaled.
#[derive(Debug, Clone)]
pub struct NiftiVolume {
    /// The header.
    pub header: NiftiHeader,
    /// The voxels read: one volume or all, x fastest.
    pub data: Vec<f32>,
    /// How many volumes `data` holds.
    pub volumes_read: usize,
}

fn gunzip_prefix(bytes: &[u8], limit: usize) -> Result<Vec<u8>, NiftiReadError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit as u64)
        .read_to_end(&mut out)
        .map_err(|e| NiftiReadError(format!("gzip: {e}")))?;
    Ok(out)
}

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

struct R<'a> {
    b: &'a [u8],
    be: bool,
}

impl R<'_> {
    fn arr<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.b[at..at + N]);
        if self.be {
            a.reverse();
        }
        a
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.arr(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.arr(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.arr(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f64::from(f32::from_le_bytes(self.arr(at)))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.arr(at))
    }
}

/// Parse the header at the start of `bytes` (a `.nii`, `.nii.gz`, `.hdr` or `.hdr.gz`).
pub fn read_nifti_header(bytes: &[u8]) -> Result<NiftiHeader, NiftiReadError> {
    if is_gzip(bytes) {
        return read_nifti_header(&gunzip_prefix(bytes, 540)?);
    }
    if bytes.len() < 348 {
        return bad(format!("{} bytes, shorter than a header", bytes.len()));
    }
    let size = |be| R { b: bytes, be }.i32(0);
    let (be, v2) = match (size(false), size(true)) {
        (348, _) => (false, false),
        (_, 348) => (true, false),
        (540, _) => (false, true),
        (_, 540) => (true, true),
        (n, _) => return bad(format!("header size {n} (expected 348 or 540)")),
    };
    if v2 {
        if bytes.len() < 540 {
            return bad("NIfTI-2 header truncated");
        }
        header2(R { b: bytes, be })
    } else {
        header1(R { b: bytes, be })
    }
}

fn dims_of(raw: &[i64]) -> Result<Vec<usize>, NiftiReadError> {
    let n = raw[0];
    if !(1..=7).contains(&n) {
        return bad(format!("dim[0] = {n} (expected 1 to 7)"));
    }
    let mut dims = Vec::with_capacity(n as usize);
    for &d in &raw[1..=n as usize] {
        if d < 1 {
            return bad(format!("dimension {d} < 1"));
        }
        dims.push(usize::try_from(d).map_err(|_| NiftiReadError("dimension too large".into()))?);
    }
    while dims.len() < 3 {
        dims.push(1);
    }
    let total = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&t| t <= MAX_VOXELS);
    if total.is_none() {
        return bad(format!("{dims:?} voxels exceed the limit of {MAX_VOXELS}"));
    }
    Ok(dims)
}

fn text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim().to_string()
}

fn header1(r: R<'_>) -> Result<NiftiHeader, NiftiReadError> {
    let magic = &r.b[344..348];
    let format = match magic {
        b"n+1\0" => NiftiFormat::Nifti1,
        b"ni1\0" => NiftiFormat::Nifti1Pair,
        _ => NiftiFormat::Analyze,
    };
    let raw: Vec<i64> = (0..8).map(|n| i64::from(r.i16(40 + 2 * n))).collect();
    let dims = dims_of(&raw)?;
    let pixdim: Vec<f64> = (1..=dims.len()).map(|n| r.f32(76 + 4 * n)).collect();
    let vox_offset = r.f32(108);
    let analyze = format == NiftiFormat::Analyze;
    let (qcode, scode) = if analyze {
        (0, 0)
    } else {
        (r.i16(252), r.i16(254))
    };
    let affine = pick_affine(
        scode > 0,
        [0, 1, 2].map(|row| [0, 1, 2, 3].map(|c| r.f32(280 + 16 * row + 4 * c))),
        qcode > 0,
        Quaternion {
            bcd: [r.f32(256), r.f32(260), r.f32(264)],
            offset: [r.f32(268), r.f32(272), r.f32(276)],
            qfac: r.f32(76),
        },
        &pixdim,
        &dims,
    );
    Ok(NiftiHeader {
        format,
        big_endian: r.be,
        dims,
        pixdim,
        datatype: r.i16(70),
        vox_offset: offset_of(vox_offset, format)?,
        scl: if analyze {
            [0.0, 0.0]
        } else {
            [r.f32(112), r.f32(116)]
        },
        affine: affine.0,
        affine_source: affine.1,
        description: text(&r.b[148..228]),
    })
}

fn header2(r: R<'_>) -> Result<NiftiHeader, NiftiReadError> {
    let format = match &r.b[4..7] {
        b"n+2" => NiftiFormat::Nifti2,
        b"ni2" => NiftiFormat::Nifti2Pair,
        m => return bad(format!("NIfTI-2 magic {m:?}")),
    };
    let raw: Vec<i64> = (0..8).map(|n| r.i64(16 + 8 * n)).collect();
    let dims = dims_of(&raw)?;
    let pixdim: Vec<f64> = (1..=dims.len()).map(|n| r.f64(104 + 8 * n)).collect();
    let affine = pick_affine(
        r.i32(348) > 0,
        [0, 1, 2].map(|row| [0, 1, 2, 3].map(|c| r.f64(400 + 32 * row + 8 * c))),
        r.i32(344) > 0,
        Quaternion {
            bcd: [r.f64(352), r.f64(360), r.f64(368)],
            offset: [r.f64(376), r.f64(384), r.f64(392)],
            qfac: r.f64(104),
        },
        &pixdim,
        &dims,
    );
    let off = r.i64(168);
    Ok(NiftiHeader {
        format,
        big_endian: r.be,
        dims,
        pixdim,
        datatype: r.i16(12),
        vox_offset: offset_of(off as f64, format)?,
        scl: [r.f64(176), r.f64(184)],
        affine: affine.0,
        affine_source: affine.1,
        description: text(&r.b[240..320]),
    })
}

fn offset_of(v: f64, format: NiftiFormat) -> Result<usize, NiftiReadError> {
    let min = match format {
        NiftiFormat::Nifti1 => 352.0,
        NiftiFormat::Nifti2 => 544.0,
        _ => 0.0,
    };
    if !v.is_finite() || v < 0.0 || v > (1u64 << 40) as f64 {
        return bad(format!("vox_offset {v}"));
    }
    // Old writers leave 0 in single files: the voxels then follow the header.
    Ok(v.max(min) as usize)
}

struct Quaternion {
    bcd: [f64; 3],
    offset: [f64; 3],
    qfac: f64,
}

fn pick_affine(
    sform: bool,
    srows: [[f64; 4]; 3],
    qform: bool,
    q: Quaternion,
    pixdim: &[f64],
    dims: &[usize],
) -> ([[f64; 4]; 3], AffineSource) {
    let finite = |m: &[[f64; 4]; 3]| m.iter().flatten().all(|v| v.is_finite());
    if sform && finite(&srows) && srows.iter().any(|r| r[..3].iter().any(|v| *v != 0.0)) {
        return (srows, AffineSource::Sform);
    }
    let size = |n: usize| {
        pixdim
            .get(n)
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .map_or(1.0, f64::abs)
    };
    if qform {
        let [b, c, d] = q.bcd;
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
        let rot = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let qfac = if q.qfac < 0.0 { -1.0 } else { 1.0 };
        let scale = [size(0), size(1), size(2) * qfac];
        let m = [0, 1, 2].map(|r| {
            [
                rot[r][0] * scale[0],
                rot[r][1] * scale[1],
                rot[r][2] * scale[2],
                q.offset[r],
            ]
        });
        if finite(&m) {
            return (m, AffineSource::Qform);
        }
    }
    let zoom = [-size(0), size(1), size(2)];
    let origin = |n: usize| (dims.get(n).copied().unwrap_or(1) as f64 - 1.0) / 2.0;
    let m = [0, 1, 2].map(|r| {
        let mut row = [0.0; 4];
        row[r] = zoom[r];
        row[3] = -origin(r) * zoom[r];
        row
    });
    (m, AffineSource::VoxelSizes)
}

/// Which voxels to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volumes {
    /// The first 3-D volume only (a preview).
    First,
    /// All of them.
    All,
}

/// Read a single-file NIfTI (`.nii` or `.nii.gz`).
pub fn read_nifti(bytes: &[u8], which: Volumes) -> Result<NiftiVolume, NiftiReadError> {
    let header = read_nifti_header(bytes)?;
    if header.format.is_pair() {
        return bad("a header without voxels (.hdr): read it with its .img");
    }
    let want = wanted_bytes(&header, which)?;
    let end = header
        .vox_offset
        .checked_add(want)
        .ok_or_else(|| NiftiReadError("voxel range overflows".into()))?;
    if is_gzip(bytes) {
        let raw = gunzip_prefix(bytes, end)?;
        let off = header.vox_offset.min(raw.len());
        voxels(header, &raw[off..], which)
    } else {
        let off = header.vox_offset.min(bytes.len());
        voxels(header, &bytes[off..], which)
    }
}

/// Read a `.hdr`/`.img` pair (NIfTI or Analyze 7.5; either may be gzip-compressed).
pub fn read_nifti_pair(
    hdr: &[u8],
    img: &[u8],
    which: Volumes,
) -> Result<NiftiVolume, NiftiReadError> {
    let header = read_nifti_header(hdr)?;
    let want = wanted_bytes(&header, which)?;
    let end = header
        .vox_offset
        .checked_add(want)
        .ok_or_else(|| NiftiReadError("voxel range overflows".into()))?;
    let owned;
    let img = if is_gzip(img) {
        owned = gunzip_prefix(img, end)?;
        &owned[..]
    } else {
        img
    };
    let off = header.vox_offset.min(img.len());
    voxels(header, &img[off..], which)
}

fn wanted_bytes(h: &NiftiHeader, which: Volumes) -> Result<usize, NiftiReadError> {
    let n = match which {
        Volumes::First => h.volume_voxels(),
        Volumes::All => h.volume_voxels() * h.volumes(),
    };
    Ok(n * h.bytes_per_voxel()?)
}

fn voxels(
    header: NiftiHeader,
    bytes: &[u8],
    which: Volumes,
) -> Result<NiftiVolume, NiftiReadError> {
    let bpv = header.bytes_per_voxel()?;
    let volumes_read = match which {
        Volumes::First => 1,
        Volumes::All => header.volumes(),
    };
    let n = header.volume_voxels() * volumes_read;
    if bytes.len() < n * bpv {
        return bad(format!(
            "{} voxel bytes, {} expected for {:?}",
            bytes.len(),
            n * bpv,
            header.dims
        ));
    }
    let be = header.big_endian;
    let src = &bytes[..n * bpv];
    macro_rules! conv {
        ($t:ty) => {
            src.chunks_exact(std::mem::size_of::<$t>())
                .map(|c| {
                    let mut a = [0u8; std::mem::size_of::<$t>()];
                    a.copy_from_slice(c);
                    if be {
                        <$t>::from_be_bytes(a) as f32
                    } else {
                        <$t>::from_le_bytes(a) as f32
                    }
                })
                .collect::<Vec<f32>>()
        };
    }
    let mut data = match header.datatype {
        2 => conv!(u8),
        256 => conv!(i8),
        4 => conv!(i16),
        512 => conv!(u16),
        8 => conv!(i32),
        768 => conv!(u32),
        16 => conv!(f32),
        64 => conv!(f64),
        1024 => conv!(i64),
        1280 => conv!(u64),
        t => return bad(format!("datatype {t} is not read")),
    };
    let [slope, inter] = header.scl;
    if slope.is_finite() && inter.is_finite() && slope != 0.0 && (slope, inter) != (1.0, 0.0) {
        for v in &mut data {
            *v = (f64::from(*v) * slope + inter) as f32;
        }
    }
    Ok(NiftiVolume {
        header,
        data,
        volumes_read,
    })
}
