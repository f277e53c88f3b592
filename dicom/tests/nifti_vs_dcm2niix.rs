//! Our NIfTI against dcm2niix's on the same series, compared through nibabel
//! (`scripts/compare-nifti.py`): after both are brought to their closest canonical orientation,
//! same shape, affine within 1e-3 mm, identical voxel values after each file's scaling, same
//! qform/sform codes.
//!
//! Needs `dcm2niix` on PATH and python3 with nibabel: `scripts/test` installs them. Without them
//! these tests fail (they never pass silently).
//!
//! Inputs: the 18 generated classic series, the 18 enhanced (Legacy Converted) files, the nibabel
//! Siemens mosaic DWI (896x896, 2 volumes) and a 252x252 crop of its down-sampled mosaic `0.dcm`,
//! dicom3tools' Siemens PASL mosaic, the Philips enhanced MPRAGE, pydicom-data's emri_small
//! (little and big endian), single slices (decimal rescale, CT, big-endian MR), and a T2 series
//! rewritten with a rescale that varies per slice (float32 output).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use dicom::{convert_series, NiftiOptions, NotConverted};
use dicom_core::value::Value;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{open_file, DefaultDicomObject};

fn require_tools() {
    let dcm2niix = Command::new("dcm2niix").arg("-v").output();
    assert!(
        dcm2niix.is_ok(),
        "dcm2niix is not on PATH: run scripts/test (it installs dcm2niix from Debian and nibabel)"
    );
    let nib = Command::new("python3")
        .args(["-c", "import nibabel, numpy"])
        .status();
    assert!(
        nib.is_ok_and(|s| s.success()),
        "python3 with nibabel and numpy is needed: run scripts/test"
    );
}

fn compare_script() -> PathBuf {
    testkit::workspace_root()
        .join("scripts")
        .join("compare-nifti.py")
}

fn dcm_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    v.sort();
    v
}

/// Series folders (those holding .dcm files) under `root`, by path relative to it.
fn series_dirs(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            }
        }
        if !dcm_files(&d).is_empty() {
            let rel = d
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('/', "_");
            out.insert(rel, d);
        }
    }
    out
}

/// dcm2niix (-z n) on `dir`; the single NIfTI it writes.
fn dcm2niix(dir: &Path, out: &Path) -> PathBuf {
    std::fs::create_dir_all(out).unwrap();
    let st = Command::new("dcm2niix")
        .args(["-z", "n", "-b", "y", "-ba", "y", "-f", "x"])
        .arg("-o")
        .arg(out)
        .arg(dir)
        .output()
        .unwrap();
    assert!(st.status.success(), "dcm2niix failed on {}", dir.display());
    let niis: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "nii"))
        .collect();
    assert_eq!(
        niis.len(),
        1,
        "dcm2niix wrote {niis:?} for {}",
        dir.display()
    );
    niis.into_iter().next().unwrap()
}

/// Convert the files with our converter, write `out/<label>.nii`.
fn ours(files: &[PathBuf], opts: &NiftiOptions, out: &Path, label: &str) -> PathBuf {
    let objs: Vec<DefaultDicomObject> = files.iter().map(|p| open_file(p).unwrap()).collect();
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    let c = convert_series(&refs, opts).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(!c.gzip);
    std::fs::create_dir_all(out).unwrap();
    let p = out.join(format!("{label}.nii"));
    std::fs::write(&p, &c.bytes).unwrap();
    std::fs::write(p.with_extension("json"), c.sidecar.to_string()).unwrap();
    p
}

/// The sidecar keys that both converters derive from the DICOM (dcm2niix's names and units).
const SHARED_SIDECAR_KEYS: &[&str] = &[
    "RepetitionTime",
    "EchoTime",
    "FlipAngle",
    "InversionTime",
    "SliceThickness",
    "SpacingBetweenSlices",
    "MagneticFieldStrength",
    "PixelBandwidth",
    "ImagingFrequency",
    "EchoTrainLength",
    "PercentPhaseFOV",
    "PercentSampling",
    "SAR",
    "SeriesNumber",
    "EchoNumber",
    "Modality",
    "SoftwareVersions",
    "BodyPartExamined",
    "PatientPosition",
    "MRAcquisitionType",
    "SequenceName",
    "ReceiveCoilName",
    "ScanningSequence",
    "SequenceVariant",
    "ScanOptions",
    "ManufacturersModelName",
    "SeriesDescription",
    "ProtocolName",
    "ImageType",
    "PhaseEncodingDirection",
    "PhaseEncodingAxis",
    "AcquisitionMatrixPE",
    "SliceTiming",
];

fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            // dcm2niix prints 6 significant digits (123.252 for 123.251815).
            (x - y).abs() <= 1e-5 * x.abs().max(y.abs()).max(1.0)
        }
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        _ => a == b,
    }
}

/// What dcm2niix writes that we do not derive, on purpose or not yet, per input:
/// - ReceiveCoilName of Siemens files comes from a private element ((0051,100F)) we do not read;
/// - InversionTime of the Siemens PASL comes from its CSA protocol, not from the DICOM header;
/// - ScanningSequence / SequenceVariant of enhanced MR are dcm2niix's guesses from EchoPulseSequence
///   and the inversion flags;
/// - ImageType: dcm2niix appends ComplexImageComponent (`REAL`) to the DICOM's values.
const NOT_DERIVED: &[(&str, &str)] = &[
    ("siemens_mosaic_dwi", "ReceiveCoilName"),
    ("siemens_mosaic_252", "ReceiveCoilName"),
    ("siemens_mosaic_pasl", "ReceiveCoilName"),
    ("siemens_mosaic_pasl", "InversionTime"),
    ("philips_enhanced_mprage", "ScanningSequence"),
    ("philips_enhanced_mprage", "SequenceVariant"),
    ("decimal_rescale", "ImageType"),
];

/// Every shared key dcm2niix writes is in our sidecar with the same value (but the exceptions of
/// [`NOT_DERIVED`]); lists the differences.
fn sidecar_differences(label: &str, ours: &Path, theirs: &Path) -> Vec<String> {
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p.with_extension("json")).unwrap()).unwrap()
    };
    let (o, t) = (read(ours), read(theirs));
    let mut bad = Vec::new();
    for key in SHARED_SIDECAR_KEYS {
        if NOT_DERIVED.contains(&(label, *key)) {
            continue;
        }
        match (o.get(*key), t.get(*key)) {
            (Some(a), Some(b)) if !same_value(a, b) => {
                bad.push(format!("{label}: {key} ours {a} dcm2niix {b}"))
            }
            (None, Some(b)) => bad.push(format!("{label}: {key} missing (dcm2niix {b})")),
            _ => {}
        }
    }
    bad
}

