//! The user story of issue 6 (formerly driven through the CLI parsers), on temporary homes:
//! a coordinator admits two nodes, a PI grants a researcher two studies, the researcher
//! delegates a narrower part to a student and revokes it.

use std::path::{Path, PathBuf};

use node::{Home, KeyFile};
use protocol::grant::ActionSet;
use protocol::id::StudyId;
use protocol::keys::PublicKey;
use protocol::time::parse_expiry;

use super::*;
use crate::coordinator::{Admission, Coordinator};
use crate::keyring::{key_rows, user_key_or_create};
use crate::state::{join, JoinError};

/// A catalog with studies "ms-cohort", "stroke" and "other"; the user key `pi` administers all.
struct Catalog {
    pi: Option<PublicKey>,
}

fn study_id(name: &str) -> Result<StudyId, GrantError> {
    match name {
        "ms-cohort" => Ok(StudyId::from_bytes([1; 16])),
        "stroke" => Ok(StudyId::from_bytes([2; 16])),
        "other" => Ok(StudyId::from_bytes([3; 16])),
        _ => Err(GrantError::NoStudy(name.into())),
    }
}

impl StudyAuthority for Catalog {
    fn resolve(&self, name: &str) -> Result<StudyId, GrantError> {
        study_id(name)
    }
    fn administers(&self, key: &PublicKey, _: &StudyId) -> Result<bool, GrantError> {
        Ok(Some(*key) == self.pi)
    }
}

const NOW: UnixTime = 1_900_000_000;

fn until(day: &str) -> UnixTime {
    parse_expiry(day).unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    node::write_atomic(path, bytes).unwrap();
}

fn request(to: PublicKey, studies: &[&str], actions: &str, expires: &str) -> IssueRequest {
    IssueRequest {
        to,
        studies: studies.iter().map(|s| s.to_string()).collect(),
        public: false,
        actions: (!actions.is_empty()).then(|| actions.parse::<ActionSet>().unwrap()),
        expires: until(expires),
        modality: vec![],
        nature: vec![],
        parent: None,
        as_user: None,
    }
}

