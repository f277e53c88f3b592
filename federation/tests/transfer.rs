//! Content transfer between stores over real streams: TCP on 127.0.0.1 and libp2p swarms
//! (TCP + noise + yamux, TCP + TLS + yamux). Data is generated (blake3 output stream); faults
//! (a flipped byte, a cut or stalled stream, lies, garbage) are injected into real streams.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use federation::outboard::Outboards;
use federation::transfer::{
    self, fetch_blob, fetch_dataset, probe_size, read_range, serve, serve_streams, Authorized,
    BoxFuture, BoxStream, FetchError, FetchOptions, Outcome, Provenance, Provider, ServeOptions,
    StreamLimits, TransferRecord,
};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures::StreamExt;
use node::{Catalog, Manifest, ManifestEntry};

use node::{BlobStore, Durability};
use protocol::bao::GROUP_BYTES;
use protocol::verify::Refusal;
use protocol::wire::{self, ByteRange, ContentResponseHeader, ContentStatus, Request, Response};
use protocol::{ContentId, PublicKey, SecretKey};
use tokio_util::compat::TokioAsyncReadCompatExt;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const MB: usize = 1_000_000;

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    blake3::Hasher::new()
        .update(&seed.to_le_bytes())
        .finalize_xof()
        .fill(&mut out);
    out
}

fn key(seed: u8) -> PublicKey {
    SecretKey::from_seed(&[seed; 32]).public()
}

/// A node's store, outboards and catalog in a temporary home.
struct Home {
    dir: tempfile::TempDir,
    store: Arc<BlobStore>,
    outboards: Arc<Outboards>,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::open(dir)
    }

    fn open(dir: tempfile::TempDir) -> Self {
        let store = Arc::new(BlobStore::open(&dir.path().join("blobs"), Durability::None).unwrap());
        let outboards = Arc::new(Outboards::open(&store).unwrap());
        Home {
            dir,
            store,
            outboards,
        }
    }

    fn put(&self, bytes: &[u8]) -> ContentId {
        self.store.put(bytes).unwrap()
    }

    /// A dataset of instance blobs of these sizes; returns its content id and the instances.
    fn dataset(&self, sizes: &[usize], seed: u64) -> (ContentId, Vec<(ContentId, Vec<u8>)>) {
        let mut instances = Vec::new();
        let mut entries = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let bytes = random(n, seed * 1000 + i as u64);
            let id = self.put(&bytes);
            entries.push(ManifestEntry {
                sop_instance_uid: format!("1.2.826.0.1.{seed}.{i}"),
                instance_number: Some(i as i64 + 1),
                content: id,
                size: n as u64,
            });
            instances.push((id, bytes));
        }
        let mut m = Manifest {
            version: Manifest::VERSION,
            series_uid: format!("1.2.826.0.1.{seed}"),
            instances: entries,
        };
        m.normalize();
        (self.put(&m.to_bytes()), instances)
    }
}

/// Faults a server injects into what it writes on a connection.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// Flip the byte at this offset of the outgoing stream.
    flip_at: Option<u64>,
    /// Fail (and so close) the stream after this many bytes.
    close_after: Option<u64>,
    /// Stop writing, forever, after this many bytes.
    stall_after: Option<u64>,
    /// Apply to the first this many connections only (0: all).
    connections: usize,
}

struct Faulty<S> {
    inner: S,
    written: u64,
    faults: Faults,
}

impl<S: AsyncRead + Unpin> AsyncRead for Faulty<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Faulty<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let w = self.written;
        let mut len = buf.len() as u64;
        if let Some(limit) = self.faults.close_after {
            if w >= limit {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            len = len.min(limit - w);
        }
        if let Some(limit) = self.faults.stall_after {
            if w >= limit {
                return Poll::Pending;
            }
            len = len.min(limit - w);
        }
        let buf = &buf[..len as usize];
        let n = match self.faults.flip_at {
            Some(at) if at >= w && at < w + len => {
                let mut copy = buf.to_vec();
                copy[(at - w) as usize] ^= 0x20;
                futures::ready!(Pin::new(&mut self.inner).poll_write(cx, &copy))?
            }
            _ => futures::ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?,
        };
        self.written += n as u64;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// What a server decides and records.
#[derive(Clone, Default)]
struct Policy {
    deny: Option<ContentId>,
    audit: Arc<Mutex<Vec<TransferRecord>>>,
}

impl Policy {
    fn authorize(
        &self,
        requester: PublicKey,
    ) -> impl Fn(&transfer::Access<'_>) -> Result<Authorized, Refusal> + '_ {
        move |a| {
            if Some(a.dataset) == self.deny {
                return Err(Refusal::EmptyChain);
            }
            Ok(Authorized {
                requester,
                grant: None,
            })
        }
    }

    fn records(&self) -> Vec<TransferRecord> {
        self.audit.lock().unwrap().clone()
    }
}

/// A content server on 127.0.0.1 serving `home`'s store.
async fn tcp_server(home: &Home, faults: Faults, policy: Policy) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (store, outboards) = (home.store.clone(), home.outboards.clone());
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tcp.set_nodelay(true).unwrap();
            let n = count.fetch_add(1, Ordering::Relaxed);
            let faults = if faults.connections == 0 || n < faults.connections {
                faults
            } else {
                Faults::default()
            };
            let stream = Faulty {
                inner: tcp.compat(),
                written: 0,
                faults,
            };
            let (store, outboards, policy) = (store.clone(), outboards.clone(), policy.clone());
            tokio::spawn(async move {
                let peer = key(9);
                let audit = |r: TransferRecord| policy.audit.lock().unwrap().push(r);
                let _ = serve(
                    stream,
                    peer,
                    &store,
                    &outboards,
                    &ServeOptions::default(),
                    policy.authorize(peer),
                    audit,
                )
                .await;
            });
        }
    });
    addr
}

