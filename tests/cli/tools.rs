//! The CLI as the tools users know behave: exit codes (0 done, 1 failed, 2 usage), a closed
//! pipe, `--create` for studies, `study ls|show|rename|rm`, tokens, `--json` on reporting
//! commands, completions and the man page, and `serve`'s access log and the HTTP client
//! commands' errors (the server's explanation, not only a status code).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::serve::{http, with_stdin, Server};
use crate::util::{json, neurofed, new_home, ok};

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("neurofed runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// One small series of the generated corpus (a 2-D T2).
fn one_series() -> PathBuf {
    let first = |d: &Path, pick: &dyn Fn(&Path) -> bool| {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() && pick(p))
            .collect();
        v.sort();
        v.remove(0)
    };
    let subject = first(&testkit::synth_corpus(), &|_| true);
    let session = first(&subject, &|_| true);
    // make_series.py names it `S03_t2_tse_tra_2mm`, `neurofed sample` (the corpus without the
    // shared material) `S02_T2`.
    first(&session, &|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        name.contains("t2_tse") || name.ends_with("_T2")
    })
}

/// How many instances [`one_series`] holds (one file each).
fn series_files() -> u64 {
    std::fs::read_dir(one_series()).unwrap().count() as u64
}

#[test]
fn exit_codes_say_done_failed_or_misused() {
    let (_d, home) = new_home("Rennes");
    // Usage errors are clap's: 2.
    let o = run(neurofed(&home).args(["ls", "--no-such-flag"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(neurofed(&home).args(["import"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Work that fails: 1, with the reason.
    let o = run(neurofed(&home).args(["study", "show", "nope"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no study \"nope\""), "{}", stderr(&o));
    // An import that skips everything fails, and --json says why.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not an image").unwrap();
    let o = run(neurofed(&home)
        .args(["import", "--create", "--study", "S", "--json"])
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instances"], 0);
    assert_eq!(v["skipped"].as_array().map(Vec::len), Some(1));
    assert!(
        v["error"].as_str().unwrap().contains("nothing imported"),
        "{v}"
    );
    // Done: 0.
    let v = json(
        neurofed(&home)
            .args(["import", "--study", "S"])
            .arg(one_series()),
    );
    assert_eq!(v["instances"].as_u64(), Some(series_files()));
    assert!(v.get("error").is_none(), "{v}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let (_d, home) = new_home("Rennes");
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "S"])
        .arg(one_series()));
    // The reading end is closed before the command writes: its first write meets EPIPE.
    for args in [
        &["ls"][..],
        &["audit"],
        &["search", "--facet", "modality"],
        &["completions", "bash"],
    ] {
        let mut child = neurofed(&home)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
    // As a shell runs it.
    let o = Command::new("bash")
        .arg("-c")
        .arg("set -o pipefail; \"$0\" --home \"$1\" ls | head -1")
        .arg(crate::util::bin())
        .arg(&home)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[test]
fn a_mistyped_study_is_never_created() {
    let (_d, home) = new_home("Rennes");
    let card = testkit::workspace_root().join("docs/cards/mr-natures.toml");
    // Without --create (and no terminal to ask on), nothing is created.
    let o = run(neurofed(&home)
        .args(["studycard", "add", "--study", "MS cohort"])
        .arg(&card));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--create"), "{}", stderr(&o));
    let v = json(
        neurofed(&home)
            .args(["studycard", "add", "--create", "--study", "MS cohort"])
            .arg(&card),
    );
    assert_eq!(v["study"], "MS cohort");
    assert_eq!(v["study_created"], true);
    assert_eq!(v["version"], 1);
    // A typo names the studies that exist, for the card and the import alike.
    for args in [
        vec![
            "studycard",
            "add",
            "--study",
            "MS cohrot",
            card.to_str().unwrap(),
        ],
        vec!["import", "--study", "MS cohrot", card.to_str().unwrap()],
    ] {
        let o = run(neurofed(&home).args(&args));
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("\"MS cohort\""), "{}", stderr(&o));
    }
    let studies = json(neurofed(&home).args(["study", "ls"]));
    assert_eq!(studies.as_array().map(Vec::len), Some(1), "{studies}");
}

#[test]
fn studies_are_listed_shown_renamed_and_removed_with_an_audit_trail() {
    let (_d, home) = new_home("Rennes");
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "Pilot"])
        .arg(one_series()));
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "Empty"])
        .arg(tempfile::tempdir().unwrap().path()));
    let ls = json(neurofed(&home).args(["study", "ls"]));
    let pilot = ls
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Pilot")
        .unwrap()
        .clone();
    assert_eq!(
        (pilot["subjects"].as_u64(), pilot["datasets"].as_u64()),
        (Some(1), Some(1))
    );
    let show = json(neurofed(&home).args(["study", "show", "Pilot"]));
    assert_eq!(show["id"], pilot["id"]);
    assert_eq!(show["instances"].as_u64(), Some(series_files()));

    let r = json(neurofed(&home).args(["study", "rename", "Pilot", "Pilot 2026"]));
    assert_eq!(r["name"], "Pilot 2026");
    // Searches name it anew.
    let s = json(neurofed(&home).args(["search", "--facet", "study"]));
    assert_eq!(s["facets"]["study"]["Pilot 2026"], 1, "{s}");
    assert!(
        run(neurofed(&home).args(["study", "show", "Pilot"]))
            .status
            .code()
            == Some(1)
    );

    // rm refuses a study with data unless forced; an empty one goes.
    let o = run(neurofed(&home).args(["study", "rm", "Pilot 2026"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    ok(neurofed(&home).args(["study", "rm", "Empty"]));
    let r = json(neurofed(&home).args(["study", "rm", "Pilot 2026", "--force"]));
    assert_eq!(r["instances"].as_u64(), Some(series_files()));
    let stats = json(neurofed(&home).args(["stats"]));
    assert_eq!(
        (stats["studies"].as_u64(), stats["datasets"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(json(neurofed(&home).args(["search"]))["total"], 0);
    // The blobs are garbage now, collected by fsck --gc; the node stays consistent.
    let f = json(neurofed(&home).args(["fsck"]));
    assert!(
        f["garbage_blobs"].as_u64().unwrap() >= series_files(),
        "{f}"
    );
    assert_eq!(f["problems"], serde_json::json!([]));
    let f = json(neurofed(&home).args(["fsck", "--gc"]));
    assert_eq!(f["collected"], true);
    assert_eq!(json(neurofed(&home).args(["fsck"]))["garbage_blobs"], 0);
    let audit = json(neurofed(&home).args(["audit"]));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        &actions[..3],
        ["study_remove", "study_remove", "study_rename"],
        "{actions:?}"
    );
}

#[test]
fn tokens_are_listed_without_their_secret_and_revoked_one_by_one() {
    let (_d, home) = new_home("Rennes");
    with_stdin(
        &home,
        &["user", "add", "alice", "--json"],
        "correct horse battery\n",
    );
    let t1 = json(neurofed(&home).args(["user", "token", "alice", "--label", "laptop"]));
    let t2 = json(neurofed(&home).args([
        "user",
        "token",
        "alice",
        "--label",
        "nightly",
        "--expires",
        "2099-01-01",
    ]));
    let secret = t1["token"].as_str().unwrap();
    assert!(secret.starts_with("nft_"), "{t1}");
    let out = ok(neurofed(&home).args(["user", "tokens", "alice"]));
    assert!(out.contains("laptop") && out.contains("nightly"), "{out}");
    let listed = json(neurofed(&home).args(["user", "tokens", "alice"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert!(
        !listed.to_string().contains(&secret[4..]),
        "a secret is listed: {listed}"
    );
    let r = json(neurofed(&home).args(["user", "token-revoke", t1["id"].as_str().unwrap()]));
    assert_eq!(r["id"], t1["id"]);
    let listed = json(neurofed(&home).args(["user", "tokens", "alice"]));
    assert_eq!(listed[0]["id"], t2["id"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    // Revoking it again says there is no such token.
    let o = run(neurofed(&home).args(["user", "token-revoke", t1["id"].as_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn reporting_commands_speak_json() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let init = json(neurofed(&home).args(["init", "--center", "Rennes"]));
    assert_eq!(init["center"], "Rennes");
    let user: Value = serde_json::from_str(&with_stdin(
        &home,
        &["user", "add", "bob", "--json"],
        "correct horse battery\n",
    ))
    .unwrap();
    assert_eq!(user["name"], "bob");
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "S"])
        .arg(one_series()));
    let right =
        json(neurofed(&home).args(["rights", "grant", "bob", "--study", "S", "--rights", "see"]));
    assert_eq!(right["rights"], serde_json::json!(["see"]), "{right}");
    let revoked = json(neurofed(&home).args(["rights", "revoke", "bob", "--study", "S"]));
    assert_eq!(revoked["rights"], serde_json::json!(["see"]), "{revoked}");
    let disabled = json(neurofed(&home).args(["user", "disable", "bob"]));
    assert_eq!(disabled["disabled"], true, "{disabled}");
    let key = json(neurofed(&home).args(["keys", "user", "bob"]));
    assert!(key["public"].is_string(), "{key}");
    let c = json(neurofed(&home).args(["consortium", "create", "Test"]));
    assert_eq!(c["slug"], "test");
}

#[test]
fn completions_and_the_man_page_come_from_the_commands() {
    let (_d, home) = new_home("Rennes");
    let bash = ok(neurofed(&home).args(["completions", "bash"]));
    for sub in [
        "import",
        "search",
        "study",
        "consortium",
        "completions",
        "token-revoke",
    ] {
        assert!(bash.contains(sub), "bash completions lack {sub}");
    }
    for shell in ["zsh", "fish"] {
        assert!(ok(neurofed(&home).args(["completions", shell])).contains("neurofed"));
    }
    let man = ok(neurofed(&home).args(["man"]));
    assert!(
        man.contains(".TH neurofed"),
        "{}",
        &man[..man.len().min(300)]
    );
    assert!(man.contains("consortium"));
    let dir = tempfile::tempdir().unwrap();
    ok(neurofed(&home).args(["man", "--out"]).arg(dir.path()));
    let page = std::fs::read_to_string(dir.path().join("neurofed-study.1")).unwrap();
    assert!(page.contains(".TH"), "{page}");
}

/// `neurofed serve` on any free port, stderr kept in `log`: the server and its HTTP address.
fn serve(home: &Path, log: &Path) -> (Server, String) {
    crate::serve::serve_http(home, Some(log))
}

#[test]
fn serve_logs_each_request_by_route_and_client_errors_carry_the_servers_reason() {
    let (dir, home) = new_home("Rennes");
    ok(neurofed(&home)
        .args(["import", "--create", "--study", "S"])
        .arg(one_series()));
    let study = json(neurofed(&home).args(["study", "show", "S"]))["id"]
        .as_str()
        .unwrap()
        .to_string();
    with_stdin(
        &home,
        &["user", "add", "alice", "--admin"],
        "correct horse battery\n",
    );
    let token = json(neurofed(&home).args(["user", "token", "alice"]))["token"]
        .as_str()
        .unwrap()
        .to_string();
    let log = dir.path().join("serve.log");
    let (server, addr) = serve(&home, &log);
    let (status, _) = http(
        &addr,
        "GET",
        "/api/v1/search?q=Schmidt%20Lukas&facet=modality",
        Some(&token),
        b"",
        "text/plain",
    );
    assert_eq!(status, 200);
    let (status, _) = http(
        &addr,
        "GET",
        &format!("/api/v1/studies/{study}"),
        Some(&token),
        b"",
        "text/plain",
    );
    assert_eq!(status, 200);
    let (status, _) = http(
        &addr,
        "GET",
        "/api/v1/nowhere?secret=1",
        None,
        b"",
        "text/plain",
    );
    assert_eq!(status, 404);

    // The HTTP client commands print the server's explanation.
    let node = format!("http://{addr}");
    let o =
        run(neurofed(&home).args(["search", "--federated", "--node", &node, "--token", &token]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("federation_off") && stderr(&o).contains("neurofed serve --p2p"),
        "{}",
        stderr(&o)
    );
    let o = run(neurofed(&home).args([
        "search",
        "--federated",
        "--node",
        &node,
        "--token",
        "nft_bad",
    ]));
    assert!(
        stderr(&o).contains("401") && stderr(&o).contains("unauthenticated"),
        "{}",
        stderr(&o)
    );
    let o = run(neurofed(&home)
        .args(["fetch", &"ab".repeat(32), "--out"])
        .arg(dir.path().join("f"))
        .args(["--node", &node, "--token", &token]));
    assert!(stderr(&o).contains("federation_off"), "{}", stderr(&o));
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("neurofed::access"))
        .collect();
    let has = |route: &str, status: &str| {
        lines.iter().any(|l| {
            l.contains("method=GET")
                && l.contains(&format!("route={route} "))
                && l.contains(&format!("status={status}"))
                && l.contains("ms=")
        })
    };
    assert!(has("/api/v1/search", "200"), "{text}");
    assert!(has("/api/v1/studies/{id}", "200"), "{text}");
    assert!(has("(unmatched)", "404"), "{text}");
    // Route templates, never raw paths or query values.
    for leak in ["Schmidt", "q=", "secret", &study, "nowhere"] {
        assert!(!text.contains(leak), "{leak:?} in the log:\n{text}");
    }
    // No colours in a log file.
    assert!(!text.contains('\u{1b}'), "{text}");
}
