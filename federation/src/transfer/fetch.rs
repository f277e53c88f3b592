//! The fetching half: blobs from several providers at once, verified, resumable.
//!
//! The groups still missing of every wanted blob are cut into slices (8 MiB by default) in one
//! queue. Each provider gets a worker (a task with one stream, kept across slices and blobs)
//! that takes the next slice, asks for it and writes what arrives into the blob's partial file.
//! When a slice fails, the part of it not yet verified goes back to the front of the queue for
//! any worker: after a wrong byte (or a lie in a header) the provider is dropped at once, within
//! one group; after a broken stream it is given a fresh stream, up to `max_io_failures` times in
//! a row; a provider that lacks a blob, or refuses it, is not asked for that blob again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::outboard::Outboards;
use futures::io::{AsyncRead, AsyncWrite};
use node::BlobStore;
use node::Staged;
use protocol::bao::GROUP_BYTES;
use protocol::wire::{self, ByteRange, ContentRequest, ContentStatus, Request, Response};
use protocol::ContentId;
use tokio::sync::Notify;

use super::frame::Conn;
use super::partial::{fetch_dir, Discard, FinishError, PartialBlob};
use super::{MAX_BLOB_BYTES, MAX_RESPONSE_HEADER};
use protocol::bao::{byte_ranges, chunk_ranges, covered_groups, group_count, SIZE_PROOF};
use protocol::bao::{DecodeError, Decoder, Sink};

/// A byte stream to a provider.
pub trait ContentStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ContentStream for T {}

/// A boxed [`ContentStream`].
pub type BoxStream = Box<dyn ContentStream>;
/// A boxed future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A node that may hold the wanted blobs.
pub trait Provider: Send + Sync {
    /// Its name in reports and logs (a PeerId, an address).
    fn name(&self) -> String;
    /// Open a fresh stream speaking the content protocol ([`super::PROTOCOL`]).
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>>;
    /// Attach the authorization (capability chain, invocation signature over this very
    /// request for this provider) to a request before it is sent.
    fn authorize(&self, request: &mut ContentRequest) {
        let _ = request;
    }
}

/// A blob to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// The blob.
    pub id: ContentId,
    /// Its size, known from a verified manifest (see [`probe_size`] otherwise).
    pub size: u64,
    /// The dataset it is fetched through (sent as the request's `within`).
    pub within: Option<ContentId>,
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Bytes per slice: one request, one provider (rounded to whole groups).
    pub slice_bytes: u64,
    /// Broken streams in a row after which a provider is dropped.
    pub max_io_failures: u32,
    /// Streams (workers) per provider.
    pub streams_per_provider: usize,
    /// A provider silent this long while an answer is due is treated as a broken stream.
    pub idle_timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            slice_bytes: 8 << 20,
            max_io_failures: 3,
            streams_per_provider: 1,
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// What one provider did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderReport {
    /// Its name.
    pub name: String,
    /// Requests answered.
    pub requests: u64,
    /// Bytes it sent that verified.
    pub bytes: u64,
    /// Why it was dropped, if it was.
    pub dropped: Option<String>,
    /// Why it did not serve a blob it was asked for (not found, denied), the last time.
    pub refused: Option<String>,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Blobs wanted (distinct).
    pub blobs: u64,
    /// Of which the store already held.
    pub already_present: u64,
    /// Bytes found valid in partial files of earlier, interrupted fetches.
    pub bytes_resumed: u64,
    /// Bytes received and verified now.
    pub bytes_fetched: u64,
    /// Data bytes received now, verified or not (the excess is what was fetched twice).
    pub bytes_received: u64,
    /// Bytes read from the streams (headers, hash pairs and data).
    pub wire_bytes: u64,
    /// Per provider.
    pub providers: Vec<ProviderReport>,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No provider could deliver this blob.
    #[error("blob {id} could not be fetched: {}", describe(.providers))]
    Unavailable {
        /// The blob.
        id: ContentId,
        /// What each provider did.
        providers: Vec<ProviderReport>,
    },
    /// A provider announced a size beyond what this node accepts.
    #[error("blob {id} is announced with {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// The blob.
        id: ContentId,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A want that cannot be right (an empty blob whose id is not the empty hash).
    #[error("blob {0} cannot have the size it is listed with")]
    BadWant(ContentId),
    /// Local storage failed.
    #[error("storing blob {id}: {source}")]
    Local {
        /// The blob.
        id: ContentId,
        /// The error.
        source: io::Error,
    },
    /// A verified blob could not be handed to the store.
    #[error("storing blob {id}: {source}")]
    Finish {
        /// The blob.
        id: ContentId,
        /// The error.
        source: FinishError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] node::StoreError),
}