/// A provider reached over TCP; counts the bytes its streams deliver.
struct Tcp {
    addr: SocketAddr,
    name: String,
    read: Arc<AtomicU64>,
}

impl Tcp {
    fn new(addr: SocketAddr, name: &str) -> Arc<Self> {
        Arc::new(Tcp {
            addr,
            name: name.into(),
            read: Arc::new(AtomicU64::new(0)),
        })
    }
}

struct Counting<S> {
    inner: S,
    read: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counting<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = futures::ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counting<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl Provider for Tcp {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
        Box::pin(async move {
            let s = tokio::net::TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(Counting {
                inner: s.compat(),
                read: self.read.clone(),
            }) as BoxStream)
        })
    }
}

fn providers(list: &[Arc<Tcp>]) -> Vec<Arc<dyn Provider>> {
    list.iter()
        .map(|p| p.clone() as Arc<dyn Provider>)
        .collect()
}

/// Wait (at most 10 s) until `cond` holds: a server records a stream's transfer when the client
/// closes it, which the client does not wait for.
async fn eventually(cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn opts(slice_mb: u64) -> FetchOptions {
    FetchOptions {
        slice_bytes: slice_mb << 20,
        ..Default::default()
    }
}

/// A 200 MB dataset (several instance files, one empty, one small) from two providers in
/// parallel over TCP: every byte equal to the source, provenance recorded outside the catalog's
/// datasets, exported, audited by the servers; fetched again, nothing moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_dataset_200mb_from_two_providers() -> TestResult {
    let source = Home::new();
    let mut sizes = vec![25 * MB; 8];
    sizes.extend([0, 1_000, 100_000, 16_384]);
    let (dataset, instances) = source.dataset(&sizes, 1);
    let (pa, pb) = (Policy::default(), Policy::default());
    let a = Tcp::new(
        tcp_server(&source, Faults::default(), pa.clone()).await,
        "a",
    );
    let b = Tcp::new(
        tcp_server(&source, Faults::default(), pb.clone()).await,
        "b",
    );

    let dest = Home::new();
    let catalog = Catalog::open(&dest.dir.path().join("catalog.redb"))?;
    let origin = key(1);
    let report = fetch_dataset(
        &dest.store,
        &dest.outboards,
        &catalog,
        dataset,
        Provenance {
            origin,
            grant: None,
            study: None,
        },
        &providers(&[a.clone(), b.clone()]),
        &opts(4),
    )
    .await?;
    let total: u64 = sizes.iter().map(|&s| s as u64).sum();
    assert_eq!(report.instances.bytes_fetched, total);
    assert_eq!(
        report.instances.bytes_received, total,
        "nothing fetched twice"
    );
    assert_eq!(report.instances.providers.len(), 2);
    for p in &report.instances.providers {
        assert!(p.bytes > 20 * MB as u64, "both providers served: {p:?}");
        assert!(p.dropped.is_none());
    }
    for (id, bytes) in &instances {
        assert_eq!(&dest.store.read(id)?, bytes);
    }
    // Outboards of the large blobs came with them.
    assert!(dest.outboards.path(&instances[0].0).is_file());

    let rec = catalog.fetched().get(&dataset)?.expect("recorded");
    assert_eq!((rec.origin, rec.instances, rec.bytes), (origin, 12, total));
    assert_eq!(catalog.stats()?.datasets, 0, "never local data");
    assert!(catalog.dataset_rows()?.is_empty());

    let out = dest.dir.path().join("export");
    let s = catalog
        .fetched()
        .export_dicom(&dest.store, &dataset, &out)?;
    assert_eq!((s.files, s.bytes), (12, total));

    let manifest_len = source.store.read(&dataset)?.len() as u64;
    let audited = || -> u64 {
        pa.records()
            .iter()
            .chain(pb.records().iter())
            .filter(|r| r.outcome == Outcome::Served && r.dataset == dataset)
            .map(|r| r.bytes)
            .sum()
    };
    eventually(|| audited() == total + 2 * manifest_len).await;
    let audited = audited();
    assert!(manifest_len < GROUP_BYTES);
    assert_eq!(
        audited,
        total + 2 * manifest_len,
        "every served byte audited (the manifest twice: size proof, fetch)"
    );

    // Fetched again, naming another origin: nothing moves, and the provenance stays the first
    // verified fetch's (a later fetcher does not rewrite it).
    let again = fetch_dataset(
        &dest.store,
        &dest.outboards,
        &catalog,
        dataset,
        Provenance {
            origin: key(2),
            grant: None,
            study: None,
        },
        &providers(&[a, b]),
        &opts(4),
    )
    .await?;
    assert_eq!(again.instances.already_present, 12);
    assert_eq!(again.instances.bytes_received, 0);
    assert_eq!(again.dataset.origin, origin);
    let kept = catalog.fetched().get(&dataset)?.expect("recorded");
    assert_eq!((kept.origin, kept.fetched_at), (origin, rec.fetched_at));
    Ok(())
}

