//! The federation's error type.

use std::path::PathBuf;

/// Why a federation operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FedError {
    /// This node has not joined a consortium (`neurofed consortium join ROSTER MEMBERSHIP`).
    #[error("this node has joined no consortium ({0} holds no roster and membership): run `neurofed consortium join ROSTER MEMBERSHIP`")]
    NotJoined(PathBuf),
    /// A state file (roster, membership, revocations, grants) cannot be read or written.
    #[error("{path}: {detail}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The node's key cannot serve as a libp2p identity.
    #[error("node key: {0}")]
    Identity(String),
    /// Listening or building the transport failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The query is invalid.
    #[error("invalid query: {0}")]
    Query(String),
    /// A document was refused (push of a roster or revocation).
    #[error("refused: {0}")]
    Refused(#[from] protocol::verify::Refusal),
    /// Opening a stream to a peer failed.
    #[error("stream to {peer}: {detail}")]
    Stream {
        /// The peer.
        peer: String,
        /// What failed.
        detail: String,
    },
    /// The event loop has stopped (shut down, or the runtime is going away).
    #[error("the federation has stopped")]
    Stopped,
    /// Encoding a message failed.
    #[error("encoding: {0}")]
    Encode(#[from] protocol::cbor::EncodeError),
}
