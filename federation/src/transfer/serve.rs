//! The serving half: answer the content requests of one stream from the local store.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::outboard::{BlobOutboard, OutboardError, Outboards};
use bao_tree::iter::{BaoChunk, ResponseIter};
use bao_tree::ChunkRanges;
use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use node::BlobStore;
use node::Manifest;
use protocol::bao::{leaf_hash, parent_hash, split_pair};
use protocol::verify::Refusal;
use protocol::wire::{
    self, ByteRange, ContentRequest, ContentResponseHeader, ContentStatus, Request, Response,
    WireError, MAX_RANGES,
};
use protocol::{ContentId, GrantHash, PublicKey};

use super::frame::Conn;
use super::{MAX_MANIFEST_BYTES, MAX_REQUEST_FRAME};
use protocol::bao::{byte_ranges, chunk_ranges, covered_groups, truncated};

/// Bytes gathered before each write to the transport.
const OUT_BUFFER: usize = 256 * 1024;

/// How a node serves.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Hash every group before sending it, so that a damaged local blob is caught here rather
    /// than by the receiver (which always verifies). Off by default: it costs a blake3 pass over
    /// every byte served, and the store's blobs are checked by `fsck`.
    pub validate: bool,
}

/// What the `authorize` callback of [`serve`] decides on.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    /// The request, with its authorization (capability chain, invocation signature).
    pub request: &'a ContentRequest,
    /// The dataset (content id of its manifest) the access is asked through: the request's
    /// `within`, or the requested blob itself when it names none (a manifest). The callback
    /// checks that it is a dataset of this node and that the capability permits `download` on
    /// its study. That the blob belongs to the dataset is checked by [`serve`].
    pub dataset: ContentId,
}

/// Who an access was granted to, for the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorized {
    /// The principal: the requesting node, or the user it acts for.
    pub requester: PublicKey,
    /// The capability used, when one was presented (its leaf grant).
    pub grant: Option<GrantHash>,
}

/// How a transfer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A dataset's first accepted request on a stream, for this requester and grant: recorded
    /// before any byte of the dataset goes out (the per-blob records follow with the bytes).
    Authorized,
    /// Every requested byte was sent.
    Served,
    /// Refused: a [`Refusal::code`], or `not_in_dataset`.
    Denied(String),
    /// Sending stopped midway (the peer went away, or a local failure).
    Interrupted(String),
}

/// One audit record of the serving side: the requests of a stream for one blob, merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    /// The node at the other end of the stream (authenticated by the transport).
    pub peer: PublicKey,
    /// Who the access was granted to (the peer itself when refused before that was known).
    pub requester: PublicKey,
    /// The capability used, if any.
    pub grant: Option<GrantHash>,
    /// The dataset the blob was asked through.
    pub dataset: ContentId,
    /// The blob.
    pub content: ContentId,
    /// Byte ranges sent (merged; at most [`MAX_RANGES`], further ones widen the last).
    pub ranges: Vec<ByteRange>,
    /// Bytes of blob data sent.
    pub bytes: u64,
    /// Requests merged into this record.
    pub requests: u32,
    /// How it ended.
    pub outcome: Outcome,
}

/// What a served stream did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeSummary {
    /// Requests answered.
    pub requests: u64,
    /// Bytes of blob data sent.
    pub bytes: u64,
}

/// Why serving a stream stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The stream failed.
    #[error("content stream: {0}")]
    Io(#[from] io::Error),
    /// The peer sent something that is not a content request.
    #[error("bad content request: {0}")]
    BadRequest(String),
    /// A local blob or its outboard is damaged (the response was cut; the outboard dropped).
    #[error("serving blob {id}: {detail}")]
    Damaged {
        /// The blob.
        id: ContentId,
        /// What is wrong.
        detail: String,
    },
}

