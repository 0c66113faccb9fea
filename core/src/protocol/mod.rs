//! Socket.IO v5 packets: encoding and decoding, pure functions over bytes (no I/O).
//!
//! Wire form: `<type>[<n>-][<nsp>,][<ackId>][<json>]`. Encoders write the whole Engine.IO
//! message text, i.e. with the leading Engine.IO `4`, so that the bytes can go to the
//! transport as they are and be shared by every recipient of a broadcast.

pub(crate) mod msgpack;
mod parser;
mod payload;

pub use msgpack::decode as decode_msgpack;
pub(crate) use msgpack::{json_to_mp, mp_to_json};
pub use parser::{Encoded, Parser};
pub use payload::{placeholder, placeholder_index, Payload};

use crate::engine::Frame;
use crate::text::Text;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::value::RawValue;
use std::fmt;

/// Event names a client may not use (they are the library's own lifecycle events).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Why a packet was refused. Any of these closes the sender's connection in order ("forced
/// close", as socket.io).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The packet type digit is missing or not one of 0..=6.
    UnknownType,
    /// The `<n>-` attachment count is malformed or above the limit.
    BadAttachments,
    /// The JSON payload does not parse.
    BadJson,
    /// The payload has the wrong shape for the packet type.
    BadPayload(&'static str),
    /// The JSON nests deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A binary placeholder points to an attachment that the packet does not have.
    IllegalAttachments,
    /// A binary message is not one msgpack value (msgpack parser).
    BadMsgpack,
}

/// Deepest JSON nesting accepted in a packet: serde_json's own recursion limit, so every
/// argument a host receives can also be parsed by it (deeper packets are refused instead
/// of reaching the host as no arguments).
pub const MAX_DEPTH: usize = 127;

/// The one nesting rule of both parsers: the JSON a packet carries (what a host receives)
/// nests arrays and objects at most [`MAX_DEPTH`] deep. The msgpack parser applies it to
/// the JSON it converted a packet to, so a packet is accepted by one parser exactly when
/// its JSON form would be by the other.
pub(crate) fn check_depth(json: &str) -> Result<(), DecodeError> {
    if depth_within(json, MAX_DEPTH) {
        Ok(())
    } else {
        Err(DecodeError::TooDeep)
    }
}