/// Two libp2p nodes on loopback, one content stream protocol; `tls` picks the security.
mod p2p {
    use super::*;
    use libp2p::swarm::SwarmEvent;
    use libp2p::{noise, tcp, tls, yamux, PeerId, StreamProtocol, Swarm};

    fn swarm(tls: bool) -> Swarm<libp2p_stream::Behaviour> {
        let builder = libp2p::SwarmBuilder::with_new_identity().with_tokio();
        let tcp = tcp::Config::default().nodelay(true);
        if tls {
            builder
                .with_tcp(tcp, tls::Config::new, yamux::Config::default)
                .unwrap()
                .with_behaviour(|_| libp2p_stream::Behaviour::new())
                .unwrap()
                .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
                .build()
        } else {
            builder
                .with_tcp(tcp, noise::Config::new, yamux::Config::default)
                .unwrap()
                .with_behaviour(|_| libp2p_stream::Behaviour::new())
                .unwrap()
                .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
                .build()
        }
    }

    pub struct P2p {
        pub control: libp2p_stream::Control,
        pub peer: PeerId,
    }

    impl Provider for P2p {
        fn name(&self) -> String {
            self.peer.to_string()
        }
        fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
            Box::pin(async move {
                let s = self
                    .control
                    .clone()
                    .open_stream(self.peer, StreamProtocol::new(transfer::PROTOCOL))
                    .await
                    .map_err(io::Error::other)?;
                Ok(Box::new(s) as BoxStream)
            })
        }
    }

    /// A serving node for `home` and a connected client; returns the client's provider.
    pub async fn connect(home: &Home, policy: Policy, tls: bool) -> Arc<P2p> {
        let (addr, peer) = server(home, policy, StreamLimits::default(), tls).await;
        client(addr, peer, tls).await
    }

    /// A node serving `home` within `limits`: its address and peer id.
    pub async fn server(
        home: &Home,
        policy: Policy,
        limits: StreamLimits,
        tls: bool,
    ) -> (libp2p::Multiaddr, PeerId) {
        let mut server = swarm(tls);
        server
            .listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap())
            .unwrap();
        let addr = loop {
            if let SwarmEvent::NewListenAddr { address, .. } = server.select_next_some().await {
                break address;
            }
        };
        let server_peer = *server.local_peer_id();
        let incoming = server
            .behaviour()
            .new_control()
            .accept(StreamProtocol::new(transfer::PROTOCOL))
            .unwrap();
        tokio::spawn(async move {
            loop {
                server.select_next_some().await;
            }
        });
        let incoming = incoming.filter_map(|(peer, stream)| {
            futures::future::ready(
                PublicKey::from_peer_id(&peer.to_string())
                    .ok()
                    .map(|k| (k, stream)),
            )
        });
        let (store, outboards) = (home.store.clone(), home.outboards.clone());
        tokio::spawn(serve_streams(
            Box::pin(incoming),
            limits,
            move |peer, stream| {
                let (store, outboards, policy) = (store.clone(), outboards.clone(), policy.clone());
                async move {
                    let audit = |r: TransferRecord| policy.audit.lock().unwrap().push(r);
                    let _ = serve(
                        stream,
                        peer,
                        &store,
                        &outboards,
                        &ServeOptions::default(),
                        policy.authorize(peer),
                        audit,
                    )
                    .await;
                }
            },
        ));
        (addr, server_peer)
    }

    /// A new peer connected to the server at `addr`, as a provider of its content.
    pub async fn client(addr: libp2p::Multiaddr, server_peer: PeerId, tls: bool) -> Arc<P2p> {
        let mut client = swarm(tls);
        let control = client.behaviour().new_control();
        client.dial(addr).unwrap();
        loop {
            if let SwarmEvent::ConnectionEstablished { .. } = client.select_next_some().await {
                break;
            }
        }
        tokio::spawn(async move {
            loop {
                client.select_next_some().await;
            }
        });
        Arc::new(P2p {
            control,
            peer: server_peer,
        })
    }
}

