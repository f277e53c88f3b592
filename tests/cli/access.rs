//! End-to-end tests of `neurofed user`, `rights`, `study agreement` and `audit` (own small helpers: they feed stdin).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn neurofed(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_neurofed"));
    c.arg("--home").arg(home).env_remove("NEUROFED_HOME");
    c
}

fn run(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = neurofed(home);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("neurofed runs");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("neurofed finishes")
}

fn ok(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = run(home, args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs, expects failure, returns stderr.
fn fails(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = run(home, args, stdin);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    String::from_utf8(out.stderr).expect("utf-8")
}

fn json(home: &Path, args: &[&str]) -> Value {
    let text = ok(home, args, None);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A node for center "Rennes" with an empty study "MS cohort".
fn home() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    ok(&home, &["init", "--center", "Rennes"], None);
    let empty = empty.to_str().expect("utf-8 path");
    ok(
        &home,
        &["import", "--create", "--study", "MS cohort", empty],
        None,
    );
    (dir, home)
}

#[test]
fn users_and_tokens() {
    let (_d, h) = home();
    let out = ok(
        &h,
        &["user", "add", "Alice", "--display-name", "Dr Alice"],
        Some("correct horse battery\n"),
    );
    assert!(out.contains("alice"), "{out}");
    ok(
        &h,
        &["user", "add", "root", "--admin"],
        Some("another password"),
    );

    let err = fails(&h, &["user", "add", "bob"], Some("short\n"));
    assert!(err.contains("at least 8 characters"), "{err}");
    let err = fails(&h, &["user", "add", "bob"], Some(""));
    assert!(err.contains("no password"), "{err}");
    let err = fails(
        &h,
        &["user", "add", "ALICE"],
        Some("correct horse battery\n"),
    );
    assert!(err.contains("already exists"), "{err}");
    let err = fails(&h, &["user", "add", "a b"], Some("correct horse battery\n"));
    assert!(err.contains("invalid user name"), "{err}");

    let users = json(&h, &["user", "ls", "--json"]);
    let users = users.as_array().expect("array");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["display_name"], "Dr Alice");
    assert_eq!(users[0]["role"], "user");
    assert_eq!(users[1]["role"], "admin");
    let listing = ok(&h, &["user", "ls", "--json"], None);
    assert!(!listing.contains("argon2"), "no hash in listings");

    let t1 = ok(&h, &["user", "token", "alice", "--label", "sync"], None);
    let t2 = ok(
        &h,
        &["user", "token", "alice", "--expires", "2099-12-31"],
        None,
    );
    for t in [&t1, &t2] {
        let t = t.trim_end();
        assert!(
            t.starts_with("nft_") && t.len() == 68 && !t.contains('\n'),
            "{t}"
        );
    }
    assert_ne!(t1, t2);
    let err = fails(&h, &["user", "token", "nobody"], None);
    assert!(err.contains("no user \"nobody\""), "{err}");
    let err = fails(
        &h,
        &["user", "token", "alice", "--expires", "2001-01-01"],
        None,
    );
    assert!(err.contains("in the past"), "{err}");

    ok(&h, &["user", "disable", "alice"], None);
    assert_eq!(json(&h, &["user", "ls", "--json"])[0]["disabled"], true);
    ok(&h, &["user", "enable", "alice"], None);
    ok(&h, &["user", "passwd", "alice"], Some("a brand new one\n"));

    // The secret never reaches the log.
    let log = ok(&h, &["audit", "--json"], None);
    assert!(
        !log.contains(&t1.trim()[4..]) && !log.contains("horse"),
        "{log}"
    );
}

fn grant<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["rights", "grant", "alice", "--study", "MS cohort"];
    a.extend_from_slice(extra);
    a
}

