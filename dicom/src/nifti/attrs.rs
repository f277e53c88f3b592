//! Typed reads of DICOM attributes for the converter.
//!
//! Two flavours: the lenient readers (`f64_of`, `int_of`, `str_of`, ...) answer `None` for an absent,
//! empty or unparseable value and serve the sidecar; the strict ones (`geometry_f64s`) answer an
//! error for a value that is present but malformed, because geometry read wrong is a wrong volume.

use dicom_core::value::Value;
use dicom_core::{PrimitiveValue, Tag};
use dicom_object::InMemDicomObject;

use super::NotConverted;

/// The primitive value of `tag`, `None` when absent or empty.
fn primitive(obj: &InMemDicomObject, tag: Tag) -> Option<&PrimitiveValue> {
    let blank = |s: &str| s.trim_matches(|c: char| c == ' ' || c == '\0').is_empty();
    match obj.get(tag)?.value() {
        Value::Primitive(PrimitiveValue::Empty) => None,
        Value::Primitive(PrimitiveValue::Str(s)) if blank(s) => None,
        Value::Primitive(PrimitiveValue::Strs(v)) if v.iter().all(|s| blank(s)) => None,
        Value::Primitive(p) => Some(p),
        _ => None,
    }
}

/// The numbers of a primitive value: DS/IS text (split on `\\` even when held as one string) or
/// binary numbers.
fn numbers(p: &PrimitiveValue) -> Option<Vec<f64>> {
    match p {
        PrimitiveValue::Str(_) | PrimitiveValue::Strs(_) => p
            .to_str()
            .split('\\')
            .map(|s| {
                s.trim_matches(|c: char| c == ' ' || c == '\0')
                    .parse::<f64>()
                    .ok()
            })
            .collect(),
        _ => p.to_multi_float64().ok(),
    }
}

/// All numbers of `tag` (DS/IS strings or binary numbers), `None` when absent, empty or not numeric.
pub(crate) fn f64s_of(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = numbers(primitive(obj, tag)?)?;
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        None
    } else {
        Some(v)
    }
}

/// The first number of `tag`.
pub(crate) fn f64_of(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    f64s_of(obj, tag).and_then(|v| v.first().copied())
}

/// The first integer of `tag`.
pub(crate) fn int_of(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    let p = primitive(obj, tag)?;
    if let Ok(v) = p.to_int::<i64>() {
        return Some(v);
    }
    // IS values written as "1.0" by some software.
    let f = p.to_float64().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// The trimmed string value of `tag` (multiple values joined by `\`), `None` when empty.
pub(crate) fn str_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = primitive(obj, tag)?.to_str();
    let t = s.trim_matches(|c: char| c == ' ' || c == '\0').to_string();
    (!t.is_empty()).then_some(t)
}

/// The trimmed values of a multi-valued string attribute.
pub(crate) fn strs_of(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<String>> {
    let v: Vec<String> = primitive(obj, tag)?
        .to_multi_str()
        .iter()
        .map(|s| s.trim_matches(|c: char| c == ' ' || c == '\0').to_string())
        .collect();
    (!v.is_empty() && v.iter().any(|s| !s.is_empty())).then_some(v)
}

/// The items of sequence `tag` (empty when absent or not a sequence).
pub(crate) fn items_of(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The first item of sequence `tag`.
pub(crate) fn item_of(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    items_of(obj, tag).first()
}

/// Exactly `N` finite numbers from `tag`: `Ok(None)` when absent or empty, an error when present
/// with another count or non-numeric values.
pub(crate) fn geometry_f64s<const N: usize>(
    obj: &InMemDicomObject,
    tag: Tag,
    name: &str,
) -> Result<Option<[f64; N]>, NotConverted> {
    let Some(p) = primitive(obj, tag) else {
        return Ok(None);
    };
    let v = numbers(p).ok_or_else(|| NotConverted::Malformed(format!("{name} is not numeric")))?;
    if v.len() != N || v.iter().any(|x| !x.is_finite()) {
        return Err(NotConverted::Malformed(format!(
            "{name} has {} values, expected {N} finite numbers",
            v.len()
        )));
    }
    let mut out = [0.0; N];
    out.copy_from_slice(&v);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, VR};
    use dicom_dictionary_std::tags;

    fn obj_with(tag: Tag, vr: VR, v: PrimitiveValue) -> InMemDicomObject {
        let mut o = InMemDicomObject::new_empty();
        o.put(DataElement::new(tag, vr, v));
        o
    }

    #[test]
    fn reads_ds_lists_and_rejects_bad_geometry() {
        let o = obj_with(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            PrimitiveValue::from("1.5\\-2\\3e1"),
        );
        let p: Option<[f64; 3]> = geometry_f64s(&o, tags::IMAGE_POSITION_PATIENT, "IPP").unwrap();
        assert_eq!(p, Some([1.5, -2.0, 30.0]));
        let bad: Result<Option<[f64; 6]>, _> =
            geometry_f64s(&o, tags::IMAGE_POSITION_PATIENT, "IOP");
        assert!(bad.is_err());
        let junk = obj_with(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            PrimitiveValue::from("a\\b\\c"),
        );
        let r: Result<Option<[f64; 3]>, _> =
            geometry_f64s(&junk, tags::IMAGE_POSITION_PATIENT, "IPP");
        assert!(r.is_err());
        let none: Option<[f64; 3]> =
            geometry_f64s(&junk, tags::PIXEL_SPACING, "PixelSpacing").unwrap();
        assert_eq!(none, None);
        let blank = obj_with(tags::PIXEL_SPACING, VR::DS, PrimitiveValue::from("  "));
        let none: Option<[f64; 2]> =
            geometry_f64s(&blank, tags::PIXEL_SPACING, "PixelSpacing").unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn lenient_readers() {
        let o = obj_with(tags::INSTANCE_NUMBER, VR::IS, PrimitiveValue::from(" 12 "));
        assert_eq!(int_of(&o, tags::INSTANCE_NUMBER), Some(12));
        let o = obj_with(tags::MANUFACTURER, VR::LO, PrimitiveValue::from("SIEMENS "));
        assert_eq!(str_of(&o, tags::MANUFACTURER).as_deref(), Some("SIEMENS"));
        assert_eq!(str_of(&o, tags::PROTOCOL_NAME), None);
    }
}
