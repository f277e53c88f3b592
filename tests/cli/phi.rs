//! The generated corpus: counts match truth.tsv, re-import is a no-op, exported files re-parse,
//! and not one planted PHI string survives anywhere in the home or the export.

use crate::util::*;

#[test]
fn counts_match_truth() {
    testkit::need_make_series!();
    let f = synth_fixture();
    let truth = testkit::truth(&f.corpus);
    let instances: u64 = truth
        .iter()
        .map(|r| r.get("instances").parse::<u64>().unwrap())
        .sum();
    let subjects: std::collections::BTreeSet<_> = truth.iter().map(|r| r.get("subject")).collect();
    let exams: std::collections::BTreeSet<_> = truth
        .iter()
        .map(|r| (r.get("subject"), r.get("session")))
        .collect();
    assert_eq!(f.first["instances"], instances, "{}", f.first);
    assert_eq!(f.first["series"], truth.len() as u64);
    assert_eq!(f.first["subjects"], subjects.len() as u64);
    assert_eq!(f.first["examinations"], exams.len() as u64);
    assert_eq!(f.first["duplicates"], 0);
    // truth.tsv itself is the only non-DICOM file in the corpus.
    let skipped = f.first["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("truth.tsv"));
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());

    let stats = json(neurofed(&f.home).arg("stats"));
    assert_eq!(stats["instances"], instances);
    assert_eq!(stats["acquisitions"], truth.len() as u64);
    assert_eq!(stats["datasets"], truth.len() as u64);
    assert_eq!(stats["subjects"], subjects.len() as u64);
    assert_eq!(stats["examinations"], exams.len() as u64);
    assert_eq!(stats["studies"], 1);
    assert_eq!(stats["centers"], 1);
    assert!(stats["bytes"].as_u64().unwrap() > 90_000_000);

    // Per series: the instance count of truth.tsv, by series description.
    let ls = json(neurofed(&f.home).arg("ls"));
    let rows = ls.as_array().unwrap();
    assert_eq!(rows.len(), truth.len());
    for desc in ["t1_mprage_sag_1mm", "t2_tse_tra_2mm", "bold_rest_ep2d"] {
        let want: Vec<u64> = truth
            .iter()
            .filter(|r| r.get("series") == desc)
            .map(|r| r.get("instances").parse().unwrap())
            .collect();
        let got: Vec<u64> = rows
            .iter()
            .filter(|r| r["series_description"] == desc)
            .map(|r| r["instances"].as_u64().unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "{desc}");
        assert!(
            got.iter().zip(&want).all(|(a, b)| a == b),
            "{desc}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn reimport_is_a_no_op() {
    let f = synth_fixture();
    assert_eq!(f.second["instances"], 0, "{}", f.second);
    assert_eq!(f.second["duplicates"], f.first["instances"]);
    assert_eq!(f.second["series"], 0);
    assert_eq!(f.second["subjects"], 0);
    assert_eq!(f.second["examinations"], 0);
    let out = neurofed(&f.home).arg("fsck").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn export_reparses_and_matches_the_store() {
    let f = synth_fixture();
    let files = files_under(&f.export);
    assert_eq!(files.len() as u64, f.first["instances"].as_u64().unwrap());
    assert!(!files_under(&f.nifti_export).is_empty());
    for p in &files {
        let obj = dicom_object::open_file(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // Stored bytes are exported as they are: the file's hash is a blob of the store.
        let id = blake3::hash(&std::fs::read(p).unwrap())
            .to_hex()
            .to_string();
        assert!(
            f.home.join("blobs").join(&id[..2]).join(&id).is_file(),
            "{} is not byte-identical to a stored blob",
            p.display()
        );
        let removed = obj
            .element_by_name("PatientIdentityRemoved")
            .ok()
            .and_then(|e| e.to_str().ok().map(|s| s.trim().to_string()));
        assert_eq!(removed.as_deref(), Some("YES"), "{}", p.display());
    }
}

#[test]
fn no_planted_phi_survives_in_home_or_export() {
    let f = synth_fixture();
    let needles = testkit::planted_phi(&f.corpus);
    assert!(
        needles.len() > 40,
        "the truth table yields the planted PHI: {needles:?}"
    );
    // The check itself must be able to fail: the originals are full of these strings.
    let sample = testkit::scan_for_phi(
        &f.corpus.join(testkit::truth(&f.corpus)[0].get("dir")),
        &needles,
    );
    assert!(
        !sample.is_empty(),
        "the scan finds PHI in the original files"
    );
    let mut leaks = testkit::scan_for_phi(&f.home, &needles);
    leaks.extend(testkit::scan_for_phi(&f.export, &needles));
    leaks.extend(testkit::scan_for_phi(&f.nifti_export, &needles));
    let shown: Vec<String> = leaks
        .iter()
        .take(20)
        .map(|(p, n)| format!("{n:?} in {}", p.display()))
        .collect();
    assert!(
        leaks.is_empty(),
        "{} PHI leaks, e.g.:\n{}",
        leaks.len(),
        shown.join("\n")
    );
}

#[test]
fn deid_explain_shows_every_attribute_and_no_value() {
    let f = synth_fixture();
    // The import reports how many unlisted attributes the allow-list removed (a count).
    assert!(f.first["removed_unlisted"].is_u64(), "{}", f.first);
    let needles = testkit::planted_phi(&f.corpus);
    let dir = f.corpus.join(testkit::truth(&f.corpus)[0].get("dir"));
    assert!(!testkit::scan_for_phi(&dir, &needles).is_empty());
    let mut files = files_under(&dir);
    files.sort();
    let file = files.first().expect("a generated file").clone();
    let out = ok(neurofed(&f.home)
        .args(["deid", "explain", "--json"])
        .arg(&file));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(rows.len() > 20, "{out}");
    let action = |kw: &str| {
        rows.iter()
            .find(|r| r["keyword"] == kw)
            .map(|r| r["action"].as_str().unwrap().to_string())
    };
    assert_eq!(action("PatientName").as_deref(), Some("pseudonym"));
    assert_eq!(action("PixelSpacing").as_deref(), Some("kept"));
    assert!(rows.iter().all(|r| !r["why"].as_str().unwrap().is_empty()));
    for n in &needles {
        assert!(!out.contains(n.as_str()), "{n:?} in the explanation");
    }
    let human = ok(neurofed(&f.home)
        .args(["deid", "explain", "--profile", "basic"])
        .arg(&file));
    assert!(human.contains("removed"), "{human}");
}

/// The data set of a Part-10 file, inflated when its transfer syntax is deflated, and whether
/// it was.
fn content_of(bytes: &[u8]) -> Option<(Vec<u8>, bool)> {
    use std::io::Read;
    if bytes.len() < 144 || &bytes[128..132] != b"DICM" {
        return None;
    }
    let obj = dicom::read(bytes).ok()?.obj;
    // (0002,0000) UL: the meta group's length, right after the preamble and "DICM".
    let group = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
    let body = &bytes[144 + group..];
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    if ts != "1.2.840.10008.1.2.1.99" {
        return Some((body.to_vec(), false));
    }
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    Some((out, true))
}

#[test]
fn deflated_inputs_are_stored_without_phi_checked_on_their_inflated_content() {
    let corpus = testkit::synth_corpus();
    let truth = testkit::truth(&corpus);
    let row = truth
        .iter()
        .min_by_key(|r| r.get("instances").parse::<u64>().unwrap())
        .unwrap();
    let needles = testkit::planted_phi(&corpus);
    let (dir, home) = new_home("Rennes Neurinfo");
    let input = dir.path().join("deflated");
    std::fs::create_dir_all(&input).unwrap();
    let slices = files_under(&corpus.join(row.get("dir")));
    let mut planted = 0;
    for (i, f) in slices.iter().enumerate() {
        let obj = dicom_object::open_file(f).unwrap();
        let deflated = obj
            .into_inner()
            .with_meta(
                dicom_object::FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1.99"),
            )
            .unwrap();
        let path = input.join(format!("IM{i:04}.dcm"));
        deflated.write_to_file(&path).unwrap();
        let (content, inflated) = content_of(&std::fs::read(&path).unwrap()).unwrap();
        assert!(inflated);
        planted += needles
            .iter()
            .filter(|n| testkit::find_leak(&content, n).is_some())
            .count();
    }
    // The check can fail: the inflated inputs are full of planted PHI.
    assert!(planted >= 3 * slices.len(), "{planted}");

    let s = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "Deflated"])
            .arg(&input),
    );
    assert_eq!(s["instances"], slices.len() as u64, "{s}");
    let mut deflated = 0;
    for blob in files_under(&home.join("blobs")) {
        let Some((content, inflated)) = content_of(&std::fs::read(&blob).unwrap()) else {
            continue;
        };
        deflated += usize::from(inflated);
        let found: Vec<&String> = needles
            .iter()
            .filter(|n| testkit::find_leak(&content, n).is_some())
            .collect();
        assert!(found.is_empty(), "{}: {found:?}", blob.display());
    }
    // Stored as they came, deflated: the check above looked at their content.
    assert_eq!(deflated, slices.len());
    let leaks = testkit::scan_for_phi(&home, &needles);
    assert!(leaks.is_empty(), "{leaks:?}");
}
