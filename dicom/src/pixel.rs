//! Pixels that may show burned-in text: which instances are quarantined, and the profile's pixel
//! rules (rectangles blanked per manufacturer, model and size, the RSNA CTP signature idea).
//!
//! [`pixel_risk`] decides on the ORIGINAL header (de-identification removes or alters some of the
//! attributes it reads), [`apply_pixel_rules`] decides and blanks. Nothing here looks at the
//! pixels for text (no OCR): the decision is the header's.

use dicom_core::value::Value;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};

use crate::deid::Profile;
use crate::extract::text;

/// Rectangles to blank in the images of one manufacturer / model / size (a profile's
/// `[[pixel_rule]]`). An absent criterion matches anything; text is compared ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelRule {
    /// Manufacturer (0008,0070).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// ManufacturerModelName (0008,1090).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Rows (0028,0010).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u16>,
    /// Columns (0028,0011).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<u16>,
    /// Rectangles `[x, y, width, height]` in pixels, set to 0 in every frame (clipped to the image).
    pub blank: Vec<[u32; 4]>,
}

impl PixelRule {
    fn matches(&self, obj: &InMemDicomObject) -> bool {
        let same_text = |want: &Option<String>, tag: Tag| match want {
            None => true,
            Some(w) => text(obj, tag).is_some_and(|v| v.eq_ignore_ascii_case(w.trim())),
        };
        let same_size = |want: Option<u16>, tag: Tag| match want {
            None => true,
            Some(w) => int(obj, tag) == Some(u64::from(w)),
        };
        same_text(&self.manufacturer, tags::MANUFACTURER)
            && same_text(&self.model, tags::MANUFACTURER_MODEL_NAME)
            && same_size(self.rows, tags::ROWS)
            && same_size(self.columns, tags::COLUMNS)
    }
}

/// Why an instance is quarantined (a reason, never a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// BurnedInAnnotation is YES.
    BurnedInAnnotation,
    /// A Secondary Capture SOP class without BurnedInAnnotation NO.
    SecondaryCapture,
    /// ImageType says SCREEN SAVE, without BurnedInAnnotation NO.
    ScreenSave,
    /// ImageType says DERIVED, without BurnedInAnnotation NO.
    Derived,
    /// A ConversionType (WSD, SYN, DV, ...) without BurnedInAnnotation NO.
    Converted,
    /// An Encapsulated PDF / CDA / ... document: its document bytes are not cleaned.
    EncapsulatedDocument,
    /// A pixel rule matches but the pixel data is compressed (only native pixels are blanked).
    CompressedPixels,
    /// A pixel rule matches but the pixel data's layout cannot be blanked.
    UnsupportedPixels,
}

impl QuarantineReason {
    /// snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            QuarantineReason::BurnedInAnnotation => "burned_in_annotation",
            QuarantineReason::SecondaryCapture => "secondary_capture",
            QuarantineReason::ScreenSave => "screen_save",
            QuarantineReason::Derived => "derived",
            QuarantineReason::Converted => "converted",
            QuarantineReason::EncapsulatedDocument => "encapsulated_document",
            QuarantineReason::CompressedPixels => "compressed_pixels",
            QuarantineReason::UnsupportedPixels => "unsupported_pixels",
        }
    }
}

impl std::fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What happens to an instance's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelVerdict {
    /// Nothing suggests burned-in text.
    Clean,
    /// The profile's pixel rule (index into `Profile::pixel_rule`) blanks it, then it passes.
    Blanked {
        /// Index of the rule.
        rule: usize,
    },
    /// Stored apart, not indexed, not federated, until a study manager releases it.
    Quarantine {
        /// Why.
        reason: QuarantineReason,
    },
}

/// Why a pixel rule could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixelError {
    /// The image's description is missing or not supported.
    #[error("pixel data cannot be blanked: {0}")]
    Layout(String),
}

fn int(obj: &InMemDicomObject, tag: Tag) -> Option<u64> {
    obj.get(tag)?.to_int::<u64>().ok()
}

/// Secondary Capture Image Storage and the multi-frame SC classes (.7.1 - .7.4).
fn is_secondary_capture(sop: &str) -> bool {
    sop == "1.2.840.10008.5.1.4.1.1.7"
        || sop
            .strip_prefix("1.2.840.10008.5.1.4.1.1.7.")
            .is_some_and(|s| matches!(s, "1" | "2" | "3" | "4"))
}

