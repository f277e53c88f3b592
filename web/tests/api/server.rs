//! `web::serve` over real sockets on 127.0.0.1: slow clients dropped without starving others,
//! the request timeout (not cutting a streaming download), the idle timeout of uploads, and
//! per-route body limits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use node::PasswordCost;
use web::{AppState, HttpLimits, WebConfig};

use crate::fixture::{self, Small};

/// A served node and how to stop it.
struct Served {
    addr: SocketAddr,
    small: Small,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn serve(empty: bool, limits: HttpLimits) -> Served {
    let small = Small::new(empty);
    let state = AppState::with_config(
        Arc::clone(&small.state.node),
        WebConfig {
            upload_dir: small.uploads.path().to_path_buf(),
            password_cost: PasswordCost::INSECURE_FAST,
            limits,
            ..WebConfig::default()
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async {
        let _ = rx.await;
    }));
    Served {
        addr,
        small,
        stop: Some(tx),
    }
}

fn limits(max_connections: usize, header: u64, request: u64, idle: u64) -> HttpLimits {
    HttpLimits {
        max_connections,
        max_per_address: 0,
        header_timeout: Duration::from_secs(header),
        request_timeout: Duration::from_secs(request),
        idle_timeout: Duration::from_secs(idle),
    }
}

/// Send `head` and `body` on a new connection (`Connection: close`), read the whole answer.
fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading it all, and close.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (status_of(&out), out)
}

fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(&answer[..answer.len().min(64)]).to_string();
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
}

