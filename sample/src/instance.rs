//! One MR Image Storage object per slice, built with dicom-rs: the header shared by a series
//! ([`series_header`]: patient, study, series, equipment, acquisition, image pixel description,
//! planted PHI and private tags), completed per slice ([`slice_object`]: UIDs, times, position,
//! pixel data) and written in Explicit VR Little Endian ([`write_file`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::NaiveDateTime;
use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

use crate::error::SampleError;
use crate::people::{family_of, Exam, Subject};
use crate::pixels::{SlicePixels, MAX_VALUE};
use crate::protocol::{Geometry, Kind, Protocol};
use crate::rng::{dot, V3};
use crate::uid::{IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION};

/// The character set of every object: Latin-1, as most scanners write.
pub(crate) const CHARSET: &str = "ISO_IR 100";

/// The private creator of the generator's blocks (0019,0010) and (0029,0010).
pub(crate) const PRIVATE_CREATOR: &str = "NEUROFED SAMPLE";

/// A DS value: at most 16 characters, no exponent, no trailing zeros.
pub(crate) fn ds(x: f64) -> String {
    for decimals in (0..=8).rev() {
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        let s = if s == "-0" { "0".to_string() } else { s };
        if s.len() <= 16 {
            return s;
        }
    }
    "0".to_string()
}

pub(crate) fn da(t: NaiveDateTime) -> String {
    t.format("%Y%m%d").to_string()
}

pub(crate) fn tm(t: NaiveDateTime) -> String {
    t.format("%H%M%S%.6f").to_string()
}

/// Small setters over an object.
struct Put<'a>(&'a mut InMemDicomObject);

impl Put<'_> {
    fn s(&mut self, tag: Tag, vr: VR, v: impl Into<String>) {
        self.0
            .put(DataElement::new(tag, vr, PrimitiveValue::from(v.into())));
    }
    fn m(&mut self, tag: Tag, vr: VR, v: &[String]) {
        self.0.put(DataElement::new(
            tag,
            vr,
            PrimitiveValue::Strs(v.iter().cloned().collect()),
        ));
    }
    fn ms(&mut self, tag: Tag, vr: VR, v: &[&str]) {
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        self.m(tag, vr, &v);
    }
    fn d(&mut self, tag: Tag, x: f64) {
        self.s(tag, VR::DS, ds(x));
    }
    fn dv(&mut self, tag: Tag, xs: &[f64]) {
        let v: Vec<String> = xs.iter().map(|&x| ds(x)).collect();
        self.m(tag, VR::DS, &v);
    }
    fn us(&mut self, tag: Tag, v: &[u16]) {
        self.0.put(DataElement::new(
            tag,
            VR::US,
            PrimitiveValue::U16(v.iter().copied().collect()),
        ));
    }
}

/// Everything one series' header is made from.
#[derive(Debug)]
pub(crate) struct SeriesContext<'a> {
    pub(crate) subject: &'a Subject,
    pub(crate) exam: &'a Exam,
    pub(crate) protocol: &'a Protocol,
    pub(crate) geometry: &'a Geometry,
    pub(crate) study_uid: &'a str,
    pub(crate) series_uid: &'a str,
    pub(crate) frame_uid: &'a str,
    /// The series' start.
    pub(crate) start: NaiveDateTime,
    /// Whether this examination is the subject's last (its T2 description names the patient).
    pub(crate) last_exam: bool,
    /// Table position (mm), as the vendor's private header records it.
    pub(crate) table: i64,
}

impl SeriesContext<'_> {
    /// SeriesDescription: the protocol name, followed by the patient's family name on the
    /// T2 of the last examination (typed by an operator: a de-identification trap).
    pub(crate) fn series_description(&self) -> String {
        if self.protocol.kind == Kind::T2 && self.last_exam {
            format!("{} {}", self.protocol.name, self.subject.family)
        } else {
            self.protocol.name.to_string()
        }
    }

    /// StudyDescription: names the patient from the second examination on.
    pub(crate) fn study_description(&self) -> String {
        if self.exam.idx > 1 {
            format!("MR HEAD follow-up {}", self.subject.family)
        } else {
            "MR HEAD W/O CONTRAST^NEURO".to_string()
        }
    }
}

