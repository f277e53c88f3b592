//! The BIDS-style JSON sidecar: a fixed list of acquisition keys, nothing else.
//!
//! The keys are dcm2niix's names for what the DICOM header holds (acquisition timing, flip angle,
//! field strength, bandwidth, frequency, sequence type and variant, series and echo numbers,
//! matrix, coil, software version, patient position); `dicom/tests/nifti_vs_dcm2niix.rs` checks
//! every one against dcm2niix's own sidecar on generated and real files. Identifying keys that
//! dcm2niix also writes (InstitutionName, StationName, DeviceSerialNumber, AcquisitionTime) are
//! never written.
//!
//! Times are in seconds (DICOM gives milliseconds), angles in degrees, lengths in mm. Only the keys
//! below are ever written, so no date, name, identifier or UID can reach the sidecar whatever the
//! object holds. `PhaseEncodingDirection` (axis and polarity) is written only when the polarity is
//! known (Siemens CSA `PhaseEncodingDirectionPositive`, with dcm2niix's convention for its
//! top-bottom flipped voxel order, which is ours); with only InPlanePhaseEncodingDirection the
//! sidecar says `PhaseEncodingAxis` instead. `SliceTiming` is written when the data gives it
//! (Siemens mosaic `MosaicRefAcqTimes`), in the order of the output slices.

use dicom_dictionary_std::tags;
use serde_json::{json, Map, Value};

use super::attrs::{f64_of, f64s_of, int_of, str_of, strs_of};
use super::enhanced::Groups;
use super::geometry::Plan;
use super::series::Series;

/// Round away binary noise (2.98 / 1000 -> 0.00298).
fn tidy(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 {
        v
    } else {
        r
    }
}

/// The in-plane phase-encoding axis of the NIfTI voxel array: `i` (along DICOM rows) or `j`.
pub(crate) fn phase_axis(series: &Series<'_>) -> Option<char> {
    let g = Groups::of(series.first, 0);
    let dir = g
        .strs(
            tags::MRFOV_GEOMETRY_SEQUENCE,
            tags::IN_PLANE_PHASE_ENCODING_DIRECTION,
        )?
        .join("");
    match dir.as_str() {
        "COL" => Some('j'),
        "ROW" => Some('i'),
        _ => None,
    }
}

/// RepetitionTime in seconds.
pub(crate) fn repetition_time(series: &Series<'_>) -> Option<f64> {
    Groups::of(series.first, 0)
        .f64(
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            tags::REPETITION_TIME,
        )
        .filter(|v| *v > 0.0 && v.is_finite())
        .map(|ms| tidy(ms / 1000.0))
}

