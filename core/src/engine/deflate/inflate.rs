//! The inbound half of permessage-deflate: [`InflateIo`], the socket as tungstenite reads
//! it. Without the extension it passes bytes through untouched. With it, it follows the
//! client's frames: a message whose first frame has RSV1 set (and its continuation frames)
//! is inflated and handed on as one plain, final frame (masked with a zero key, which
//! leaves the payload as it is); every other frame, control frames between fragments
//! included, goes through as it came, so tungstenite still checks everything else (RSV1
//! on a control or continuation frame, unmasked frames, reserved bits and opcodes).
//!
//! Limits: the compressed bytes of a message and what they inflate to are each capped at
//! the message size limit; past it the read fails with [`DeflateError::TooBig`] (close
//! 1009), before anything more is allocated. Data that is not valid deflate fails with
//! [`DeflateError::Corrupt`] (close 1007).

use bytes::{Bytes, BytesMut};
use flate2::{Decompress, FlushDecompress, Status};
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::TAIL;

/// Why a compressed message was refused; carried inside the read's `io::Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeflateError {
    /// The message (compressed, or once inflated) is larger than the limit.
    TooBig,
    /// The payload is not valid deflate data.
    Corrupt,
    /// A new message began before the compressed one ended.
    Protocol,
}

impl DeflateError {
    /// The close status the connection ends with, as the `ws` library sends them.
    pub(crate) fn close_code(self) -> CloseCode {
        match self {
            Self::TooBig => CloseCode::Size,
            Self::Corrupt => CloseCode::Invalid,
            Self::Protocol => CloseCode::Protocol,
        }
    }

    /// The error found inside a read error, if it is one of ours.
    pub(crate) fn of(e: &io::Error) -> Option<Self> {
        e.get_ref()?.downcast_ref::<Self>().copied()
    }
}

impl std::fmt::Display for DeflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooBig => "compressed message too big",
            Self::Corrupt => "invalid compressed data",
            Self::Protocol => "message interleaved with a compressed one",
        })
    }
}

impl std::error::Error for DeflateError {}

/// The socket under tungstenite; inflates compressed messages when deflate was negotiated.
pub(crate) struct InflateIo<S> {
    inner: S,
    state: Option<Box<Inflater>>,
}

impl<S> InflateIo<S> {
    /// `max`: the message size limit; `None`: no extension (bytes pass through).
    pub(crate) fn new(inner: S, deflate: Option<usize>) -> Self {
        Self {
            inner,
            state: deflate.map(|max| Box::new(Inflater::new(max))),
        }
    }

    /// The socket underneath (what is left unread in the inflater is dropped).
    pub(crate) fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for InflateIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = &mut *self;
        let Some(state) = me.state.as_mut() else {
            return Pin::new(&mut me.inner).poll_read(cx, buf);
        };
        loop {
            if state.read_out(buf) {
                return Poll::Ready(Ok(()));
            }
            if let Some(e) = state.failed {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
            }
            let mut raw = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut raw);
            ready!(Pin::new(&mut me.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(())); // end of stream: tungstenite sees it as such
            }
            state.feed(rb.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for InflateIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Where the reader is in the client's frame stream.
enum Part {
    /// Reading a frame header (`have` bytes of it so far).
    Header,
    /// Passing `left` payload bytes through as they are.
    Pass { left: u64 },
    /// Inflating `left` payload bytes of a compressed message's frame.
    Inflate {
        left: u64,
        mask: [u8; 4],
        at: usize,
        fin: bool,
    },
}

/// A compressed message being read.
struct Compressed {
    opcode: u8,
    z: Box<Decompress>,
    data: Vec<u8>,
    /// Compressed bytes so far.
    taken: u64,
    /// The deflate stream ended (a final block): later bytes are ignored.
    ended: bool,
}

/// The frame follower (see the module docs).
pub(crate) struct Inflater {
    max: usize,
    part: Part,
    header: [u8; 14],
    have: usize,
    message: Option<Compressed>,
    /// Bytes ready for tungstenite, in order.
    out: VecDeque<Bytes>,
    failed: Option<DeflateError>,
}

impl Inflater {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            part: Part::Header,
            header: [0; 14],
            have: 0,
            message: None,
            out: VecDeque::new(),
            failed: None,
        }
    }

    /// Copies ready bytes into `buf`; false when there were none.
    fn read_out(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let mut copied = false;
        while buf.remaining() > 0 {
            let Some(front) = self.out.front_mut() else {
                break;
            };
            let n = front.len().min(buf.remaining());
            buf.put_slice(&front.split_to(n));
            copied = true;
            if front.is_empty() {
                self.out.pop_front();
            }
        }
        copied
    }

