//! One 2-D frame of a series and what the frames of one instance share: the unit the
//! per-kind readers (classic files, [`super::mosaic`], [`super::enhanced`]) produce and
//! [`super::series`] collects.

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::attrs::f64_of;
use super::pixels::FramePixels;
use super::NotConverted;

/// One 2-D image of the series.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// ImagePositionPatient of the first transmitted pixel (LPS, mm).
    pub(crate) ipp: Option<[f64; 3]>,
    /// ImageOrientationPatient: row direction cosines, then column direction cosines.
    pub(crate) iop: Option<[f64; 6]>,
    /// PixelSpacing: between rows, then between columns (mm).
    pub(crate) spacing: Option<[f64; 2]>,
    /// Rescale slope and intercept.
    pub(crate) rescale: [f64; 2],
    /// Temporal position (TemporalPositionIdentifier / TemporalPositionIndex).
    pub(crate) temporal: Option<i64>,
    /// Sort key among frames at one position: temporal position, acquisition number, instance
    /// number, frame number.
    pub(crate) order: [i64; 4],
    /// Echo (EchoNumbers, or the effective echo time in microseconds for multi-frame).
    pub(crate) echo: Option<i64>,
    /// Acquisition time of this slice relative to the volume start (ms), when known.
    pub(crate) slice_time: Option<f64>,
    pub(crate) pixels: FramePixels,
}

/// What every frame of one instance shares.
pub(crate) struct InstanceCtx<'o> {
    pub(crate) obj: &'o InMemDicomObject,
    pub(crate) data: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) n_frames: usize,
    pub(crate) instance_number: i64,
    pub(crate) acquisition_number: i64,
}

/// Top-level rescale (1, 0 when absent); slope 0 is malformed.
pub(crate) fn rescale_of(obj: &InMemDicomObject) -> Result<Option<[f64; 2]>, NotConverted> {
    let slope = f64_of(obj, tags::RESCALE_SLOPE);
    let inter = f64_of(obj, tags::RESCALE_INTERCEPT);
    if slope.is_none() && inter.is_none() {
        return Ok(None);
    }
    let slope = slope.unwrap_or(1.0);
    if slope == 0.0 {
        return Err(NotConverted::Malformed("RescaleSlope is 0".into()));
    }
    Ok(Some([slope, inter.unwrap_or(0.0)]))
}
