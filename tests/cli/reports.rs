//! E-mail import reports against a real SMTP server: Python's `aiosmtpd` on 127.0.0.1, saving
//! every message it receives into a Maildir. Each import into a study sends one message to each
//! subscriber with an address who may see the study (not to one without rights, not to one not
//! subscribed, not for a no-op re-import); subscribing through the API works; no planted PHI in
//! any message.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::serve::{http, serve_http, with_stdin};
use crate::util::{json, neurofed, new_home, ok};

const PASSWORD: &str = "correct horse battery";

struct Sink(Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sink(maildir: &Path) -> (Sink, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sink = Sink(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (sink, port)
}

/// The messages received so far, as text.
fn inbox(maildir: &Path) -> Vec<String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v.iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

fn recipient(msg: &str) -> String {
    msg.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or_default()
        .to_string()
}

fn subject_dirs(corpus: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn each_import_mails_its_report_to_subscribers_who_may_see_the_study() {
    testkit::need_tool!("python3", ["-c", "import aiosmtpd"]);
    let corpus = testkit::synth_corpus();
    let subjects = subject_dirs(&corpus);
    let (dir, home) = new_home("Rennes Neurinfo");
    let maildir = dir.path().join("mail");
    let (_sink, port) = start_sink(&maildir);
    let cfg = home.join("config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nfrom = \"neurofed@rennes.example\"\nsecurity = \"none\"\n"
    ));
    std::fs::write(&cfg, text).unwrap();
    let import = |p: &Path| {
        json(
            neurofed(&home)
                .args(["import", "--create", "--study", "MS cohort"])
                .arg(p),
        )
    };
    import(&subjects[0]);
    for (u, email) in [
        ("alice", Some("alice@rennes.example")),
        ("bob", Some("bob@rennes.example")),
        ("carol", Some("carol@rennes.example")),
        ("dave", None),
    ] {
        let mut args = vec!["user", "add", u];
        if let Some(e) = email {
            args.extend(["--email", e]);
        }
        with_stdin(&home, &args, &format!("{PASSWORD}\n"));
    }
    for u in ["alice", "carol", "dave"] {
        ok(neurofed(&home).args([
            "rights",
            "grant",
            u,
            "--study",
            "MS cohort",
            "--rights",
            "see",
        ]));
    }
    for u in ["alice", "bob", "dave"] {
        ok(neurofed(&home).args(["study", "reports", "--study", "MS cohort", "--subscribe", u]));
    }
    assert!(
        inbox(&maildir).is_empty(),
        "no report before any subscription"
    );

    // An import: one message, to alice only (bob may not see the study, carol did not
    // subscribe, dave has no address).
    import(&subjects[1]);
    let mail = inbox(&maildir);
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert!(
        recipient(&mail[0]).contains("alice@rennes.example"),
        "{}",
        mail[0]
    );
    assert!(
        mail[0].contains("From: neurofed@rennes.example"),
        "{}",
        mail[0]
    );
    let ls = json(neurofed(&home).arg("ls"));
    // The body names the imported subject's pseudonym and its series, and says how many.
    let pseudonyms: std::collections::BTreeSet<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    let named: Vec<&&str> = pseudonyms
        .iter()
        .filter(|p| mail[0].contains(**p))
        .collect();
    assert_eq!(
        named.len(),
        1,
        "exactly the new subject is named: {}",
        mail[0]
    );
    assert!(mail[0].contains("6 series"), "{}", mail[0]);
    assert!(mail[0].contains("t1_mprage"), "{}", mail[0]);

    // Re-importing the same files changes nothing: no message.
    import(&subjects[1]);
    assert_eq!(inbox(&maildir).len(), 1);

    // carol subscribes through the API (her own switch), then the next import reaches her too.
    let (server, addr) = serve_http(&home, None);
    let token = with_stdin(&home, &["user", "token", "carol", "--label", "t"], "")
        .trim()
        .to_string();
    let (status, body) = http(
        &addr,
        "PUT",
        "/api/v1/studies/MS%20cohort/reports",
        Some(&token),
        b"",
        "application/json",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["subscribed"], true);
    assert_eq!(v["has_email"], true);
    assert_eq!(v["mail_configured"], true);
    let bob = with_stdin(&home, &["user", "token", "bob", "--label", "t"], "")
        .trim()
        .to_string();
    let (status, _) = http(
        &addr,
        "PUT",
        "/api/v1/studies/MS%20cohort/reports",
        Some(&bob),
        b"",
        "application/json",
    );
    assert_eq!(status, 403, "no see right, no subscription");
    drop(server);
    import(&subjects[2]);
    let mail = inbox(&maildir);
    assert_eq!(mail.len(), 3, "{mail:#?}");
    let mut to: Vec<String> = mail[1..].iter().map(|m| recipient(m)).collect();
    to.sort();
    assert!(
        to[0].contains("alice@") && to[1].contains("carol@"),
        "{to:?}"
    );

    // Nothing identifying in any message.
    let needles = testkit::planted_phi(&corpus);
    for m in &mail {
        for n in &needles {
            assert!(
                testkit::find_leak(m.as_bytes(), n).is_none(),
                "planted {n:?} in a report"
            );
        }
    }
    let audit = ok(neurofed(&home).args(["audit", "--json"]));
    assert!(audit.contains("report_sent") && audit.contains("report_subscription"));
}
