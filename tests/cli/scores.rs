//! Clinical scores through the CLI: an instrument defined as data, a spreadsheet's CSV recorded
//! (dry run first), exported back and re-imported as a no-op, bad values refused with their line.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::*;

const EDSS: &str = r#"
name = "Expanded Disability Status Scale"
acronym = "EDSS"
description = "Kurtzke 1983"
[[variables]]
name = "EDSS"
type = "number"
min = 0
max = 10
step = 0.5
[[variables]]
name = "course"
type = "choice"
values = ["RR", "SP", "PP"]
"#;

#[test]
fn scores_round_trip_through_csv_and_bad_values_are_refused_with_their_line() {
    let (dir, home) = new_home("Scores center");
    let corpus = dir.path().join("corpus");
    ok(neurofed(&home)
        .args(["sample", "--subjects", "2", "--small", "--out"])
        .arg(&corpus));
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "MS"])
        .arg(&corpus));
    let ls = json(neurofed(&home).arg("ls"));
    let mut sessions = BTreeSet::new();
    // Datasets per (subject, session), what score searches are checked against.
    let mut per_session: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in ls.as_array().unwrap() {
        let key = (
            r["subject"].as_str().unwrap().to_string(),
            r["examination_date"].as_str().unwrap().replace('-', ""),
        );
        *per_session.entry(key.clone()).or_default() += 1;
        sessions.insert(key);
    }
    let sessions: Vec<(String, String)> = sessions.into_iter().collect();
    assert_eq!(sessions.len(), 4, "{sessions:?}");

    let def = dir.path().join("edss.toml");
    std::fs::write(&def, EDSS).unwrap();
    let added = json(
        neurofed(&home)
            .args(["scores", "instrument", "add"])
            .arg(&def),
    );
    assert_eq!(added["changed"], true, "{added}");
    let listed = ok(neurofed(&home).args(["scores", "instrument", "ls"]));
    assert!(listed.contains("EDSS: number 0..10 by 0.5"), "{listed}");

    // A semicolon-separated sheet with decimal commas, as a French spreadsheet saves it.
    let (s1, d1) = &sessions[0];
    let (_, d2) = &sessions[1];
    let s2 = &sessions[2].0;
    let sheet = format!(
        "participant_id;session;EDSS;course\nsub-{s1};ses-{d1};3,5;RR\n{s1};{d2};4;SP\n{s2};;2;\n"
    );
    let csv = dir.path().join("edss.csv");
    std::fs::write(&csv, sheet).unwrap();
    let import = |extra: &[&str]| {
        let mut c = neurofed(&home);
        c.args(["scores", "import", "--study", "MS", "--instrument", "edss"])
            .args(extra)
            .arg(&csv);
        c
    };
    let dry = json(&mut import(&["--dry-run"]));
    assert_eq!(
        (dry["added"].as_u64(), dry["dry_run"].as_bool()),
        (Some(3), Some(true)),
        "{dry}"
    );
    let out =
        ok(neurofed(&home).args(["scores", "export", "--study", "MS", "--instrument", "EDSS"]));
    assert_eq!(out.lines().count(), 1, "dry run recorded something: {out}");
    let none = json(neurofed(&home).args(["search", "--filter", "score.EDSS:*"]));
    assert_eq!(none["total"], 0, "dry run indexed scores: {none}");
    let r = json(&mut import(&[]));
    assert_eq!(
        (r["added"].as_u64(), r["unchanged"].as_u64()),
        (Some(3), Some(0)),
        "{r}"
    );

    // The scores are searchable at once: (s1, d1) 3.5 RR, (s1, d2) 4 SP, s2 at the subject
    // level 2 (every session of s2).
    let sessions_of = |want: &[(&str, Option<&str>)]| -> u64 {
        per_session
            .iter()
            .filter(|((s, d), _)| {
                want.iter()
                    .any(|(ws, wd)| s == ws && wd.is_none_or(|wd| wd == d))
            })
            .map(|(_, n)| n)
            .sum()
    };
    for (filter, want) in [
        (
            "score.EDSS:[4 TO 10]",
            sessions_of(&[(s1.as_str(), Some(d2.as_str()))]),
        ),
        (
            "score.EDSS:>3.5",
            sessions_of(&[(s1.as_str(), Some(d2.as_str()))]),
        ),
        (
            "score.EDSS:[* TO 3.5]",
            sessions_of(&[(s1.as_str(), Some(d1.as_str())), (s2.as_str(), None)]),
        ),
        ("score.EDSS:<2", 0),
        (
            "score.EDSS:*",
            sessions_of(&[(s1.as_str(), None), (s2.as_str(), None)]),
        ),
        (
            "score.EDSS.course:SP,PP",
            sessions_of(&[(s1.as_str(), Some(d2.as_str()))]),
        ),
        ("score.EDSS.course:*", sessions_of(&[(s1.as_str(), None)])),
        ("score.MMSE:*", 0),
    ] {
        let found = json(neurofed(&home).args(["search", "--limit", "1000", "--filter", filter]));
        assert_eq!(found["total"].as_u64(), Some(want), "{filter}: {found}");
        for hit in found["hits"].as_array().unwrap() {
            let subject = hit["subject"].as_str().unwrap();
            assert!(subject == s1 || subject == s2, "{filter}: {hit}");
        }
    }
    let bad = neurofed(&home)
        .args(["search", "--filter", "score.EDSS:[5 TO 4]"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("the range is empty"), "{err}");

    let exported = dir.path().join("out.csv");
    ok(neurofed(&home)
        .args([
            "scores",
            "export",
            "--study",
            "MS",
            "--instrument",
            "EDSS",
            "--out",
        ])
        .arg(&exported));
    let text = std::fs::read_to_string(&exported).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "participant_id,session,examination,EDSS,course");
    let cells: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    let picked: Vec<(&str, &str, &str, &str)> =
        cells.iter().map(|c| (c[0], c[1], c[3], c[4])).collect();
    let (sub1, sub2) = (format!("sub-{s1}"), format!("sub-{s2}"));
    let (ses1, ses2) = (format!("ses-{d1}"), format!("ses-{d2}"));
    let mut want = vec![
        (sub1.as_str(), ses1.as_str(), "3.5", "RR"),
        (sub1.as_str(), ses2.as_str(), "4", "SP"),
        (sub2.as_str(), "", "2", ""),
    ];
    want.sort();
    assert_eq!(picked, want);

    // The export imports back as it is: nothing changes.
    std::fs::copy(&exported, &csv).unwrap();
    let again = json(&mut import(&[]));
    assert_eq!(
        (
            again["added"].as_u64(),
            again["changed"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3)),
        "{again}"
    );

    // Out of range and unknown: exit 1, every line named, nothing recorded.
    std::fs::write(
        &csv,
        format!("subject,EDSS\n{s1},10.5\n{s2},4.25\nnobody,1\n"),
    )
    .unwrap();
    let out = import(&[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "line 2: EDSS EDSS: 10.5 is out of range (0 to 10 by 0.5)",
        "line 3: EDSS EDSS: 4.25 is out of range",
        "line 4: no subject \"nobody\"",
    ] {
        assert!(err.contains(want), "{want} not in {err}");
    }
    let after =
        ok(neurofed(&home).args(["scores", "export", "--study", "MS", "--instrument", "EDSS"]));
    assert_eq!(after.replace("\r\n", "\n"), text.replace("\r\n", "\n"));
    let audit = ok(neurofed(&home).arg("audit"));
    assert!(
        audit.contains("scores_record") && audit.contains("instrument_set"),
        "{audit}"
    );
}

