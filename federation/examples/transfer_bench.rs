//! Content transfer throughput on loopback: one blob (1 GiB by default) between two nodes in
//! one process (both ends on the same cores, as on one small machine), side by side in the
//! same run:
//!
//! - `bare noise`, `bare tls`: a libp2p stream (TCP + noise or TLS + yamux) carrying the blob's
//!   bytes read from its file; the receiver discards them. No store, no verification.
//! - `bare noise written to a file`: the same, the receiver writing the bytes to a new file
//!   (what storing costs, without verification).
//! - `verified noise`, `verified tls`: `transfer::fetch_blob` of the same blob over the same
//!   swarms, into a fresh store (partial file, every group verified, committed; durability
//!   none, so no disk flush is timed).
//! - `verified tls + syncfs`: the same, committed with the store's default durability (the
//!   1 GiB is flushed to disk before the fetch returns).
//! - `bare tcp`, `verified tcp`: plain tokio TCP, without encryption, for scale.
//!
//! `socat` is measured by `scripts/bench/federation-transfer`, which runs this.
//!
//! usage: transfer_bench [--mib N] [--runs N] [--only MODE,...]
//! Prints a Markdown table (median, min, max MB/s over the runs; CPU seconds per GiB of the
//! whole process, both ends), then one JSON line.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cpu_time::ProcessTime;
use federation::outboard::Outboards;
use federation::transfer::{self, BoxFuture, BoxStream, FetchOptions, Provider, ServeOptions};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{noise, tcp, tls, yamux, PeerId, StreamProtocol, Swarm};
use node::{BlobStore, Durability};
use protocol::{ContentId, PublicKey};
use tokio_util::compat::TokioAsyncReadCompatExt;

const BARE: &str = "/neurofed/bench-bare/1";
const CHUNK: usize = 256 * 1024;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Source {
    store: Arc<BlobStore>,
    outboards: Arc<Outboards>,
    id: ContentId,
    size: u64,
}

/// Send a file's bytes on a stream, 256 KiB at a time (the bare baseline's server).
async fn send_file<W: AsyncWrite + Unpin>(w: &mut W, path: &std::path::Path) -> io::Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n]).await?;
    }
    w.flush().await?;
    w.close().await
}

/// Read a stream to its end, discarding (the bare baseline's client).
async fn drain<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// Read a stream to its end into a new file, 256 KiB writes (storage without verification).
async fn to_file<R: AsyncRead + Unpin>(r: &mut R, path: &std::path::Path) -> io::Result<u64> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        f.write_all(&buf[..n])?;
        total += n as u64;
    }
}

async fn serve_verified<S: AsyncRead + AsyncWrite + Unpin>(stream: S, src: &Source) {
    let peer = protocol::SecretKey::from_seed(&[1; 32]).public();
    let _ = transfer::serve(
        stream,
        peer,
        &src.store,
        &src.outboards,
        &ServeOptions::default(),
        |_| {
            Ok(transfer::Authorized {
                requester: peer,
                grant: None,
            })
        },
        |_| {},
    )
    .await;
}

fn swarm(tls: bool) -> Res<Swarm<libp2p_stream::Behaviour>> {
    let builder = libp2p::SwarmBuilder::with_new_identity().with_tokio();
    let tcp = tcp::Config::default().nodelay(true);
    let idle = |c: libp2p::swarm::Config| c.with_idle_connection_timeout(Duration::from_secs(3600));
    Ok(if tls {
        builder
            .with_tcp(tcp, tls::Config::new, yamux::Config::default)?
            .with_behaviour(|_| libp2p_stream::Behaviour::new())?
            .with_swarm_config(idle)
            .build()
    } else {
        builder
            .with_tcp(tcp, noise::Config::new, yamux::Config::default)?
            .with_behaviour(|_| libp2p_stream::Behaviour::new())?
            .with_swarm_config(idle)
            .build()
    })
}

