//! The API as its clients see it, against a node served on 127.0.0.1: `neurofed search --json`
//! and `GET /api/v1/search` answer one JSON shape (the same answer for the same query and
//! user), and the Python client's example (`clients/python/examples/search_and_open.py`) logs
//! in, searches, downloads a NIfTI and opens it with nibabel.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::serve::{http, json as body_json, with_stdin, Server};
use crate::util::{json, neurofed, new_home, ok};

const PASSWORD: &str = "correct horse battery";

/// A home holding the generated corpus: its first subject in study "Consent cohort" (with a
/// data-use agreement), the others in "MS cohort"; `alice` may see and download both and has
/// not accepted the agreement; `alice`'s API token.
fn corpus_home() -> (tempfile::TempDir, PathBuf, String) {
    let corpus = testkit::synth_corpus();
    let (dir, home) = new_home("Rennes Neurinfo");
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    for (i, subject) in subjects.iter().enumerate() {
        let study = if i == 0 {
            "Consent cohort"
        } else {
            "MS cohort"
        };
        let card = testkit::workspace_root().join("docs/cards/mr-natures.toml");
        if i < 2 {
            ok(neurofed(&home)
                .args(["studycard", "add", "--create", "--study", study])
                .arg(&card));
        }
        json(
            neurofed(&home)
                .args(["import", "--create", "--study", study])
                .arg(subject),
        );
    }
    let text = dir.path().join("agreement.txt");
    std::fs::write(&text, "Cite the consortium.\n").unwrap();
    ok(neurofed(&home)
        .args(["study", "agreement", "--study", "Consent cohort", "--file"])
        .arg(&text));
    with_stdin(&home, &["user", "add", "alice"], &format!("{PASSWORD}\n"));
    for study in ["MS cohort", "Consent cohort"] {
        ok(neurofed(&home).args([
            "rights",
            "grant",
            "alice",
            "--study",
            study,
            "--rights",
            "see,download",
        ]));
    }
    let token = with_stdin(&home, &["user", "token", "alice", "--label", "client"], "")
        .trim()
        .to_string();
    (dir, home, token)
}

/// `neurofed serve` on a free port of 127.0.0.1, and its address.
fn serve(home: &Path) -> (Server, String) {
    crate::serve::serve_http(home, None)
}

fn get(addr: &str, path: &str, token: &str) -> Value {
    let (status, body) = http(addr, "GET", path, Some(token), b"", "text/plain");
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body_json(&body)
}

