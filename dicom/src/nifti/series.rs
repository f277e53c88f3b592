//! From the instances of one series to a flat list of 2-D frames, each with its own geometry,
//! scaling, ordering keys and a pointer into its instance's pixel data.
//!
//! Classic one-slice-per-file instances give one frame each, a Siemens mosaic one frame per tile
//! ([`super::mosaic`]), an enhanced multi-frame instance one per frame ([`super::enhanced`]).
//! Everything that must agree across the series (sample type, frame size, image type, series UID)
//! is checked here; what cannot be read right is refused with a reason.

use std::collections::BTreeSet;

use dicom_core::value::Value;
use dicom_core::PrimitiveValue;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::attrs::{f64_of, geometry_f64s, int_of, str_of, strs_of};
use super::frame::{rescale_of, Frame, InstanceCtx};
use super::pixels::{FramePixels, PixelData, SampleType, Samples};
use super::{enhanced, mosaic, NotConverted, SeriesKind};

/// The frames of one series and what they share.
#[derive(Debug)]
pub(crate) struct Series<'a> {
    pub(crate) kind: SeriesKind,
    pub(crate) frames: Vec<Frame>,
    pub(crate) data: Vec<PixelData<'a>>,
    pub(crate) ty: SampleType,
    /// Frame size (a mosaic tile's for mosaics).
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// SpacingBetweenSlices, else SliceThickness: the slice step of a single-slice or
    /// geometry-less series.
    pub(crate) slice_step: Option<f64>,
    /// The first instance: the sidecar's source.
    pub(crate) first: &'a InMemDicomObject,
    /// Siemens CSA PhaseEncodingDirectionPositive, when known.
    pub(crate) pe_positive: Option<bool>,
}

const NATIVE_TS: [&str; 4] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
];

fn ts_name(uid: &str) -> String {
    let name = match uid {
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended",
        "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => "JPEG Lossless",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        "1.2.840.10008.1.2.4.100" | "1.2.840.10008.1.2.4.101" => "MPEG-2",
        "1.2.840.10008.1.2.4.102" | "1.2.840.10008.1.2.4.103" => "MPEG-4",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => {
            "HTJ2K"
        }
        _ => "encapsulated",
    };
    format!("{uid} ({name})")
}