/// Answer the content requests of one stream until the peer closes it.
///
/// Each request is authorized with `authorize` (see [`Access`]); a request through a dataset
/// is answered only for blobs its manifest lists. An accepted request is answered with a
/// [`ContentResponseHeader`] (size, the byte ranges that follow, group-aligned) and the
/// bao-encoded groups; a refused one with a header saying why, and the stream goes on.
/// `audit` receives, before the first byte of a dataset goes out on the stream, one
/// [`Outcome::Authorized`] record for it (per requester and grant), which it must have written
/// when it returns; then one [`TransferRecord`] per blob and stream (consecutive requests for the
/// same blob merged), also when the stream breaks or this future is dropped.
pub async fn serve<S, A, U>(
    stream: S,
    peer: PublicKey,
    store: &BlobStore,
    outboards: &Outboards,
    options: &ServeOptions,
    authorize: A,
    audit: U,
) -> Result<ServeSummary, ServeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: Fn(&Access<'_>) -> Result<Authorized, Refusal>,
    U: Fn(TransferRecord),
{
    let mut conn = Conn::new(stream);
    let mut log = AuditLog {
        pending: None,
        audit: &audit,
    };
    let mut summary = ServeSummary::default();
    let mut manifest_cache: Option<(ContentId, HashSet<ContentId>)> = None;
    // The datasets already announced on this stream (requester and grant): few per stream.
    let mut announced: Vec<(ContentId, PublicKey, Option<GrantHash>)> = Vec::new();
    loop {
        let Some(frame) = conn.read_frame(MAX_REQUEST_FRAME).await? else {
            return Ok(summary);
        };
        let req = match wire::decode_request(&frame) {
            Ok(Request::Content(c)) => c,
            Ok(_) => return refuse_stream(&mut conn, "not a content request").await,
            Err(e) => return refuse_stream(&mut conn, &e.to_string()).await,
        };
        summary.requests += 1;
        let dataset = req.within.unwrap_or(req.content);
        let who = match authorize(&Access {
            request: &req,
            dataset,
        }) {
            Ok(who) => who,
            Err(refusal) => {
                let code = refusal.code().to_string();
                log.record(denied(peer, peer, None, &req, dataset, &code));
                answer(&mut conn, &req, ContentStatus::Denied(code), None, vec![]).await?;
                continue;
            }
        };
        if req.within.is_some() && dataset != req.content {
            let listed = match &manifest_cache {
                Some((m, set)) if *m == dataset => set.contains(&req.content),
                _ => match manifest_members(store, &dataset) {
                    Some(set) => {
                        let listed = set.contains(&req.content);
                        manifest_cache = Some((dataset, set));
                        listed
                    }
                    None => false,
                },
            };
            if !listed {
                let code = "not_in_dataset".to_string();
                log.record(denied(peer, who.requester, who.grant, &req, dataset, &code));
                answer(&mut conn, &req, ContentStatus::Denied(code), None, vec![]).await?;
                continue;
            }
        }
        let (blob, outboard) = match open_blob(store, outboards, &req.content) {
            Ok(found) => found,
            Err(OutboardError::Missing(_)) => {
                answer(&mut conn, &req, ContentStatus::NotFound, None, vec![]).await?;
                continue;
            }
            Err(e) => {
                tracing::error!(blob = %req.content, "cannot serve: {e}");
                let err = WireError {
                    id: Some(req.id),
                    code: "internal".into(),
                    message: "the blob cannot be served".into(),
                };
                let bytes = wire::encode_response(&Response::Error(err))
                    .map_err(|e| io::Error::other(e.to_string()))?;
                conn.write_frame(&bytes).await?;
                continue;
            }
        };
        let key = (dataset, who.requester, who.grant);
        if !announced.contains(&key) {
            (audit)(TransferRecord {
                peer,
                requester: who.requester,
                grant: who.grant,
                dataset,
                content: req.content,
                ranges: Vec::new(),
                bytes: 0,
                requests: 1,
                outcome: Outcome::Authorized,
            });
            announced.push(key);
        }
        let size = outboard.tree().size();
        let groups = covered_groups(&req.ranges, size);
        let sent_ranges = byte_ranges(&groups, size);
        answer(
            &mut conn,
            &req,
            ContentStatus::Ok,
            Some(size),
            sent_ranges.clone(),
        )
        .await?;
        let mut record = TransferRecord {
            peer,
            requester: who.requester,
            grant: who.grant,
            dataset,
            content: req.content,
            ranges: sent_ranges,
            bytes: 0,
            requests: 1,
            outcome: Outcome::Served,
        };
        let ranges = chunk_ranges(&groups, size);
        let result = send(
            &mut conn.stream,
            &blob,
            &outboard,
            &ranges,
            options.validate,
            &mut record.bytes,
        )
        .await;
        summary.bytes += record.bytes;
        match result {
            Ok(()) => log.record(record),
            Err(e) => {
                record.outcome = Outcome::Interrupted(e.to_string());
                log.record(record);
                return Err(match e {
                    SendError::Io(e) => ServeError::Io(e),
                    SendError::Damaged(detail) => {
                        if !outboard.is_inline() {
                            let _ = outboards.remove(&req.content);
                        }
                        ServeError::Damaged {
                            id: req.content,
                            detail,
                        }
                    }
                });
            }
        }
    }
}

fn denied(
    peer: PublicKey,
    requester: PublicKey,
    grant: Option<GrantHash>,
    req: &ContentRequest,
    dataset: ContentId,
    code: &str,
) -> TransferRecord {
    TransferRecord {
        peer,
        requester,
        grant,
        dataset,
        content: req.content,
        ranges: req.ranges.clone(),
        bytes: 0,
        requests: 1,
        outcome: Outcome::Denied(code.to_string()),
    }
}

/// Answer a stream that does not speak the protocol, then stop serving it.
async fn refuse_stream<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    why: &str,
) -> Result<ServeSummary, ServeError> {
    let err = WireError {
        id: None,
        code: "bad_request".into(),
        message: why.chars().take(wire::MAX_MESSAGE_TEXT / 4).collect(),
    };
    if let Ok(bytes) = wire::encode_response(&Response::Error(err)) {
        let _ = conn.write_frame(&bytes).await;
    }
    Err(ServeError::BadRequest(why.to_string()))
}

