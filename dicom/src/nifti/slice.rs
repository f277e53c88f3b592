//! Slices of a read volume for display: the voxel axis closest to each world axis is found from
//! the affine, so an axial slice is axial whatever order the file stores its voxels in; the slice
//! is resampled to square pixels (voxels may be 1 x 1 x 5 mm) and windowed to 8 bits by the
//! volume's robust range (0.5th to 99.5th percentile of its finite voxels).
//!
//! Display conventions (neurological, as nilearn and FSLeyes show by default): axial and coronal
//! slices put the patient's right on the image's right and anterior / superior at the top;
//! sagittal slices put anterior on the left and superior at the top. Slice 0 is the most
//! inferior (axial), posterior (coronal) or left (sagittal) one.

use super::volume::{NiftiReadError, NiftiVolume};

/// A display plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plane {
    /// Perpendicular to the world z axis (inferior-superior).
    Axial,
    /// Perpendicular to the world y axis (posterior-anterior).
    Coronal,
    /// Perpendicular to the world x axis (left-right).
    Sagittal,
}

impl Plane {
    /// Parse `axial`, `coronal` or `sagittal`.
    pub fn parse(s: &str) -> Option<Plane> {
        match s {
            "axial" => Some(Plane::Axial),
            "coronal" => Some(Plane::Coronal),
            "sagittal" => Some(Plane::Sagittal),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Plane::Axial => "axial",
            Plane::Coronal => "coronal",
            Plane::Sagittal => "sagittal",
        }
    }

    /// The world axis the plane is perpendicular to (0 = x, 1 = y, 2 = z).
    fn normal(self) -> usize {
        match self {
            Plane::Axial => 2,
            Plane::Coronal => 1,
            Plane::Sagittal => 0,
        }
    }

    /// (world axis along the columns, increasing to the right?), (world axis down the rows,
    /// increasing downwards?).
    fn layout(self) -> ((usize, bool), (usize, bool)) {
        match self {
            Plane::Axial => ((0, true), (1, false)),
            Plane::Coronal => ((0, true), (2, false)),
            Plane::Sagittal => ((1, false), (2, false)),
        }
    }
}

/// An 8-bit grayscale image, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraySlice {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` bytes.
    pub pixels: Vec<u8>,
}

/// For each world axis, the voxel axis that runs closest to it and whether it runs the same
/// way: the greatest absolute direction cosine, each voxel axis used once.
fn axes(affine: &[[f64; 4]; 3]) -> [(usize, bool); 3] {
    let mut out = [(usize::MAX, true); 3];
    let mut used = [false; 3];
    let mut cells: Vec<(f64, usize, usize)> = Vec::with_capacity(9);
    for (world, row) in affine.iter().enumerate() {
        for (vox, v) in row[..3].iter().enumerate() {
            let norm = (0..3).map(|r| affine[r][vox].powi(2)).sum::<f64>().sqrt();
            let c = if norm > 0.0 { v.abs() / norm } else { 0.0 };
            cells.push((c, world, vox));
        }
    }
    cells.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, world, vox) in cells {
        if out[world].0 == usize::MAX && !used[vox] {
            out[world] = (vox, affine[world][vox] >= 0.0);
            used[vox] = true;
        }
    }
    // A degenerate affine (all zero) leaves axes unassigned: fall back to the identity.
    for (world, slot) in out.iter_mut().enumerate() {
        if slot.0 == usize::MAX {
            let vox = (0..3).find(|v| !used[*v]).unwrap_or(world);
            used[vox] = true;
            *slot = (vox, true);
        }
    }
    out
}

/// The robust display range of the first volume: its 0.5th and 99.5th percentiles.
pub fn display_range(v: &NiftiVolume) -> (f32, f32) {
    let n = v.header.volume_voxels().min(v.data.len());
    let step = (n / 1_000_000).max(1);
    let mut sample: Vec<f32> = v.data[..n]
        .iter()
        .step_by(step)
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if sample.is_empty() {
        return (0.0, 1.0);
    }
    let at = |s: &mut Vec<f32>, q: f64| {
        let i = ((s.len() - 1) as f64 * q).round() as usize;
        *s.select_nth_unstable_by(i, f32::total_cmp).1
    };
    let lo = at(&mut sample, 0.005);
    let hi = at(&mut sample, 0.995);
    if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + 1.0)
    }
}