/// A serving node and a connected client node.
struct P2p {
    control: libp2p_stream::Control,
    peer: PeerId,
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

async fn p2p(tls: bool, src: Arc<Source>) -> Res<Arc<P2p>> {
    let mut server = swarm(tls)?;
    server.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = server.select_next_some().await {
            break address;
        }
    };
    let peer = *server.local_peer_id();
    let mut control = server.behaviour().new_control();
    let mut verified = control.accept(StreamProtocol::new(transfer::PROTOCOL))?;
    let mut bare = control.accept(StreamProtocol::new(BARE))?;
    tokio::spawn(async move {
        loop {
            server.select_next_some().await;
        }
    });
    let s = src.clone();
    tokio::spawn(async move {
        while let Some((_, stream)) = verified.next().await {
            let s = s.clone();
            tokio::spawn(async move { serve_verified(stream, &s).await });
        }
    });
    let path = src.store.path(&src.id);
    tokio::spawn(async move {
        while let Some((_, mut stream)) = bare.next().await {
            let path = path.clone();
            tokio::spawn(async move {
                let mut one = [0u8; 1];
                if stream.read_exact(&mut one).await.is_ok() {
                    let _ = send_file(&mut stream, &path).await;
                }
            });
        }
    });
    let mut client = swarm(tls)?;
    let control = client.behaviour().new_control();
    client.dial(addr)?;
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
    Ok(Arc::new(P2p { control, peer }))
}

struct Tcp {
    addr: SocketAddr,
}

impl Provider for Tcp {
    fn name(&self) -> String {
        self.addr.to_string()
    }
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
        Box::pin(async move {
            let s = tokio::net::TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s.compat()) as BoxStream)
        })
    }
}

/// TCP servers: verified protocol, and bare bytes.
async fn tcp_servers(src: Arc<Source>) -> Res<(SocketAddr, SocketAddr)> {
    let verified = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addrs = (verified.local_addr()?, bare.local_addr()?);
    let s = src.clone();
    tokio::spawn(async move {
        while let Ok((t, _)) = verified.accept().await {
            let _ = t.set_nodelay(true);
            let s = s.clone();
            tokio::spawn(async move { serve_verified(t.compat(), &s).await });
        }
    });
    let path = src.store.path(&src.id);
    tokio::spawn(async move {
        while let Ok((t, _)) = bare.accept().await {
            let path = path.clone();
            tokio::spawn(async move {
                let mut s = t.compat();
                let _ = send_file(&mut s, &path).await;
            });
        }
    });
    Ok(addrs)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    BareNoise,
    BareNoiseFile,
    BareTls,
    VerifiedNoise,
    VerifiedTls,
    VerifiedTlsSync,
    BareTcp,
    VerifiedTcp,
}

impl Mode {
    const ALL: [Mode; 8] = [
        Mode::BareNoise,
        Mode::BareNoiseFile,
        Mode::BareTls,
        Mode::VerifiedNoise,
        Mode::VerifiedTls,
        Mode::VerifiedTlsSync,
        Mode::BareTcp,
        Mode::VerifiedTcp,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::BareNoise => "bare libp2p stream, TCP+noise+yamux",
            Mode::BareNoiseFile => "bare libp2p stream written to a file, TCP+noise+yamux",
            Mode::BareTls => "bare libp2p stream, TCP+TLS+yamux",
            Mode::VerifiedNoise => "verified transfer into a store, TCP+noise+yamux",
            Mode::VerifiedTls => "verified transfer into a store, TCP+TLS+yamux",
            Mode::VerifiedTlsSync => "verified transfer, TCP+TLS+yamux, durable commit (syncfs)",
            Mode::BareTcp => "bare TCP (tokio, no encryption)",
            Mode::VerifiedTcp => "verified transfer into a store, plain TCP",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::BareNoise => "bare_noise",
            Mode::BareNoiseFile => "bare_noise_file",
            Mode::BareTls => "bare_tls",
            Mode::VerifiedNoise => "verified_noise",
            Mode::VerifiedTls => "verified_tls",
            Mode::VerifiedTlsSync => "verified_tls_syncfs",
            Mode::BareTcp => "bare_tcp",
            Mode::VerifiedTcp => "verified_tcp",
        }
    }
}

