//! Where each frame goes and where the volume lies: slice sorting along the normal, grouping into
//! volumes, the voxel-to-world affine (RAS) and its quaternion form.
//!
//! Slices are sorted by the projection of ImagePositionPatient on the slice normal (the cross
//! product of the ImageOrientationPatient row and column cosines), never by instance number.
//! Frames at one position are the volumes of a 4-D series, in temporal order (temporal position,
//! then acquisition number, instance number, frame number); every position must hold the same number of them.
//! Unequal slice gaps, several orientations or echoes, sheared stacks and duplicate frames are
//! refused: an honest refusal beats a wrong volume.
//!
//! Voxel (i, j, k) is column i, row `Rows - 1 - j` of slice k (dcm2niix's top-bottom flip), so in
//! LPS: `x = P0 + i * dc * row + (Rows - 1 - j) * dr * col + k * s`, with `P0` the first slice's
//! position, `dr, dc` the PixelSpacing, and `s` the step between slice positions.

use super::frame::Frame;
use super::series::Series;
use super::NotConverted;

/// Positions closer than this along the normal are the same slice (mm).
const SAME_POSITION_MM: f64 = 0.01;

/// The layout of the output volume.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Columns, rows, slices.
    pub(crate) dims: [usize; 3],
    pub(crate) volumes: usize,
    /// Frame indices in output order (volume-major, then slice).
    pub(crate) order: Vec<usize>,
    /// Voxel size (mm): along i, j, k.
    pub(crate) voxel: [f64; 3],
    /// Voxel to world (RAS, mm); `None` when the series carries no geometry.
    pub(crate) affine: Option<[[f64; 4]; 4]>,
    /// qform: quaternion b, c, d, offset x, y, z and qfac.
    pub(crate) quatern: Option<([f64; 3], [f64; 3], f64)>,
    /// Scaling shared by every frame, `None` when it varies (float output).
    pub(crate) uniform_rescale: Option<[f64; 2]>,
    /// Slice acquisition times of the output slices (s), when known.
    pub(crate) slice_timing: Option<Vec<f64>>,
    /// Store rows bottom-up (dcm2niix does, except for data without geometry).
    pub(crate) flip_rows: bool,
}

