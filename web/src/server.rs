//! The HTTP server of `neurofed serve` (and the demo): [`crate::app`] on hyper's HTTP/1
//! connections with the bounds of [`HttpLimits`], so that slow or many clients cannot starve it.
//!
//! - **Connection cap**: at most `max_connections` are served at once; the next client waits
//!   in the listen queue until one ends (it is not refused, and no socket is accepted that the
//!   server would not serve).
//! - **Per-address cap**: at most `max_per_address` of them from one client address; more from
//!   it are accepted and closed at once, so that one address cannot take every slot (0: no
//!   limit, for a node behind a reverse proxy).
//! - **Header timeout** (slowloris): a connection has `header_timeout` to send a request's
//!   headers, counted from its start or from the end of its previous answer (an idle keep-alive
//!   connection is closed the same way); hyper's `header_read_timeout`.
//! - **Request timeout** (the [`request_timeout`] middleware): an ordinary request has
//!   `request_timeout` until its answer starts, else 408. Streaming answers (downloads, WADO-RS)
//!   start at once and are not cut after; uploads (import, STOW-RS) and `/fetch` are exempt and
//!   get the idle timeout instead.
//! - **Idle timeout**: an upload's body that sends nothing for `idle_timeout` fails (408), and a
//!   connection whose client reads nothing of an answer for `idle_timeout` is dropped
//!   ([`Stalled`]): a 10 GB download that keeps moving is never cut, a stuck one is.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::AppState;

/// Bounds of the HTTP server (`[http]` of `config.toml`; see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections served at once from one client address (0: no limit).
    pub max_per_address: usize,
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// Time until an ordinary request's answer starts.
    pub request_timeout: Duration,
    /// Time an upload may send nothing, or a download's client read nothing.
    pub idle_timeout: Duration,
}

impl HttpLimits {
    /// The limits `config` sets (zero values are taken as one).
    pub fn from_config(config: &node::HttpConfig) -> Self {
        let secs = |s: u64| Duration::from_secs(s.max(1));
        HttpLimits {
            max_connections: config.max_connections.max(1),
            max_per_address: config.max_connections_per_address,
            header_timeout: secs(config.header_timeout_secs),
            request_timeout: secs(config.request_timeout_secs),
            idle_timeout: secs(config.idle_timeout_secs),
        }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::from_config(&node::HttpConfig::default())
    }
}

/// Routes whose body is a long upload or whose answer waits on a long transfer: no request
/// timeout, the idle timeout on their body instead.
fn is_streaming_upload(method: &Method, path: &str) -> bool {
    let upload = path.starts_with("/api/v1/studies/");
    (method == Method::POST
        && (matches!(
            path,
            "/api/v1/import" | "/api/v1/fetch" | "/dicom-web/studies"
        ) || (upload && path.ends_with("/upload/commit"))))
        || (method == Method::PUT && upload && path.contains("/upload/blobs/"))
}

/// The middleware bounding a request's time (the module documentation says how).
pub(crate) async fn request_timeout(
    axum::extract::State(st): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let limits = st.config.limits;
    if is_streaming_upload(req.method(), req.uri().path()) {
        let req = req.map(|b| idle_body(b, limits.idle_timeout));
        return next.run(req).await;
    }
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than {} s",
                limits.request_timeout.as_secs()
            ),
        )
        .into_response(),
    }
}

/// What an upload that stopped sending fails with.
pub(crate) const IDLE_UPLOAD: &str = "the upload sent nothing";

/// `body`, failing when it sends nothing for `idle` while it is being read.
fn idle_body(body: Body, idle: Duration) -> Body {
    let stream = body.into_data_stream();
    let s = futures_util::stream::unfold(Some(stream), move |st| async move {
        let mut stream = st?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(item)) => Some((item, Some(stream))),
            Ok(None) => None,
            Err(_) => Some((
                Err(axum::Error::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{IDLE_UPLOAD} for {} s", idle.as_secs()),
                ))),
                None,
            )),
        }
    });
    Body::from_stream(s)
}

