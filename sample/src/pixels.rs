//! One slice's pixels: the phantom sampled at each pixel centre, weighted by the contrast, a
//! receive-coil bias field and (for BOLD) a slow fluctuation of grey matter, plus Rician noise;
//! 12-bit unsigned values.

use crate::phantom::{Anatomy, Pose, Tissue};
use crate::protocol::{Geometry, Kind, Protocol};
use crate::rng::{sin, Rng, V3};

/// The largest stored value (BitsStored 12).
pub(crate) const MAX_VALUE: u16 = 4095;

/// Signal of a tissue of relative intensity 1.
const FULL_SCALE: f64 = 3000.0;

/// What one slice is drawn from.
#[derive(Debug)]
pub(crate) struct SliceSource<'a> {
    pub(crate) anatomy: &'a Anatomy,
    pub(crate) pose: &'a Pose,
    pub(crate) geometry: &'a Geometry,
    pub(crate) protocol: &'a Protocol,
    /// Receiver gain of this series.
    pub(crate) gain: f64,
    /// Phase of the BOLD fluctuation in each hemisphere (radians).
    pub(crate) phases: [f64; 2],
    /// Seed, subject, examination: the noise stream's key with the series, volume and slice.
    pub(crate) key: [u64; 3],
}

/// A slice's stored values (row by row) and their extremes.
#[derive(Debug)]
pub(crate) struct SlicePixels {
    /// Little-endian 16-bit values, `rows * cols` of them.
    pub(crate) bytes: Vec<u8>,
    pub(crate) min: u16,
    pub(crate) max: u16,
}

/// The smooth sensitivity of a head coil: brighter near the back and top, a few percent.
fn bias(p: V3) -> f64 {
    let x = p[0] / 100.0;
    let y = p[1] / 100.0;
    let z = (p[2] - 10.0) / 100.0;
    1.0 + 0.05 * x + 0.06 * y - 0.10 * z * z - 0.04 * x * x
}

impl SliceSource<'_> {
    /// The pixels of slice `k` of volume `t`; `time_ms` is its acquisition time from the
    /// series' start.
    pub(crate) fn slice(&self, t: u32, k: u32, time_ms: f64) -> SlicePixels {
        let g = self.geometry;
        let mut rng = Rng::new(&[
            self.key[0],
            0x004E_4F49_5345, // "NOISE"
            self.key[1],
            self.key[2],
            u64::from(self.protocol.number),
            u64::from(t),
            u64::from(k),
        ]);
        let sigma = self.protocol.noise;
        let bold = self.protocol.kind == Kind::Bold;
        // Resting-state-like fluctuation at 0.05 Hz (1.5 %), and 0.3 % drift per minute.
        let secs = time_ms / 1000.0;
        let wave = [
            1.0 + 0.015 * sin(std::f64::consts::TAU * 0.05 * secs + self.phases[0]),
            1.0 + 0.015 * sin(std::f64::consts::TAU * 0.05 * secs + self.phases[1]),
        ];
        let drift = 1.0 + 0.003 * secs / 60.0;
        let ipp = g.position(k);
        let n = usize::from(g.rows) * usize::from(g.cols);
        let mut bytes = Vec::with_capacity(2 * n);
        let (mut min, mut max) = (MAX_VALUE, 0u16);
        for r in 0..g.rows {
            for c in 0..g.cols {
                let p = g.point(ipp, r, c);
                let tissue = self.anatomy.tissue(self.pose.head_point(p));
                let mut s = tissue.signal(self.protocol.contrast) * FULL_SCALE * self.gain;
                if s > 0.0 {
                    s *= bias(p);
                }
                if bold {
                    s *= drift;
                    if matches!(tissue, Tissue::Grey | Tissue::DeepGrey) {
                        s *= wave[usize::from(p[0] < 0.0)];
                    }
                }
                // Rician: the magnitude of signal plus complex Gaussian noise.
                let re = s + sigma * rng.gauss();
                let im = sigma * rng.gauss();
                let v = (re * re + im * im).sqrt().round().min(f64::from(MAX_VALUE));
                let v = v as u16;
                min = min.min(v);
                max = max.max(v);
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        SlicePixels { bytes, min, max }
    }
}
