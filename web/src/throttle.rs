//! Guessing and flooding bounded: login failures back off per account and per client address
//! ([`Backoff`]); account requests are counted per address and in all over a window
//! ([`Window`]). Both answer 429 with `Retry-After`; both forget what is old, and hold at most
//! [`MAX_KEYS`] keys each (an attacker varying names cannot grow them without bound).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;

use crate::error::ApiError;

/// Keys held by one limiter at most.
pub(crate) const MAX_KEYS: usize = 10_000;

/// Failures allowed per account before the delays start.
pub(crate) const ACCOUNT_FREE_FAILURES: u32 = 5;
/// Failures allowed per client address (all accounts together) before the delays start.
pub(crate) const ADDRESS_FREE_FAILURES: u32 = 20;
/// First delay after the free failures; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Longest delay; failures older than this are forgotten.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// Account requests per client address per window.
pub(crate) const REQUESTS_PER_ADDRESS: u32 = 5;
/// Account requests from everyone together per window.
pub(crate) const REQUESTS_IN_ALL: u32 = 100;
/// The window of account requests.
const REQUEST_WINDOW: Duration = Duration::from_secs(3600);

/// The client's address of a request (`None` when served without one, as in-process tests):
/// the peer of the connection (`web::serve` records it), never a header a client can set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// 429 `too_many_requests`, retry after `wait`.
pub(crate) fn too_many(wait: Duration, what: &str) -> ApiError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!("too many {what}: retry in {secs} s"),
    );
    e.retry_after = Some(secs.max(1));
    e
}

/// Exponential backoff after failures, per key.
#[derive(Debug)]
pub(crate) struct Backoff {
    free: u32,
    keys: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Instant,
}

impl Backoff {
    pub(crate) fn new(free: u32) -> Self {
        Backoff {
            free,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while `key` must wait.
    pub(crate) fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        match keys.get(key) {
            Some(f) if f.until > now => Err(f.until - now),
            _ => Ok(()),
        }
    }

    /// Count a failure of `key`.
    pub(crate) fn fail(&self, key: &str, now: Instant) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            keys.retain(|_, f| f.until > now || now.duration_since(f.last) < MAX_DELAY);
            if keys.len() >= MAX_KEYS {
                return;
            }
        }
        let f = keys.entry(key.to_string()).or_insert(Failures {
            count: 0,
            last: now,
            until: now,
        });
        if now.duration_since(f.last) >= MAX_DELAY {
            f.count = 0;
        }
        f.count += 1;
        f.last = now;
        if f.count > self.free {
            let doublings = (f.count - self.free - 1).min(20);
            let delay = FIRST_DELAY.saturating_mul(1u32 << doublings).min(MAX_DELAY);
            f.until = now + delay;
        }
    }

    /// Forget `key`'s failures (a success).
    pub(crate) fn succeed(&self, key: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.remove(key);
    }
}

/// At most `per_key` events per key, and `in_all` together, per window.
#[derive(Debug)]
pub(crate) struct Window {
    per_key: u32,
    in_all: u32,
    window: Duration,
    state: Mutex<WindowState>,
}

#[derive(Debug)]
struct WindowState {
    started: Option<Instant>,
    total: u32,
    keys: HashMap<String, u32>,
}

impl Window {
    pub(crate) fn new(per_key: u32, in_all: u32, window: Duration) -> Self {
        Window {
            per_key,
            in_all,
            window,
            state: Mutex::new(WindowState {
                started: None,
                total: 0,
                keys: HashMap::new(),
            }),
        }
    }

    /// Count one event of `key`, or `Err(wait)` until the window ends.
    pub(crate) fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let started = match s.started {
            Some(t) if now.duration_since(t) < self.window => t,
            _ => {
                s.started = Some(now);
                s.total = 0;
                s.keys.clear();
                now
            }
        };
        let wait = self.window.saturating_sub(now.duration_since(started));
        let mine = s.keys.get(key).copied().unwrap_or(0);
        if s.total >= self.in_all || mine >= self.per_key {
            return Err(wait);
        }
        if s.keys.len() >= MAX_KEYS && mine == 0 {
            return Err(wait);
        }
        s.total += 1;
        s.keys.insert(key.to_string(), mine + 1);
        Ok(())
    }
}

/// The limiters of one server.
#[derive(Debug)]
pub(crate) struct Throttles {
    /// Login failures per account name.
    pub(crate) login_account: Backoff,
    /// Login failures per client address.
    pub(crate) login_address: Backoff,
    /// Account requests.
    pub(crate) account_requests: Window,
}

impl Default for Throttles {
    fn default() -> Self {
        Throttles {
            login_account: Backoff::new(ACCOUNT_FREE_FAILURES),
            login_address: Backoff::new(ADDRESS_FREE_FAILURES),
            account_requests: Window::new(REQUESTS_PER_ADDRESS, REQUESTS_IN_ALL, REQUEST_WINDOW),
        }
    }
}

/// The key of a client address (`-` without one).
pub(crate) fn address_key(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "-".to_string(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_after_the_free_failures_doubles_and_resets_on_success() {
        let b = Backoff::new(2);
        let t = Instant::now();
        b.fail("a", t);
        b.fail("a", t);
        assert!(b.check("a", t).is_ok());
        b.fail("a", t);
        assert_eq!(b.check("a", t), Err(Duration::from_secs(1)));
        b.fail("a", t);
        assert_eq!(b.check("a", t), Err(Duration::from_secs(2)));
        assert!(b.check("a", t + Duration::from_secs(3)).is_ok());
        assert!(b.check("b", t).is_ok(), "keys are separate");
        b.succeed("a");
        assert!(b.check("a", t).is_ok());
        for _ in 0..40 {
            b.fail("c", t);
        }
        assert_eq!(b.check("c", t), Err(MAX_DELAY));
    }

    #[test]
    fn a_window_counts_per_key_and_in_all_then_starts_again() {
        let w = Window::new(2, 3, Duration::from_secs(10));
        let t = Instant::now();
        assert!(w.take("x", t).is_ok());
        assert!(w.take("x", t).is_ok());
        assert_eq!(w.take("x", t), Err(Duration::from_secs(10)));
        assert!(w.take("y", t).is_ok());
        assert!(w.take("z", t).is_err(), "over the total");
        assert!(w.take("x", t + Duration::from_secs(10)).is_ok());
    }
}