/// Serve `state`'s application on `listener` until `shutdown` resolves, then let the open
/// connections finish their request (at most 30 s). Each request carries its client's address
/// (`ConnectInfo<SocketAddr>`).
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = state.config.limits;
    let app = crate::app(state);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = PerAddress::new(limits.max_per_address);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = per_address.take(peer.ip()) else {
            tracing::debug!(%peer, "too many connections from this address: closed");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(Body::new))
        });
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            let _done = done;
            let io = TokioIo::new(Stalled::new(tcp, limits.idle_timeout));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    let _ = tokio::time::timeout(Duration::from_secs(30), done_tx.closed()).await;
    Ok(())
}

/// Connections open per client address, within a cap.
#[derive(Clone)]
struct PerAddress {
    cap: usize,
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

/// One connection's place in [`PerAddress`], given back when dropped.
struct Slot {
    of: PerAddress,
    ip: std::net::IpAddr,
}

impl PerAddress {
    fn new(cap: usize) -> Self {
        PerAddress {
            cap,
            open: Arc::default(),
        }
    }

    /// A place for one more connection from `ip`, unless it holds the cap already.
    fn take(&self, ip: std::net::IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if self.cap > 0 && *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            of: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.of.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection that fails when a write makes no progress for its idle time (the client reads
/// nothing). Reads are not bounded here: hyper bounds the headers, [`request_timeout`] the
/// rest.
#[derive(Debug)]
pub(crate) struct Stalled<T> {
    inner: T,
    idle: Duration,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Stalled<T> {
    pub(crate) fn new(inner: T, idle: Duration) -> Self {
        Stalled {
            inner,
            idle,
            stall: None,
        }
    }

    /// After a write-side poll: disarm on progress, else arm (once) and check the timer.
    fn watch<R>(&mut self, cx: &mut Context<'_>, p: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if p.is_ready() {
            self.stall = None;
            return p;
        }
        let idle = self.idle;
        let sleep = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing of the answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Stalled<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Stalled<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let p = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, p)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, p)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let p = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, p)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_idle_time_and_a_slow_reader_is_not_cut() {
        let idle = Duration::from_millis(200);
        let (a, _b) = tokio::io::duplex(1024);
        let mut w = Stalled::new(a, idle);
        let t = std::time::Instant::now();
        let e = w.write_all(&[0u8; 8192]).await.err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::TimedOut));
        assert!(t.elapsed() < Duration::from_secs(2));

        let (a, mut b) = tokio::io::duplex(1024);
        let mut w = Stalled::new(a, idle);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let mut n = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                match b.read(&mut buf).await {
                    Ok(0) | Err(_) => return n,
                    Ok(k) => n += k,
                }
            }
        });
        // 16 reads 50 ms apart: far longer than the idle time, but never idle that long.
        let t = std::time::Instant::now();
        w.write_all(&[0u8; 8192])
            .await
            .map_err(|e| e.kind())
            .unwrap();
        assert!(t.elapsed() > idle);
        drop(w);
        assert_eq!(reader.await.ok(), Some(8192));
    }

    #[test]
    fn uploads_and_fetch_are_the_streaming_routes() {
        assert!(is_streaming_upload(&Method::POST, "/api/v1/import"));
        assert!(is_streaming_upload(&Method::POST, "/api/v1/fetch"));
        assert!(is_streaming_upload(&Method::POST, "/dicom-web/studies"));
        assert!(!is_streaming_upload(&Method::GET, "/api/v1/import"));
        assert!(is_streaming_upload(
            &Method::PUT,
            "/api/v1/studies/st_1/upload/blobs/ab"
        ));
        assert!(is_streaming_upload(
            &Method::POST,
            "/api/v1/studies/st_1/upload/commit"
        ));
        assert!(!is_streaming_upload(
            &Method::POST,
            "/api/v1/studies/st_1/upload/missing"
        ));
        assert!(!is_streaming_upload(&Method::POST, "/api/v1/login"));
        assert!(!is_streaming_upload(&Method::GET, "/dicom-web/studies"));
    }
}