fn describe(providers: &[ProviderReport]) -> String {
    if providers.is_empty() {
        return "no provider".into();
    }
    providers
        .iter()
        .map(|p| match (&p.dropped, &p.refused) {
            (Some(why), _) | (None, Some(why)) => format!("{}: {why}", p.name),
            (None, None) => format!("{}: did not deliver it", p.name),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One slice of work: groups of one blob.
#[derive(Debug, Clone)]
struct Slice {
    blob: usize,
    groups: Range<u64>,
}

struct BlobState {
    want: Want,
    partial: PartialBlob,
    remaining: AtomicU64,
}

#[derive(Default)]
struct Queue {
    slices: VecDeque<Slice>,
    in_flight: usize,
    fatal: Option<FetchError>,
}

struct Shared {
    blobs: Vec<BlobState>,
    queue: Mutex<Queue>,
    notify: Notify,
    options: FetchOptions,
    fetched: AtomicU64,
    received: AtomicU64,
    wire: AtomicU64,
}

enum Take {
    Slice(Slice),
    Wait,
    Done,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A worker that panicked while holding the lock left consistent data (each critical
        // section is a few field updates): keep going.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take(&self, skip: &HashSet<usize>) -> Take {
        let mut q = self.lock();
        if q.fatal.is_some() {
            return Take::Done;
        }
        if let Some(pos) = q.slices.iter().position(|s| !skip.contains(&s.blob)) {
            if let Some(s) = q.slices.remove(pos) {
                q.in_flight += 1;
                return Take::Slice(s);
            }
        }
        if q.in_flight > 0 {
            Take::Wait
        } else {
            Take::Done
        }
    }

    /// A slice ends; `rest` (groups not verified) goes back to the front of the queue.
    fn end(&self, rest: Option<Slice>) {
        let mut q = self.lock();
        q.in_flight = q.in_flight.saturating_sub(1);
        if let Some(s) = rest {
            if s.groups.start < s.groups.end {
                q.slices.push_front(s);
            }
        }
        drop(q);
        self.notify.notify_waiters();
    }

    fn fail(&self, e: FetchError) {
        let mut q = self.lock();
        if q.fatal.is_none() {
            q.fatal = Some(e);
        }
        drop(q);
        self.notify.notify_waiters();
    }
}

/// Fetch `wants` from `providers` into partial files of `store`, verified; returns the blobs
/// staged (the caller commits them, in one batch) and what happened. Blobs the store holds are
/// skipped; partial files of an interrupted fetch are resumed.
pub async fn fetch_blobs(
    store: &BlobStore,
    outboards: &Outboards,
    wants: &[Want],
    providers: &[Arc<dyn Provider>],
    options: &FetchOptions,
) -> Result<(Vec<Staged>, FetchReport), FetchError> {
    let mut report = FetchReport::default();
    let mut staged = Vec::new();
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    let mut slices = VecDeque::new();
    let slice_groups = (options.slice_bytes / GROUP_BYTES).max(1);
    for w in wants {
        if !seen.insert(w.id) {
            continue;
        }
        report.blobs += 1;
        if store.contains(&w.id) {
            report.already_present += 1;
            continue;
        }
        if w.size > MAX_BLOB_BYTES {
            return Err(FetchError::TooLarge {
                id: w.id,
                size: w.size,
                max: MAX_BLOB_BYTES,
            });
        }
        if w.size == 0 {
            if w.id != ContentId::of(b"") {
                return Err(FetchError::BadWant(w.id));
            }
            staged.push(store.stage(b"")?);
            continue;
        }
        let (partial, valid) = PartialBlob::open(store.root(), w.id, w.size)
            .map_err(|source| FetchError::Local { id: w.id, source })?;
        let n = group_count(w.size);
        let valid_groups: u64 = valid.iter().map(|r| r.end - r.start).sum();
        report.bytes_resumed += byte_ranges(&valid, w.size)
            .iter()
            .map(|r| r.end - r.start)
            .sum::<u64>();
        let index = blobs.len();
        let mut at = 0;
        for v in valid.iter().chain(std::iter::once(&(n..n))) {
            let mut g = at;
            while g < v.start {
                let end = (g + slice_groups).min(v.start);
                slices.push_back(Slice {
                    blob: index,
                    groups: g..end,
                });
                g = end;
            }
            at = v.end;
        }
        blobs.push(BlobState {
            want: *w,
            partial,
            remaining: AtomicU64::new(n - valid_groups),
        });
    }
    let shared = Arc::new(Shared {
        blobs,
        queue: Mutex::new(Queue {
            slices,
            in_flight: 0,
            fatal: None,
        }),
        notify: Notify::new(),
        options: options.clone(),
        fetched: AtomicU64::new(0),
        received: AtomicU64::new(0),
        wire: AtomicU64::new(0),
    });

    let pending = shared.lock().slices.len();
    let mut tasks = tokio::task::JoinSet::new();
    if pending > 0 {
        for p in providers {
            for _ in 0..options.streams_per_provider.max(1) {
                let (shared, p) = (shared.clone(), p.clone());
                tasks.spawn(async move { worker(shared, p).await });
            }
        }
    }
    let mut per_provider: HashMap<String, ProviderReport> = HashMap::new();
    let mut order = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let Ok(r) = done else {
            continue; // a worker panicked: its slice is lost to it, the others go on
        };
        let entry = per_provider.entry(r.name.clone()).or_insert_with(|| {
            order.push(r.name.clone());
            ProviderReport {
                name: r.name.clone(),
                ..Default::default()
            }
        });
        entry.requests += r.requests;
        entry.bytes += r.bytes;
        if r.dropped.is_some() {
            entry.dropped = r.dropped;
        }
        if r.refused.is_some() {
            entry.refused = r.refused;
        }
    }
    report.providers = order
        .into_iter()
        .filter_map(|n| per_provider.remove(&n))
        .collect();
    report.bytes_fetched = shared.fetched.load(Ordering::Relaxed);
    report.bytes_received = shared.received.load(Ordering::Relaxed);
    report.wire_bytes = shared.wire.load(Ordering::Relaxed);

    let Ok(shared) = Arc::try_unwrap(shared) else {
        return Err(FetchError::Local {
            id: ContentId::of(b""),
            source: io::Error::other("a fetch worker outlived its fetch"),
        });
    };
    let queue = shared
        .queue
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = queue.fatal {
        return Err(e);
    }
    for b in &shared.blobs {
        if b.remaining.load(Ordering::Relaxed) > 0 {
            return Err(FetchError::Unavailable {
                id: b.want.id,
                providers: report.providers,
            });
        }
    }
    for b in shared.blobs {
        let id = b.want.id;
        staged.push(
            b.partial
                .finish(store, outboards)
                .map_err(|source| FetchError::Finish { id, source })?,
        );
    }
    let _ = std::fs::remove_dir(fetch_dir(store.root())); // only when empty
    Ok((staged, report))
}

/// Fetch one blob and commit it into the store (durable when this returns). Without a known
/// size, the size is first proven by one provider ([`probe_size`]).
pub async fn fetch_blob(
    store: &BlobStore,
    outboards: &Outboards,
    id: ContentId,
    size: Option<u64>,
    within: Option<ContentId>,
    providers: &[Arc<dyn Provider>],
    options: &FetchOptions,
) -> Result<FetchReport, FetchError> {
    if store.contains(&id) {
        return Ok(FetchReport {
            blobs: 1,
            already_present: 1,
            ..Default::default()
        });
    }
    let size = match size {
        Some(s) => s,
        None => probe_size(id, within, providers, options).await?,
    };
    let (staged, report) = fetch_blobs(
        store,
        outboards,
        &[Want { id, size, within }],
        providers,
        options,
    )
    .await?;
    store.commit(staged)?;
    Ok(report)
}

/// Learn a blob's size from the first provider that proves it: the announced size is trusted
/// only once the blob's last group has verified against the content id at the offset that
/// size implies.
pub async fn probe_size(
    id: ContentId,
    within: Option<ContentId>,
    providers: &[Arc<dyn Provider>],
    options: &FetchOptions,
) -> Result<u64, FetchError> {
    let mut reports = Vec::new();
    for p in providers {
        let mut r = ProviderReport {
            name: p.name(),
            ..Default::default()
        };
        let attempt = async {
            let mut conn = Conn::new(p.open().await?);
            let mut sink = Discard;
            let slice = Request1 {
                id,
                within,
                size: None,
                ranges: vec![SIZE_PROOF],
            };
            request(
                &mut conn,
                p.as_ref(),
                &slice,
                options.idle_timeout,
                &mut sink,
            )
            .await
        };
        match attempt.await {
            Ok((size, _)) => return Ok(size),
            Err(e) => {
                r.dropped = Some(e.to_string());
                reports.push(r);
            }
        }
    }
    Err(FetchError::Unavailable {
        id,
        providers: reports,
    })
}

struct WorkerReport {
    name: String,
    requests: u64,
    bytes: u64,
    dropped: Option<String>,
    refused: Option<String>,
}

/// How one request failed.
#[derive(Debug, thiserror::Error)]
enum SliceError {
    /// The stream broke or ended early: try again on a fresh one.
    #[error("stream: {0}")]
    Io(#[from] io::Error),
    /// The provider's bytes do not verify, or its answer breaks the protocol: drop it.
    #[error("{0}")]
    Faulty(String),
    /// The provider does not have the blob, or refuses it: do not ask it again for this blob.
    #[error("{0}")]
    Unavailable(String),
    /// Writing locally failed: stop the whole fetch.
    #[error("local: {0}")]
    Local(io::Error),
}

/// How long a content request may take to arrive (its signed deadline; the answer may stream
/// for longer): generous for a saturated link, well within what members remember.
const CONTENT_DEADLINE_MS: u64 = 60_000;

struct Request1 {
    id: ContentId,
    within: Option<ContentId>,
    /// The size the client knows (verified), if it does.
    size: Option<u64>,
    ranges: Vec<ByteRange>,
}

/// Send one request on `conn` and decode its answer into `sink`; returns the size and the
/// number of groups verified. On error, the groups verified so far are in `sink`.
async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    provider: &dyn Provider,
    want: &Request1,
    idle: Duration,
    sink: &mut impl Sink,
) -> Result<(u64, Decoder), SliceError> {
    let timed_out = || io::Error::new(io::ErrorKind::TimedOut, "provider went silent");
    let mut req = ContentRequest {
        // Every request its own id from the process's one counter: members refuse an id they
        // answered within its deadline as a replay.
        id: crate::search::next_id(),
        content: want.id,
        ranges: want.ranges.clone(),
        within: want.within,
        auth: None,
        deadline_ms: node::now_ms() + CONTENT_DEADLINE_MS,
    };
    provider.authorize(&mut req);
    let frame = wire::encode_request(&Request::Content(req.clone()))
        .map_err(|e| SliceError::Local(io::Error::other(e.to_string())))?;
    conn.write_frame(&frame).await?;
    let header = tokio::time::timeout(idle, conn.read_frame(MAX_RESPONSE_HEADER));
    let Some(frame) = header.await.map_err(|_| timed_out())?? else {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    };
    let header = match wire::decode_response(&frame) {
        Ok(Response::Content(h)) => h,
        Ok(Response::Error(e)) => {
            return Err(SliceError::Unavailable(format!(
                "error {}: {}",
                e.code, e.message
            )))
        }
        Ok(_) => return Err(SliceError::Faulty("answered with another message".into())),
        Err(e) => return Err(SliceError::Faulty(format!("bad header: {e}"))),
    };
    if header.id != req.id || header.content != req.content {
        return Err(SliceError::Faulty("answered another request".into()));
    }
    match header.status {
        ContentStatus::Ok => {}
        ContentStatus::NotFound => return Err(SliceError::Unavailable("not found".into())),
        ContentStatus::Denied(code) => {
            return Err(SliceError::Unavailable(format!("denied: {code}")))
        }
        _ => return Err(SliceError::Faulty("unknown status".into())),
    }
    let size = header
        .size
        .ok_or_else(|| SliceError::Faulty("no size in header".into()))?;
    if let Some(known) = want.size {
        if size != known {
            return Err(SliceError::Faulty(format!(
                "announced {size} bytes, the blob has {known}"
            )));
        }
    }
    if size > MAX_BLOB_BYTES {
        return Err(SliceError::Faulty(format!("announced {size} bytes")));
    }
    let groups = covered_groups(&req.ranges, size);
    if header.ranges != byte_ranges(&groups, size) {
        return Err(SliceError::Faulty(
            "announced other ranges than asked".into(),
        ));
    }
    let root = blake3::Hash::from(*want.id.as_bytes());
    let mut decoder = Decoder::new(
        root,
        protocol::bao::tree(size),
        &chunk_ranges(&groups, size),
    );
    let fed = |decoder: &mut Decoder, input: &[u8], sink: &mut _| {
        decoder.feed(input, sink).map_err(|e| match e {
            DecodeError::Verify(v) => SliceError::Faulty(v.to_string()),
            DecodeError::Sink(e) => SliceError::Local(e),
        })
    };
    fed(&mut decoder, &[], sink)?;
    while !decoder.is_done() {
        if conn.buffered().is_empty() {
            let n = tokio::time::timeout(idle, conn.fill())
                .await
                .map_err(|_| timed_out())??;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
        }
        let n = fed(&mut decoder, conn.buffered(), sink)?;
        conn.consume(n);
    }
    Ok((size, decoder))
}

/// A provider's worker: slices from the queue until none is left for it.
async fn worker(shared: Arc<Shared>, provider: Arc<dyn Provider>) -> WorkerReport {
    let mut report = WorkerReport {
        name: provider.name(),
        requests: 0,
        bytes: 0,
        dropped: None,
        refused: None,
    };
    let mut conn: Option<Conn<BoxStream>> = None;
    let mut failures = 0u32;
    let mut skip: HashSet<usize> = HashSet::new();
    loop {
        let notified = shared.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let slice = match shared.take(&skip) {
            Take::Slice(s) => s,
            Take::Wait => {
                notified.await;
                continue;
            }
            Take::Done => break,
        };
        let blob = &shared.blobs[slice.blob];
        if conn.is_none() {
            match provider.open().await {
                Ok(s) => conn = Some(Conn::new(s)),
                Err(e) => {
                    shared.end(Some(slice));
                    failures += 1;
                    if failures > shared.options.max_io_failures {
                        report.dropped = Some(format!("cannot open a stream: {e}"));
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50 << failures.min(6))).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let mut writer = match blob.partial.writer() {
            Ok(w) => w,
            Err(source) => {
                shared.end(Some(slice));
                shared.fail(FetchError::Local {
                    id: blob.want.id,
                    source,
                });
                break;
            }
        };
        let size = blob.want.size;
        let want = Request1 {
            id: blob.want.id,
            within: blob.want.within,
            size: Some(size),
            ranges: byte_ranges(std::slice::from_ref(&slice.groups), size),
        };
        let before = c.read_total;
        let idle = shared.options.idle_timeout;
        let result = request(c, provider.as_ref(), &want, idle, &mut writer).await;
        shared
            .wire
            .fetch_add(c.read_total - before, Ordering::Relaxed);
        report.requests += 1;
        report.bytes += writer.verified_bytes;
        shared
            .fetched
            .fetch_add(writer.verified_bytes, Ordering::Relaxed);
        blob.remaining.fetch_sub(writer.verified, Ordering::Relaxed);
        shared
            .received
            .fetch_add(writer.received, Ordering::Relaxed);
        let rest = Slice {
            blob: slice.blob,
            groups: slice.groups.start + writer.verified..slice.groups.end,
        };
        match result {
            Ok(_) => {
                failures = 0;
                shared.end(None);
            }
            Err(SliceError::Faulty(why)) => {
                tracing::warn!(provider = %report.name, blob = %blob.want.id, "dropping provider: {why}");
                shared.end(Some(rest));
                report.dropped = Some(why);
                break;
            }
            Err(SliceError::Unavailable(why)) => {
                tracing::info!(provider = %report.name, blob = %blob.want.id, "{why}");
                shared.end(Some(rest));
                skip.insert(slice.blob);
                report.refused = Some(why);
            }
            Err(SliceError::Io(e)) => {
                shared.end(Some(rest));
                conn = None;
                failures += 1;
                if failures > shared.options.max_io_failures {
                    report.dropped = Some(format!("stream failed {failures} times: {e}"));
                    break;
                }
            }
            Err(SliceError::Local(source)) => {
                shared.end(Some(rest));
                shared.fail(FetchError::Local {
                    id: blob.want.id,
                    source,
                });
                break;
            }
        }
    }
    report
}

/// Most bytes [`read_range`] reads.
pub const MAX_RANGE_READ: u64 = 64 << 20;

/// Collects the groups of one range in memory.
struct MemSink {
    base: u64,
    buf: Vec<u8>,
}

impl Sink for MemSink {
    fn pair(&mut self, _: bao_tree::TreeNode, _: &[u8; 64]) -> io::Result<()> {
        Ok(())
    }
    fn data(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        // Groups before the range: the last group, sent for a range past the end.
        let Some(at) = offset.checked_sub(self.base) else {
            return Ok(());
        };
        let at = usize::try_from(at)
            .ok()
            .filter(|a| (*a as u64) + (bytes.len() as u64) <= MAX_RANGE_READ + 2 * GROUP_BYTES)
            .ok_or_else(|| io::Error::other("data outside the range asked"))?;
        if self.buf.len() < at + bytes.len() {
            self.buf.resize(at + bytes.len(), 0);
        }
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
    fn verified(&mut self, _: u64, _: u64) -> io::Result<()> {
        Ok(())
    }
}

/// Read the bytes `range` of a blob from one provider, verified, into memory (a DICOM or NIfTI
/// header, a preview): at most [`MAX_RANGE_READ`] bytes. Returns the blob's size as announced
/// (proven when the range reaches the blob's end) and the bytes of the range within the blob.
pub async fn read_range(
    provider: &dyn Provider,
    id: ContentId,
    within: Option<ContentId>,
    range: ByteRange,
) -> Result<(u64, Vec<u8>), FetchError> {
    let unavailable = |why: String| FetchError::Unavailable {
        id,
        providers: vec![ProviderReport {
            name: provider.name(),
            dropped: Some(why),
            ..Default::default()
        }],
    };
    if range.start >= range.end || range.end - range.start > MAX_RANGE_READ {
        return Err(unavailable(format!(
            "a range read is 1 to {MAX_RANGE_READ} bytes"
        )));
    }
    let stream = provider
        .open()
        .await
        .map_err(|e| unavailable(format!("cannot open a stream: {e}")))?;
    let mut conn = Conn::new(stream);
    let base = range.start - range.start % GROUP_BYTES;
    let mut sink = MemSink {
        base,
        buf: Vec::new(),
    };
    let want = Request1 {
        id,
        within,
        size: None,
        ranges: vec![range],
    };
    let idle = FetchOptions::default().idle_timeout;
    let (size, _) = request(&mut conn, provider, &want, idle, &mut sink)
        .await
        .map_err(|e| match e {
            SliceError::Local(source) => FetchError::Local { id, source },
            other => unavailable(other.to_string()),
        })?;
    let start = usize::try_from(range.start.min(size).saturating_sub(base)).unwrap_or(0);
    let end = usize::try_from(range.end.min(size).saturating_sub(base)).unwrap_or(0);
    let bytes = sink
        .buf
        .get(start..end)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok((size, bytes))
}
