//! `neurofed search` and `reindex` on the generated corpus imported with the example cards:
//! totals and facet counts equal what `truth.tsv` (and `ls`) imply, text, filters, ranges and
//! completions; and the rights matrix (`--as USER`) for hits AND facet counts.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::*;

fn docs_card(name: &str) -> PathBuf {
    testkit::workspace_root().join("docs/cards").join(name)
}

/// The nature the example card gives each generated series.
fn nature_of(series: &str) -> &'static str {
    match series {
        "t1_mprage_sag_1mm" => "T1w",
        "t2_tse_tra_2mm" => "T2w",
        "bold_rest_ep2d" => "bold",
        other => panic!("unexpected series {other}"),
    }
}

/// Repetition time of each generated series (docs/cards/mr-natures.toml lists them).
fn tr_of(series: &str) -> f64 {
    match series {
        "t1_mprage_sag_1mm" => 2300.0,
        "t2_tse_tra_2mm" => 6000.0,
        "bold_rest_ep2d" => 2000.0,
        other => panic!("unexpected series {other}"),
    }
}

/// `055Y` -> `50-59`.
fn band(age: &str) -> String {
    let years: u32 = age.trim_end_matches('Y').parse().unwrap();
    let lo = years / 10 * 10;
    format!("{lo}-{}", lo + 9)
}

fn tally<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v.to_string()).or_default() += 1;
    }
    m
}

/// Facet `field` of a `--json` result (`"facets": {"field": {"value": count}}`, as the HTTP
/// API answers) as value -> count.
fn facet(r: &Value, field: &str) -> BTreeMap<String, u64> {
    r["facets"][field]
        .as_object()
        .unwrap_or_else(|| panic!("no facet {field} in {r}"))
        .iter()
        .map(|(v, n)| (v.clone(), n.as_u64().unwrap()))
        .collect()
}

fn search(home: &Path, args: &[&str]) -> Value {
    json(neurofed(home).arg("search").args(args))
}

fn total(r: &Value) -> u64 {
    r["total"].as_u64().unwrap()
}

struct Carded {
    _dir: tempfile::TempDir,
    home: PathBuf,
    corpus: PathBuf,
}

/// The generated corpus imported into study "S" with the example natures and quality cards.
fn carded() -> &'static Carded {
    static F: OnceLock<Carded> = OnceLock::new();
    F.get_or_init(|| {
        let corpus = testkit::synth_corpus();
        let (dir, home) = new_home("Search center");
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
        Carded {
            _dir: dir,
            home,
            corpus,
        }
    })
}

const FACETS: [&str; 9] = [
    "--facet=nature",
    "--facet=modality",
    "--facet=sex",
    "--facet=age_band",
    "--facet=exam_year",
    "--facet=study",
    "--facet=center",
    "--facet=has_nifti",
    "--facet=bids_datatype",
];

#[test]
fn counts_equal_what_the_corpus_implies() {
    let f = carded();
    let truth = testkit::truth(&f.corpus);
    let r = search(&f.home, &[&FACETS[..], &["--limit", "100"]].concat());
    assert_eq!(total(&r), truth.len() as u64);
    assert_eq!(r["hits"].as_array().unwrap().len(), truth.len());
    assert_eq!(
        facet(&r, "nature"),
        tally(truth.iter().map(|t| nature_of(t.get("series"))))
    );
    assert_eq!(
        facet(&r, "nature"),
        tally(["T1w"; 6].into_iter().chain(["T2w"; 6]).chain(["bold"; 6]))
    );
    assert_eq!(facet(&r, "modality"), BTreeMap::from([("MR".into(), 18)]));
    assert_eq!(
        facet(&r, "sex"),
        tally(truth.iter().map(|t| t.get("PatientSex")))
    );
    assert_eq!(
        facet(&r, "age_band"),
        tally(
            truth
                .iter()
                .map(|t| band(t.get("PatientAge")))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
        )
    );
    assert_eq!(facet(&r, "study"), BTreeMap::from([("S".into(), 18)]));
    assert_eq!(
        facet(&r, "center"),
        BTreeMap::from([("Search center".into(), 18)])
    );
    assert_eq!(
        facet(&r, "bids_datatype"),
        BTreeMap::from([("anat".into(), 12), ("func".into(), 6)])
    );
    // Dates are shifted at import: the years come from the catalog's listing, not from truth.
    let ls = json(neurofed(&f.home).arg("ls"));
    let years: Vec<String> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["examination_date"].as_str().unwrap()[..4].to_string())
        .collect();
    assert_eq!(
        facet(&r, "exam_year"),
        tally(years.iter().map(String::as_str))
    );
    let nifti = ls
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["nifti"] == true)
        .count() as u64;
    assert_eq!(
        facet(&r, "has_nifti").get("true").copied().unwrap_or(0),
        nifti
    );
    // Every hit is a listed dataset, with its listed summary.
    for h in r["hits"].as_array().unwrap() {
        let row = ls
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["dataset"] == h["dataset"])
            .unwrap();
        assert_eq!(h["subject"], row["subject"]);
        assert_eq!(h["exam_date"], row["examination_date"]);
        assert_eq!(h["series_description"], row["series_description"]);
        assert_eq!(h["nature"], row["nature"]);
        assert_eq!(h["content"].as_str().map(str::len), Some(64));
    }
}

