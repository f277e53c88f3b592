//! `neurofed sample` writes a corpus that the node imports as it stands: two subjects through
//! the DICOMDIR, T1/T2/BOLD natures from the example study card, every series (the 4-D BOLD
//! included) converted to NIfTI; a subject's folder, walked, holds the same instances.

use std::collections::BTreeSet;

use crate::util::*;

#[test]
fn a_sample_corpus_imports_with_its_natures_and_nifti() {
    let (dir, home) = new_home("Sample center");
    let corpus = dir.path().join("corpus");
    let s = json(
        neurofed(&home)
            .args(["sample", "--subjects", "2", "--small", "--out"])
            .arg(&corpus),
    );
    assert_eq!(
        (s["subjects"].as_u64(), s["series"].as_u64()),
        (Some(2), Some(12)),
        "{s}"
    );
    let instances = s["instances"].as_u64().unwrap();
    assert_eq!(s["files"].as_u64(), Some(instances + 3), "{s}");
    assert!(corpus.join("DICOMDIR").is_file() && corpus.join("truth.tsv").is_file());

    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", "Sample"])
        .arg(testkit::workspace_root().join("docs/cards/mr-natures.toml")));
    // The corpus root holds a DICOMDIR: the import reads its records (truth.tsv is not one).
    let imp = json(
        neurofed(&home)
            .args(["import", "--study", "Sample"])
            .arg(&corpus),
    );
    assert_eq!(imp["instances"].as_u64(), Some(instances), "{imp}");
    assert_eq!(imp["subjects"], 2, "{imp}");
    assert_eq!(imp["examinations"], 4, "{imp}");
    assert_eq!(imp["series"], 12, "{imp}");
    assert_eq!(imp["skipped"].as_array().map(Vec::len), Some(0), "{imp}");
    assert_eq!(
        (imp["nifti"].as_u64(), imp["nifti_refused"].as_u64()),
        (Some(12), Some(0))
    );

    let ls = json(neurofed(&home).arg("ls"));
    let rows = ls.as_array().unwrap();
    assert_eq!(rows.len(), 12, "{ls}");
    let natures: BTreeSet<&str> = rows.iter().filter_map(|r| r["nature"].as_str()).collect();
    assert_eq!(natures, ["T1w", "T2w", "bold"].into(), "{ls}");
    assert!(rows.iter().all(|r| r["nifti"] == true), "{ls}");
    let subjects: BTreeSet<&str> = rows.iter().filter_map(|r| r["subject"].as_str()).collect();
    assert_eq!(subjects.len(), 2);
    for bold in rows.iter().filter(|r| r["nature"] == "bold") {
        // 32 x 32 x 12 slices x 4 volumes at --small: a 4-D dataset.
        let dims: Vec<u64> = bold["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(dims.len(), 4, "{bold}");
        assert_eq!(dims[3], 4, "{bold}");
        assert_eq!(bold["instances"], 48, "{bold}");
    }

    // A subject's folder has no DICOMDIR: walked, it yields the same (already stored) files.
    let subject = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let again = json(
        neurofed(&home)
            .args(["import", "--study", "Sample"])
            .arg(&subject),
    );
    assert_eq!(again["instances"], 0, "{again}");
    assert_eq!(again["duplicates"].as_u64(), Some(instances / 2), "{again}");
    assert_eq!(
        again["skipped"].as_array().map(Vec::len),
        Some(0),
        "{again}"
    );

    // Writing over a foreign folder is refused, with the reason.
    let out = neurofed(&home)
        .args(["sample", "--small", "--out"])
        .arg(home.as_path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
