//! The user story of issue 6, driven through the command parsers on temporary homes.

use node::Home;

use anyhow::{bail, Result};
use clap::Parser;
use protocol::id::StudyId;
use protocol::keys::PublicKey;

use super::grant::StudyAuthority;
use super::{consortium, grant, keys};

#[derive(Parser)]
enum Cmd {
    #[command(subcommand)]
    Consortium(consortium::ConsortiumCmd),
    #[command(subcommand)]
    Grant(grant::GrantCmd),
    #[command(subcommand)]
    Keys(keys::KeysCmd),
}

/// A catalog with studies "ms-cohort" and "stroke"; the user key `pi` administers both.
struct Catalog {
    pi: Option<PublicKey>,
}

fn study_id(name: &str) -> Result<StudyId> {
    match name {
        "ms-cohort" => Ok(StudyId::from_bytes([1; 16])),
        "stroke" => Ok(StudyId::from_bytes([2; 16])),
        "other" => Ok(StudyId::from_bytes([3; 16])),
        _ => bail!("no study {name:?}"),
    }
}

impl StudyAuthority for Catalog {
    fn resolve(&self, name: &str) -> Result<StudyId> {
        study_id(name)
    }
    fn administers(&self, key: &PublicKey, _: &StudyId) -> Result<bool> {
        Ok(Some(*key) == self.pi)
    }
}

