//! One Socket.IO client over a raw WebSocket: Engine.IO handshake, namespace CONNECT, and the
//! few packets the bench app uses, written and parsed by hand to keep the generator cheap.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A connected client.
pub type Ws = WebSocketStream<TcpStream>;

/// How long any single setup step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the WebSocket, waits for the Engine.IO `open` packet, sends CONNECT for `/` and
/// waits for the server's CONNECT reply (`40{"sid":…}`).
pub async fn connect(host: &str, port: u16, url: &str) -> Result<Ws, String> {
    let tcp = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect((host, port)))
        .await
        .map_err(|_| "tcp connect timed out".to_string())?
        .map_err(|e| format!("tcp connect: {e}"))?;
    tcp.set_nodelay(true).ok();
    // A small read chunk: tungstenite zero-fills the whole chunk before every read, and the
    // default 128 KiB made that memset the generator's main cost (45 % in perf).
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (mut ws, _) = tokio::time::timeout(
        STEP_TIMEOUT,
        tokio_tungstenite::client_async_with_config(url, tcp, Some(config)),
    )
    .await
    .map_err(|_| "websocket handshake timed out".to_string())?
    .map_err(|e| format!("websocket handshake: {e}"))?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with('0') {
        return Err(format!("expected an open packet, got {open:?}"));
    }
    ws.send(Message::text("40"))
        .await
        .map_err(|e| format!("send CONNECT: {e}"))?;
    loop {
        let t = next_text(&mut ws).await?;
        if t.starts_with("40") {
            return Ok(ws);
        }
        if t.starts_with("44") {
            return Err(format!("CONNECT refused: {t}"));
        }
        if t == "2" {
            ws.send(Message::text("3"))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}

/// Emits `join` (room) with ack id 0 and waits for the ack.
pub async fn join(ws: &mut Ws, room: &str) -> Result<(), String> {
    ws.send(Message::text(format!(
        "420[\"join\",{}]",
        serde_json::Value::from(room)
    )))
    .await
    .map_err(|e| format!("send join: {e}"))?;
    loop {
        let t = next_text(ws).await?;
        if t.starts_with("430[") {
            return Ok(());
        }
        if t == "2" {
            ws.send(Message::text("3"))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}

/// The next text frame (binary frames and WebSocket control frames are skipped).
pub async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        let m = tokio::time::timeout(STEP_TIMEOUT, ws.next())
            .await
            .map_err(|_| "timed out waiting for the server".to_string())?
            .ok_or_else(|| "connection closed".to_string())?
            .map_err(|e| format!("read: {e}"))?;
        if let Message::Text(t) = m {
            return Ok(t.as_str().to_owned());
        }
        if let Message::Close(c) = m {
            return Err(format!("closed by server: {c:?}"));
        }
    }
}

/// The unsigned integer after `key` (e.g. `"t":`) in `s`.
#[inline]
pub fn field(s: &[u8], key: &[u8]) -> Option<u64> {
    let at = memfind(s, key)? + key.len();
    digits(&s[at..])
}

/// The unsigned integer at the start of `s`.
#[inline]
pub fn digits(s: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    let mut any = false;
    for &c in s {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as u64);
        any = true;
    }
    any.then_some(n)
}

fn memfind(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// A data object of about `size` bytes: the given numeric fields plus a padding string.
pub fn data_object(fields: &[(&str, u64)], size: usize) -> String {
    let mut s = String::with_capacity(size + 16);
    s.push('{');
    for (k, v) in fields {
        s.push_str(&format!("\"{k}\":{v},"));
    }
    s.push_str("\"p\":\"");
    let pad = size.saturating_sub(s.len() + 2);
    s.extend(std::iter::repeat_n('x', pad));
    s.push_str("\"}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_sizes() {
        let d = data_object(&[("t", 123), ("s", 0), ("q", 42)], 100);
        assert_eq!(d.len(), 100);
        let v: serde_json::Value = serde_json::from_str(&d).unwrap();
        assert_eq!(v["q"], 42);
        let frame = format!("42[\"msg\",{d}]");
        assert_eq!(field(frame.as_bytes(), b"\"t\":"), Some(123));
        assert_eq!(field(frame.as_bytes(), b"\"q\":"), Some(42));
        assert_eq!(digits(b"17[\"ok\"]"), Some(17));
    }
}
