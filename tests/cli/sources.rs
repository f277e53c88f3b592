//! What a technician feeds the import: a DICOMDIR tree (as on a CD), a zip archive, a mix of
//! folders; each imported once, in one command.

use std::io::Write;

use crate::util::*;

#[test]
fn dicomdir_tree_and_zip_archive() {
    let fixture = testkit::workspace_root().join("node/tests/fixtures/dicomdir");
    let (dir, home) = new_home("CD center");
    let s = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "CD"])
            .arg(&fixture),
    );
    // The DICOMDIR references three instances; the DICOMDIR file itself is the index, not data.
    // They are derived images and a secondary capture without BurnedInAnnotation NO: read, and
    // held in the quarantine rather than imported.
    assert_eq!(s["files"], 3, "{s}");
    assert_eq!(s["quarantined"], 3, "{s}");
    assert_eq!(s["instances"], 0, "{s}");
    assert_eq!(s["skipped"].as_array().unwrap().len(), 0, "{s}");

    // A zip of two generated series, with a junk entry and a nested folder.
    let corpus = testkit::synth_corpus();
    let truth = testkit::truth(&corpus);
    let series: Vec<_> = truth
        .iter()
        .filter(|r| r.get("series") != "t1_mprage_sag_1mm")
        .take(2)
        .collect();
    let zip_path = dir.path().join("exam.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut expected = 0u64;
    for r in &series {
        let sdir = corpus.join(r.get("dir"));
        for f in files_under(&sdir) {
            let name = format!(
                "export/{}/{}",
                r.get("series"),
                f.file_name().unwrap().to_string_lossy()
            );
            zip.start_file(name, opts).unwrap();
            zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
            expected += 1;
        }
    }
    zip.start_file("export/README.txt", opts).unwrap();
    zip.write_all(b"burned by the PACS viewer").unwrap();
    zip.finish().unwrap();
    let s = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "CD"])
            .arg(&zip_path),
    );
    assert_eq!(s["instances"], expected, "{s}");
    assert_eq!(s["series"], 2);
    let skipped = s["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{s}");
    assert!(skipped[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("exam.zip!export/README.txt"));
    // Same archive again: nothing new.
    let again = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "CD"])
            .arg(&zip_path),
    );
    assert_eq!(again["instances"], 0);
    assert_eq!(again["duplicates"], expected);
}
