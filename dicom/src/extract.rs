//! Reading the catalog's metadata out of a **de-identified** DICOM object.
//!
//! This module only ever sees objects after `deid` ran on them, so whatever it returns is as
//! clean as the stored DICOM. Values are looked up at the top level first, then in the enhanced
//! multi-frame functional groups (shared, then the first frame), where enhanced MR keeps TR, TE,
//! flip angle, pixel spacing and slice thickness.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::InMemDicomObject;

use serde::{Deserialize, Serialize};

/// Acquisition parameters summarized from the series' headers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// RepetitionTime, ms.
    #[serde(default)]
    pub repetition_time: Option<f64>,
    /// EchoTime, ms.
    #[serde(default)]
    pub echo_time: Option<f64>,
    /// InversionTime, ms.
    #[serde(default)]
    pub inversion_time: Option<f64>,
    /// FlipAngle, degrees.
    #[serde(default)]
    pub flip_angle: Option<f64>,
    /// MagneticFieldStrength, tesla.
    #[serde(default)]
    pub field_strength: Option<f64>,
    /// ScanningSequence values joined with `\`.
    #[serde(default)]
    pub scanning_sequence: Option<String>,
    /// SequenceName.
    #[serde(default)]
    pub sequence_name: Option<String>,
    /// SliceThickness, mm.
    #[serde(default)]
    pub slice_thickness: Option<f64>,
    /// PixelSpacing (row, column), mm.
    #[serde(default)]
    pub pixel_spacing: Option<[f64; 2]>,
    /// Rows of each image.
    #[serde(default)]
    pub rows: Option<u32>,
    /// Columns of each image.
    #[serde(default)]
    pub columns: Option<u32>,
    /// Total frames over the series (1 per classic instance, NumberOfFrames for multi-frame).
    #[serde(default)]
    pub frames: u32,
    /// ImageType values joined with `\`.
    #[serde(default)]
    pub image_type: Option<String>,
    /// Volume shape once known (from NIfTI conversion): x, y, z[, t].
    #[serde(default)]
    pub dims: Option<Vec<u32>>,
}

/// Per-instance metadata the pipeline groups into series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceMeta {
    /// SOPClassUID.
    pub sop_class_uid: String,
    /// SOPInstanceUID (de-identified).
    pub sop_instance_uid: String,
    /// StudyInstanceUID (de-identified).
    pub study_uid: String,
    /// SeriesInstanceUID (de-identified).
    pub series_uid: String,
    /// Modality (OT when absent).
    pub modality: String,
    /// InstanceNumber.
    pub instance_number: Option<i64>,
    /// SeriesNumber.
    pub series_number: Option<i64>,
    /// SeriesDescription.
    pub series_description: Option<String>,
    /// ProtocolName.
    pub protocol_name: Option<String>,
    /// StudyDate (shifted) as YYYY-MM-DD.
    pub study_date: Option<String>,
    /// PatientSex (M/F/O).
    pub sex: Option<String>,
    /// PatientAge in years.
    pub age_years: Option<f64>,
    /// Year of birth: not read from the header (de-identification empties the birth date); the
    /// pipeline sets it from the de-identification outcome.
    pub birth_year: Option<i32>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// ManufacturerModelName.
    pub model: Option<String>,
    /// Acquisition parameters of this instance (frames = frames in this instance).
    pub protocol: Protocol,
}

/// Why metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A required attribute is missing or empty.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// A trimmed, non-empty string value.
pub fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = e.to_str().ok()?;
    let t = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!t.is_empty()).then(|| t.to_string())
}

fn element_in_groups(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemElement> {
    if let Some(e) = obj.get(tag) {
        return Some(e);
    }
    for group in [
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
    ] {
        let Some(first) = obj
            .get(group)
            .and_then(|e| e.items())
            .and_then(|i| i.first())
        else {
            continue;
        };
        for macro_el in first.iter() {
            if let Some(items) = macro_el.items() {
                for item in items.iter().take(1) {
                    if let Some(e) = item.get(tag) {
                        return Some(e);
                    }
                }
            }
        }
    }
    None
}

/// The first numeric value of an attribute, looked up in the functional groups too.
pub fn number(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    let e = element_in_groups(obj, tag)?;
    let v = e.to_float64().ok()?;
    v.is_finite().then_some(v)
}

/// All numeric values of an attribute, looked up in the functional groups too.
pub fn numbers(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let e = element_in_groups(obj, tag)?;
    let v = e.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

fn integer(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.to_int::<i64>().ok()
}

fn multi_text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let v = e.to_multi_str().ok()?;
    let parts: Vec<&str> = v
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\\"))
}

/// `YYYYMMDD` -> `YYYY-MM-DD` (None if malformed).
fn iso_date(da: &str) -> Option<String> {
    let d = da.trim();
    if d.len() < 8 || !d.as_bytes()[..8].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]))
}

/// PatientAge (`nnnD|W|M|Y`) in years.
fn age_years(age: &str) -> Option<f64> {
    let a = age.trim();
    let (num, unit) = a.split_at(a.len().checked_sub(1)?);
    let n: f64 = num.trim().parse().ok()?;
    let years = match unit {
        "Y" | "y" => n,
        "M" | "m" => n / 12.0,
        "W" | "w" => n * 7.0 / 365.25,
        "D" | "d" => n / 365.25,
        _ => return None,
    };
    Some((years * 100.0).round() / 100.0)
}

