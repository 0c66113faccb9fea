//! permessage-deflate: the handshake, compress → inflate round trips through the real
//! tungstenite reader, fragmentation, control frames, and the refusals (RSV1 where it
//! does not belong, zip bombs, corrupt data) with the close codes they lead to.

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::negotiate::negotiate;
use super::{compress, Deflatable, InflateIo, TAIL};
use crate::engine::websocket::close_code;
use crate::engine::Frame;
use crate::text::Text;

const AGREED: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

#[test]
fn the_offers_of_ws_and_browsers_are_accepted_with_no_context_takeover() {
    // Node's `ws` (socket.io-client) and Chromium both send this.
    assert_eq!(
        negotiate(["permessage-deflate; client_max_window_bits"]),
        Some(AGREED)
    );
    assert_eq!(negotiate(["permessage-deflate"]), Some(AGREED));
    assert_eq!(
        negotiate(["permessage-deflate; server_no_context_takeover; client_max_window_bits=10"]),
        Some(AGREED)
    );
    assert_eq!(
        negotiate(["permessage-deflate; server_max_window_bits=\"15\""]),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15")
    );
}

#[test]
fn offers_the_server_cannot_honour_are_declined_and_the_next_one_taken() {
    // A smaller server window cannot be honoured (one compressed copy per broadcast).
    assert_eq!(
        negotiate(["permessage-deflate; server_max_window_bits=10, permessage-deflate"]),
        Some(AGREED)
    );
    assert_eq!(
        negotiate(["permessage-deflate; server_max_window_bits=10"]),
        None
    );
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; client_max_window_bits; client_max_window_bits",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=08",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_no_context_takeover=1",
        "x-webkit-deflate-frame",
        "",
    ] {
        assert_eq!(negotiate([bad]), None, "{bad}");
    }
    // Several header lines are one list.
    assert_eq!(negotiate(["foo", "permessage-deflate"]), Some(AGREED));
}

fn inflate_raw(z: &[u8]) -> Vec<u8> {
    let mut d = Decompress::new(false);
    let mut input = z.to_vec();
    input.extend_from_slice(&TAIL);
    let mut out = Vec::with_capacity(1 << 20);
    d.decompress_vec(&input, &mut out, FlushDecompress::Sync)
        .unwrap();
    out
}