/// Number of slices of the first volume in `plane`.
pub fn slice_count(v: &NiftiVolume, plane: Plane) -> usize {
    let ax = axes(&v.header.affine);
    v.header.dims[ax[plane.normal()].0]
}

/// Render slice `index` of `plane` (the middle one when `None`) of the first volume, windowed
/// by `range`, at most `max_side` pixels on its longer side.
pub fn render_slice(
    v: &NiftiVolume,
    plane: Plane,
    index: Option<usize>,
    range: (f32, f32),
    max_side: usize,
) -> Result<GraySlice, NiftiReadError> {
    let h = &v.header;
    let dims = [h.dims[0], h.dims[1], h.dims[2]];
    if v.data.len() < dims.iter().product::<usize>() {
        return Err(NiftiReadError::short());
    }
    let ax = axes(&h.affine);
    let (n_axis, n_pos) = ax[plane.normal()];
    let count = dims[n_axis];
    let index = index.unwrap_or(count / 2);
    if index >= count {
        return Err(NiftiReadError::slice(plane, index, count));
    }
    // Slice 0 is the lowest world coordinate along the normal.
    let fixed = if n_pos { index } else { count - 1 - index };
    let ((cw, c_inc), (rw, r_inc)) = plane.layout();
    let (c_axis, c_pos) = ax[cw];
    let (r_axis, r_pos) = ax[rw];
    let (nc, nr) = (dims[c_axis], dims[r_axis]);
    let size = |axis: usize| {
        (0..3)
            .map(|r| h.affine[r][axis].powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-6)
    };
    let (sc, sr) = (size(c_axis), size(r_axis));
    // Output pixels are square, of the finer voxel size, then shrunk to max_side.
    let pix = sc.min(sr);
    let mut w = ((nc as f64 * sc / pix).round() as usize).max(1);
    let mut ht = ((nr as f64 * sr / pix).round() as usize).max(1);
    let longest = w.max(ht);
    if longest > max_side.max(1) {
        let f = max_side.max(1) as f64 / longest as f64;
        w = ((w as f64 * f).round() as usize).max(1);
        ht = ((ht as f64 * f).round() as usize).max(1);
    }
    let stride = [1, dims[0], dims[0] * dims[1]];
    let (lo, hi) = range;
    let span = f64::from((hi - lo).max(f32::MIN_POSITIVE));
    let mut pixels = Vec::with_capacity(w * ht);
    for y in 0..ht {
        let r = (y * nr / ht).min(nr - 1);
        // Row index along the world axis: flip when the voxel axis runs against the display.
        let r_vox = if r_pos != r_inc { nr - 1 - r } else { r };
        for x in 0..w {
            let c = (x * nc / w).min(nc - 1);
            let c_vox = if c_pos != c_inc { nc - 1 - c } else { c };
            let mut idx = [0usize; 3];
            idx[n_axis] = fixed;
            idx[c_axis] = c_vox;
            idx[r_axis] = r_vox;
            let at = idx[0] * stride[0] + idx[1] * stride[1] + idx[2] * stride[2];
            let val = v.data[at];
            let g = if val.is_finite() {
                ((f64::from(val - lo) / span) * 255.0).clamp(0.0, 255.0) as u8
            } else {
                0
            };
            pixels.push(g);
        }
    }
    Ok(GraySlice {
        width: w,
        height: ht,
        pixels,
    })
}

impl NiftiReadError {
    fn short() -> Self {
        NiftiReadError::new("fewer voxels than the dimensions say".into())
    }

    fn slice(plane: Plane, index: usize, count: usize) -> Self {
        NiftiReadError::new(format!(
            "{} slice {index} out of range (0 to {})",
            plane.name(),
            count.saturating_sub(1)
        ))
    }
}
