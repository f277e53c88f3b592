//! DICOM series -> NIfTI-1 conversion (native Rust, no dcm2niix at run time), with a BIDS-style
//! JSON sidecar.
//!
//! The import pipeline calls [`convert_series`] once per series, on the de-identified objects in
//! any order, and stores the result as a blob (`.nii` or `.nii.gz`) beside the DICOM.
//! [`series_geometry`] gives the catalog the same layout without copying a voxel.
//!
//! How it works, in four steps:
//! 1. [`series`] flattens the instances into 2-D frames, each with its geometry, scaling, ordering
//!    keys and a pointer into its instance's pixel data: one per classic file, one per tile of a
//!    Siemens mosaic ([`mosaic`], CSA header in [`csa`]), one per frame of an enhanced multi-frame
//!    object ([`enhanced`], per-frame and shared functional groups).
//! 2. [`geometry`] sorts frames along the slice normal, groups repeated positions into volumes and
//!    computes the affine, after dcm2niix's conventions so that both agree on the world position of
//!    every voxel.
//! 3. [`pixels`] copies the rows into the voxel array after the header ([`header`]); the stored
//!    integer type is kept and a uniform rescale goes to scl_slope/scl_inter; a rescale that varies
//!    across frames is applied and the volume written as float32 (as dcm2niix does).
//! 4. [`sidecar`] writes the acquisition keys, and only those: no PHI can reach it.
//!
//! What it must never do: write a volume whose voxels or geometry could be wrong. Anything it
//! cannot place with certainty (compressed pixel data, colour, several orientations or echoes,
//! unequal slice gaps, a mosaic without its CSA header, frames without positions) is a
//! [`NotConverted`] with a one-line reason. Nothing here panics on input.

mod attrs;
mod csa;
mod enhanced;
mod frame;
mod geometry;
mod gz;
mod header;
mod mosaic;
mod pixels;
mod series;
mod sidecar;
mod slice;
mod volume;

use std::io::Write;

use dicom_object::DefaultDicomObject;
use serde::Serialize;

use pixels::Output;

pub use slice::{display_range, render_slice, slice_count, GraySlice, Plane};
pub use volume::{
    read_nifti, read_nifti_header, read_nifti_pair, AffineSource, NiftiFormat, NiftiHeader,
    NiftiReadError, NiftiVolume, Volumes, MAX_VOXELS,
};

/// How to write the NIfTI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NiftiOptions {
    /// Write `.nii.gz` (else `.nii`).
    pub gzip: bool,
    /// Compression level 0-9. 1 (the default, and the fastest) is Huffman-only deflate, which on
    /// noisy voxels compresses about as well as level 6 (see `nifti/gz.rs`); 0 and 2-9 are
    /// zlib's levels (0: stored).
    pub gzip_level: u32,
    /// For series that carry no position or orientation at all (e.g. a multi-frame object
    /// stripped of its functional groups): write the voxels with qform/sform codes 0 (no world
    /// geometry, as dcm2niix does) instead of refusing. Off by default.
    pub allow_unknown_geometry: bool,
}

impl Default for NiftiOptions {
    fn default() -> Self {
        NiftiOptions {
            gzip: true,
            gzip_level: 1,
            allow_unknown_geometry: false,
        }
    }
}

/// How the series stores its slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SeriesKind {
    /// One 2-D image per instance.
    Classic,
    /// Siemens mosaic: one volume per instance, slices as tiles.
    Mosaic,
    /// Enhanced (or legacy converted) multi-frame instances.
    MultiFrame,
}

/// The layout of a converted series, for the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesGeometry {
    /// Classic, mosaic or multi-frame.
    pub kind: SeriesKind,
    /// Columns, rows, slices of one volume (NIfTI dim[1..=3]).
    pub dims: [usize; 3],
    /// Number of volumes (temporal positions); 1 for a 3-D series.
    pub volumes: usize,
    /// Voxel size (mm) along the three axes.
    pub voxel_size: [f64; 3],
    /// Repetition time (s), also written to `pixdim[4]`.
    pub repetition_time: Option<f64>,
    /// 2-D images (frames, mosaic tiles) that went into the volume.
    pub frames: usize,
    /// Voxel (0-based) to world (RAS+, mm) affine, the sform; `None` without world geometry.
    pub affine: Option<[[f64; 4]; 4]>,
    /// Orientation codes of the voxel axes (e.g. `LAS`), as nibabel's `aff2axcodes`.
    pub orientation: Option<String>,
}