struct Setup {
    src: Arc<Source>,
    noise: Arc<P2p>,
    tls: Arc<P2p>,
    tcp_verified: SocketAddr,
    tcp_bare: SocketAddr,
    scratch: std::path::PathBuf,
}

/// One measurement: seconds, CPU seconds.
async fn measure(setup: &Setup, mode: Mode) -> Res<(f64, f64)> {
    let size = setup.src.size;
    let cpu = ProcessTime::now();
    let t = Instant::now();
    match mode {
        Mode::BareNoise | Mode::BareTls | Mode::BareNoiseFile => {
            let p = if mode == Mode::BareTls {
                &setup.tls
            } else {
                &setup.noise
            };
            let mut s = p
                .control
                .clone()
                .open_stream(p.peer, StreamProtocol::new(BARE))
                .await?;
            s.write_all(&[1]).await?;
            s.flush().await?;
            let n = if mode == Mode::BareNoiseFile {
                let dest = tempfile::tempdir_in(&setup.scratch)?;
                let n = to_file(&mut s, &dest.path().join("blob")).await?;
                let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu.elapsed().as_secs_f64());
                if n != size {
                    return Err(format!("bare stream moved {n} bytes of {size}").into());
                }
                return Ok((secs, cpu));
            } else {
                drain(&mut s).await?
            };
            if n != size {
                return Err(format!("bare stream moved {n} bytes of {size}").into());
            }
        }
        Mode::BareTcp => {
            let s = tokio::net::TcpStream::connect(setup.tcp_bare).await?;
            s.set_nodelay(true)?;
            let n = drain(&mut s.compat()).await?;
            if n != size {
                return Err(format!("bare TCP moved {n} bytes of {size}").into());
            }
        }
        Mode::VerifiedNoise | Mode::VerifiedTls | Mode::VerifiedTlsSync | Mode::VerifiedTcp => {
            let provider: Arc<dyn Provider> = match mode {
                Mode::VerifiedNoise => setup.noise.clone(),
                Mode::VerifiedTcp => Arc::new(Tcp {
                    addr: setup.tcp_verified,
                }),
                _ => setup.tls.clone(),
            };
            let durability = if mode == Mode::VerifiedTlsSync {
                Durability::Syncfs
            } else {
                Durability::None
            };
            let dest = tempfile::tempdir_in(&setup.scratch)?;
            let store = BlobStore::open(dest.path(), durability)?;
            let outboards = Outboards::open(&store)?;
            let r = transfer::fetch_blob(
                &store,
                &outboards,
                setup.src.id,
                Some(size),
                None,
                &[provider],
                &FetchOptions::default(),
            )
            .await?;
            if r.bytes_fetched != size || !store.contains(&setup.src.id) {
                return Err(format!("verified transfer: {r:?}").into());
            }
            let secs = t.elapsed().as_secs_f64();
            let cpu = cpu.elapsed().as_secs_f64();
            drop(dest);
            return Ok((secs, cpu));
        }
    }
    Ok((t.elapsed().as_secs_f64(), cpu.elapsed().as_secs_f64()))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