/// Whether `json` nests arrays and objects at most `max` deep (strings are skipped). It
/// does not recurse, so it can bound a parser that does before that parser runs.
pub(crate) fn depth_within(json: &str, max: usize) -> bool {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for &b in json.as_bytes() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Checks that every binary placeholder of an assembled BINARY_EVENT / BINARY_ACK names
/// an attachment that arrived, as the reference parser does ("illegal attachments").
pub fn check_placeholders(packet: &Packet) -> Result<(), DecodeError> {
    let args = match &packet.body {
        PacketBody::Event { args, .. } | PacketBody::Ack { args, .. } => args,
        _ => return Ok(()),
    };
    if args.attachments.is_empty() {
        return Ok(());
    }
    fn walk(v: &serde_json::Value, n: usize) -> bool {
        use serde_json::Value;
        match v {
            Value::Object(m) if m.contains_key("_placeholder") => {
                placeholder_index(v).is_some_and(|i| i < n)
            }
            Value::Object(m) => m.values().all(|v| walk(v, n)),
            Value::Array(a) => a.iter().all(|v| walk(v, n)),
            _ => true,
        }
    }
    let value: serde_json::Value =
        serde_json::from_str(args.json()).map_err(|_| DecodeError::BadJson)?;
    if walk(&value, args.attachments.len()) {
        Ok(())
    } else {
        Err(DecodeError::IllegalAttachments)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownType => f.write_str("unknown packet type"),
            Self::BadAttachments => f.write_str("invalid attachment count"),
            Self::BadJson => f.write_str("invalid JSON payload"),
            Self::BadPayload(why) => write!(f, "invalid payload: {why}"),
            Self::TooDeep => f.write_str("JSON nested too deeply"),
            Self::IllegalAttachments => f.write_str("illegal attachments"),
            Self::BadMsgpack => f.write_str("invalid msgpack packet"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A packet a client sent, fully assembled (attachments included).
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    /// Namespace, `/` when the packet did not name one.
    pub nsp: String,
    /// What the packet carries.
    pub body: PacketBody,
}

/// The part of a packet that depends on its type.
#[derive(Clone, Debug, PartialEq)]
pub enum PacketBody {
    /// CONNECT, with the client's `auth` object as JSON text when it sent one.
    Connect(Option<String>),
    /// DISCONNECT from the namespace.
    Disconnect,
    /// EVENT or BINARY_EVENT.
    Event {
        /// Event name (a numeric name is kept as its decimal text).
        name: String,
        /// Arguments after the name.
        args: Payload,
        /// Present when the client wants an acknowledgement.
        ack: Option<u64>,
    },
    /// ACK or BINARY_ACK answering one of the server's emits.
    Ack {
        /// The id the server put on its emit.
        id: u64,
        /// The client's reply arguments.
        args: Payload,
    },
}

/// The outcome of decoding a text packet.
#[derive(Debug)]
pub enum Decoded {
    /// Ready to handle.
    Complete(Packet),
    /// A binary packet that waits for its attachments.
    Partial(PartialPacket),
}

/// A BINARY_EVENT / BINARY_ACK whose attachments are still arriving.
#[derive(Debug)]
pub struct PartialPacket {
    packet: Packet,
    expected: usize,
}

impl PartialPacket {
    /// Adds the next attachment; returns the packet once all have arrived.
    pub fn push(mut self, data: Bytes) -> Result<Packet, PartialPacket> {
        let args = match &mut self.packet.body {
            PacketBody::Event { args, .. } | PacketBody::Ack { args, .. } => args,
            _ => unreachable!("only events and acks carry attachments"),
        };
        args.attachments.push(data);
        if args.attachments.len() == self.expected {
            Ok(self.packet)
        } else {
            Err(self)
        }
    }
}

/// Decodes one Socket.IO packet from the text of an Engine.IO message (without the `4`).
pub fn decode(text: &str, max_attachments: usize) -> Result<Decoded, DecodeError> {
    let bytes = text.as_bytes();
    let kind = match bytes.first() {
        Some(c @ b'0'..=b'6') => c - b'0',
        _ => return Err(DecodeError::UnknownType),
    };
    let mut i = 1;

    let mut attachments = 0usize;
    if kind == 5 || kind == 6 {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 4 || bytes.get(i) != Some(&b'-') {
            return Err(DecodeError::BadAttachments);
        }
        attachments = text[start..i]
            .parse()
            .map_err(|_| DecodeError::BadAttachments)?;
        i += 1;
        if attachments == 0 || attachments > max_attachments {
            return Err(DecodeError::BadAttachments);
        }
    }

    let nsp = if bytes.get(i) == Some(&b'/') {
        let end = text[i..].find(',').map_or(bytes.len(), |p| i + p);
        let nsp = text[i..end].to_owned();
        i = if end < bytes.len() { end + 1 } else { end };
        nsp
    } else {
        "/".to_owned()
    };

    let ack = {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            None
        } else {
            Some(
                text[start..i]
                    .parse::<u64>()
                    .map_err(|_| DecodeError::BadPayload("ack id"))?,
            )
        }
    };
    let json = &text[i..];
    check_depth(json)?;

    let body = match kind {
        0 => {
            if ack.is_some() {
                return Err(DecodeError::BadPayload("connect with an ack id"));
            }
            if json.is_empty() {
                PacketBody::Connect(None)
            } else {
                let v: &RawValue = serde_json::from_str(json).map_err(|_| DecodeError::BadJson)?;
                if !v.get().starts_with('{') {
                    return Err(DecodeError::BadPayload("connect payload must be an object"));
                }
                PacketBody::Connect(Some(v.get().to_owned()))
            }
        }
        1 => {
            if !json.is_empty() || ack.is_some() {
                return Err(DecodeError::BadPayload("disconnect carries no payload"));
            }
            PacketBody::Disconnect
        }
        2 | 5 => {
            let (name, args) = split_event(json)?;
            PacketBody::Event {
                name,
                args: Payload::from_validated(args),
                ack,
            }
        }
        3 | 6 => {
            let id = ack.ok_or(DecodeError::BadPayload("ack without id"))?;
            let elems: Vec<&RawValue> = serde_json::from_str(json)
                .map_err(|_| DecodeError::BadPayload("ack needs an array"))?;
            let _ = elems;
            PacketBody::Ack {
                id,
                args: Payload::from_validated(json.trim().to_owned()),
            }
        }
        _ => return Err(DecodeError::BadPayload("clients do not send CONNECT_ERROR")),
    };
    let packet = Packet { nsp, body };
    if attachments > 0 {
        Ok(Decoded::Partial(PartialPacket {
            packet,
            expected: attachments,
        }))
    } else {
        Ok(Decoded::Complete(packet))
    }
}

/// Splits `["name", a, b]` into the name and the text `[a,b]` without re-serializing values.
fn split_event(json: &str) -> Result<(String, String), DecodeError> {
    if !json.starts_with('[') {
        return Err(DecodeError::BadPayload("event needs an array"));
    }
    let elems: Vec<&RawValue> = serde_json::from_str(json).map_err(|_| DecodeError::BadJson)?;
    let first = elems
        .first()
        .ok_or(DecodeError::BadPayload("event needs a name"))?
        .get();
    let name = match first.as_bytes()[0] {
        b'"' => serde_json::from_str::<String>(first).map_err(|_| DecodeError::BadJson)?,
        b'-' | b'0'..=b'9' => first.to_owned(),
        _ => {
            return Err(DecodeError::BadPayload(
                "event name must be a string or number",
            ))
        }
    };
    if RESERVED_EVENTS.contains(&name.as_str()) {
        return Err(DecodeError::BadPayload("reserved event name"));
    }
    let args = match (elems.get(1), elems.last()) {
        (Some(a), Some(b)) => {
            let base = json.as_ptr() as usize;
            let start = a.get().as_ptr() as usize - base;
            let end = b.get().as_ptr() as usize - base + b.get().len();
            let mut s = String::with_capacity(end - start + 2);
            s.push('[');
            s.push_str(&json[start..end]);
            s.push(']');
            s
        }
        _ => "[]".to_owned(),
    };
    Ok((name, args))
}

/// Freezes an encoder's buffer as text.
fn text_of(buf: BytesMut) -> Text {
    // SAFETY: every encoder writes only ASCII, `str` bytes and serde_json output (all
    // UTF-8), and whole values at a time, so the buffer is valid UTF-8.
    unsafe { Text::from_utf8_unchecked(buf.freeze()) }
}

fn header(buf: &mut BytesMut, kind: u8, attachments: usize, nsp: &str, ack: Option<u64>) {
    buf.put_u8(b'4');
    buf.put_u8(b'0' + kind);
    if attachments > 0 {
        let mut b = itoa_buf();
        buf.put_slice(fmt_u64(&mut b, attachments as u64));
        buf.put_u8(b'-');
    }
    if nsp != "/" {
        buf.put_slice(nsp.as_bytes());
        buf.put_u8(b',');
    }
    if let Some(id) = ack {
        let mut b = itoa_buf();
        buf.put_slice(fmt_u64(&mut b, id));
    }
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

fn fmt_u64(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Writes `s` as a JSON string literal.
fn put_json_str(buf: &mut BytesMut, s: &str) {
    // serde_json's escaping matches JSON.stringify for every string it can meet here.
    let mut w = buf.writer();
    serde_json::to_writer(&mut w, s).expect("writing to memory cannot fail");
}

/// Encodes an EVENT (or BINARY_EVENT when `args` has attachments).
#[cfg(test)]
pub fn encode_event(nsp: &str, name: &str, args: &Payload, ack: Option<u64>) -> Encoded {
    encode_event_at(nsp, name, args, ack, None)
}

/// Encodes an EVENT whose last argument is the replay `offset` (connection state recovery:
/// the client remembers the last string argument of each event as its position). The
/// offset belongs to the broadcast, not to a recipient, so the packet is still encoded once.
pub fn encode_event_at(
    nsp: &str,
    name: &str,
    args: &Payload,
    ack: Option<u64>,
    offset: Option<&str>,
) -> Encoded {
    let n = args.attachments.len();
    let json = args.json();
    let extra = offset.map_or(0, |o| o.len() + 3);
    let mut buf = BytesMut::with_capacity(8 + nsp.len() + name.len() + json.len() + extra);
    header(&mut buf, if n > 0 { 5 } else { 2 }, n, nsp, ack);
    buf.put_u8(b'[');
    put_json_str(&mut buf, name);
    let inner = &json[1..json.len() - 1];
    if !inner.trim().is_empty() {
        buf.put_u8(b',');
        buf.put_slice(inner.as_bytes());
    }
    if let Some(o) = offset {
        buf.put_u8(b',');
        put_json_str(&mut buf, o);
    }
    buf.put_u8(b']');
    Encoded {
        head: Frame::Text(text_of(buf)),
        binary: args.attachments.clone(),
    }
}

/// Encodes an ACK (or BINARY_ACK) answering the client's ack id `id`.
pub fn encode_ack(nsp: &str, id: u64, args: &Payload) -> Encoded {
    let n = args.attachments.len();
    let mut buf = BytesMut::with_capacity(24 + nsp.len() + args.json().len());
    header(&mut buf, if n > 0 { 6 } else { 3 }, n, nsp, Some(id));
    buf.put_slice(args.json().as_bytes());
    Encoded {
        head: Frame::Text(text_of(buf)),
        binary: args.attachments.clone(),
    }
}

/// Encodes the CONNECT reply `{"sid":"..."}`, or `{"sid":"...","pid":"..."}` when
/// connection state recovery gave the socket a private session id.
pub fn encode_connect(nsp: &str, sid: &str, pid: Option<&str>) -> Encoded {
    let mut buf = BytesMut::with_capacity(40 + nsp.len() + sid.len());
    header(&mut buf, 0, 0, nsp, None);
    buf.put_slice(b"{\"sid\":");
    put_json_str(&mut buf, sid);
    if let Some(pid) = pid {
        buf.put_slice(b",\"pid\":");
        put_json_str(&mut buf, pid);
    }
    buf.put_u8(b'}');
    Encoded {
        head: Frame::Text(text_of(buf)),
        binary: Vec::new(),
    }
}

/// Encodes CONNECT_ERROR `{"message":…,"data":…}`; `data` is JSON text and omitted when `None`.
pub fn encode_connect_error(nsp: &str, message: &str, data: Option<&str>) -> Encoded {
    let mut buf = BytesMut::with_capacity(32 + nsp.len() + message.len());
    header(&mut buf, 4, 0, nsp, None);
    buf.put_slice(b"{\"message\":");
    put_json_str(&mut buf, message);
    if let Some(d) = data {
        buf.put_slice(b",\"data\":");
        buf.put_slice(d.as_bytes());
    }
    buf.put_u8(b'}');
    Encoded {
        head: Frame::Text(text_of(buf)),
        binary: Vec::new(),
    }
}

/// Encodes DISCONNECT for a namespace.
pub fn encode_disconnect(nsp: &str) -> Encoded {
    let mut buf = BytesMut::with_capacity(4 + nsp.len());
    header(&mut buf, 1, 0, nsp, None);
    Encoded {
        head: Frame::Text(text_of(buf)),
        binary: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
