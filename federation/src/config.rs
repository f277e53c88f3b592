//! Settings of a node's federation: where it listens, how long a federated search waits, the
//! small-cell threshold of count-only answers, and every timeout and limit of the swarm, set
//! explicitly rather than left to libp2p's defaults.

use std::time::Duration;

use libp2p::Multiaddr;
use protocol::verify::Policy;

/// Federation settings. [`FedConfig::default`] is what `neurofed serve --p2p` uses.
#[derive(Debug, Clone)]
pub struct FedConfig {
    /// Addresses to listen on (`/ip4/127.0.0.1/tcp/0`: any free port, see
    /// [`crate::Client::listen_addrs`] for the real one).
    pub listen: Vec<Multiaddr>,
    /// How long a federated search waits for the members, overall.
    pub deadline: Duration,
    /// Count-only answers report counts below this as `"<k"`.
    pub count_threshold: u32,
    /// Count-only searches answered per grant and UTC day (more are `denied`
    /// `count_budget`): many overlapping counts are how suppressed cells are narrowed.
    pub count_budget_per_day: u32,
    /// A connection with no open stream for this long is closed (heartbeats keep members'
    /// connections busier than this).
    pub idle_timeout: Duration,
    /// An outbound request not answered in this time fails (searches have their own, shorter,
    /// deadline).
    pub request_timeout: Duration,
    /// A connected peer that has not completed the hello exchange in this time is disconnected.
    pub hello_timeout: Duration,
    /// Members re-exchange hellos this often: keeps connections open, re-checks memberships
    /// (expiry, revocation) and spreads newer rosters and revocation lists.
    pub heartbeat: Duration,
    /// First wait before redialing an unreachable member; doubles up to `redial_max`.
    pub redial_min: Duration,
    /// Longest wait between redials.
    pub redial_max: Duration,
    /// A peer whose membership fails verification is refused for this long.
    pub ban: Duration,
    /// Inbound searches answered at once; more are refused as `overloaded`.
    pub max_concurrent_searches: usize,
    /// Largest request frame read from a peer.
    pub max_request_bytes: usize,
    /// Largest response frame read from a peer.
    pub max_response_bytes: usize,
    /// Grant verification settings (chain length, clock skew, revocation list age).
    pub policy: Policy,
    /// Software name sent in hellos.
    pub agent: String,
    /// Connections at once, in and out together (libp2p `connection_limits`).
    pub max_connections: u32,
    /// Connections at once with one peer.
    pub max_connections_per_peer: u32,
    /// Connections being set up (handshake not done) at once, each way.
    pub max_pending_connections: u32,
    /// Content streams served at once (per peer, in all) and their idle time.
    pub content_streams: crate::transfer::StreamLimits,
}

/// Default overall deadline of a federated search.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);
/// Default small-cell threshold.
pub const DEFAULT_COUNT_THRESHOLD: u32 = 5;

/// Default count-only searches per grant and day.
pub const DEFAULT_COUNT_BUDGET: u32 = 200;

impl Default for FedConfig {
    fn default() -> Self {
        FedConfig {
            listen: vec!["/ip4/0.0.0.0/tcp/4001"
                .parse()
                .unwrap_or_else(|_| Multiaddr::empty())],
            deadline: DEFAULT_DEADLINE,
            count_threshold: DEFAULT_COUNT_THRESHOLD,
            count_budget_per_day: DEFAULT_COUNT_BUDGET,
            idle_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(30),
            redial_min: Duration::from_secs(1),
            redial_max: Duration::from_secs(60),
            ban: Duration::from_secs(600),
            max_concurrent_searches: 64,
            max_request_bytes: protocol::wire::MAX_REQUEST_BYTES,
            max_response_bytes: protocol::wire::MAX_RESPONSE_BYTES,
            policy: Policy::default(),
            agent: format!("neurofed/{}", env!("CARGO_PKG_VERSION")),
            max_connections: 512,
            max_connections_per_peer: 4,
            max_pending_connections: 64,
            content_streams: crate::transfer::StreamLimits::default(),
        }
    }
}

impl FedConfig {
    /// Defaults, listening on `127.0.0.1` at any free TCP port: tests, benchmarks, the demo.
    pub fn loopback() -> Self {
        FedConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0"
                .parse()
                .unwrap_or_else(|_| Multiaddr::empty())],
            ..FedConfig::default()
        }
    }
}