    /// Takes bytes read from the socket.
    pub(crate) fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() && self.failed.is_none() {
            let step = match self.part {
                Part::Header => self.header_byte(input),
                Part::Pass { left } => {
                    let n = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.out.push_back(Bytes::copy_from_slice(&input[..n]));
                    self.part = if left == n as u64 {
                        Part::Header
                    } else {
                        Part::Pass {
                            left: left - n as u64,
                        }
                    };
                    Ok(n)
                }
                Part::Inflate { .. } => self.payload(input),
            };
            match step {
                Ok(n) => input = &input[n..],
                Err(e) => {
                    self.failed = Some(e);
                    self.message = None;
                }
            }
        }
    }

    /// Takes header bytes; once the header is whole, decides what the frame is.
    fn header_byte(&mut self, input: &[u8]) -> Result<usize, DeflateError> {
        let need = header_len(&self.header[..self.have]);
        let n = input.len().min(need - self.have);
        self.header[self.have..self.have + n].copy_from_slice(&input[..n]);
        self.have += n;
        if self.have < header_len(&self.header[..self.have]) {
            return Ok(n);
        }
        let h = &self.header[..self.have];
        let (b0, b1) = (h[0], h[1]);
        let len = payload_len(h);
        let (fin, rsv1, other_rsv, opcode, masked) = (
            b0 & 0x80 != 0,
            b0 & 0x40 != 0,
            b0 & 0x30 != 0,
            b0 & 0x0f,
            b1 & 0x80 != 0,
        );
        let data = opcode == 1 || opcode == 2;
        let starts = data && rsv1 && self.message.is_none();
        let continues = opcode == 0 && !rsv1 && self.message.is_some();
        if data && self.message.is_some() {
            return Err(DeflateError::Protocol);
        }
        if masked && !other_rsv && (starts || continues) {
            let m = self.message.get_or_insert_with(|| Compressed {
                opcode,
                z: Box::new(Decompress::new(false)),
                data: Vec::new(),
                taken: 0,
                ended: false,
            });
            m.taken += len;
            if m.taken > self.max as u64 {
                return Err(DeflateError::TooBig);
            }
            let mut mask = [0; 4];
            mask.copy_from_slice(&h[h.len() - 4..]);
            self.part = Part::Inflate {
                left: len,
                mask,
                at: 0,
                fin,
            };
        } else {
            // Not ours: tungstenite reads it (and refuses what is not allowed).
            self.out.push_back(Bytes::copy_from_slice(h));
            self.part = Part::Pass { left: len };
        }
        self.have = 0;
        if len == 0 {
            self.frame_done()?;
        }
        Ok(n)
    }

    /// Unmasks and inflates payload bytes of a compressed message's frame.
    fn payload(&mut self, input: &[u8]) -> Result<usize, DeflateError> {
        let Part::Inflate {
            left,
            mask,
            at,
            fin,
        } = &mut self.part
        else {
            unreachable!("payload() runs in the inflate part");
        };
        let n = input
            .len()
            .min(usize::try_from(*left).unwrap_or(usize::MAX));
        let mut chunk = [0u8; 8192];
        let n = n.min(chunk.len());
        for (i, (c, b)) in chunk.iter_mut().zip(&input[..n]).enumerate() {
            *c = b ^ mask[(*at + i) % 4];
        }
        *at += n;
        *left -= n as u64;
        let (done, _fin) = (*left == 0, *fin);
        let message = self.message.as_mut().expect("a compressed message is open");
        inflate(message, &chunk[..n], self.max, FlushDecompress::None)?;
        if done {
            self.frame_done()?;
        }
        Ok(n)
    }

    /// A frame's payload is all read: back to headers; the last frame of a compressed
    /// message finishes it and hands the inflated message on.
    fn frame_done(&mut self) -> Result<(), DeflateError> {
        let fin = match std::mem::replace(&mut self.part, Part::Header) {
            Part::Inflate { fin, .. } => fin,
            _ => return Ok(()),
        };
        if !fin {
            return Ok(());
        }
        let mut m = self.message.take().expect("a compressed message is open");
        inflate(&mut m, &TAIL, self.max, FlushDecompress::Sync)?;
        self.out.push_back(plain_header(m.opcode, m.data.len()));
        self.out.push_back(Bytes::from(m.data));
        Ok(())
    }
}

/// Inflates `input` into the message, failing past `max` bytes of output.
fn inflate(
    m: &mut Compressed,
    mut input: &[u8],
    max: usize,
    flush: FlushDecompress,
) -> Result<(), DeflateError> {
    while !m.ended {
        if m.data.len() == m.data.capacity() {
            // Grow by doubling, never past one byte over the limit (that byte tells).
            let room = (max + 1).saturating_sub(m.data.len());
            if room == 0 {
                return Err(DeflateError::TooBig);
            }
            m.data.reserve_exact(room.min(m.data.len().max(4096)));
        }
        let (in0, out0) = (m.z.total_in(), m.z.total_out());
        let status =
            m.z.decompress_vec(input, &mut m.data, flush)
                .map_err(|_| DeflateError::Corrupt)?;
        if m.data.len() > max {
            return Err(DeflateError::TooBig);
        }
        let used = (m.z.total_in() - in0) as usize;
        input = &input[used..];
        if status == Status::StreamEnd {
            m.ended = true;
            // The stream is over; what is left (the tail we added) does not matter.
            break;
        }
        let produced = m.z.total_out() - out0;
        let room_left = m.data.len() < m.data.capacity();
        if room_left && (input.is_empty() || (used == 0 && produced == 0)) {
            break;
        }
    }
    Ok(())
}

/// The length of a frame header whose first bytes are `h` (as far as they tell).
fn header_len(h: &[u8]) -> usize {
    if h.len() < 2 {
        return 2;
    }
    let ext = match h[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if h[1] & 0x80 != 0 { 4 } else { 0 };
    2 + ext + mask
}

/// The payload length of a whole header.
fn payload_len(h: &[u8]) -> u64 {
    match h[1] & 0x7f {
        126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
        127 => u64::from_be_bytes(h[2..10].try_into().expect("8 bytes")),
        n => u64::from(n),
    }
}

/// The header of a final, uncompressed frame of `len` bytes, masked with a zero key (a
/// server reads masked frames only; a zero key leaves the payload as it is).
fn plain_header(opcode: u8, len: usize) -> Bytes {
    let mut h = BytesMut::with_capacity(14);
    h.extend_from_slice(&[0x80 | opcode]);
    match len {
        0..=125 => h.extend_from_slice(&[0x80 | len as u8]),
        126..=0xffff => {
            h.extend_from_slice(&[0x80 | 126]);
            h.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            h.extend_from_slice(&[0x80 | 127]);
            h.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    h.extend_from_slice(&[0; 4]);
    h.freeze()
}