/// A peer that opens more content streams than the per-peer cap gets the extra ones refused
/// (`overloaded`, at once), the ones it holds with half a frame sent are closed after the idle
/// time, and meanwhile another peer's fetch works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_the_stream_cap_is_refused_while_a_normal_fetch_works() -> TestResult {
    let source = Home::new();
    let bytes = random(3 * MB, 9);
    let id = source.put(&bytes);
    let limits = StreamLimits {
        per_peer: 4,
        total: 64,
        // Long enough that opening ten streams on a loaded machine, then waiting, stays within it.
        idle: Duration::from_secs(8),
    };
    let (addr, server_peer) = p2p::server(&source, Policy::default(), limits, false).await;
    let hostile = p2p::client(addr.clone(), server_peer, false).await;
    let mut refused = 0;
    let mut held = Vec::new();
    let mut opened = Vec::new();
    for _ in 0..10 {
        let mut s = hostile.open().await?;
        // Half a frame's length: the stream is negotiated and the server waits for the rest.
        // A stream the server already refused and closed may refuse the write: its answer is
        // read below all the same.
        let _ = s.write_all(&[0, 0]).await;
        let _ = s.flush().await;
        opened.push(s);
    }
    // Room for a loaded machine: refusals are immediate, held streams idle for 8 s.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Every stream read at once (one after the other, the last would be read past the idle
    // time on a loaded machine, and a held stream closed for idleness would look refused).
    let answers = futures::future::join_all(opened.into_iter().map(|mut s| async move {
        let mut len = [0u8; 4];
        let r = tokio::time::timeout(Duration::from_millis(500), s.read_exact(&mut len)).await;
        (s, len, r)
    }))
    .await;
    for (mut s, len, answer) in answers {
        match answer {
            // Refused: the server answers `overloaded` and closes the stream. When our write
            // reaches it after the close, the stream is reset and the answer may be lost with
            // it: a stream closed at once is refused as well.
            Ok(Err(_)) => refused += 1,
            Ok(Ok(_)) => {
                let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
                s.read_exact(&mut frame).await?;
                match wire::decode_response(&frame)? {
                    Response::Error(e) => assert_eq!(e.code, "overloaded"),
                    other => panic!("expected a refusal, got {other:?}"),
                }
                refused += 1;
            }
            // Taken: the server waits for a request.
            Err(_) => held.push(s),
        }
    }
    assert_eq!((held.len(), refused), (4, 6));

    let normal = p2p::client(addr, server_peer, false).await;
    let dest = Home::new();
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        None,
        None,
        &[normal as Arc<dyn Provider>],
        &FetchOptions::default(),
    )
    .await?;
    assert_eq!(r.bytes_fetched, bytes.len() as u64);
    assert_eq!(dest.store.read(&id)?, bytes);

    // The held streams sent nothing more: closed after the idle time (8 s), their places freed.
    let t = std::time::Instant::now();
    for mut s in held {
        let mut buf = [0u8; 16];
        let r = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("an idle stream is closed");
        assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    }
    assert!(t.elapsed() < Duration::from_secs(9), "{:?}", t.elapsed());
    let mut s = hostile.open().await?;
    s.write_all(&[0, 0]).await?;
    s.flush().await?;
    let mut buf = [0u8; 16];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf))
            .await
            .is_err(),
        "a new stream is taken again once the idle ones are gone"
    );
    Ok(())
}

