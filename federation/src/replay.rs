//! Request ids a member answered, remembered until their deadline: a captured search or content
//! request sent again (by anyone, to this node) is refused as `replayed` instead of answered.
//!
//! Memory is bounded twice: a request's deadline may lie at most [`MAX_AHEAD_MS`] ahead, so an
//! id is forgotten at most that long after it was seen (an expired request is refused anyway),
//! and at most [`MAX_REMEMBERED`] ids are held ([`MAX_PER_REQUESTER`] per requester). When full,
//! new requests are refused (`overloaded`) rather than old ids forgotten, which would reopen the
//! replay window.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use protocol::keys::PublicKey;

/// Furthest a request's deadline may lie ahead of its arrival (2 minutes).
pub(crate) const MAX_AHEAD_MS: u64 = 120_000;
/// Most ids remembered in all.
pub(crate) const MAX_REMEMBERED: usize = 200_000;
/// Most ids remembered for one requester.
pub(crate) const MAX_PER_REQUESTER: usize = 20_000;

/// Why a request is not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Its deadline has passed.
    Expired,
    /// Its deadline is further ahead than [`MAX_AHEAD_MS`].
    TooFarAhead,
    /// This requester's id was answered before.
    Replayed,
    /// Too many ids remembered: try again after some deadlines pass.
    Full,
}

impl Replay {
    /// The wire code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Replay::Expired => "deadline_passed",
            Replay::TooFarAhead => "deadline_too_far",
            Replay::Replayed => "replayed",
            Replay::Full => "overloaded",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashSet<(PublicKey, u64)>,
    by_deadline: BTreeSet<(u64, PublicKey, u64)>,
    per_requester: HashMap<PublicKey, usize>,
}

/// The ids answered, until their deadlines.
#[derive(Debug, Default)]
pub(crate) struct ReplayGuard {
    inner: Mutex<Inner>,
}

impl ReplayGuard {
    /// Admit request `id` of `requester` with `deadline_ms`, at `now_ms`, and remember it.
    pub(crate) fn admit(
        &self,
        requester: &PublicKey,
        id: u64,
        deadline_ms: u64,
        now_ms: u64,
    ) -> Result<(), Replay> {
        if deadline_ms < now_ms {
            return Err(Replay::Expired);
        }
        if deadline_ms - now_ms > MAX_AHEAD_MS {
            return Err(Replay::TooFarAhead);
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        // Forget what expired.
        while let Some(&(d, k, i)) = inner.by_deadline.first() {
            if d >= now_ms {
                break;
            }
            inner.by_deadline.pop_first();
            inner.seen.remove(&(k, i));
            if let Some(n) = inner.per_requester.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    inner.per_requester.remove(&k);
                }
            }
        }
        if inner.seen.contains(&(*requester, id)) {
            return Err(Replay::Replayed);
        }
        let mine = inner.per_requester.get(requester).copied().unwrap_or(0);
        if inner.seen.len() >= MAX_REMEMBERED || mine >= MAX_PER_REQUESTER {
            return Err(Replay::Full);
        }
        inner.seen.insert((*requester, id));
        inner.by_deadline.insert((deadline_ms, *requester, id));
        *inner.per_requester.entry(*requester).or_insert(0) += 1;
        Ok(())
    }

    /// Ids remembered now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .seen
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::keys::SecretKey;

    #[test]
    fn an_id_is_answered_once_until_its_deadline_and_then_forgotten() {
        let g = ReplayGuard::default();
        let (a, b) = (
            SecretKey::from_seed(&[1; 32]).public(),
            SecretKey::from_seed(&[2; 32]).public(),
        );
        assert_eq!(g.admit(&a, 7, 2_000, 1_000), Ok(()));
        assert_eq!(g.admit(&a, 7, 2_000, 1_500), Err(Replay::Replayed));
        // Another requester's id 7 is another request.
        assert_eq!(g.admit(&b, 7, 2_000, 1_500), Ok(()));
        assert_eq!(g.admit(&a, 8, 500, 1_500), Err(Replay::Expired));
        assert_eq!(
            g.admit(&a, 9, 1_500 + MAX_AHEAD_MS + 1, 1_500),
            Err(Replay::TooFarAhead)
        );
        // Past the deadline the id is forgotten (a request sent again then is expired anyway).
        assert_eq!(g.admit(&a, 10, 3_000, 2_001), Ok(()));
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn a_full_guard_refuses_rather_than_forgets() {
        let g = ReplayGuard::default();
        let a = SecretKey::from_seed(&[1; 32]).public();
        for id in 0..MAX_PER_REQUESTER as u64 {
            assert_eq!(g.admit(&a, id, 10_000, 0), Ok(()));
        }
        assert_eq!(g.admit(&a, u64::MAX, 10_000, 0), Err(Replay::Full));
        assert_eq!(g.admit(&a, 0, 10_000, 1), Err(Replay::Replayed));
        // Once those deadlines pass there is room again.
        assert_eq!(g.admit(&a, u64::MAX, 20_000, 10_001), Ok(()));
    }
}