/// The body of an answer (after the blank line), de-chunked if it is chunked.
fn body_of(answer: &[u8]) -> Vec<u8> {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&answer[..at]).to_ascii_lowercase();
    let mut rest = &answer[at + 4..];
    if !head.contains("transfer-encoding: chunked") {
        return rest.to_vec();
    }
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
            .expect("hex chunk size");
        rest = &rest[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// What a slow client saw: how long until the server closed, and whether it was answered.
struct Slow {
    closed_after: Duration,
    answered: bool,
}

/// Open a connection and send a request's headers one byte per second until the server
/// closes it (or `give_up` passes).
fn slowloris(addr: SocketAddr, give_up: Duration) -> Slow {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    // Reading with a 1 s timeout paces the bytes and notices the close.
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut buf = [0u8; 256];
    for b in head.iter().cycle() {
        if started.elapsed() > give_up {
            break;
        }
        if s.write_all(&[*b]).is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {
                return Slow {
                    closed_after: started.elapsed(),
                    answered: buf.starts_with(b"HTTP/1.1 200"),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    Slow {
        closed_after: started.elapsed(),
        answered: false,
    }
}

fn health(addr: SocketAddr) -> u16 {
    exchange(
        addr,
        "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"",
    )
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_clients_are_dropped_and_do_not_keep_a_normal_client_from_being_served() {
    // 4 connections at once, 2 s to send the headers.
    let served = serve(true, limits(4, 2, 30, 30)).await;
    let addr = served.addr;
    // Fewer slow clients than the cap: a normal client is served at once.
    let few: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(move || slowloris(addr, Duration::from_secs(40))))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let code = tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    for h in few {
        let s = h.join().unwrap();
        assert!(!s.answered);
        assert!(
            s.closed_after < Duration::from_secs(5),
            "a slow client was dropped after {:?} (header timeout 2 s)",
            s.closed_after
        );
    }
    // Three times the cap: the slow ones queue behind each other and each is dropped 2 s
    // after it is taken; the normal client, queued behind all of them, is still served.
    let many: Vec<_> = (0..12)
        .map(|_| std::thread::spawn(move || slowloris(addr, Duration::from_secs(40))))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let code = tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    let waited = t.elapsed();
    assert_eq!(code, 200);
    assert!(waited < Duration::from_secs(15), "served after {waited:?}");
    for h in many {
        let s = h.join().unwrap();
        assert!(!s.answered);
        assert!(
            s.closed_after < Duration::from_secs(15),
            "a slow client held its connection {:?}",
            s.closed_after
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    // 8 connections in all, 2 from one address.
    let served = serve(
        true,
        HttpLimits {
            max_per_address: 2,
            ..limits(8, 30, 30, 30)
        },
    )
    .await;
    let addr = served.addr;
    let code = tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    assert_eq!(code, 200, "under the cap");
    // Two idle connections from 127.0.0.1 hold its two places: a third is closed unanswered at
    // once (not queued for the header timeout).
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(
            b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    })
    .await
    .unwrap();
    assert!(
        answer.is_empty(),
        "the third connection of the address is closed unanswered"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // When one of them goes, the address is served again.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let code = tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    assert_eq!(code, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_limit_json_body_is_413_and_an_agreement_may_be_larger() {
    let served = serve(false, HttpLimits::default()).await;
    let addr = served.addr;
    let big = format!(
        r#"{{"name":"admin","password":"{}"}}"#,
        "x".repeat(web::MAX_SMALL_JSON_BYTES)
    );
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        big.len()
    );
    let (code, answer) = tokio::task::spawn_blocking(move || exchange(addr, &head, big.as_bytes()))
        .await
        .unwrap();
    assert_eq!(code, 413, "{}", String::from_utf8_lossy(&answer));
    // The agreement route keeps the larger limit: 200,000 bytes of text are taken.
    let text = serde_json::json!({ "text": "y".repeat(200_000) }).to_string();
    let token = served.small.admin.clone();
    let head = format!(
        "PUT /api/v1/studies/small/agreement HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        text.len()
    );
    let (code, answer) =
        tokio::task::spawn_blocking(move || exchange(addr, &head, text.as_bytes()))
            .await
            .unwrap();
    assert_ne!(code, 413, "{}", String::from_utf8_lossy(&answer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_is_408_and_a_stalled_upload_too_but_a_slow_download_is_not_cut() {
    // Requests: 1 s until the answer starts; uploads and downloads: 2 s without progress.
    let served = serve(false, limits(16, 5, 1, 2)).await;
    let addr = served.addr;
    let token = served.small.admin.clone();

    // A JSON body announced and never sent: 408 after the request timeout.
    let t = Instant::now();
    let head = "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\"";
    let (code, _) = tokio::task::spawn_blocking(move || exchange(addr, head, b""))
        .await
        .unwrap();
    assert_eq!(code, 408);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());

    // An upload that stops sending: 408 after the idle timeout, not held open.
    let t = Instant::now();
    let head = format!(
        "POST /api/v1/import?study=small HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/zip\r\nContent-Length: 1000000\r\n\r\n"
    );
    let (code, answer) = tokio::task::spawn_blocking(move || exchange(addr, &head, &[0u8; 1000]))
        .await
        .unwrap();
    assert_eq!(code, 408, "{}", String::from_utf8_lossy(&answer));
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());

    // A download read slowly for longer than the request timeout arrives whole.
    let study = served.small.study.unwrap();
    let rows = served.small.node().catalog.dataset_rows().unwrap();
    let dataset = rows
        .iter()
        .find(|r| r.study.id == study)
        .expect("a dataset")
        .dataset
        .id;
    let uri = format!("/api/v1/datasets/{dataset}/download?format=dicom");
    let whole = fixture::get(&served.small.state, &uri, Some(&token)).await;
    assert_eq!(whole.status, 200);
    let head = format!(
        "GET {uri} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    // About 300 reads 10 ms apart: some 3 s, three times the request timeout.
    let step = (whole.body.len() / 300).max(1);
    let (answer, secs) = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; step];
        loop {
            std::thread::sleep(Duration::from_millis(10));
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        (out, t.elapsed().as_secs_f64())
    })
    .await
    .unwrap();
    assert_eq!(status_of(&answer), 200);
    assert!(secs > 2.0, "the download took {secs:.1} s only");
    assert_eq!(
        body_of(&answer).len(),
        whole.body.len(),
        "the download was cut"
    );
}
