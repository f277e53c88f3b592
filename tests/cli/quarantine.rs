//! Pixels that may carry burned-in text: a secondary capture with BurnedInAnnotation YES and a
//! SCREEN SAVE, made from a generated MR slice (so they carry its planted PHI), imported with a
//! normal MR series, are quarantined: listed by `quarantine ls`, absent from ls, search and
//! export, their planted PHI nowhere in the home; `release` makes one a normal dataset and
//! `delete` removes the other.

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use serde_json::Value;

use crate::util::{files_under, json, neurofed, new_home, ok};

const STUDY: &str = "MS cohort";
const SC: &str = "1.2.840.10008.5.1.4.1.1.7";

/// The smallest series of the generated corpus.
fn small_series(corpus: &Path) -> PathBuf {
    let truth = testkit::truth(corpus);
    let row = truth
        .iter()
        .min_by_key(|r| r.get("instances").parse::<u64>().unwrap())
        .unwrap();
    corpus.join(row.get("dir"))
}

fn put_str(obj: &mut DefaultDicomObject, tag: Tag, vr: VR, v: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(v)));
}

/// A secondary capture of `slice` with BurnedInAnnotation YES, or (`burned_in` false) an MR
/// SCREEN SAVE without BurnedInAnnotation; its header and PHI kept, in a series of its own.
fn capture(slice: &Path, out: &Path, suffix: &str, burned_in: bool) {
    let mut obj = dicom_object::open_file(slice).unwrap();
    let text = |o: &DefaultDicomObject, t| o.element(t).unwrap().to_str().unwrap().to_string();
    let sop = format!("{}.{suffix}", text(&obj, tags::SOP_INSTANCE_UID));
    let series = format!("{}.{suffix}", text(&obj, tags::SERIES_INSTANCE_UID));
    put_str(&mut obj, tags::SOP_INSTANCE_UID, VR::UI, &sop);
    put_str(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, &series);
    if burned_in {
        put_str(&mut obj, tags::SOP_CLASS_UID, VR::UI, SC);
        put_str(&mut obj, tags::MODALITY, VR::CS, "OT");
        put_str(&mut obj, tags::CONVERSION_TYPE, VR::CS, "WSD");
        put_str(&mut obj, tags::BURNED_IN_ANNOTATION, VR::CS, "YES");
    } else {
        obj.remove_element(tags::BURNED_IN_ANNOTATION);
        put_str(
            &mut obj,
            tags::IMAGE_TYPE,
            VR::CS,
            "DERIVED\\SECONDARY\\SCREEN SAVE",
        );
    }
    let class = text(&obj, tags::SOP_CLASS_UID);
    let meta = obj.meta_mut();
    meta.media_storage_sop_class_uid = class;
    meta.media_storage_sop_instance_uid = sop;
    obj.write_to_file(out).unwrap();
}

