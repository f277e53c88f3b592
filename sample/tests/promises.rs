//! What a small corpus promises beyond well-formed files: truth.tsv describes it, its PHI is in
//! the headers, runs repeat byte for byte, the output folder is handled with care, and
//! dciodvfy (when installed) finds no error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/common.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{files, small, text, truth, write};
use dicom_dictionary_std::tags;
use dicom_object::open_file;
use sample::{write_sample, SampleError, MARKER};

#[test]
fn runs_are_byte_identical_and_seeds_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let opts = small(1, 2);
    write(&a, &opts);
    write(&b, &opts);
    write(&c, &opts.clone().with_seed(7));
    let hash = |dir: &Path| -> BTreeMap<PathBuf, blake3::Hash> {
        files(dir)
            .into_iter()
            .map(|p| {
                let h = blake3::hash(&std::fs::read(dir.join(&p)).unwrap());
                (p, h)
            })
            .collect()
    };
    assert_eq!(hash(&a), hash(&b));
    let (ta, tc) = (truth(&a), truth(&c));
    assert_ne!(ta[0]["PatientID"], tc[0]["PatientID"]);
    assert_ne!(ta[0]["SeriesInstanceUID"], tc[0]["SeriesInstanceUID"]);
    // Writing over a previous corpus replaces it and gives the same bytes again.
    write(&a, &opts);
    assert_eq!(hash(&a), hash(&b));
}

#[test]
fn truth_rows_describe_the_series_and_their_phi_is_in_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    write(&out, &small(2, 2));
    let rows = truth(&out);
    assert_eq!(rows.len(), 2 * 2 * 3);
    let subjects: BTreeSet<&str> = rows.iter().map(|r| r["subject"].as_str()).collect();
    assert_eq!(subjects, ["sub-01", "sub-02"].into());
    let top: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let pids: BTreeSet<String> = rows.iter().map(|r| r["PatientID"].clone()).collect();
    assert_eq!(
        top, pids,
        "one top-level folder per subject, named by PatientID"
    );
    assert!(rows.iter().any(|r| r["PatientName"].contains('ü')
        || r["PatientName"].contains('ö')
        || r["PatientName"].contains('ä')));
    for r in &rows {
        let dir = out.join(&r["dir"]);
        let mut slices: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        slices.sort();
        assert_eq!(slices.len().to_string(), r["instances"], "{}", r["dir"]);
        let o = open_file(&slices[0]).unwrap();
        let raw = std::fs::read(&slices[0]).unwrap();
        let dims: Vec<usize> = r["dims_c_r_s_t"]
            .split('x')
            .map(|d| d.parse().unwrap())
            .collect();
        let volumes = if dims.len() == 4 { dims[3] } else { 1 };
        assert_eq!(text(&o, tags::COLUMNS), dims[0].to_string());
        assert_eq!(text(&o, tags::ROWS), dims[1].to_string());
        assert_eq!(dims[2] * volumes, slices.len());
        assert_eq!(text(&o, tags::PROTOCOL_NAME), r["series"]);
        for (col, tag) in [
            ("PatientName", tags::PATIENT_NAME),
            ("PatientID", tags::PATIENT_ID),
            ("PatientBirthDate", tags::PATIENT_BIRTH_DATE),
            ("PatientSex", tags::PATIENT_SEX),
            ("PatientAge", tags::PATIENT_AGE),
            ("InstitutionName", tags::INSTITUTION_NAME),
            ("ReferringPhysicianName", tags::REFERRING_PHYSICIAN_NAME),
            ("AccessionNumber", tags::ACCESSION_NUMBER),
            ("StudyDate", tags::STUDY_DATE),
            ("StudyInstanceUID", tags::STUDY_INSTANCE_UID),
            ("SeriesInstanceUID", tags::SERIES_INSTANCE_UID),
        ] {
            assert_eq!(text(&o, tag), r[col], "{col} in {}", r["dir"]);
        }
        // The header bytes themselves: Latin-1 as SpecificCharacterSet says, and the private
        // block repeats name and MRN.
        assert_eq!(text(&o, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 100");
        let family = r["PatientName"].split('^').next().unwrap().to_string();
        let latin1: Vec<u8> = family.chars().map(|c| c as u32 as u8).collect();
        let hits = raw
            .windows(latin1.len())
            .filter(|w| *w == latin1.as_slice())
            .count();
        assert!(hits >= 2, "{family} {hits}x in {}", r["dir"]);
        let private = o
            .element(dicom_core::Tag(0x0029, 0x1010))
            .unwrap()
            .to_str()
            .unwrap();
        assert!(private.contains(&family) && private.contains(&r["PatientID"]));
        for tag in [
            tags::PATIENT_ADDRESS,
            tags::PATIENT_TELEPHONE_NUMBERS,
            tags::OPERATORS_NAME,
            tags::STATION_NAME,
            tags::DEVICE_SERIAL_NUMBER,
            tags::INSTITUTION_ADDRESS,
            tags::OTHER_PATIENT_I_DS_SEQUENCE,
        ] {
            assert!(
                o.element_opt(tag).unwrap().is_some(),
                "{tag} in {}",
                r["dir"]
            );
        }
        if r["session"] == "ses-02" {
            assert!(text(&o, tags::STUDY_DESCRIPTION).contains(&family));
            if r["series"].starts_with("t2") {
                assert!(text(&o, tags::SERIES_DESCRIPTION).contains(&family));
            }
        }
    }
}

#[test]
fn a_folder_with_other_files_is_refused_and_options_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), b"precious").unwrap();
    let err = write_sample(&out, &small(1, 1), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, SampleError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("thesis.tex"));
    assert_eq!(std::fs::read(out.join("thesis.tex")).unwrap(), b"precious");
    assert!(!out.join(MARKER).exists());

    let err = write_sample(&tmp.path().join("x"), &small(0, 1), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, SampleError::InvalidOptions { .. }), "{err}");
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let err = write_sample(&file, &small(1, 1), &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("not a folder"), "{err}");
}

/// dicom3tools' `dciodvfy`, when installed, finds no error in one file of each series nor in
/// the DICOMDIR (warnings are expected: PHI attributes outside the IOD, private tags).
#[test]
fn dciodvfy_finds_no_errors_when_installed() {
    let Ok(found) = std::process::Command::new("sh")
        .args(["-c", "command -v dciodvfy"])
        .output()
    else {
        return;
    };
    if !found.status.success() {
        eprintln!("dciodvfy not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    write(&out, &small(1, 1));
    let mut check = vec![out.join("DICOMDIR")];
    for r in truth(&out) {
        check.push(out.join(&r["dir"]).join("IM0002"));
    }
    for f in check {
        let o = std::process::Command::new("dciodvfy")
            .arg(&f)
            .output()
            .unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("Error")).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
}
