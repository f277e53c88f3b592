//! Bounds of the serving side: content streams per peer and in all, and a stream that makes no
//! progress for a while is dropped ([`IdleStream`]), so that one member cannot hold a node's
//! memory or tasks with streams it opens and never uses.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use futures::{Stream, StreamExt};
use protocol::wire::{self, Response, WireError};
use protocol::PublicKey;

/// How many content streams a node serves at once, and how long one may stall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Streams served at once for one peer; more are answered `overloaded` and closed.
    pub per_peer: usize,
    /// Streams served at once for all peers together.
    pub total: usize,
    /// A stream whose peer sends nothing while a request is awaited, or reads nothing while an
    /// answer is sent, for this long is closed.
    pub idle: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            per_peer: 8,
            total: 256,
            idle: Duration::from_secs(60),
        }
    }
}

/// The streams being served, per peer.
#[derive(Debug)]
struct Gate {
    limits: StreamLimits,
    active: Mutex<(usize, HashMap<PublicKey, usize>)>,
}

/// A served stream's place; given back when dropped.
#[derive(Debug)]
struct Pass {
    gate: Arc<Gate>,
    peer: PublicKey,
}

impl Gate {
    fn enter(self: &Arc<Self>, peer: PublicKey) -> Option<Pass> {
        let mut a = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let mine = a.1.get(&peer).copied().unwrap_or(0);
        if a.0 >= self.limits.total || mine >= self.limits.per_peer {
            return None;
        }
        a.0 += 1;
        a.1.insert(peer, mine + 1);
        Some(Pass {
            gate: self.clone(),
            peer,
        })
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut a = self.gate.active.lock().unwrap_or_else(|e| e.into_inner());
        a.0 = a.0.saturating_sub(1);
        if let Some(n) = a.1.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                a.1.remove(&self.peer);
            }
        }
    }
}

/// Serve every stream of `incoming` with `serve_one`, each on its own task, within `limits`:
/// a stream over a cap is answered with an `overloaded` error and closed at once (nothing of
/// it is read); every served stream is an [`IdleStream`]. Returns when `incoming` ends.
pub async fn serve_streams<I, S, F, Fut>(mut incoming: I, limits: StreamLimits, serve_one: F)
where
    I: Stream<Item = (PublicKey, S)> + Unpin,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn(PublicKey, IdleStream<S>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let gate = Arc::new(Gate {
        limits,
        active: Mutex::new((0, HashMap::new())),
    });
    while let Some((peer, stream)) = incoming.next().await {
        let stream = IdleStream::new(stream, limits.idle);
        match gate.enter(peer) {
            Some(pass) => {
                let serving = serve_one(peer, stream);
                tokio::spawn(async move {
                    let _pass = pass;
                    serving.await;
                });
            }
            None => {
                tracing::info!(%peer, "content stream over the cap refused");
                tokio::spawn(refuse_overloaded(stream));
            }
        }
    }
}

/// Tell the peer this stream is refused (`overloaded`), then close it.
async fn refuse_overloaded<S: AsyncWrite + Unpin>(mut stream: S) {
    let err = WireError {
        id: None,
        code: "overloaded".into(),
        message: "too many content streams open at once".into(),
    };
    if let Ok(bytes) = wire::encode_response(&Response::Error(err)) {
        if let Ok(len) = u32::try_from(bytes.len()) {
            let mut out = len.to_be_bytes().to_vec();
            out.extend_from_slice(&bytes);
            let _ = stream.write_all(&out).await;
        }
    }
    let _ = stream.close().await;
}

/// A stream that fails (`TimedOut`) when a read or a write waits longer than its idle time:
/// the peer sends nothing while a request is awaited, or reads nothing of an answer.
#[derive(Debug)]
pub struct IdleStream<S> {
    inner: S,
    idle: Duration,
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> IdleStream<S> {
    /// `inner`, failing after `idle` without progress.
    pub fn new(inner: S, idle: Duration) -> Self {
        IdleStream {
            inner,
            idle,
            waiting: None,
        }
    }

    fn watch<R>(&mut self, cx: &mut Context<'_>, p: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if p.is_ready() {
            self.waiting = None;
            return p;
        }
        let idle = self.idle;
        let sleep = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no progress on the stream for {} s", idle.as_secs()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let p = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.watch(cx, p)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleStream<S> {
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

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = Pin::new(&mut self.inner).poll_close(cx);
        self.watch(cx, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_counts_per_peer_and_in_all_and_gives_back_on_drop() {
        let gate = Arc::new(Gate {
            limits: StreamLimits {
                per_peer: 2,
                total: 3,
                idle: Duration::from_secs(1),
            },
            active: Mutex::new((0, HashMap::new())),
        });
        let a = protocol::SecretKey::from_seed(&[1; 32]).public();
        let b = protocol::SecretKey::from_seed(&[2; 32]).public();
        let a1 = gate.enter(a).expect("first of a");
        let _a2 = gate.enter(a).expect("second of a");
        assert!(gate.enter(a).is_none(), "a third stream of one peer");
        let _b1 = gate.enter(b).expect("first of b");
        assert!(gate.enter(b).is_none(), "over the total");
        drop(a1);
        assert!(gate.enter(b).is_some(), "a place given back");
    }
}