/// The keys of every object in `v`, with their JSON paths (array items as `[]`), and the JSON
/// type at each path.
fn shape(v: &Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    out.insert(format!("{at}: {kind}"));
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                shape(x, &format!("{at}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for x in a {
                shape(x, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn cli_search_json_and_the_api_answer_one_shape() {
    let (_dir, home, token) = corpus_home();
    let queries: [&[&str]; 3] = [
        &[
            "--filter",
            "nature:T1w",
            "--facet",
            "nature",
            "--facet",
            "center",
        ],
        &[
            "--facet",
            "study",
            "--sort",
            "exam_date:desc",
            "--limit",
            "5",
        ],
        &["mprage", "--filter", "-nature:bold"],
    ];
    let urls = [
        "/api/v1/search?filter=nature:T1w&facet=nature&facet=center",
        "/api/v1/search?facet=study&sort=exam_date:desc&limit=5",
        "/api/v1/search?q=mprage&filter=-nature:bold",
    ];
    let cli: Vec<Value> = queries
        .iter()
        .map(|q| json(neurofed(&home).args(["search", "--as", "alice"]).args(*q)))
        .collect();
    let (_server, addr) = serve(&home);
    for (q, (url, cli)) in queries.iter().zip(urls.iter().zip(&cli)) {
        let api = get(&addr, url, &token);
        let (mut a, mut c) = (Default::default(), Default::default());
        shape(&api, "$", &mut a);
        shape(cli, "$", &mut c);
        assert_eq!(a, c, "{q:?}: the same keys and types");
        // The same node, user and query: the same answer.
        assert_eq!(&api, cli, "{q:?}");
    }
    // The answer says why the consent cohort is not searched, in both.
    let api = get(&addr, urls[1], &token);
    assert_eq!(api["pending_agreements"][0]["study_name"], "Consent cohort");
    assert_eq!(api["pending_agreements"][0]["version"], 1);
    assert_eq!(api["pending_agreements"].as_array().map(Vec::len), Some(1));
    assert!(api["facets"]["study"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| k == "MS cohort"));
    assert!(api["total"].as_u64().unwrap() > 0);
    // The operator's CLI sees everything: nothing is pending for it.
    let all = json(neurofed(&home).args(["search", "--facet", "study"]));
    assert_eq!(all["pending_agreements"], serde_json::json!([]));
    assert_eq!(all["facets"]["study"].as_object().map(|m| m.len()), Some(2));
}

/// Whether `python3` runs at all (the test is skipped, loudly, only when it does not).
fn python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn example(args: &[&str]) -> std::process::Output {
    let script = testkit::workspace_root().join("clients/python/examples/search_and_open.py");
    Command::new("python3")
        .arg(script)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap()
}

/// The line of `out` starting with `prefix`, without it.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{out}"))
}

#[test]
fn the_python_example_logs_in_searches_downloads_and_opens_a_nifti() {
    if !python3() {
        eprintln!("SKIPPED: python3 is not installed; the Python client's example was not run");
        return;
    }
    let (_dir, home, token) = corpus_home();
    // alice accepts the consent cohort's agreement: both studies are searched.
    let (_server, addr) = serve(&home);
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/studies/Consent%20cohort/agreement/accept",
        Some(&token),
        br#"{"version": 1}"#,
        "application/json",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let url = format!("http://{addr}");
    let t1_total = get(&addr, "/api/v1/search?filter=nature:T1w&limit=0", &token)["total"]
        .as_u64()
        .unwrap();
    assert!(t1_total > 0);

    for auth in [
        vec!["--user", "alice", "--password", PASSWORD],
        vec!["--token", token.as_str()],
    ] {
        let mut args = vec!["--url", url.as_str()];
        args.extend(&auth);
        let out = example(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{auth:?}: exit {}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            line(&stdout, "search nature:T1w: "),
            format!("{t1_total} datasets")
        );
        // The dataset it opened, and what the node says of it.
        let dataset = line(&stdout, "dataset ").split(' ').next().unwrap();
        let detail = get(&addr, &format!("/api/v1/datasets/{dataset}"), &token);
        assert_eq!(detail["acquisition"]["modality"], "MR");
        assert_eq!(detail["cards"]["current"]["nature"], "T1w", "{detail}");
        let shape: Vec<u64> = line(&stdout, "shape ")
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        let want: Vec<u64> = detail["nifti"]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        assert_eq!(shape, want, "the image's shape is the dataset's");
        assert_eq!(shape.len(), 3, "a T1w volume: {shape:?}");
        assert!(shape.iter().all(|&n| n > 1), "{shape:?}");
        // The affine: four rows of four numbers, the last 0 0 0 1, an invertible 3x3.
        let rows: Vec<Vec<f64>> = stdout
            .lines()
            .skip_while(|l| *l != "affine")
            .skip(1)
            .take(4)
            .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
            .collect();
        assert_eq!(rows.len(), 4, "{stdout}");
        assert!(rows.iter().all(|r| r.len() == 4), "{stdout}");
        assert_eq!(rows[3], [0.0, 0.0, 0.0, 1.0]);
        let m = |i: usize, j: usize| rows[i][j];
        let det = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1))
            - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
            + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
        assert!(det.abs() > 1e-6, "singular affine: {rows:?}");
    }

    // Refusals reach the user with the server's explanation, and a non-zero exit.
    let out = example(&[
        "--url",
        &url,
        "--user",
        "alice",
        "--password",
        "wrong password",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong user name or password"), "{err}");
    let out = example(&["--url", &url, "--token", &token, "--filter", "colour:red"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid_query") && err.contains("colour"),
        "{err}"
    );
}