/// Run the comparison on all pairs; fail with every mismatch listed.
fn compare(pairs: &[(String, PathBuf, PathBuf)]) {
    let mut cmd = Command::new("python3");
    cmd.arg(compare_script());
    for (_, o, t) in pairs {
        cmd.arg(o).arg(t);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bad = Vec::new();
    for ((label, _, _), line) in pairs.iter().zip(text.lines()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        eprintln!(
            "{label}: shape {} affine diff {:.2e} mm, voxels identical {}",
            v["shape_ours"],
            v["affine_max_abs_diff_mm"].as_f64().unwrap_or(f64::NAN),
            v["voxels_identical"]
        );
        if v["ok"] != serde_json::json!(true) {
            bad.push(format!("{label}: {line}"));
        }
    }
    assert_eq!(
        text.lines().count(),
        pairs.len(),
        "compare-nifti.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bad.is_empty(), "mismatches:\n{}", bad.join("\n"));
    assert!(out.status.success());
}

#[test]
fn generated_classic_series_match_dcm2niix() {
    testkit::need_make_series!();
    require_tools();
    let root = testkit::synth_corpus();
    let tmp = tempfile::tempdir().unwrap();
    let opts = NiftiOptions {
        gzip: false,
        ..NiftiOptions::default()
    };
    let dirs = series_dirs(&root);
    assert_eq!(dirs.len(), 18);
    let mut pairs = Vec::new();
    for (label, dir) in &dirs {
        let mut files = dcm_files(dir);
        // Input order must not matter: sort by position is ours to do, not the file system's.
        files.reverse();
        let o = ours(&files, &opts, &tmp.path().join("ours"), label);
        let t = dcm2niix(dir, &tmp.path().join("theirs").join(label));
        pairs.push((label.clone(), o, t));
    }
    let bad: Vec<String> = pairs
        .iter()
        .flat_map(|(l, o, t)| sidecar_differences(l, o, t))
        .collect();
    assert!(bad.is_empty(), "sidecars differ:\n{}", bad.join("\n"));
    compare(&pairs);
}

#[test]
fn generated_enhanced_files_match_dcm2niix() {
    testkit::need_shared!();
    require_tools();
    let root = testkit::synth_enhanced_corpus();
    let classic = testkit::synth_corpus();
    let tmp = tempfile::tempdir().unwrap();
    let opts = NiftiOptions {
        gzip: false,
        ..NiftiOptions::default()
    };
    let dirs = series_dirs(&root);
    assert_eq!(dirs.len(), 18);
    let mut pairs = Vec::new();
    for (label, dir) in &dirs {
        let o = ours(&dcm_files(dir), &opts, &tmp.path().join("ours"), label);
        // dcm2niix stacks the Legacy Converted BOLD's 2 temporal positions into 48 slices
        // (128x96x48); we write 128x96x24x2 like the classic files, so the reference for those
        // is dcm2niix's output of the classic series.
        let reference = if label.contains("bold") {
            let rel = dir.strip_prefix(&root).unwrap();
            classic.join(rel)
        } else {
            dir.clone()
        };
        let t = dcm2niix(&reference, &tmp.path().join("theirs").join(label));
        pairs.push((label.clone(), o, t));
    }
    compare(&pairs);
}

fn gunzip_to(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(src).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// nibabel's `0.dcm` is a 256x256 mosaic of 48 36x36 tiles (a down-sampled test file, not a whole
/// number of tiles): keep its top-left 252x252, a well-formed 7x7 mosaic with real pixel values.
fn cropped_mosaic(src: &Path, dir: &Path) -> PathBuf {
    let mut obj = open_file(src).unwrap();
    let (rows, cols) = (256usize, 256usize);
    let words: Vec<u16> = match obj.element(tags::PIXEL_DATA).unwrap().value() {
        Value::Primitive(PrimitiveValue::U16(w)) => w.to_vec(),
        Value::Primitive(PrimitiveValue::U8(b)) => b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
        v => panic!("unexpected pixel data {v:?}"),
    };
    assert_eq!(words.len(), rows * cols);
    let n = 252;
    let cropped: Vec<u16> = (0..n)
        .flat_map(|r| words[r * cols..r * cols + n].to_vec())
        .collect();
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(cropped.into()),
    ));
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(n as u16),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(n as u16),
    ));
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("mosaic252.dcm");
    obj.write_to_file(&p).unwrap();
    p
}

#[test]
fn real_mosaic_and_enhanced_files_match_dcm2niix() {
    testkit::need_shared!();
    require_tools();
    let corpus = testkit::reference_corpus();
    let nicom = corpus.join("nibabel").join("nicom");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let plain = NiftiOptions {
        gzip: false,
        ..NiftiOptions::default()
    };
    let unknown = NiftiOptions {
        allow_unknown_geometry: true,
        ..plain.clone()
    };
    let mut pairs = Vec::new();
    let mut case = |label: &str, dir: &Path, opts: &NiftiOptions| {
        let o = ours(&dcm_files(dir), opts, &t.join("ours"), label);
        let th = dcm2niix(dir, &t.join("theirs").join(label));
        pairs.push((label.to_string(), o, th));
    };

    // Siemens mosaic DWI, 2 volumes of 48 slices of 128x128 (b0 and b1000; pixels zeroed by
    // nibabel, so this checks shape and geometry).
    let dwi = t.join("in").join("siemens_dwi");
    gunzip_to(&nicom.join("siemens_dwi_0.dcm.gz"), &dwi, "b0.dcm");
    gunzip_to(&nicom.join("siemens_dwi_1000.dcm.gz"), &dwi, "b1000.dcm");
    case("siemens_mosaic_dwi", &dwi, &plain);

    // A well-formed mosaic with real pixel values (see cropped_mosaic).
    let crop = t.join("in").join("mosaic252");
    cropped_mosaic(&nicom.join("0.dcm"), &crop);
    case("siemens_mosaic_252", &crop, &plain);

    // Philips enhanced MR, 176 sagittal frames (pixels zeroed by nibabel: geometry check).
    let mprage = t.join("in").join("philips_mprage");
    gunzip_to(&nicom.join("philips_mprage.dcm.gz"), &mprage, "mprage.dcm");
    case("philips_enhanced_mprage", &mprage, &plain);

    // emri_small: enhanced MR whose functional groups were stripped (no position, orientation,
    // spacing). Refused by default; with allow_unknown_geometry written like dcm2niix does,
    // without world geometry (qform/sform codes 0). Big endian gives the same.
    for (label, file) in [
        ("emri_small_no_geometry", "emri_small.dcm"),
        ("emri_small_big_endian", "emri_small_big_endian.dcm"),
    ] {
        let dir = t.join("in").join(label);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(corpus.join("pydicom-data").join(file), dir.join(file)).unwrap();
        case(label, &dir, &unknown);
    }
    // Single files: a real Siemens mosaic (Prisma PASL, 20 tiles of 72x72, real pixels),
    // a rescale of slope 2 / intercept -4096, a CT slice, a big-endian MR slice.
    for (label, file) in [
        (
            "siemens_mosaic_pasl",
            corpus.join("dicom3tools").join("0051.dcm"),
        ),
        ("decimal_rescale", nicom.join("decimal_rescale.dcm")),
        ("ct_small", corpus.join("pydicom/test_files/CT_small.dcm")),
        (
            "mr_small_big_endian",
            corpus.join("pydicom/test_files/MR_small_bigendian.dcm"),
        ),
    ] {
        let dir = t.join("in").join(label);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&file, dir.join("f.dcm")).unwrap();
        case(label, &dir, &plain);
    }
    let bad: Vec<String> = pairs
        .iter()
        .flat_map(|(l, o, t)| sidecar_differences(l, o, t))
        .collect();
    assert!(bad.is_empty(), "sidecars differ:\n{}", bad.join("\n"));
    compare(&pairs);
}

