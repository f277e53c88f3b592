//! `neurofed export --format bids`: the generated corpus with clinical scores becomes a BIDS
//! dataset that `bids-validator` (npm) accepts without an error and that pybids indexes; the
//! scores land in sessions.tsv (per examination) and phenotype/ (per subject) with the values
//! recorded; no planted PHI anywhere in the tree; several studies need `--study`.

use std::collections::BTreeMap;
use std::process::Command;

use crate::util::*;

const EDSS: &str = r#"
name = "Expanded Disability Status Scale"
acronym = "EDSS"
[[variables]]
name = "EDSS"
type = "number"
min = 0
max = 10
step = 0.5
unit = "points"
"#;

const HAND: &str = r#"
name = "Edinburgh handedness"
acronym = "HAND"
[[variables]]
name = "hand"
type = "choice"
values = ["L", "R", "A"]
"#;

#[test]
fn bids_export_passes_the_validator_and_pybids_reads_it() {
    testkit::need_tool!("bids-validator", ["--version"]);
    testkit::need_tool!("python3", ["-c", "import bids"]);
    let corpus = testkit::synth_corpus();
    let (dir, home) = new_home("Rennes Neurinfo");
    for card in ["mr-natures.toml", "mr-quality.toml"] {
        ok(neurofed(&home)
            .args(["studycard", "add", "--create", "--study", "MS cohort"])
            .arg(testkit::workspace_root().join("docs/cards").join(card)));
    }
    json(
        neurofed(&home)
            .args(["import", "--create", "--study", "MS cohort"])
            .arg(&corpus),
    );
    // Scores: EDSS at every examination, handedness about two of the three subjects.
    let ls = json(neurofed(&home).args(["ls"]));
    let mut visits: Vec<(String, String)> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_string(),
                r["examination_date"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    visits.sort();
    visits.dedup();
    assert_eq!(visits.len(), 6, "{visits:?}");
    let mut subjects: Vec<String> = visits.iter().map(|v| v.0.clone()).collect();
    subjects.dedup();
    let mut edss = String::from("participant_id,session,EDSS\n");
    let mut want_edss = BTreeMap::new();
    for (i, (sub, date)) in visits.iter().enumerate() {
        let v = format!("{}", 1.0 + i as f64 * 0.5);
        edss.push_str(&format!("{sub},{date},{v}\n"));
        want_edss.insert((sub.clone(), date.clone()), v);
    }
    let hand = format!(
        "participant_id,hand\n{},R\n{},L\n",
        subjects[0], subjects[1]
    );
    for (name, def, table) in [("EDSS", EDSS, edss), ("HAND", HAND, hand)] {
        let d = dir.path().join(format!("{name}.toml"));
        std::fs::write(&d, def).unwrap();
        ok(neurofed(&home)
            .args(["scores", "instrument", "add"])
            .arg(&d));
        let t = dir.path().join(format!("{name}.csv"));
        std::fs::write(&t, table).unwrap();
        ok(neurofed(&home).args(["scores", "import"]).arg(&t).args([
            "--study",
            "MS cohort",
            "--instrument",
            name,
        ]));
    }
    // A second study: a BIDS dataset is one study, so --study is then required.
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "Other"])
        .arg(
            std::fs::read_dir(&corpus)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.is_dir())
                .unwrap(),
        ));
    let out = dir.path().join("bids");
    let refused = neurofed(&home)
        .args(["export", "--format", "bids", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let msg = String::from_utf8_lossy(&refused.stderr);
    assert!(msg.contains("--study"), "{msg}");

    let s = json(
        neurofed(&home)
            .args([
                "export",
                "--format",
                "bids",
                "--study",
                "MS cohort",
                "--out",
            ])
            .arg(&out),
    );
    assert_eq!(s["datasets"], 18, "{s}");
    assert_eq!(s["not_exported"].as_array().unwrap().len(), 0, "{s}");

    // bids-validator: no error (warnings allowed: SliceTiming, Authors).
    let v = Command::new("bids-validator")
        .arg(&out)
        .args(["--json", "--ignoreNiftiHeaders"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap_or_else(|e| {
        panic!(
            "bids-validator printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        )
    });
    let errors = report["issues"]["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "bids-validator errors: {errors:#?}");
    // And with the NIfTI headers read (dimensions, units, TR against the sidecar).
    let v = Command::new("bids-validator")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    let errors = report["issues"]["errors"].as_array().unwrap();
    assert!(errors.is_empty(), "bids-validator errors: {errors:#?}");
    assert_eq!(report["summary"]["subjects"].as_array().unwrap().len(), 3);

    // pybids indexes every NIfTI, with its entities and sidecar metadata.
    let script = r#"
import json, sys
from bids import BIDSLayout
l = BIDSLayout(sys.argv[1], validate=True)
niis = l.get(extension=['.nii.gz', '.nii'])
bold = l.get(suffix='bold', extension='.nii.gz')
print(json.dumps({
  "files": len(niis),
  "subjects": sorted(l.get_subjects()),
  "sessions": sorted(l.get_sessions()),
  "tasks": l.get_tasks(),
  "suffixes": sorted(set(f.entities['suffix'] for f in niis)),
  "bold_meta": [{k: m.get(k) for k in ('TaskName', 'RepetitionTime')} for m in (b.get_metadata() for b in bold)],
}))
"#;
    let py = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let p: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(p["files"], 18, "{p}");
    let labels: Vec<String> = subjects
        .iter()
        .map(|s| s.chars().filter(char::is_ascii_alphanumeric).collect())
        .collect();
    assert_eq!(p["subjects"], serde_json::json!(labels));
    assert_eq!(p["sessions"], serde_json::json!(["01", "02"]));
    assert_eq!(p["tasks"], serde_json::json!(["rest"]));
    assert_eq!(p["suffixes"], serde_json::json!(["T1w", "T2w", "bold"]));
    for m in p["bold_meta"].as_array().unwrap() {
        assert_eq!(m["TaskName"], "rest");
        assert!(m["RepetitionTime"].as_f64().is_some_and(|t| t > 0.0), "{m}");
    }

    // The scores: per examination in sessions.tsv, per subject in phenotype/.
    for (sub, label) in subjects.iter().zip(&labels) {
        let tsv =
            std::fs::read_to_string(out.join(format!("sub-{label}/sub-{label}_sessions.tsv")))
                .unwrap();
        let mut lines = tsv.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        assert_eq!(header, ["session_id", "acq_time", "age", "EDSS_EDSS"]);
        let mut n = 0;
        for line in lines {
            let c: Vec<&str> = line.split('\t').collect();
            let date = &c[1][..10];
            assert_eq!(
                Some(c[3]),
                want_edss
                    .get(&(sub.clone(), date.to_string()))
                    .map(String::as_str),
                "{sub} {line}"
            );
            n += 1;
        }
        assert_eq!(n, 2);
    }
    let hand = std::fs::read_to_string(out.join("phenotype/HAND.tsv")).unwrap();
    assert_eq!(
        hand,
        format!(
            "participant_id\thand\nsub-{}\tR\nsub-{}\tL\nsub-{}\tn/a\n",
            labels[0], labels[1], labels[2]
        )
    );
    let desc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("dataset_description.json")).unwrap())
            .unwrap();
    assert_eq!(desc["Name"], "MS cohort");
    assert_eq!(desc["DatasetType"], "raw");

    // Nothing identifying in the tree.
    let needles = testkit::planted_phi(&corpus);
    assert!(!needles.is_empty());
    let leaks = testkit::scan_for_phi(&out, &needles);
    assert!(
        leaks.is_empty(),
        "planted PHI in the BIDS export: {leaks:?}"
    );
}