#[test]
fn text_filters_ranges_and_completions() {
    let f = carded();
    let truth = testkit::truth(&f.corpus);
    let t1 = truth
        .iter()
        .filter(|t| t.get("series") == "t1_mprage_sag_1mm");
    let t1_sex = tally(t1.clone().map(|t| t.get("PatientSex")));

    let r = search(&f.home, &["mprage"]);
    assert_eq!(total(&r), t1.clone().count() as u64);
    assert_eq!(total(&r), 6);
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["series_description"] == "t1_mprage_sag_1mm"));

    let r = search(
        &f.home,
        &[
            "--filter",
            "nature:T1w",
            "--facet",
            "nature",
            "--facet",
            "sex",
        ],
    );
    assert_eq!(total(&r), 6);
    assert_eq!(facet(&r, "nature"), BTreeMap::from([("T1w".into(), 6)]));
    assert_eq!(facet(&r, "sex"), t1_sex);

    let in_range = truth
        .iter()
        .filter(|t| (1000.0..=2500.0).contains(&tr_of(t.get("series"))))
        .count() as u64;
    let r = search(
        &f.home,
        &["--filter", "tr:[1000 TO 2500]", "--facet", "nature"],
    );
    assert_eq!(total(&r), in_range);
    assert_eq!(total(&r), 12);
    assert_eq!(
        facet(&r, "nature"),
        BTreeMap::from([("T1w".into(), 6), ("bold".into(), 6)])
    );

    let r = search(
        &f.home,
        &[
            "--filter",
            "-nature:bold",
            "--filter",
            "qc_grade:pass",
            "--limit",
            "0",
        ],
    );
    assert_eq!(total(&r), 12);
    assert!(r["hits"].as_array().unwrap().is_empty());

    let r = search(
        &f.home,
        &["--sort", "exam_date:asc", "--limit", "3", "--offset", "1"],
    );
    let all = search(&f.home, &["--sort", "exam_date:asc", "--limit", "100"]);
    assert_eq!(
        r["hits"].as_array().unwrap()[..],
        all["hits"].as_array().unwrap()[1..4]
    );

    let s = json(neurofed(&f.home).args(["search", "--suggest", "mpr"]));
    assert_eq!(s, serde_json::json!(["t1_mprage_sag_1mm"]));

    let text = ok(neurofed(&f.home).args(["search", "--facet", "nature:2", "bold"]));
    assert!(text.starts_with("6 datasets\n"), "{text}");
    assert!(
        text.contains("bold_rest_ep2d") && text.contains("nature: bold 6"),
        "{text}"
    );

    for (bad, why) in [
        ("colour:red", "unknown field"),
        ("tr:[5 TO 1]", "min is greater than max"),
        ("tr:[x TO 1]", "not a number"),
    ] {
        let out = neurofed(&f.home)
            .args(["search", "--filter", bad])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{bad}: {err}");
    }
    let out = neurofed(&f.home)
        .args(["search", "--limit", "100000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("page size"));
}

#[test]
fn reindex_rebuilds_the_same_answers() {
    let corpus = testkit::synth_corpus();
    let (_dir, home) = new_home("Reindex center");
    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", "S"])
        .arg(docs_card("mr-natures.toml")));
    json(
        neurofed(&home)
            .args(["import", "--create", "--study", "S"])
            .arg(&corpus),
    );
    let before = search(&home, &[&FACETS[..], &["--limit", "100"]].concat());
    // A lost index is rebuilt from the catalog when the node opens...
    std::fs::remove_dir_all(home.join("index")).unwrap();
    let rebuilt = search(&home, &[&FACETS[..], &["--limit", "100"]].concat());
    assert_eq!(before, rebuilt);
    // ...and `reindex` rebuilds it on demand.
    let n = json(neurofed(&home).arg("reindex"));
    assert_eq!(n["datasets"], 18);
    let after = search(&home, &[&FACETS[..], &["--limit", "100"]].concat());
    assert_eq!(before, after);
    assert!(ok(neurofed(&home).arg("reindex")).contains("Indexed 18 datasets."));
}