#[test]
fn rights_agreements_and_audit() {
    let (_d, h) = home();
    ok(
        &h,
        &["user", "add", "alice"],
        Some("correct horse battery\n"),
    );

    let g = grant(&["--rights", "see,delete"]);
    let err = fails(&h, &g, None);
    assert!(
        err.contains("\"delete\"") && err.contains("see, download, import, administer"),
        "{err}"
    );
    let err = fails(
        &h,
        &[
            "rights", "grant", "alice", "--study", "Nope", "--rights", "see",
        ],
        None,
    );
    assert!(
        err.contains("no study \"Nope\"") && err.contains("MS cohort"),
        "{err}"
    );
    let g = grant(&["--rights", "see", "--until", "31/01/2027"]);
    assert!(fails(&h, &g, None).contains("YYYY-MM-DD"));
    let g = grant(&["--rights", "see", "--center", "Paris"]);
    let err = fails(&h, &g, None);
    assert!(
        err.contains("no center \"Paris\"") && err.contains("Rennes"),
        "{err}"
    );
    let err = fails(
        &h,
        &[
            "rights",
            "grant",
            "bob",
            "--study",
            "MS cohort",
            "--rights",
            "see",
        ],
        None,
    );
    assert!(err.contains("no user \"bob\""), "{err}");

    let g = grant(&[
        "--rights",
        "see,download",
        "--until",
        "2099-01-31",
        "--center",
        "rennes",
    ]);
    ok(&h, &g, None);
    let rows = json(&h, &["rights", "ls", "--json"]);
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["user"], "alice");
    assert_eq!(rows[0]["study"], "MS cohort");
    assert_eq!(rows[0]["rights"], serde_json::json!(["see", "download"]));
    assert_eq!(rows[0]["until"], "2099-01-31");
    assert_eq!(rows[0]["centers"], serde_json::json!(["Rennes"]));
    assert_eq!(rows[0]["granted_by"], "cli");
    let text = ok(&h, &["rights", "ls", "--study", "MS cohort"], None);
    assert!(
        text.contains("see,download") && text.contains("2099-01-31"),
        "{text}"
    );

    let dua = h.parent().expect("parent").join("dua.txt");
    std::fs::write(&dua, "Cite the consortium.\n").expect("write");
    let dua = dua.to_str().expect("utf-8");
    let out = ok(
        &h,
        &["study", "agreement", "--study", "MS cohort", "--file", dua],
        None,
    );
    assert!(out.contains("version 1"), "{out}");
    let out = ok(
        &h,
        &["study", "agreement", "--study", "MS cohort", "--file", dua],
        None,
    );
    assert!(out.contains("version 2"), "{out}");

    ok(
        &h,
        &["rights", "revoke", "alice", "--study", "MS cohort"],
        None,
    );
    let err = fails(
        &h,
        &["rights", "revoke", "alice", "--study", "MS cohort"],
        None,
    );
    assert!(
        err.contains("alice has no rights on study \"MS cohort\""),
        "{err}"
    );
    assert_eq!(json(&h, &["rights", "ls", "--json"]), serde_json::json!([]));

    let log = json(&h, &["audit", "--json"]);
    let actions: Vec<&str> = log
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "right_revoke",
            "agreement_set",
            "agreement_set",
            "right_grant",
            "user_add",
            "import"
        ]
    );
    assert!(log
        .as_array()
        .expect("array")
        .iter()
        .all(|e| e["who"] == "cli"));
    assert_eq!(log[0]["study_name"], "MS cohort");
    let seqs: Vec<u64> = log
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    // The import that created the study is the first record.
    assert_eq!(seqs, [6, 5, 4, 3, 2, 1]);

    let study_only = json(&h, &["audit", "--study", "MS cohort", "--json"]);
    assert_eq!(study_only.as_array().map(Vec::len), Some(5));
    let last = json(&h, &["audit", "--limit", "1", "--json"]);
    assert_eq!(last[0]["seq"], 6);
    let text = ok(&h, &["audit"], None);
    assert!(
        text.contains("right_grant") && text.contains("user=alice"),
        "{text}"
    );
}