#[test]
fn compress_makes_rfc_7692_payloads_each_on_its_own() {
    for data in [
        b"".to_vec(),
        b"4hello".to_vec(),
        "42[\"chat\",\"roomcast \"]".repeat(500).into_bytes(),
        (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect(),
    ] {
        let z = compress(&data);
        assert!(!z.ends_with(&TAIL), "the tail is left off");
        assert_eq!(inflate_raw(&z), data);
    }
    // No context between messages: the same message compresses to the same bytes.
    let m = "roomcast ".repeat(300);
    assert_eq!(compress(m.as_bytes()), compress(m.as_bytes()));
}

#[test]
fn a_deflatable_is_compressed_once_and_not_when_it_would_grow() {
    let text = Text::from("42[\"big\",\"".to_owned() + &"abc".repeat(1000) + "\"]");
    let Frame::Deflatable(d) = Deflatable::wrap(Frame::Text(text.clone())) else {
        panic!("wrapped");
    };
    let copy = d.clone();
    let a = d.deflated().expect("text compresses").as_ptr();
    let b = copy.deflated().unwrap().as_ptr();
    assert_eq!(a, b, "the recipients share one compressed copy");
    assert_eq!(d.frame(), &Frame::Text(text));
    // Random bytes do not shrink: they go uncompressed.
    let mut x = 0x2545_f491_u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let Frame::Deflatable(n) = Deflatable::wrap(Frame::Binary(Bytes::from(noise))) else {
        panic!("wrapped");
    };
    assert_eq!(n.deflated(), None);
}

/// A client frame: masked, with the given first-byte bits.
fn frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![(u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode];
    let len = payload.len();
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= 0xffff {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A server reading through [`InflateIo`] with a `max`-byte limit, and the client's end.
async fn server(max: usize) -> (WebSocketStream<InflateIo<DuplexStream>>, DuplexStream) {
    let (client, server) = tokio::io::duplex(1 << 20);
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    let ws = WebSocketStream::from_raw_socket(
        InflateIo::new(server, Some(max)),
        Role::Server,
        Some(config),
    )
    .await;
    (ws, client)
}

async fn next(ws: &mut WebSocketStream<InflateIo<DuplexStream>>) -> Result<Message, WsError> {
    tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
        .await
        .expect("a message or an error in time")
        .expect("the stream is open")
}

#[tokio::test]
async fn compressed_and_plain_messages_arrive_as_sent() {
    let (mut ws, mut client) = server(1 << 20).await;
    let big = "42[\"chat\",\"".to_owned() + &"hello roomcast ".repeat(2000) + "\"]";
    let bin: Vec<u8> = (0..50_000u32).map(|i| (i % 13) as u8).collect();
    client
        .write_all(&frame(true, true, 1, &compress(big.as_bytes())))
        .await
        .unwrap();
    client
        .write_all(&frame(true, false, 1, b"4small"))
        .await
        .unwrap();
    client
        .write_all(&frame(true, true, 2, &compress(&bin)))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), Message::text(big));
    assert_eq!(next(&mut ws).await.unwrap(), Message::text("4small"));
    assert_eq!(next(&mut ws).await.unwrap(), Message::binary(bin));
}

#[tokio::test]
async fn a_fragmented_compressed_message_with_a_ping_between_its_frames() {
    let (mut ws, mut client) = server(1 << 20).await;
    let text = "roomcast fragments ".repeat(3000);
    let z = compress(text.as_bytes());
    let (a, rest) = z.split_at(z.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let mut wire = frame(false, true, 1, a);
    wire.extend(frame(false, false, 0, b));
    // Control frames are never compressed and may come between fragments.
    wire.extend(frame(true, false, 9, b"are you there"));
    wire.extend(frame(true, false, 0, c));
    // Written a few bytes at a time: headers split across reads too.
    for chunk in wire.chunks(7) {
        client.write_all(chunk).await.unwrap();
    }
    assert_eq!(
        next(&mut ws).await.unwrap(),
        Message::Ping(Bytes::from_static(b"are you there"))
    );
    assert_eq!(next(&mut ws).await.unwrap(), Message::text(text));
}

#[tokio::test]
async fn a_message_made_with_a_context_free_zlib_stream_ending_in_a_final_block() {
    // Some clients end each message's stream with a final block instead of a sync flush.
    let (mut ws, mut client) = server(1 << 20).await;
    let text = "final block ".repeat(200);
    let mut c = Compress::new(Compression::fast(), false);
    let mut z = Vec::with_capacity(4096);
    c.compress_vec(text.as_bytes(), &mut z, FlushCompress::Finish)
        .unwrap();
    client.write_all(&frame(true, true, 1, &z)).await.unwrap();
    client
        .write_all(&frame(true, false, 1, b"after"))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), Message::text(text));
    assert_eq!(next(&mut ws).await.unwrap(), Message::text("after"));
}

async fn refused(wire: Vec<u8>, max: usize) -> Option<CloseCode> {
    let (mut ws, mut client) = server(max).await;
    client.write_all(&wire).await.unwrap();
    let err = next(&mut ws).await.expect_err("refused");
    close_code(&err)
}

