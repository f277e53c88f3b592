//! Capability chains: decode, then verify (must return a value, never panic).
#![no_main]
use protocol::grant::CapabilityChain;
use protocol::verify::{NoLocalAuthority, Policy, Revocations, VerifiedCache, Verifier};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let policy = Policy::offline();
    let revocations = Revocations::new();
    let cache = VerifiedCache::new(8);
    let verifier = Verifier {
        policy: &policy,
        revocations: &revocations,
        authority: &NoLocalAuthority,
        cache: Some(&cache),
    };
    if let Ok(chain) = CapabilityChain::from_bytes(data) {
        assert_eq!(chain.bytes(), data);
        if let Some(leaf) = chain.leaf() {
            let _ = verifier.verify(&chain, &leaf.body().audience, 1_767_225_600);
        }
    }
    let _ = verifier.verify_bytes(data, &protocol::PublicKey::from_bytes_unchecked([0; 32]), 0);
});
