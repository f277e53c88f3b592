//! Search benchmark (issue 5): a catalog of N synthetic datasets (metadata only) written through
//! `Catalog::commit_series` with fake manifests (no blob exists: search never reads them), the
//! index rebuilt from it with `Index::rebuild`, then
//! - single-client latency (p50/p99) of a mix of text, filter, filter+facets, range and
//!   date-sorted queries, and of each kind;
//! - throughput with 4 clients, twice: 4 threads calling `Index::search` in-process on the
//!   shared index, and 4 HTTP clients (keep-alive connections, one thread each) sending the same
//!   mix to `GET /api/v1/search` of the real API (`web::app`, tokens, rights, audit) served on
//!   127.0.0.1 by this process.
//!
//! usage: search_bench [--datasets N] [--queries Q] [--seconds S] [--dir DIR]
//! (default DIR: a temporary directory in /dev/shm when it exists, removed at the end)
//! The last line printed is one JSON object: {"datasets", "p50_ms", "p99_ms", "qps_4_clients"}
//! (`qps_4_clients`: over HTTP; `qps_4_threads_in_process` also given).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use node::synthetic::{build_catalog, Rng};
use node::{parse_facet, parse_filter, parse_sort};
use node::{AccessScope, StudyScope};
use protocol::query::{Page, SearchQuery};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A query of each kind, with varying values.
/// One query of the mix as HTTP query parameters (the API's language); [`query`] parses the same
/// parameters with the index's parsers, so both paths run the very same queries.
fn params(kind: usize, rng: &mut Rng) -> Vec<(&'static str, String)> {
    let nature = *rng.pick(&["T1w", "T2w", "FLAIR", "bold", "dwi"]);
    let mut p: Vec<(&'static str, String)> = Vec::new();
    match kind {
        // Text.
        0 => p.push((
            "q",
            rng.pick(&[
                "mprage",
                "flair",
                "bold rest",
                "prisma",
                "siemens 3d",
                "t1_mprage_sag_1mm",
                "ms cohort",
                "dwi 64dir",
            ])
            .to_string(),
        )),
        // Filters.
        1 => {
            p.push(("filter", format!("nature:{nature}")));
            p.push((
                "filter",
                rng.pick(&["field_strength:3", "field_strength:1.5", "manufacturer:GE"])
                    .to_string(),
            ));
        }
        // Filtered facet query (the target).
        2 => {
            p.push(("filter", format!("nature:{nature}")));
            p.push((
                "filter",
                rng.pick(&["sex:F", "sex:M", "qc_grade:pass"]).to_string(),
            ));
            for f in [
                "study",
                "center",
                "manufacturer",
                "model",
                "field_strength",
                "exam_year",
                "age_band",
                "sex",
            ] {
                p.push(("facet", f.to_string()));
            }
        }
        // Ranges.
        3 => {
            p.push(("filter", "tr:[1000 TO 2500]".to_string()));
            p.push((
                "filter",
                rng.pick(&[
                    "age:[30 TO 50]",
                    "te:[* TO 10]",
                    "slice_thickness:[* TO 1.5]",
                ])
                .to_string(),
            ));
            p.push(("facet", "nature".to_string()));
        }
        // Sorted by date, with a date range.
        _ => {
            p.push((
                "filter",
                format!("exam_date:[{}-01-01 TO *]", 2005 + rng.below(18)),
            ));
            p.push(("sort", "exam_date:desc".to_string()));
            p.push(("limit", "50".to_string()));
        }
    }
    p
}

/// The [`SearchQuery`] of `params`.
fn query(kind: usize, rng: &mut Rng) -> SearchQuery {
    let mut q = SearchQuery::default();
    for (k, v) in params(kind, rng) {
        match k {
            "q" => q.text = Some(v),
            "filter" => q.filters.push(parse_filter(&v).unwrap()),
            "facet" => q.facets.push(parse_facet(&v).unwrap()),
            "sort" => q.sort = parse_sort(&v).unwrap(),
            "limit" => {
                q.page = Page {
                    offset: 0,
                    size: v.parse().unwrap(),
                }
            }
            other => unreachable!("{other}"),
        }
    }
    q
}

/// The request path of `params`.
fn path(params: &[(&'static str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    format!("/api/v1/search?{}", s.finish())
}

/// A keep-alive HTTP/1.1 client of one connection.
struct HttpClient {
    stream: BufReader<TcpStream>,
    addr: String,
    token: String,
}

impl HttpClient {
    fn connect(addr: &str, token: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        HttpClient {
            stream: BufReader::new(stream),
            addr: addr.to_string(),
            token: token.to_string(),
        }
    }

    /// GET `path`; the body length. Panics unless the answer is 200.
    fn get(&mut self, path: &str) -> usize {
        write!(
            self.stream.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
            self.addr,
            self.token
        )
        .unwrap();
        let mut status = String::new();
        self.stream.read_line(&mut status).unwrap();
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).unwrap();
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "{path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        len
    }
}

/// Two accounts: an admin (sees everything) and a user with `see` on 3 studies; their tokens.
fn accounts(node: &node::Node, studies: &[protocol::id::StudyId]) -> [String; 2] {
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
                    rights: "see".parse().unwrap(),
                    until: None,
                    centers: None,
                },
                now,
            )
            .unwrap();
    }
    [tokens[0].clone(), tokens[1].clone()]
}

