//! The objects of one patient: a classic MR series, an enhanced MR instance, a Comprehensive SR
//! referencing the MR instances, a secondary capture with burned-in text and an encapsulated
//! PDF, each with the research attributes that must survive ([`Retain`]).

use std::path::PathBuf;

use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;

use super::ds::{tag_key, Charset, Ds};
use super::people::Patient;
use super::{Kind, Retain, PRIVATE_ROOT};

const MR: &str = "1.2.840.10008.5.1.4.1.1.4";
const ENHANCED_MR: &str = "1.2.840.10008.5.1.4.1.1.4.1";
const COMPREHENSIVE_SR: &str = "1.2.840.10008.5.1.4.1.1.88.33";
const SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";
const ENCAPSULATED_PDF: &str = "1.2.840.10008.5.1.4.1.1.104.1";

/// The standard UIDs the corpus writes (kept by de-identification).
pub(super) const STANDARD_UIDS: [&str; 7] = [
    MR,
    ENHANCED_MR,
    COMPREHENSIVE_SR,
    SECONDARY_CAPTURE,
    ENCAPSULATED_PDF,
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
];

/// Slices of the classic series, frames of the enhanced one.
const SLICES: u16 = 4;
const SIZE: u16 = 32;

/// One object ready to be written.
#[derive(Debug)]
pub(super) struct Built {
    pub(super) file: PathBuf,
    pub(super) kind: Kind,
    pub(super) ds: Ds,
    pub(super) charset: Charset,
    pub(super) class: String,
    pub(super) instance_uid: String,
    pub(super) deflated: bool,
    pub(super) instance_number: u32,
    pub(super) retain: Vec<Retain>,
}

/// A generator UID: `<root>.<patient>.<what>.<1000 + n>` (fixed width: no UID is a prefix of
/// another).
fn uid(pi: usize, what: u32, n: u32) -> String {
    format!("{PRIVATE_ROOT}.{}.{what}.{}", pi + 1, 1000 + n)
}

fn study_uid(pi: usize) -> String {
    uid(pi, 1, 0)
}

fn mr_series_uid(pi: usize) -> String {
    uid(pi, 2, 0)
}

/// The MR slice's SOP instance UID: the last patient's first slice has one under the
/// standard's root `1.2.840.10008.`, as some sites write (and as must be remapped).
fn mr_instance_uid(pi: usize, k: u32) -> String {
    if pi == 3 && k == 0 {
        "1.2.840.10008.5.1.4.1.1.4.977.4.20240605.1".to_string()
    } else {
        uid(pi, 3, k)
    }
}

fn instance_number(pi: usize, n: u32) -> u32 {
    (pi as u32 + 1) * 100 + n
}

fn retain(paths: &[(Tag, bool, bool)]) -> Vec<Retain> {
    paths
        .iter()
        .map(|&(t, basic, text)| Retain {
            path: tag_key(t),
            basic,
            text,
        })
        .collect()
}

fn code(value: &str, scheme: &str, meaning: &str) -> Ds {
    Ds::with(|d| {
        d.s(tags::CODE_VALUE, VR::SH, value)
            .s(tags::CODING_SCHEME_DESIGNATOR, VR::SH, scheme)
            .s(tags::CODE_MEANING, VR::LO, meaning);
    })
}

/// The patient, study and equipment attributes every file of `p` repeats.
fn common(pi: usize, p: &Patient, d: &mut Ds) {
    d.s(tags::SPECIFIC_CHARACTER_SET, VR::CS, p.charset.code())
        .s(tags::PATIENT_NAME, VR::PN, p.name)
        .s(tags::PATIENT_ID, VR::LO, p.id)
        .s(tags::ISSUER_OF_PATIENT_ID, VR::LO, p.institution)
        .s(tags::PATIENT_BIRTH_DATE, VR::DA, p.birth)
        .s(tags::PATIENT_SEX, VR::CS, p.sex)
        .s(tags::PATIENT_AGE, VR::AS, p.age)
        .s(tags::PATIENT_ADDRESS, VR::LO, p.address)
        .s(tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, p.phone)
        // Retired, still written by hospitals.
        .s(Tag(0x0010, 0x1000), VR::LO, p.other_id)
        .s(Tag(0x0010, 0x1050), VR::LO, p.insurance)
        // Unknown to the dictionary, public group.
        .s(
            Tag(0x0010, 0x0099),
            VR::LO,
            format!("{} {}", p.alt_name, p.id),
        )
        .s(tags::STUDY_INSTANCE_UID, VR::UI, study_uid(pi))
        .s(tags::STUDY_DATE, VR::DA, p.study_date)
        .s(tags::STUDY_TIME, VR::TM, "081502")
        .s(tags::ACCESSION_NUMBER, VR::SH, p.accession)
        .s(tags::REFERRING_PHYSICIAN_NAME, VR::PN, p.referring)
        .s(tags::STUDY_ID, VR::SH, p.study_id)
        .s(
            tags::STUDY_DESCRIPTION,
            VR::LO,
            format!("MR head {}", p.study_date_spelled),
        )
        .s(
            Tag(0x0032, 0x4000), // StudyComments (retired)
            VR::LT,
            format!(
                "{} {} called about the appointment",
                p.relative.0, p.relative.1
            ),
        )
        .s(tags::INSTITUTION_NAME, VR::LO, p.institution)
        .s(tags::INSTITUTION_ADDRESS, VR::ST, p.institution_address)
        .s(
            tags::INSTITUTIONAL_DEPARTMENT_NAME,
            VR::LO,
            "Neuroradiology",
        )
        .s(tags::STATION_NAME, VR::SH, p.station)
        .s(tags::DEVICE_SERIAL_NUMBER, VR::LO, p.serial)
        .s(tags::MANUFACTURER, VR::LO, "SIEMENS")
        .s(tags::MANUFACTURER_MODEL_NAME, VR::LO, "Prisma")
        .s(tags::OPERATORS_NAME, VR::PN, p.operator)
        .s(tags::PERFORMING_PHYSICIAN_NAME, VR::PN, p.performing);
}