/// A converted series.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The `.nii` or `.nii.gz` file.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is gzip-compressed (`.nii.gz`).
    pub gzip: bool,
    /// The BIDS-style sidecar (acquisition keys only).
    pub sidecar: serde_json::Value,
    /// NIfTI dim[1..]: 3 or 4 values.
    pub shape: Vec<usize>,
    /// NIfTI pixdim[1..]: voxel size (mm), then TR (s) for 4-D.
    pub voxel_size: Vec<f64>,
    /// Stored voxel type: `int16`, `uint16`, `uint8`, `int8`, `int32`, `uint32` or `float32`.
    pub datatype: &'static str,
    /// scl_slope and scl_inter written in the header.
    pub scaling: [f64; 2],
    /// Layout and world geometry, as [`series_geometry`] gives it.
    pub geometry: SeriesGeometry,
}

impl Converted {
    /// `.nii.gz` or `.nii`.
    pub fn extension(&self) -> &'static str {
        if self.gzip {
            ".nii.gz"
        } else {
            ".nii"
        }
    }
}

/// Why a series gets no NIfTI, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotConverted {
    /// The series has no instances.
    #[error("no instances")]
    Empty,
    /// No pixel data (SR, KO, PR, ...): the SOP class UID.
    #[error("not an image (SOP class {0})")]
    NotImage(String),
    /// An image SOP class (MR, CT, PET, ...) whose instance carries no Pixel Data: a header-only
    /// file (a scanner or an anonymiser that dropped the pixels). The SOP class UID.
    #[error("no pixel data in an image instance (SOP class {0})")]
    NoPixelData(String),
    /// Encapsulated pixel data; decoding JPEG, JPEG-LS, JPEG 2000 or RLE is not done here.
    #[error("compressed pixel data is not converted (transfer syntax {0})")]
    Compressed(String),
    /// Nothing tells where the voxels are.
    #[error("no world geometry: {0}")]
    NoGeometry(String),
    /// The instances do not make one volume.
    #[error("inconsistent series: {0}")]
    Inconsistent(String),
    /// A kind of data this converter does not handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A value that cannot be right.
    #[error("malformed: {0}")]
    Malformed(String),
}

impl NotConverted {
    /// A short stable code for the catalog and statistics.
    pub fn code(&self) -> &'static str {
        match self {
            NotConverted::Empty => "empty",
            NotConverted::NotImage(_) => "not-image",
            NotConverted::NoPixelData(_) => "no-pixel-data",
            NotConverted::Compressed(_) => "compressed",
            NotConverted::NoGeometry(_) => "no-geometry",
            NotConverted::Inconsistent(_) => "inconsistent",
            NotConverted::Unsupported(_) => "unsupported",
            NotConverted::Malformed(_) => "malformed",
        }
    }
}

/// The layout the series would convert to, without copying voxels. Assumes
/// `allow_unknown_geometry: false`.
pub fn series_geometry(instances: &[&DefaultDicomObject]) -> Result<SeriesGeometry, NotConverted> {
    let series = series::collect(instances)?;
    let plan = geometry::plan(&series, false)?;
    Ok(describe(&series, &plan))
}

fn describe(series: &series::Series<'_>, plan: &geometry::Plan) -> SeriesGeometry {
    SeriesGeometry {
        kind: series.kind,
        dims: plan.dims,
        volumes: plan.volumes,
        voxel_size: plan.voxel,
        repetition_time: sidecar::repetition_time(series),
        frames: series.frames.len(),
        affine: plan.affine,
        orientation: plan.affine.map(|a| axcodes(&a)),
    }
}

