//! Engine.IO v4 packets and the long-polling payload format.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::Frame;

/// One decoded Engine.IO packet from a client.
#[derive(Debug, PartialEq, Eq)]
pub enum EioPacket<'a> {
    /// `0` (never valid from a client).
    Open,
    /// `1`.
    Close,
    /// `2` (a protocol error in v4, except `2probe` during an upgrade).
    Ping,
    /// `3`.
    Pong,
    /// `4…` text message.
    Message(&'a str),
    /// A binary message.
    Binary(Bytes),
    /// `5`.
    Upgrade,
    /// `6`.
    Noop,
}

/// Decodes a text packet (`<type digit><payload>`); `None` when it is not one.
pub fn decode_text(text: &str) -> Option<EioPacket<'_>> {
    let (&t, rest) = text.as_bytes().split_first()?;
    let rest_ok = rest.is_empty();
    Some(match t {
        b'0' => EioPacket::Open,
        b'1' if rest_ok => EioPacket::Close,
        b'2' => EioPacket::Ping,
        b'3' if rest_ok || &text[1..] == "probe" => EioPacket::Pong,
        b'4' => EioPacket::Message(&text[1..]),
        b'5' if rest_ok => EioPacket::Upgrade,
        b'6' if rest_ok => EioPacket::Noop,
        _ => return None,
    })
}

/// Splits a polling POST body into packets; `None` when any part is malformed.
pub fn decode_payload(body: &str) -> Option<Vec<EioPacket<'_>>> {
    body.split('\u{1e}')
        .map(|part| {
            if let Some(b64) = part.strip_prefix('b') {
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .map(|v| EioPacket::Binary(Bytes::from(v)))
            } else {
                decode_text(part)
            }
        })
        .collect()
}

/// Joins frames into one polling response body (`\x1e`-separated, binary as `b`+base64).
pub fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Bytes {
    let mut buf = BytesMut::new();
    for (i, f) in frames.into_iter().enumerate() {
        if i > 0 {
            buf.put_u8(0x1e);
        }
        match f.plain() {
            Frame::Text(t) => buf.put_slice(t.as_bytes()),
            Frame::Binary(_) | Frame::Deflatable(_) => {
                let b = f.payload();
                buf.put_u8(b'b');
                let start = buf.len();
                let n = base64::encoded_len(b.len(), true).expect("attachment size fits in memory");
                buf.resize(start + n, 0);
                base64::engine::general_purpose::STANDARD
                    .encode_slice(b, &mut buf[start..])
                    .expect("buffer sized by encoded_len");
            }
        }
    }
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_with_binary() {
        let frames = [
            Frame::Text(crate::text::Text::from_static("4hello")),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ];
        let body = encode_payload(&frames);
        assert_eq!(&body[..], b"4hello\x1ebAQIDBA==");
        let decoded = decode_payload(std::str::from_utf8(&body).unwrap()).unwrap();
        assert_eq!(
            decoded,
            vec![
                EioPacket::Message("hello"),
                EioPacket::Binary(Bytes::from_static(&[1, 2, 3, 4]))
            ]
        );
    }

    #[test]
    fn malformed_payloads_are_refused() {
        assert!(decode_payload("abc").is_none());
        assert!(decode_payload("").is_none());
        assert!(decode_payload("4a\x1e").is_none());
        assert!(decode_payload("b!!!").is_none());
        assert!(decode_text("1x").is_none());
        assert_eq!(decode_text("3probe"), Some(EioPacket::Pong));
        assert_eq!(decode_text("2probe"), Some(EioPacket::Ping));
    }
}
