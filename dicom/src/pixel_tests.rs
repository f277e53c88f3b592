use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::*;

const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
const SC: &str = "1.2.840.10008.5.1.4.1.1.7";

fn put(o: &mut InMemDicomObject, tag: Tag, vr: VR, v: PrimitiveValue) {
    o.put(DataElement::new(tag, vr, v));
}

/// A `rows` x `cols` image, `frames` frames, `spp` samples, every sample 1 + its index mod 200.
fn image(sop: &str, rows: u16, cols: u16, frames: u32, spp: u16, bits: u16) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    put(&mut o, tags::SOP_CLASS_UID, VR::UI, sop.into());
    put(&mut o, tags::MANUFACTURER, VR::LO, "Acme ".into());
    put(
        &mut o,
        tags::MANUFACTURER_MODEL_NAME,
        VR::LO,
        "Scanner 9".into(),
    );
    put(&mut o, tags::ROWS, VR::US, PrimitiveValue::from(rows));
    put(&mut o, tags::COLUMNS, VR::US, PrimitiveValue::from(cols));
    put(
        &mut o,
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(spp),
    );
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(bits),
    );
    put(
        &mut o,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        frames.to_string().into(),
    );
    let n = usize::from(rows) * usize::from(cols) * usize::from(spp) * frames as usize;
    let v = if bits == 8 {
        PrimitiveValue::U8((0..n).map(|i| (1 + i % 200) as u8).collect())
    } else {
        PrimitiveValue::U16((0..n).map(|i| (1 + i % 200) as u16).collect())
    };
    put(
        &mut o,
        tags::PIXEL_DATA,
        if bits == 8 { VR::OB } else { VR::OW },
        v,
    );
    o
}

fn samples(o: &InMemDicomObject) -> Vec<u16> {
    match o.get(tags::PIXEL_DATA).map(|e| e.value()) {
        Some(Value::Primitive(PrimitiveValue::U8(b))) => b.iter().map(|&x| u16::from(x)).collect(),
        Some(Value::Primitive(PrimitiveValue::U16(w))) => w.to_vec(),
        _ => panic!("no native pixels"),
    }
}

fn profile_with(rule: Option<PixelRule>) -> Profile {
    let mut p = Profile::basic("t");
    p.pixel_rule.extend(rule);
    p
}

fn acme(blank: Vec<[u32; 4]>) -> PixelRule {
    PixelRule {
        manufacturer: Some("ACME".into()),
        model: Some("scanner 9".into()),
        rows: Some(4),
        columns: None,
        blank,
    }
}

fn quarantine(reason: QuarantineReason) -> PixelVerdict {
    PixelVerdict::Quarantine { reason }
}

#[test]
fn verdicts() {
    let p = profile_with(None);
    let mut mr = image(MR, 4, 4, 1, 1, 16);
    assert_eq!(pixel_risk(&mr, &p), PixelVerdict::Clean);
    put(&mut mr, tags::BURNED_IN_ANNOTATION, VR::CS, "YES".into());
    assert_eq!(
        pixel_risk(&mr, &p),
        quarantine(QuarantineReason::BurnedInAnnotation)
    );
    put(&mut mr, tags::BURNED_IN_ANNOTATION, VR::CS, "NO".into());
    assert_eq!(pixel_risk(&mr, &p), PixelVerdict::Clean);

    for (sop, image_type, conversion, want) in [
        (SC, None, None, Some(QuarantineReason::SecondaryCapture)),
        (
            "1.2.840.10008.5.1.4.1.1.7.4",
            None,
            None,
            Some(QuarantineReason::SecondaryCapture),
        ),
        ("1.2.840.10008.5.1.4.1.1.7.5", None, None, None),
        (
            MR,
            Some("DERIVED\\SECONDARY\\SCREEN SAVE"),
            None,
            Some(QuarantineReason::ScreenSave),
        ),
        (
            MR,
            Some("DERIVED\\PRIMARY"),
            None,
            Some(QuarantineReason::Derived),
        ),
        (MR, Some("ORIGINAL\\PRIMARY"), None, None),
        (MR, None, Some("WSD"), Some(QuarantineReason::Converted)),
    ] {
        let mut o = image(sop, 4, 4, 1, 1, 8);
        if let Some(t) = image_type {
            put(&mut o, tags::IMAGE_TYPE, VR::CS, t.into());
        }
        if let Some(c) = conversion {
            put(&mut o, tags::CONVERSION_TYPE, VR::CS, c.into());
        }
        let want = want.map_or(PixelVerdict::Clean, quarantine);
        assert_eq!(pixel_risk(&o, &p), want, "{sop} {image_type:?}");
        // BurnedInAnnotation NO says otherwise.
        put(&mut o, tags::BURNED_IN_ANNOTATION, VR::CS, "NO ".into());
        assert_eq!(pixel_risk(&o, &p), PixelVerdict::Clean, "{sop} NO");
    }

    // Encapsulated documents: whatever they say, and without pixel data.
    let mut pdf = InMemDicomObject::new_empty();
    put(
        &mut pdf,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.104.1".into(),
    );
    put(&mut pdf, tags::BURNED_IN_ANNOTATION, VR::CS, "NO".into());
    assert_eq!(
        pixel_risk(&pdf, &p),
        quarantine(QuarantineReason::EncapsulatedDocument)
    );
}

