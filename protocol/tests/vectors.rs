//! Committed test vectors (`tests/vectors/v1.json`): fixed-seed keys, their PeerIds, grants,
//! signatures, hashes and a delegation chain, as hex, so that another implementation can check
//! itself against ours. This test rebuilds them and compares; `NEUROFED_BLESS=1` rewrites the file
//! (only ever for a deliberate format change, with a version bump).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use common::*;
use protocol::grant::{
    CapabilityChain, Membership, Revocation, RevocationList, Roster, RosterMember,
};
use protocol::signed::{tag, Signed, SignedBody};
use protocol::SecretKey;
use serde_json::{json, Value};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v1.json");

fn key_entry(name: &str, seed: u8) -> (String, Value) {
    let k = SecretKey::from_seed(&[seed; 32]);
    (
        name.to_string(),
        json!({
            "seed": hex::encode([seed; 32]),
            "public_key": hex::encode(k.public().as_bytes()),
            "peer_id": k.public().to_peer_id(),
        }),
    )
}

fn doc<T: SignedBody>(s: &Signed<T>) -> Value {
    json!({
        "tag": String::from_utf8_lossy(T::KIND.tag()),
        "body": hex::encode(s.body_bytes()),
        "signature": hex::encode(s.signature().as_bytes()),
        "envelope": hex::encode(s.bytes()),
        "hash": s.hash().to_hex(),
        "readable": serde_json::to_value(s).unwrap(),
    })
}

fn build() -> Value {
    let c = cast();
    let keys: serde_json::Map<String, Value> = [
        key_entry("coordinator", 1),
        key_entry("node_a", 2),
        key_entry("node_b", 3),
        key_entry("pi", 4),
        key_entry("researcher", 5),
        key_entry("student", 6),
        key_entry("postdoc", 7),
        key_entry("stranger", 8),
    ]
    .into_iter()
    .collect();
    let membership = Signed::sign(
        Membership::new(
            c.coordinator.public(),
            c.node_a.public(),
            "Rennes",
            NOW,
            NOW + 365 * DAY,
        ),
        &c.coordinator,
    )
    .unwrap();
    let roster = Signed::sign(
        Roster::new(
            c.coordinator.public(),
            1,
            NOW,
            vec![
                RosterMember {
                    node: c.node_a.public(),
                    center: "Rennes".into(),
                    addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
                },
                RosterMember {
                    node: c.node_b.public(),
                    center: "Lyon".into(),
                    addrs: vec![],
                },
            ],
        ),
        &c.coordinator,
    )
    .unwrap();
    let chain4 = chain_of(&c, 4);
    let root = chain4.links()[0].clone();
    let chain1 = CapabilityChain::new(vec![root.clone()]).unwrap();
    let revocation = Signed::sign(Revocation::new(c.pi.public(), root.hash(), NOW), &c.pi).unwrap();
    let list = Signed::sign(
        RevocationList::new(
            c.coordinator.public(),
            1,
            NOW,
            BTreeSet::from([root.hash()]),
        ),
        &c.coordinator,
    )
    .unwrap();
    json!({
        "about": "neurofed protocol v1 test vectors; see docs/protocol.md. Keys are ed25519 from the 32-byte seeds; signatures cover tag || body; hash = blake3(envelope).",
        "now": NOW,
        "tags": {
            "membership": String::from_utf8_lossy(tag::MEMBERSHIP),
            "roster": String::from_utf8_lossy(tag::ROSTER),
            "capability": String::from_utf8_lossy(tag::CAPABILITY),
            "revocation": String::from_utf8_lossy(tag::REVOCATION),
            "revocation_list": String::from_utf8_lossy(tag::REVOCATION_LIST),
            "search_response": String::from_utf8_lossy(tag::SEARCH_RESPONSE),
            "invocation": String::from_utf8_lossy(tag::INVOCATION),
        },
        "keys": keys,
        "membership": doc(&membership),
        "roster": doc(&roster),
        "capability_root": doc(&root),
        "capability_chain_1": { "bytes": hex::encode(chain1.bytes()), "len": chain1.bytes().len() },
        "capability_chain_4": {
            "links": chain4.links().iter().map(doc).collect::<Vec<_>>(),
            "bytes": hex::encode(chain4.bytes()),
            "len": chain4.bytes().len(),
            "verifies_for": chain4.leaf().unwrap().body().audience.to_peer_id(),
            "at": NOW,
        },
        "revocation": doc(&revocation),
        "revocation_list": doc(&list),
    })
}

#[test]
fn vectors_match_the_committed_file() {
    let built = build();
    let text = serde_json::to_string_pretty(&built).unwrap() + "\n";
    if std::env::var_os("NEUROFED_BLESS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(PATH).parent().unwrap()).unwrap();
        std::fs::write(PATH, &text).unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(
        committed, built,
        "test vectors changed: the wire format is not stable"
    );
}

#[test]
fn committed_vectors_verify_from_their_bytes_alone() {
    use protocol::verify::{NoLocalAuthority, Policy, Revocations, Verifier};
    let v: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let bytes = hex::decode(v["capability_chain_4"]["bytes"].as_str().unwrap()).unwrap();
    let audience = v["capability_chain_4"]["verifies_for"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let verifier = Verifier {
        policy: &Policy::offline(),
        revocations: &Revocations::new(),
        authority: &NoLocalAuthority,
        cache: None,
    };
    let ok = verifier
        .verify_bytes(&bytes, &audience, v["now"].as_u64().unwrap())
        .unwrap();
    assert_eq!(ok.links.len(), 4);
    // Each signature checks against tag || body with the issuer's key.
    for link in v["capability_chain_4"]["links"].as_array().unwrap() {
        let s = Signed::<protocol::grant::Capability>::from_bytes(
            &hex::decode(link["envelope"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(hex::encode(s.body_bytes()), link["body"].as_str().unwrap());
        assert!(s.verify_signature().is_ok());
    }
}