/// The same 200 MB dataset over a real libp2p stream (TCP + noise + yamux).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libp2p_dataset_200mb() -> TestResult {
    let source = Home::new();
    let sizes = vec![40 * MB, 40 * MB, 40 * MB, 40 * MB, 39 * MB, MB, 12_345];
    let (dataset, instances) = source.dataset(&sizes, 2);
    let policy = Policy::default();
    let provider = p2p::connect(&source, policy.clone(), false).await;
    let dest = Home::new();
    let catalog = Catalog::open(&dest.dir.path().join("catalog.redb"))?;
    let report = fetch_dataset(
        &dest.store,
        &dest.outboards,
        &catalog,
        dataset,
        Provenance {
            origin: key(2),
            grant: None,
            study: None,
        },
        &[provider.clone() as Arc<dyn Provider>],
        &FetchOptions::default(),
    )
    .await?;
    let total: u64 = sizes.iter().map(|&s| s as u64).sum();
    assert_eq!(report.instances.bytes_fetched, total);
    for (id, bytes) in &instances {
        assert_eq!(&dest.store.read(id)?, bytes);
    }
    let manifest_len = source.store.read(&dataset)?.len() as u64;
    let served = || policy.records().iter().map(|r| r.bytes).sum::<u64>();
    eventually(|| served() == total + 2 * manifest_len).await;
    let records = policy.records();
    // Each stream announces the dataset before its first byte: the authorization comes first,
    // then only served blobs.
    let first_served = records
        .iter()
        .position(|r| r.outcome == Outcome::Served)
        .unwrap();
    assert!(records[..first_served]
        .iter()
        .any(|r| r.outcome == Outcome::Authorized && r.dataset == dataset && r.bytes == 0));
    assert!(records
        .iter()
        .all(|r| matches!(r.outcome, Outcome::Served | Outcome::Authorized)));
    let served = served();
    assert_eq!(
        served,
        total + 2 * manifest_len,
        "size proof + manifest + instances"
    );
    let _ = provider;
    Ok(())
}

/// A blob over libp2p with TLS instead of noise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libp2p_tls_blob() -> TestResult {
    let source = Home::new();
    let bytes = random(20 * MB + 5, 3);
    let id = source.put(&bytes);
    let provider = p2p::connect(&source, Policy::default(), true).await;
    let dest = Home::new();
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        None,
        None,
        &[provider as Arc<dyn Provider>],
        &FetchOptions::default(),
    )
    .await?;
    assert_eq!(r.bytes_fetched, bytes.len() as u64);
    assert_eq!(dest.store.read(&id)?, bytes);
    Ok(())
}

/// Byte ranges: any range comes back verified and exact; the size is announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_are_exact_and_verified() -> TestResult {
    let source = Home::new();
    let bytes = random(3 * MB + 777, 4);
    let id = source.put(&bytes);
    let p = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "a",
    );
    let len = bytes.len() as u64;
    let g = GROUP_BYTES;
    for (start, end) in [
        (0, 1),
        (5, g + 7),
        (g, 2 * g),
        (100_000, 1_300_000),
        (len - 10, len),
        (len - 10, len + 5000),
        (len + 1, len + 2),
    ] {
        let (size, got) = read_range(p.as_ref(), id, None, ByteRange { start, end }).await?;
        assert_eq!(size, len);
        let (s, e) = (start.min(len) as usize, end.min(len) as usize);
        assert_eq!(got, bytes[s..e], "range {start}..{end}");
    }
    assert_eq!(probe_size(id, None, &providers(&[p]), &opts(8)).await?, len);
    Ok(())
}

/// A stream cut in the middle of a slice: the fetch goes on from the last verified group on a
/// fresh stream; at most the group in flight is received twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_stream_refetches_at_most_one_group() -> TestResult {
    let source = Home::new();
    let bytes = random(30 * MB, 5);
    let id = source.put(&bytes);
    let faults = Faults {
        close_after: Some(7_777_777),
        connections: 2,
        ..Default::default()
    };
    let p = Tcp::new(tcp_server(&source, faults, Policy::default()).await, "a");
    let dest = Home::new();
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(bytes.len() as u64),
        None,
        &providers(&[p]),
        &opts(16),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);
    assert_eq!(r.bytes_fetched, bytes.len() as u64);
    let twice = r.bytes_received - r.bytes_fetched;
    assert!(
        twice <= 2 * GROUP_BYTES,
        "two cuts, at most one group each: {twice}"
    );
    Ok(())
}