async fn run(mib: u64, runs: usize, only: Option<String>) -> Res<()> {
    let scratch = std::env::var_os("BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&scratch)?;
    let home = tempfile::tempdir_in(&scratch)?;
    let store = BlobStore::open(home.path(), Durability::None)?;
    let size = mib << 20;
    let mut bytes = vec![0u8; size as usize];
    blake3::Hasher::new()
        .update(b"transfer bench")
        .finalize_xof()
        .fill(&mut bytes);
    let id = store.put(&bytes)?;
    drop(bytes);
    let outboards = Outboards::open(&store)?;
    let t = Instant::now();
    outboards.create(&store, &id)?;
    let outboard_secs = t.elapsed().as_secs_f64();
    eprintln!(
        "blob {id}: {mib} MiB; outboard built in {outboard_secs:.3} s ({:.0} MB/s), once",
        size as f64 / outboard_secs / 1e6
    );
    let src = Arc::new(Source {
        store: Arc::new(store),
        outboards: Arc::new(outboards),
        id,
        size,
    });
    let noise = p2p(false, src.clone()).await?;
    let tls = p2p(true, src.clone()).await?;
    let (tcp_verified, tcp_bare) = tcp_servers(src.clone()).await?;
    let setup = Setup {
        src,
        noise,
        tls,
        tcp_verified,
        tcp_bare,
        scratch,
    };
    // Warm-up: page cache, connections, allocator.
    measure(&setup, Mode::BareNoise).await?;
    let mut results: Vec<(Mode, Vec<f64>, Vec<f64>)> = Mode::ALL
        .iter()
        .filter(|m| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|k| k == m.key()))
        })
        .map(|m| (*m, vec![], vec![]))
        .collect();
    for run in 0..runs {
        for (mode, mbs, cpus) in results.iter_mut() {
            let (secs, cpu) = measure(&setup, *mode).await?;
            let gib = size as f64 / (1u64 << 30) as f64;
            mbs.push(size as f64 / secs / 1e6);
            cpus.push(cpu / gib);
            eprintln!(
                "run {}: {:<58} {:>7.0} MB/s  {:.2} CPU-s/GiB",
                run + 1,
                mode.name(),
                size as f64 / secs / 1e6,
                cpu / gib
            );
        }
    }
    let med = |m: Mode| {
        results
            .iter()
            .find(|r| r.0 == m)
            .map(|r| median(&r.1))
            .unwrap_or(0.0)
    };
    let (bare_noise, bare_tls) = (med(Mode::BareNoise).max(1.0), med(Mode::BareTls).max(1.0));
    println!("| mode | MB/s median | min | max | CPU-s/GiB (both ends) | vs bare noise | vs bare, same transport |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut json = serde_json::Map::new();
    for (mode, mbs, cpus) in &results {
        let m = median(mbs);
        let min = mbs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = mbs.iter().copied().fold(0.0, f64::max);
        let same = match mode {
            Mode::VerifiedNoise => m / bare_noise,
            Mode::VerifiedTls | Mode::VerifiedTlsSync => m / bare_tls,
            Mode::VerifiedTcp => m / med(Mode::BareTcp),
            _ => 1.0,
        };
        println!(
            "| {} | {m:.0} | {min:.0} | {max:.0} | {:.2} | {:.0}% | {:.0}% |",
            mode.name(),
            median(cpus),
            100.0 * m / bare_noise,
            100.0 * same
        );
        json.insert(
            mode.key().into(),
            serde_json::json!({"mb_s": m, "min": min, "max": max, "cpu_s_per_gib": median(cpus)}),
        );
    }
    json.insert("mib".into(), mib.into());
    json.insert("runs".into(), runs.into());
    json.insert("outboard_s".into(), outboard_secs.into());
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

fn main() -> Res<()> {
    let mut mib = 1024u64;
    let mut runs = 3usize;
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mib" => mib = args.next().ok_or("--mib N")?.parse()?,
            "--runs" => runs = args.next().ok_or("--runs N")?.parse()?,
            "--only" => only = Some(args.next().ok_or("--only MODE[,MODE]")?),
            _ => {
                return Err(format!(
                    "unknown argument {a}; usage: transfer_bench [--mib N] [--runs N]"
                )
                .into())
            }
        }
    }
    let _ = PublicKey::from_peer_id;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(mib, runs.max(1), only))
}
