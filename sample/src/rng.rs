//! Deterministic randomness and the little arithmetic the phantom needs.
//!
//! Everything the generator draws comes from [`Rng`], a SplitMix64 stream keyed by the seed and
//! the position of what is drawn (subject, examination, series, volume, slice), so that any
//! slice can be computed alone and re-running gives the same bytes. Only IEEE-754 basic
//! operations are used (`+ - * /`, `sqrt`, `round`: correctly rounded on every platform); the
//! one periodic function the phantom needs, [`sin`], is a polynomial here instead of the
//! platform's libm, whose last bits may differ between systems.

use std::f64::consts::{FRAC_PI_2, PI, TAU};

/// A SplitMix64 pseudo-random stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

/// One SplitMix64 output step (also a good 64-bit mixing function).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    /// A stream keyed by `key` (the seed, then what is drawn for).
    pub(crate) fn new(key: &[u64]) -> Self {
        let mut state: u64 = 0x6E65_7572_6F66_6564; // "neurofed"
        for &k in key {
            state = mix(state.wrapping_add(GOLDEN) ^ k);
        }
        Rng { state }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`, 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in `[lo, hi]`.
    pub(crate) fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.next_u64() % items.len().max(1) as u64;
        items[i as usize]
    }

    /// Approximately standard normal: the sum of four uniforms, centred and scaled to unit
    /// variance (Irwin-Hall; plenty for image noise, and no logarithm or cosine).
    pub(crate) fn gauss(&mut self) -> f64 {
        // A uniform has variance 1/12, four of them 1/3: scale by sqrt(3).
        const SQRT3: f64 = 1.732_050_807_568_877_2;
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * SQRT3
    }
}

/// `sin(x)` from basic operations only: reduction to `[-pi/2, pi/2]` and a degree-13 Taylor
/// polynomial (error below 1e-9), so that it is bit-identical on every platform.
pub(crate) fn sin(x: f64) -> f64 {
    let mut r = x - (x / TAU).round() * TAU;
    if r > FRAC_PI_2 {
        r = PI - r;
    } else if r < -FRAC_PI_2 {
        r = -PI - r;
    }
    let r2 = r * r;
    // Horner form of r - r^3/3! + r^5/5! - ... - r^13/13!.
    let mut p = -1.0 / 6_227_020_800.0;
    p = p * r2 + 1.0 / 39_916_800.0;
    p = p * r2 - 1.0 / 362_880.0;
    p = p * r2 + 1.0 / 5_040.0;
    p = p * r2 - 1.0 / 120.0;
    p = p * r2 + 1.0 / 6.0;
    r - r * r2 * p
}

/// A 3-vector (LPS millimetres in patient space).
pub(crate) type V3 = [f64; 3];

pub(crate) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

#[cfg(test)]
pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `a / |a|`.
pub(crate) fn unit(a: V3) -> V3 {
    let n = dot(a, a).sqrt();
    if n > 0.0 {
        scale(a, 1.0 / n)
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_matches_libm_closely() {
        let mut x = -20.0;
        while x < 20.0 {
            assert!((sin(x) - x.sin()).abs() < 1e-9, "{x}");
            x += 0.0137;
        }
    }

    #[test]
    fn streams_are_keyed_and_repeatable() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(&[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(&[1, 2]).next_u64(), Rng::new(&[2, 1]).next_u64());
        let mut r = Rng::new(&[7]);
        let n = 20_000;
        let v: Vec<f64> = (0..n).map(|_| r.gauss()).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
