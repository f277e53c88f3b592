//! `neurofed serve` over a real socket on 127.0.0.1: the ready line, health, a token made with
//! the CLI, a real import upload, and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{neurofed, new_home};

/// Kills the server if the test fails before stopping it.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `neurofed serve ARGS` on `home` (stderr to `log`, else discarded; `env` set, `NEUROFED_LOG`
/// unset unless given): the server and what its `ready` line says after `ready ` (`http=ADDR`,
/// then ` p2p=ADDR` when the federation runs).
pub(crate) fn spawn(
    home: &Path,
    args: &[&str],
    log: Option<&Path>,
    env: &[(&str, &str)],
) -> (Server, String) {
    let mut cmd = neurofed(home);
    cmd.env_remove("NEUROFED_LOG")
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(match log {
            Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
            None => Stdio::null(),
        });
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let ready = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (server, ready)
}

/// [`spawn`] on a free port of 127.0.0.1, HTTP only: the server and its address.
pub(crate) fn serve_http(home: &Path, log: Option<&Path>) -> (Server, String) {
    let (server, ready) = spawn(home, &["--http", "127.0.0.1:0"], log, &[]);
    let addr = ready
        .strip_prefix("http=")
        .unwrap_or_else(|| panic!("unexpected ready line {ready:?}"))
        .to_string();
    (server, addr)
}

pub(crate) fn with_stdin(home: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = neurofed(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 request; returns the status and the body.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
    ctype: &str,
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

pub(crate) fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[test]
fn serve_answers_over_a_socket_and_stops_on_sigterm() {
    testkit::need_make_series!();
    let (_dir, home) = new_home("Rennes Neurinfo");
    with_stdin(
        &home,
        &["user", "add", "alice", "--admin"],
        "correct horse battery\n",
    );
    let token = with_stdin(&home, &["user", "token", "alice", "--label", "e2e"], "")
        .trim()
        .to_string();
    assert!(token.starts_with("nft_"), "{token}");

    let (server, addr) = serve_http(&home, None);
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );

    let (status, body) = http(&addr, "GET", "/api/v1/health", None, b"", "text/plain");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["status"], "ok");
    let (status, body) = http(&addr, "GET", "/api/v1/me", None, b"", "text/plain");
    assert_eq!(status, 401);
    assert_eq!(json(&body)["error"]["code"], "unauthenticated");
    let (status, body) = http(&addr, "GET", "/api/v1/me", Some(&token), b"", "text/plain");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["user"]["name"], "alice");

    // An upload over the socket: a zip of one series.
    let series = std::fs::read_dir(testkit::synth_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .min()
        .unwrap();
    let session = std::fs::read_dir(&series)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let t2 = std::fs::read_dir(&session)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("t2_tse"))
        .unwrap();
    let mut zip = zip_writer();
    for f in std::fs::read_dir(&t2).unwrap() {
        let f = f.unwrap().path();
        zip.add(
            &f.file_name().unwrap().to_string_lossy(),
            &std::fs::read(&f).unwrap(),
        );
    }
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/import?study=e2e",
        Some(&token),
        &zip.finish(),
        "application/zip",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["instances"], 25);
    let (_, body) = http(
        &addr,
        "GET",
        "/api/v1/stats",
        Some(&token),
        b"",
        "text/plain",
    );
    assert_eq!(json(&body)["datasets"], 1);

    // While serving, the CLI still reads the node (the catalog is shared across processes).
    let stats = crate::util::json(neurofed(&home).args(["stats"]));
    assert_eq!(stats["datasets"], 1);

    // SIGTERM: graceful shutdown, exit 0.
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut server = server;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    // The home is free again.
    assert!(neurofed(&home)
        .args(["stats"])
        .output()
        .unwrap()
        .status
        .success());
}

/// A minimal zip (stored entries) built with the zip crate's reader-compatible layout.
struct ZipBuf(zip::ZipWriter<std::io::Cursor<Vec<u8>>>);

fn zip_writer() -> ZipBuf {
    ZipBuf(zip::ZipWriter::new(std::io::Cursor::new(Vec::new())))
}

impl ZipBuf {
    fn add(&mut self, name: &str, data: &[u8]) {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        self.0.start_file(name, opts).unwrap();
        self.0.write_all(data).unwrap();
    }

    fn finish(self) -> Vec<u8> {
        self.0.finish().unwrap().into_inner()
    }
}
