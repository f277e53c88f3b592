//! A content stream's framing: CBOR messages (`protocol::wire` frames) behind a 4-byte
//! big-endian length, and bulk bytes read through one bounded buffer.

use std::io;

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Size of the read buffer of a connection: one read from the transport.
pub(crate) const READ_BUFFER: usize = 256 * 1024;

/// One side of a content stream, with its read buffer.
#[derive(Debug)]
pub(crate) struct Conn<S> {
    pub(crate) stream: S,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes read from the transport so far.
    pub(crate) read_total: u64,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub(crate) fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: vec![0u8; READ_BUFFER],
            start: 0,
            end: 0,
            read_total: 0,
        }
    }

    /// Bytes read and not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Mark `n` buffered bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Read more from the transport; returns 0 at end of stream.
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        if self.end == self.buf.len() {
            // Keep the unconsumed tail (less than one frame header or message).
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        self.read_total += n as u64;
        Ok(n)
    }

    /// Ensure `n` bytes are buffered (`n` at most the buffer size). `Ok(false)` when the stream
    /// ended cleanly before any byte of them.
    async fn want(&mut self, n: usize) -> io::Result<bool> {
        if n > self.buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame too large",
            ));
        }
        if self.buf.len() - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end - self.start < n {
            let before = self.end - self.start;
            if self.fill().await? == 0 {
                if before == 0 {
                    return Ok(false);
                }
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(true)
    }

    /// Read one frame of at most `max` bytes (`max` at most the buffer size); `None` when the
    /// stream ended cleanly between frames. A larger declared length is an error, read no
    /// further.
    pub(crate) async fn read_frame(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        if !self.want(4).await? {
            return Ok(None);
        }
        let b = self.buffered();
        let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("frame of {len} bytes, more than {max}"),
            ));
        }
        self.consume(4);
        if len > 0 && !self.want(len).await? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let out = self.buffered()[..len].to_vec();
        self.consume(len);
        Ok(Some(out))
    }

    /// Write one frame and flush.
    pub(crate) async fn write_frame(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
        let mut out = Vec::with_capacity(4 + bytes.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
        self.stream.write_all(&out).await?;
        self.stream.flush().await
    }
}