/// A fetch task aborted mid-transfer (the process gone, as far as the fetch knows), resumed by
/// a fresh store on the same folder: it starts from every group verified before, losing at most
/// the group in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_fetch_resumes_from_disk() -> TestResult {
    let source = Home::new();
    let bytes = random(40 * MB, 6);
    let id = source.put(&bytes);
    let stall = 13_000_003u64;
    let faults = Faults {
        stall_after: Some(stall),
        ..Default::default()
    };
    let p = Tcp::new(
        tcp_server(&source, faults, Policy::default()).await,
        "stalls",
    );
    let dest = Home::new();
    let (store, outboards, list) = (
        dest.store.clone(),
        dest.outboards.clone(),
        providers(std::slice::from_ref(&p)),
    );
    let size = bytes.len() as u64;
    let task = tokio::spawn(async move {
        fetch_blob(&store, &outboards, id, Some(size), None, &list, &opts(64)).await
    });
    while p.read.load(Ordering::Relaxed) < stall {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let _ = task.await;
    let delivered = p.read.load(Ordering::Relaxed);

    let dest = Home::open(dest.dir);
    let honest = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "honest",
    );
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(size),
        None,
        &providers(&[honest]),
        &opts(64),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);
    assert_eq!(r.bytes_resumed + r.bytes_fetched, size);
    // What was delivered before the abort: a header, hash pairs (64 bytes per group and a
    // few), data. Everything but the group in flight was kept.
    let pairs = 64 * (delivered / GROUP_BYTES + 64);
    assert!(
        r.bytes_resumed + GROUP_BYTES + pairs + 256 >= delivered,
        "resumed {} of {delivered} delivered",
        r.bytes_resumed
    );
    assert!(r.bytes_resumed > 12 * MB as u64);
    Ok(())
}

/// A provider that flips one byte is dropped at the group holding it; the slice goes to the
/// honest provider and the blob is complete and exact. Alone, it makes the fetch fail cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupting_provider_is_dropped_within_one_group() -> TestResult {
    let source = Home::new();
    let bytes = random(24 * MB, 7);
    let id = source.put(&bytes);
    let size = bytes.len() as u64;
    let bad_faults = Faults {
        flip_at: Some(3_000_000),
        ..Default::default()
    };
    let bad = Tcp::new(
        tcp_server(&source, bad_faults, Policy::default()).await,
        "corrupting",
    );
    let good = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "honest",
    );

    let dest = Home::new();
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(size),
        None,
        &providers(std::slice::from_ref(&bad)),
        &opts(8),
    )
    .await
    .expect_err("only a corrupting provider");
    assert!(matches!(err, FetchError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("does not verify"), "{err}");
    assert!(!dest.store.contains(&id));

    // With an honest provider too: the groups verified before the bad one are kept, the rest
    // comes from whichever provider verifies.
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(size),
        None,
        &providers(&[bad, good]),
        &opts(8),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);
    assert!(r.bytes_resumed >= 2_900_000 - GROUP_BYTES, "{r:?}");
    assert_eq!(r.bytes_resumed + r.bytes_fetched, size);
    Ok(())
}

/// Both providers from the start: the corrupting one is dropped during the fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupting_provider_dropped_mid_fetch() -> TestResult {
    let source = Home::new();
    let bytes = random(24 * MB, 8);
    let id = source.put(&bytes);
    let bad_faults = Faults {
        flip_at: Some(2_500_000),
        ..Default::default()
    };
    let bad = Tcp::new(
        tcp_server(&source, bad_faults, Policy::default()).await,
        "corrupting",
    );
    let good = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "honest",
    );
    let dest = Home::new();
    let r = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(bytes.len() as u64),
        None,
        &providers(&[bad, good]),
        &opts(4),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);
    let bad_report = r.providers.iter().find(|p| p.name == "corrupting").unwrap();
    assert!(
        bad_report
            .dropped
            .as_deref()
            .unwrap_or("")
            .contains("does not verify"),
        "{bad_report:?}"
    );
    let twice = r.bytes_received - r.bytes_fetched;
    assert!(
        twice <= GROUP_BYTES,
        "at most the bad group fetched again: {twice}"
    );
    Ok(())
}

/// A fake server: answers every request with `respond(request frame) -> bytes`.
async fn fake_server(respond: fn(&wire::ContentRequest) -> Vec<u8>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut s = tcp.compat();
                let mut len = [0u8; 4];
                while s.read_exact(&mut len).await.is_ok() {
                    let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
                    if s.read_exact(&mut frame).await.is_err() {
                        return;
                    }
                    let Ok(Request::Content(req)) = wire::decode_request(&frame) else {
                        return;
                    };
                    if s.write_all(&respond(&req)).await.is_err() {
                        return;
                    }
                    let _ = s.flush().await;
                }
            });
        }
    });
    addr
}

fn framed(resp: &Response) -> Vec<u8> {
    let b = wire::encode_response(resp).unwrap();
    let mut out = (b.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&b);
    out
}

fn header(req: &wire::ContentRequest, size: u64) -> ContentResponseHeader {
    ContentResponseHeader {
        id: req.id,
        content: req.content,
        status: ContentStatus::Ok,
        size: Some(size),
        ranges: vec![ByteRange {
            start: 0,
            end: size,
        }],
    }
}

