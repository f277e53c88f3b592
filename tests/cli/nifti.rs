//! NIfTI at import and `export --format nifti`: every generated series converts, files land in
//! a BIDS-like layout, nibabel reads them with the expected shapes, sidecars carry BIDS units.

use std::process::Command;

use crate::util::*;

#[test]
fn every_generated_series_converts_and_exports() {
    let f = synth_fixture();
    let ls = json(neurofed(&f.home).arg("ls"));
    let rows = ls.as_array().unwrap();
    assert_eq!(rows.len(), 18);
    assert!(rows.iter().all(|r| r["nifti"] == true), "{ls}");

    let files = files_under(&f.nifti_export);
    let niis: Vec<_> = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".nii.gz"))
        .collect();
    let jsons: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(niis.len(), 18, "{files:?}");
    assert_eq!(jsons.len(), 18);
    for p in &niis {
        let rel = p
            .strip_prefix(&f.nifti_export)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 5, "{rel}");
        assert_eq!(parts[0], "MS_cohort");
        assert!(parts[1].starts_with("sub-NF"), "{rel}");
        let date = parts[2].strip_prefix("ses-").unwrap_or("");
        assert!(
            date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()),
            "{rel}"
        );
        let want = if parts[4].contains("bold") {
            "func"
        } else {
            "anat"
        };
        assert_eq!(parts[3], want, "{rel}");
    }

    // nibabel reads each file; shapes are those of truth.tsv (cols x rows x slices [x t]),
    // whatever the axis order.
    let script = r#"
import json, sys, nibabel as nib
out = {}
for p in sys.argv[1:]:
    img = nib.load(p)
    out[p] = [int(d) for d in img.shape]
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(niis.iter().map(|p| p.as_os_str()))
        .output()
        .expect("python3 with nibabel (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shapes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth = testkit::truth(&f.corpus);
    for (path, shape) in shapes.as_object().unwrap() {
        let series = ["t1_mprage_sag_1mm", "t2_tse_tra_2mm", "bold_rest_ep2d"]
            .into_iter()
            .find(|s| path.contains(s))
            .unwrap();
        let dims = truth
            .iter()
            .find(|r| r.get("series") == series)
            .unwrap()
            .get("dims_c_r_s_t")
            .to_string();
        let mut want: Vec<u64> = dims.split('x').map(|d| d.parse().unwrap()).collect();
        let mut got: Vec<u64> = shape
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        if want.len() == 4 {
            assert_eq!(got.len(), 4, "{path}: {got:?}");
            assert_eq!(got[3], want[3], "{path}: volumes");
            want.truncate(3);
            got.truncate(3);
        }
        want.sort();
        got.sort();
        assert_eq!(got, want, "{path}");
    }

    // Sidecars: BIDS units (seconds), no identifying keys.
    for j in &jsons {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(j).unwrap()).unwrap();
        let tr = v["RepetitionTime"].as_f64().unwrap();
        let name = j.to_string_lossy();
        let want = if name.contains("t1_mprage") {
            2.3
        } else if name.contains("t2_tse") {
            6.0
        } else {
            2.0
        };
        assert!((tr - want).abs() < 1e-9, "{name}: TR {tr}");
        for k in [
            "PatientName",
            "PatientID",
            "AcquisitionDateTime",
            "InstitutionName",
        ] {
            assert!(v.get(k).is_none(), "{name} has {k}");
        }
    }
}