/// A SIEMENS CSA header (SV10) with the patient and station names among its item strings.
fn csa(p: &Patient) -> Vec<u8> {
    let items: [(&str, &str, String); 4] = [
        ("SliceMeasurementDuration", "DS", "2300.0".into()),
        (
            "PatientName",
            "PN",
            p.name.split('=').next().unwrap_or("").into(),
        ),
        ("StationName", "SH", p.station.into()),
        ("ImaCoilString", "LO", "HEA;HEP".into()),
    ];
    let mut b = b"SV10\x04\x03\x02\x01".to_vec();
    b.extend((items.len() as u32).to_le_bytes());
    b.extend(77u32.to_le_bytes());
    for (name, vr, value) in items {
        let mut n = [0u8; 64];
        n[..name.len()].copy_from_slice(name.as_bytes());
        b.extend(n);
        b.extend(1i32.to_le_bytes());
        let mut v = [0u8; 4];
        v[..2].copy_from_slice(vr.as_bytes());
        b.extend(v);
        b.extend(6i32.to_le_bytes());
        b.extend(1i32.to_le_bytes());
        b.extend(77i32.to_le_bytes());
        // Item strings in the file's character set (Latin-1 bytes for a Latin-1 file).
        let mut data: Vec<u8> = match p.charset {
            Charset::Latin1 => value
                .chars()
                .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
                .collect(),
            _ => value.into_bytes(),
        };
        data.push(0);
        let len = data.len() as i32;
        for x in [len, len, 77, len] {
            b.extend(x.to_le_bytes());
        }
        b.extend(&data);
        b.extend(std::iter::repeat_n(0u8, (4 - data.len() % 4) % 4));
    }
    b
}

/// The private blocks of `p`'s files: the CSA header in the VR the patient's files use, and an
/// unknown vendor's block with the name in Latin-1 and UTF-16LE and a private-root UID.
fn private_blocks(pi: usize, p: &Patient, d: &mut Ds) {
    if let Some(vr) = p.csa_vr {
        d.s(Tag(0x0029, 0x0010), VR::LO, "SIEMENS CSA HEADER")
            .s(Tag(0x0029, 0x1008), VR::CS, "IMAGE NUM 4")
            .s(Tag(0x0029, 0x1009), VR::LO, "20100114")
            .bin(Tag(0x0029, 0x1010), vr, csa(p));
    }
    if p.vendor_block {
        let family = p.name.split('^').next().unwrap_or("");
        let given = p.name.split(['^', '=']).nth(1).unwrap_or("");
        let full = format!("{family} {given}");
        let latin1: Vec<u8> = full
            .chars()
            .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
            .collect();
        let wide: Vec<u8> = full.encode_utf16().flat_map(u16::to_le_bytes).collect();
        d.s(Tag(0x0043, 0x0010), VR::LO, "ACME RIS BRIDGE 2.1")
            .bin(Tag(0x0043, 0x1010), VR::OB, latin1)
            .bin(Tag(0x0043, 0x1011), VR::OB, wide)
            .s(Tag(0x0043, 0x1012), VR::UI, uid(pi, 9, 0));
    }
}

/// Smooth, patient-specific pixels: `frames` frames of 32x32 unsigned 12-bit values.
fn mr_pixels(pi: usize, frames: u16, salt: u16) -> Vec<u8> {
    let mut out = Vec::new();
    for k in 0..frames {
        for y in 0..SIZE {
            for x in 0..SIZE {
                let r2 = (x as i32 - 16).pow(2) + (y as i32 - 16).pow(2);
                let v = if r2 < 196 {
                    800 + ((x * 7 + y * 13 + k * 29 + salt + pi as u16 * 31) % 400)
                } else {
                    (x + y + k) % 30
                };
                out.extend(v.to_le_bytes());
            }
        }
    }
    out
}

