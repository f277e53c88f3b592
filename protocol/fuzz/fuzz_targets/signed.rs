//! Signed envelopes of every kind: decoding, then (when it decodes) signature checking and
//! re-encoding must agree with the input.
#![no_main]
use protocol::grant::{Capability, Membership, Revocation, RevocationList, Roster};
use protocol::signed::{Signed, SignedBody};
use protocol::wire::SearchResponse;

fn check<T: SignedBody>(data: &[u8]) {
    if let Ok(s) = Signed::<T>::from_bytes(data) {
        let _ = s.verify_signature();
        // Decoding is strict: what decodes is exactly its own canonical form.
        assert_eq!(s.bytes(), data);
        assert_eq!(
            protocol::cbor::encode(s.body(), "body").ok().as_deref(),
            Some(s.body_bytes())
        );
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check::<Membership>(data);
    check::<Roster>(data);
    check::<Capability>(data);
    check::<Revocation>(data);
    check::<RevocationList>(data);
    check::<SearchResponse>(data);
});