/// Build the sidecar of a converted series.
pub(crate) fn build(series: &Series<'_>, plan: &Plan) -> Value {
    let top = series.first;
    let g = Groups::of(top, 0);
    let mut m = Map::new();
    let mut num = |key: &str, v: Option<f64>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            m.insert(key.to_string(), json!(tidy(v)));
        }
    };
    num("RepetitionTime", repetition_time(series));
    num(
        "EchoTime",
        g.f64(tags::MR_ECHO_SEQUENCE, tags::EFFECTIVE_ECHO_TIME)
            .or_else(|| g.f64(tags::MR_ECHO_SEQUENCE, tags::ECHO_TIME))
            .filter(|v| *v > 0.0)
            .map(|ms| ms / 1000.0),
    );
    num(
        "FlipAngle",
        g.f64(
            tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
            tags::FLIP_ANGLE,
        ),
    );
    num(
        "InversionTime",
        g.f64(tags::MR_MODIFIER_SEQUENCE, tags::INVERSION_TIMES)
            .or_else(|| g.f64(tags::MR_MODIFIER_SEQUENCE, tags::INVERSION_TIME))
            .filter(|v| *v > 0.0)
            .map(|ms| ms / 1000.0),
    );
    num(
        "SliceThickness",
        g.f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SLICE_THICKNESS),
    );
    num(
        "MagneticFieldStrength",
        f64_of(top, tags::MAGNETIC_FIELD_STRENGTH),
    );
    num(
        "SpacingBetweenSlices",
        g.f64(tags::PIXEL_MEASURES_SEQUENCE, tags::SPACING_BETWEEN_SLICES),
    );
    num(
        "PixelBandwidth",
        g.f64(tags::MR_IMAGING_MODIFIER_SEQUENCE, tags::PIXEL_BANDWIDTH),
    );
    num(
        "ImagingFrequency",
        g.f64(
            tags::MR_IMAGING_MODIFIER_SEQUENCE,
            tags::TRANSMITTER_FREQUENCY,
        )
        .or_else(|| f64_of(top, tags::IMAGING_FREQUENCY)),
    );
    num(
        "PercentPhaseFOV",
        g.f64(
            tags::MRFOV_GEOMETRY_SEQUENCE,
            tags::PERCENT_PHASE_FIELD_OF_VIEW,
        ),
    );
    num(
        "PercentSampling",
        g.f64(tags::MRFOV_GEOMETRY_SEQUENCE, tags::PERCENT_SAMPLING),
    );
    num("SAR", f64_of(top, tags::SAR));
    for (key, tag) in [
        ("SeriesNumber", tags::SERIES_NUMBER),
        ("EchoNumber", tags::ECHO_NUMBERS),
    ] {
        if let Some(n) = int_of(top, tag) {
            m.insert(key.to_string(), json!(n));
        }
    }
    let whole = |v: f64| (v >= 1.0 && v.fract() == 0.0 && v < 1e9).then_some(v as i64);
    let train = g.f64(
        tags::MR_TIMING_AND_RELATED_PARAMETERS_SEQUENCE,
        tags::ECHO_TRAIN_LENGTH,
    );
    if let Some(n) = train.and_then(whole) {
        m.insert("EchoTrainLength".into(), json!(n));
    }
    // AcquisitionMatrix is frequency rows \ frequency columns \ phase rows \ phase columns, two
    // of them zero: the phase-encoding steps are the non-zero phase value. Enhanced MR says it in
    // the MR FOV/Geometry macro.
    let pe = f64s_of(top, tags::ACQUISITION_MATRIX)
        .filter(|v| v.len() == 4)
        .map(|v| v[2].max(v[3]))
        .or_else(|| {
            g.f64(
                tags::MRFOV_GEOMETRY_SEQUENCE,
                tags::MR_ACQUISITION_PHASE_ENCODING_STEPS_IN_PLANE,
            )
        });
    if let Some(n) = pe.and_then(whole) {
        m.insert("AcquisitionMatrixPE".into(), json!(n));
    }
    let text = |key: &str, tag, m: &mut Map<String, Value>| {
        let v = str_of(top, tag).or_else(|| {
            g.strs(tags::UNASSIGNED_SHARED_CONVERTED_ATTRIBUTES_SEQUENCE, tag)
                .map(|v| v.join("\\"))
                .filter(|s| !s.is_empty())
        });
        if let Some(v) = v {
            m.insert(key.to_string(), json!(v));
        }
    };
    text("Manufacturer", tags::MANUFACTURER, &mut m);
    text(
        "ManufacturersModelName",
        tags::MANUFACTURER_MODEL_NAME,
        &mut m,
    );
    text("Modality", tags::MODALITY, &mut m);
    text("SoftwareVersions", tags::SOFTWARE_VERSIONS, &mut m);
    text("BodyPartExamined", tags::BODY_PART_EXAMINED, &mut m);
    text("PatientPosition", tags::PATIENT_POSITION, &mut m);
    text("MRAcquisitionType", tags::MR_ACQUISITION_TYPE, &mut m);
    text("SequenceName", tags::SEQUENCE_NAME, &mut m);
    text("ReceiveCoilName", tags::RECEIVE_COIL_NAME, &mut m);
    // Multi-valued code strings joined by `\`, as dcm2niix writes them (`GR\\IR` in JSON).
    text("ScanningSequence", tags::SCANNING_SEQUENCE, &mut m);
    text("SequenceVariant", tags::SEQUENCE_VARIANT, &mut m);
    text("ScanOptions", tags::SCAN_OPTIONS, &mut m);
    text("SeriesDescription", tags::SERIES_DESCRIPTION, &mut m);
    text("ProtocolName", tags::PROTOCOL_NAME, &mut m);
    if let Some(it) = strs_of(top, tags::IMAGE_TYPE) {
        m.insert("ImageType".into(), json!(it));
    }
    if let Some(axis) = phase_axis(series) {
        match series.pe_positive {
            Some(positive) => {
                let dir = format!("{axis}{}", if positive { "-" } else { "" });
                m.insert("PhaseEncodingDirection".into(), json!(dir));
            }
            None => {
                m.insert("PhaseEncodingAxis".into(), json!(axis.to_string()));
            }
        }
    }
    if let Some(st) = &plan.slice_timing {
        m.insert(
            "SliceTiming".into(),
            json!(st.iter().map(|v| tidy(*v)).collect::<Vec<_>>()),
        );
    }
    m.insert("ConversionSoftware".into(), json!("neurofed"));
    m.insert(
        "ConversionSoftwareVersion".into(),
        json!(env!("CARGO_PKG_VERSION")),
    );
    if plan.affine.is_none() {
        m.insert(
            "NeurofedWarning".into(),
            json!("no position or orientation in the DICOM: the NIfTI has no world geometry (qform_code = sform_code = 0)"),
        );
    }
    Value::Object(m)
}