fn pixel_module(d: &mut Ds, bits: u16) {
    d.us(tags::SAMPLES_PER_PIXEL, 1)
        .s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2")
        .us(tags::ROWS, SIZE)
        .us(tags::COLUMNS, SIZE)
        .us(tags::BITS_ALLOCATED, 16)
        .us(tags::BITS_STORED, bits)
        .us(tags::HIGH_BIT, bits - 1)
        .us(tags::PIXEL_REPRESENTATION, 0);
}

/// The classic MR series: 4 sagittal slices, T1 MPRAGE, with the CSA header block.
fn classic(pi: usize, p: &Patient) -> Vec<Built> {
    (0..u32::from(SLICES))
        .map(|k| {
            let mut d = Ds::new();
            common(pi, p, &mut d);
            private_blocks(pi, p, &mut d);
            let sop = mr_instance_uid(pi, k);
            d.s(tags::SOP_CLASS_UID, VR::UI, MR)
                .s(tags::SOP_INSTANCE_UID, VR::UI, sop.as_str())
                .s(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY\\M\\ND")
                .s(tags::MODALITY, VR::CS, "MR")
                .s(tags::SERIES_INSTANCE_UID, VR::UI, mr_series_uid(pi))
                .s(tags::SERIES_NUMBER, VR::IS, "2")
                .s(tags::SERIES_DATE, VR::DA, p.study_date)
                .s(tags::SERIES_TIME, VR::TM, "082010")
                .s(tags::ACQUISITION_DATE, VR::DA, p.study_date)
                .s(tags::ACQUISITION_TIME, VR::TM, "082011")
                .s(tags::CONTENT_DATE, VR::DA, p.study_date)
                .s(tags::CONTENT_TIME, VR::TM, "082011")
                .s(tags::SERIES_DESCRIPTION, VR::LO, "T1 MPRAGE sag")
                .s(tags::PROTOCOL_NAME, VR::LO, "t1_mprage_sag")
                .s(tags::BODY_PART_EXAMINED, VR::CS, "HEAD")
                .s(tags::SCANNING_SEQUENCE, VR::CS, "GR\\IR")
                .s(tags::SEQUENCE_VARIANT, VR::CS, "SK\\SP\\MP")
                .s(tags::SCAN_OPTIONS, VR::CS, "IR")
                .s(tags::MR_ACQUISITION_TYPE, VR::CS, "3D")
                .s(tags::SEQUENCE_NAME, VR::SH, "*tfl3d1_16ns")
                .s(tags::SLICE_THICKNESS, VR::DS, "1")
                .s(tags::SPACING_BETWEEN_SLICES, VR::DS, "1")
                .s(tags::REPETITION_TIME, VR::DS, "2300")
                .s(tags::ECHO_TIME, VR::DS, "2.98")
                .s(tags::INVERSION_TIME, VR::DS, "900")
                .s(tags::FLIP_ANGLE, VR::DS, "9")
                .s(tags::MAGNETIC_FIELD_STRENGTH, VR::DS, "3")
                .s(tags::IMAGING_FREQUENCY, VR::DS, "123.25")
                .s(tags::PIXEL_BANDWIDTH, VR::DS, "240")
                .s(tags::PATIENT_POSITION, VR::CS, "HFS")
                .s(
                    tags::INSTANCE_NUMBER,
                    VR::IS,
                    instance_number(pi, k + 1).to_string(),
                )
                .s(
                    tags::IMAGE_POSITION_PATIENT,
                    VR::DS,
                    format!("{}\\-16\\16", k as i32 - 2),
                )
                .s(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "0\\1\\0\\0\\0\\-1")
                .s(tags::FRAME_OF_REFERENCE_UID, VR::UI, uid(pi, 4, 0))
                .s(tags::POSITION_REFERENCE_INDICATOR, VR::LO, "")
                .s(tags::SLICE_LOCATION, VR::DS, (k as i32 - 2).to_string())
                .s(tags::PIXEL_SPACING, VR::DS, "1\\1")
                .s(
                    tags::IMAGE_COMMENTS,
                    VR::LT,
                    format!("prior exam {} reviewed", uid(pi, 8, 0)),
                )
                .bin(tags::PIXEL_DATA, VR::OW, mr_pixels(pi, 1, k as u16));
            pixel_module(&mut d, 12);
            let retain = retain(&[
                (tags::MODALITY, true, false),
                (tags::MANUFACTURER, true, true),
                (tags::MANUFACTURER_MODEL_NAME, true, true),
                (tags::MAGNETIC_FIELD_STRENGTH, true, false),
                (tags::REPETITION_TIME, true, false),
                (tags::ECHO_TIME, true, false),
                (tags::INVERSION_TIME, true, false),
                (tags::FLIP_ANGLE, true, false),
                (tags::SCANNING_SEQUENCE, true, false),
                (tags::SEQUENCE_NAME, true, true),
                (tags::MR_ACQUISITION_TYPE, true, false),
                (tags::SLICE_THICKNESS, true, false),
                (tags::PIXEL_SPACING, true, false),
                (tags::IMAGE_ORIENTATION_PATIENT, true, false),
                (tags::IMAGE_POSITION_PATIENT, true, false),
                (tags::ROWS, true, false),
                (tags::COLUMNS, true, false),
                (tags::BITS_STORED, true, false),
                (tags::PIXEL_DATA, true, false),
                (tags::SERIES_DESCRIPTION, false, true),
                (tags::PROTOCOL_NAME, false, true),
                (tags::PATIENT_SEX, false, false),
            ]);
            Built {
                file: PathBuf::from(format!("{}/mr/IM{:04}.dcm", p.label, k + 1)),
                kind: Kind::Mr,
                ds: d,
                charset: p.charset,
                class: MR.into(),
                instance_uid: sop,
                deflated: false,
                instance_number: instance_number(pi, k + 1),
                retain,
            }
        })
        .collect()
}

/// The enhanced MR instance: 4 axial frames of a FLAIR, functional groups, frame date-times;
/// the patient's name reordered or in another case ([`Patient::alt_name`]).
fn enhanced(pi: usize, p: &Patient) -> Built {
    let mut d = Ds::new();
    common(pi, p, &mut d);
    private_blocks(pi, p, &mut d);
    d.s(tags::PATIENT_NAME, VR::PN, p.alt_name);
    let sop = uid(pi, 5, 0);
    let dim_uid = uid(pi, 6, 0);
    let dt = format!("{}082530.000000", p.study_date);
    let shared = Ds::with(|g| {
        g.seq(
            tags::PIXEL_MEASURES_SEQUENCE,
            vec![Ds::with(|m| {
                m.s(tags::PIXEL_SPACING, VR::DS, "0.9\\0.9")
                    .s(tags::SLICE_THICKNESS, VR::DS, "3");
            })],
        )
        .seq(
            tags::PLANE_ORIENTATION_SEQUENCE,
            vec![Ds::with(|m| {
                m.s(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0");
            })],
        )
        .seq(
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            vec![Ds::with(|m| {
                m.s(tags::REPETITION_TIME, VR::DS, "5000")
                    .s(tags::FLIP_ANGLE, VR::DS, "120")
                    .s(tags::ECHO_TRAIN_LENGTH, VR::IS, "220");
            })],
        )
        .seq(
            tags::MR_ECHO_SEQUENCE,
            vec![Ds::with(|m| {
                m.bin(
                    tags::EFFECTIVE_ECHO_TIME,
                    VR::FD,
                    388.0f64.to_le_bytes().to_vec(),
                );
            })],
        );
    });
    let per_frame: Vec<Ds> = (0..u32::from(SLICES))
        .map(|k| {
            Ds::with(|f| {
                f.seq(
                    tags::FRAME_CONTENT_SEQUENCE,
                    vec![Ds::with(|c| {
                        c.s(tags::FRAME_ACQUISITION_DATE_TIME, VR::DT, dt.as_str())
                            .s(tags::FRAME_REFERENCE_DATE_TIME, VR::DT, dt.as_str())
                            .s(tags::STACK_ID, VR::SH, "1")
                            .bin(
                                tags::IN_STACK_POSITION_NUMBER,
                                VR::UL,
                                (k + 1).to_le_bytes().to_vec(),
                            )
                            .bin(
                                tags::DIMENSION_INDEX_VALUES,
                                VR::UL,
                                [1u32.to_le_bytes(), (k + 1).to_le_bytes()].concat(),
                            );
                    })],
                )
                .seq(
                    tags::PLANE_POSITION_SEQUENCE,
                    vec![Ds::with(|c| {
                        c.s(
                            tags::IMAGE_POSITION_PATIENT,
                            VR::DS,
                            format!("-14.4\\-14.4\\{}", k * 3),
                        );
                    })],
                );
            })
        })
        .collect();
    let at = |t: Tag| [t.0.to_le_bytes(), t.1.to_le_bytes()].concat();
    d.s(tags::SOP_CLASS_UID, VR::UI, ENHANCED_MR)
        .s(tags::SOP_INSTANCE_UID, VR::UI, sop.as_str())
        .s(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY\\M\\NONE")
        .s(tags::MODALITY, VR::CS, "MR")
        .s(tags::SERIES_INSTANCE_UID, VR::UI, uid(pi, 2, 1))
        .s(tags::SERIES_NUMBER, VR::IS, "3")
        .s(tags::SERIES_DATE, VR::DA, p.study_date)
        .s(tags::CONTENT_DATE, VR::DA, p.study_date)
        .s(tags::CONTENT_TIME, VR::TM, "082530")
        .s(tags::ACQUISITION_DATE_TIME, VR::DT, dt.as_str())
        .s(tags::SERIES_DESCRIPTION, VR::LO, "FLAIR 3D tra")
        .s(tags::CONTENT_QUALIFICATION, VR::CS, "PRODUCT")
        .s(tags::MAGNETIC_FIELD_STRENGTH, VR::DS, "3")
        .s(
            tags::INSTANCE_NUMBER,
            VR::IS,
            instance_number(pi, 10).to_string(),
        )
        .s(tags::NUMBER_OF_FRAMES, VR::IS, SLICES.to_string())
        .s(tags::FRAME_OF_REFERENCE_UID, VR::UI, uid(pi, 4, 0))
        .s(tags::POSITION_REFERENCE_INDICATOR, VR::LO, "")
        .seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared])
        .seq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame)
        .seq(
            tags::DIMENSION_ORGANIZATION_SEQUENCE,
            vec![Ds::with(|o| {
                o.s(tags::DIMENSION_ORGANIZATION_UID, VR::UI, dim_uid.as_str());
            })],
        )
        .seq(
            tags::DIMENSION_INDEX_SEQUENCE,
            vec![
                Ds::with(|o| {
                    o.s(tags::DIMENSION_ORGANIZATION_UID, VR::UI, dim_uid.as_str())
                        .bin(tags::DIMENSION_INDEX_POINTER, VR::AT, at(tags::STACK_ID))
                        .bin(
                            tags::FUNCTIONAL_GROUP_POINTER,
                            VR::AT,
                            at(tags::FRAME_CONTENT_SEQUENCE),
                        );
                }),
                Ds::with(|o| {
                    o.s(tags::DIMENSION_ORGANIZATION_UID, VR::UI, dim_uid.as_str())
                        .bin(
                            tags::DIMENSION_INDEX_POINTER,
                            VR::AT,
                            at(tags::IN_STACK_POSITION_NUMBER),
                        )
                        .bin(
                            tags::FUNCTIONAL_GROUP_POINTER,
                            VR::AT,
                            at(tags::FRAME_CONTENT_SEQUENCE),
                        );
                }),
            ],
        )
        .bin(tags::PIXEL_DATA, VR::OW, mr_pixels(pi, SLICES, 7));
    pixel_module(&mut d, 12);
    let sh = |seq: Tag, attr: Tag| {
        format!(
            "{}[0]/{}[0]/{}",
            tag_key(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE),
            tag_key(seq),
            tag_key(attr)
        )
    };
    let mut keep = retain(&[
        (tags::MODALITY, true, false),
        (tags::MANUFACTURER, true, true),
        (tags::MAGNETIC_FIELD_STRENGTH, true, false),
        (tags::NUMBER_OF_FRAMES, true, false),
        (tags::ROWS, true, false),
        (tags::COLUMNS, true, false),
        (tags::PIXEL_DATA, true, false),
        (tags::SERIES_DESCRIPTION, false, true),
    ]);
    for (seq, attr) in [
        (tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING),
        (tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS),
        (
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
        ),
        (
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            tags::REPETITION_TIME,
        ),
        (
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            tags::FLIP_ANGLE,
        ),
        (tags::MR_ECHO_SEQUENCE, tags::EFFECTIVE_ECHO_TIME),
    ] {
        keep.push(Retain {
            path: sh(seq, attr),
            basic: true,
            text: false,
        });
    }
    keep.push(Retain {
        path: format!(
            "{}[3]/{}[0]/{}",
            tag_key(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE),
            tag_key(tags::PLANE_POSITION_SEQUENCE),
            tag_key(tags::IMAGE_POSITION_PATIENT)
        ),
        basic: true,
        text: false,
    });
    Built {
        file: PathBuf::from(format!("{}/enhanced/EN0001.dcm", p.label)),
        kind: Kind::EnhancedMr,
        ds: d,
        charset: p.charset,
        class: ENHANCED_MR.into(),
        instance_uid: sop,
        deflated: false,
        instance_number: instance_number(pi, 10),
        retain: keep,
    }
}

