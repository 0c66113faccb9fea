//! WebSocket permessage-deflate (RFC 7692), opt-in (socket.io's `perMessageDeflate`).
//!
//! Why hand-written: tungstenite (every crates.io release up to 0.30) negotiates no
//! extension and fails any frame with RSV1 set, and the crates that do speak deflate
//! (`yawc`, `ratchet_rs`, `tokio-websockets` without it, `fastwebsockets` without it) would
//! replace the whole WebSocket layer under both of our frame pumps. So tungstenite keeps
//! doing the protocol, and deflate is two small pieces around it:
//! - outbound, a compressible message is a [`Deflatable`]: its compressed payload is made
//!   at most once (the first recipient that negotiated deflate makes it, the others share
//!   the bytes) and goes out as a raw tungstenite frame with RSV1 set;
//! - inbound, [`InflateIo`] sits under tungstenite and turns each compressed message into
//!   the plain frame tungstenite expects (see `inflate`).
//!
//! Memory per connection stays bounded: the server always answers with
//! `server_no_context_takeover` and `client_no_context_takeover`, so no compressor or
//! inflater state outlives a message. Compression uses one reusable compressor per worker
//! thread; an inflater (about 40 KiB) lives only while one compressed message is read, and
//! what it inflates is capped at `max_payload`.

mod inflate;
mod negotiate;

pub(crate) use inflate::{DeflateError, InflateIo};
pub(crate) use negotiate::negotiate;

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use super::Frame;

/// The per-message-deflate settings of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Messages shorter than this many bytes go uncompressed (socket.io / `ws`: 1024).
    pub threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self { threshold: 1024 }
    }
}

/// zlib's default level, what `ws` (socket.io's WebSocket server) uses.
const LEVEL: u32 = 6;

/// The tail every sync-flushed deflate block ends with, left off on the wire (RFC 7692
/// 7.2.1) and put back before inflating.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// A text or binary message that goes compressed to connections that negotiated
/// permessage-deflate and as it is to the others. Cheap to clone: a broadcast shares one
/// between its recipients, so the message is compressed at most once.
#[derive(Clone, Debug)]
pub struct Deflatable(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    frame: Frame,
    /// The compressed payload, once a recipient needed it; `None` when compressing does
    /// not make it smaller (then it goes uncompressed to everyone).
    deflated: OnceLock<Option<Bytes>>,
}

impl PartialEq for Deflatable {
    fn eq(&self, other: &Self) -> bool {
        self.0.frame == other.0.frame
    }
}

impl Eq for Deflatable {}

impl Deflatable {
    /// Marks a text or binary frame compressible (a frame that already is stays as it is).
    pub fn wrap(frame: Frame) -> Frame {
        match frame {
            Frame::Deflatable(_) => frame,
            plain => Frame::Deflatable(Self(Arc::new(Inner {
                frame: plain,
                deflated: OnceLock::new(),
            }))),
        }
    }

    /// The uncompressed frame (text or binary).
    pub fn frame(&self) -> &Frame {
        &self.0.frame
    }

    /// The compressed payload (without the RFC 7692 tail), made on the first call.
    /// `None` when it would not be smaller than the message.
    pub fn deflated(&self) -> Option<&Bytes> {
        self.0
            .deflated
            .get_or_init(|| {
                let plain = self.0.frame.payload();
                let z = compress(plain);
                (z.len() < plain.len()).then_some(z)
            })
            .as_ref()
    }
}

thread_local! {
    /// One compressor per thread, reset for each message (no context takeover): its
    /// ~270 KiB of zlib state is paid per worker thread, not per connection.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
}

/// Compresses one message on its own (no context from earlier ones), as RFC 7692 puts it
/// on the wire: raw deflate, sync-flushed, without the trailing `00 00 ff ff`.
pub fn compress(data: &[u8]) -> Bytes {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
            let status = c
                .compress_vec(
                    &data[consumed.min(data.len())..],
                    &mut out,
                    FlushCompress::Sync,
                )
                .expect("deflate of an in-memory buffer cannot fail");
            let done = c.total_in() as usize == data.len() && out.len() < out.capacity();
            if done || status == Status::StreamEnd {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        Bytes::from(out)
    })
}

#[cfg(test)]
mod tests;
