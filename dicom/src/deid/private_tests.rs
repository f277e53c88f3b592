//! Safe-listed private blocks with identifiers planted in every encoding: a Siemens CSA header
//! written as OB, OW and UN, strings in ASCII, Latin-1 and UTF-16LE, garbage after the NULs, and
//! a binary value of another safe-listed block. After de-identification none of them is left in
//! the bytes written, in any encoding, and the CSA research fields read back identical.

use super::test_support::{el, with_mr_uids};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

use super::csa::{self, tests::build};
use super::{DeidKeys, Deidentifier, Profile};

fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| u32::from(c) as u8).collect()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// The image and series CSA headers, identifiers planted in each encoding.
fn headers() -> (Vec<u8>, Vec<u8>) {
    let mut coil = utf16le("HeadMatrix Jürgen MRC20017");
    coil.extend_from_slice(&[0, 0]);
    let image = build(
        true,
        &[
            ("B_value", "IS", vec![b"1000\0".to_vec()]),
            (
                "MosaicRefAcqTimes",
                "FD",
                vec![b"0.0\0".to_vec(), b"1234.5625\0".to_vec()],
            ),
            ("ImaCoilString", "LO", vec![coil]),
            // Not kept: emptied, whatever it holds.
            ("ImaComments", "LT", vec![latin1("MÜLLER^JÜRGEN\0")]),
        ],
    );
    let mut protocol = latin1(
        "### ASCCONV BEGIN ###\ntProtocolName = \"Müller Jürgen MRN1744974\"\n\
         sProtConsistencyInfo.tBaselineString = \"N4_VB17A_LATEST_20090307\"\n\
         tReferenceImage0 = \"\"1.3.12.2.1107.5.2.32.35119.2010011420070434054586384\"\"\n\
         ### ASCCONV END ###\0",
    );
    // Garbage after the NUL: what the structure does not account for goes.
    protocol.extend_from_slice(b"MRC20017 MRN1744974\0");
    protocol.extend(utf16le("MÜLLER^JÜRGEN"));
    let series = build(
        false,
        &[
            ("MrPhoenixProtocol", "UN", vec![protocol]),
            ("UsedPatientWeight", "IS", vec![b"80\0".to_vec()]),
        ],
    );
    (image, series)
}

fn object(vr: VR) -> DefaultDicomObject {
    object_ts(vr, "1.2.840.10008.1.2.1")
}

fn object_ts(vr: VR, ts: &str) -> DefaultDicomObject {
    let (image, series) = headers();
    let value = |b: Vec<u8>| match vr {
        VR::OW => PrimitiveValue::U16(
            b.chunks(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect(),
        ),
        _ => PrimitiveValue::U8(b.into()),
    };
    let mut blob = b"\x01\x02".to_vec();
    blob.extend(latin1("M\u{fc}ller^J\u{fc}rgen "));
    blob.extend(utf16le("MRN1744974"));
    blob.extend_from_slice(b" MRC20017\x00\x07\x08");
    let els = with_mr_uids(vec![
        el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        el(tags::PATIENT_NAME, VR::PN, "MÜLLER^JÜRGEN"),
        el(tags::PATIENT_ID, VR::LO, "MRN1744974"),
        el(tags::STATION_NAME, VR::SH, "MRC20017"),
        el(tags::MODALITY, VR::CS, "MR"),
        el(Tag(0x0019, 0x0010), VR::LO, "SIEMENS MR HEADER"),
        DataElement::new(Tag(0x0019, 0x1027), VR::OB, PrimitiveValue::U8(blob.into())),
        el(Tag(0x0029, 0x0010), VR::LO, "SIEMENS CSA HEADER"),
        DataElement::new(Tag(0x0029, 0x1010), vr, value(image)),
        DataElement::new(Tag(0x0029, 0x1020), vr, value(series)),
    ]);
    InMemDicomObject::from_element_iter(els)
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(ts)
                .implementation_class_uid("1.2.3.4"),
        )
        .unwrap()
}

/// Whether `needle` is in `hay` in any case, as UTF-8, Latin-1, UTF-16LE or UTF-16BE.
fn found(hay: &[u8], needle: &str) -> bool {
    [
        needle.to_string(),
        needle.to_uppercase(),
        needle.to_lowercase(),
    ]
    .iter()
    .flat_map(|n| [n.as_bytes().to_vec(), latin1(n), utf16le(n), utf16be(n)])
    .any(|p| hay.windows(p.len()).any(|w| w.eq_ignore_ascii_case(&p)))
}

