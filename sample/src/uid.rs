//! UIDs: under one fixed root, the rest a hash of the seed and of what the UID names, so that
//! re-running gives the same UIDs and different seeds give different ones.

/// The root every generated UID starts with. It extends the root whose
/// `1.2.826.0.1.3680043.10.1338` the project's earlier generator (`make_series.py`) used as its
/// implementation class UID; no real equipment writes it. Generated UIDs are
/// `<ROOT>.<kind>.<64-bit hash in decimal>`, at most 53 characters.
pub const UID_ROOT: &str = "1.2.826.0.1.3680043.10.1338.77";

/// The ImplementationClassUID of every file written.
pub(crate) const IMPLEMENTATION_CLASS_UID: &str = "1.2.826.0.1.3680043.10.1338.77.0.1";

/// The ImplementationVersionName of every file written (at most 16 characters).
pub(crate) const IMPLEMENTATION_VERSION: &str = "NEUROFED_SMP_1";

/// What a UID names (its first component after the root).
#[derive(Debug, Clone, Copy)]
pub(crate) enum UidKind {
    Study = 1,
    Series = 2,
    Instance = 3,
    FrameOfReference = 4,
    FileSet = 5,
}

/// The UID of `kind` for `parts` (subject, examination, series, volume, slice: as many as
/// identify it).
pub(crate) fn uid(seed: u64, kind: UidKind, parts: &[u64]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"neurofed-sample uid v1");
    h.update(&seed.to_le_bytes());
    h.update(&[kind as u8]);
    for p in parts {
        h.update(&p.to_le_bytes());
    }
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    // A decimal component must not start with 0 unless it is 0: u64 formatting never does.
    format!("{UID_ROOT}.{}.{}", kind as u8, u64::from_le_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_legal_distinct_and_stable() {
        let a = uid(1, UidKind::Instance, &[1, 1, 2, 0, 5]);
        assert_eq!(a, uid(1, UidKind::Instance, &[1, 1, 2, 0, 5]));
        assert_ne!(a, uid(2, UidKind::Instance, &[1, 1, 2, 0, 5]));
        assert_ne!(a, uid(1, UidKind::Series, &[1, 1, 2, 0, 5]));
        assert!(a.len() <= 64);
        assert!(a
            .split('.')
            .all(|c| !c.is_empty() && (c == "0" || !c.starts_with('0'))));
        assert!(IMPLEMENTATION_VERSION.len() <= 16);
    }
}