type V3 = [f64; 3];

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}
fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// Lay out the frames of `series`. With `allow_unknown` a series without any position or
/// orientation becomes one volume in acquisition order with no world geometry.
pub(crate) fn plan(series: &Series<'_>, allow_unknown: bool) -> Result<Plan, NotConverted> {
    let frames = &series.frames;
    if frames.is_empty() {
        return Err(NotConverted::Empty);
    }
    let echoes: std::collections::BTreeSet<i64> = frames.iter().filter_map(|f| f.echo).collect();
    if echoes.len() > 1 {
        return Err(NotConverted::Unsupported(format!(
            "{} echoes in one series (dcm2niix writes one file per echo; not done here)",
            echoes.len()
        )));
    }
    let uniform_rescale = {
        let r0 = frames[0].rescale;
        let same = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        frames
            .iter()
            .all(|f| same(f.rescale[0], r0[0]) && same(f.rescale[1], r0[1]))
            .then_some(r0)
    };
    let with_geometry = frames
        .iter()
        .filter(|f| f.ipp.is_some() && f.iop.is_some())
        .count();
    if with_geometry == 0 {
        if !allow_unknown {
            return Err(NotConverted::NoGeometry(
                "no ImagePositionPatient/ImageOrientationPatient (top level or functional groups)"
                    .into(),
            ));
        }
        return Ok(unknown_geometry(series, uniform_rescale));
    }
    if with_geometry != frames.len() {
        return Err(NotConverted::Inconsistent(format!(
            "{} of {} frames lack a position or orientation",
            frames.len() - with_geometry,
            frames.len()
        )));
    }
    let geo = |f: &Frame| -> (V3, [f64; 6], [f64; 2]) {
        (
            f.ipp.unwrap_or_default(),
            f.iop.unwrap_or_default(),
            f.spacing.unwrap_or([0.0, 0.0]),
        )
    };
    let (_, iop, spacing) = geo(&frames[0]);
    if frames[0].spacing.is_none() || spacing[0] <= 0.0 || spacing[1] <= 0.0 {
        return Err(NotConverted::NoGeometry("no valid PixelSpacing".into()));
    }
    for f in frames {
        let (_, o, s) = geo(f);
        if o.iter().zip(&iop).any(|(a, b)| (a - b).abs() > 1e-4) {
            return Err(NotConverted::Inconsistent(
                "several image orientations in one series".into(),
            ));
        }
        if f.spacing.is_none()
            || s.iter()
                .zip(&spacing)
                .any(|(a, b)| (a - b).abs() > 1e-4 * b.abs().max(1.0))
        {
            return Err(NotConverted::Inconsistent(
                "several pixel spacings in one series".into(),
            ));
        }
    }
    let row = [iop[0], iop[1], iop[2]];
    let col = [iop[3], iop[4], iop[5]];
    let (nr, nc) = (norm(row), norm(col));
    if !(0.99..1.01).contains(&nr) || !(0.99..1.01).contains(&nc) {
        return Err(NotConverted::Malformed(
            "ImageOrientationPatient cosines are not unit vectors".into(),
        ));
    }
    let (row, col) = (scale(row, 1.0 / nr), scale(col, 1.0 / nc));
    if dot(row, col).abs() > 1e-3 {
        return Err(NotConverted::Malformed(
            "ImageOrientationPatient rows and columns are not orthogonal".into(),
        ));
    }
    let normal = cross(row, col);

    // Sort along the normal, then group positions.
    let mut idx: Vec<(f64, usize)> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (dot(geo(f).0, normal), i))
        .collect();
    idx.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut positions: Vec<Vec<usize>> = Vec::new();
    let mut last_d = f64::NEG_INFINITY;
    for (d, i) in idx {
        match positions.last_mut() {
            Some(p) if d - last_d <= SAME_POSITION_MM => p.push(i),
            _ => {
                positions.push(vec![i]);
                last_d = d;
            }
        }
    }
    let nz = positions.len();
    let nt = positions[0].len();
    if let Some(p) = positions.iter().find(|p| p.len() != nt) {
        return Err(NotConverted::Inconsistent(format!(
            "slice positions hold unequal numbers of images ({nt} and {})",
            p.len()
        )));
    }
    for p in &mut positions {
        let p0 = geo(&frames[p[0]]).0;
        if p.iter()
            .any(|&i| norm(sub(geo(&frames[i]).0, p0)) > 10.0 * SAME_POSITION_MM)
        {
            return Err(NotConverted::Inconsistent(
                "images at one slice position are shifted in-plane".into(),
            ));
        }
        p.sort_by_key(|&i| frames[i].order);
        if p.windows(2)
            .any(|w| frames[w[0]].order == frames[w[1]].order)
        {
            return Err(NotConverted::Inconsistent(
                "duplicate images at one slice position".into(),
            ));
        }
    }
    for t in 0..nt {
        let temporal: std::collections::BTreeSet<Option<i64>> =
            positions.iter().map(|p| frames[p[t]].temporal).collect();
        if temporal.len() > 1 {
            return Err(NotConverted::Inconsistent(format!(
                "volume {} mixes temporal positions",
                t + 1
            )));
        }
    }

    // Slice step.
    let first = geo(&frames[positions[0][0]]).0;
    let step = if nz > 1 {
        let last = geo(&frames[positions[nz - 1][0]]).0;
        let s = scale(sub(last, first), 1.0 / (nz - 1) as f64);
        let mean = dot(s, normal);
        let gaps: Vec<f64> = positions
            .windows(2)
            .map(|w| {
                dot(
                    sub(geo(&frames[w[1][0]]).0, geo(&frames[w[0][0]]).0),
                    normal,
                )
            })
            .collect();
        let tol = 0.01 + 1e-3 * mean;
        if gaps.iter().any(|g| (g - mean).abs() > tol) {
            let lo = gaps.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            return Err(NotConverted::Inconsistent(format!(
                "unequal slice spacing ({lo:.4} to {hi:.4} mm)"
            )));
        }
        let along = scale(normal, mean);
        if norm(sub(s, along)) > 0.01 * mean {
            return Err(NotConverted::Unsupported(
                "sheared stack (slices not perpendicular to the image plane, gantry tilt)".into(),
            ));
        }
        // Every slice on the line first + k * s (catches one slice shifted in-plane).
        for (k, p) in positions.iter().enumerate() {
            let expect = add(first, scale(s, k as f64));
            if norm(sub(geo(&frames[p[0]]).0, expect)) > 0.01 + 0.01 * mean {
                return Err(NotConverted::Inconsistent(format!(
                    "slice {} is off the line of the others",
                    k + 1
                )));
            }
        }
        s
    } else {
        scale(normal, series.slice_step.unwrap_or(1.0))
    };
    let (dr, dc) = (spacing[0], spacing[1]);
    let rows = series.rows as f64;
    // LPS columns and origin, then to RAS by negating x and y.
    let ci = scale(row, dc);
    let cj = scale(col, -dr);
    let origin = add(first, scale(col, (rows - 1.0) * dr));
    let ras = |v: V3| [-v[0], -v[1], v[2]];
    let (ci, cj, ck, origin) = (ras(ci), ras(cj), ras(step), ras(origin));
    let affine = [
        [ci[0], cj[0], ck[0], origin[0]],
        [ci[1], cj[1], ck[1], origin[1]],
        [ci[2], cj[2], ck[2], origin[2]],
        [0.0, 0.0, 0.0, 1.0],
    ];
    // qform: the orthonormal rotation (slice axis along the normal, whatever a small shear).
    let dir_k = ras(scale(normal, dot(step, normal).signum()));
    let quatern = quaternion([scale(ci, 1.0 / dc), scale(cj, 1.0 / dr), dir_k], origin);
    let mut order = Vec::with_capacity(frames.len());
    for t in 0..nt {
        order.extend(positions.iter().map(|p| p[t]));
    }
    let slice_timing = positions
        .iter()
        .map(|p| frames[p[0]].slice_time.map(|ms| ms / 1000.0))
        .collect::<Option<Vec<f64>>>();
    Ok(Plan {
        dims: [series.cols, series.rows, nz],
        volumes: nt,
        order,
        voxel: [dc, dr, norm(step)],
        affine: Some(affine),
        quatern: Some(quatern),
        uniform_rescale,
        slice_timing,
        flip_rows: true,
    })
}