/// The findings text: the name (given family, as written in prose), the id with separators,
/// the birth date in two other spellings, phone, e-mail, a relative, a UID.
fn findings(pi: usize, p: &Patient) -> String {
    let family = p.name.split('^').next().unwrap_or("");
    let given = p.name.split(['^', '=']).nth(1).unwrap_or("");
    let ideographic = p
        .name
        .split('=')
        .nth(1)
        .map(|g| format!(" ({})", g.replace('^', " ")))
        .unwrap_or_default();
    format!(
        "Patient {given} {family}{ideographic}, ID {}, born {} ({}). Phone {}, e-mail {}. {} {} called. Prior study {}.",
        p.id_spelled,
        p.birth_spelled[0],
        p.birth_spelled[1],
        p.phone,
        p.email,
        p.relative.0,
        p.relative.1,
        uid(pi, 8, 0),
    )
}

/// The clinical history: the study date as typed, the referring physician, the birth date
/// with the month written out, a relative by given name alone, the name as `Family, Given`.
fn history(p: &Patient) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = p.birth[4..6].parse::<usize>().unwrap_or(1).clamp(1, 12);
    let day = p.birth[6..].parse::<u32>().unwrap_or(1);
    let family = p.name.split('^').next().unwrap_or("");
    let given = p.name.split(['^', '=']).nth(1).unwrap_or("");
    format!(
        "Headache since {}, referred by Dr. {}. DOB {} {day}, {}. {} {} called again. Seen by {}, {}.",
        p.study_date_spelled,
        p.referring.split('^').next().unwrap_or(""),
        MONTHS[month - 1],
        &p.birth[..4],
        p.relative.0,
        p.relative.1.split(' ').next().unwrap_or(""),
        family,
        given,
    )
}