/// Providers that lie about the size, send garbage headers or garbage data, or hang up: each
/// is an error value, nothing is stored, nothing panics; an honest one still proves the size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_and_garbage_providers_fail_cleanly() -> TestResult {
    let source = Home::new();
    let bytes = random(MB, 9);
    let id = source.put(&bytes);
    let size = bytes.len() as u64;
    let liars: [fn(&wire::ContentRequest) -> Vec<u8>; 6] = [
        // Announces one group more than the blob has.
        |r| framed(&Response::Content(header(r, 1_000_000 + 16_384))),
        // A length prefix far beyond any header.
        |_| vec![0xff, 0xff, 0xff, 0xff, 1, 2, 3],
        // Random bytes as a frame.
        |_| {
            let mut v = vec![0, 0, 0, 40];
            v.extend(random(40, 1));
            v
        },
        // A right header, then garbage instead of the encoding.
        |r| {
            let mut v = framed(&Response::Content(header(r, 1_000_000)));
            v.extend(random(100_000, 2));
            v
        },
        // Falls silent after the header.
        |r| framed(&Response::Content(header(r, 1_000_000))),
        // Answers another request id.
        |r| {
            let mut h = header(r, 1_000_000);
            h.id += 1;
            framed(&Response::Content(h))
        },
    ];
    let dest = Home::new();
    let mut fakes = Vec::new();
    for (i, respond) in liars.into_iter().enumerate() {
        let p = Tcp::new(fake_server(respond).await, &format!("liar{i}"));
        fakes.push(p.clone());
        let o = FetchOptions {
            max_io_failures: 0,
            idle_timeout: Duration::from_millis(500),
            ..Default::default()
        };
        let got = tokio::time::timeout(
            Duration::from_secs(20),
            fetch_blob(
                &dest.store,
                &dest.outboards,
                id,
                Some(size),
                None,
                &providers(std::slice::from_ref(&p)),
                &o,
            ),
        )
        .await;
        match got {
            Ok(Err(e)) => assert!(matches!(e, FetchError::Unavailable { .. }), "liar {i}: {e}"),
            Ok(Ok(_)) => panic!("liar {i} was believed"),
            Err(_) => panic!("liar {i} made the fetch hang"),
        }
        assert!(!dest.store.contains(&id));
        let probe = probe_size(id, None, &providers(&[p]), &o).await;
        assert!(probe.is_err(), "liar {i} proved a size");
    }
    // With the liars first, the honest provider still proves the size.
    let honest = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "honest",
    );
    fakes.push(honest);
    let o = FetchOptions {
        idle_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    assert_eq!(probe_size(id, None, &providers(&fakes), &o).await?, size);
    Ok(())
}

/// Outboards are never trusted: a stored outboard whose root does not match is recomputed, a
/// damaged inner pair cuts the response (and is dropped, so the retry is served right), a
/// provider whose root pair is wrong is dropped at its first pair, a corrupt local blob is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outboard_mismatch_is_refused() -> TestResult {
    let source = Home::new();
    let bytes = random(6 * MB, 10);
    let id = source.put(&bytes);
    let ob_path = source.outboards.path(&id);
    let good = source.outboards.get(&source.store, &id)?;
    drop(good);
    let mut raw = std::fs::read(&ob_path)?;
    raw[5] ^= 1;
    std::fs::write(&ob_path, &raw)?;
    let p = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "a",
    );
    let dest = Home::new();
    fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        None,
        None,
        &providers(std::slice::from_ref(&p)),
        &opts(8),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);
    assert_ne!(std::fs::read(&ob_path)?, raw, "root mismatch: recomputed");

    // Damage an inner pair: the server notices while sending, cuts, drops the outboard; the
    // client's retry on a fresh stream is served from a recomputed one.
    let mut raw = std::fs::read(&ob_path)?;
    let at = raw.len() / 2;
    raw[at] ^= 1;
    std::fs::write(&ob_path, &raw)?;
    let dest = Home::new();
    fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(bytes.len() as u64),
        None,
        &providers(std::slice::from_ref(&p)),
        &opts(8),
    )
    .await?;
    assert_eq!(dest.store.read(&id)?, bytes);

    // A provider whose root pair is wrong: the flipped byte is in the first pair.
    let faults = Faults {
        flip_at: Some(200),
        ..Default::default()
    };
    let bad = Tcp::new(
        tcp_server(&source, faults, Policy::default()).await,
        "bad-root",
    );
    let dest = Home::new();
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        id,
        Some(bytes.len() as u64),
        None,
        &providers(&[bad]),
        &opts(8),
    )
    .await
    .expect_err("bad root");
    let msg = err.to_string();
    assert!(
        msg.contains("does not verify") || msg.contains("bad header"),
        "{msg}"
    );
    assert!(!dest.store.contains(&id));

    // A corrupt blob in the serving store: the outboard cannot be built, the request refused.
    let other = source.put(&random(3 * MB, 11));
    let path = source.store.path(&other);
    let mut raw = std::fs::read(&path)?;
    raw[1_000] ^= 1;
    std::fs::write(&path, &raw)?;
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        other,
        Some(3 * MB as u64),
        None,
        &providers(&[p]),
        &opts(8),
    )
    .await
    .expect_err("corrupt source");
    assert!(err.to_string().contains("internal"), "{err}");
    Ok(())
}

