//! Messages between nodes: one [`Request`] and one [`Response`] per exchange.
//!
//! A message travels as a CBOR frame `{"v": PROTOCOL_VERSION, "msg": ...}`; the transport
//! (`federation`) carries it in a libp2p request-response exchange or at the head of a stream
//! (content bytes follow a [`ContentResponseHeader`] on the same stream). Decoding checks the
//! frame size first, then the version, then the message (nesting-limited), then every limit of
//! the message's types; signed documents inside are decoded strictly (canonical) and their
//! signatures are checked by [`crate::verify`], not here.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cbor::{self, DecodeError, EncodeError};
use crate::content::ContentId;
use crate::grant::{CapabilityChain, Membership, Revocation, RevocationList, Roster};
use crate::keys::{PublicKey, Signature};
use crate::query::{SearchQuery, SearchResults};
use crate::signed::{check_version, invalid, tag, Kind, Signed, SignedBody, VERSION};
use crate::verify::Refusal;

/// Version of the message set.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest request frame.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// Largest response frame (bulk content travels as a stream after its header, not in a frame).
pub const MAX_RESPONSE_BYTES: usize = 10 << 20;
/// Most byte ranges in one content request.
pub const MAX_RANGES: usize = 64;
/// Longest free text in a message (agent strings, error messages).
pub const MAX_MESSAGE_TEXT: usize = 1024;

/// What one node asks another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Request {
    /// First message on a connection: who I am in the consortium.
    Hello(Hello),
    /// A federated search.
    Search(SearchRequest),
    /// Bytes of a blob.
    Content(ContentRequest),
    /// A new roster, revocation or revocation list, spreading through the consortium.
    Push(Push),
    /// Send me your roster or revocation list (its serial in your hello is newer than mine):
    /// how a document too large for a request frame still reaches every member, in a response.
    Pull(DocKind),
}

/// A consortium document a member may pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// The roster.
    Roster,
    /// The revocation list.
    RevocationList,
}

/// What a node answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Response {
    /// Its own hello.
    Hello(Hello),
    /// A signed search answer.
    Search(Signed<SearchResponse>),
    /// The header of a content answer; the bytes follow on the stream.
    Content(ContentResponseHeader),
    /// Whether a push was applied.
    Push(PushAck),
    /// A pulled document (a [`Push::Roster`] or [`Push::RevocationList`]).
    Document(Push),
    /// The request was refused or failed.
    Error(WireError),
}

/// Membership and the versions of shared state, exchanged after connecting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// The sender's membership grant.
    pub membership: Signed<Membership>,
    /// The roster version the sender holds (0: none).
    pub roster_serial: u64,
    /// The revocation list version the sender holds (0: none).
    pub revocation_serial: u64,
    /// Software name and version, for logs.
    pub agent: String,
}

/// A capability chain and, when its audience is not the sending node, the audience's signature
/// over the request (see [`SearchRequest::invocation_digest`]): requests are accepted only from
/// the audience key, so a copied chain is useless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Root first.
    pub chain: CapabilityChain,
    /// The audience's signature (tag [`tag::INVOCATION`]) over the request digest; absent when
    /// the audience is the node sending the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation: Option<Signature>,
}

impl Authorization {
    /// Who makes the request: the chain's audience if it signed `digest`, else the sending
    /// node (`peer`, authenticated by the transport).
    pub fn requester(&self, peer: &PublicKey, digest: &[u8; 32]) -> Result<PublicKey, Refusal> {
        let Some(sig) = &self.invocation else {
            return Ok(*peer);
        };
        let leaf = self.chain.leaf().ok_or(Refusal::EmptyChain)?;
        let audience = leaf.body().audience;
        audience
            .verify(tag::INVOCATION, digest, sig)
            .map_err(|_| Refusal::BadSignature {
                what: "invocation",
                grant: leaf.hash(),
                signer: audience,
            })?;
        Ok(audience)
    }
}

/// A federated search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Correlates the response.
    pub id: u64,
    /// The query.
    pub query: SearchQuery,
    /// The capability used (absent: only what the node shows every consortium member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Authorization>,
    /// Answer before this time (unix milliseconds) or not at all.
    pub deadline_ms: u64,
}

#[derive(Serialize)]
struct InvocationBody<'a, T: Serialize> {
    target: &'a PublicKey,
    id: u64,
    deadline_ms: u64,
    request: &'a T,
    chain: &'a [u8; 32],
}

impl SearchRequest {
    /// What the audience signs to invoke its capability at node `target`: blake3 of the
    /// canonical CBOR of `{target, id, deadline_ms, request: query, chain: chain digest}`.
    pub fn invocation_digest(
        &self,
        target: &PublicKey,
        chain: &CapabilityChain,
    ) -> Result<[u8; 32], EncodeError> {
        invocation_digest(target, self.id, self.deadline_ms, &self.query, chain)
    }
}

