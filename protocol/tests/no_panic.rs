//! "No input makes a decoder panic": arbitrary bytes, and valid messages with mutations, fed to
//! every decoder (`protocol::fuzz_decode_all`). `scripts/fuzz` runs the timed variant for longer;
//! the cargo-fuzz targets under `protocol/fuzz/` call the same function.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;
mod strategies;

use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use protocol::grant::{CapabilityChain, Membership, Roster, RosterMember};
use protocol::signed::Signed;
use protocol::wire::{encode_request, Request, SearchRequest};

/// Valid encodings of every kind of message, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let c = cast();
    let chain = chain_of(&c, 3);
    let m = Membership::new(
        c.coordinator.public(),
        c.node_a.public(),
        "Rennes",
        NOW,
        NOW + DAY,
    );
    let roster = Roster::new(
        c.coordinator.public(),
        1,
        NOW,
        vec![RosterMember {
            node: c.node_a.public(),
            center: "Rennes".into(),
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        }],
    );
    let mut q = protocol::query::SearchQuery::text("t1");
    q.filters.push(protocol::query::Filter::Range {
        field: protocol::query::RangeField::Te,
        min: Some(1.0),
        max: Some(90.5),
    });
    let req = Request::Search(SearchRequest {
        id: 1,
        query: q,
        auth: Some(protocol::wire::Authorization {
            chain: chain.clone(),
            invocation: None,
        }),
        deadline_ms: 5,
    });
    vec![
        chain.bytes().to_vec(),
        chain.links()[0].bytes().to_vec(),
        Signed::sign(m, &c.coordinator).unwrap().bytes().to_vec(),
        Signed::sign(roster, &c.coordinator)
            .unwrap()
            .bytes()
            .to_vec(),
        encode_request(&req).unwrap(),
        CapabilityChain::new(vec![]).unwrap().bytes().to_vec(),
    ]
}

fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for &(pos, byte, op) in edits {
        if data.is_empty() {
            data.push(byte);
            continue;
        }
        let i = pos % data.len();
        match op % 5 {
            0 => data[i] = byte,
            1 => data[i] ^= 1 << (byte % 8),
            2 => data.insert(i, byte),
            3 => {
                data.remove(i);
            }
            _ => data.truncate(i),
        }
    }
    data
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8)
}

fn run(cases: u32, seed_bytes: &[Vec<u8>]) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let bytes = proptest::collection::vec(any::<u8>(), 0..512);
    runner
        .run(&bytes, |data| {
            protocol::fuzz_decode_all(&data);
            Ok(())
        })
        .unwrap();
    let which = 0..seed_bytes.len();
    runner
        .run(&(which, edits()), |(i, e)| {
            protocol::fuzz_decode_all(&mutate(&seed_bytes[i], &e));
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_and_mutated_inputs_never_panic() {
    let seeds = seeds();
    for s in &seeds {
        protocol::fuzz_decode_all(s);
    }
    run(256, &seeds);
}

/// Run for `NEUROFED_FUZZ_SECONDS` (default 60): `scripts/fuzz` without cargo-fuzz.
#[test]
#[ignore]
fn timed_fuzz() {
    let secs = std::env::var("NEUROFED_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seeds = seeds();
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        run(2000, &seeds);
        rounds += 1;
    }
    eprintln!("timed_fuzz: {} rounds of 4000 inputs in {secs} s", rounds);
}

/// Write the seed messages to `NEUROFED_FUZZ_CORPUS` (a directory): the fuzzers' starting corpus.
#[test]
#[ignore]
fn write_seed_corpus() {
    let Some(dir) = std::env::var_os("NEUROFED_FUZZ_CORPUS") else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for (i, s) in seeds().iter().enumerate() {
        std::fs::write(std::path::Path::new(&dir).join(format!("seed-{i}")), s).unwrap();
    }
}