/// Queries/s of 4 HTTP clients over `secs`, two connections as each account.
fn http_throughput(node: Arc<node::Node>, studies: &[protocol::id::StudyId], secs: f64) -> f64 {
    let tokens = accounts(&node, studies);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let state = web::AppState::new(node).unwrap();
    rt.spawn(async move { axum::serve(listener, web::app(state)).await });
    // Warm the server.
    for (c, token) in tokens.iter().enumerate() {
        let mut client = HttpClient::connect(&addr, token);
        let mut rng = Rng(500 + c as u64);
        for i in 0..50 {
            client.get(&path(&params(i % 5, &mut rng)));
        }
    }
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..4u64 {
            let (stop, done, addr, token) = (&stop, &done, &addr, &tokens[c as usize % 2]);
            s.spawn(move || {
                let mut client = HttpClient::connect(addr, token);
                let mut rng = Rng(2000 + c);
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    client.get(&path(&params(i % 5, &mut rng)));
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let qps = done.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
    drop(rt);
    qps
}

const KIND_NAMES: [&str; 5] = ["text", "filter", "filter+facets", "range", "date sort"];

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--datasets").map_or(100_000, |v| v.parse().unwrap());
    let nq: usize = arg(&args, "--queries").map_or(5_000, |v| v.parse().unwrap());
    let secs: f64 = arg(&args, "--seconds").map_or(10.0, |v| v.parse().unwrap());
    // Memory-backed when possible: `commit_series` syncs once per series (280/s on this disk,
    // 6 minutes for 100k), and the benchmark is about search, not catalog durability.
    let shm = std::path::Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let dir: PathBuf = arg(&args, "--dir").map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let mut rng = Rng(42);

    let t = Instant::now();
    // A real node home (config, keys, catalog, index), so that the HTTP API can serve it.
    let node = Arc::new(
        node::Home::new(dir.join("home"))
            .init("Bench center", Some([7; 32]))
            .unwrap(),
    );
    let catalog = &node.catalog;
    let studies = build_catalog(catalog, n, &mut rng);
    let catalog_s = t.elapsed().as_secs_f64();
    let index = &node.index;
    let t = Instant::now();
    let indexed = index.rebuild(catalog).unwrap();
    let index_s = t.elapsed().as_secs_f64();
    assert_eq!(indexed, n);
    println!(
        "datasets {n}: catalog written in {catalog_s:.1} s ({:.0}/s), index rebuilt in {index_s:.1} s ({:.0}/s)",
        n as f64 / catalog_s,
        n as f64 / index_s
    );
    // A user's scope: 3 of the 10 studies.
    let user_scope = AccessScope::Studies(
        studies[..3]
            .iter()
            .map(|s| StudyScope {
                study: *s,
                centers: None,
            })
            .collect(),
    );

    // Warm-up, then the single-client mix (every kind in turn, half as a user with 3 studies).
    let scopes = [AccessScope::All, user_scope];
    for i in 0..200 {
        let q = query(i % 5, &mut rng);
        index.search(&q, &scopes[i % 2]).unwrap();
    }
    let mut per_kind: Vec<Vec<f64>> = vec![Vec::new(); 5];
    let mut all = Vec::with_capacity(nq);
    let mut hits = 0u64;
    for i in 0..nq {
        let kind = i % 5;
        let q = query(kind, &mut rng);
        let t = Instant::now();
        let r = index.search(&q, &scopes[(i / 5) % 2]).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        hits += r.total.exact().unwrap_or(0);
        per_kind[kind].push(ms);
        all.push(ms);
    }
    std::hint::black_box(hits);
    println!("| query kind | p50 (ms) | p99 (ms) | queries |");
    println!("| --- | ---: | ---: | ---: |");
    for (k, v) in per_kind.iter_mut().enumerate() {
        v.sort_by(f64::total_cmp);
        println!(
            "| {} | {:.2} | {:.2} | {} |",
            KIND_NAMES[k],
            pct(v, 0.5),
            pct(v, 0.99),
            v.len()
        );
    }
    all.sort_by(f64::total_cmp);
    let (p50, p99) = (pct(&all, 0.5), pct(&all, 0.99));
    println!("| **mix** | {p50:.2} | {p99:.2} | {} |", all.len());

    // Throughput: 4 client threads, in-process.
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..4u64 {
            let (index, stop, done, scopes) = (index, &stop, &done, &scopes);
            s.spawn(move || {
                let mut rng = Rng(1000 + c);
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let q = query(i % 5, &mut rng);
                    index.search(&q, &scopes[(i / 5) % 2]).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let qps_threads = done.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
    println!("4 threads calling Index::search in-process: {qps_threads:.0} queries/s");
    let qps_http = http_throughput(node.clone(), &studies, secs);
    println!("4 HTTP clients, GET /api/v1/search (keep-alive, same mix, audited): {qps_http:.0} queries/s");
    println!(
        "{}",
        serde_json::json!({
            "datasets": n,
            "p50_ms": (p50 * 1000.0).round() / 1000.0,
            "p99_ms": (p99 * 1000.0).round() / 1000.0,
            "qps_4_clients": qps_http.round(),
            "qps_4_threads_in_process": qps_threads.round(),
        })
    );
}
