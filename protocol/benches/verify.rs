//! Capability verification throughput: 1-link and 4-link chains, cold (decode + signatures) and
//! from the cache of verified chains; also prints the encoded size of a 4-link chain.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p neurofed-protocol --bench verify`
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use protocol::grant::{ActionSet, Capability, CapabilityChain, Resource};
use protocol::id::StudyId;
use protocol::verify::{NoLocalAuthority, Policy, Revocations, VerifiedCache, Verifier};
use protocol::{PublicKey, SecretKey, Signed};

const NOW: u64 = 1_767_225_600;
const DAY: u64 = 86_400;

fn chain(links: usize) -> (CapabilityChain, PublicKey) {
    let keys: Vec<SecretKey> = (0..=links as u8 + 1)
        .map(|i| SecretKey::from_seed(&[i + 10; 32]))
        .collect();
    let node = &keys[0];
    let resource = Resource::Studies {
        node: node.public(),
        ids: [StudyId::from_bytes([1; 16]), StudyId::from_bytes([2; 16])].into(),
    };
    let root = Capability::new(
        node.public(),
        keys[1].public(),
        resource,
        "search,download".parse::<ActionSet>().unwrap(),
        NOW - DAY,
        NOW + 30 * DAY,
    );
    let mut chain = CapabilityChain::new(vec![Signed::sign(root, node).unwrap()]).unwrap();
    for i in 1..links {
        let mut body = Capability::delegate(chain.leaf().unwrap(), keys[i + 1].public());
        body.expires -= DAY;
        chain = chain.with(Signed::sign(body, &keys[i]).unwrap()).unwrap();
    }
    let audience = chain.leaf().unwrap().body().audience;
    (chain, audience)
}

/// Verifications per second of this thread's CPU time (robust when other processes share the
/// cores, unlike criterion's wall-clock figures).
fn per_cpu_second(label: &str, mut f: impl FnMut()) {
    let iters = 2_000u32;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = cpu_time::ThreadTime::now();
        for _ in 0..iters {
            f();
        }
        best = best.min(start.elapsed().as_secs_f64() / f64::from(iters));
    }
    eprintln!(
        "{label}: {:.0} verifications per CPU-second ({:.2} us each)",
        1.0 / best,
        best * 1e6
    );
}

fn bench(c: &mut Criterion) {
    let policy = Policy::offline();
    let revocations = Revocations::new();
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    for links in [1usize, 4] {
        let (chain, audience) = chain(links);
        eprintln!("{links}-link chain: {} bytes", chain.bytes().len());
        let bytes = chain.bytes().to_vec();
        let cold = Verifier {
            policy: &policy,
            revocations: &revocations,
            authority: &NoLocalAuthority,
            cache: None,
        };
        per_cpu_second(&format!("{links}-link cold"), || {
            cold.verify_bytes(&bytes, &audience, NOW).unwrap();
        });
        group.bench_function(format!("{links}-link cold"), |b| {
            b.iter(|| cold.verify_bytes(&bytes, &audience, NOW).unwrap())
        });
        let cache = VerifiedCache::new(1024);
        let cached = Verifier {
            cache: Some(&cache),
            ..cold
        };
        cached.verify_bytes(&bytes, &audience, NOW).unwrap();
        per_cpu_second(&format!("{links}-link cached"), || {
            cached.verify_bytes(&bytes, &audience, NOW).unwrap();
        });
        group.bench_function(format!("{links}-link cached"), |b| {
            b.iter(|| cached.verify_bytes(&bytes, &audience, NOW).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn parts(c: &mut Criterion) {
    let (chain, _) = chain(1);
    let link = chain.leaf().unwrap().clone();
    let bytes = chain.bytes().to_vec();
    let mut group = c.benchmark_group("parts");
    group.bench_function("signature only (1 link)", |b| {
        b.iter(|| link.verify_signature().unwrap())
    });
    group.bench_function("decode only (1-link chain)", |b| {
        b.iter(|| CapabilityChain::from_bytes(&bytes).unwrap())
    });
    group.finish();
}

criterion_group!(part_benches, parts);
criterion_main!(benches, part_benches);