/// Gather the frames of a series.
pub(crate) fn collect<'a>(
    instances: &[&'a DefaultDicomObject],
) -> Result<Series<'a>, NotConverted> {
    let Some(first) = instances.first() else {
        return Err(NotConverted::Empty);
    };
    let first: &InMemDicomObject = first;
    let series_uid = str_of(first, tags::SERIES_INSTANCE_UID);
    let mut frames = Vec::new();
    let mut data = Vec::with_capacity(instances.len());
    let mut format: Option<(SampleType, usize, usize)> = None;
    let mut image_types = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let mut slice_step = None;
    let mut pe_positive = None;
    let mut tile: Option<(usize, usize)> = None;
    for inst in instances {
        let ts = inst.meta().transfer_syntax().trim_end_matches(['\0', ' ']);
        let obj: &InMemDicomObject = inst;
        let sop = str_of(obj, tags::SOP_CLASS_UID).unwrap_or_default();
        if str_of(obj, tags::SERIES_INSTANCE_UID) != series_uid {
            return Err(NotConverted::Inconsistent(
                "instances of several series".into(),
            ));
        }
        let Some(pixel) = obj.get(tags::PIXEL_DATA) else {
            if obj.get(tags::FLOAT_PIXEL_DATA).is_some()
                || obj.get(tags::DOUBLE_FLOAT_PIXEL_DATA).is_some()
            {
                return Err(NotConverted::Unsupported(
                    "floating-point pixel data".into(),
                ));
            }
            if is_image_class(&sop) {
                return Err(NotConverted::NoPixelData(sop));
            }
            return Err(NotConverted::NotImage(if sop.is_empty() {
                "unknown".into()
            } else {
                sop
            }));
        };
        if sop.starts_with("1.2.840.10008.5.1.4.1.1.481") {
            return Err(NotConverted::Unsupported(format!(
                "radiotherapy object (SOP class {sop})"
            )));
        }
        if !NATIVE_TS.contains(&ts) {
            return Err(NotConverted::Compressed(ts_name(ts)));
        }
        let samples = match pixel.value() {
            Value::PixelSequence(_) => return Err(NotConverted::Compressed(ts_name(ts))),
            Value::Primitive(PrimitiveValue::U8(b)) => Samples::Bytes(b),
            Value::Primitive(PrimitiveValue::U16(w)) => Samples::Words(w),
            Value::Primitive(PrimitiveValue::U32(d)) => Samples::DWords(d),
            _ => {
                return Err(NotConverted::Malformed(
                    "Pixel Data is neither OB nor OW".into(),
                ))
            }
        };
        let spp = int_of(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
        if spp != 1 {
            return Err(NotConverted::Unsupported(format!(
                "colour images (SamplesPerPixel {spp})"
            )));
        }
        let photometric =
            str_of(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| "MONOCHROME2".into());
        if photometric != "MONOCHROME2" {
            return Err(NotConverted::Unsupported(format!(
                "PhotometricInterpretation {photometric}"
            )));
        }
        let bits = int_of(obj, tags::BITS_ALLOCATED).unwrap_or(0);
        let signed = match int_of(obj, tags::PIXEL_REPRESENTATION).unwrap_or(0) {
            0 => false,
            1 => true,
            p => return Err(NotConverted::Malformed(format!("PixelRepresentation {p}"))),
        };
        let ty = SampleType::from_dicom(bits, signed)
            .ok_or_else(|| NotConverted::Unsupported(format!("BitsAllocated {bits}")))?;
        let dim = |tag, name| -> Result<usize, NotConverted> {
            int_of(obj, tag)
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v > 0 && v <= 65535)
                .ok_or_else(|| NotConverted::Malformed(format!("missing or invalid {name}")))
        };
        let rows = dim(tags::ROWS, "Rows")?;
        let cols = dim(tags::COLUMNS, "Columns")?;
        let n_frames = match int_of(obj, tags::NUMBER_OF_FRAMES) {
            None => 1,
            Some(n) if (1..=1_000_000).contains(&n) => n as usize,
            Some(n) => return Err(NotConverted::Malformed(format!("NumberOfFrames {n}"))),
        };
        match format {
            None => format = Some((ty, rows, cols)),
            Some(f) if f != (ty, rows, cols) => {
                return Err(NotConverted::Inconsistent(format!(
                    "images differ in size or sample type ({}x{} {} vs {}x{} {})",
                    f.2,
                    f.1,
                    f.0.name(),
                    cols,
                    rows,
                    ty.name()
                )))
            }
            Some(_) => {}
        }
        let pd = PixelData::new(samples, ty, ts == "1.2.840.10008.1.2.2")?;
        if pd.len() < n_frames * rows * cols {
            return Err(NotConverted::Malformed(format!(
                "pixel data holds {} samples, {n_frames} frame(s) of {cols}x{rows} need {}",
                pd.len(),
                n_frames * rows * cols
            )));
        }
        data.push(pd);
        let ctx = InstanceCtx {
            obj,
            data: data.len() - 1,
            rows,
            cols,
            n_frames,
            instance_number: int_of(obj, tags::INSTANCE_NUMBER).unwrap_or(0),
            acquisition_number: int_of(obj, tags::ACQUISITION_NUMBER).unwrap_or(0),
        };
        if slice_step.is_none() {
            slice_step = f64_of(obj, tags::SPACING_BETWEEN_SLICES)
                .or_else(|| f64_of(obj, tags::SLICE_THICKNESS))
                .filter(|v| *v > 0.0);
        }
        let image_type = strs_of(obj, tags::IMAGE_TYPE).unwrap_or_default();
        let is_multiframe = obj
            .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .is_some()
            || obj.get(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).is_some();
        if is_multiframe {
            kinds.insert(SeriesKind::MultiFrame);
            let step = enhanced::frames(&ctx, &mut frames, &mut image_types)?;
            slice_step = slice_step.or(step);
        } else if image_type.iter().any(|t| t == "MOSAIC") {
            kinds.insert(SeriesKind::Mosaic);
            image_types.insert(image_type.join("\\"));
            let m = mosaic::frames(&ctx, &mut frames)?;
            pe_positive = pe_positive.or(m.pe_positive);
            match tile {
                Some(t) if t != (m.tile_rows, m.tile_cols) => {
                    return Err(NotConverted::Inconsistent(
                        "mosaics with different numbers of images".into(),
                    ))
                }
                _ => tile = Some((m.tile_rows, m.tile_cols)),
            }
        } else {
            kinds.insert(SeriesKind::Classic);
            image_types.insert(image_type.join("\\"));
            classic_frames(&ctx, &mut frames)?;
        }
    }
    if image_types.len() > 1 {
        return Err(NotConverted::Inconsistent(format!(
            "several image types in one series: {}",
            image_types.into_iter().collect::<Vec<_>>().join(" | ")
        )));
    }
    if kinds.len() > 1 {
        return Err(NotConverted::Inconsistent(
            "mix of classic, mosaic and multi-frame instances".into(),
        ));
    }
    let kind = kinds.into_iter().next().unwrap_or(SeriesKind::Classic);
    let (ty, rows, cols) = format.ok_or(NotConverted::Empty)?;
    let (rows, cols) = tile.unwrap_or((rows, cols));
    Ok(Series {
        kind,
        frames,
        data,
        ty,
        rows,
        cols,
        slice_step,
        first,
        pe_positive,
    })
}