/// The risk of `obj` (an ORIGINAL, not yet de-identified object) under `profile`'s pixel rules.
pub fn pixel_risk(obj: &InMemDicomObject, profile: &Profile) -> PixelVerdict {
    let sop = text(obj, tags::SOP_CLASS_UID).unwrap_or_default();
    if sop.starts_with("1.2.840.10008.5.1.4.1.1.104.") {
        return PixelVerdict::Quarantine {
            reason: QuarantineReason::EncapsulatedDocument,
        };
    }
    let Some(pixels) = obj.get(tags::PIXEL_DATA) else {
        // No pixels, nothing burned into them.
        return PixelVerdict::Clean;
    };
    let annotation = text(obj, tags::BURNED_IN_ANNOTATION).map(|s| s.to_ascii_uppercase());
    let image_type: Vec<String> = obj
        .get(tags::IMAGE_TYPE)
        .and_then(|e| e.to_multi_str().ok())
        .map(|v| {
            v.iter()
                .flat_map(|s| s.split('\\'))
                .map(|s| s.trim().to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default();
    let risk = match annotation.as_deref() {
        Some("YES") => Some(QuarantineReason::BurnedInAnnotation),
        Some("NO") => None,
        _ if is_secondary_capture(&sop) => Some(QuarantineReason::SecondaryCapture),
        _ if image_type.iter().any(|v| v == "SCREEN SAVE") => Some(QuarantineReason::ScreenSave),
        _ if image_type.iter().any(|v| v == "DERIVED") => Some(QuarantineReason::Derived),
        _ if text(obj, tags::CONVERSION_TYPE).is_some() => Some(QuarantineReason::Converted),
        _ => None,
    };
    let Some(reason) = risk else {
        return PixelVerdict::Clean;
    };
    let Some(rule) = profile.pixel_rule.iter().position(|r| r.matches(obj)) else {
        return PixelVerdict::Quarantine { reason };
    };
    match pixels.value() {
        Value::Primitive(PrimitiveValue::U8(_) | PrimitiveValue::U16(_)) => {
            PixelVerdict::Blanked { rule }
        }
        Value::PixelSequence(_) => PixelVerdict::Quarantine {
            reason: QuarantineReason::CompressedPixels,
        },
        _ => PixelVerdict::Quarantine {
            reason: QuarantineReason::UnsupportedPixels,
        },
    }
}

/// [`pixel_risk`], and when a rule matches, its rectangles blanked in every frame and
/// BurnedInAnnotation set to `NO`. A rule that cannot be applied quarantines the instance.
pub fn apply_pixel_rules(obj: &mut InMemDicomObject, profile: &Profile) -> PixelVerdict {
    let verdict = pixel_risk(obj, profile);
    if let PixelVerdict::Blanked { rule } = verdict {
        let Some(r) = profile.pixel_rule.get(rule) else {
            return PixelVerdict::Quarantine {
                reason: QuarantineReason::UnsupportedPixels,
            };
        };
        if blank(obj, &r.blank).is_err() {
            return PixelVerdict::Quarantine {
                reason: QuarantineReason::UnsupportedPixels,
            };
        }
    }
    verdict
}

/// Set the rectangles `[x, y, width, height]` (clipped to the image) to 0 in every frame of the
/// native pixel data of `obj` (bits allocated 8 or 16, samples per pixel 1 or 3, either planar
/// configuration), and BurnedInAnnotation to `NO`.
pub fn blank(obj: &mut InMemDicomObject, rects: &[[u32; 4]]) -> Result<(), PixelError> {
    let bad = |s: &str| PixelError::Layout(s.to_string());
    let get = |tag: Tag, what: &str| int(obj, tag).ok_or_else(|| bad(what));
    let rows = get(tags::ROWS, "no Rows")?;
    let cols = get(tags::COLUMNS, "no Columns")?;
    let spp = int(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let bytes_per_sample = match get(tags::BITS_ALLOCATED, "no BitsAllocated")? {
        8 => 1,
        16 => 2,
        _ => return Err(bad("BitsAllocated is neither 8 nor 16")),
    };
    if rows == 0 || cols == 0 {
        return Err(bad("the image has no rows or no columns"));
    }
    if spp != 1 && spp != 3 {
        return Err(bad("SamplesPerPixel is neither 1 nor 3"));
    }
    let planar = spp == 3 && int(obj, tags::PLANAR_CONFIGURATION) == Some(1);
    let frames = int(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1);
    let plane = rows * cols * bytes_per_sample;
    let frame = plane * spp;
    let mut bytes: Vec<u8> = match obj.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::Primitive(PrimitiveValue::U8(b))) => b.to_vec(),
        Some(Value::Primitive(PrimitiveValue::U16(w))) => {
            w.iter().flat_map(|v| v.to_le_bytes()).collect()
        }
        _ => return Err(bad("no native Pixel Data")),
    };
    let words = matches!(
        obj.get(tags::PIXEL_DATA).map(|e| e.value()),
        Some(Value::Primitive(PrimitiveValue::U16(_)))
    );
    if (bytes.len() as u64) < frame.saturating_mul(frames) {
        return Err(bad("Pixel Data is shorter than its frames"));
    }
    for &[x, y, w, h] in rects {
        let x0 = u64::from(x).min(cols);
        let x1 = (u64::from(x) + u64::from(w)).min(cols);
        let y0 = u64::from(y).min(rows);
        let y1 = (u64::from(y) + u64::from(h)).min(rows);
        // (start offset of a row's run, bytes per pixel in that run)
        let runs: Vec<(u64, u64)> = if planar {
            (0..spp).map(|p| (p * plane, bytes_per_sample)).collect()
        } else {
            vec![(0, bytes_per_sample * spp)]
        };
        for f in 0..frames {
            for &(base, px) in &runs {
                for row in y0..y1 {
                    let start = f * frame + base + (row * cols + x0) * px;
                    let end = f * frame + base + (row * cols + x1) * px;
                    // In bounds: checked against the frames' length above.
                    if let Some(run) = bytes.get_mut(start as usize..end as usize) {
                        run.fill(0);
                    }
                }
            }
        }
    }
    let (vr, value) = if words {
        let w: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        (VR::OW, PrimitiveValue::U16(w.into()))
    } else {
        let vr = obj.get(tags::PIXEL_DATA).map_or(VR::OB, |e| e.vr());
        (vr, PrimitiveValue::U8(bytes.into()))
    };
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, value));
    obj.put(DataElement::new(
        tags::BURNED_IN_ANNOTATION,
        VR::CS,
        PrimitiveValue::from("NO"),
    ));
    Ok(())
}

#[cfg(test)]
#[path = "pixel_tests.rs"]
mod tests;
