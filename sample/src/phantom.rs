//! The procedural head: nested ellipsoids in the spirit of the 3-D Shepp-Logan phantom, with
//! tissue classes instead of additive densities so that each contrast (T1, T2, EPI) maps them to
//! its own intensities.
//!
//! Head coordinates are LPS millimetres (x to the patient's left, y posterior, z superior) with
//! the origin at the centre of the cranium. From the outside in: air, scalp (fat and skin), the
//! skull (cortical bone around a layer of marrow), the eyes in their orbital fat, cerebrospinal
//! fluid, the cerebrum (a grey-matter ribbon whose surface is folded by a smooth pattern of
//! gyri, around white matter folded deeper), the interhemispheric fissure, the lateral and third
//! ventricles, the deep grey nuclei (thalamus, caudate, putamen), the cerebellum and brainstem,
//! and white-matter lesions (an MS cohort: a new one appears at each follow-up). The neck is a
//! block of muscle under fat. Each subject has its own head size, ventricle size, folding pattern
//! and lesions; each examination its own head position in the scanner.

use crate::rng::{dot, scale, sin, unit, Rng, V3};

/// A tissue class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tissue {
    Air,
    Fat,
    Bone,
    Marrow,
    Muscle,
    Fluid,
    Csf,
    Grey,
    DeepGrey,
    White,
    Lesion,
}

/// Which intensities the tissues get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contrast {
    /// MPRAGE: white matter bright, CSF dark.
    T1,
    /// Turbo spin echo: CSF bright, white matter darker than grey.
    T2,
    /// Gradient-echo EPI with fat saturation.
    Epi,
}

impl Tissue {
    /// Relative signal (0 to 1) of this tissue in `contrast`.
    pub(crate) fn signal(self, contrast: Contrast) -> f64 {
        use Tissue::*;
        let [t1, t2, epi] = match self {
            Air => [0.0, 0.0, 0.0],
            Fat => [0.90, 0.62, 0.12],
            Bone => [0.04, 0.03, 0.03],
            Marrow => [0.55, 0.35, 0.08],
            Muscle => [0.38, 0.22, 0.30],
            Fluid => [0.08, 0.95, 0.80],
            Csf => [0.10, 1.00, 0.88],
            Grey => [0.50, 0.58, 0.70],
            DeepGrey => [0.58, 0.48, 0.64],
            White => [0.80, 0.38, 0.55],
            Lesion => [0.42, 0.85, 0.72],
        };
        match contrast {
            Contrast::T1 => t1,
            Contrast::T2 => t2,
            Contrast::Epi => epi,
        }
    }
}

/// An axis-aligned ellipsoid.
#[derive(Debug, Clone, Copy)]
struct Ellipsoid {
    c: V3,
    inv: V3,
}

impl Ellipsoid {
    fn new(c: V3, semi: V3) -> Self {
        Ellipsoid {
            c,
            inv: [1.0 / semi[0], 1.0 / semi[1], 1.0 / semi[2]],
        }
    }

    /// The same, mirrored to the other hemisphere.
    fn mirrored(self) -> Self {
        Ellipsoid {
            c: [-self.c[0], self.c[1], self.c[2]],
            inv: self.inv,
        }
    }

    /// Squared normalized radius: below 1 inside.
    fn q(&self, p: V3) -> f64 {
        let x = (p[0] - self.c[0]) * self.inv[0];
        let y = (p[1] - self.c[1]) * self.inv[1];
        let z = (p[2] - self.c[2]) * self.inv[2];
        x * x + y * y + z * z
    }

    fn contains(&self, p: V3) -> bool {
        self.q(p) < 1.0
    }

    /// Inside either this ellipsoid or its mirror image.
    fn contains_pair(&self, p: V3) -> bool {
        self.contains(p) || self.mirrored().contains(p)
    }
}

/// The cranium, shrunk by `d` mm on every axis.
fn cranium(d: f64) -> Ellipsoid {
    Ellipsoid::new([0.0, 0.0, 8.0], [70.0 - d, 88.0 - d, 92.0 - d])
}

/// One subject's anatomy.
#[derive(Debug, Clone)]
pub(crate) struct Anatomy {
    /// Overall head size (1 = average).
    size: f64,
    /// Ventricle size (1 = young adult).
    ventricles: f64,
    /// Folding pattern: four plane waves (direction times spatial frequency, and phase).
    fold: [(V3, f64); 4],
    /// Lesions, in order of appearance.
    lesions: Vec<Ellipsoid>,
    /// Lesions present at the examination being drawn.
    visible: usize,
}

