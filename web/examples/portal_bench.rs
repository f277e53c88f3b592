//! Portal benchmark (issue 13): the server time of each page, p50 and p99 over R requests, on a
//! catalog of N synthetic datasets (default 100,000; metadata only, as the search benchmark
//! builds it), through the whole router (`web::app`: session check, rights, audit, rendering)
//! in-process, so the figure is the server's time without the network. As an administrator
//! (sees everything) and as a user with rights on 3 of the 10 studies.
//!
//! Then (unless `--no-corpus`) the pages with pixels on the generated corpus's first subject,
//! imported in a node of its own: dataset, slices, a cached preview, subject, study tree.
//!
//! usage: portal_bench [--datasets N] [--requests R] [--dir DIR] [--no-corpus]
//! The last line printed is one JSON object: {"datasets", "pages": {page: {"p50_ms", "p99_ms"}}}.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use node::synthetic::{build_catalog, Rng};
use tower::ServiceExt;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Server times (ms) of `reqs` GETs of `path` with `token`, after 10 warm-up ones.
fn time(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    path: &str,
    token: &str,
    reqs: usize,
) -> Vec<f64> {
    let mut times = Vec::with_capacity(reqs);
    for i in 0..reqs + 10 {
        let req = Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let t = Instant::now();
        let resp = rt.block_on(app.clone().oneshot(req)).unwrap();
        let status = resp.status();
        let _ = rt
            .block_on(axum::body::to_bytes(resp.into_body(), 1 << 26))
            .unwrap();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(status.is_success(), "{path}: {status}");
        if i >= 10 {
            times.push(ms);
        }
    }
    times
}

