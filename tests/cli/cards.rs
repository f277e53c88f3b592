//! Study cards through the CLI: applied at import, versioned, re-applied with originals kept,
//! and `--reject-failed`.

use crate::util::*;

fn docs_card(name: &str) -> std::path::PathBuf {
    testkit::workspace_root().join("docs/cards").join(name)
}

fn by_series(ls: &serde_json::Value, desc: &str, key: &str) -> Vec<String> {
    ls.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["series_description"] == desc)
        .map(|r| r[key].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn cards_apply_at_import_and_reapply_keeps_originals() {
    let corpus = testkit::synth_corpus();
    let (dir, home) = new_home("Card center");
    for c in ["mr-natures.toml", "mr-quality.toml"] {
        ok(neurofed(&home)
            .args(["studycard", "add", "--create", "--study", "S"])
            .arg(docs_card(c)));
    }
    json(
        neurofed(&home)
            .args(["import", "--create", "--study", "S"])
            .arg(&corpus),
    );
    let ls = json(neurofed(&home).arg("ls"));
    assert_eq!(
        by_series(&ls, "t1_mprage_sag_1mm", "nature"),
        vec!["T1w"; 6]
    );
    assert_eq!(by_series(&ls, "t2_tse_tra_2mm", "nature"), vec!["T2w"; 6]);
    assert_eq!(by_series(&ls, "bold_rest_ep2d", "nature"), vec!["bold"; 6]);
    assert_eq!(
        by_series(&ls, "t1_mprage_sag_1mm", "qc_grade"),
        vec!["pass"; 6]
    );

    // Version 2 of the natures card calls every MPRAGE "FLAIR" (a deliberate mistake to see
    // the change), and a stricter quality card fails 1 mm T1s.
    let v2 = dir.path().join("natures-v2.toml");
    std::fs::write(
        &v2,
        r#"name = "mr-natures"
[[rule]]
conditions = [{ tag = "SeriesDescription", op = "contains", values = ["mprage"] }]
assign = { nature = "FLAIR" }
"#,
    )
    .unwrap();
    let strict = dir.path().join("strict.toml");
    std::fs::write(
        &strict,
        r#"name = "strict"
[[quality]]
grade = "fail"
conditions = [{ tag = "SliceThickness", op = "less_than", values = [1.5] }]
"#,
    )
    .unwrap();
    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", "S"])
        .arg(&v2));
    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", "S"])
        .arg(&strict));
    let cards = json(neurofed(&home).args(["studycard", "ls", "--study", "S"]));
    let natures: Vec<_> = cards
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["card"] == "mr-natures")
        .collect();
    assert_eq!(natures.len(), 1);
    assert_eq!(natures[0]["version"], 2);

    let applied = json(neurofed(&home).args(["studycard", "apply", "--study", "S"]));
    assert_eq!(applied["acquisitions"].as_array().unwrap().len(), 18);
    let ls = json(neurofed(&home).arg("ls"));
    assert_eq!(
        by_series(&ls, "t1_mprage_sag_1mm", "nature"),
        vec!["FLAIR"; 6]
    );
    assert_eq!(
        by_series(&ls, "t1_mprage_sag_1mm", "original_nature"),
        vec!["T1w"; 6],
        "the value at import is kept"
    );
    assert_eq!(
        by_series(&ls, "t1_mprage_sag_1mm", "qc_grade"),
        vec!["fail"; 6]
    );
    // v2 no longer assigns a nature to T2 series: current is unset, original kept.
    assert_eq!(by_series(&ls, "t2_tse_tra_2mm", "nature"), vec!["-"; 6]);
    assert_eq!(
        by_series(&ls, "t2_tse_tra_2mm", "original_nature"),
        vec!["T2w"; 6]
    );
    let conformity = applied["conformity"].as_object().unwrap();
    assert_eq!(conformity.len(), 6);
    for (_, v) in conformity {
        // T1 fails; T2 and BOLD pass the strict card (2 mm, 2.2 mm slices); mr-quality warns
        // on BOLD (worst grade counts), so 1 of 3 acquisitions passes.
        let v = v.as_f64().unwrap();
        assert!((v - 1.0 / 3.0).abs() < 1e-9, "{applied}");
    }
}

#[test]
fn reject_failed_skips_failing_series_with_the_reason() {
    testkit::need_make_series!();
    let corpus = testkit::synth_corpus();
    let (dir, home) = new_home("Reject center");
    let card = dir.path().join("no-bold.toml");
    std::fs::write(
        &card,
        r#"name = "no-bold"
[[quality]]
grade = "fail"
message = "BOLD is not part of this protocol"
conditions = [{ tag = "SeriesDescription", op = "starts_with", values = ["bold"] }]
"#,
    )
    .unwrap();
    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", "S"])
        .arg(&card));
    let s = json(
        neurofed(&home)
            .args(["import", "--create", "--study", "S", "--reject-failed"])
            .arg(&corpus),
    );
    let truth = testkit::truth(&corpus);
    let bold: u64 = truth
        .iter()
        .filter(|r| r.get("series") == "bold_rest_ep2d")
        .map(|r| r.get("instances").parse::<u64>().unwrap())
        .sum();
    let rejected: Vec<_> = s["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["reason"].as_str().unwrap().contains("quality card"))
        .collect();
    assert_eq!(rejected.len() as u64, bold, "{s}");
    assert!(rejected[0]["reason"]
        .as_str()
        .unwrap()
        .contains("BOLD is not part"));
    assert_eq!(s["series"], 12);
    assert_eq!(s["instances"].as_u64().unwrap(), 1524 - bold);
    let fsck = neurofed(&home).arg("fsck").output().unwrap();
    assert!(fsck.status.success());
    assert_eq!(json(neurofed(&home).arg("fsck"))["staging_files"], 0);
}