/// The impression: research text with no identifier, to be kept as it is.
pub(super) const IMPRESSION: &str = "No acute intracranial abnormality. Normal T1 signal.";

/// The Comprehensive SR: nested TEXT/PNAME/DATE/UIDREF/IMAGE items, references to the MR
/// instances; the first patient's is deflated.
fn sr(pi: usize, p: &Patient) -> Built {
    let mut d = Ds::new();
    common(pi, p, &mut d);
    if pi == 1 {
        d.s(tags::PATIENT_NAME, VR::PN, p.alt_name);
    }
    let sop = uid(pi, 5, 1);
    let item = |rel: &str, vt: &str, concept: Ds, f: &dyn Fn(&mut Ds)| {
        Ds::with(|i| {
            i.s(tags::RELATIONSHIP_TYPE, VR::CS, rel)
                .s(tags::VALUE_TYPE, VR::CS, vt)
                .seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![concept]);
            f(i);
        })
    };
    let ref_sop = |k: u32| {
        Ds::with(|r| {
            r.s(tags::REFERENCED_SOP_CLASS_UID, VR::UI, MR).s(
                tags::REFERENCED_SOP_INSTANCE_UID,
                VR::UI,
                mr_instance_uid(pi, k),
            );
        })
    };
    let history = history(p);
    let content = vec![
        item(
            "HAS OBS CONTEXT",
            "PNAME",
            code("121029", "DCM", "Subject Name"),
            &|i| {
                i.s(tags::PERSON_NAME, VR::PN, p.name);
            },
        ),
        item(
            "HAS OBS CONTEXT",
            "DATE",
            code("111060", "DCM", "Study Date"),
            &|i| {
                i.s(tags::DATE, VR::DA, p.study_date);
            },
        ),
        item(
            "CONTAINS",
            "CONTAINER",
            code("121060", "DCM", "History"),
            &|i| {
                i.s(tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE").seq(
                    tags::CONTENT_SEQUENCE,
                    vec![item(
                        "CONTAINS",
                        "TEXT",
                        code("121060", "DCM", "History"),
                        &|t| {
                            t.s(tags::TEXT_VALUE, VR::UT, history.as_str());
                        },
                    )],
                );
            },
        ),
        item("CONTAINS", "TEXT", code("121071", "DCM", "Finding"), &|i| {
            i.s(tags::TEXT_VALUE, VR::UT, findings(pi, p));
        }),
        item(
            "CONTAINS",
            "TEXT",
            code("121073", "DCM", "Impression"),
            &|i| {
                i.s(tags::TEXT_VALUE, VR::UT, IMPRESSION);
            },
        ),
        item(
            "CONTAINS",
            "UIDREF",
            code("112002", "DCM", "Series Instance UID"),
            &|i| {
                i.s(tags::UID, VR::UI, mr_series_uid(pi));
            },
        ),
        item(
            "CONTAINS",
            "IMAGE",
            code("121200", "DCM", "Illustration of ROI"),
            &|i| {
                i.seq(tags::REFERENCED_SOP_SEQUENCE, vec![ref_sop(0)]);
            },
        ),
    ];
    d.s(tags::SOP_CLASS_UID, VR::UI, COMPREHENSIVE_SR)
        .s(tags::SOP_INSTANCE_UID, VR::UI, sop.as_str())
        .s(tags::MODALITY, VR::CS, "SR")
        .s(tags::SERIES_INSTANCE_UID, VR::UI, uid(pi, 2, 2))
        .s(tags::SERIES_NUMBER, VR::IS, "900")
        .s(tags::SERIES_DESCRIPTION, VR::LO, "Radiology report")
        .s(
            tags::INSTANCE_NUMBER,
            VR::IS,
            instance_number(pi, 20).to_string(),
        )
        .s(tags::CONTENT_DATE, VR::DA, p.study_date)
        .s(tags::CONTENT_TIME, VR::TM, "101500")
        .s(tags::VALUE_TYPE, VR::CS, "CONTAINER")
        .seq(
            tags::CONCEPT_NAME_CODE_SEQUENCE,
            vec![code("18748-4", "LN", "Diagnostic Imaging Report")],
        )
        .s(tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE")
        .s(tags::COMPLETION_FLAG, VR::CS, "COMPLETE")
        .s(tags::VERIFICATION_FLAG, VR::CS, "VERIFIED")
        .seq(
            tags::VERIFYING_OBSERVER_SEQUENCE,
            vec![Ds::with(|v| {
                v.s(tags::VERIFYING_OBSERVER_NAME, VR::PN, p.performing)
                    .s(tags::VERIFYING_ORGANIZATION, VR::LO, p.institution)
                    .s(
                        tags::VERIFICATION_DATE_TIME,
                        VR::DT,
                        format!("{}101500", p.study_date),
                    );
            })],
        )
        .seq(
            tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
            vec![Ds::with(|e| {
                e.s(tags::STUDY_INSTANCE_UID, VR::UI, study_uid(pi)).seq(
                    tags::REFERENCED_SERIES_SEQUENCE,
                    vec![Ds::with(|s| {
                        s.s(tags::SERIES_INSTANCE_UID, VR::UI, mr_series_uid(pi))
                            .seq(tags::REFERENCED_SOP_SEQUENCE, vec![ref_sop(0), ref_sop(1)]);
                    })],
                );
            })],
        )
        .seq(tags::CONTENT_SEQUENCE, content);
    let text_at = |i: usize| {
        format!(
            "{}[{i}]/{}",
            tag_key(tags::CONTENT_SEQUENCE),
            tag_key(tags::TEXT_VALUE)
        )
    };
    let mut keep = retain(&[
        (tags::MODALITY, true, false),
        (tags::VALUE_TYPE, true, false),
        (tags::COMPLETION_FLAG, true, false),
        (tags::VERIFICATION_FLAG, true, false),
    ]);
    keep.push(Retain {
        path: format!(
            "{}[0]/{}",
            tag_key(tags::CONCEPT_NAME_CODE_SEQUENCE),
            tag_key(tags::CODE_VALUE)
        ),
        basic: true,
        text: true,
    });
    keep.push(Retain {
        path: text_at(4),
        basic: true,
        text: true,
    });
    Built {
        file: PathBuf::from(format!("{}/sr/SR0001.dcm", p.label)),
        kind: Kind::Sr,
        ds: d,
        charset: p.charset,
        class: COMPREHENSIVE_SR.into(),
        instance_uid: sop,
        deflated: pi == 0,
        instance_number: instance_number(pi, 20),
        retain: keep,
    }
}