/// Convert the instances of one series (any order) to NIfTI-1 plus sidecar.
pub fn convert_series(
    instances: &[&DefaultDicomObject],
    opts: &NiftiOptions,
) -> Result<Converted, NotConverted> {
    let series = series::collect(instances)?;
    let plan = geometry::plan(&series, opts.allow_unknown_geometry)?;
    let geometry = describe(&series, &plan);
    let [nx, ny, nz] = plan.dims;
    let nt = plan.volumes;
    if [nx, ny, nz, nt].iter().any(|&d| d > i16::MAX as usize) {
        return Err(NotConverted::Unsupported(format!(
            "dimensions {nx}x{ny}x{nz}x{nt} exceed NIfTI-1's 32767"
        )));
    }
    let (output, scl, datatype, code, bytes_per_voxel) = match plan.uniform_rescale {
        Some(r) => (
            Output::Stored,
            r,
            series.ty.name(),
            series.ty.nifti_code(),
            series.ty.bytes(),
        ),
        None => (Output::Float32, [1.0, 0.0], "float32", 16, 4),
    };
    let tr = geometry.repetition_time;
    let mut shape = vec![nx, ny, nz];
    let mut voxel_size = plan.voxel.to_vec();
    if nt > 1 {
        shape.push(nt);
        voxel_size.push(tr.unwrap_or(0.0));
    }
    let dim_info = match sidecar::phase_axis(&series) {
        Some('i') => 1 | (2 << 2) | (3 << 4),
        Some(_) => 2 | (1 << 2) | (3 << 4),
        None => 3 << 4,
    };
    let hdr = header::Header {
        dims: shape.clone(),
        pixdim: [
            plan.voxel[0],
            plan.voxel[1],
            plan.voxel[2],
            tr.unwrap_or(0.0),
        ],
        datatype: code,
        bitpix: (bytes_per_voxel * 8) as i16,
        scl,
        quatern: plan.quatern,
        srows: plan.affine.map(|a| [a[0], a[1], a[2]]),
        dim_info,
    };
    let n_voxels = nx * ny * nz * nt;
    let mut raw = vec![0u8; header::VOX_OFFSET + n_voxels * bytes_per_voxel];
    header::write(&hdr, &mut raw);
    let frames: Vec<_> = plan
        .order
        .iter()
        .map(|&i| (series.frames[i].pixels, series.frames[i].rescale))
        .collect();
    pixels::assemble(
        &series.data,
        &frames,
        (ny, nx),
        plan.flip_rows,
        output,
        &mut raw[header::VOX_OFFSET..],
    )?;
    let bytes = if opts.gzip {
        gzip(&raw, opts.gzip_level)?
    } else {
        raw
    };
    Ok(Converted {
        bytes,
        gzip: opts.gzip,
        sidecar: sidecar::build(&series, &plan),
        shape,
        voxel_size,
        datatype,
        scaling: scl,
        geometry,
    })
}

fn gzip(raw: &[u8], level: u32) -> Result<Vec<u8>, NotConverted> {
    gzip_nifti(raw, level).map_err(|e| NotConverted::Unsupported(format!("gzip: {e}")))
}

/// `raw` as a gzip member at `level` as [`NiftiOptions::gzip_level`] describes it (1:
/// Huffman-only, 0 and 2-9: zlib's levels).
pub fn gzip_nifti(raw: &[u8], level: u32) -> std::io::Result<Vec<u8>> {
    if level == 1 {
        return Ok(gz::gzip_huffman(raw));
    }
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 2),
        flate2::Compression::new(level.min(9)),
    );
    enc.write_all(raw).and_then(|_| enc.finish())
}

/// nibabel's `aff2axcodes` for a near-orthogonal affine: per voxel axis, the world axis it runs
/// along most and its direction.
fn axcodes(a: &[[f64; 4]; 4]) -> String {
    (0..3)
        .map(|c| {
            let col = [a[0][c], a[1][c], a[2][c]];
            let (w, v) = col.iter().enumerate().fold((0, 0.0f64), |best, (i, v)| {
                if v.abs() > best.1.abs() {
                    (i, *v)
                } else {
                    best
                }
            });
            match (w, v >= 0.0) {
                (0, true) => 'R',
                (0, false) => 'L',
                (1, true) => 'A',
                (1, false) => 'P',
                (_, true) => 'S',
                (_, false) => 'I',
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
