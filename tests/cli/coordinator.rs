//! The coordinator as a service: `create / admit / roster / join / serve` alone make a working
//! consortium (no member is handed a revocation list), `neurofed serve --coordinator` re-signs
//! the list on its schedule and spreads a roster naming a newly admitted member, and when the
//! coordinator is away past the list's window the members refuse grants with
//! `revocation_list_stale`, which the API and the CLI explain.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::federation::{free_port, get, node_peer_id, subject_dirs};
use crate::serve::{spawn, with_stdin, Server};
use crate::util::{json, neurofed, new_home, ok};

fn serve(home: &Path, port: u16, extra: &[&str], log: &Path) -> (Server, String) {
    let p2p = format!("/ip4/127.0.0.1/tcp/{port}");
    let mut args = vec!["--http", "127.0.0.1:0", "--p2p", &p2p];
    args.extend_from_slice(extra);
    let (server, ready) = spawn(home, &args, Some(log), &[("NEUROFED_LOG", "info")]);
    let http = ready
        .strip_prefix("http=")
        .and_then(|r| r.split_once(' '))
        .map(|(h, _)| h.to_string())
        .unwrap_or_else(|| panic!("unexpected ready line {ready:?}"));
    (server, http)
}

/// Poll `GET /api/v1/consortium` on `http` until `done` holds (30 s at most).
fn wait_consortium(http: &str, token: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, c) = get(http, "/api/v1/consortium", token);
        assert_eq!(status, 200, "{c}");
        if done(&c) {
            return c;
        }
        assert!(Instant::now() < until, "{what} never happened: {c}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_served_coordinator_keeps_a_consortium_joined_without_lists_working() {
    let corpus = testkit::synth_corpus();
    let subjects = subject_dirs(&corpus);
    let files = tempfile::tempdir().unwrap();
    let f = |n: &str| files.path().join(n);
    let (_dc, coord) = new_home("Coordination");
    let (_da, a) = new_home("Center A");
    let (_db, b) = new_home("Center B");
    let (_dd, d) = new_home("Center D");
    for (home, subject) in [(&a, &subjects[0]), (&b, &subjects[1])] {
        ok(neurofed(home)
            .args(["import", "--create", "--study", "MS cohort"])
            .arg(subject));
    }
    let count = |home: &Path| {
        json(neurofed(home).args(["stats"]))["datasets"]
            .as_u64()
            .unwrap()
    };
    let (a_datasets, b_datasets) = (count(&a), count(&b));

    // The coordinator's own node is admitted like any center; nobody is handed a list.
    let created = json(neurofed(&coord).args(["consortium", "create", "Test consortium"]));
    assert!(
        Path::new(created["revocations"].as_str().unwrap()).is_file(),
        "{created}"
    );
    let homes = [&coord, &a, &b];
    let ports: Vec<u16> = homes.iter().map(|_| free_port()).collect();
    let peers: Vec<String> = homes.iter().map(|h| node_peer_id(h)).collect();
    for (i, center) in ["Coordination", "Center A", "Center B"].iter().enumerate() {
        ok(neurofed(&coord)
            .args([
                "consortium",
                "admit",
                "--node",
                &peers[i],
                "--center",
                center,
            ])
            .args(["--addr", &format!("/ip4/127.0.0.1/tcp/{}", ports[i])])
            .args(["--expires", "2099-12-31", "--out"])
            .arg(f(&format!("{i}.membership"))));
    }
    ok(neurofed(&coord)
        .args(["consortium", "roster", "--out"])
        .arg(f("roster")));
    for (i, home) in homes.iter().enumerate() {
        let out = ok(neurofed(home)
            .args(["consortium", "join"])
            .arg(f("roster"))
            .arg(f(&format!("{i}.membership"))));
        assert!(out.contains("roster version 1"), "{out}");
        assert!(!home.join("revocations").join("list.cbor").exists());
    }
    ok(neurofed(&b)
        .args(["grant", "issue", "--to", &peers[1], "--study", "MS cohort"])
        .args(["--actions", "search", "--expires", "2099-12-31", "--out"])
        .arg(f("b-to-a.grant")));
    ok(neurofed(&a).args(["grant", "add"]).arg(f("b-to-a.grant")));
    with_stdin(&a, &["user", "add", "alice"], "correct horse battery\n");
    ok(neurofed(&a).args([
        "rights",
        "grant",
        "alice",
        "--study",
        "MS cohort",
        "--rights",
        "see",
    ]));
    let token = with_stdin(&a, &["user", "token", "alice", "--label", "e2e"], "")
        .trim()
        .to_string();

    // Short windows so that the schedule and its failure mode show within seconds.
    let coordinator_args = [
        "--coordinator",
        "--list-every",
        "2s",
        "--list-valid",
        "10s",
        "--coordinator-check",
        "1s",
    ];
    let coordinator = serve(&coord, ports[0], &coordinator_args, &f("coord.log"));
    let _b = serve(&b, ports[2], &[], &f("b.log"));
    let (_a, http_a) = serve(&a, ports[1], &[], &f("a.log"));

    // A takes the list from whichever member it reaches, then searches B through its grant.
    let c = wait_consortium(&http_a, &token, "a list reaching A and B verified", |c| {
        c["revocation_serial"].as_u64().is_some()
            && c["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["node"] == peers[2].as_str() && m["state"] == "verified")
    });
    assert!(c["revocation_trusted_until"].as_u64().is_some(), "{c}");
    let search = |http: &str| get(http, "/api/v1/search?scope=federated&limit=1000", &token);
    // B may not hold the list yet when A first asks: retry until B answers (or the test fails).
    let until = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let (status, r) = search(&http_a);
        assert_eq!(status, 200, "{r}");
        let b_ok = r["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["node"] == peers[2].as_str() && n["status"] == "ok");
        if b_ok {
            break r;
        }
        assert!(Instant::now() < until, "B never answered: {r}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let b_hits = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["node"] == peers[2].as_str())
        .count() as u64;
    assert_eq!(b_hits, b_datasets, "{r}");
    assert_eq!(r["total"].as_u64(), Some(a_datasets + b_datasets), "{r}");

    // The list is re-signed on the schedule and reaches A.
    let first = c["revocation_serial"].as_u64().unwrap();
    wait_consortium(&http_a, &token, "a re-signed list reaching A", |c| {
        c["revocation_serial"].as_u64() > Some(first)
    });

    // A center admitted while the service runs: the next roster reaches A by itself.
    let pd = node_peer_id(&d);
    ok(neurofed(&coord)
        .args(["consortium", "admit", "--node", &pd, "--center", "Center D"])
        .args(["--addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port())])
        .args(["--expires", "2099-12-31", "--out"])
        .arg(f("d.membership")));
    let c = wait_consortium(&http_a, &token, "the roster naming D reaching A", |c| {
        c["roster_serial"].as_u64() >= Some(2)
    });
    assert!(
        c["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["center"] == "Center D"),
        "{c}"
    );

    // The coordinator goes away: within the window nothing changes; past it B refuses A's
    // grant with a code that the API's warnings and the CLI explain.
    drop(coordinator);
    let c = wait_consortium(&http_a, &token, "A's list going stale", |c| {
        c["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap_or("").contains("went stale"))
    });
    let stale_at = c["revocation_trusted_until"].as_u64().unwrap();
    // B's list is no newer than A's (A holds what B spread, and the coordinator is gone).
    while node::now() <= stale_at + 3 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, r) = search(&http_a);
    assert_eq!(status, 200, "{r}");
    let b_node = r["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == peers[2].as_str())
        .cloned()
        .unwrap_or_else(|| panic!("B missing: {r}"));
    assert_eq!(b_node["status"], "denied", "{r}");
    assert_eq!(b_node["code"], "revocation_list_stale", "{r}");
    let out = ok(neurofed(&a)
        .args(["search", "--federated", "--node"])
        .arg(format!("http://{http_a}"))
        .env("NEUROFED_TOKEN", &token));
    assert!(
        out.contains("revocation_list_stale: that member's revocation list"),
        "{out}"
    );
    let log = std::fs::read_to_string(f("coord.log")).unwrap();
    assert!(log.contains("coordinator service running"), "{log}");
}