impl Anatomy {
    /// The anatomy of subject `idx`, drawn from `seed`.
    pub(crate) fn new(seed: u64, idx: u32, age_years: f64) -> Self {
        let mut rng = Rng::new(&[seed, 0x4845_4144, u64::from(idx)]); // "HEAD"
        let size = rng.range(0.94, 1.04);
        let ventricles = 0.85 + (age_years - 20.0).max(0.0) * 0.012 + rng.range(0.0, 0.15);
        let mut fold = [([0.0; 3], 0.0); 4];
        for f in &mut fold {
            let d = unit([rng.gauss(), rng.gauss(), rng.gauss()]);
            *f = (
                scale(d, rng.range(16.0, 26.0)),
                rng.range(0.0, std::f64::consts::TAU),
            );
        }
        let lesions = (0..12)
            .map(|_| {
                let side = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
                let c = [
                    side * rng.range(13.0, 24.0),
                    rng.range(-22.0, 26.0),
                    rng.range(20.0, 34.0),
                ];
                let r = rng.range(2.0, 4.5);
                Ellipsoid::new(c, [r, r * rng.range(1.0, 1.8), r * rng.range(0.8, 1.3)])
            })
            .collect();
        Anatomy {
            size,
            ventricles,
            fold,
            lesions,
            visible: 0,
        }
    }

    /// The same subject at examination `exam` (1-based): `2 + exam` lesions.
    pub(crate) fn at_exam(&self, exam: u32) -> Self {
        let mut a = self.clone();
        a.visible = (2 + exam as usize).min(a.lesions.len());
        a
    }

    /// The folding pattern at direction `u` from the centre of the cerebrum, in [-1, 1].
    fn folds(&self, u: V3) -> f64 {
        let w = |i: usize| sin(dot(self.fold[i].0, u) + self.fold[i].1);
        (w(0) * w(1) + 0.7 * w(2) * w(3)) / 1.7
    }

    /// The tissue at `p` (head coordinates, mm).
    pub(crate) fn tissue(&self, p: V3) -> Tissue {
        let p = [p[0] / self.size, p[1] / self.size, p[2] / self.size];
        let head = cranium(0.0);
        if !head.contains(p) {
            let neck = Ellipsoid::new([0.0, 14.0, -88.0], [50.0, 54.0, 72.0]);
            return if !neck.contains(p) {
                Tissue::Air
            } else if Ellipsoid::new([0.0, 14.0, -88.0], [44.0, 48.0, 72.0]).contains(p) {
                Tissue::Muscle
            } else {
                Tissue::Fat
            };
        }
        let eye = Ellipsoid::new([31.0, -66.0, -22.0], [11.5, 11.5, 11.0]);
        let orbit = Ellipsoid::new([31.0, -60.0, -22.0], [16.0, 20.0, 15.0]);
        if orbit.contains_pair(p) {
            return if eye.contains_pair(p) {
                Tissue::Fluid
            } else {
                Tissue::Fat
            };
        }
        if !cranium(6.0).contains(p) {
            return Tissue::Fat;
        }
        if !cranium(12.0).contains(p) {
            let marrow = cranium(8.0).contains(p) && !cranium(10.0).contains(p);
            return if marrow { Tissue::Marrow } else { Tissue::Bone };
        }
        self.intracranial(p)
    }