/// Serving authorizes through the dataset, checks that instances belong to it, and audits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_and_audit() -> TestResult {
    let source = Home::new();
    let (ds1, inst1) = source.dataset(&[200_000, 300_000], 21);
    let (ds2, inst2) = source.dataset(&[100_000], 22);
    let policy = Policy {
        deny: Some(ds2),
        ..Default::default()
    };
    let p = Tcp::new(
        tcp_server(&source, Faults::default(), policy.clone()).await,
        "a",
    );
    let dest = Home::new();
    let list = providers(&[p]);
    // The denied dataset: its manifest, and its instance through it.
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        ds2,
        None,
        None,
        &list,
        &opts(8),
    )
    .await
    .expect_err("denied");
    assert!(err.to_string().contains("denied: empty_chain"), "{err}");
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        inst2[0].0,
        Some(100_000),
        Some(ds2),
        &list,
        &opts(8),
    )
    .await
    .expect_err("denied");
    assert!(err.to_string().contains("denied"), "{err}");
    // An instance of ds2 asked through ds1, which does not list it.
    let err = fetch_blob(
        &dest.store,
        &dest.outboards,
        inst2[0].0,
        Some(100_000),
        Some(ds1),
        &list,
        &opts(8),
    )
    .await
    .expect_err("not in dataset");
    assert!(err.to_string().contains("not_in_dataset"), "{err}");
    // Through its own dataset, allowed.
    fetch_blob(
        &dest.store,
        &dest.outboards,
        inst1[1].0,
        Some(300_000),
        Some(ds1),
        &list,
        &opts(8),
    )
    .await?;

    eventually(|| {
        policy
            .records()
            .iter()
            .any(|r| r.outcome == Outcome::Served)
    })
    .await;
    let records = policy.records();
    let served: Vec<_> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Served)
        .collect();
    assert_eq!(served.len(), 1);
    let r = served[0];
    assert_eq!((r.content, r.dataset, r.bytes), (inst1[1].0, ds1, 300_000));
    assert_eq!(
        r.ranges,
        vec![ByteRange {
            start: 0,
            end: 300_000
        }]
    );
    assert_eq!(r.requester, key(9));
    let denied: Vec<_> = records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Denied(code) => Some(code.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        denied.contains(&"empty_chain") && denied.contains(&"not_in_dataset"),
        "{denied:?}"
    );
    let e = r.audit_event(None, None, 5);
    assert!(e.detail.contains(&inst1[1].0.to_hex()) && e.detail.contains("300000 bytes"));
    Ok(())
}

/// A dataset fetched into a real node home: recorded outside the local catalog, and its blobs
/// kept by `fsck --gc` (not garbage), and the node stays consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_dataset_survives_fsck_gc() -> TestResult {
    // As the binary does first (fsck also checks that the home is owner-only).
    node::owner_only_files();
    let source = Home::new();
    let (dataset, instances) = source.dataset(&[300_000, 2 * MB, 5_000], 31);
    let p = Tcp::new(
        tcp_server(&source, Faults::default(), Policy::default()).await,
        "a",
    );
    let dir = tempfile::tempdir()?;
    let node = node::Home::new(dir.path()).init("Receiving center", None)?;
    let outboards = Outboards::open(&node.store)?;
    fetch_dataset(
        &node.store,
        &outboards,
        &node.catalog,
        dataset,
        Provenance {
            origin: key(3),
            grant: None,
            study: None,
        },
        &providers(&[p]),
        &opts(8),
    )
    .await?;
    let report = node::fsck(&node, true)?;
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.garbage_blobs, 0, "fetched blobs are live");
    for (id, bytes) in &instances {
        assert_eq!(&node.store.read(id)?, bytes);
    }
    assert!(node.store.contains(&dataset));
    assert_eq!(node.catalog.stats()?.datasets, 0);
    Ok(())
}
