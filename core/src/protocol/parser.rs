//! The server's parser (socket.io's `parser` option): how packets become frames. One
//! server speaks one parser, so a broadcast is still encoded once.

use bytes::Bytes;

use super::{msgpack, Payload};
use crate::engine::Frame;
use crate::text::Text;

/// A packet encoded for the wire: its first frame and, with the JSON parser, the binary
/// attachments that follow it; each cheap to clone and share between recipients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The packet: a text frame such as `42["hello",1]` (JSON parser) or one binary
    /// msgpack frame (msgpack parser).
    pub head: Frame,
    /// JSON parser attachments, sent after `head` in order (always empty with msgpack).
    pub binary: Vec<Bytes>,
}

impl Encoded {
    fn msgpack(bytes: Bytes) -> Self {
        Self {
            head: Frame::Binary(bytes),
            binary: Vec::new(),
        }
    }

    /// The text frame of a JSON-parser packet.
    pub fn text(&self) -> Option<&Text> {
        match self.head.plain() {
            Frame::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Bytes on the wire, attachments included (for the metrics).
    pub fn len(&self) -> usize {
        self.head.len() + self.binary.iter().map(Bytes::len).sum::<usize>()
    }

    /// Whether nothing is sent (never the case for a packet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Packet encoding, chosen per server (`parser` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parser {
    /// socket.io-parser: text packets, binaries as separate attachment frames (default).
    #[default]
    Json,
    /// socket.io-msgpack-parser: one binary msgpack frame per packet, binaries inline.
    Msgpack,
}

impl Parser {
    /// The option value naming it: `"json"` or `"msgpack"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Msgpack => "msgpack",
        }
    }

    /// The parser an option value names.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "json" | "default" => Some(Self::Json),
            "msgpack" => Some(Self::Msgpack),
            _ => None,
        }
    }

    /// An EVENT, with the replay `offset` as its last argument when given (connection
    /// state recovery).
    pub fn encode_event(
        self,
        nsp: &str,
        name: &str,
        args: &Payload,
        ack: Option<u64>,
        offset: Option<&str>,
    ) -> Encoded {
        match self {
            Self::Json => super::encode_event_at(nsp, name, args, ack, offset),
            Self::Msgpack => Encoded::msgpack(msgpack::encode_event(nsp, name, args, ack, offset)),
        }
    }

    /// An ACK answering the client's ack id `id`.
    pub fn encode_ack(self, nsp: &str, id: u64, args: &Payload) -> Encoded {
        match self {
            Self::Json => super::encode_ack(nsp, id, args),
            Self::Msgpack => Encoded::msgpack(msgpack::encode_ack(nsp, id, args)),
        }
    }

    /// The CONNECT reply `{sid, pid?}`.
    pub fn encode_connect(self, nsp: &str, sid: &str, pid: Option<&str>) -> Encoded {
        match self {
            Self::Json => super::encode_connect(nsp, sid, pid),
            Self::Msgpack => Encoded::msgpack(msgpack::encode_connect(nsp, sid, pid)),
        }
    }

    /// CONNECT_ERROR `{message, data?}` (`data` is JSON text).
    pub fn encode_connect_error(self, nsp: &str, message: &str, data: Option<&str>) -> Encoded {
        match self {
            Self::Json => super::encode_connect_error(nsp, message, data),
            Self::Msgpack => Encoded::msgpack(msgpack::encode_connect_error(nsp, message, data)),
        }
    }

    /// DISCONNECT from a namespace.
    pub fn encode_disconnect(self, nsp: &str) -> Encoded {
        match self {
            Self::Json => super::encode_disconnect(nsp),
            Self::Msgpack => Encoded::msgpack(msgpack::encode_disconnect(nsp)),
        }
    }
}