async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    req: &ContentRequest,
    status: ContentStatus,
    size: Option<u64>,
    ranges: Vec<ByteRange>,
) -> io::Result<()> {
    let header = ContentResponseHeader {
        id: req.id,
        content: req.content,
        status,
        size,
        ranges,
    };
    let bytes = wire::encode_response(&Response::Content(header))
        .map_err(|e| io::Error::other(e.to_string()))?;
    conn.write_frame(&bytes).await
}

/// The blob ids a stored manifest lists; `None` when it is not stored or does not decode.
fn manifest_members(store: &BlobStore, manifest: &ContentId) -> Option<HashSet<ContentId>> {
    let path = store.path(manifest);
    let len = std::fs::metadata(&path).ok()?.len();
    if len > MAX_MANIFEST_BYTES {
        return None;
    }
    let bytes = store.read(manifest).ok()?;
    let m: Manifest =
        protocol::cbor::decode_lenient(&bytes, "manifest", MAX_MANIFEST_BYTES as usize).ok()?;
    Some(m.instances.into_iter().map(|e| e.content).collect())
}

fn open_blob(
    store: &BlobStore,
    outboards: &Outboards,
    id: &ContentId,
) -> Result<(File, BlobOutboard), OutboardError> {
    let file = store
        .open_blob(id)
        .map_err(|_| OutboardError::Missing(*id))?;
    let outboard = outboards.get(store, id)?;
    Ok((file, outboard))
}

#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Damaged(String),
}

/// Outboard pairs read ahead: pre-order offsets only grow along a response.
struct PairWindow<'a> {
    outboard: &'a BlobOutboard,
    start: u64,
    buf: Vec<u8>,
    len: usize,
}

impl PairWindow<'_> {
    fn pair(&mut self, offset: u64) -> Result<[u8; 64], SendError> {
        let in_window = offset >= self.start && offset + 64 <= self.start + self.len as u64;
        if !in_window {
            self.start = offset;
            self.len = self.outboard.read_at(offset, &mut self.buf)?;
            if self.len < 64 {
                return Err(SendError::Damaged(
                    "outboard is shorter than its tree".into(),
                ));
            }
        }
        let at = (offset - self.start) as usize;
        let mut pair = [0u8; 64];
        pair.copy_from_slice(&self.buf[at..at + 64]);
        Ok(pair)
    }
}