/// XLSX both ways: scores exported as a workbook that a real reader (openpyxl) sees with numbers
/// as numbers and the same rows as the CSV export, and the workbook imported back as a no-op.
#[test]
fn scores_round_trip_through_xlsx_as_openpyxl_reads_it() {
    testkit::need_tool!("python3", ["-c", "import openpyxl"]);
    let (dir, home) = new_home("Scores center");
    let corpus = dir.path().join("corpus");
    ok(neurofed(&home)
        .args(["sample", "--subjects", "2", "--small", "--out"])
        .arg(&corpus));
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "MS"])
        .arg(&corpus));
    let ls = json(neurofed(&home).arg("ls"));
    let sessions: BTreeSet<(String, String)> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_string(),
                r["examination_date"].as_str().unwrap().replace('-', ""),
            )
        })
        .collect();
    let sessions: Vec<_> = sessions.into_iter().take(2).collect();
    let def = dir.path().join("edss.toml");
    std::fs::write(&def, EDSS).unwrap();
    ok(neurofed(&home)
        .args(["scores", "instrument", "add"])
        .arg(&def));
    let csv = dir.path().join("edss.csv");
    std::fs::write(
        &csv,
        format!(
            "participant_id,session,EDSS,course\nsub-{},ses-{},3.5,RR\nsub-{},ses-{},6,SP\n",
            sessions[0].0, sessions[0].1, sessions[1].0, sessions[1].1
        ),
    )
    .unwrap();
    ok(neurofed(&home)
        .args(["scores", "import", "--study", "MS", "--instrument", "EDSS"])
        .arg(&csv));
    let exported =
        ok(neurofed(&home).args(["scores", "export", "--study", "MS", "--instrument", "EDSS"]));
    let book = dir.path().join("edss.xlsx");
    ok(neurofed(&home)
        .args([
            "scores",
            "export",
            "--study",
            "MS",
            "--instrument",
            "EDSS",
            "--out",
        ])
        .arg(&book));
    // openpyxl's view: each cell as type:value, numbers printed like the CSV prints them.
    let script = r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
for row in ws.iter_rows(values_only=True):
    cells = []
    for v in row:
        if v is None:
            cells.append("")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            cells.append("n:" + (str(int(v)) if float(v).is_integer() else repr(float(v))))
        else:
            cells.append("s:" + str(v))
    print(",".join(cells))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&book)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = String::from_utf8(out.stdout).unwrap();
    let strip = |l: &str| -> String {
        l.split(',')
            .map(|c| c.split_once(':').map_or(c, |(_, v)| v))
            .collect::<Vec<_>>()
            .join(",")
    };
    let seen_rows: Vec<String> = seen.lines().map(strip).collect();
    let csv_rows: Vec<String> = exported.lines().map(str::to_string).collect();
    assert_eq!(seen_rows, csv_rows, "openpyxl:\n{seen}\nCSV:\n{exported}");
    assert!(
        seen.contains("n:3.5") && seen.contains("n:6"),
        "numbers as numbers: {seen}"
    );
    assert!(
        seen.contains("s:RR") && seen.contains("s:sub-"),
        "codes and ids as text: {seen}"
    );
    // The workbook imports back as it is.
    let again = json(
        neurofed(&home)
            .args(["scores", "import", "--study", "MS", "--instrument", "EDSS"])
            .arg(&book),
    );
    assert_eq!(
        (again["added"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    // Not a workbook: refused with a reason, nothing recorded.
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, b"PK\x03\x04not really a zip").unwrap();
    let o = neurofed(&home)
        .args(["scores", "import", "--study", "MS", "--instrument", "EDSS"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("XLSX"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