#[test]
fn rules_match_and_compressed_pixels_stay_quarantined() {
    let p = profile_with(Some(acme(vec![[0, 0, 4, 1]])));
    let mut o = image(SC, 4, 4, 1, 1, 8);
    assert_eq!(pixel_risk(&o, &p), PixelVerdict::Blanked { rule: 0 });
    let other = image(SC, 8, 8, 1, 1, 8);
    assert_eq!(
        pixel_risk(&other, &p),
        quarantine(QuarantineReason::SecondaryCapture)
    );
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new_fragments(vec![vec![0u8; 8]])),
    ));
    assert_eq!(
        apply_pixel_rules(&mut o, &p),
        quarantine(QuarantineReason::CompressedPixels)
    );
}

#[test]
fn blanking_zeroes_inside_and_keeps_outside() {
    let rect = [1u32, 1, 2, 2];
    for (spp, bits, planar) in [(1, 8, 0), (1, 16, 0), (3, 8, 0), (3, 8, 1), (3, 16, 1)] {
        let (rows, cols, frames) = (4u64, 5u64, 2u64);
        let mut o = image(SC, rows as u16, cols as u16, frames as u32, spp, bits);
        put(&mut o, tags::BURNED_IN_ANNOTATION, VR::CS, "YES".into());
        put(
            &mut o,
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(planar),
        );
        let before = samples(&o);
        let p = profile_with(Some(acme(vec![rect, [4, 3, 100, 100]])));
        assert_eq!(
            apply_pixel_rules(&mut o, &p),
            PixelVerdict::Blanked { rule: 0 }
        );
        assert_eq!(text(&o, tags::BURNED_IN_ANNOTATION).as_deref(), Some("NO"));
        assert_eq!(pixel_risk(&o, &profile_with(None)), PixelVerdict::Clean);
        let after = samples(&o);
        assert_eq!(after.len(), before.len());
        let spp = u64::from(spp);
        for (i, (&a, &b)) in after.iter().zip(&before).enumerate() {
            let i = i as u64;
            let in_frame = i % (rows * cols * spp);
            let pixel = if planar == 1 {
                in_frame % (rows * cols)
            } else {
                in_frame / spp
            };
            let (x, y) = (pixel % cols, pixel / cols);
            let inside = ((1..3).contains(&x) && (1..3).contains(&y)) || (x == 4 && y == 3);
            if inside {
                assert_eq!(a, 0, "spp {spp} bits {bits} planar {planar} at {i}");
            } else {
                assert_eq!(a, b, "spp {spp} bits {bits} planar {planar} at {i}");
            }
        }
    }
}

#[test]
fn blanking_errors_are_values() {
    let mut o = image(SC, 4, 4, 1, 1, 8);
    put(
        &mut o,
        tags::BITS_ALLOCATED,
        VR::US,
        PrimitiveValue::from(12u16),
    );
    assert!(blank(&mut o, &[[0, 0, 1, 1]]).is_err());
    let mut short = image(SC, 4, 4, 1, 1, 8);
    put(&mut short, tags::NUMBER_OF_FRAMES, VR::IS, "3".into());
    assert!(blank(&mut short, &[[0, 0, 1, 1]]).is_err());
    let p = profile_with(Some(PixelRule {
        rows: None,
        ..acme(vec![[0, 0, 1, 1]])
    }));
    assert_eq!(
        apply_pixel_rules(&mut short, &p),
        quarantine(QuarantineReason::UnsupportedPixels)
    );
    // No rows, countless frames: refused, not iterated.
    let mut empty = image(SC, 0, 4, 1, 1, 8);
    put(
        &mut empty,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        "999999999999".into(),
    );
    assert!(blank(&mut empty, &[[0, 0, 1, 1]]).is_err());
    let mut huge = image(SC, 2, 2, 1, 1, 16);
    assert!(blank(&mut huge, &[[u32::MAX, u32::MAX, u32::MAX, u32::MAX]]).is_ok());
}