/// The generated corpus's first subject in a node of its own: the pages with real pixels
/// (dataset, slices, previews), first (volume decoded) and cached.
fn corpus_pages(
    dir: &std::path::Path,
    reqs: usize,
    out: &mut serde_json::Map<String, serde_json::Value>,
) {
    let corpus = testkit::synth_corpus();
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    let node = Arc::new(
        node::Home::new(dir.join("corpus-home"))
            .init("Bench corpus", Some([7; 32]))
            .unwrap(),
    );
    let opts = node::ImportOptions {
        study: Some("corpus".into()),
        ..node::ImportOptions::default()
    };
    node::Importer::new(&node)
        .run(&subjects[..1], &opts, &node::NoProgress)
        .unwrap();
    use node::{Access, NewUser, PasswordCost, Principal, Role};
    let access = Access::with_password_cost(&node.catalog, PasswordCost::INSECURE_FAST);
    let (op, now) = (Principal::Operator, node::now());
    access
        .users()
        .add(
            &op,
            NewUser::new("corpus-admin", Role::Admin),
            "bench password",
            now,
        )
        .unwrap();
    let token = access
        .tokens()
        .create(&op, "corpus-admin", "bench", None, now)
        .unwrap()
        .0;
    let rows = node.catalog.dataset_rows().unwrap();
    let r = rows
        .iter()
        .filter(|r| r.dataset.nifti.is_some())
        .max_by_key(|r| r.dataset.dicom.instances)
        .expect("a dataset with a NIfTI volume");
    let ds = r.dataset.id;
    let app = web::app(web::AppState::new(node.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The first preview decodes the volume: timed alone.
    let req = Request::get(format!("/datasets/{ds}/preview.png?plane=sagittal"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let resp = rt.block_on(app.clone().oneshot(req)).unwrap();
    assert!(resp.status().is_success());
    let _ = rt.block_on(axum::body::to_bytes(resp.into_body(), 1 << 26));
    let cold = t.elapsed().as_secs_f64() * 1000.0;
    println!("first preview (volume read, inflated, decoded): {cold:.1} ms");
    out.insert(
        "corpus: first preview (cold)".into(),
        serde_json::json!({"admin": {"p50_ms": (cold * 100.0).round() / 100.0}}),
    );
    println!(
        "corpus dataset {ds}: {} instances",
        r.dataset.dicom.instances
    );
    for (name, path) in [
        ("corpus: dataset", format!("/datasets/{ds}")),
        (
            "corpus: slices",
            format!("/datasets/{ds}/slices?plane=axial"),
        ),
        (
            "corpus: preview (cached)",
            format!("/datasets/{ds}/preview.png?plane=axial"),
        ),
        ("corpus: subject", format!("/subjects/{}", r.subject.id)),
        ("corpus: study tree", format!("/studies/{}", r.study.id)),
    ] {
        let mut times = time(&rt, &app, &path, &token, reqs);
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (pct(&times, 0.5), pct(&times, 0.99));
        println!("{name:<24} {p50:>9.2} {p99:>9.2}");
        out.insert(
            name.into(),
            serde_json::json!({"admin": {"p50_ms": (p50 * 100.0).round() / 100.0, "p99_ms": (p99 * 100.0).round() / 100.0}}),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--datasets").map_or(100_000, |v| v.parse().unwrap());
    let reqs: usize = arg(&args, "--requests").map_or(200, |v| v.parse().unwrap());
    let shm = std::path::Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let dir: PathBuf = arg(&args, "--dir").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let node = Arc::new(
        node::Home::new(dir.join("home"))
            .init("Bench center", Some([7; 32]))
            .unwrap(),
    );
    let mut rng = Rng(42);
    let t = Instant::now();
    let studies = build_catalog(&node.catalog, n, &mut rng);
    node.index.rebuild(&node.catalog).unwrap();
    println!(
        "{n} datasets written and indexed in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    use node::{Access, Grant, NewUser, PasswordCost, Principal, Role};
    let access = Access::with_password_cost(&node.catalog, PasswordCost::INSECURE_FAST);
    let (op, now) = (Principal::Operator, node::now());
    let mut tokens = Vec::new();
    for (name, role) in [("bench-admin", Role::Admin), ("bench-user", Role::User)] {
        access
            .users()
            .add(&op, NewUser::new(name, role), "bench password", now)
            .unwrap();
        tokens.push(
            access
                .tokens()
                .create(&op, name, "bench", None, now)
                .unwrap()
                .0,
        );
    }
    for s in &studies[..3] {
        access
            .rights()
            .grant(
                &op,
                "bench-user",
                *s,
                Grant {
                    rights: "see,download".parse().unwrap(),
                    until: None,
                    centers: None,
                },
                now,
            )
            .unwrap();
    }
    let rows = node.catalog.dataset_rows().unwrap();
    let ds = rows
        .iter()
        .find(|r| r.study.id == studies[0])
        .unwrap()
        .dataset
        .id;
    let study = studies[0];
    let row = rows.iter().find(|r| r.dataset.id == ds).unwrap();
    let (subject, exam) = (row.subject.id, row.examination.id);
    let state = web::AppState::new(node.clone()).unwrap();
    let app = web::app(state);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pages: Vec<(&str, String)> = vec![
        ("home", "/".into()),
        ("search (all)", "/search".into()),
        ("search (text)", "/search?q=mprage".into()),
        (
            "search (facet filter)",
            "/search?filter=nature%3AT1w".into(),
        ),
        (
            "search (page 40)",
            "/search?filter=nature%3AT1w&offset=1000".into(),
        ),
        ("studies", "/studies".into()),
        ("study tree", format!("/studies/{study}")),
        ("subject", format!("/subjects/{subject}")),
        ("examination", format!("/examinations/{exam}")),
        ("dataset", format!("/datasets/{ds}")),
        ("slices", format!("/datasets/{ds}/slices")),
        ("study cards", format!("/studies/{study}/cards")),
        ("import", "/import".into()),
        ("consortium", "/consortium".into()),
        ("scores", "/scores".into()),
        ("access requests", "/access-requests".into()),
        ("rights", format!("/studies/{study}/rights")),
        ("audit", "/audit".into()),
        ("stats (admin)", "/stats".into()),
    ];
    let mut out = serde_json::Map::new();
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9}",
        "page", "admin p50", "p99", "user p50", "p99"
    );
    for (name, path) in &pages {
        let mut row = serde_json::Map::new();
        let mut line = format!("{name:<24}");
        for (who, token) in [("admin", &tokens[0]), ("user", &tokens[1])] {
            // Pages of the study's or the node's managers: the user is refused them.
            if ["stats (admin)", "rights", "audit"].contains(name) && who == "user" {
                line.push_str(&format!(" {:>9} {:>9}", "-", "-"));
                continue;
            }
            let mut times = time(&rt, &app, path, token, reqs);
            times.sort_by(f64::total_cmp);
            let (p50, p99) = (pct(&times, 0.5), pct(&times, 0.99));
            line.push_str(&format!(" {p50:>9.2} {p99:>9.2}"));
            row.insert(
                who.into(),
                serde_json::json!({"p50_ms": (p50 * 100.0).round() / 100.0, "p99_ms": (p99 * 100.0).round() / 100.0}),
            );
        }
        println!("{line}");
        out.insert(name.to_string(), serde_json::Value::Object(row));
    }
    if !args.iter().any(|a| a == "--no-corpus") {
        corpus_pages(&dir, reqs, &mut out);
    }
    println!("{}", serde_json::json!({"datasets": n, "pages": out}));
}
