//! The three series of every examination: their acquisition parameters (as a 3 T scanner's
//! protocol would set them) and their geometry in patient coordinates.
//!
//! Geometry follows DICOM's image plane module: pixel `(r, c)` of slice `k` lies at
//! `IPP_k + c * spacing * row + r * spacing * col` where `row` and `col` are the two
//! ImageOrientationPatient cosines, and `IPP_k = IPP_0 + k * step * (row x col)`: slices advance
//! along the normal by SpacingBetweenSlices. The T1 is sagittal, the T2 axial, and the BOLD
//! axial tilted by about 11 degrees about the left-right axis (an AC-PC aligned EPI), so one
//! series is oblique.

use crate::options::SampleSize;
use crate::phantom::Contrast;
use crate::rng::{add, cross, scale, unit, V3};

/// Which series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    T1,
    T2,
    Bold,
}

/// A series' acquisition parameters.
#[derive(Debug)]
pub(crate) struct Protocol {
    pub(crate) kind: Kind,
    pub(crate) number: u32,
    /// ProtocolName, SeriesDescription and the `series` column of `truth.tsv` (those of
    /// `make_series.py`).
    pub(crate) name: &'static str,
    /// The series folder: a legal DICOMDIR file id component.
    pub(crate) dir: &'static str,
    pub(crate) contrast: Contrast,
    pub(crate) tr: f64,
    pub(crate) te: f64,
    pub(crate) ti: Option<f64>,
    pub(crate) flip: f64,
    pub(crate) scanning: &'static [&'static str],
    pub(crate) variant: &'static [&'static str],
    pub(crate) options: &'static [&'static str],
    pub(crate) acquisition: &'static str,
    pub(crate) sequence_name: &'static str,
    pub(crate) echo_train: u32,
    pub(crate) bandwidth: f64,
    pub(crate) image_type: &'static [&'static str],
    /// WindowCenter, WindowWidth.
    pub(crate) window: [f64; 2],
    /// Thermal noise (standard deviation, stored units).
    pub(crate) noise: f64,
    /// Start, in minutes after the examination's start.
    pub(crate) minutes: u32,
    /// InPlanePhaseEncodingDirection.
    pub(crate) phase: &'static str,
}

/// Every examination's series, in acquisition order.
pub(crate) const PROTOCOLS: [Protocol; 3] = [
    Protocol {
        kind: Kind::T1,
        number: 2,
        name: "t1_mprage_sag_1mm",
        dir: "S02_T1",
        contrast: Contrast::T1,
        tr: 2300.0,
        te: 2.98,
        ti: Some(900.0),
        flip: 9.0,
        scanning: &["GR", "IR"],
        variant: &["SK", "SP", "MP"],
        options: &["IR"],
        acquisition: "3D",
        sequence_name: "*tfl3d1_16ns",
        echo_train: 1,
        bandwidth: 240.0,
        image_type: &["ORIGINAL", "PRIMARY", "OTHER", "ND", "NORM"],
        window: [1250.0, 2700.0],
        noise: 18.0,
        minutes: 2,
        phase: "ROW",
    },
    Protocol {
        kind: Kind::T2,
        number: 3,
        name: "t2_tse_tra_2mm",
        dir: "S03_T2",
        contrast: Contrast::T2,
        tr: 6000.0,
        te: 95.0,
        ti: None,
        flip: 150.0,
        scanning: &["SE"],
        variant: &["SK", "SP", "OSP"],
        options: &["SAT1"],
        acquisition: "2D",
        sequence_name: "*tse2d1_11",
        echo_train: 11,
        bandwidth: 220.0,
        image_type: &["ORIGINAL", "PRIMARY", "OTHER", "NORM"],
        window: [1500.0, 3200.0],
        noise: 24.0,
        minutes: 9,
        phase: "ROW",
    },
    Protocol {
        kind: Kind::Bold,
        number: 4,
        name: "bold_rest_ep2d",
        dir: "S04_BOLD",
        contrast: Contrast::Epi,
        tr: 2000.0,
        te: 30.0,
        ti: None,
        flip: 90.0,
        scanning: &["EP"],
        variant: &["SK"],
        options: &["FS"],
        acquisition: "2D",
        sequence_name: "*epfid2d1_64",
        echo_train: 1,
        bandwidth: 2368.0,
        image_type: &["ORIGINAL", "PRIMARY", "OTHER", "ND"],
        window: [1300.0, 2600.0],
        noise: 32.0,
        minutes: 15,
        phase: "COL",
    },
];

/// Where a series' slices lie.
#[derive(Debug, Clone)]
pub(crate) struct Geometry {
    /// Direction of increasing column index (ImageOrientationPatient, first three).
    pub(crate) row: V3,
    /// Direction of increasing row index (ImageOrientationPatient, last three).
    pub(crate) col: V3,
    /// `row x col`: the direction slices advance in.
    pub(crate) normal: V3,
    /// ImagePositionPatient of slice 0.
    pub(crate) first: V3,
    /// PixelSpacing (square pixels).
    pub(crate) pixel: f64,
    pub(crate) thickness: f64,
    /// SpacingBetweenSlices (centre to centre).
    pub(crate) step: f64,
    pub(crate) rows: u16,
    pub(crate) cols: u16,
    pub(crate) slices: u32,
    /// Volumes (temporal positions); 1 for the anatomical series.
    pub(crate) volumes: u32,
}

