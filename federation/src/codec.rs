//! The request-response codec: `protocol::wire` frames, each preceded by its length as a 4-byte
//! big-endian integer. The length is checked against the configured limit *before* anything is
//! read into memory, and decoding is the protocol crate's strict, bounded decoder: a peer's bytes
//! can make a request fail, never the node.

use std::io;

use futures::prelude::*;
use libp2p::request_response::Codec;
use libp2p::StreamProtocol;
use protocol::wire::{self, Request, Response};

/// The request-response protocol name.
pub const WIRE_PROTOCOL: StreamProtocol = StreamProtocol::new("/neurofed/wire/1");

/// Length-prefixed `protocol::wire` frames with explicit size limits.
#[derive(Debug, Clone, Copy)]
pub struct WireCodec {
    /// Largest request frame read.
    pub max_request: usize,
    /// Largest response frame read.
    pub max_response: usize,
}

impl Default for WireCodec {
    fn default() -> Self {
        WireCodec {
            max_request: wire::MAX_REQUEST_BYTES,
            max_response: wire::MAX_RESPONSE_BYTES,
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(invalid(format!("frame of {len} bytes, the limit is {max}")));
    }
    // Grows as bytes arrive: a declared length alone allocates nothing.
    let mut buf = Vec::new();
    io.take(len as u64).read_to_end(&mut buf).await?;
    if buf.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("frame cut short: {} of {len} bytes", buf.len()),
        ));
    }
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    bytes: &[u8],
    max: usize,
) -> io::Result<()> {
    if bytes.len() > max {
        return Err(invalid(format!(
            "refusing to send a frame of {} bytes, the limit is {max}",
            bytes.len()
        )));
    }
    let len = u32::try_from(bytes.len()).map_err(invalid)?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(bytes).await?;
    io.flush().await?;
    io.close().await
}

impl Codec for WireCodec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_frame(io, self.max_request).await?;
        wire::decode_request(&bytes).map_err(invalid)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_frame(io, self.max_response).await?;
        wire::decode_response(&bytes).map_err(invalid)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let bytes = wire::encode_request(&req).map_err(invalid)?;
        write_frame(io, &bytes, self.max_request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let bytes = wire::encode_response(&res).map_err(invalid)?;
        write_frame(io, &bytes, self.max_response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;
    use protocol::wire::{PushAck, WireError};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn round_trip_and_limits() {
        let mut c = WireCodec::default();
        let resp = Response::Push(PushAck {
            applied: true,
            reason: None,
        });
        let mut out = Cursor::new(Vec::new());
        block_on(c.write_response(&WIRE_PROTOCOL, &mut out, resp.clone())).unwrap();
        let bytes = out.into_inner();
        let mut input = Cursor::new(bytes.clone());
        let back = block_on(c.read_response(&WIRE_PROTOCOL, &mut input)).unwrap();
        assert_eq!(back, resp);

        // A declared length over the limit is refused before reading the body.
        let mut small = WireCodec {
            max_request: 8,
            max_response: 8,
        };
        let mut input = Cursor::new(bytes.clone());
        let err = block_on(small.read_response(&WIRE_PROTOCOL, &mut input)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");

        // Cut short.
        let mut input = Cursor::new(bytes[..bytes.len() - 1].to_vec());
        let err = block_on(c.read_response(&WIRE_PROTOCOL, &mut input)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");

        // Garbage with a plausible length: a decode error, not a panic.
        let mut garbage = 5u32.to_be_bytes().to_vec();
        garbage.extend_from_slice(&[0xff, 0x00, 0x13, 0x37, 0x42]);
        let mut input = Cursor::new(garbage);
        let err = block_on(c.read_request(&WIRE_PROTOCOL, &mut input)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");

        // Sending over the limit is refused too.
        let err = block_on(small.write_response(
            &WIRE_PROTOCOL,
            &mut Cursor::new(Vec::new()),
            Response::Error(WireError {
                id: None,
                code: "internal".into(),
                message: "a message longer than eight bytes".into(),
            }),
        ))
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
