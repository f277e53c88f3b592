//! The allow-list, tested by planting identifiers where Table E.1-1 does not look (attributes it
//! does not list, at every depth, UN-encoded sequences, unknown and retired tags, UIDs outside
//! the table) and proving they are gone, while the attributes research needs stay.

use super::test_support::{el, with_mr_uids};
use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::{DeidKeys, Deidentifier, Profile};

type El = dicom_object::mem::InMemElement;

fn seq(tag: Tag, items: Vec<Vec<El>>) -> El {
    DataElement::new(
        tag,
        VR::SQ,
        DataSetSequence::from(
            items
                .into_iter()
                .map(InMemDicomObject::from_element_iter)
                .collect::<Vec<_>>(),
        ),
    )
}

const PHI: [&str; 5] = [
    "Schmidt",
    "Lukas",
    "1744974",
    "Westfield Clinic",
    "1.2.826.0.1.3680043.8.498",
];

fn planted() -> DefaultDicomObject {
    let els = with_mr_uids(vec![
        el(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        el(tags::PATIENT_NAME, VR::PN, "Schmidt^Lukas"),
        el(tags::PATIENT_ID, VR::LO, "MRN1744974"),
        el(tags::PATIENT_BIRTH_DATE, VR::DA, "19641115"),
        el(tags::MODALITY, VR::CS, "MR"),
        el(tags::MANUFACTURER, VR::LO, "SIEMENS"),
        el(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY\\M"),
        el(tags::ECHO_TIME, VR::DS, "2.98"),
        el(tags::REPETITION_TIME, VR::DS, "2300"),
        el(tags::PIXEL_SPACING, VR::DS, "1\\1"),
        el(tags::SLICE_THICKNESS, VR::DS, "1"),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
        // Unlisted by the table, not on the keep-list: removed.
        el(Tag(0x0042, 0x0010), VR::ST, "Report for Lukas Schmidt"), // DocumentTitle
        el(Tag(0x0018, 0xFFF0), VR::LO, "Westfield Clinic"),         // unknown public tag
        seq(
            Tag(0x0032, 0x1064), // RequestedProcedureCodeSequence
            vec![vec![el(tags::CODE_MEANING, VR::LO, "MRI for Schmidt")]],
        ),
        // UN-encoded sequence bytes (implicit VR item holding a LO): cannot be walked, dropped.
        DataElement::new(
            Tag(0x0040, 0xA043), // ConceptNameCodeSequence: on the keep-list as SQ
            VR::UN,
            PrimitiveValue::U8(
                [
                    &[0xFE, 0xFF, 0x00, 0xE0, 0x10, 0, 0, 0][..],
                    &[0x08, 0x00, 0x04, 0x01, 0x08, 0, 0, 0],
                    b"Schmidt ",
                ]
                .concat()
                .into(),
            ),
        ),
        // Keep-listed text at depth 3: cleaned; an unknown tag beside it: removed.
        seq(
            tags::CONTENT_SEQUENCE,
            vec![vec![
                el(tags::VALUE_TYPE, VR::CS, "CONTAINER"),
                seq(
                    tags::CONTENT_SEQUENCE,
                    vec![vec![
                        el(tags::VALUE_TYPE, VR::CS, "TEXT"),
                        el(tags::TEXT_VALUE, VR::UT, "Patient Schmidt MRN1744974 seen"),
                        el(Tag(0x0018, 0xFFF0), VR::LO, "Westfield Clinic"),
                        // An unlisted UI at depth: remapped, consistently.
                        el(
                            tags::REFERENCED_SOP_INSTANCE_UID,
                            VR::UI,
                            "1.2.826.0.1.3680043.8.498.11",
                        ),
                    ]],
                ),
            ]],
        ),
    ]);
    InMemDicomObject::from_element_iter(els)
        .with_meta(
            FileMetaTableBuilder::new()
                .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.4")
                .media_storage_sop_instance_uid("1.2.826.0.1.3680043.8.498.1001")
                .transfer_syntax("1.2.840.10008.1.2.1"),
        )
        .unwrap()
}

fn bytes(o: &DefaultDicomObject) -> Vec<u8> {
    let mut out = Vec::new();
    o.write_all(&mut out).unwrap();
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn keys() -> DeidKeys {
    DeidKeys {
        linkage: [1; 32],
        node: [2; 32],
    }
}

#[test]
fn planted_identifiers_outside_the_table_are_gone_and_research_attributes_stay() {
    let before = bytes(&planted());
    for phi in PHI {
        assert!(contains(&before, phi), "the test plants {phi:?}");
    }
    for profile in [
        Profile::basic("basic"),
        Profile::builtin("default").unwrap(),
    ] {
        let d = Deidentifier::new(profile.clone(), &keys(), "study-1");
        let mut o = planted();
        let out = d.deidentify(&mut o).unwrap();
        let after = bytes(&o);
        for phi in PHI {
            assert!(!contains(&after, phi), "{}: {phi:?} survived", profile.name);
        }
        // DocumentTitle, the unknown tag twice, the code sequence, the UN sequence.
        assert_eq!(out.removed_unlisted, 5, "{}", profile.name);
        let s = |t: Tag| {
            o.get(t)
                .and_then(|e| e.to_str().ok())
                .map(|v| v.to_string())
        };
        assert_eq!(s(tags::MODALITY).as_deref(), Some("MR"));
        assert_eq!(s(tags::MANUFACTURER).as_deref(), Some("SIEMENS"));
        assert_eq!(s(tags::ECHO_TIME).as_deref(), Some("2.98"));
        assert_eq!(s(tags::REPETITION_TIME).as_deref(), Some("2300"));
        assert_eq!(s(tags::PIXEL_SPACING).as_deref(), Some("1\\1"));
        assert_eq!(s(tags::IMAGE_TYPE).as_deref(), Some("ORIGINAL\\PRIMARY\\M"));
        assert_eq!(
            s(tags::SOP_CLASS_UID).as_deref(),
            Some("1.2.840.10008.5.1.4.1.1.4")
        );
        // The nested reference points at the remapped series.
        let item = o.get(tags::CONTENT_SEQUENCE).unwrap().items().unwrap()[0]
            .get(tags::CONTENT_SEQUENCE)
            .unwrap()
            .items()
            .unwrap()[0]
            .clone();
        assert_eq!(
            item.get(tags::REFERENCED_SOP_INSTANCE_UID)
                .and_then(|e| e.to_str().ok())
                .map(|v| v.to_string()),
            s(tags::SERIES_INSTANCE_UID)
        );
        assert!(item.get(tags::TEXT_VALUE).is_some() || profile.name == "basic");
    }
}

#[test]
fn a_profile_extends_the_keep_list() {
    let mut p = Profile::basic("b");
    p.keep = vec!["DocumentTitle".into(), "(0018,FFF0)".into()];
    let p = Profile::from_toml_str(&p.to_toml_string()).unwrap();
    assert_eq!(p.keep.len(), 2);
    let d = Deidentifier::new(p, &keys(), "study-1");
    let mut o = planted();
    let out = d.deidentify(&mut o).unwrap();
    // Kept, but still cleaned of the identifiers of the header.
    let title = o
        .get(Tag(0x0042, 0x0010))
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(title.starts_with("Report for"), "{title}");
    assert!(
        !title.contains("Schmidt") && !title.contains("Lukas"),
        "{title}"
    );
    assert!(o.get(Tag(0x0018, 0xFFF0)).is_some());
    assert_eq!(out.removed_unlisted, 2);
    assert!(Profile::from_toml_str("name = \"x\"\nkeep = [\"NoSuchAttribute\"]").is_err());
    assert!(Profile::from_toml_str("name = \"x\"\nkeep = [\"(0019,1000)\"]").is_err());
}

#[test]
fn explain_agrees_with_what_is_done() {
    for profile in [
        Profile::basic("basic"),
        Profile::builtin("default").unwrap(),
    ] {
        let d = Deidentifier::new(profile.clone(), &keys(), "study-1");
        let before = planted();
        let explained = d.explain(&before).unwrap();
        let mut after = planted();
        d.deidentify(&mut after).unwrap();
        let top: Vec<&super::Explained> =
            explained.iter().filter(|e| !e.path.contains('/')).collect();
        assert_eq!(top.len(), before.iter().count());
        for e in top {
            let g = u16::from_str_radix(&e.path[1..5], 16).unwrap();
            let el = u16::from_str_radix(&e.path[6..10], 16).unwrap();
            let present = after.get(Tag(g, el)).is_some();
            assert_eq!(e.action != "removed", present, "{}: {e:?}", profile.name);
            assert!(!e.why.is_empty());
        }
        // Nested attributes are explained too, and no value is.
        assert!(explained
            .iter()
            .any(|e| e.path.contains("[1]/") && e.keyword == "TextValue" && e.action == "cleaned"));
        let all = format!("{explained:?}");
        for phi in PHI {
            assert!(!all.contains(phi), "{phi}");
        }
    }
}

/// Kept codes stay codes, and a text that was only identifiers says `REMOVED` rather than going
/// empty (found by dciodvfy on an SR whose observer name is its only text value).
#[test]
fn codes_are_not_cleaned_and_a_text_of_identifiers_is_replaced_not_emptied() {
    let mut o = planted();
    o.put(seq(
        tags::CONTENT_SEQUENCE,
        vec![
            vec![
                el(tags::VALUE_TYPE, VR::CS, "PNAME"),
                el(tags::PERSON_NAME, VR::PN, "Text^Enter"),
            ],
            vec![
                el(tags::VALUE_TYPE, VR::CS, "TEXT"),
                el(tags::TEXT_VALUE, VR::UT, "Schmidt Lukas"),
            ],
        ],
    ));
    let d = Deidentifier::new(Profile::builtin("default").unwrap(), &keys(), "study-1");
    d.deidentify(&mut o).unwrap();
    let items = o.get(tags::CONTENT_SEQUENCE).unwrap().items().unwrap();
    let s = |i: usize, t: Tag| {
        items[i]
            .get(t)
            .and_then(|e| e.to_str().ok())
            .map(|v| v.trim().to_string())
    };
    assert_eq!(s(0, tags::VALUE_TYPE).as_deref(), Some("PNAME"));
    assert_eq!(s(1, tags::VALUE_TYPE).as_deref(), Some("TEXT"));
    assert_eq!(s(1, tags::TEXT_VALUE).as_deref(), Some("REMOVED"));
}
