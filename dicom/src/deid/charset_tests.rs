//! Character sets end to end: objects written, read back with `dicom::read` (dicom-rs decodes as
//! it does on import), de-identified, written and read again. A Japanese name in ISO 2022 IR 87
//! is found in descriptions, a Latin-1 name in ISO_IR 100, and bytes invalid for the declared set
//! never change a value multiplicity.

use super::test_support::{el, with_mr_uids};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::{DeidKeys, Deidentifier, Profile};

/// Bytes as text that dicom-rs writes back byte for byte under the default set (Latin-1).
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

fn jis(s: &str) -> Vec<u8> {
    encoding_rs::ISO_2022_JP.encode(s).0.into_owned()
}

/// An MR header with `extra`, written and read back as an import reads it; `patch` edits the
/// encoded bytes first.
fn read_back(
    extra: Vec<dicom_object::mem::InMemElement>,
    patch: impl Fn(&mut Vec<u8>),
) -> DefaultDicomObject {
    let mut els = with_mr_uids(vec![
        el(tags::PATIENT_ID, VR::LO, "MRN1744974"),
        el(tags::MODALITY, VR::CS, "MR"),
    ]);
    els.extend(extra);
    let obj = InMemDicomObject::from_element_iter(els)
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax("1.2.840.10008.1.2.1")
                .implementation_class_uid("1.2.3.4"),
        )
        .unwrap();
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    patch(&mut bytes);
    crate::read(&bytes).unwrap().obj
}

fn deidentify(mut obj: DefaultDicomObject) -> (Vec<u8>, DefaultDicomObject) {
    let keys = DeidKeys {
        linkage: [1; 32],
        node: [2; 32],
    };
    let mut p = Profile::builtin("default").unwrap();
    p.retain_patient_characteristics = true;
    Deidentifier::new(p, &keys, "study-1")
        .deidentify(&mut obj)
        .unwrap();
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    let back = crate::read(&out).unwrap().obj;
    (out, back)
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The raw bytes of a text element as re-read (the default set: Latin-1, byte for byte).
fn raw(obj: &DefaultDicomObject, tag: Tag) -> Vec<u8> {
    let v = obj.get(tag).unwrap().to_str().unwrap();
    v.chars().map(|c| u32::from(c) as u8).collect()
}

#[test]
fn a_japanese_name_in_iso_2022_ir_87_is_removed_from_descriptions() {
    let pn = jis("Yamada^Tarou=山田^太郎=やまだ^たろう");
    let obj = read_back(
        vec![
            el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "\\ISO 2022 IR 87"),
            el(tags::PATIENT_NAME, VR::PN, &latin1(&pn)),
            el(
                tags::STUDY_DESCRIPTION,
                VR::LO,
                &latin1(&jis("頭部MRI 山田 太郎 follow-up")),
            ),
            el(
                tags::SERIES_DESCRIPTION,
                VR::LO,
                &latin1(&jis("T1強調 やまだ様\\T2強調")),
            ),
            el(
                tags::IMAGE_COMMENTS,
                VR::LT,
                &latin1(&jis("検査 山田太郎様 Tarou")),
            ),
        ],
        |_| {},
    );
    let (out, back) = deidentify(obj);
    for name in ["山田", "太郎", "やまだ", "たろう"] {
        let j = jis(name);
        // The JIS X 0208 bytes without their escape: ";3ED" for 山田.
        assert!(!has(&out, &j[3..j.len() - 3]), "{name} survives");
    }
    assert!(!has(&out, b"Yamada") && !has(&out, b"Tarou"));
    // What is not a name stays, written back in the declared set, one value for each.
    let study = raw(&back, tags::STUDY_DESCRIPTION);
    assert_eq!(study, jis("頭部MRI follow-up"), "{}", latin1(&study));
    let series = back.get(tags::SERIES_DESCRIPTION).unwrap();
    assert_eq!(series.to_multi_str().unwrap().len(), 2);
    assert!(has(&raw(&back, tags::SERIES_DESCRIPTION), &jis("T1強調")));
    let comments = raw(&back, tags::IMAGE_COMMENTS);
    assert!(has(&comments, &jis("検査")) && has(&comments, &jis("様")));
}

#[test]
fn a_latin1_name_in_iso_ir_100_is_removed_from_descriptions() {
    let obj = read_back(
        vec![
            el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"),
            el(tags::PATIENT_NAME, VR::PN, "MÜLLER^JÜRGEN"),
            el(
                tags::STUDY_DESCRIPTION,
                VR::LO,
                "Kontrolle Müller Jürgen Schädel",
            ),
        ],
        |_| {},
    );
    let (out, back) = deidentify(obj);
    for n in [&b"M\xfcller"[..], b"M\xdcLLER", b"J\xfcrgen", b"J\xdcRGEN"] {
        assert!(!has(&out, n));
    }
    assert_eq!(
        back.get(tags::STUDY_DESCRIPTION).unwrap().to_str().unwrap(),
        "Kontrolle Schädel"
    );
}

#[test]
fn invalid_bytes_never_change_the_value_multiplicity() {
    // Written as Latin-1, then declared UTF-8: 0xFF and 0xFE are invalid there.
    let obj = read_back(
        vec![
            el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"),
            el(tags::PATIENT_NAME, VR::PN, "Schmidt^Lukas"),
            el(tags::PROTOCOL_NAME, VR::LO, "t1\u{ff}\u{fe}mprage Schmidt"),
            el(tags::SERIES_DESCRIPTION, VR::LO, "t2\u{ff}tse"),
            el(Tag(0x0010, 0x2160), VR::SH, "ab\u{ff}cd"),
        ],
        |b| {
            let at = b.windows(10).position(|w| w == b"ISO_IR 100").unwrap();
            b[at..at + 10].copy_from_slice(b"ISO_IR 192");
        },
    );
    // dicom-rs reads the invalid bytes as `\377` escapes: a backslash in the value.
    let read = obj.get(tags::PROTOCOL_NAME).unwrap().to_str().unwrap();
    assert!(read.contains('\\'), "{read}");
    let (out, back) = deidentify(obj);
    for (tag, want) in [
        (tags::PROTOCOL_NAME, "t1??mprage"),
        (tags::SERIES_DESCRIPTION, "t2?tse"),
        (Tag(0x0010, 0x2160), "ab?cd"),
    ] {
        let e = back.get(tag).unwrap();
        assert_eq!(e.to_multi_str().unwrap().len(), 1, "{tag}");
        assert_eq!(e.to_str().unwrap().trim(), want);
    }
    assert!(!has(&out, b"\\377") && !has(&out, b"\\376"));
    assert!(!has(&out, b"t1\xff") && !has(&out, b"ab\xff"));
}
