//! Two centers, each its own `neurofed serve --p2p` process on 127.0.0.1, joined with the CLI
//! only (consortium create/admit/roster/revocations, join, grant issue/add): a federated search
//! through center A's HTTP API sees B's datasets with merged facets, `neurofed fetch` brings one
//! of B's datasets to A verified, and B's audit log names the transfer and its grant.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{http, json as body_json, with_stdin, Server};
use crate::util::{files_under, json, neurofed, new_home, ok};

pub(crate) fn node_peer_id(home: &Path) -> String {
    let keys = json(neurofed(home).args(["keys", "show"]));
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "node")
        .unwrap()["public"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The generated corpus's subject folders, sorted.
pub(crate) fn subject_dirs(corpus: &Path) -> Vec<PathBuf> {
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    subjects
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `neurofed serve --p2p` logging to `log`; the server and its `ready` line's HTTP address and
/// p2p address.
fn serve(home: &Path, port: u16, log: &Path) -> (Server, String, String) {
    let p2p = format!("/ip4/127.0.0.1/tcp/{port}");
    let (server, ready) = crate::serve::spawn(
        home,
        &["--http", "127.0.0.1:0", "--p2p", &p2p],
        Some(log),
        &[("NEUROFED_LOG", "debug")],
    );
    let rest = ready
        .strip_prefix("http=")
        .unwrap_or_else(|| panic!("unexpected ready line {ready:?}"));
    let (http, p2p) = rest.split_once(" p2p=").expect("a p2p address");
    (server, http.to_string(), p2p.to_string())
}

pub(crate) fn get(addr: &str, path: &str, token: &str) -> (u16, Value) {
    let (status, body) = http(addr, "GET", path, Some(token), b"", "text/plain");
    (status, body_json(&body))
}

#[test]
fn two_served_centers_search_and_fetch_through_the_consortium() {
    let corpus = testkit::synth_corpus();
    let subjects = subject_dirs(&corpus);
    let (_da, a) = new_home("Center A");
    let (_db, b) = new_home("Center B");
    let (_dc, coord) = new_home("Coordination");
    // The example nature card, so that `nature` has values to filter on.
    for home in [&a, &b] {
        ok(neurofed(home)
            .args(["studycard", "add", "--create", "--study", "MS cohort"])
            .arg(testkit::workspace_root().join("docs/cards/mr-natures.toml")));
    }
    ok(neurofed(&a)
        .args(["import", "--create", "--study", "MS cohort"])
        .arg(&subjects[0]));
    ok(neurofed(&b)
        .args(["import", "--create", "--study", "MS cohort"])
        .arg(&subjects[1]));
    let b_datasets = json(neurofed(&b).args(["stats"]))["datasets"]
        .as_u64()
        .unwrap();
    let a_datasets = json(neurofed(&a).args(["stats"]))["datasets"]
        .as_u64()
        .unwrap();
    assert!(a_datasets > 0 && b_datasets > 0);
    // B records an EDSS for its subject (at the subject level: every dataset of it); A defines
    // no EDSS at all.
    let b_subjects: std::collections::BTreeSet<String> = json(neurofed(&b).arg("ls"))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap().to_string())
        .collect();
    let scores = tempfile::tempdir().unwrap();
    let edss = scores.path().join("edss.toml");
    std::fs::write(
        &edss,
        "name = \"EDSS\"\nacronym = \"EDSS\"\n[[variables]]\nname = \"EDSS\"\ntype = \"number\"\nmin = 0\nmax = 10\n",
    )
    .unwrap();
    ok(neurofed(&b)
        .args(["scores", "instrument", "add"])
        .arg(&edss));
    let table = scores.path().join("edss.csv");
    let rows: String = b_subjects.iter().map(|p| format!("{p},6\n")).collect();
    std::fs::write(&table, format!("subject,EDSS\n{rows}")).unwrap();
    ok(neurofed(&b)
        .args([
            "scores",
            "import",
            "--study",
            "MS cohort",
            "--instrument",
            "EDSS",
        ])
        .arg(&table));

    // The coordinator admits both centers and publishes the roster and revocation list.
    let files = tempfile::tempdir().unwrap();
    let f = |n: &str| files.path().join(n);
    ok(neurofed(&coord).args(["consortium", "create", "Test consortium"]));
    let (pa, pb) = (node_peer_id(&a), node_peer_id(&b));
    let (port_a, port_b) = (free_port(), free_port());
    for (peer, center, port, out) in [
        (&pa, "Center A", port_a, "a.membership"),
        (&pb, "Center B", port_b, "b.membership"),
    ] {
        ok(neurofed(&coord)
            .args(["consortium", "admit", "--node", peer, "--center", center])
            .args(["--addr", &format!("/ip4/127.0.0.1/tcp/{port}")])
            .args(["--expires", "2099-12-31", "--out"])
            .arg(f(out)));
    }
    ok(neurofed(&coord)
        .args(["consortium", "roster", "--out"])
        .arg(f("roster")));
    ok(neurofed(&coord)
        .args(["consortium", "revocations", "--out"])
        .arg(f("revocations")));
    for (home, m) in [(&a, "a.membership"), (&b, "b.membership")] {
        ok(neurofed(home)
            .args(["consortium", "join"])
            .arg(f("roster"))
            .arg(f(m))
            .arg("--revocations")
            .arg(f("revocations")));
    }

    // B grants center A's node search and download on its study; A keeps the grant.
    ok(neurofed(&b)
        .args(["grant", "issue", "--to", &pa, "--study", "MS cohort"])
        .args([
            "--actions",
            "search,download",
            "--expires",
            "2099-12-31",
            "--out",
        ])
        .arg(f("b-to-a.grant")));
    ok(neurofed(&a).args(["grant", "add"]).arg(f("b-to-a.grant")));

    // Alice, a user of A, may see A's study.
    with_stdin(&a, &["user", "add", "alice"], "correct horse battery\n");
    ok(neurofed(&a).args([
        "rights",
        "grant",
        "alice",
        "--study",
        "MS cohort",
        "--rights",
        "see,download",
    ]));
    let token = with_stdin(&a, &["user", "token", "alice", "--label", "e2e"], "")
        .trim()
        .to_string();
    // A local account of A with no right here: the center's grants are not its to use.
    with_stdin(&a, &["user", "add", "drifter"], "correct horse battery\n");
    let drifter = with_stdin(&a, &["user", "token", "drifter", "--label", "e2e"], "")
        .trim()
        .to_string();
    // B's administrator, who will push a revocation into the running node.
    with_stdin(
        &b,
        &["user", "add", "root", "--admin"],
        "correct horse battery\n",
    );
    let b_admin = with_stdin(&b, &["user", "token", "root", "--label", "e2e"], "")
        .trim()
        .to_string();

    // What crosses the wire or reaches a log is kept here and scanned for planted PHI at the end.
    let seen = files.path().join("seen");
    std::fs::create_dir_all(&seen).unwrap();
    let keep = |name: &str, v: &Value| {
        std::fs::write(seen.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap()
    };
    let (server_b, http_b, p2p_b) = serve(&b, port_b, &seen.join("b.log"));
    let (server_a, http_a, p2p_a) = serve(&a, port_a, &seen.join("a.log"));
    assert!(p2p_a.ends_with(&format!("/tcp/{port_a}")), "{p2p_a}");
    assert!(p2p_b.ends_with(&format!("/tcp/{port_b}")), "{p2p_b}");

    // A sees B as a verified member.
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, c) = get(&http_a, "/api/v1/consortium", &token);
        assert_eq!(status, 200, "{c}");
        let verified = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["node"] == pb.as_str() && m["state"] == "verified");
        if verified {
            assert_eq!(c["roster_serial"], 1);
            break;
        }
        assert!(Instant::now() < until, "B never verified: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Federated search: both centers answer; counts add up to both nodes' datasets.
    let (status, r) = get(
        &http_a,
        "/api/v1/search?scope=federated&facet=center&limit=1000",
        &token,
    );
    assert_eq!(status, 200, "{r}");
    keep("federated-search.json", &r);
    assert_eq!(r["coverage"]["answered"], 2, "{r}");
    assert_eq!(r["coverage"]["members"], 2, "{r}");
    assert_eq!(r["total"].as_u64(), Some(a_datasets + b_datasets), "{r}");
    assert_eq!(r["facets"]["center"]["Center A"].as_u64(), Some(a_datasets));
    assert_eq!(r["facets"]["center"]["Center B"].as_u64(), Some(b_datasets));
    let nodes = r["nodes"].as_array().unwrap();
    assert!(nodes.iter().all(|n| n["status"] == "ok"), "{r}");
    let from_b: Vec<&Value> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["node"] == pb.as_str())
        .collect();
    assert_eq!(from_b.len() as u64, b_datasets);
    let hit = from_b[0];
    let content = hit["content"].as_str().unwrap().to_string();
    let instances = hit["instances"].as_u64().unwrap();

    // The account without a right at A: B is not asked with A's grants (no grant), nothing
    // of B's comes back.
    let (status, rd) = get(
        &http_a,
        "/api/v1/search?scope=federated&facet=center",
        &drifter,
    );
    assert_eq!(status, 200, "{rd}");
    let b_line = rd["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == pb.as_str())
        .unwrap()
        .clone();
    assert_eq!(b_line["status"], "denied", "{rd}");
    assert_eq!(b_line["code"], "no_grant", "{rd}");
    assert_eq!(rd["total"], 0, "{rd}");

    // The same through the CLI.
    let out = ok(neurofed(&a)
        .args(["search", "--federated", "--node"])
        .arg(format!("http://{http_a}"))
        .args(["--facet", "center"])
        .env("NEUROFED_TOKEN", &token));
    assert!(out.contains("coverage: 2/2 nodes"), "{out}");
    assert!(out.contains("Center B"), "{out}");

    // The API's filter language goes through the CLI as typed (the node's one parser judges
    // it): a range and an exclusion give what the API gives for the same strings.
    let all = r["total"].as_u64().unwrap();
    for (filter, encoded) in [
        ("tr:[1000 TO 2500]", "tr:%5B1000%20TO%202500%5D"),
        ("-nature:T1w", "-nature:T1w"),
    ] {
        let cli = json(
            neurofed(&a)
                .args(["search", "--federated", "--node"])
                .arg(format!("http://{http_a}"))
                .args(["--filter", filter, "--facet", "nature", "--limit", "1000"])
                .env("NEUROFED_TOKEN", &token),
        );
        let (status, api) = get(
            &http_a,
            &format!("/api/v1/search?scope=federated&filter={encoded}&facet=nature&limit=1000"),
            &token,
        );
        assert_eq!(status, 200, "{api}");
        assert_eq!(cli["total"], api["total"], "{filter}: {cli}");
        assert_eq!(cli["facets"], api["facets"], "{filter}");
        assert_eq!(cli["coverage"]["answered"], 2, "{filter}: {cli}");
        let n = cli["total"].as_u64().unwrap();
        assert!(n > 0 && n < all, "{filter}: {n} of {all}");
        assert_eq!(cli["hits"].as_array().map(Vec::len), Some(n as usize));
    }
    // A score filter crosses the federation: B's datasets match, A (no such instrument) none.
    for (filter, want) in [
        ("score.EDSS:[4 TO 10]", b_datasets),
        ("score.EDSS:>6", 0),
        ("score.EDSS:*", b_datasets),
    ] {
        let cli = json(
            neurofed(&a)
                .args(["search", "--federated", "--node"])
                .arg(format!("http://{http_a}"))
                .args(["--filter", filter, "--facet", "center", "--limit", "1000"])
                .env("NEUROFED_TOKEN", &token),
        );
        assert_eq!(cli["coverage"]["answered"], 2, "{filter}: {cli}");
        assert_eq!(cli["total"].as_u64(), Some(want), "{filter}: {cli}");
        assert!(
            cli["hits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["node"] == pb.as_str()),
            "{filter}: {cli}"
        );
    }
    let excluded = json(
        neurofed(&a)
            .args(["search", "--federated", "--node"])
            .arg(format!("http://{http_a}"))
            .args(["--filter", "-nature:T1w", "--limit", "1000"])
            .env("NEUROFED_TOKEN", &token),
    );
    assert!(
        excluded["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["nature"] != "T1w"),
        "{excluded}"
    );
    // A filter the node refuses: the server's explanation, not only a status code.
    let o = neurofed(&a)
        .args(["search", "--federated", "--node"])
        .arg(format!("http://{http_a}"))
        .args(["--filter", "colour:red"])
        .env("NEUROFED_TOKEN", &token)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("invalid_query") && err.contains("modality"),
        "{err}"
    );

    // A local-only node refuses federated routes clearly: here, an unknown scope.
    let (status, e) = get(&http_a, "/api/v1/search?scope=everywhere", &token);
    assert_eq!(status, 400, "{e}");

    // Fetch one of B's datasets through A: verified files in the output folder.
    let dest = files.path().join("fetched");
    let out = ok(neurofed(&a)
        .args(["fetch", &content, "--node"])
        .arg(format!("http://{http_a}"))
        .arg("--out")
        .arg(&dest)
        .env("NEUROFED_TOKEN", &token));
    assert!(out.contains(&format!("from {pb}")), "{out}");
    let got = files_under(&dest);
    assert_eq!(got.len() as u64, instances, "{got:?}");
    for p in &got {
        let bytes = std::fs::read(p).unwrap();
        assert_eq!(bytes.get(128..132), Some(&b"DICM"[..]), "{}", p.display());
    }
    // Fetching again moves no bytes.
    let (status, again) = http(
        &http_a,
        "POST",
        "/api/v1/fetch",
        Some(&token),
        format!("{{\"content_id\":\"{content}\"}}").as_bytes(),
        "application/json",
    );
    let again = body_json(&again);
    assert_eq!(status, 200, "{again}");
    keep("fetch.json", &again);
    assert_eq!(again["bytes_fetched"], 0, "{again}");

    // A content id B does not hold as a dataset: B refuses it (after checking the grant), and
    // the fetch fails saying so; nothing is recorded as fetched.
    let unknown = "ab".repeat(32);
    let (status, e) = http(
        &http_a,
        "POST",
        "/api/v1/fetch",
        Some(&token),
        format!("{{\"content_id\":\"{unknown}\"}}").as_bytes(),
        "application/json",
    );
    let e = body_json(&e);
    assert_eq!(status, 502, "{e}");
    assert_eq!(e["error"]["code"], "fetch_failed", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not_permitted"),
        "{e}"
    );

    // Without a token nothing is answered.
    let (status, _) = http(
        &http_a,
        "GET",
        "/api/v1/consortium",
        None,
        b"",
        "text/plain",
    );
    assert_eq!(status, 401);

    // B's administrator pushes the coordinator's next revocation list into running B, which
    // applies it and spreads it to A. Alice, not an administrator, may not push.
    ok(neurofed(&coord)
        .args(["consortium", "revocations", "--out"])
        .arg(f("revocations-2")));
    let push = |home: &Path, file: &Path, addr: &str, token: &str| {
        neurofed(home)
            .args(["consortium", "push"])
            .arg(file)
            .args(["--node", &format!("http://{addr}")])
            .env("NEUROFED_TOKEN", token)
            .output()
            .unwrap()
    };
    let refused = push(&a, &f("revocations-2"), &http_a, &token);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let pushed = push(&b, &f("revocations-2"), &http_b, &b_admin);
    assert!(pushed.status.success(), "{pushed:?}");
    assert!(
        String::from_utf8_lossy(&pushed.stdout).contains("applied the revocation_list"),
        "{pushed:?}"
    );
    let list2 = std::fs::read(f("revocations-2")).unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while std::fs::read(a.join("revocations").join("list.cbor")).ok() != Some(list2.clone()) {
        assert!(Instant::now() < until, "the list never reached A");
        std::thread::sleep(Duration::from_millis(100));
    }

    // B revokes its grant to A and pushes the revocation: from then on B refuses A's searches.
    ok(neurofed(&b)
        .args(["grant", "revoke"])
        .arg(f("b-to-a.grant")));
    let rev = std::fs::read_dir(b.join("revocations"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "rev"))
        .expect("the revocation file");
    let pushed = push(&b, &rev, &http_b, &b_admin);
    assert!(pushed.status.success(), "{pushed:?}");
    let (status, r) = get(
        &http_a,
        "/api/v1/search?scope=federated&facet=center",
        &token,
    );
    assert_eq!(status, 200, "{r}");
    let b_line = r["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == pb.as_str())
        .unwrap()
        .clone();
    assert_eq!(b_line["status"], "denied", "{r}");
    assert_eq!(b_line["code"], "revoked", "{r}");
    assert_eq!(r["total"].as_u64(), Some(a_datasets), "{r}");

    // Stopped as an operator would (SIGTERM: graceful), so that every record is written.
    for mut server in [server_a, server_b] {
        let pid = server.0.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = server.0.wait().unwrap();
        assert!(status.success(), "{status}");
    }
    // Both homes are consistent: A's fetched blobs are referenced by its provenance record,
    // B's outboards (built to serve) are not mistaken for blobs.
    for home in [&a, &b] {
        ok(neurofed(home).args(["fsck"]));
    }
    // The fetched dataset is A's copy with provenance, not A's own data.
    assert_eq!(
        json(neurofed(&a).args(["stats"]))["datasets"].as_u64(),
        Some(a_datasets)
    );

    // No planted PHI in anything that crossed the wire or was logged, in the fetched files, or
    // in either home (B's audit of the transfers, A's fetched copy and its provenance).
    let needles = testkit::planted_phi(&corpus);
    assert!(
        !testkit::scan_for_phi(&subjects[1], &needles).is_empty(),
        "the scan finds the planted PHI in the source files"
    );
    let mut leaks = testkit::scan_for_phi(&seen, &needles);
    leaks.extend(testkit::scan_for_phi(&dest, &needles));
    leaks.extend(testkit::scan_for_phi(&a, &needles));
    leaks.extend(testkit::scan_for_phi(&b, &needles));
    assert!(leaks.is_empty(), "planted PHI found: {leaks:?}");
    assert!(
        std::fs::metadata(seen.join("a.log")).unwrap().len() > 0,
        "the servers logged something to scan"
    );

    // B's audit log names the transfer: served, to A's node, under the grant.
    let audit = json(neurofed(&b).args(["audit", "--limit", "100000"]));
    let served: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "download"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("transfer served") && d.contains(&content))
        })
        .collect();
    assert!(!served.is_empty(), "no transfer served in B's audit log");
    assert!(served.iter().all(|e| e["who"] == pa.as_str()), "{served:?}");
    // The authorization was on record before the first byte of it went out.
    let first_served = served
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .min()
        .unwrap();
    let authorized: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["detail"].as_str().is_some_and(|d| {
                d.contains("transfer authorized") && d.contains(&format!("of dataset {content}"))
            })
        })
        .collect();
    let first_authorized = authorized.iter().filter_map(|e| e["seq"].as_u64()).min();
    assert!(
        first_authorized.is_some_and(|a| a < first_served),
        "{authorized:?}"
    );
    assert!(authorized.iter().all(|e| e["who"] == pa.as_str()));
    assert!(served
        .iter()
        .all(|e| e["detail"].as_str().unwrap().contains("grant ")));
    assert!(
        audit.as_array().unwrap().iter().any(|e| e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("transfer denied not_permitted") && d.contains(&unknown))),
        "the refused request is not in B's audit log"
    );
}