#[test]
fn csa_headers_in_every_vr_lose_identifiers_in_every_encoding() {
    let keys = DeidKeys {
        linkage: [1; 32],
        node: [2; 32],
    };
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys, "study-1");
    for vr in [VR::OB, VR::OW, VR::UN] {
        let mut obj = object(vr);
        let mut before = Vec::new();
        obj.write_all(&mut before).unwrap();
        // Planted in the private blocks: Latin-1, UTF-16 and the garbage after NULs.
        let private = |b: &[u8]| b.windows(6).any(|w| w == b"SV10\x04\x03");
        assert!(private(&before));
        for planted in [
            latin1("J\u{fc}rgen"),
            utf16le("Jürgen"),
            utf16le("MÜLLER"),
            utf16le("MRN1744974"),
        ] {
            assert!(before
                .windows(planted.len())
                .any(|w| w == planted.as_slice()));
        }
        d.deidentify(&mut obj).unwrap();
        let mut out = Vec::new();
        obj.write_all(&mut out).unwrap();
        for n in [
            "MÜLLER", "Muller", "Mueller", "JÜRGEN", "Jurgen", "1744974", "MRC20017", "35119",
        ] {
            assert!(!found(&out, n), "{vr:?}: {n}");
        }
        let back = OpenFileOptions::new().from_reader(&out[128..]).unwrap();
        let csa_bytes = |el: u16| {
            back.get(Tag(0x0029, el))
                .unwrap_or_else(|| panic!("{vr:?}: (0029,{el:04X}) kept"))
                .value()
                .to_bytes()
                .unwrap()
                .into_owned()
        };
        let image = csa_bytes(0x1010);
        let h = csa::parse(&image).unwrap();
        let (orig_image, _) = headers();
        let orig = csa::parse(&orig_image).unwrap();
        for name in ["B_value", "MosaicRefAcqTimes"] {
            let get = |h: &csa::Header<'_>| {
                h.tags
                    .iter()
                    .find(|t| t.name == name.as_bytes())
                    .map(|t| t.strings())
            };
            assert_eq!(get(&h), get(&orig), "{vr:?}: {name}");
        }
        let coil = h.tags.iter().find(|t| t.name == b"ImaCoilString").unwrap();
        assert!(
            coil.strings()[0].starts_with("HeadMatrix "),
            "{:?}",
            coil.strings()
        );
        assert!(h
            .tags
            .iter()
            .find(|t| t.name == b"ImaComments")
            .unwrap()
            .items
            .is_empty());
        let series = csa_bytes(0x1020);
        let h = csa::parse(&series).unwrap();
        assert_eq!(h.form, csa::Form::Csa1);
        let text = h.tags[0].strings().join("");
        assert!(text.contains("tProtocolName = \""), "{text}");
        assert!(
            text.contains("tBaselineString = \"N4_VB17A_LATEST_20090307\""),
            "{text}"
        );
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(h.tags[1].items.is_empty());
        // The other block's binary value keeps its length.
        assert_eq!(
            back.get(Tag(0x0019, 0x1027))
                .unwrap()
                .value()
                .to_bytes()
                .unwrap()
                .len(),
            2 + 14 + 20 + 12
        );
    }
}

#[test]
fn a_csa_header_that_does_not_parse_is_removed_not_kept() {
    let keys = DeidKeys {
        linkage: [1; 32],
        node: [2; 32],
    };
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys, "study-1");
    let mut obj = object(VR::OB);
    let mut bad = headers().0;
    bad.truncate(bad.len() - 6);
    obj.put(DataElement::new(
        Tag(0x0029, 0x1010),
        VR::OB,
        PrimitiveValue::U8(bad.into()),
    ));
    let explained = d.explain(&obj).unwrap();
    let e = explained.iter().find(|e| e.path == "(0029,1010)").unwrap();
    assert_eq!(e.action, "removed");
    d.deidentify(&mut obj).unwrap();
    assert!(obj.get(Tag(0x0029, 0x1010)).is_none());
    assert!(obj.get(Tag(0x0029, 0x1020)).is_some());
}

/// An OW header in a big-endian file (as a transcoder leaves it: the words' values kept): read
/// back, its little-endian view is still a CSA header, cleaned.
#[test]
fn an_ow_csa_header_in_a_big_endian_file_is_cleaned() {
    let keys = DeidKeys {
        linkage: [1; 32],
        node: [2; 32],
    };
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys, "study-1");
    let obj = object_ts(VR::OW, "1.2.840.10008.1.2.2");
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).unwrap();
    let mut obj = crate::read(&bytes).unwrap().obj;
    d.deidentify(&mut obj).unwrap();
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    let back = crate::read(&out).unwrap().obj;
    for el in [0x1010, 0x1020] {
        let Some(PrimitiveValue::U16(w)) = back.get(Tag(0x0029, el)).unwrap().value().primitive()
        else {
            panic!("OW kept as words");
        };
        let le: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
        let h = csa::parse(&le).unwrap();
        assert!(!h.tags.is_empty());
        for n in ["MÜLLER", "Jürgen", "1744974", "MRC20017"] {
            assert!(!found(&le, n), "{n}");
        }
    }
    for n in ["1744974", "MRC20017"] {
        assert!(!found(&out, n), "{n}");
    }
}
