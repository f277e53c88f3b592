//! Enhanced (and Legacy Converted Enhanced) multi-frame instances: one frame per item of the
//! Per-Frame Functional Groups Sequence, each attribute looked up in the frame's own functional
//! group first, then in the Shared Functional Groups Sequence, then (orientation, spacing and
//! rescale only) at the top level. Legacy Converted objects keep what has no functional group in
//! the Unassigned Per-Frame / Shared Converted Attributes sequences (0020,9171) / (0020,9170).
//!
//! A frame without its own PlanePositionSequence has no position: the series is then refused
//! (or written without world geometry when asked), never stacked by guess.

use std::collections::BTreeSet;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::attrs::{f64_of, geometry_f64s, int_of, item_of, items_of, strs_of};
use super::frame::{rescale_of, Frame, InstanceCtx};
use super::pixels::FramePixels;
use super::NotConverted;

/// The functional groups that apply to one frame.
#[derive(Clone, Copy)]
pub(crate) struct Groups<'o> {
    pub(crate) per_frame: Option<&'o InMemDicomObject>,
    pub(crate) shared: Option<&'o InMemDicomObject>,
    pub(crate) top: &'o InMemDicomObject,
}

impl<'o> Groups<'o> {
    /// The groups of frame `f` of `obj`.
    pub(crate) fn of(obj: &'o InMemDicomObject, f: usize) -> Groups<'o> {
        Groups {
            per_frame: items_of(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).get(f),
            shared: item_of(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE),
            top: obj,
        }
    }

    /// The macro items `seq` of this frame: per-frame first, then shared.
    fn macros(&self, seq: Tag) -> impl Iterator<Item = &'o InMemDicomObject> {
        [self.per_frame, self.shared]
            .into_iter()
            .flatten()
            .filter_map(move |g| item_of(g, seq))
    }

    /// A number of macro `seq`, else of the unassigned converted attributes, else top level.
    pub(crate) fn f64(&self, seq: Tag, attr: Tag) -> Option<f64> {
        self.macros(seq)
            .find_map(|m| f64_of(m, attr))
            .or_else(|| self.unassigned().find_map(|u| f64_of(u, attr)))
            .or_else(|| f64_of(self.top, attr))
    }

    /// Strings of macro `seq`, else of the unassigned converted attributes, else top level.
    pub(crate) fn strs(&self, seq: Tag, attr: Tag) -> Option<Vec<String>> {
        self.macros(seq)
            .find_map(|m| strs_of(m, attr))
            .or_else(|| self.unassigned().find_map(|u| strs_of(u, attr)))
            .or_else(|| strs_of(self.top, attr))
    }

    /// The Legacy Converted "unassigned" items: per-frame, then shared.
    fn unassigned(&self) -> impl Iterator<Item = &'o InMemDicomObject> {
        let pf = self
            .per_frame
            .and_then(|g| item_of(g, tags::UNASSIGNED_PER_FRAME_CONVERTED_ATTRIBUTES_SEQUENCE));
        let sh = self
            .shared
            .and_then(|g| item_of(g, tags::UNASSIGNED_SHARED_CONVERTED_ATTRIBUTES_SEQUENCE));
        [pf, sh].into_iter().flatten()
    }

    fn geometry<const N: usize>(
        &self,
        seq: Tag,
        attr: Tag,
        name: &str,
        top_level: bool,
    ) -> Result<Option<[f64; N]>, NotConverted> {
        for m in self.macros(seq) {
            if let Some(v) = geometry_f64s::<N>(m, attr, name)? {
                return Ok(Some(v));
            }
        }
        if top_level {
            geometry_f64s::<N>(self.top, attr, name)
        } else {
            Ok(None)
        }
    }
}

/// The frames of one multi-frame instance; returns the slice step it declares, if any.
pub(crate) fn frames(
    ctx: &InstanceCtx<'_>,
    out: &mut Vec<Frame>,
    image_types: &mut BTreeSet<String>,
) -> Result<Option<f64>, NotConverted> {
    let obj = ctx.obj;
    let per_frame = items_of(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if !per_frame.is_empty() && per_frame.len() != ctx.n_frames {
        return Err(NotConverted::Malformed(format!(
            "{} per-frame functional groups for {} frames",
            per_frame.len(),
            ctx.n_frames
        )));
    }
    let top_rescale = rescale_of(obj)?;
    for f in 0..ctx.n_frames {
        let g = Groups::of(obj, f);
        let ipp = g.geometry::<3>(
            tags::PLANE_POSITION_SEQUENCE,
            tags::IMAGE_POSITION_PATIENT,
            "ImagePositionPatient",
            false,
        )?;
        let iop = g.geometry::<6>(
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
            "ImageOrientationPatient",
            true,
        )?;
        let spacing = g.geometry::<2>(
            tags::PIXEL_MEASURES_SEQUENCE,
            tags::PIXEL_SPACING,
            "PixelSpacing",
            true,
        )?;
        let slope = g
            .macros(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE)
            .find_map(|m| f64_of(m, tags::RESCALE_SLOPE));
        let inter = g
            .macros(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE)
            .find_map(|m| f64_of(m, tags::RESCALE_INTERCEPT));
        let rescale = match (slope, inter) {
            (None, None) => top_rescale.unwrap_or([1.0, 0.0]),
            (Some(0.0), _) => return Err(NotConverted::Malformed("RescaleSlope is 0".into())),
            (s, i) => [s.unwrap_or(1.0), i.unwrap_or(0.0)],
        };
        let temporal = g
            .per_frame
            .and_then(|pf| item_of(pf, tags::FRAME_CONTENT_SEQUENCE))
            .and_then(|fc| int_of(fc, tags::TEMPORAL_POSITION_INDEX))
            .or_else(|| {
                g.unassigned()
                    .find_map(|u| int_of(u, tags::TEMPORAL_POSITION_IDENTIFIER))
            });
        let echo = g
            .f64(tags::MR_ECHO_SEQUENCE, tags::EFFECTIVE_ECHO_TIME)
            .or_else(|| g.f64(tags::MR_ECHO_SEQUENCE, tags::ECHO_TIME))
            .map(|te| (te * 1000.0).round() as i64);
        let frame_type = g
            .strs(tags::MR_IMAGE_FRAME_TYPE_SEQUENCE, tags::FRAME_TYPE)
            .or_else(|| g.strs(tags::CT_IMAGE_FRAME_TYPE_SEQUENCE, tags::FRAME_TYPE))
            .or_else(|| strs_of(obj, tags::IMAGE_TYPE))
            .unwrap_or_default();
        image_types.insert(frame_type.join("\\"));
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
    let g = Groups::of(obj, 0);
    Ok(
        g.f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SPACING_BETWEEN_SLICES)
            .or_else(|| g.f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS))
            .filter(|v| *v > 0.0),
    )
}