/// A screen capture with burned-in text: BurnedInAnnotation YES, a bright band of glyph-like
/// strokes across the top of a dark 8-bit image.
fn secondary_capture(pi: usize, p: &Patient) -> Built {
    let mut d = Ds::new();
    common(pi, p, &mut d);
    private_blocks(pi, p, &mut d);
    let sop = uid(pi, 5, 2);
    let mut px = vec![20u8; usize::from(SIZE) * usize::from(SIZE)];
    for y in 3..11usize {
        for x in 2..30usize {
            if (x / 2) % 3 != 2 && y != 7 {
                px[y * usize::from(SIZE) + x] = 250;
            }
        }
    }
    d.s(tags::SOP_CLASS_UID, VR::UI, SECONDARY_CAPTURE)
        .s(tags::SOP_INSTANCE_UID, VR::UI, sop.as_str())
        .s(tags::MODALITY, VR::CS, "OT")
        .s(tags::CONVERSION_TYPE, VR::CS, "WSD")
        .s(tags::BURNED_IN_ANNOTATION, VR::CS, "YES")
        .s(tags::SERIES_INSTANCE_UID, VR::UI, uid(pi, 2, 3))
        .s(tags::SERIES_NUMBER, VR::IS, "901")
        .s(tags::SERIES_DESCRIPTION, VR::LO, "Viewer screenshot")
        .s(
            tags::INSTANCE_NUMBER,
            VR::IS,
            instance_number(pi, 30).to_string(),
        )
        .s(tags::CONTENT_DATE, VR::DA, p.study_date)
        .s(tags::CONTENT_TIME, VR::TM, "103000")
        .us(tags::SAMPLES_PER_PIXEL, 1)
        .s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2")
        .us(tags::ROWS, SIZE)
        .us(tags::COLUMNS, SIZE)
        .us(tags::BITS_ALLOCATED, 8)
        .us(tags::BITS_STORED, 8)
        .us(tags::HIGH_BIT, 7)
        .us(tags::PIXEL_REPRESENTATION, 0)
        .bin(tags::PIXEL_DATA, VR::OB, px);
    Built {
        file: PathBuf::from(format!("{}/sc/SC0001.dcm", p.label)),
        kind: Kind::Sc,
        ds: d,
        charset: p.charset,
        class: SECONDARY_CAPTURE.into(),
        instance_uid: sop,
        deflated: false,
        instance_number: instance_number(pi, 30),
        retain: Vec::new(),
    }
}

