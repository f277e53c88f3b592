//! Keyed, deterministic UID remapping into the `2.25` (UUID-derived) root.
//!
//! The key is derived from the node's secret and the study scope, so the same original UID maps
//! to the same new UID across every file of one study (references between instances survive), to
//! a different one in another study, and nobody without the node key can map back or test a guess.

use super::keep::is_well_known_uid;

/// The ImplementationClassUID written into the file meta group of de-identified objects.
pub(super) const IMPLEMENTATION_CLASS_UID: &str = "2.25.250073239723440847428081364339270195101";

/// The ImplementationVersionName written with it (SH: at most 16 characters).
pub(super) const IMPLEMENTATION_VERSION_NAME: &str =
    concat!("NEUROFED_", env!("CARGO_PKG_VERSION"));

/// The key of the UID mapping of one study.
pub(crate) fn scope_key(node_key: &[u8; 32], scope: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(node_key);
    h.update(b"neurofed uid scope v1\0");
    h.update(scope.as_bytes());
    *h.finalize().as_bytes()
}

/// The trimmed form two encodings of one UID share (UI values are padded with NUL, some writers
/// pad with spaces).
pub(crate) fn trim_uid(uid: &str) -> &str {
    uid.trim_matches(|c: char| c == '\0' || c.is_ascii_whitespace())
}

/// `2.25.<128 bits in decimal>`, keyed by `key`; empty UIDs and the UIDs the standard defines
/// (recognised by the dictionary, [`is_well_known_uid`]: sites put instance UIDs under the
/// `1.2.840.10008.` root too) are returned as they are.
pub(crate) fn map_uid(key: &[u8; 32], uid: &str) -> String {
    let uid = trim_uid(uid);
    if uid.is_empty() || is_well_known_uid(uid) {
        return uid.to_string();
    }
    let h = blake3::keyed_hash(key, uid.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_bytes()[..16]);
    // A leading zero component is not allowed in a UID, and 2.25.0 would be one.
    let n = u128::from_be_bytes(b).max(1);
    format!("2.25.{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_keyed_and_valid() {
        let k1 = scope_key(&[1; 32], "study-a");
        let k2 = scope_key(&[1; 32], "study-b");
        let k3 = scope_key(&[2; 32], "study-a");
        let u = "1.2.826.0.1.3680043.8.498.1";
        let a = map_uid(&k1, u);
        assert_eq!(a, map_uid(&k1, u));
        assert_eq!(a, map_uid(&k1, "1.2.826.0.1.3680043.8.498.1\0"));
        assert_ne!(a, map_uid(&k2, u));
        assert_ne!(a, map_uid(&k3, u));
        assert_ne!(a, map_uid(&k1, "1.2.826.0.1.3680043.8.498.2"));
        assert!(a.starts_with("2.25."));
        assert!(a.len() <= 64);
        let digits = &a[5..];
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(!digits.starts_with('0'));
    }

    #[test]
    fn well_known_uids_are_kept() {
        let k = scope_key(&[1; 32], "s");
        assert_eq!(
            map_uid(&k, "1.2.840.10008.5.1.4.1.1.4"),
            "1.2.840.10008.5.1.4.1.1.4"
        );
        assert_eq!(map_uid(&k, ""), "");
        // An instance UID a site minted under the standard's root is not a standard UID.
        let site = "1.2.840.10008.5.1.4.1.1.4.777.1";
        assert!(map_uid(&k, site).starts_with("2.25."));
    }

    #[test]
    fn implementation_identity_fits_its_vrs() {
        assert!(IMPLEMENTATION_VERSION_NAME.len() <= 16);
        assert!(IMPLEMENTATION_CLASS_UID.len() <= 64);
    }
}