/// `neurofed demo` serving center A (homes under `dir`): the server, its HTTP address, the
/// demo account's API token and password, and what it printed up to its ready line.
pub(crate) struct Demo {
    pub server: Server,
    pub addr: String,
    pub token: String,
    pub password: String,
    pub printed: String,
}

pub(crate) fn start_demo(corpus: &Path, dir: &Path) -> Demo {
    let mut child = Command::new(crate::util::bin())
        .args(["demo", "--http", "127.0.0.1:0", "--corpus"])
        .arg(corpus)
        .arg("--dir")
        .arg(dir.join("demo"))
        .current_dir(dir)
        .env_remove("NEUROFED_HOME")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let (mut token, mut addr, mut password, mut printed) = (None, None, None, String::new());
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(t) = line.strip_prefix("user \"demo\", API token: ") {
            token = Some(t.trim().to_string());
        }
        if let Some((_, p)) = line
            .strip_prefix("portal: ")
            .and_then(|l| l.split_once("password "))
        {
            password = Some(p.trim_end_matches(')').trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("ready http=") {
            addr = Some(rest.split(' ').next().unwrap().to_string());
            break;
        }
    }
    Demo {
        server,
        token: token.unwrap_or_else(|| panic!("no token in {printed}")),
        addr: addr.unwrap_or_else(|| panic!("no ready line in {printed}")),
        password: password.unwrap_or_else(|| panic!("no password in {printed}")),
        printed,
    }
}

/// The README's run command: `neurofed demo` builds three centers, searches, and serves center
/// A's API with a token it prints; a federated search through that API covers all three.
#[test]
fn demo_serves_center_a_with_a_federated_search() {
    let corpus = testkit::synth_corpus();
    let dir = tempfile::tempdir().unwrap();
    let Demo {
        mut server,
        addr,
        token,
        printed,
        ..
    } = start_demo(&corpus, dir.path());
    assert!(
        printed.contains("coverage: 3/3 nodes answered"),
        "{printed}"
    );
    let (status, r) = get(
        &addr,
        "/api/v1/search?scope=federated&facet=center&facet=nature",
        &token,
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["coverage"]["answered"], 3, "{r}");
    let centers = r["facets"]["center"].as_object().unwrap();
    assert_eq!(centers.len(), 3, "{r}");
    // The built-in example study card named the T1 series at every center.
    assert!(
        r["facets"]["nature"]["T1w"].as_u64().unwrap_or(0) >= 3,
        "{r}"
    );
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A joined, served center: its home, server, HTTP address and PeerId.
struct Center {
    home: PathBuf,
    server: Option<Server>,
    http: String,
    peer: String,
    token: String,
}

fn stop(server: Server) {
    let mut server = server;
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(server.0.wait().unwrap().success());
}

fn post_fetch(addr: &str, token: &str, content: &str) -> (u16, Value) {
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/fetch",
        Some(token),
        format!("{{\"content_id\":\"{content}\"}}").as_bytes(),
        "application/json",
    );
    (status, body_json(&body))
}

/// "From whichever member holds it": C fetches one of B's datasets, B goes away, and A fetches
/// the same dataset from C's copy under B's grant; C serves it only because B's own node issued
/// that grant, and audits it.
#[test]
fn a_copy_is_served_by_the_member_holding_it_when_the_owner_is_gone() {
    let corpus = testkit::synth_corpus();
    let subjects = subject_dirs(&corpus);
    let files = tempfile::tempdir().unwrap();
    let f = |n: &str| files.path().join(n);
    let dirs: Vec<_> = ["Center A", "Center B", "Center C", "Coordination"]
        .iter()
        .map(|c| new_home(c))
        .collect();
    let (a, b, c, coord) = (&dirs[0].1, &dirs[1].1, &dirs[2].1, &dirs[3].1);
    ok(neurofed(b)
        .args(["import", "--create", "--study", "MS cohort"])
        .arg(&subjects[1]));
    ok(neurofed(coord).args(["consortium", "create", "Test consortium"]));
    let homes = [a, b, c];
    let ports: Vec<u16> = homes.iter().map(|_| free_port()).collect();
    let peers: Vec<String> = homes.iter().map(|h| node_peer_id(h)).collect();
    for (i, name) in ["Center A", "Center B", "Center C"].iter().enumerate() {
        ok(neurofed(coord)
            .args(["consortium", "admit", "--node", &peers[i], "--center", name])
            .args(["--addr", &format!("/ip4/127.0.0.1/tcp/{}", ports[i])])
            .args(["--expires", "2099-12-31", "--out"])
            .arg(f(&format!("{i}.membership"))));
    }
    ok(neurofed(coord)
        .args(["consortium", "roster", "--out"])
        .arg(f("roster")));
    ok(neurofed(coord)
        .args(["consortium", "revocations", "--out"])
        .arg(f("revocations")));
    for (i, home) in homes.iter().enumerate() {
        ok(neurofed(home)
            .args(["consortium", "join"])
            .arg(f("roster"))
            .arg(f(&format!("{i}.membership")))
            .arg("--revocations")
            .arg(f("revocations")));
    }
    // B's node grants A's and C's nodes search and download on its study.
    for (i, home) in [(0, a), (2, c)] {
        let grant = f(&format!("b-to-{i}.grant"));
        ok(neurofed(b)
            .args(["grant", "issue", "--to", &peers[i], "--study", "MS cohort"])
            .args([
                "--actions",
                "search,download",
                "--expires",
                "2099-12-31",
                "--out",
            ])
            .arg(&grant));
        ok(neurofed(home).args(["grant", "add"]).arg(&grant));
    }
    let mut centers: Vec<Center> = homes
        .iter()
        .enumerate()
        .map(|(i, home)| {
            // The centers' grants serve their administrators (and holders of a local right):
            // C holds no study of its own.
            with_stdin(
                home,
                &["user", "add", "user", "--admin"],
                "correct horse battery\n",
            );
            let token = with_stdin(home, &["user", "token", "user", "--label", "e2e"], "")
                .trim()
                .to_string();
            let (server, http, _) = serve(home, ports[i], &f(&format!("{i}.log")));
            Center {
                home: home.to_path_buf(),
                server: Some(server),
                http,
                peer: peers[i].clone(),
                token,
            }
        })
        .collect();
    // Everyone connected to everyone.
    let until = Instant::now() + Duration::from_secs(30);
    for center in &centers {
        loop {
            let (_, s) = get(&center.http, "/api/v1/consortium", &center.token);
            let verified = s["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["state"] == "verified")
                .count();
            if verified == 2 {
                break;
            }
            assert!(Instant::now() < until, "mesh incomplete: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // A and C search (which tells each node who owns which dataset, in which study).
    let search = |c: &Center| {
        let (status, r) = get(
            &c.http,
            "/api/v1/search?scope=federated&limit=100",
            &c.token,
        );
        assert_eq!(status, 200, "{r}");
        r
    };
    let r = search(&centers[2]);
    let hit = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["node"] == centers[1].peer.as_str())
        .expect("a hit of B")
        .clone();
    let content = hit["content"].as_str().unwrap().to_string();
    search(&centers[0]);

    // C fetches it from B.
    let (status, got) = post_fetch(&centers[2].http, &centers[2].token, &content);
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["origin"], centers[1].peer.as_str());

    // B goes away; A fetches the same dataset: from C's copy.
    stop(centers[1].server.take().unwrap());
    let (status, got) = post_fetch(&centers[0].http, &centers[0].token, &content);
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["origin"], centers[1].peer.as_str(), "{got}");
    assert_eq!(got["instances"], hit["instances"], "{got}");
    assert!(got["bytes_fetched"].as_u64().unwrap() > 0, "{got}");
    let dest = f("fetched-by-a");
    ok(neurofed(a)
        .args(["fetch", &content, "--node"])
        .arg(format!("http://{}", centers[0].http))
        .arg("--out")
        .arg(&dest)
        .env("NEUROFED_TOKEN", &centers[0].token));
    assert_eq!(
        files_under(&dest).len() as u64,
        hit["instances"].as_u64().unwrap()
    );

    for center in &mut centers {
        if let Some(s) = center.server.take() {
            stop(s);
        }
    }
    // C served the copy to A's node, under B's grant to A, and says so.
    let audit = json(neurofed(&centers[2].home).args(["audit", "--limit", "100000"]));
    let served = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "download"
                && e["who"] == centers[0].peer.as_str()
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("transfer served") && d.contains(&content))
        })
        .count();
    assert!(served > 0, "C's audit log has no transfer to A");
    for home in [a, b, c] {
        ok(neurofed(home).args(["fsck"]));
    }
}