/// A T2 series whose rescale varies per slice: both write float32 with each slice's scaling.
#[test]
fn varying_rescale_matches_dcm2niix_float32() {
    testkit::need_shared!();
    require_tools();
    let root = testkit::synth_corpus();
    let (label, dir) = series_dirs(&root)
        .into_iter()
        .find(|(l, _)| l.contains("t2_tse"))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for (i, f) in dcm_files(&dir).iter().enumerate() {
        let mut obj = open_file(f).unwrap();
        let slope = format!("{}", 0.5 + 0.25 * (i % 4) as f64);
        let inter = format!("{}", -3 * i as i64);
        obj.put(DataElement::new(
            tags::RESCALE_SLOPE,
            VR::DS,
            PrimitiveValue::from(slope),
        ));
        obj.put(DataElement::new(
            tags::RESCALE_INTERCEPT,
            VR::DS,
            PrimitiveValue::from(inter),
        ));
        obj.write_to_file(input.join(f.file_name().unwrap()))
            .unwrap();
    }
    let opts = NiftiOptions {
        gzip: false,
        ..NiftiOptions::default()
    };
    let o = ours(&dcm_files(&input), &opts, &tmp.path().join("ours"), &label);
    let t = dcm2niix(&input, &tmp.path().join("theirs"));
    compare(&[(format!("{label} varying rescale"), o, t)]);
}

/// What we refuse where dcm2niix writes something, with the reason.
#[test]
fn refusals_where_dcm2niix_guesses() {
    testkit::need_shared!();
    let corpus = testkit::reference_corpus();
    let nicom = corpus.join("nibabel").join("nicom");
    let open = |p: PathBuf| open_file(p).unwrap();
    let plain = NiftiOptions::default();

    // nibabel's 0.dcm + 1.dcm: 256x256 mosaics of 48 36x36 tiles (not a whole number of tiles;
    // dcm2niix reads misaligned tiles from the second tile row on, nibabel refuses the file), and
    // the two volumes' positions differ by 3 mm (dcm2niix ignores it).
    let m0 = open(nicom.join("0.dcm"));
    let m1 = open(nicom.join("1.dcm"));
    let e = convert_series(&[&m0, &m1], &plain).unwrap_err();
    assert!(
        matches!(&e, NotConverted::Malformed(r) if r.contains("whole number of 7x7 tiles")),
        "{e}"
    );

    // emri_small without functional groups: no geometry.
    let emri = open(corpus.join("pydicom-data").join("emri_small.dcm"));
    let e = convert_series(&[&emri], &plain).unwrap_err();
    assert!(matches!(e, NotConverted::NoGeometry(_)), "{e}");

    // Compressed transfer syntaxes are not decoded.
    for f in [
        "emri_small_RLE.dcm",
        "emri_small_jpeg_ls_lossless.dcm",
        "emri_small_jpeg_2k_lossless.dcm",
    ] {
        let o = open(corpus.join("pydicom-data").join(f));
        let e = convert_series(&[&o], &plain).unwrap_err();
        assert!(matches!(e, NotConverted::Compressed(_)), "{f}: {e}");
    }
}
