//! Siemens mosaic: one file holds the slices of one volume as tiles of a grid.
//!
//! `NumberOfImagesInMosaic` and `SliceNormalVector` come from the CSA image header (the count also
//! from (0019,xx0A) "SIEMENS MR HEADER"). The grid is `ceil(sqrt(n))` tiles a side. The file's
//! ImagePositionPatient is that of the whole mosaic as if it were one image; the first tile's is
//! `IPP + (Columns - tileColumns) / 2 * colSpacing * rowCosines + (Rows - tileRows) / 2 *
//! rowSpacing * columnCosines` (the formula of dcm2niix and nibabel), and tile k lies k slice
//! steps along the CSA slice normal, whose sign gives the slice order. A mosaic that is not a
//! whole number of tiles is refused: dcm2niix and nibabel read such a file differently.

use dicom_core::Tag;
use dicom_dictionary_std::tags;

use super::attrs::{f64_of, geometry_f64s, int_of};
use super::csa;
use super::frame::{rescale_of, Frame, InstanceCtx};
use super::pixels::FramePixels;
use super::NotConverted;

/// What a mosaic file tells beyond its frames.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MosaicInfo {
    pub(crate) tile_rows: usize,
    pub(crate) tile_cols: usize,
    pub(crate) pe_positive: Option<bool>,
}

const MAX_TILES: usize = 4096;

/// The tiles of one mosaic file as frames.
pub(crate) fn frames(
    ctx: &InstanceCtx<'_>,
    out: &mut Vec<Frame>,
) -> Result<MosaicInfo, NotConverted> {
    let obj = ctx.obj;
    if ctx.n_frames != 1 {
        return Err(NotConverted::Unsupported("multi-frame mosaic".into()));
    }
    let header = csa::image_header(obj)
        .map_err(|e| NotConverted::Unsupported(format!("mosaic: {e}")))?
        .ok_or_else(|| {
            NotConverted::Unsupported(
                "Siemens mosaic without its CSA image header (private group 0029 removed?): \
                 slice count and order unknown"
                    .into(),
            )
        })?;
    let n = header
        .number("NumberOfImagesInMosaic")
        .or_else(|| {
            let block = csa::private_block(obj, 0x0019, "SIEMENS MR HEADER")?;
            int_of(obj, Tag(0x0019, (block << 8) | 0x0A)).map(|v| v as f64)
        })
        .ok_or_else(|| NotConverted::Unsupported("mosaic without NumberOfImagesInMosaic".into()))?;
    if !(n >= 1.0 && n <= MAX_TILES as f64 && n.fract() == 0.0) {
        return Err(NotConverted::Malformed(format!(
            "NumberOfImagesInMosaic {n}"
        )));
    }
    let n = n as usize;
    let mut grid = 1;
    while grid * grid < n {
        grid += 1;
    }
    // Real mosaics are a whole number of tiles; anything else (e.g. a down-sampled test file)
    // has no single right reading: dcm2niix and nibabel disagree on it.
    if !ctx.rows.is_multiple_of(grid) || !ctx.cols.is_multiple_of(grid) {
        return Err(NotConverted::Malformed(format!(
            "mosaic {}x{} is not a whole number of {grid}x{grid} tiles",
            ctx.cols, ctx.rows
        )));
    }
    let (tr, tc) = (ctx.rows / grid, ctx.cols / grid);
    let normal = header
        .numbers("SliceNormalVector")
        .filter(|v| v.len() == 3)
        .ok_or_else(|| NotConverted::Unsupported("mosaic without SliceNormalVector".into()))?;
    let norm = (normal[0].powi(2) + normal[1].powi(2) + normal[2].powi(2)).sqrt();
    if !(0.9..1.1).contains(&norm) {
        return Err(NotConverted::Malformed(format!(
            "SliceNormalVector of length {norm}"
        )));
    }
    let normal = [normal[0] / norm, normal[1] / norm, normal[2] / norm];
    let ipp = geometry_f64s::<3>(obj, tags::IMAGE_POSITION_PATIENT, "ImagePositionPatient")?;
    let iop = geometry_f64s::<6>(
        obj,
        tags::IMAGE_ORIENTATION_PATIENT,
        "ImageOrientationPatient",
    )?;
    let spacing = geometry_f64s::<2>(obj, tags::PIXEL_SPACING, "PixelSpacing")?;
    let step = f64_of(obj, tags::SPACING_BETWEEN_SLICES)
        .or_else(|| f64_of(obj, tags::SLICE_THICKNESS))
        .filter(|v| *v > 0.0);
    let first_tile = match (ipp, iop, spacing) {
        (Some(p), Some(o), Some(s)) => {
            let cross = [
                o[1] * o[5] - o[2] * o[4],
                o[2] * o[3] - o[0] * o[5],
                o[0] * o[4] - o[1] * o[3],
            ];
            let dot = cross[0] * normal[0] + cross[1] * normal[1] + cross[2] * normal[2];
            if dot.abs() < 0.99 {
                return Err(NotConverted::Inconsistent(
                    "CSA SliceNormalVector is not normal to ImageOrientationPatient".into(),
                ));
            }
            let dx = (ctx.cols - tc) as f64 / 2.0 * s[1];
            let dy = (ctx.rows - tr) as f64 / 2.0 * s[0];
            Some([
                p[0] + dx * o[0] + dy * o[3],
                p[1] + dx * o[1] + dy * o[4],
                p[2] + dx * o[2] + dy * o[5],
            ])
        }
        _ => None,
    };
    let step = match (first_tile, step) {
        (Some(_), None) if n > 1 => {
            return Err(NotConverted::NoGeometry(
                "mosaic without SpacingBetweenSlices or SliceThickness".into(),
            ))
        }
        (_, s) => s.unwrap_or(1.0),
    };
    let times = header.numbers("MosaicRefAcqTimes").filter(|t| t.len() >= n);
    let rescale = rescale_of(obj)?.unwrap_or([1.0, 0.0]);
    let temporal = int_of(obj, tags::TEMPORAL_POSITION_IDENTIFIER);
    let echo = int_of(obj, tags::ECHO_NUMBERS);
    for k in 0..n {
        let ipp = first_tile.map(|p| {
            let d = k as f64 * step;
            [
                p[0] + d * normal[0],
                p[1] + d * normal[1],
                p[2] + d * normal[2],
            ]
        });
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
                0,
            ],
            echo,
            slice_time: times.as_ref().map(|t| t[k]),
            pixels: FramePixels {
                data: ctx.data,
                base: (k / grid) * tr * ctx.cols + (k % grid) * tc,
                row_stride: ctx.cols,
            },
        });
    }
    let pe_positive = header
        .number("PhaseEncodingDirectionPositive")
        .and_then(|v| match v as i64 {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        });
    Ok(MosaicInfo {
        tile_rows: tr,
        tile_cols: tc,
        pe_positive,
    })
}