    /// Inside the skull.
    fn intracranial(&self, p: V3) -> Tissue {
        let v = self.ventricles;
        // Ventricles first: they lie inside white matter.
        let lateral = [
            Ellipsoid::new([8.0, 0.0, 22.0], [4.5 * v, 24.0, 6.0 * v]),
            Ellipsoid::new([9.5, -24.0, 16.0], [5.0 * v, 10.0, 7.0 * v]),
            Ellipsoid::new([14.0, 28.0, 14.0], [4.0 * v, 11.0, 5.0 * v]),
        ];
        let third = Ellipsoid::new([0.0, 8.0, 4.0], [1.5 * v, 12.0, 7.0]);
        if lateral.iter().any(|e| e.contains_pair(p)) || third.contains(p) {
            return Tissue::Csf;
        }
        let cerebellum = Ellipsoid::new([0.0, 44.0, -40.0], [46.0, 26.0, 20.0]);
        if cerebellum.contains(p) {
            let core = Ellipsoid::new([0.0, 44.0, -38.0], [24.0, 13.0, 9.0]);
            let folia = sin(p[2] * 1.6 + p[1] * 0.4) > 0.55;
            return if core.contains(p) {
                Tissue::White
            } else if folia {
                Tissue::Csf
            } else {
                Tissue::Grey
            };
        }
        if Ellipsoid::new([0.0, 16.0, -40.0], [11.0, 11.0, 30.0]).contains(p) {
            return Tissue::White; // brainstem
        }
        // Cerebrum: a folded surface around folded white matter; the tentorium (CSF) keeps it
        // off the cerebellum.
        if Ellipsoid::new([0.0, 44.0, -40.0], [49.0, 29.0, 24.0]).contains(p) {
            return Tissue::Csf; // around the cerebellum
        }
        if p[2] < -34.0 {
            return Tissue::Muscle; // skull base and face: no brain
        }
        let cerebrum = Ellipsoid::new([0.0, -1.0, 12.0], [56.0, 74.0, 73.0]);
        let q = cerebrum.q(p).sqrt();
        let d = [p[0] / 56.0, (p[1] + 1.0) / 74.0, (p[2] - 12.0) / 73.0];
        let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-9);
        let fold = self.folds([d[0] / n, d[1] / n, d[2] / n]);
        if q >= 1.0 + 0.025 * fold {
            return Tissue::Csf;
        }
        // The interhemispheric fissure: a thin, wavy sheet of CSF down to the corpus callosum
        // (so a midline slice cuts through medial cortex as well as through the fissure).
        let wave = 1.6 * sin(p[1] * 0.11 + 0.7) + 1.0 * sin(p[2] * 0.07 + p[1] * 0.19);
        let core = Ellipsoid::new([0.0, -2.0, 12.0], [30.0, 42.0, 20.0]);
        let midline = (p[0] - wave).abs();
        let in_core = core.contains(p);
        if midline < 1.0 && !in_core {
            return Tissue::Csf;
        }
        // Medial cortex lines the fissure; only the corpus callosum crosses the midline.
        let medial = midline < 4.0 && !in_core;
        let deep = [
            Ellipsoid::new([10.0, 10.0, 8.0], [8.0, 13.0, 8.0]),
            Ellipsoid::new([13.0, -18.0, 20.0], [5.0, 12.0, 8.0]),
            Ellipsoid::new([24.0, -4.0, 6.0], [5.0, 13.0, 9.0]),
        ];
        if deep.iter().any(|e| e.contains_pair(p)) {
            return Tissue::DeepGrey;
        }
        let white = Ellipsoid::new([0.0, -1.0, 14.0], [49.0, 66.0, 64.0]);
        if !medial && white.q(p).sqrt() < 1.0 + 0.11 * fold {
            if self.lesions[..self.visible].iter().any(|l| l.contains(p)) {
                return Tissue::Lesion;
            }
            return Tissue::White;
        }
        // Sulci: clefts of CSF where the folds dip, in the outer half of the cortex.
        if fold < -0.55 && q > 0.9 {
            return Tissue::Csf;
        }
        Tissue::Grey
    }
}

/// Where the head lies in the scanner at one examination: patient = R(pitch) * head + shift.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pose {
    shift: V3,
    /// Cosine and sine of the nod about the left-right axis.
    cos: f64,
    sin: f64,
}

impl Pose {
    /// The pose of subject `subject` at examination `exam`: a few millimetres of shift and a
    /// few degrees of nod, different at each visit.
    pub(crate) fn new(seed: u64, subject: u32, exam: u32) -> Self {
        let mut rng = Rng::new(&[seed, 0x504F_5345, u64::from(subject), u64::from(exam)]);
        let shift = [rng.gauss() * 2.0, rng.gauss() * 3.0, rng.gauss() * 3.0];
        // A tilt of up to about 3.4 degrees, from its tangent (no trigonometry).
        let t = rng.range(-0.06, 0.06);
        let n = (1.0 + t * t).sqrt();
        Pose {
            shift,
            cos: 1.0 / n,
            sin: t / n,
        }
    }

    /// Patient coordinates to head coordinates.
    pub(crate) fn head_point(&self, p: V3) -> V3 {
        let x = p[0] - self.shift[0];
        let y = p[1] - self.shift[1];
        let z = p[2] - self.shift[2];
        // Inverse rotation about x.
        [x, self.cos * y + self.sin * z, -self.sin * y + self.cos * z]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_has_its_layers_in_order() {
        let a = Anatomy::new(1, 1, 40.0).at_exam(1);
        assert_eq!(a.tissue([0.0, 0.0, 200.0]), Tissue::Air);
        // Walking up from the centre to the vertex: ventricle or white matter, grey, CSF, bone,
        // fat, air.
        let mut seen = Vec::new();
        let mut z = 0.0;
        while z < 140.0 {
            let t = a.tissue([20.0, 0.0, z]);
            if seen.last() != Some(&t) {
                seen.push(t);
            }
            z += 0.25;
        }
        assert!(
            seen.ends_with(&[Tissue::Bone, Tissue::Fat, Tissue::Air]),
            "{seen:?}"
        );
        for t in [Tissue::White, Tissue::Grey, Tissue::Csf, Tissue::Marrow] {
            assert!(seen.contains(&t), "{t:?} in {seen:?}");
        }
        assert_eq!(
            a.tissue([31.0 * a.size, -66.0 * a.size, -22.0 * a.size]),
            Tissue::Fluid
        );
    }
}