/// A one-page PDF whose content stream prints the name (WinAnsi, i.e. Latin-1), id and birth
/// date; its Info names the referring physician.
fn pdf_bytes(p: &Patient) -> Vec<u8> {
    let family = p.name.split('^').next().unwrap_or("");
    let given = p.name.split(['^', '=']).nth(1).unwrap_or("");
    let latin1 = |s: &str| -> Vec<u8> {
        s.chars()
            .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
            .collect()
    };
    let mut stream = b"BT /F1 12 Tf 72 770 Td (Patient: ".to_vec();
    stream.extend(latin1(&format!("{family} {given}")));
    stream.extend(
        format!(
            ") Tj 0 -16 Td (ID {}  born {}) Tj ET",
            p.id, &p.birth_spelled[0]
        )
        .into_bytes(),
    );
    let mut b = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
    b.extend(b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    b.extend(b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n");
    b.extend(format!("4 0 obj << /Length {} >> stream\n", stream.len()).into_bytes());
    b.extend(&stream);
    b.extend(b"\nendstream endobj\n");
    b.extend(b"5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> endobj\n");
    b.extend(b"6 0 obj << /Author (");
    b.extend(latin1(p.referring.split('^').next().unwrap_or("")));
    b.extend(b") >> endobj\ntrailer << /Root 1 0 R /Info 6 0 R >>\n%%EOF\n");
    b
}

/// The encapsulated PDF: a scanned referral.
fn pdf(pi: usize, p: &Patient) -> Built {
    let mut d = Ds::new();
    common(pi, p, &mut d);
    let sop = uid(pi, 5, 3);
    let family = p.name.split('^').next().unwrap_or("");
    d.s(tags::SOP_CLASS_UID, VR::UI, ENCAPSULATED_PDF)
        .s(tags::SOP_INSTANCE_UID, VR::UI, sop.as_str())
        .s(tags::MODALITY, VR::CS, "DOC")
        .s(tags::CONVERSION_TYPE, VR::CS, "SD")
        .s(tags::BURNED_IN_ANNOTATION, VR::CS, "YES")
        .s(tags::SERIES_INSTANCE_UID, VR::UI, uid(pi, 2, 4))
        .s(tags::SERIES_NUMBER, VR::IS, "902")
        .s(
            tags::INSTANCE_NUMBER,
            VR::IS,
            instance_number(pi, 40).to_string(),
        )
        .s(tags::CONTENT_DATE, VR::DA, p.study_date)
        .s(tags::CONTENT_TIME, VR::TM, "104500")
        .s(
            tags::ACQUISITION_DATE_TIME,
            VR::DT,
            format!("{}104500", p.study_date),
        )
        .s(tags::DOCUMENT_TITLE, VR::ST, format!("Referral {family}"))
        .seq(tags::CONCEPT_NAME_CODE_SEQUENCE, Vec::new())
        .s(
            tags::MIME_TYPE_OF_ENCAPSULATED_DOCUMENT,
            VR::LO,
            "application/pdf",
        )
        .bin(tags::ENCAPSULATED_DOCUMENT, VR::OB, pdf_bytes(p));
    Built {
        file: PathBuf::from(format!("{}/pdf/DOC0001.dcm", p.label)),
        kind: Kind::Pdf,
        ds: d,
        charset: p.charset,
        class: ENCAPSULATED_PDF.into(),
        instance_uid: sop,
        deflated: false,
        instance_number: instance_number(pi, 40),
        retain: Vec::new(),
    }
}

/// Every object of patient `pi`.
pub(super) fn for_patient(pi: usize, p: &Patient) -> Vec<Built> {
    let mut out = classic(pi, p);
    out.push(enhanced(pi, p));
    out.push(sr(pi, p));
    out.push(secondary_capture(pi, p));
    out.push(pdf(pi, p));
    out
}
