//! `neurofed upload` against a node served on 127.0.0.1: a workstation de-identifies with the
//! study's keys (the node's own import of the same files then finds every instance already
//! there), sends by hash, and an upload killed halfway sends, when run again, only what had not
//! arrived. No planted PHI reaches the node.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::serve::{http, json as body_json, serve_http, with_stdin};
use crate::util::{json, neurofed, new_home, ok};

pub(crate) const STUDY: &str = "MS cohort";

/// A node with the study (and its card) and `tech`, who may import into it; `tech`'s token.
pub(crate) fn node_with_technician() -> (tempfile::TempDir, PathBuf, String) {
    let (dir, home) = new_home("Rennes Neurinfo");
    let card = testkit::workspace_root().join("docs/cards/mr-natures.toml");
    ok(neurofed(&home)
        .args(["studycard", "add", "--create", "--study", STUDY])
        .arg(&card));
    with_stdin(&home, &["user", "add", "tech"], "correct horse battery\n");
    ok(neurofed(&home).args([
        "rights", "grant", "tech", "--study", STUDY, "--rights", "import",
    ]));
    let token = with_stdin(&home, &["user", "token", "tech", "--label", "station"], "")
        .trim()
        .to_string();
    (dir, home, token)
}

/// The corpus's subject folders, sorted.
fn subjects(corpus: &Path) -> Vec<PathBuf> {
    let mut s: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    s.sort();
    s
}

/// The station: `neurofed upload` with no home of its own.
fn upload(station: &Path, addr: &str, token: &str, paths: &[&Path]) -> std::process::Command {
    let mut c = neurofed(station);
    c.args(["upload", "--study", STUDY, "--to"])
        .arg(format!("http://{addr}"))
        .args(["--token", token])
        .args(paths);
    c
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count()
    })
}

#[test]
fn an_upload_is_de_identified_on_the_station_as_the_node_itself_would() {
    let corpus = testkit::synth_corpus();
    let subject = subjects(&corpus).remove(0);
    let (dir, home, token) = node_with_technician();
    let station = dir.path().join("station");
    let (server, addr) = serve_http(&home, None);

    let r = json(&mut upload(&station, &addr, &token, &[&subject]));
    let n = r["instances"].as_u64().unwrap();
    assert!(n > 0, "{r}");
    assert_eq!(r["sent"].as_u64(), Some(n), "{r}");
    assert_eq!(r["imported"].as_u64(), Some(n), "{r}");
    assert_eq!(r["refused"].as_array().map(Vec::len), Some(0), "{r}");
    assert!(r["series"].as_u64().unwrap() >= 1);

    // Again: nothing sent, everything already there.
    let again = json(&mut upload(&station, &addr, &token, &[&subject]));
    assert_eq!(again["sent"].as_u64(), Some(0), "{again}");
    assert_eq!(again["already_imported"].as_u64(), Some(n), "{again}");

    // The node gave the keys to tech (audited); the spool is empty after the commits.
    let (status, body) = http(
        &addr,
        "GET",
        "/api/v1/studies",
        Some(&token),
        b"",
        "text/plain",
    );
    assert_eq!(status, 200);
    let studies = body_json(&body);
    let id = studies["studies"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(files_in(&home.join("uploads").join(&id)), 0);

    // Someone without the import right gets neither keys nor a place to send.
    with_stdin(&home, &["user", "add", "eve"], "correct horse battery\n");
    let eve = with_stdin(&home, &["user", "token", "eve", "--label", "x"], "")
        .trim()
        .to_string();
    let (status, _) = http(
        &addr,
        "GET",
        &format!("/api/v1/studies/{id}/upload"),
        Some(&eve),
        b"",
        "text/plain",
    );
    assert!(status == 403 || status == 404, "{status}");
    let mut refused = upload(&station, &addr, &eve, &[&subject]);
    let out = refused.output().unwrap();
    assert!(!out.status.success());
    // A body that does not hash to its URL is refused and nothing is kept.
    let (status, body) = http(
        &addr,
        "PUT",
        &format!("/api/v1/studies/{id}/upload/blobs/{}", "0".repeat(64)),
        Some(&token),
        b"not what the hash says",
        "application/dicom",
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("hash_mismatch"));
    assert_eq!(files_in(&home.join("uploads").join(&id)), 0);
    drop(server);

    // The node's own import of the very same files finds every instance already there: the
    // station wrote the same pseudonyms and UIDs.
    let local = json(
        neurofed(&home)
            .args(["import", "--study", STUDY])
            .arg(&subject),
    );
    assert_eq!(local["instances"].as_u64(), Some(0), "{local}");
    assert_eq!(local["duplicates"].as_u64(), Some(n), "{local}");
    let audit = ok(neurofed(&home).args(["audit", "--json"]));
    assert!(audit.contains("upload_keys"), "the key hand-out is audited");
}

#[test]
fn an_upload_killed_halfway_sends_only_what_had_not_arrived() {
    let corpus = testkit::synth_corpus();
    let planted = testkit::planted_phi(&corpus);
    let (dir, home, token) = node_with_technician();
    let station = dir.path().join("station");
    let (server, addr) = serve_http(&home, None);
    let uploads = home.join("uploads");

    let mut first = upload(&station, &addr, &token, &[&corpus])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some blobs have arrived and before it is done.
    let deadline = Instant::now() + Duration::from_secs(600);
    let spooled = |d: &Path| {
        std::fs::read_dir(d)
            .map(|rd| rd.filter_map(Result::ok).map(|e| files_in(&e.path())).sum())
            .unwrap_or(0usize)
    };
    loop {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the upload ended before it could be interrupted"
        );
        if spooled(&uploads) >= 10 {
            break;
        }
        assert!(Instant::now() < deadline, "no blob arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let arrived = spooled(&uploads);

    let r = json(&mut upload(&station, &addr, &token, &[&corpus]));
    let n = r["instances"].as_u64().unwrap();
    let sent = r["sent"].as_u64().unwrap();
    let before = r["already_sent"].as_u64().unwrap() + r["already_imported"].as_u64().unwrap();
    assert!(before >= arrived as u64, "{arrived} had arrived: {r}");
    assert_eq!(sent + before, n, "{r}");
    assert!(sent < n, "only the missing ones are sent: {r}");
    assert_eq!(
        r["imported"].as_u64().unwrap() + r["duplicates"].as_u64().unwrap(),
        n - r["already_imported"].as_u64().unwrap(),
        "{r}"
    );
    assert_eq!(r["refused"].as_array().map(Vec::len), Some(0), "{r}");
    drop(server);

    let leaks = testkit::scan_for_phi(&home, &planted);
    assert!(leaks.is_empty(), "planted PHI on the node: {leaks:?}");
    let fsck = neurofed(&home).arg("fsck").output().unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
}