/// One frame per classic instance (frames of a multi-frame instance without functional groups
/// get no position: their geometry is unknown).
fn classic_frames(ctx: &InstanceCtx<'_>, out: &mut Vec<Frame>) -> Result<(), NotConverted> {
    let obj = ctx.obj;
    let mut ipp = geometry_f64s::<3>(obj, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient")?;
    let mut iop = geometry_f64s::<6>(
        obj,
        tags::IMAGE_ORIENTATION_PATIENT,
        "ImageOrientationPatient",
    )?;
    let spacing = geometry_f64s::<2>(obj, tags::PIXEL_SPACING, "PixelSpacing")?;
    if ctx.n_frames > 1 {
        ipp = None;
        iop = None;
    }
    let rescale = rescale_of(obj)?.unwrap_or([1.0, 0.0]);
    let temporal = int_of(obj, tags::TEMPORAL_POSITION_IDENTIFIER);
    let echo = int_of(obj, tags::ECHO_NUMBERS);
    for f in 0..ctx.n_frames {
        out.push(Frame {
            ipp,
            iop,
            spacing,
            rescale,
            temporal,
            order: [
                temporal.unwrap_or(0),
                ctx.acquisition_number,
                ctx.instance_number,
                f as i64,
            ],
            echo,
            slice_time: None,
            pixels: FramePixels {
                data: ctx.data,
                base: f * ctx.rows * ctx.cols,
                row_stride: ctx.cols,
            },
        });
    }
    Ok(())
}

/// Image storage SOP classes (PS3.4 B.5): an instance of one of them without Pixel Data lost its
/// pixels, it is not a non-image object.
fn is_image_class(sop: &str) -> bool {
    const IMAGE: &[&str] = &[
        "1.2.840.10008.5.1.4.1.1.1",     // CR
        "1.2.840.10008.5.1.4.1.1.2",     // CT
        "1.2.840.10008.5.1.4.1.1.2.1",   // Enhanced CT
        "1.2.840.10008.5.1.4.1.1.2.2",   // Legacy Converted Enhanced CT
        "1.2.840.10008.5.1.4.1.1.4",     // MR
        "1.2.840.10008.5.1.4.1.1.4.1",   // Enhanced MR
        "1.2.840.10008.5.1.4.1.1.4.3",   // Enhanced MR Color
        "1.2.840.10008.5.1.4.1.1.4.4",   // Legacy Converted Enhanced MR
        "1.2.840.10008.5.1.4.1.1.7",     // Secondary Capture
        "1.2.840.10008.5.1.4.1.1.7.1",   // Multi-frame Single Bit SC
        "1.2.840.10008.5.1.4.1.1.7.2",   // Multi-frame Grayscale Byte SC
        "1.2.840.10008.5.1.4.1.1.7.3",   // Multi-frame Grayscale Word SC
        "1.2.840.10008.5.1.4.1.1.7.4",   // Multi-frame True Color SC
        "1.2.840.10008.5.1.4.1.1.20",    // NM
        "1.2.840.10008.5.1.4.1.1.128",   // PET
        "1.2.840.10008.5.1.4.1.1.128.1", // Legacy Converted Enhanced PET
        "1.2.840.10008.5.1.4.1.1.130",   // Enhanced PET
    ];
    IMAGE.contains(&sop)
}