struct Layout {
    cols: u16,
    rows: u16,
    slices: u32,
    volumes: u32,
    pixel: f64,
    thickness: f64,
    step: f64,
}

fn layout(kind: Kind, size: SampleSize) -> Layout {
    let l = |cols, rows, slices, volumes, pixel, thickness, step| Layout {
        cols,
        rows,
        slices,
        volumes,
        pixel,
        thickness,
        step,
    };
    match (kind, size) {
        (Kind::T1, SampleSize::Full) => l(192, 192, 160, 1, 1.0, 1.0, 1.0),
        (Kind::T1, _) => l(48, 48, 40, 1, 4.0, 4.0, 4.0),
        (Kind::T2, SampleSize::Full) => l(192, 224, 60, 1, 1.0, 2.0, 2.0),
        (Kind::T2, _) => l(48, 56, 15, 1, 4.0, 8.0, 8.0),
        (Kind::Bold, SampleSize::Full) => l(64, 64, 30, 6, 3.4375, 3.5, 3.85),
        (Kind::Bold, _) => l(32, 32, 12, 4, 6.875, 8.75, 9.625),
    }
}

impl Geometry {
    /// The geometry of `kind` at `size`. The field of view is centred on a fixed point of the
    /// scanner; the head moves between examinations ([`crate::phantom::Pose`]), not the slices.
    pub(crate) fn new(kind: Kind, size: SampleSize) -> Self {
        let (row, col, centre) = match kind {
            // Sagittal: columns run anterior to posterior, rows superior to inferior.
            Kind::T1 => ([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [0.0, 0.0, 10.0]),
            Kind::T2 => ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 24.0]),
            // Tilted about x by atan(0.2), about 11.3 degrees.
            Kind::Bold => ([1.0, 0.0, 0.0], unit([0.0, 1.0, 0.2]), [0.0, 0.0, 22.0]),
        };
        let normal = cross(row, col);
        let l = layout(kind, size);
        let half = |n: f64, d: f64| (n - 1.0) * d / 2.0;
        let first = add(
            centre,
            add(
                scale(row, -half(f64::from(l.cols), l.pixel)),
                add(
                    scale(col, -half(f64::from(l.rows), l.pixel)),
                    scale(normal, -half(f64::from(l.slices), l.step)),
                ),
            ),
        );
        Geometry {
            row,
            col,
            normal,
            first,
            pixel: l.pixel,
            thickness: l.thickness,
            step: l.step,
            rows: l.rows,
            cols: l.cols,
            slices: l.slices,
            volumes: l.volumes,
        }
    }

    /// ImagePositionPatient of slice `k`.
    pub(crate) fn position(&self, k: u32) -> V3 {
        add(self.first, scale(self.normal, f64::from(k) * self.step))
    }

    /// The centre of pixel (`r`, `c`) of the slice at `ipp`.
    pub(crate) fn point(&self, ipp: V3, r: u16, c: u16) -> V3 {
        add(
            ipp,
            add(
                scale(self.row, f64::from(c) * self.pixel),
                scale(self.col, f64::from(r) * self.pixel),
            ),
        )
    }

    /// `cols x rows x slices[ x volumes]`, as `truth.tsv` writes it.
    pub(crate) fn dims(&self) -> String {
        let base = format!("{}x{}x{}", self.cols, self.rows, self.slices);
        if self.volumes > 1 {
            format!("{base}x{}", self.volumes)
        } else {
            base
        }
    }

    /// Slice `k`'s acquisition offset within a volume (ms): interleaved, even slices first.
    pub(crate) fn slice_offset_ms(&self, k: u32, tr: f64) -> f64 {
        let evens = self.slices.div_ceil(2);
        let order = if k.is_multiple_of(2) {
            k / 2
        } else {
            evens + k / 2
        };
        f64::from(order) * tr / f64::from(self.slices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::dot;

    #[test]
    fn slabs_are_centred_and_orthonormal() {
        for p in &PROTOCOLS {
            for size in [SampleSize::Full, SampleSize::Small] {
                let g = Geometry::new(p.kind, size);
                assert!((dot(g.row, g.col)).abs() < 1e-12);
                assert!((dot(g.normal, g.normal) - 1.0).abs() < 1e-12);
                let last = g.position(g.slices - 1);
                let span = dot(crate::rng::sub(last, g.first), g.normal);
                assert!((span - f64::from(g.slices - 1) * g.step).abs() < 1e-9);
            }
        }
        let g = Geometry::new(Kind::Bold, SampleSize::Full);
        let offsets: Vec<f64> = (0..g.slices)
            .map(|k| g.slice_offset_ms(k, 2000.0))
            .collect();
        let mut sorted = offsets.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert_eq!(sorted.len(), 30);
        assert!(sorted.iter().all(|&t| (0.0..2000.0).contains(&t)));
    }
}