/// Write the bao encoding of `ranges` of the blob: hash pairs (each checked against its
/// parent, from the content id down) and groups, read from the file straight into the output
/// buffer.
async fn send<W: AsyncWrite + Unpin>(
    out_stream: &mut W,
    blob: &File,
    outboard: &BlobOutboard,
    ranges: &ChunkRanges,
    validate: bool,
    sent: &mut u64,
) -> Result<(), SendError> {
    let tree = outboard.tree();
    let ranges = truncated(ranges, tree.size());
    let mut stack = vec![blake3::Hash::from(*outboard.id().as_bytes())];
    let mut window = PairWindow {
        outboard,
        start: 0,
        buf: vec![0u8; 64 * 1024],
        len: 0,
    };
    let mut out = vec![0u8; OUT_BUFFER];
    let mut used = 0usize;
    let shape = || SendError::Damaged("response does not follow the tree".into());
    for chunk in ResponseIter::new(tree, ranges) {
        let item_len = match chunk {
            BaoChunk::Parent { .. } => 64,
            BaoChunk::Leaf { size, .. } => size,
        };
        if used + item_len > out.len() {
            out_stream.write_all(&out[..used]).await?;
            used = 0;
        }
        match chunk {
            BaoChunk::Parent {
                node,
                is_root,
                left,
                right,
                ..
            } => {
                let index = tree.pre_order_offset(node).ok_or_else(shape)?;
                let pair = window.pair(index * 64)?;
                let (l, r) = split_pair(&pair);
                let expected = stack.pop().ok_or_else(shape)?;
                if parent_hash(&l, &r, is_root) != expected {
                    return Err(SendError::Damaged(format!(
                        "outboard pair {index} does not verify"
                    )));
                }
                if right {
                    stack.push(r);
                }
                if left {
                    stack.push(l);
                }
                out[used..used + 64].copy_from_slice(&pair);
                used += 64;
            }
            BaoChunk::Leaf {
                start_chunk,
                size,
                is_root,
                ..
            } => {
                let expected = stack.pop().ok_or_else(shape)?;
                let buf = &mut out[used..used + size];
                blob.read_exact_at(buf, start_chunk.to_bytes())?;
                if validate && leaf_hash(start_chunk.0, buf, is_root) != expected {
                    return Err(SendError::Damaged(format!(
                        "the group at byte {} does not hash to its tree",
                        start_chunk.to_bytes()
                    )));
                }
                used += size;
                *sent += size as u64;
            }
        }
    }
    out_stream.write_all(&out[..used]).await?;
    out_stream.flush().await?;
    Ok(())
}

/// Merges consecutive requests for one blob into one record; hands the last one to the
/// callback when the stream ends, however it ends.
struct AuditLog<'a, U: Fn(TransferRecord)> {
    pending: Option<TransferRecord>,
    audit: &'a U,
}

impl<U: Fn(TransferRecord)> AuditLog<'_, U> {
    fn record(&mut self, r: TransferRecord) {
        if let Some(p) = &mut self.pending {
            let same = p.content == r.content
                && p.dataset == r.dataset
                && p.requester == r.requester
                && p.grant == r.grant
                && p.outcome == Outcome::Served
                && r.outcome == Outcome::Served;
            if same {
                p.bytes += r.bytes;
                p.requests += 1;
                merge_ranges(&mut p.ranges, &r.ranges);
                return;
            }
        }
        if let Some(p) = self.pending.take() {
            (self.audit)(p);
        }
        if r.outcome == Outcome::Served {
            self.pending = Some(r);
        } else {
            (self.audit)(r);
        }
    }
}

impl<U: Fn(TransferRecord)> Drop for AuditLog<'_, U> {
    fn drop(&mut self) {
        if let Some(p) = self.pending.take() {
            (self.audit)(p);
        }
    }
}

fn merge_ranges(into: &mut Vec<ByteRange>, more: &[ByteRange]) {
    into.extend_from_slice(more);
    into.sort_by_key(|r| r.start);
    let mut merged: Vec<ByteRange> = Vec::with_capacity(into.len());
    for r in into.drain(..) {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    while merged.len() > MAX_RANGES {
        // Bounded: widen the last two into one.
        if let (Some(b), Some(a)) = (merged.pop(), merged.last_mut()) {
            a.end = a.end.max(b.end);
        }
    }
    *into = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ranges_stay_bounded() {
        let mut v = vec![];
        for i in 0..200u64 {
            merge_ranges(
                &mut v,
                &[ByteRange {
                    start: i * 10,
                    end: i * 10 + 5,
                }],
            );
        }
        assert_eq!(v.len(), MAX_RANGES);
        assert_eq!(v.last().map(|r| r.end), Some(1995));
        let mut w = vec![ByteRange { start: 0, end: 10 }];
        merge_ranges(&mut w, &[ByteRange { start: 10, end: 20 }]);
        assert_eq!(w, vec![ByteRange { start: 0, end: 20 }]);
    }
}