fn with_stdin(home: &Path, args: &[&str], input: &str) {
    let mut c = neurofed(home);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_success(&out, &c);
}

/// What `USER` sees (`--as`), with study and nature counts.
fn as_user(
    home: &Path,
    user: &str,
    extra: &[&str],
) -> (u64, BTreeMap<String, u64>, BTreeMap<String, u64>, Value) {
    let mut args = vec![
        "--as", user, "--facet", "study", "--facet", "nature", "--limit", "100",
    ];
    args.extend_from_slice(extra);
    let r = search(home, &args);
    let studies = facet(&r, "study");
    let natures = facet(&r, "nature");
    // Hits and counts agree: no hidden hit is counted, no counted hit is hidden.
    assert_eq!(studies.values().sum::<u64>(), total(&r), "{r}");
    assert_eq!(r["hits"].as_array().unwrap().len() as u64, total(&r));
    (total(&r), studies, natures, r)
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn rights_matrix_for_hits_and_facet_counts() {
    let corpus = testkit::synth_corpus();
    let (dir, home) = new_home("Rennes");
    for s in ["A", "B"] {
        ok(neurofed(&home)
            .args(["studycard", "add", "--create", "--study", s])
            .arg(docs_card("mr-natures.toml")));
    }
    // The corpus split: its first subject in study A, the others in study B.
    let truth = testkit::truth(&corpus);
    let first = truth[0].get("dir").split('/').next().unwrap().to_string();
    let a_count = truth
        .iter()
        .filter(|t| t.get("dir").starts_with(&format!("{first}/")))
        .count() as u64;
    let b_count = truth.len() as u64 - a_count;
    assert!(a_count > 0 && b_count > 0);
    json(
        neurofed(&home)
            .args(["import", "--create", "--study", "A"])
            .arg(corpus.join(&first)),
    );
    for e in std::fs::read_dir(&corpus).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && !p.ends_with(&first) {
            json(
                neurofed(&home)
                    .args(["import", "--create", "--study", "B"])
                    .arg(&p),
            );
        }
    }
    let a_natures = map(&[
        ("T1w", a_count / 3),
        ("T2w", a_count / 3),
        ("bold", a_count / 3),
    ]);
    for u in ["alice", "bob"] {
        with_stdin(&home, &["user", "add", u], "correct horse battery\n");
    }
    with_stdin(
        &home,
        &["user", "add", "root", "--admin"],
        "correct horse battery\n",
    );
    let grant = |extra: &[&str]| {
        let mut a = vec![
            "rights", "grant", "alice", "--study", "A", "--rights", "see",
        ];
        a.extend_from_slice(extra);
        ok(neurofed(&home).args(&a));
    };

    // The operator and an admin see everything.
    assert_eq!(total(&search(&home, &[])), a_count + b_count);
    assert_eq!(as_user(&home, "root", &[]).0, a_count + b_count);

    // No right: no hit, no count.
    let (n, studies, natures, _) = as_user(&home, "alice", &[]);
    assert_eq!((n, studies.len(), natures.len()), (0, 0, 0));

    // See on A only (through the end of 2099).
    grant(&["--until", "2099-12-31"]);
    let (n, studies, natures, r) = as_user(&home, "alice", &[]);
    assert_eq!(n, a_count);
    assert_eq!(studies, map(&[("A", a_count)]));
    assert_eq!(natures, a_natures);
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["study"]["name"] == "A"));
    assert_eq!(as_user(&home, "alice", &["--at", "2099-12-31"]).0, a_count);
    // Expired.
    let (n, studies, natures, _) = as_user(&home, "alice", &["--at", "2100-01-01"]);
    assert_eq!((n, studies.len(), natures.len()), (0, 0, 0));
    // Completions follow the scope too.
    let s = json(neurofed(&home).args([
        "search",
        "--suggest",
        "--as",
        "alice",
        "--at",
        "2100-01-01",
        "mpr",
    ]));
    assert_eq!(s, serde_json::json!([]));
    let s = json(neurofed(&home).args(["search", "--suggest", "--as", "alice", "mpr"]));
    assert_eq!(s, serde_json::json!(["t1_mprage_sag_1mm"]));

    // Center-limited: to the node's own center (where all of A was acquired), then to another.
    grant(&["--center", "Rennes"]);
    let (n, studies, _, _) = as_user(&home, "alice", &[]);
    assert_eq!((n, studies), (a_count, map(&[("A", a_count)])));
    {
        // The CLI names only recorded centers: limit the right to an unrecorded one directly.
        let node = node::Node::open(&node::Home::new(home.clone())).unwrap();
        let access = node::Access::new(&node.catalog);
        let study = node.catalog.study_by_name("A").unwrap().unwrap().id;
        access
            .rights()
            .grant(
                &node::Principal::Operator,
                "alice",
                study,
                node::Grant {
                    rights: "see".parse().unwrap(),
                    until: None,
                    centers: Some(vec![protocol::id::CenterId::new()]),
                },
                node::now(),
            )
            .unwrap();
    }
    let (n, studies, natures, _) = as_user(&home, "alice", &[]);
    assert_eq!((n, studies.len(), natures.len()), (0, 0, 0));

    // An agreement not yet accepted hides the study; once accepted, it shows.
    grant(&[]);
    let dua = dir.path().join("dua.txt");
    std::fs::write(&dua, "Cite the consortium.\n").unwrap();
    ok(neurofed(&home)
        .args(["study", "agreement", "--study", "A", "--file"])
        .arg(&dua));
    let (n, studies, natures, _) = as_user(&home, "alice", &[]);
    assert_eq!((n, studies.len(), natures.len()), (0, 0, 0));
    {
        // Accepting is the user's act (portal or API); the CLI has no command for it.
        let node = node::Node::open(&node::Home::new(home.clone())).unwrap();
        let access = node::Access::new(&node.catalog);
        let study = node.catalog.study_by_name("A").unwrap().unwrap().id;
        let alice = access.users().require("alice").unwrap();
        let version = access.agreements().current(study).unwrap().unwrap().version;
        access
            .agreements()
            .accept(&node::Principal::User(alice), study, version, node::now())
            .unwrap();
    }
    let (n, studies, natures, _) = as_user(&home, "alice", &[]);
    assert_eq!((n, studies), (a_count, map(&[("A", a_count)])));
    assert_eq!(natures, a_natures);

    // A public study is visible to every account (no CLI command sets the flag yet).
    {
        let node = node::Node::open(&node::Home::new(home.clone())).unwrap();
        let mut b = node.catalog.study_by_name("B").unwrap().unwrap();
        b.public = true;
        node.catalog.update_study(&b).unwrap();
    }
    let (n, studies, _, _) = as_user(&home, "bob", &[]);
    assert_eq!((n, studies), (b_count, map(&[("B", b_count)])));
    let (n, studies, _, _) = as_user(&home, "alice", &[]);
    assert_eq!(
        (n, studies),
        (a_count + b_count, map(&[("A", a_count), ("B", b_count)]))
    );
}
