//! Entry points for the `cargo fuzz` targets in `fuzz/`. Not part of the API: they only
//! feed arbitrary bytes to the decoders a client can reach, so the fuzzers need no access
//! to crate internals.

use bytes::Bytes;

/// An Engine.IO text packet, as a WebSocket text frame carries it.
pub fn engine_packet(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::engine::decode_text(text);
    }
}

/// A long-polling POST body (`\x1e`-separated packets, binary as `b`+base64).
pub fn polling_payload(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::engine::decode_payload(text);
    }
}

/// A Socket.IO packet followed by its binary attachments. The input is split on `0x00`:
/// the first part is the packet text, every later part one attachment (so the fuzzer can
/// send too many, too few, or attachments where none are expected).
pub fn socketio_packet(data: &[u8]) {
    let mut parts = data.split(|&b| b == 0);
    let Some(Ok(text)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let Ok(decoded) = crate::protocol::decode(text, 10) else {
        return;
    };
    let mut partial = match decoded {
        crate::protocol::Decoded::Complete(p) => {
            let _ = crate::protocol::check_placeholders(&p);
            return;
        }
        crate::protocol::Decoded::Partial(p) => p,
    };
    for part in parts {
        match partial.push(Bytes::copy_from_slice(part)) {
            Ok(packet) => {
                let _ = crate::protocol::check_placeholders(&packet);
                return;
            }
            Err(p) => partial = p,
        }
    }
}

/// The handshake request: the query string and headers the engine and the Socket.IO
/// layer read. The input is `query\nname: value\n…`.
pub fn handshake(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let query = lines.next().unwrap_or("");
    let mut req = hyper::Request::builder().method("GET");
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            req = req.header(k.trim(), v.trim());
        }
    }
    let uri = format!("/socket.io/?{query}");
    let Ok(req) = req.uri(uri.as_str()).body(()) else {
        return;
    };
    let remote = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
    crate::engine::fuzz_handshake(&req, remote);
}

/// A binary WebSocket message under the msgpack parser (`socket.io-msgpack-parser`): one
/// msgpack map `{type, nsp, data?, id?}`. The arguments of an event or ack that the decoder
/// accepts must parse as the host will parse them, and the packet encoded again as the
/// server would relay it must decode too.
pub fn msgpack_packet(data: &[u8]) {
    use crate::protocol::{msgpack, PacketBody};
    let Ok(packet) = crate::protocol::decode_msgpack(data, 10) else {
        return;
    };
    if crate::protocol::check_placeholders(&packet).is_err() {
        return;
    }
    let again = match &packet.body {
        PacketBody::Event { name, args, ack } => {
            msgpack::encode_event(&packet.nsp, name, args, *ack, None)
        }
        PacketBody::Ack { id, args } => msgpack::encode_ack(&packet.nsp, *id, args),
        _ => return,
    };
    let (PacketBody::Event { args, .. } | PacketBody::Ack { args, .. }) = &packet.body else {
        return;
    };
    if let Err(e) = serde_json::from_str::<Vec<serde_json::Value>>(args.json()) {
        panic!("accepted arguments that a host cannot parse: {e}");
    }
    if let Err(e) = crate::protocol::decode_msgpack(&again, 10) {
        panic!("a packet re-encoded as the server relays it does not decode: {e}");
    }
}
