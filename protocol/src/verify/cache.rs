//! A bounded cache of verified chains, keyed by the blake3 digest of their bytes.
//!
//! Only what cannot change is cached (signatures, links, attenuation, the root authority answer);
//! times, revocations, the revocation list's age and the audience are checked on every hit.
//! Clear it when a local user's administer right on a study changes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::VerifiedCapability;

/// Verified chains by digest. Thread-safe; when full, an arbitrary entry makes room.
#[derive(Debug)]
pub struct VerifiedCache {
    map: RwLock<HashMap<[u8; 32], Arc<VerifiedCapability>>>,
    capacity: usize,
}

impl VerifiedCache {
    /// A cache holding at most `capacity` chains.
    pub fn new(capacity: usize) -> Self {
        VerifiedCache {
            map: RwLock::new(HashMap::with_capacity(capacity.min(1 << 16))),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn get(&self, digest: &[u8; 32]) -> Option<Arc<VerifiedCapability>> {
        // A poisoned lock only means a panic elsewhere while holding it; the map stays usable.
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(digest).cloned()
    }

    pub(crate) fn insert(&self, digest: [u8; 32], v: Arc<VerifiedCapability>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity && !map.contains_key(&digest) {
            if let Some(k) = map.keys().next().copied() {
                map.remove(&k);
            }
        }
        map.insert(digest, v);
    }

    /// Forget everything (e.g. after a change of local administer rights).
    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Chains held.
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