fn invocation_digest<T: Serialize>(
    target: &PublicKey,
    id: u64,
    deadline_ms: u64,
    request: &T,
    chain: &CapabilityChain,
) -> Result<[u8; 32], EncodeError> {
    let body = InvocationBody {
        target,
        id,
        deadline_ms,
        request,
        chain: chain.digest(),
    };
    Ok(*blake3::hash(&cbor::encode(&body, "invocation")?).as_bytes())
}

/// How an answering node fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeStatus {
    /// Answered fully.
    Ok,
    /// Refused: the [`Refusal::code`] of the reason.
    Denied(String),
    /// Did not answer in time (set by the asking node).
    Timeout,
    /// Failed: a message safe to show.
    Error(String),
}

/// A node's answer to a search, signed by it (tag [`tag::SEARCH_RESPONSE`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchResponse {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u32,
    /// The answering node, which signs.
    pub node: PublicKey,
    /// How it went.
    pub status: NodeStatus,
    /// The request id.
    pub request: u64,
    /// Results, when `status` is `Ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<SearchResults>,
    /// blake3 of the canonical CBOR of the query answered: binds the answer to the question.
    #[serde(with = "serde_bytes")]
    pub query_digest: [u8; 32],
    /// When it answered (unix milliseconds).
    pub answered_at_ms: u64,
}

impl SearchResponse {
    /// The digest of a query, for [`SearchResponse::query_digest`].
    pub fn digest_query(query: &SearchQuery) -> Result<[u8; 32], EncodeError> {
        Ok(*blake3::hash(&cbor::encode(query, "query")?).as_bytes())
    }
}

impl SignedBody for SearchResponse {
    const KIND: Kind = Kind::SearchResponse;
    const MAX_BYTES: usize = MAX_RESPONSE_BYTES - 64;
    const WHAT: &'static str = "search response";

    fn signer(&self) -> &PublicKey {
        &self.node
    }

    fn check(&self) -> Result<(), DecodeError> {
        check_version(Self::WHAT, self.version)?;
        if let NodeStatus::Denied(t) | NodeStatus::Error(t) = &self.status {
            check_len(Self::WHAT, "status message", t)?;
        }
        if let Some(r) = &self.results {
            r.check_limits().map_err(|e| invalid(Self::WHAT, e))?;
        }
        Ok(())
    }
}

/// A half-open byte range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// Bytes of a blob. No ranges: the whole blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentRequest {
    /// Correlates the response.
    pub id: u64,
    /// The blob.
    pub content: ContentId,
    /// Ranges wanted, sorted, non-overlapping, non-empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<ByteRange>,
    /// The dataset (content id of its manifest) through which the blob is asked for: access is
    /// checked on that dataset, and the blob must be listed in its manifest. Absent: the blob
    /// is itself a dataset's manifest. (Added for content transfer, see docs/transfer.md.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<ContentId>,
    /// The capability used (download action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Authorization>,
    /// Arrive before this time (unix milliseconds); the answer may stream for longer. Part of
    /// the invocation digest, so a captured request cannot be replayed after it; a member
    /// remembers the ids it answered until then. 0 (absent): a client older than the deadline
    /// rule, refused by current members.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deadline_ms: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl ContentRequest {
    /// What the audience signs to invoke its capability at `target` (see [`SearchRequest`]).
    pub fn invocation_digest(
        &self,
        target: &PublicKey,
        chain: &CapabilityChain,
    ) -> Result<[u8; 32], EncodeError> {
        #[derive(Serialize)]
        struct What<'a> {
            content: &'a ContentId,
            ranges: &'a [ByteRange],
            // Skipped when absent, so digests of requests without it are unchanged.
            #[serde(skip_serializing_if = "Option::is_none")]
            within: Option<&'a ContentId>,
        }
        let what = What {
            content: &self.content,
            ranges: &self.ranges,
            within: self.within.as_ref(),
        };
        invocation_digest(target, self.id, self.deadline_ms, &what, chain)
    }
}

/// Outcome of a content request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentStatus {
    /// The bytes follow.
    Ok,
    /// This node does not have the blob.
    NotFound,
    /// Refused: the [`Refusal::code`] of the reason.
    Denied(String),
}

/// Header of a content answer; `ranges` tell which bytes follow on the stream, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentResponseHeader {
    /// The request id.
    pub id: u64,
    /// The blob.
    pub content: ContentId,
    /// Outcome.
    pub status: ContentStatus,
    /// The blob's full length (when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The ranges that follow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<ByteRange>,
}

/// A signed document spreading through the consortium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Push {
    /// A new roster.
    Roster(Signed<Roster>),
    /// A new revocation list.
    RevocationList(Signed<RevocationList>),
    /// One issuer's revocation.
    Revocation(Signed<Revocation>),
}

/// Answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushAck {
    /// Whether the document was new and valid, and applied.
    pub applied: bool,
    /// Why not, when not: a [`Refusal::code`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireError {
    /// The request id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// A stable code: a [`Refusal::code`], `bad_request`, `overloaded`, `internal`.
    pub code: String,
    /// For people; never internals.
    pub message: String,
}

impl WireError {
    /// The error answering a refusal.
    pub fn refused(id: Option<u64>, refusal: &Refusal) -> Self {
        WireError {
            id,
            code: refusal.code().into(),
            message: refusal.to_string(),
        }
    }
}

#[derive(Serialize)]
struct FrameOut<'a, T> {
    v: u32,
    msg: &'a T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameIn<T> {
    #[serde(rename = "v")]
    _version: u32,
    msg: T,
}

#[derive(Deserialize)]
struct FrameVersion {
    v: u32,
}

/// Encode a request frame.
pub fn encode_request(req: &Request) -> Result<Vec<u8>, EncodeError> {
    cbor::encode(
        &FrameOut {
            v: PROTOCOL_VERSION,
            msg: req,
        },
        "request",
    )
}

/// Encode a response frame.
pub fn encode_response(resp: &Response) -> Result<Vec<u8>, EncodeError> {
    cbor::encode(
        &FrameOut {
            v: PROTOCOL_VERSION,
            msg: resp,
        },
        "response",
    )
}

fn decode_frame<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    max: usize,
) -> Result<T, DecodeError> {
    let head: FrameVersion = cbor::decode_lenient(bytes, what, max)?;
    if head.v != PROTOCOL_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what,
            got: head.v,
            supported: PROTOCOL_VERSION,
        });
    }
    let frame: FrameIn<T> = cbor::decode_lenient(bytes, what, max)?;
    Ok(frame.msg)
}

/// Decode a request frame: bounded, versioned, every limit checked.
pub fn decode_request(bytes: &[u8]) -> Result<Request, DecodeError> {
    const WHAT: &str = "request";
    let req: Request = decode_frame(bytes, WHAT, MAX_REQUEST_BYTES)?;
    match &req {
        Request::Hello(h) => check_len(WHAT, "agent", &h.agent)?,
        Request::Search(s) => s
            .query
            .validate()
            .map_err(|e| invalid(WHAT, e.to_string()))?,
        Request::Content(c) => check_ranges(WHAT, &c.ranges)?,
        Request::Push(_) | Request::Pull(_) => {}
    }
    Ok(req)
}

/// Decode a response frame: bounded, versioned, every limit checked.
pub fn decode_response(bytes: &[u8]) -> Result<Response, DecodeError> {
    const WHAT: &str = "response";
    let resp: Response = decode_frame(bytes, WHAT, MAX_RESPONSE_BYTES)?;
    match &resp {
        Response::Hello(h) => check_len(WHAT, "agent", &h.agent)?,
        Response::Content(c) => check_ranges(WHAT, &c.ranges)?,
        Response::Push(p) => {
            if let Some(r) = &p.reason {
                check_len(WHAT, "reason", r)?;
            }
        }
        Response::Error(e) => {
            check_len(WHAT, "code", &e.code)?;
            check_len(WHAT, "message", &e.message)?;
        }
        Response::Document(Push::Revocation(_)) => {
            return Err(invalid(
                WHAT,
                "a pulled document is a roster or a revocation list",
            ))
        }
        Response::Search(_) | Response::Document(_) => {}
    }
    Ok(resp)
}

fn check_len(what: &'static str, field: &str, text: &str) -> Result<(), DecodeError> {
    if text.len() > MAX_MESSAGE_TEXT {
        return Err(invalid(
            what,
            format!("{field} longer than {MAX_MESSAGE_TEXT} bytes"),
        ));
    }
    Ok(())
}

fn check_ranges(what: &'static str, ranges: &[ByteRange]) -> Result<(), DecodeError> {
    if ranges.len() > MAX_RANGES {
        return Err(invalid(what, format!("more than {MAX_RANGES} byte ranges")));
    }
    if ranges.iter().any(|r| r.start >= r.end) {
        return Err(invalid(what, "a byte range is empty or reversed"));
    }
    if ranges.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(invalid(what, "byte ranges must be sorted and not overlap"));
    }
    Ok(())
}

/// A new search response body (version set).
pub fn search_response(
    node: PublicKey,
    request: u64,
    query_digest: [u8; 32],
    answered_at_ms: u64,
    status: NodeStatus,
    results: Option<SearchResults>,
) -> SearchResponse {
    SearchResponse {
        version: VERSION,
        node,
        request,
        query_digest,
        answered_at_ms,
        status,
        results,
    }
}