/// The elements shared by every slice of a series.
pub(crate) fn series_header(cx: &SeriesContext<'_>) -> InMemDicomObject {
    let (s, e, p, g) = (cx.subject, cx.exam, cx.protocol, cx.geometry);
    let site = s.site;
    let mut obj = InMemDicomObject::new_empty();
    let mut o = Put(&mut obj);
    o.s(tags::SPECIFIC_CHARACTER_SET, VR::CS, CHARSET);
    o.ms(tags::IMAGE_TYPE, VR::CS, p.image_type);
    o.s(tags::SOP_CLASS_UID, VR::UI, uids::MR_IMAGE_STORAGE);
    o.s(tags::STUDY_DATE, VR::DA, da(e.start));
    o.s(tags::SERIES_DATE, VR::DA, da(cx.start));
    o.s(tags::STUDY_TIME, VR::TM, tm(e.start));
    o.s(tags::SERIES_TIME, VR::TM, tm(cx.start));
    o.s(tags::ACCESSION_NUMBER, VR::SH, e.accession.as_str());
    o.s(tags::MODALITY, VR::CS, "MR");
    o.s(tags::MANUFACTURER, VR::LO, site.manufacturer);
    o.s(tags::INSTITUTION_NAME, VR::LO, site.institution);
    o.s(tags::INSTITUTION_ADDRESS, VR::ST, site.address);
    o.s(tags::REFERRING_PHYSICIAN_NAME, VR::PN, e.referring);
    o.s(tags::STATION_NAME, VR::SH, site.station);
    o.s(tags::STUDY_DESCRIPTION, VR::LO, cx.study_description());
    o.s(tags::SERIES_DESCRIPTION, VR::LO, cx.series_description());
    o.s(
        tags::INSTITUTIONAL_DEPARTMENT_NAME,
        VR::LO,
        "Neuroradiology",
    );
    o.s(tags::PERFORMING_PHYSICIAN_NAME, VR::PN, e.performing);
    o.s(tags::NAME_OF_PHYSICIANS_READING_STUDY, VR::PN, e.performing);
    o.s(tags::OPERATORS_NAME, VR::PN, e.operator);
    o.s(tags::MANUFACTURER_MODEL_NAME, VR::LO, site.model);
    // Patient.
    o.s(tags::PATIENT_NAME, VR::PN, s.name.as_str());
    o.s(tags::PATIENT_ID, VR::LO, s.pid.as_str());
    o.s(tags::ISSUER_OF_PATIENT_ID, VR::LO, site.issuer);
    o.s(
        tags::PATIENT_BIRTH_DATE,
        VR::DA,
        s.birth.format("%Y%m%d").to_string(),
    );
    o.s(tags::PATIENT_SEX, VR::CS, s.sex);
    // OtherPatientIDs (0010,1000): retired, still written by many hospitals.
    o.s(Tag(0x0010, 0x1000), VR::LO, s.other_pid.as_str());
    let mut other = InMemDicomObject::new_empty();
    let mut oo = Put(&mut other);
    oo.s(tags::PATIENT_ID, VR::LO, s.other_pid.as_str());
    oo.s(tags::ISSUER_OF_PATIENT_ID, VR::LO, site.other_id);
    oo.s(tags::TYPE_OF_PATIENT_ID, VR::CS, "TEXT");
    o.0.put(DataElement::new(
        tags::OTHER_PATIENT_I_DS_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(vec![other]),
    ));
    o.s(tags::PATIENT_AGE, VR::AS, s.age_on(e.start.date()));
    o.d(tags::PATIENT_SIZE, s.height);
    o.d(tags::PATIENT_WEIGHT, s.weight);
    o.s(tags::PATIENT_ADDRESS, VR::LO, s.address.as_str());
    o.s(tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, s.phone.as_str());
    o.s(
        tags::ADDITIONAL_PATIENT_HISTORY,
        VR::LT,
        format!(
            "Referred by {} for follow-up; patient {} reports headaches.",
            family_of(e.referring),
            s.given
        ),
    );
    // Acquisition.
    o.s(tags::BODY_PART_EXAMINED, VR::CS, "HEAD");
    o.ms(tags::SCANNING_SEQUENCE, VR::CS, p.scanning);
    o.ms(tags::SEQUENCE_VARIANT, VR::CS, p.variant);
    o.ms(tags::SCAN_OPTIONS, VR::CS, p.options);
    o.s(tags::MR_ACQUISITION_TYPE, VR::CS, p.acquisition);
    o.s(tags::SEQUENCE_NAME, VR::SH, p.sequence_name);
    o.d(tags::SLICE_THICKNESS, g.thickness);
    o.d(tags::REPETITION_TIME, p.tr);
    o.d(tags::ECHO_TIME, p.te);
    if let Some(ti) = p.ti {
        o.d(tags::INVERSION_TIME, ti);
    }
    o.d(tags::NUMBER_OF_AVERAGES, 1.0);
    o.d(tags::IMAGING_FREQUENCY, 123.2567);
    o.s(tags::IMAGED_NUCLEUS, VR::SH, "1H");
    o.s(tags::ECHO_NUMBERS, VR::IS, "1");
    o.d(tags::MAGNETIC_FIELD_STRENGTH, 3.0);
    o.d(tags::SPACING_BETWEEN_SLICES, g.step);
    o.s(tags::ECHO_TRAIN_LENGTH, VR::IS, p.echo_train.to_string());
    o.d(tags::PERCENT_SAMPLING, 100.0);
    o.d(tags::PERCENT_PHASE_FIELD_OF_VIEW, 100.0);
    o.d(tags::PIXEL_BANDWIDTH, p.bandwidth);
    o.s(tags::DEVICE_SERIAL_NUMBER, VR::LO, site.serial.to_string());
    o.s(tags::SOFTWARE_VERSIONS, VR::LO, site.software);
    o.s(tags::PROTOCOL_NAME, VR::LO, p.name);
    o.s(tags::RECEIVE_COIL_NAME, VR::SH, "Head_32");
    o.s(tags::TRANSMIT_COIL_NAME, VR::SH, "Body");
    let matrix = if p.phase == "ROW" {
        [g.rows, 0, 0, g.cols]
    } else {
        [0, g.cols, g.rows, 0]
    };
    o.us(tags::ACQUISITION_MATRIX, &matrix);
    o.s(tags::IN_PLANE_PHASE_ENCODING_DIRECTION, VR::CS, p.phase);
    o.d(tags::FLIP_ANGLE, p.flip);
    o.d(tags::SAR, 0.42);
    o.s(tags::PATIENT_POSITION, VR::CS, "HFS");
    // Relationship.
    o.s(tags::STUDY_INSTANCE_UID, VR::UI, cx.study_uid);
    o.s(tags::SERIES_INSTANCE_UID, VR::UI, cx.series_uid);
    o.s(tags::STUDY_ID, VR::SH, e.study_id.as_str());
    o.s(tags::SERIES_NUMBER, VR::IS, p.number.to_string());
    o.s(tags::FRAME_OF_REFERENCE_UID, VR::UI, cx.frame_uid);
    o.s(tags::POSITION_REFERENCE_INDICATOR, VR::LO, "");
    if g.volumes > 1 {
        o.s(
            tags::NUMBER_OF_TEMPORAL_POSITIONS,
            VR::IS,
            g.volumes.to_string(),
        );
        o.d(tags::TEMPORAL_RESOLUTION, p.tr);
        o.s(
            tags::IMAGE_COMMENTS,
            VR::LT,
            format!("eyes open rest; {} {} tolerated well", s.given, s.family),
        );
    }
    // Image plane and pixel description.
    let iop = [g.row, g.col].concat();
    o.dv(tags::IMAGE_ORIENTATION_PATIENT, &iop);
    o.dv(tags::PIXEL_SPACING, &[g.pixel, g.pixel]);
    o.us(tags::SAMPLES_PER_PIXEL, &[1]);
    o.s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
    o.us(tags::ROWS, &[g.rows]);
    o.us(tags::COLUMNS, &[g.cols]);
    o.us(tags::BITS_ALLOCATED, &[16]);
    o.us(tags::BITS_STORED, &[12]);
    o.us(tags::HIGH_BIT, &[11]);
    o.us(tags::PIXEL_REPRESENTATION, &[0]);
    o.d(tags::WINDOW_CENTER, p.window[0]);
    o.d(tags::WINDOW_WIDTH, p.window[1]);
    o.d(tags::RESCALE_INTERCEPT, 0.0);
    o.d(tags::RESCALE_SLOPE, 1.0);
    o.s(tags::RESCALE_TYPE, VR::LO, "US");
    o.s(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    o.s(tags::REQUESTING_PHYSICIAN, VR::PN, e.referring);
    o.s(tags::REQUESTED_PROCEDURE_DESCRIPTION, VR::LO, "MRI brain");
    // Private blocks: acquisition details (harmless), and a RIS note repeating the identity.
    o.s(Tag(0x0019, 0x0010), VR::LO, PRIVATE_CREATOR);
    o.s(Tag(0x0019, 0x1014), VR::IS, format!("0\\0\\{}", cx.table));
    o.d(Tag(0x0019, 0x1018), p.tr / f64::from(g.slices.max(1)));
    o.s(Tag(0x0029, 0x0010), VR::LO, PRIVATE_CREATOR);
    o.s(Tag(0x0029, 0x1010), VR::LO, format!("{} {}", s.name, s.pid));
    o.s(
        Tag(0x0029, 0x1011),
        VR::LT,
        format!("scanned at {} by {}", site.institution, e.operator),
    );
    o.s(Tag(0x0029, 0x1012), VR::SH, e.accession.as_str());
    obj
}

/// One slice: where and when it is, and its pixels.
#[derive(Debug)]
pub(crate) struct Slice {
    pub(crate) sop_uid: String,
    pub(crate) instance: u32,
    /// 0-based volume.
    pub(crate) volume: u32,
    pub(crate) position: V3,
    pub(crate) normal: V3,
    pub(crate) acquired: NaiveDateTime,
    /// A slice of a time series (TemporalPositionIdentifier is written).
    pub(crate) time_series: bool,
}

/// The series header completed with one slice.
pub(crate) fn slice_object(
    header: &InMemDicomObject,
    slice: &Slice,
    pixels: SlicePixels,
) -> InMemDicomObject {
    let mut obj = header.clone();
    let mut o = Put(&mut obj);
    o.s(tags::SOP_INSTANCE_UID, VR::UI, slice.sop_uid.as_str());
    let when = slice.acquired;
    o.s(tags::INSTANCE_CREATION_DATE, VR::DA, da(when));
    o.s(tags::INSTANCE_CREATION_TIME, VR::TM, tm(when));
    o.s(tags::ACQUISITION_DATE, VR::DA, da(when));
    o.s(tags::ACQUISITION_TIME, VR::TM, tm(when));
    o.s(tags::CONTENT_DATE, VR::DA, da(when));
    o.s(tags::CONTENT_TIME, VR::TM, tm(when));
    o.s(
        tags::ACQUISITION_NUMBER,
        VR::IS,
        (slice.volume + 1).to_string(),
    );
    o.s(tags::INSTANCE_NUMBER, VR::IS, slice.instance.to_string());
    o.dv(tags::IMAGE_POSITION_PATIENT, &slice.position);
    o.d(tags::SLICE_LOCATION, dot(slice.position, slice.normal));
    if slice.time_series {
        o.s(
            tags::TEMPORAL_POSITION_IDENTIFIER,
            VR::IS,
            (slice.volume + 1).to_string(),
        );
    }
    o.us(tags::SMALLEST_IMAGE_PIXEL_VALUE, &[pixels.min]);
    o.us(
        tags::LARGEST_IMAGE_PIXEL_VALUE,
        &[pixels.max.min(MAX_VALUE)],
    );
    o.0.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::from(pixels.bytes),
    ));
    obj
}

/// Write `obj` (an MR image, or the DICOMDIR with `class`) to `path` through a temporary file
/// in the same folder, then rename; returns the bytes written.
pub(crate) fn write_file(
    obj: InMemDicomObject,
    class: &str,
    instance_uid: &str,
    path: &Path,
) -> Result<u64, SampleError> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .media_storage_sop_class_uid(class)
        .media_storage_sop_instance_uid(instance_uid)
        .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(IMPLEMENTATION_VERSION);
    let file = obj.with_meta(meta).map_err(SampleError::dicom(path))?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes)
        .map_err(SampleError::dicom(path))?;
    write_bytes(path, &bytes)?;
    Ok(bytes.len() as u64)
}

/// Write `bytes` to `path` through a temporary file in the same folder, then rename.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    let tmp = temp_name(path);
    let result = File::create(&tmp).and_then(|f| {
        let mut w = BufWriter::new(f);
        w.write_all(bytes)?;
        w.flush()
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(SampleError::io(&tmp)(e));
    }
    std::fs::rename(&tmp, path).map_err(SampleError::io(path))
}

/// `.NAME.tmp` beside `path`.
pub(crate) fn temp_name(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}