fn entries(home: &Path) -> Vec<Value> {
    json(neurofed(home).args(["quarantine", "ls"]))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn quarantine_holds_back_burned_in_pixels_until_released() {
    let corpus = testkit::synth_corpus();
    let series = small_series(&corpus);
    let (dir, home) = new_home("Rennes Neurinfo");
    let input = dir.path().join("input");
    let mr = input.join("mr");
    std::fs::create_dir_all(&mr).unwrap();
    let slices = files_under(&series);
    for f in &slices {
        std::fs::copy(f, mr.join(f.file_name().unwrap())).unwrap();
    }
    capture(&slices[0], &input.join("sc-burned.dcm"), "91", true);
    capture(&slices[1], &input.join("sc-screen.dcm"), "92", false);
    let n = slices.len() as u64;

    let first = json(
        neurofed(&home)
            .args(["import", "--create", "--study", STUDY])
            .arg(&input),
    );
    assert_eq!(first["instances"], n, "{first}");
    assert_eq!(first["quarantined"], 2, "{first}");
    assert_eq!(
        first["quarantine_reasons"]["burned_in_annotation"], 1,
        "{first}"
    );
    assert_eq!(first["quarantine_reasons"]["screen_save"], 1);
    let human = ok(neurofed(&home)
        .args(["import", "--study", STUDY])
        .arg(&input));
    assert!(human.contains("Already present: "), "{human}");
    // Re-importing is a no-op: no second entry.
    let again = json(
        neurofed(&home)
            .args(["import", "--study", STUDY])
            .arg(&input),
    );
    assert_eq!(again["quarantined"], 0, "{again}");
    assert_eq!(again["duplicates"], n + 2, "{again}");

    let q = entries(&home);
    assert_eq!(q.len(), 2, "{q:?}");
    for e in &q {
        assert_eq!(e["study_name"], STUDY);
        assert!(e["pseudonym"].as_str().unwrap().starts_with("NF"));
        assert!(e["sop_instance_uid"].as_str().unwrap().starts_with("2.25."));
    }
    let by_reason = |r: &str| {
        q.iter()
            .find(|e| e["reason"] == r)
            .unwrap_or_else(|| panic!("{r}: {q:?}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (burned, screen) = (by_reason("burned_in_annotation"), by_reason("screen_save"));

    // Not a dataset, not searchable, not exported.
    assert_eq!(json(neurofed(&home).arg("ls")).as_array().unwrap().len(), 1);
    assert_eq!(json(neurofed(&home).arg("search"))["total"], 1);
    let export = dir.path().join("export");
    ok(neurofed(&home)
        .args(["export", "--format", "dicom", "--out"])
        .arg(&export));
    let exported = files_under(&export)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .count() as u64;
    assert_eq!(exported, n);

    // What is stored apart is de-identified too.
    let phi = testkit::planted_phi(&corpus);
    let leaks = testkit::scan_for_phi(&home, &phi);
    assert!(leaks.is_empty(), "{leaks:?}");
    assert_eq!(files_under(&home.join("quarantine")).len(), 2);

    // Unknown ids are clear errors.
    for bad in ["0123456789abcdef", "../catalog"] {
        let out = neurofed(&home)
            .args(["quarantine", "release", bad])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no quarantined instance"), "{err}");
    }

    // Released: a normal dataset of the study.
    ok(neurofed(&home).args(["quarantine", "release", &burned]));
    let ls = json(neurofed(&home).arg("ls"));
    assert_eq!(ls.as_array().unwrap().len(), 2, "{ls}");
    assert_eq!(json(neurofed(&home).arg("search"))["total"], 2);
    let q = entries(&home);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["id"], screen.as_str());

    // fsck follows the quarantine: each entry has its file; a file no entry names (an import
    // stopped between the two) is harmless and collected; a missing file is damage.
    let held = home.join("quarantine").join(format!("{screen}.dcm"));
    let report = json(neurofed(&home).arg("fsck"));
    assert_eq!(report["quarantine_checked"], 1, "{report}");
    assert_eq!(report["quarantine_orphans"], 0, "{report}");
    let orphan = home.join("quarantine").join("0000000000000000.dcm");
    std::fs::copy(&held, &orphan).unwrap();
    let report = json(neurofed(&home).arg("fsck"));
    assert_eq!(report["quarantine_orphans"], 1, "{report}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
    let gc = json(neurofed(&home).args(["fsck", "--gc"]));
    assert_eq!(gc["quarantine_orphans"], 1, "{gc}");
    assert!(!orphan.exists());
    let aside = dir.path().join("aside.dcm");
    std::fs::rename(&held, &aside).unwrap();
    let out = neurofed(&home).args(["fsck", "--json"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("has no file"));
    std::fs::rename(&aside, &held).unwrap();

    // Deleted: bytes and entry gone.
    ok(neurofed(&home).args(["quarantine", "delete", &screen]));
    assert!(entries(&home).is_empty());
    assert!(files_under(&home.join("quarantine")).is_empty());
    let out = neurofed(&home)
        .args(["quarantine", "delete", &screen])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let audit = ok(neurofed(&home).args(["audit", "--json"]));
    assert!(audit.contains("quarantine_release"), "{audit}");
    assert!(audit.contains("quarantine_delete"), "{audit}");
    // Deleted, an instance imported again is quarantined again; removing the study removes it.
    let third = ok(neurofed(&home)
        .args(["import", "--study", STUDY])
        .arg(&input));
    assert!(
        third.contains("Quarantined for their pixels: 1 instances (1 screen_save)"),
        "{third}"
    );
    let removed = json(neurofed(&home).args(["study", "rm", STUDY, "--force"]));
    assert_eq!(
        removed["quarantined"].as_array().unwrap().len(),
        1,
        "{removed}"
    );
    assert!(entries(&home).is_empty());
    assert!(files_under(&home.join("quarantine")).is_empty());

    let fsck = neurofed(&home).arg("fsck").output().unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    let leaks = testkit::scan_for_phi(&home, &phi);
    assert!(leaks.is_empty(), "{leaks:?}");
}

/// The pixel data of a file as little-endian bytes.
fn pixel_bytes(path: &Path) -> Vec<u8> {
    let obj = dicom_object::open_file(path).unwrap();
    obj.element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .to_vec()
}

#[test]
fn a_pixel_rule_blanks_its_rectangles_and_the_instance_passes() {
    let corpus = testkit::synth_corpus();
    let series = small_series(&corpus);
    let slice = files_under(&series).remove(0);
    let original = dicom_object::open_file(&slice).unwrap();
    let text = |t| {
        original
            .element(t)
            .unwrap()
            .to_str()
            .unwrap()
            .trim()
            .to_string()
    };
    let number = |t| original.element(t).unwrap().to_int::<u32>().unwrap();
    let (rows, cols) = (number(tags::ROWS), number(tags::COLUMNS));
    let bytes_per_pixel = (number(tags::BITS_ALLOCATED) / 8) as usize;
    let (dir, home) = new_home("Rennes Neurinfo");
    let profiles = home.join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    // The manufacturer in another case: matched ignoring it. Two top rows, and a rectangle
    // reaching past the right edge (clipped).
    std::fs::write(
        profiles.join("blanking.toml"),
        format!(
            "name = \"blanking\"\n[[pixel_rule]]\nmanufacturer = {:?}\nrows = {rows}\ncolumns = {cols}\nblank = [[0, 0, {cols}, 2], [{}, 4, 1000, 1]]\n",
            text(tags::MANUFACTURER).to_lowercase(),
            cols - 1
        ),
    )
    .unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    capture(&slice, &input.join("sc.dcm"), "93", true);
    let s = json(
        neurofed(&home)
            .args([
                "import",
                "--create",
                "--study",
                "Blanked",
                "--profile",
                "blanking",
            ])
            .arg(&input),
    );
    assert_eq!(
        (s["instances"].as_u64(), s["quarantined"].as_u64()),
        (Some(1), Some(0)),
        "{s}"
    );
    assert!(entries(&home).is_empty());

    let export = dir.path().join("export");
    ok(neurofed(&home)
        .args(["export", "--format", "dicom", "--out"])
        .arg(&export));
    let files: Vec<PathBuf> = files_under(&export)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let stored = dicom_object::open_file(&files[0]).unwrap();
    let bia = stored.element(tags::BURNED_IN_ANNOTATION).unwrap();
    assert_eq!(bia.to_str().unwrap().trim(), "NO");
    let (before, after) = (pixel_bytes(&slice), pixel_bytes(&files[0]));
    assert_eq!(before.len(), after.len());
    let row_bytes = cols as usize * bytes_per_pixel;
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        let (y, x) = (i / row_bytes, (i % row_bytes) / bytes_per_pixel);
        let inside = y < 2 || (y == 4 && x == cols as usize - 1);
        if inside {
            assert_eq!(*a, 0, "byte {i} (x {x}, y {y}) is blanked");
        } else {
            assert_eq!(a, b, "byte {i} (x {x}, y {y}) is kept");
        }
    }
    assert!(
        before[..2 * row_bytes].iter().any(|&b| b != 0),
        "the test blanks something"
    );
}
