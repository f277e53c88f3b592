//! The real reference corpus: every file is imported or skipped with a reason, the deliberately
//! broken ones are skipped, nothing panics, and re-import is a no-op.

use crate::util::*;

#[test]
fn every_reference_file_is_imported_or_skipped_with_a_reason() {
    testkit::need_shared!();
    let corpus = testkit::reference_corpus();
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let listed = manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    let (_dir, home) = new_home("Corpus center");
    let out = neurofed(&home)
        .args(["import", "--create", "--study", "reference", "--json"])
        .arg(&corpus)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = s["files"].as_u64().unwrap();
    let skipped = s["skipped"].as_array().unwrap();
    // Every corpus file plus MANIFEST.tsv is accounted for exactly once.
    assert_eq!(files, listed + 1, "{s}");
    assert_eq!(
        files,
        s["instances"].as_u64().unwrap()
            + s["duplicates"].as_u64().unwrap()
            + s["quarantined"].as_u64().unwrap()
            + skipped.len() as u64,
        "{s}"
    );
    for sk in skipped {
        let reason = sk["reason"].as_str().unwrap();
        assert!(!reason.trim().is_empty() && !reason.contains('\n'), "{sk}");
    }
    let skipped_paths: Vec<&str> = skipped
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    for broken in [
        "pydicom/test_files/MR_truncated.dcm",
        "pydicom/test_files/rtplan_truncated.dcm",
        "pydicom/test_files/UN_sequence.dcm",
    ] {
        assert!(
            skipped_paths.iter().any(|p| p.ends_with(broken)),
            "{broken} should be refused: {skipped_paths:?}"
        );
    }
    // 113 of the 140 files read as instances; pydicom ships the same image under one
    // SOPInstanceUID in several transfer syntaxes, hence the duplicates. Four JPEG-LS samples
    // carry neither patient nor study identity and are refused by de-identification. About 40
    // are secondary captures or derived images without BurnedInAnnotation NO: quarantined.
    let read = s["instances"].as_u64().unwrap()
        + s["duplicates"].as_u64().unwrap()
        + s["quarantined"].as_u64().unwrap();
    assert!(read >= 105, "most real files import: {s}");
    assert!(s["instances"].as_u64().unwrap() >= 20, "{s}");
    assert!(s["quarantined"].as_u64().unwrap() >= 30, "{s}");
    assert!(
        s["quarantine_reasons"]["secondary_capture"]
            .as_u64()
            .unwrap()
            > 0,
        "{s}"
    );
    for rt in ["rtdose_rle.dcm", "rtdose_rle_1frame.dcm"] {
        // Every element written as UN: read by its dictionary VR, so it imports.
        assert!(
            !skipped_paths.iter().any(|p| p.ends_with(rt)),
            "{rt} should import: {s}"
        );
    }

    let again = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "reference"])
            .arg(&corpus),
    );
    assert_eq!(again["instances"], 0, "{again}");
    assert_eq!(again["quarantined"], 0, "{again}");
    let fsck = neurofed(&home).arg("fsck").output().unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
}

#[test]
fn bad_arguments_are_clear_errors() {
    let (_dir, home) = new_home("X");
    let out = neurofed(&home)
        .args(["import", "--profile", "no-such-profile", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-profile"), "{err}");
    // The typo created no study.
    assert_eq!(json(neurofed(&home).arg("stats"))["studies"], 0);

    let dir = tempfile::tempdir().unwrap();
    let out = neurofed(&dir.path().join("nothing"))
        .arg("stats")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neurofed init"));
}
