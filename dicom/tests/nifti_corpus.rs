//! Every real file of the reference corpus, converted on its own: a NIfTI or a one-line reason,
//! never a panic; and the generated corpora convert to the dims BASELINES.md gives for dcm2niix.
//! No external tool needed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dicom::{convert_series, series_geometry, NiftiOptions, NotConverted, SeriesKind};
use dicom_object::{open_file, DefaultDicomObject};

/// Files whose parse is not this module's business: dicom-rs `open_file` spends ~10 s (and
/// gigabytes) before failing on `UN_sequence.dcm` and `SC_rgb_jpeg.dcm` (declared lengths beyond
/// the file; the reader's length guard handles them in the pipeline).
const SKIP: [&str; 2] = ["UN_sequence.dcm", "SC_rgb_jpeg.dcm"];

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_real_file_converts_or_says_why() {
    testkit::need_shared!();
    let corpus = testkit::reference_corpus();
    let mut outcomes: BTreeMap<String, String> = BTreeMap::new();
    for p in files_under(&corpus) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if SKIP.contains(&name.as_str()) || name.ends_with(".gz") || name.ends_with(".tsv") {
            continue;
        }
        let Ok(obj) = open_file(&p) else { continue };
        let rel = p
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let outcome = match convert_series(&[&obj], &NiftiOptions::default()) {
            Ok(c) => {
                assert!(!c.bytes.is_empty());
                format!("ok {:?} {}", c.shape, c.datatype)
            }
            Err(e) => {
                let reason = e.to_string();
                assert!(
                    reason.len() > 10 && !reason.contains('\n'),
                    "{rel}: {reason:?}"
                );
                format!("{} ({reason})", e.code())
            }
        };
        outcomes.insert(rel, outcome);
    }
    for (f, o) in &outcomes {
        eprintln!("{f}: {o}");
    }
    let get = |f: &str| outcomes.get(f).map(String::as_str).unwrap_or("missing");
    assert!(get("pydicom/test_files/rtplan.dcm").starts_with("not-image"));
    assert!(get("pydicom/test_files/test-SR.dcm").starts_with("not-image"));
    assert!(get("pydicom/test_files/rtdose.dcm").starts_with("unsupported"));
    assert!(get("nibabel/nicom/0.dcm").starts_with("malformed"));
    assert!(get("pydicom-data/emri_small_RLE.dcm").starts_with("compressed"));
    assert!(get("pydicom-data/SC_rgb.dcm").starts_with("unsupported"));
    assert!(get("pydicom-data/emri_small.dcm").starts_with("no-geometry"));
    assert!(
        get("dicom3tools/0051.dcm").starts_with("ok"),
        "{}",
        get("dicom3tools/0051.dcm")
    );
    assert!(get("pydicom/test_files/CT_small.dcm").starts_with("ok"));
}

fn series_of(root: &Path) -> BTreeMap<String, Vec<DefaultDicomObject>> {
    let mut out: BTreeMap<String, Vec<DefaultDicomObject>> = BTreeMap::new();
    for p in files_under(root) {
        if p.extension().is_some_and(|e| e == "dcm") {
            let key = p
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.entry(format!("{}/{key}", p.parent().unwrap().display()))
                .or_default()
                .push(open_file(&p).unwrap());
        }
    }
    out
}

/// Shapes from BASELINES.md (dcm2niix on the same files), except the enhanced BOLD, which
/// dcm2niix stacks as 128x96x48 and we write 128x96x24x2 like its classic files.
fn expected(series: &str) -> (Vec<usize>, [f64; 3]) {
    if series.contains("t1_mprage") {
        (vec![217, 181, 181], [1.0, 1.0, 1.0])
    } else if series.contains("t2_tse") {
        (vec![33, 41, 25], [2.0, 2.0, 2.0])
    } else {
        assert!(series.contains("bold"), "{series}");
        (vec![128, 96, 24, 2], [2.0, 2.0, 2.2])
    }
}

#[test]
fn generated_corpora_have_the_expected_shapes() {
    testkit::need_shared!();
    for (root, kind) in [
        (testkit::synth_corpus(), SeriesKind::Classic),
        (testkit::synth_enhanced_corpus(), SeriesKind::MultiFrame),
    ] {
        let all = series_of(&root);
        assert_eq!(all.len(), 18, "{}", root.display());
        for (name, objs) in all {
            let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
            let g = series_geometry(&refs).unwrap();
            let (shape, voxel) = expected(&name);
            let mut got = g.dims.to_vec();
            if g.volumes > 1 {
                got.push(g.volumes);
            }
            assert_eq!(got, shape, "{name}");
            assert_eq!(g.kind, kind);
            for (a, b) in g.voxel_size.iter().zip(voxel) {
                assert!((a - b).abs() < 1e-3, "{name}: {:?}", g.voxel_size);
            }
            // The sidecar of a de-identified series carries no PHI: here the objects are NOT
            // de-identified, so check that none of the planted identifiers leaks through (the
            // 181-slice T1s are left out to keep the debug build fast; same code path).
            if name.contains("t1_mprage") {
                continue;
            }
            let opts = NiftiOptions {
                gzip: false,
                ..NiftiOptions::default()
            };
            let c = convert_series(&refs, &opts).unwrap();
            let text = c.sidecar.to_string();
            for phi in testkit::planted_phi(&testkit::synth_corpus()) {
                assert!(!text.contains(&phi), "{name}: sidecar holds {phi:?}");
            }
        }
    }
}

#[test]
fn a_series_with_a_missing_slice_is_refused() {
    testkit::need_make_series!();
    let root = testkit::synth_corpus();
    let (name, mut objs) = series_of(&root)
        .into_iter()
        .find(|(n, _)| n.contains("t2_tse"))
        .unwrap();
    objs.remove(12);
    let refs: Vec<&DefaultDicomObject> = objs.iter().collect();
    let e = convert_series(&refs, &NiftiOptions::default()).unwrap_err();
    assert!(
        matches!(&e, NotConverted::Inconsistent(r) if r.contains("unequal slice spacing")),
        "{name}: {e}"
    );
}