fn run(home: &Home, catalog: &Catalog, args: &[&str]) -> i32 {
    let cmd = Cmd::try_parse_from(std::iter::once("neurofed").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let r = match cmd {
        Cmd::Consortium(c) => consortium::run(c, home, &study_id),
        Cmd::Grant(c) => grant::run_with(c, home, catalog),
        Cmd::Keys(c) => keys::run(c, home, &study_id),
    };
    r.unwrap_or_else(|e| panic!("{args:?}: {e:#}"))
}

fn node_peer_id(home: &Home) -> String {
    super::common::node_key(home).unwrap().public().to_peer_id()
}

fn user_peer_id(home: &Home, name: &str) -> String {
    assert_eq!(run(home, &Catalog { pi: None }, &["keys", "user", name]), 0);
    super::common::user_key(home, name)
        .unwrap()
        .public()
        .to_peer_id()
}

#[test]
fn consortium_grants_delegation_and_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let (coord, rennes, lyon) = (
        Home::new(tmp.path().join("coord")),
        Home::new(tmp.path().join("rennes")),
        Home::new(tmp.path().join("lyon")),
    );
    let f = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    let none = Catalog { pi: None };

    // The coordinator creates the consortium and admits two nodes.
    assert_eq!(
        run(&coord, &none, &["consortium", "create", "OFSEP imaging"]),
        0
    );
    for (home, center, out) in [(&rennes, "Rennes", "m-rennes"), (&lyon, "Lyon", "m-lyon")] {
        let peer = node_peer_id(home);
        let args = [
            "consortium",
            "admit",
            "--node",
            &peer,
            "--center",
            center,
            "--addr",
            "/ip4/127.0.0.1/tcp/4001",
            "--expires",
            "2099-12-31",
            "--out",
            &f(out),
        ];
        assert_eq!(run(&coord, &none, &args), 0);
    }
    assert_eq!(
        run(
            &coord,
            &none,
            &["consortium", "roster", "--out", &f("roster1")]
        ),
        0
    );
    assert_eq!(
        run(
            &rennes,
            &none,
            &["consortium", "join", &f("roster1"), &f("m-rennes")]
        ),
        0
    );
    assert_eq!(
        run(
            &lyon,
            &none,
            &["consortium", "join", &f("roster1"), &f("m-lyon")]
        ),
        0
    );
    // Rennes cannot join with Lyon's membership, nor take an older roster.
    assert_eq!(
        run(
            &rennes,
            &none,
            &["consortium", "join", &f("roster1"), &f("m-lyon")]
        ),
        1
    );
    assert_eq!(run(&rennes, &none, &["grant", "verify", &f("m-rennes")]), 0);
    assert_eq!(run(&rennes, &none, &["grant", "verify", &f("roster1")]), 0);

    // The PI at Rennes grants a researcher at Lyon search+download on two studies.
    let pi = user_peer_id(&rennes, "pi");
    let catalog = Catalog {
        pi: Some(pi.parse().unwrap()),
    };
    let researcher = user_peer_id(&lyon, "researcher");
    let issue = |home: &Home, cat: &Catalog, extra: &[&str]| {
        let mut args = vec!["grant", "issue"];
        args.extend_from_slice(extra);
        run(home, cat, &args)
    };
    assert_eq!(
        issue(
            &rennes,
            &catalog,
            &[
                "--as",
                "pi",
                "--to",
                &researcher,
                "--study",
                "ms-cohort",
                "--study",
                "stroke",
                "--actions",
                "search,download",
                "--expires",
                "2099-06-30",
                "--out",
                &f("g1")
            ]
        ),
        0
    );
    // Someone who does not administer the studies cannot issue a root grant.
    let _ = user_peer_id(&rennes, "intern");
    assert_eq!(
        issue(
            &rennes,
            &catalog,
            &[
                "--as",
                "intern",
                "--to",
                &researcher,
                "--study",
                "stroke",
                "--actions",
                "search",
                "--expires",
                "2099-06-30",
                "--out",
                &f("bad")
            ]
        ),
        1
    );
    assert_eq!(run(&lyon, &none, &["grant", "verify", &f("g1")]), 0);
    assert_eq!(run(&lyon, &none, &["grant", "add", &f("g1")]), 0);

    // The researcher hands a narrower part to a student: one study, search only, earlier expiry.
    let student = user_peer_id(&lyon, "student");
    let stroke = study_id("stroke").unwrap().to_string();
    assert_eq!(
        issue(
            &lyon,
            &none,
            &[
                "--parent",
                &f("g1"),
                "--to",
                &student,
                "--study",
                &stroke,
                "--actions",
                "search",
                "--expires",
                "2099-01-31",
                "--out",
                &f("g2")
            ]
        ),
        0
    );
    assert_eq!(
        run(&lyon, &none, &["grant", "verify", &f("g2"), "--json"]),
        0
    );
    assert_eq!(run(&lyon, &none, &["grant", "add", &f("g2")]), 0);
    // Never a wider one: another study, more actions, a later expiry are all refused.
    let other = study_id("other").unwrap().to_string();
    for extra in [
        vec![
            "--study",
            other.as_str(),
            "--actions",
            "search",
            "--expires",
            "2099-01-31",
        ],
        vec!["--actions", "search,import", "--expires", "2099-01-31"],
        vec!["--actions", "search", "--expires", "2100-01-31"],
    ] {
        let mut args = vec![
            "--parent",
            f("g1").leak() as &str,
            "--to",
            student.as_str(),
            "--out",
            f("g3").leak(),
        ];
        args.extend(extra);
        assert_eq!(issue(&lyon, &none, &args), 1, "{args:?}");
    }
    assert_eq!(run(&lyon, &none, &["grant", "ls"]), 0);

    // The researcher revokes the student's grant: it no longer verifies where the revocation is.
    assert_eq!(run(&lyon, &none, &["grant", "revoke", &f("g2")]), 0);
    assert_eq!(run(&lyon, &none, &["grant", "verify", &f("g2")]), 1);
    assert_eq!(run(&lyon, &none, &["grant", "verify", &f("g1")]), 0);
    // A grant not for this node or its users is not kept.
    assert_eq!(run(&rennes, &none, &["grant", "add", &f("g1")]), 1);
    // Garbage is refused with a reason, not a crash.
    std::fs::write(f("junk"), b"\xa1\x61x\x01").unwrap();
    assert_eq!(run(&lyon, &none, &["grant", "verify", &f("junk")]), 1);
    assert_eq!(
        run(
            &coord,
            &none,
            &["consortium", "revocations", "--out", &f("rl1")]
        ),
        0
    );
    assert_eq!(run(&coord, &none, &["keys", "show"]), 0);
}
