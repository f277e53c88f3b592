//! The DICOM JSON model (PS3.18 F.2) of a data set: what WADO-RS `/metadata` answers.
//!
//! Top-level binary values (pixel data, large OB/OW/UN...) are given as a `BulkDataURI` built
//! by the caller; small ones and those inside sequences as `InlineBinary` (base64).

use dicom_core::header::Header;
use dicom_core::value::Value as DicomValue;
use dicom_core::{PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use serde_json::{json, Map, Value};

/// Binary values longer than this are given by URI at the top level.
pub const INLINE_BINARY_MAX: usize = 1024;

/// The DICOM JSON object of `obj`; `bulk(tag)` names the URI of a top-level binary value.
pub fn to_json(obj: &InMemDicomObject, bulk: &dyn Fn(Tag) -> String) -> Value {
    object(obj, Some(bulk))
}

fn object(obj: &InMemDicomObject, bulk: Option<&dyn Fn(Tag) -> String>) -> Value {
    let mut m = Map::new();
    for e in obj.iter() {
        let tag = e.tag();
        let vr = e.vr();
        let key = format!("{:04X}{:04X}", tag.group(), tag.element());
        let mut out = Map::new();
        out.insert("vr".into(), Value::String(vr.to_string().to_string()));
        match e.value() {
            DicomValue::Sequence(seq) => {
                let items: Vec<Value> = seq.items().iter().map(|i| object(i, None)).collect();
                out.insert("Value".into(), Value::Array(items));
            }
            DicomValue::PixelSequence(_) => {
                if let Some(b) = bulk {
                    out.insert("BulkDataURI".into(), Value::String(b(tag)));
                }
            }
            DicomValue::Primitive(p) => primitive(&mut out, vr, p, tag, bulk),
        }
        m.insert(key, Value::Object(out));
    }
    Value::Object(m)
}

fn is_binary(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OD | VR::OF | VR::OL | VR::OV | VR::OW | VR::UN
    )
}

fn primitive(
    out: &mut Map<String, Value>,
    vr: VR,
    p: &PrimitiveValue,
    tag: Tag,
    bulk: Option<&dyn Fn(Tag) -> String>,
) {
    if matches!(p, PrimitiveValue::Empty) {
        return;
    }
    if is_binary(vr) {
        let bytes = p.to_bytes();
        match bulk {
            Some(b) if bytes.len() > INLINE_BINARY_MAX || tag == Tag(0x7FE0, 0x0010) => {
                out.insert("BulkDataURI".into(), Value::String(b(tag)));
            }
            _ => {
                out.insert("InlineBinary".into(), Value::String(base64(&bytes)));
            }
        }
        return;
    }
    let values: Vec<Value> = match vr {
        VR::PN => strings(p)
            .into_iter()
            .map(|s| {
                if s.is_empty() {
                    json!({})
                } else {
                    json!({ "Alphabetic": s })
                }
            })
            .collect(),
        VR::DS | VR::FL | VR::FD => match p.to_multi_float64() {
            Ok(v) => v
                .into_iter()
                .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
                .collect(),
            Err(_) => Vec::new(),
        },
        VR::IS | VR::SS | VR::US | VR::SL | VR::UL | VR::SV => match p.to_multi_int::<i64>() {
            Ok(v) => v.into_iter().map(|n| json!(n)).collect(),
            Err(_) => Vec::new(),
        },
        VR::UV => match p.to_multi_int::<u64>() {
            Ok(v) => v.into_iter().map(|n| json!(n)).collect(),
            Err(_) => Vec::new(),
        },
        VR::AT => match p {
            PrimitiveValue::Tags(t) => t
                .iter()
                .map(|t| json!(format!("{:04X}{:04X}", t.group(), t.element())))
                .collect(),
            _ => Vec::new(),
        },
        _ => strings(p)
            .into_iter()
            .map(|s| {
                if s.is_empty() {
                    Value::Null
                } else {
                    Value::String(s)
                }
            })
            .collect(),
    };
    if !values.is_empty() && !values.iter().all(Value::is_null) {
        out.insert("Value".into(), Value::Array(values));
    }
}

/// The string values, padding removed.
fn strings(p: &PrimitiveValue) -> Vec<String> {
    p.to_multi_str()
        .iter()
        .map(|s| s.trim_end_matches([' ', '\0']).to_string())
        .collect()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::DataElement;
    use dicom_dictionary_std::tags;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn shapes_of_the_json_model() {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(tags::PATIENT_NAME, VR::PN, "P01^X"));
        obj.put(DataElement::new(tags::MODALITY, VR::CS, "MR "));
        obj.put(DataElement::new(
            tags::IMAGE_TYPE,
            VR::CS,
            PrimitiveValue::Strs(vec!["ORIGINAL".into(), "PRIMARY".into()].into()),
        ));
        obj.put(DataElement::new(
            tags::ROWS,
            VR::US,
            PrimitiveValue::from(64u16),
        ));
        obj.put(DataElement::new(tags::SLICE_THICKNESS, VR::DS, "1.5"));
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U8(vec![0u8; 8].into()),
        ));
        obj.put(DataElement::new(
            tags::ACCESSION_NUMBER,
            VR::SH,
            PrimitiveValue::Empty,
        ));
        let v = to_json(&obj, &|t| {
            format!("bulk/{:04X}{:04X}", t.group(), t.element())
        });
        assert_eq!(
            v["00100010"],
            json!({"vr": "PN", "Value": [{"Alphabetic": "P01^X"}]})
        );
        assert_eq!(v["00080060"]["Value"], json!(["MR"]));
        assert_eq!(v["00080008"]["Value"], json!(["ORIGINAL", "PRIMARY"]));
        assert_eq!(v["00280010"]["Value"], json!([64]));
        assert_eq!(v["00180050"]["Value"], json!([1.5]));
        assert_eq!(v["7FE00010"]["BulkDataURI"], "bulk/7FE00010");
        assert_eq!(v["00080050"], json!({"vr": "SH"}));
    }
}