/// Read the metadata of a de-identified instance.
pub fn extract(obj: &InMemDicomObject) -> Result<InstanceMeta, ExtractError> {
    let req = |tag, name| text(obj, tag).ok_or(ExtractError::Missing(name));
    let frames = integer(obj, tags::NUMBER_OF_FRAMES)
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let pixel_spacing = numbers(obj, tags::PIXEL_SPACING).and_then(|v| match v.as_slice() {
        [r, c, ..] => Some([*r, *c]),
        _ => None,
    });
    let protocol = Protocol {
        repetition_time: number(obj, tags::REPETITION_TIME),
        echo_time: number(obj, tags::ECHO_TIME).or_else(|| number(obj, tags::EFFECTIVE_ECHO_TIME)),
        inversion_time: number(obj, tags::INVERSION_TIME),
        flip_angle: number(obj, tags::FLIP_ANGLE),
        field_strength: number(obj, tags::MAGNETIC_FIELD_STRENGTH),
        scanning_sequence: multi_text(obj, tags::SCANNING_SEQUENCE),
        sequence_name: text(obj, tags::SEQUENCE_NAME)
            .or_else(|| text(obj, tags::PULSE_SEQUENCE_NAME)),
        slice_thickness: number(obj, tags::SLICE_THICKNESS),
        pixel_spacing,
        rows: integer(obj, tags::ROWS).and_then(|v| u32::try_from(v).ok()),
        columns: integer(obj, tags::COLUMNS).and_then(|v| u32::try_from(v).ok()),
        frames: u32::try_from(frames).unwrap_or(1),
        image_type: multi_text(obj, tags::IMAGE_TYPE),
        dims: None,
    };
    Ok(InstanceMeta {
        sop_class_uid: req(tags::SOP_CLASS_UID, "SOPClassUID")?,
        sop_instance_uid: req(tags::SOP_INSTANCE_UID, "SOPInstanceUID")?,
        study_uid: req(tags::STUDY_INSTANCE_UID, "StudyInstanceUID")?,
        series_uid: req(tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?,
        modality: text(obj, tags::MODALITY).unwrap_or_else(|| "OT".to_string()),
        instance_number: integer(obj, tags::INSTANCE_NUMBER),
        series_number: integer(obj, tags::SERIES_NUMBER),
        series_description: text(obj, tags::SERIES_DESCRIPTION),
        protocol_name: text(obj, tags::PROTOCOL_NAME),
        study_date: text(obj, tags::STUDY_DATE)
            .or_else(|| text(obj, tags::SERIES_DATE))
            .and_then(|d| iso_date(&d)),
        sex: text(obj, tags::PATIENT_SEX).filter(|s| matches!(s.as_str(), "M" | "F" | "O")),
        age_years: text(obj, tags::PATIENT_AGE).and_then(|a| age_years(&a)),
        birth_year: None,
        manufacturer: text(obj, tags::MANUFACTURER),
        model: text(obj, tags::MANUFACTURER_MODEL_NAME),
        protocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    fn obj() -> InMemDicomObject {
        let mut o = InMemDicomObject::new_empty();
        let mut put = |t, vr, v: &str| o.put(DataElement::new(t, vr, PrimitiveValue::from(v)));
        put(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.4");
        put(tags::SOP_INSTANCE_UID, VR::UI, "2.25.1");
        put(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.2");
        put(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.3");
        put(tags::MODALITY, VR::CS, "MR");
        put(tags::STUDY_DATE, VR::DA, "20190301");
        put(tags::PATIENT_AGE, VR::AS, "042Y");
        put(tags::REPETITION_TIME, VR::DS, "2300");
        put(tags::SERIES_DESCRIPTION, VR::LO, " t1_mprage ");
        // Multi-valued as the parser produces it.
        o.put(DataElement::new(
            tags::PIXEL_SPACING,
            VR::DS,
            dicom_core::dicom_value!(Strs, ["1.0", "0.9"]),
        ));
        o
    }

    #[test]
    fn reads_the_fields() {
        let m = extract(&obj()).unwrap();
        assert_eq!(m.modality, "MR");
        assert_eq!(m.study_date.as_deref(), Some("2019-03-01"));
        assert_eq!(m.age_years, Some(42.0));
        assert_eq!(m.protocol.repetition_time, Some(2300.0));
        assert_eq!(m.protocol.pixel_spacing, Some([1.0, 0.9]));
        assert_eq!(m.series_description.as_deref(), Some("t1_mprage"));
        assert_eq!(m.protocol.frames, 1);
    }

    #[test]
    fn missing_uid_is_an_error() {
        let mut o = obj();
        o.remove_element(tags::SERIES_INSTANCE_UID);
        assert_eq!(extract(&o), Err(ExtractError::Missing("SeriesInstanceUID")));
    }

    #[test]
    fn ages() {
        assert_eq!(age_years("006M"), Some(0.5));
        assert_eq!(age_years("055Y"), Some(55.0));
        assert_eq!(age_years("X"), None);
        assert_eq!(age_years(""), None);
        assert_eq!(iso_date("2019"), None);
    }

    #[test]
    fn enhanced_values_come_from_functional_groups() {
        let mut o = obj();
        o.remove_element(tags::REPETITION_TIME);
        let mut timing = InMemDicomObject::new_empty();
        timing.put(DataElement::new(
            tags::REPETITION_TIME,
            VR::FD,
            PrimitiveValue::from(2000.0f64),
        ));
        let mut shared = InMemDicomObject::new_empty();
        shared.put(DataElement::new(
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![timing]),
        ));
        o.put(DataElement::new(
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![shared]),
        ));
        assert_eq!(extract(&o).unwrap().protocol.repetition_time, Some(2000.0));
    }
}