#[tokio::test]
async fn rsv1_on_a_continuation_or_control_frame_is_a_protocol_error() {
    let z = compress("x".repeat(5000).as_bytes());
    let mut wire = frame(false, true, 1, &z[..10]);
    wire.extend(frame(true, true, 0, &z[10..]));
    assert_eq!(refused(wire, 1 << 20).await, Some(CloseCode::Protocol));
    let ping = frame(true, true, 9, b"");
    assert_eq!(refused(ping, 1 << 20).await, Some(CloseCode::Protocol));
    // A new message before the compressed one ended.
    let mut wire = frame(false, true, 1, &z[..10]);
    wire.extend(frame(true, false, 1, b"4hi"));
    assert_eq!(refused(wire, 1 << 20).await, Some(CloseCode::Protocol));
}

#[tokio::test]
async fn a_zip_bomb_is_refused_with_1009_without_inflating_it_all() {
    // 16 MiB of zeros is about 16 KiB compressed; the limit is 1 MB.
    let zeros = vec![0u8; 16 << 20];
    let z = compress(&zeros);
    assert!(z.len() < 1 << 20);
    assert_eq!(
        refused(frame(true, true, 2, &z), 1_000_000).await,
        Some(CloseCode::Size)
    );
    // Compressed bytes past the limit are refused too, whatever they inflate to.
    let z = compress(&vec![7u8; 4000]);
    assert_eq!(
        refused(frame(true, true, 2, &z), 10).await,
        Some(CloseCode::Size)
    );
}

#[tokio::test]
async fn corrupt_deflate_data_is_refused_with_1007() {
    let wire = frame(true, true, 1, &[0xff, 0xff, 0xff, 0xff, 0x00, 0x12]);
    assert_eq!(refused(wire, 1 << 20).await, Some(CloseCode::Invalid));
}

#[tokio::test]
async fn without_the_extension_bytes_pass_through_and_rsv1_is_refused() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let mut ws =
        WebSocketStream::from_raw_socket(InflateIo::new(server, None), Role::Server, None).await;
    let mut client = client;
    client
        .write_all(&frame(true, false, 1, b"4plain"))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await.unwrap(), Message::text("4plain"));
    client
        .write_all(&frame(true, true, 1, &compress(b"4zipped")))
        .await
        .unwrap();
    let err = next(&mut ws).await.unwrap_err();
    assert_eq!(close_code(&err), Some(CloseCode::Protocol));
}

#[tokio::test]
async fn the_writer_sends_deflatable_frames_compressed_with_rsv1() {
    use futures_util::SinkExt;
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let ws =
        WebSocketStream::from_raw_socket(InflateIo::new(server, Some(1 << 20)), Role::Server, None)
            .await;
    let (mut sink, _stream) = ws.split();
    let text = "42[\"news\",\"".to_owned() + &"deflate me ".repeat(400) + "\"]";
    let frame = Deflatable::wrap(Frame::Text(Text::from(text.clone())));
    sink.send(crate::engine::websocket::to_ws(frame.clone(), true))
        .await
        .unwrap();
    sink.send(crate::engine::websocket::to_ws(frame, false))
        .await
        .unwrap();
    let (b0, z) = read_frame(&mut client).await;
    assert_eq!(b0, 0x80 | 0x40 | 1, "FIN, RSV1, text");
    assert!(z.len() < text.len() / 10);
    assert_eq!(inflate_raw(&z), text.as_bytes());
    // The same frame to a connection without the extension: plain text.
    let (b0, plain) = read_frame(&mut client).await;
    assert_eq!(b0, 0x80 | 1, "FIN, text, no RSV1");
    assert_eq!(plain, text.as_bytes());
}

/// One unmasked server frame: its first byte and payload.
async fn read_frame(r: &mut DuplexStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    r.read_exact(&mut head).await.unwrap();
    assert_eq!(head[1] & 0x80, 0, "server frames are unmasked");
    let len = match head[1] {
        126 => {
            let mut l = [0u8; 2];
            r.read_exact(&mut l).await.unwrap();
            usize::from(u16::from_be_bytes(l))
        }
        127 => panic!("no frame here is that big"),
        n => usize::from(n),
    };
    let mut payload = vec![0; len];
    r.read_exact(&mut payload).await.unwrap();
    (head[0], payload)
}
