//! Public attributes written with VR UN (unknown), read back as the dictionary's VR.
//!
//! Some writers (and some anonymizers) encode every element as explicit VR "UN". dicom-rs keeps
//! such values as raw bytes, so a SOPInstanceUID in UN is invisible to de-identification and to
//! metadata extraction, and a PatientName in UN would escape the profile. pydicom re-reads UN
//! elements of known public tags with their dictionary VR; so do we, for text and binary numeric
//! VRs. Sequences, bulk binary (OB, OW...) and private or ambiguous tags stay UN; the
//! de-identification table still applies to them by tag.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::InMemDicomObject;

/// Re-read UN elements of `obj` (and of its sequence items) with their dictionary VR.
/// `big_endian`: the byte order of the data set.
pub(crate) fn resolve(obj: &mut InMemDicomObject, big_endian: bool) {
    let tags: Vec<Tag> = obj.iter().map(|e| e.header().tag).collect();
    for tag in tags {
        let Some(el) = obj.get(tag) else { continue };
        if el.vr() == VR::UN {
            if tag.group() % 2 == 1 {
                continue;
            }
            let Some(vr) = StandardDataDictionary
                .by_tag(tag)
                .and_then(|e| match e.vr() {
                    VirtualVr::Exact(vr) => Some(vr),
                    _ => None,
                })
            else {
                continue;
            };
            let Value::Primitive(PrimitiveValue::U8(bytes)) = el.value() else {
                continue;
            };
            if let Some(v) = decode(vr, bytes, big_endian) {
                obj.put(DataElement::new(tag, vr, v));
            }
        } else if el.items().is_some_and(|i| !i.is_empty()) {
            if let Some(mut el) = obj.take(tag) {
                if let Some(items) = el.items_mut() {
                    for item in items.iter_mut() {
                        resolve(item, big_endian);
                    }
                }
                obj.put(el);
            }
        }
    }
}

fn decode(vr: VR, bytes: &[u8], be: bool) -> Option<PrimitiveValue> {
    use VR::*;
    match vr {
        AE | AS | CS | DA | DS | DT | IS | LO | PN | SH | TM | UC | UI => {
            let text = to_text(bytes);
            let values: Vec<String> = text
                .trim_end_matches(['\0', ' '])
                .split('\\')
                .map(|s| s.trim_matches(|c| c == ' ' || c == '\0').to_string())
                .collect();
            Some(PrimitiveValue::Strs(values.into()))
        }
        LT | ST | UT | UR => Some(PrimitiveValue::Str(
            to_text(bytes).trim_end_matches(['\0', ' ']).to_string(),
        )),
        US => numbers(bytes, 2, |b| {
            let a = [b[0], b[1]];
            if be {
                u16::from_be_bytes(a)
            } else {
                u16::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::U16(v.into())),
        SS => numbers(bytes, 2, |b| {
            let a = [b[0], b[1]];
            if be {
                i16::from_be_bytes(a)
            } else {
                i16::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::I16(v.into())),
        UL => numbers(bytes, 4, |b| {
            let a = [b[0], b[1], b[2], b[3]];
            if be {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::U32(v.into())),
        SL => numbers(bytes, 4, |b| {
            let a = [b[0], b[1], b[2], b[3]];
            if be {
                i32::from_be_bytes(a)
            } else {
                i32::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::I32(v.into())),
        FL => numbers(bytes, 4, |b| {
            let a = [b[0], b[1], b[2], b[3]];
            if be {
                f32::from_be_bytes(a)
            } else {
                f32::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::F32(v.into())),
        FD => numbers(bytes, 8, |b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            if be {
                f64::from_be_bytes(a)
            } else {
                f64::from_le_bytes(a)
            }
        })
        .map(|v| PrimitiveValue::F64(v.into())),
        _ => None,
    }
}

/// UTF-8 when valid, else Latin-1 (the default repertoire's superset most writers use).
fn to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn numbers<T>(bytes: &[u8], width: usize, f: impl Fn(&[u8]) -> T) -> Option<Vec<T>> {
    bytes
        .len()
        .is_multiple_of(width)
        .then(|| bytes.chunks_exact(width).map(f).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_dictionary_std::tags;

    fn un(tag: Tag, bytes: &[u8]) -> DataElement<InMemDicomObject> {
        DataElement::new(tag, VR::UN, PrimitiveValue::U8(bytes.to_vec().into()))
    }

    #[test]
    fn text_and_numbers_get_their_vr() {
        let mut o = InMemDicomObject::new_empty();
        o.put(un(tags::SOP_INSTANCE_UID, b"1.2.3.4\0"));
        o.put(un(tags::PATIENT_NAME, b"Doe^John"));
        o.put(un(tags::IMAGE_TYPE, b"ORIGINAL\\PRIMARY "));
        o.put(un(tags::ROWS, &[0x00, 0x02]));
        o.put(un(Tag(0x0029, 0x1010), b"private"));
        resolve(&mut o, false);
        let sop = o.get(tags::SOP_INSTANCE_UID).unwrap();
        assert_eq!(sop.vr(), VR::UI);
        assert_eq!(sop.to_str().unwrap(), "1.2.3.4");
        assert_eq!(o.get(tags::PATIENT_NAME).unwrap().vr(), VR::PN);
        assert_eq!(
            o.get(tags::IMAGE_TYPE)
                .unwrap()
                .to_multi_str()
                .unwrap()
                .to_vec(),
            vec!["ORIGINAL".to_string(), "PRIMARY".to_string()]
        );
        assert_eq!(o.get(tags::ROWS).unwrap().to_int::<u16>().unwrap(), 512);
        assert_eq!(
            o.get(Tag(0x0029, 0x1010)).unwrap().vr(),
            VR::UN,
            "private stays UN"
        );
    }

    #[test]
    fn odd_binary_lengths_stay_un() {
        let mut o = InMemDicomObject::new_empty();
        o.put(un(tags::ROWS, &[1, 2, 3]));
        resolve(&mut o, true);
        assert_eq!(o.get(tags::ROWS).unwrap().vr(), VR::UN);
    }
}
