//! A content stream's framing: CBOR messages (`protocol::wire` frames) behind a 4-byte
//! big-endian length, and bulk bytes read through one bounded buffer.

use std::io;

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest read buffer of a connection: one read from the transport.
pub(crate) const READ_BUFFER: usize = 256 * 1024;

/// The read buffer a connection starts with; it doubles (up to [`READ_BUFFER`]) only as bytes
/// arrive, so a peer that opens streams and sends nothing, or only a length, costs little.
const FIRST_BUFFER: usize = 4 * 1024;

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
            buf: vec![0u8; FIRST_BUFFER],
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
            if self.start == 0 && self.buf.len() < READ_BUFFER {
                // Full of what was received: grow.
                let n = (self.buf.len() * 2).min(READ_BUFFER);
                self.buf.resize(n, 0);
            } else {
                // Keep the unconsumed tail (less than one frame header or message).
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        self.read_total += n as u64;
        Ok(n)
    }

    /// Ensure `n` bytes are buffered (`n` at most [`READ_BUFFER`]; the buffer grows as they
    /// arrive). `Ok(false)` when the stream ended cleanly before any byte of them.
    async fn want(&mut self, n: usize) -> io::Result<bool> {
        if n > READ_BUFFER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "frame too large",
            ));
        }
        if self.buf.len() - self.start < n && self.start > 0 {
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

    /// Read one frame of at most `max` bytes (`max` at most [`READ_BUFFER`]); `None` when the
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_read_buffer_grows_only_as_bytes_arrive() {
        let payload = vec![7u8; 60 * 1024];
        let mut bytes = (payload.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(&payload);
        let mut conn = Conn::new(futures::io::Cursor::new(bytes));
        assert_eq!(conn.buf.len(), FIRST_BUFFER);
        let frame = conn.read_frame(64 * 1024).await.unwrap().unwrap();
        assert_eq!(frame, payload);
        assert!(conn.buf.len() < READ_BUFFER, "{}", conn.buf.len());
        // A length announcing 64 KiB and nothing after it: the buffer stays small.
        let announce = (64u32 * 1024).to_be_bytes().to_vec();
        let mut conn = Conn::new(futures::io::Cursor::new(announce));
        assert!(conn.read_frame(64 * 1024).await.is_err());
        assert_eq!(conn.buf.len(), FIRST_BUFFER);
    }
}
