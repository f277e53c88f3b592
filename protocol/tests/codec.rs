//! Property tests: every value round-trips through canonical CBOR (and JSON where readable), and
//! any other encoding of the same value is refused.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod strategies;

use ciborium::value::Value;
use proptest::prelude::*;
use protocol::cbor::{self, DecodeError};
use protocol::grant::{Capability, Membership, Roster};
use protocol::query::{SearchQuery, SearchResults};
use protocol::signed::{Signed, SignedBody};
use strategies::*;

fn raw_encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn raw_encode_direct<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

/// Re-encode with every map's entries reversed: same value, non-canonical order.
fn reverse_maps(v: Value) -> (Value, bool) {
    match v {
        Value::Map(entries) => {
            let mut changed = entries.len() > 1;
            let mut out: Vec<(Value, Value)> = entries
                .into_iter()
                .map(|(k, v)| {
                    let (v, c) = reverse_maps(v);
                    changed |= c;
                    (k, v)
                })
                .collect();
            out.reverse();
            (Value::Map(out), changed)
        }
        Value::Array(items) => {
            let mut changed = false;
            let items = items
                .into_iter()
                .map(|i| {
                    let (i, c) = reverse_maps(i);
                    changed |= c;
                    i
                })
                .collect();
            (Value::Array(items), changed)
        }
        other => (other, false),
    }
}

fn check_canonical<T>(value: &T, max: usize) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = cbor::encode(value, "v").unwrap();
    let back: T = cbor::decode(&bytes, "v", max).unwrap();
    prop_assert_eq!(&back, value);
    // Encoding is deterministic.
    prop_assert_eq!(cbor::encode(&back, "v").unwrap(), bytes.clone());
    // Keys in another order: refused.
    let parsed: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    let (reversed, changed) = reverse_maps(parsed);
    if changed {
        let other = raw_encode(&reversed);
        prop_assert_ne!(&other, &bytes);
        prop_assert_eq!(
            cbor::decode::<T>(&other, "v", max).unwrap_err(),
            DecodeError::NotCanonical { what: "v" }
        );
    }
    // Longer-than-needed head for the outer container: refused.
    if bytes[0] & 0x1f < 24 {
        let mut long = vec![(bytes[0] & 0xe0) | 24, bytes[0] & 0x1f];
        long.extend_from_slice(&bytes[1..]);
        prop_assert!(cbor::decode::<T>(&long, "v", max).is_err());
    }
    Ok(())
}

fn check_signed<T: SignedBody + PartialEq + std::fmt::Debug>(
    body: T,
    key: &protocol::SecretKey,
) -> Result<(), TestCaseError> {
    let signed = Signed::sign(body.clone(), key).unwrap();
    // Fields are declared in canonical key order, so serde's direct encoding is canonical (the
    // fast path of `cbor::encode`/`decode`).
    prop_assert_eq!(raw_encode_direct(&body), signed.body_bytes().to_vec());
    let back = Signed::<T>::from_bytes(signed.bytes()).unwrap();
    prop_assert_eq!(back.body(), &body);
    prop_assert_eq!(back.hash(), signed.hash());
    prop_assert!(back.verify_signature().is_ok());
    // JSON form rebuilds the same bytes.
    let json = serde_json::to_string(&signed).unwrap();
    let from_json: Signed<T> = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(from_json.bytes(), signed.bytes());
    // Any single flipped bit: refused on decode or on signature.
    let mut flipped = signed.bytes().to_vec();
    let i = flipped.len() / 2;
    flipped[i] ^= 0x10;
    if let Ok(s) = Signed::<T>::from_bytes(&flipped) {
        prop_assert!(s.verify_signature().is_err());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn capability_round_trip(
        (key, body) in secret().prop_flat_map(|k| (Just(k.clone()), capability_for(k.public())))
    ) {
        check_canonical(&body, <Capability as SignedBody>::MAX_BYTES)?;
        check_signed(body, &key)?;
    }

    #[test]
    fn membership_round_trip(
        (key, body) in secret().prop_flat_map(|k| (Just(k.clone()), membership_for(k.public())))
    ) {
        check_canonical(&body, <Membership as SignedBody>::MAX_BYTES)?;
        check_signed(body, &key)?;
    }

    #[test]
    fn roster_round_trip(
        (key, body) in secret().prop_flat_map(|k| (Just(k.clone()), roster_for(k.public())))
    ) {
        check_canonical(&body, <Roster as SignedBody>::MAX_BYTES)?;
        check_signed(body, &key)?;
    }

    #[test]
    fn query_round_trip(q in query()) {
        check_canonical(&q, 1 << 20)?;
        let json = serde_json::to_string(&q).unwrap();
        prop_assert_eq!(serde_json::from_str::<SearchQuery>(&json).unwrap(), q);
    }

    #[test]
    fn results_round_trip(r in results()) {
        check_canonical(&r, 1 << 20)?;
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<SearchResults>(&json).unwrap(), r);
    }
}
