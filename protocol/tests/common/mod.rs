//! Fixtures shared by the protocol integration tests: seeded keys, grants and chains.
#![allow(dead_code)]

use protocol::grant::{ActionSet, Capability, CapabilityChain, Resource};
use protocol::id::StudyId;
use protocol::{SecretKey, Signed};

/// A fixed "now": 2026-01-01T00:00:00Z.
pub const NOW: u64 = 1_767_225_600;
pub const DAY: u64 = 86_400;

pub fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

pub struct Cast {
    pub coordinator: SecretKey,
    pub node_a: SecretKey,
    pub node_b: SecretKey,
    pub pi: SecretKey,
    pub researcher: SecretKey,
    pub student: SecretKey,
    pub postdoc: SecretKey,
    pub stranger: SecretKey,
}

pub fn cast() -> Cast {
    Cast {
        coordinator: key(1),
        node_a: key(2),
        node_b: key(3),
        pi: key(4),
        researcher: key(5),
        student: key(6),
        postdoc: key(7),
        stranger: key(8),
    }
}

pub fn study(n: u8) -> StudyId {
    StudyId::from_bytes([n; 16])
}

pub fn studies(node: &SecretKey, ns: &[u8]) -> Resource {
    Resource::Studies {
        node: node.public(),
        ids: ns.iter().map(|&n| study(n)).collect(),
    }
}

/// Node A's PI grants the researcher search+download on studies 1 and 2 for 30 days.
pub fn root_grant(c: &Cast) -> Signed<Capability> {
    let body = Capability::new(
        c.pi.public(),
        c.researcher.public(),
        studies(&c.node_a, &[1, 2]),
        "search,download".parse::<ActionSet>().unwrap(),
        NOW - DAY,
        NOW + 30 * DAY,
    );
    Signed::sign(body, &c.pi).unwrap()
}

/// Sign a delegation of the last link of `chain` from its audience `from` to `to`, shaped by `f`.
pub fn delegate(
    chain: &CapabilityChain,
    from: &SecretKey,
    to: &SecretKey,
    f: impl FnOnce(&mut Capability),
) -> CapabilityChain {
    let mut body = Capability::delegate(chain.leaf().unwrap(), to.public());
    f(&mut body);
    chain.with(Signed::sign(body, from).unwrap()).unwrap()
}

/// A chain of `n` links: PI -> researcher -> student -> postdoc -> stranger...
pub fn chain_of(c: &Cast, n: usize) -> CapabilityChain {
    let people = [
        &c.researcher,
        &c.student,
        &c.postdoc,
        &c.stranger,
        &c.node_b,
    ];
    let mut chain = CapabilityChain::new(vec![root_grant(c)]).unwrap();
    for i in 1..n {
        let from = people[(i - 1) % people.len()];
        let to = people[i % people.len()];
        chain = delegate(&chain, from, to, |b| b.expires -= DAY);
    }
    chain
}
