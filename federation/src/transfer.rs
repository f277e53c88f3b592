//! Content transfer: blobs move between nodes by content id, verified as they stream.
//!
//! A dataset's content id names its manifest blob, which lists its instance blobs by content
//! id (blake3). Any member holding a blob can serve it; the receiver checks every 16 KiB group
//! against the content id as it arrives (bao verified streaming: the serving node sends the
//! hash pairs of the blob's tree, from its outboard, between the groups), so it trusts no
//! provider, writes nothing it has not checked into its store, and drops a provider at the
//! first group that does not verify.
//!
//! The protocol runs over any ordered byte stream (`futures::io` traits; in production a
//! libp2p stream of protocol [`PROTOCOL`], in tests also TCP). On one stream the client sends
//! requests one after the other, each a 4-byte big-endian length and a `protocol::wire`
//! request frame holding a [`ContentRequest`](protocol::wire::ContentRequest) (blob, byte
//! ranges, the dataset it is asked through, authorization); the server answers each with a
//! length-prefixed [`ContentResponseHeader`](protocol::wire::ContentResponseHeader) (size, the
//! byte ranges that follow, rounded out to whole groups) and then the bao encoding of those
//! ranges. See `docs/transfer.md`.
//!
//! - [`serve`]: answer one stream's requests from the local store, authorizing each through a
//!   callback and auditing what was sent through another; [`serve_streams`] runs it for every
//!   incoming stream within [`StreamLimits`] (per peer, in all, idle time).
//! - [`fetch_blobs`], [`fetch_blob`]: fetch blobs from several providers in parallel, in
//!   slices; resumable (partial files under `blobs/tmp/fetch/`); a provider whose bytes do not
//!   verify is dropped and its slice goes to another.
//! - [`fetch_dataset`]: a manifest, then its instances, stored with provenance in the node's
//!   fetched-datasets table (`node::fetched`), never as local data.
//!
//! Blob files are read and written with positioned, blocking I/O on the async task: it goes to
//! the page cache and costs microseconds per 16 KiB group, far less than a hop to a blocking
//! thread would.

mod dataset;
mod fetch;
mod frame;
mod limits;
mod partial;
mod serve;

pub use dataset::{fetch_dataset, DatasetError, DatasetReport, Provenance, MAX_INSTANCES};
pub use fetch::{
    fetch_blob, fetch_blobs, probe_size, read_range, BoxFuture, BoxStream, ContentStream,
    FetchError, FetchOptions, FetchReport, Provider, ProviderReport, Want, MAX_RANGE_READ,
};
pub use limits::{serve_streams, IdleStream, StreamLimits};
pub use partial::FinishError;
pub use protocol::bao::VerifyError;
pub use serve::{
    serve, Access, Authorized, Outcome, ServeError, ServeOptions, ServeSummary, TransferRecord,
};

/// The libp2p stream protocol of content transfer.
pub const PROTOCOL: &str = "/neurofed/content/1";

/// Largest blob this node fetches (1 TiB).
pub const MAX_BLOB_BYTES: u64 = 1 << 40;

/// Largest manifest served or fetched.
pub use node::MAX_MANIFEST_BYTES;

/// Largest request frame a server reads (a content request with its capability chain).
pub(crate) const MAX_REQUEST_FRAME: usize = 64 * 1024;

/// Largest response header frame a client reads.
pub(crate) const MAX_RESPONSE_HEADER: usize = 16 * 1024;

impl TransferRecord {
    /// The node audit-log record of this transfer, for `node::Audit::append_lazy`
    /// (`study` and `dataset` are the local ids of the dataset the content id belongs to).
    pub fn audit_event(
        &self,
        study: Option<protocol::id::StudyId>,
        dataset: Option<protocol::id::DatasetId>,
        at: node::UnixTime,
    ) -> node::NewEvent {
        let ranges: Vec<String> = self
            .ranges
            .iter()
            .take(8)
            .map(|r| format!("{}-{}", r.start, r.end))
            .collect();
        let outcome = match &self.outcome {
            Outcome::Authorized => "authorized".to_string(),
            Outcome::Served => "served".to_string(),
            Outcome::Denied(code) => format!("denied {code}"),
            Outcome::Interrupted(why) => format!("interrupted: {why}"),
        };
        let mut detail = format!(
            "transfer {outcome}: blob {} of dataset {}, {} bytes in {} request(s), ranges {}{}, via node {}",
            self.content,
            self.dataset,
            self.bytes,
            self.requests,
            ranges.join(","),
            if self.ranges.len() > 8 { ",..." } else { "" },
            self.peer.to_peer_id(),
        );
        if let Some(g) = &self.grant {
            detail.push_str(&format!(", grant {g}"));
        }
        let mut e = node::NewEvent::new(
            &self.requester.to_peer_id(),
            node::AuditAction::Download,
            at,
        )
        .detail(detail);
        e.study = study;
        e.dataset = dataset;
        e
    }
}