/// One volume, frames in acquisition order, rows as transmitted, no world geometry (dcm2niix's
/// behaviour for multi-frame objects stripped of their functional groups).
fn unknown_geometry(series: &Series<'_>, uniform_rescale: Option<[f64; 2]>) -> Plan {
    let mut order: Vec<usize> = (0..series.frames.len()).collect();
    order.sort_by_key(|&i| (series.frames[i].order[2], series.frames[i].order[3]));
    let spacing = series.frames[0].spacing.unwrap_or([1.0, 1.0]);
    Plan {
        dims: [series.cols, series.rows, order.len()],
        volumes: 1,
        order,
        voxel: [spacing[1], spacing[0], series.slice_step.unwrap_or(1.0)],
        affine: None,
        quatern: None,
        uniform_rescale,
        slice_timing: None,
        flip_rows: false,
    }
}

/// NIfTI quaternion (b, c, d), offset and qfac of an orthonormal matrix given by its columns
/// (after `nifti_mat44_to_quatern`).
fn quaternion(cols: [V3; 3], offset: V3) -> ([f64; 3], V3, f64) {
    let [c0, c1, mut c2] = cols;
    let det = dot(c0, cross(c1, c2));
    let qfac = if det < 0.0 {
        c2 = scale(c2, -1.0);
        -1.0
    } else {
        1.0
    };
    // r[row][col]
    let r = [
        [c0[0], c1[0], c2[0]],
        [c0[1], c1[1], c2[1]],
        [c0[2], c1[2], c2[2]],
    ];
    let trace = r[0][0] + r[1][1] + r[2][2] + 1.0;
    let (mut a, mut b, mut c, mut d);
    if trace > 0.5 {
        a = 0.5 * trace.sqrt();
        b = 0.25 * (r[2][1] - r[1][2]) / a;
        c = 0.25 * (r[0][2] - r[2][0]) / a;
        d = 0.25 * (r[1][0] - r[0][1]) / a;
    } else {
        let xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
        let yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
        let zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
        if xd > 1.0 {
            b = 0.5 * xd.sqrt();
            a = 0.25 * (r[2][1] - r[1][2]) / b;
            c = 0.25 * (r[0][1] + r[1][0]) / b;
            d = 0.25 * (r[0][2] + r[2][0]) / b;
        } else if yd > 1.0 {
            c = 0.5 * yd.sqrt();
            a = 0.25 * (r[0][2] - r[2][0]) / c;
            b = 0.25 * (r[0][1] + r[1][0]) / c;
            d = 0.25 * (r[1][2] + r[2][1]) / c;
        } else {
            d = 0.5 * zd.sqrt();
            a = 0.25 * (r[1][0] - r[0][1]) / d;
            b = 0.25 * (r[0][2] + r[2][0]) / d;
            c = 0.25 * (r[1][2] + r[2][1]) / d;
        }
        if a < 0.0 {
            b = -b;
            c = -c;
            d = -d;
            a = -a;
        }
    }
    let _ = a;
    ([b, c, d], offset, qfac)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rotation matrix back from (b, c, d) and qfac (NIfTI-1 formula).
    fn rot(q: [f64; 3], qfac: f64) -> [[f64; 3]; 3] {
        let [b, c, d] = q;
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
        [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                qfac * 2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                qfac * 2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                qfac * (a * a + d * d - c * c - b * b),
            ],
        ]
    }

    #[test]
    fn quaternion_round_trips_rotations_and_reflections() {
        let s = (0.5f64).sqrt();
        let cases: [[V3; 3]; 5] = [
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            [[0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]],
            [[s, s, 0.0], [-s, s, 0.0], [0.0, 0.0, -1.0]],
            [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
        ];
        for cols in cases {
            let (q, _, qfac) = quaternion(cols, [0.0; 3]);
            let m = rot(q, qfac);
            for (j, col) in cols.iter().enumerate() {
                for i in 0..3 {
                    assert!((m[i][j] - col[i]).abs() < 1e-9, "{cols:?} -> {m:?}");
                }
            }
        }
    }
}