#[test]
fn consortium_grants_delegation_and_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let (coord, rennes, lyon) = (
        Home::new(tmp.path().join("coord")),
        Home::new(tmp.path().join("rennes")),
        Home::new(tmp.path().join("lyon")),
    );
    let f = |n: &str| -> PathBuf { tmp.path().join(n) };
    let none = Catalog { pi: None };

    // The coordinator creates the consortium and admits two nodes.
    let c = Coordinator::create(&coord, "OFSEP imaging", NOW).unwrap();
    for (home, center, out) in [(&rennes, "Rennes", "m-rennes"), (&lyon, "Lyon", "m-lyon")] {
        let m = c
            .admit(
                Admission {
                    node: KeyFile::node(home).unwrap().public(),
                    center: center.into(),
                    addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
                    expires: until("2099-12-31"),
                    delegate: false,
                },
                NOW,
            )
            .unwrap();
        write(&f(out), m.bytes());
    }
    write(&f("roster1"), c.roster(NOW).unwrap().bytes());
    let r = join(&rennes, &f("roster1"), &f("m-rennes"), None, NOW).unwrap();
    assert!(r.listed && r.members == 2 && r.center == "Rennes");
    join(&lyon, &f("roster1"), &f("m-lyon"), None, NOW).unwrap();
    // Rennes cannot join with Lyon's membership.
    assert!(matches!(
        join(&rennes, &f("roster1"), &f("m-lyon"), None, NOW),
        Err(JoinError::Refused {
            what: "membership",
            ..
        })
    ));
    // Garbage is not a roster.
    std::fs::write(f("junk"), b"\xa1\x61x\x01").unwrap();
    assert!(matches!(
        join(&rennes, &f("junk"), &f("m-rennes"), None, NOW),
        Err(JoinError::NotA { what: "roster", .. })
    ));
    let verify_file = |home: &Home, cat: &Catalog, p: &Path| {
        verify(home, cat, &std::fs::read(p).unwrap(), NOW).unwrap()
    };
    assert!(verify_file(&rennes, &none, &f("m-rennes")).is_valid());
    assert!(verify_file(&rennes, &none, &f("roster1")).is_valid());

    // The PI at Rennes grants a researcher at Lyon search+download on two studies.
    let pi = user_key_or_create(&rennes, "pi").unwrap().public();
    let catalog = Catalog { pi: Some(pi) };
    let researcher = user_key_or_create(&lyon, "researcher").unwrap().public();
    let mut r = request(
        researcher,
        &["ms-cohort", "stroke"],
        "search,download",
        "2099-06-30",
    );
    r.as_user = Some("pi".into());
    let g1 = issue(&rennes, &catalog, r, NOW).unwrap();
    write(&f("g1"), g1.bytes());
    // Someone who does not administer the studies cannot issue a root grant.
    user_key_or_create(&rennes, "intern").unwrap();
    let mut r = request(researcher, &["stroke"], "search", "2099-06-30");
    r.as_user = Some("intern".into());
    assert!(matches!(
        issue(&rennes, &catalog, r, NOW),
        Err(GrantError::Refused {
            action: "not issued",
            ..
        })
    ));
    // A mistyped study and a root grant without actions say so.
    let mut r = request(researcher, &["strok"], "search", "2099-06-30");
    r.as_user = Some("pi".into());
    assert!(matches!(
        issue(&rennes, &catalog, r, NOW),
        Err(GrantError::NoStudy(_))
    ));
    assert!(matches!(
        issue(
            &rennes,
            &catalog,
            request(researcher, &["stroke"], "", "2099-06-30"),
            NOW
        ),
        Err(GrantError::NoActions)
    ));
    assert!(verify_file(&lyon, &none, &f("g1")).is_valid());
    let kept = keep(&lyon, &none, &f("g1"), NOW).unwrap();
    assert_eq!(kept.holder, "user researcher");

    // The researcher hands a narrower part to a student: one study, search only, earlier expiry.
    let student = user_key_or_create(&lyon, "student").unwrap().public();
    let stroke = study_id("stroke").unwrap().to_string();
    let delegate = |studies: &[&str], actions: &str, expires: &str| {
        let mut r = request(student, studies, actions, expires);
        r.parent = Some(f("g1"));
        issue(&lyon, &none, r, NOW)
    };
    let g2 = delegate(&[&stroke], "search", "2099-01-31").unwrap();
    assert_eq!(g2.links().len(), 2);
    write(&f("g2"), g2.bytes());
    let v = verify_file(&lyon, &none, &f("g2"));
    assert_eq!(v.to_json()["details"]["links"], 2, "{}", v.to_json());
    keep(&lyon, &none, &f("g2"), NOW).unwrap();
    // Never a wider one: another study, more actions, a later expiry are all refused.
    let other = study_id("other").unwrap().to_string();
    for (studies, actions, expires) in [
        (vec![other.as_str()], "search", "2099-01-31"),
        (vec![], "search,import", "2099-01-31"),
        (vec![], "search", "2100-01-31"),
    ] {
        assert!(
            matches!(
                delegate(&studies, actions, expires),
                Err(GrantError::Refused { .. })
            ),
            "{studies:?} {actions} {expires}"
        );
    }
    let listed = list(&lyon, &none, NOW).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|g| g.status == "valid"), "{listed:?}");

    // The researcher revokes the student's grant: it no longer verifies where the revocation is.
    let rev = revoke(&lyon, &f("g2"), Some("left the lab".into()), NOW).unwrap();
    assert_eq!(rev.signer, "user researcher");
    assert!(rev.path.is_file());
    let v = verify_file(&lyon, &none, &f("g2"));
    assert_eq!(v.to_json()["reason"], "revoked", "{}", v.to_json());
    assert!(verify_file(&lyon, &none, &f("g1")).is_valid());
    assert!(list(&lyon, &none, NOW)
        .unwrap()
        .iter()
        .any(|g| g.status == "revoked"));
    // A grant not for this node or its users is not kept; Rennes cannot revoke Lyon's grant.
    assert!(matches!(
        keep(&rennes, &none, &f("g1"), NOW),
        Err(GrantError::NotForUs { .. })
    ));
    assert!(matches!(
        revoke(&coord, &f("g2"), None, NOW),
        Err(GrantError::NoIssuerKey(_))
    ));
    // Garbage is refused with a reason, not a crash.
    let v = verify_file(&lyon, &none, &f("junk"));
    assert!(!v.is_valid());
    assert!(v.to_json()["reason"].is_string());
    // Joining again needs a newer roster; the coordinator's revocation list given with it is
    // kept.
    assert!(matches!(
        join(&lyon, &f("roster1"), &f("m-lyon"), None, NOW),
        Err(JoinError::Refused { what: "roster", .. })
    ));
    write(&f("roster2"), c.roster(NOW).unwrap().bytes());
    write(&f("rl1"), c.revocations([], NOW, 86_400).unwrap().bytes());
    let r = join(&lyon, &f("roster2"), &f("m-lyon"), Some(&f("rl1")), NOW).unwrap();
    assert_eq!(
        (r.roster_serial, r.revocation_serial),
        (2, Some(2)),
        "create issued list 1"
    );
    assert!(lyon.revocation_list_path().is_file());
    let (rows, _) = key_rows(&coord).unwrap();
    assert!(rows.iter().any(|r| r.key == "consortium ofsep-imaging"));
}
