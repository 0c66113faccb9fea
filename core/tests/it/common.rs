//! The shared fixture of the core's integration tests: a server on a free loopback port
//! and a raw Engine.IO/Socket.IO client over a real WebSocket (tokio-tungstenite).
#![allow(dead_code)] // each test file uses its own subset

use futures_util::{SinkExt, StreamExt};
use roomcast::host::{Event, Server};
use roomcast::Config;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// socket.io's defaults on a free loopback port.
pub fn config() -> Config {
    Config {
        bind: ([127, 0, 0, 1], 0).into(),
        ..Config::default()
    }
}

/// The next text frame (binary frames skipped); fails after a generous bound.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("frame in time")
        {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

/// Opens an Engine.IO session over WebSocket (the open packet is checked and skipped).
pub async fn open(server: &Server) -> Ws {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        server.local_addr()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert!(next_text(&mut ws).await.starts_with("0{\"sid\":"));
    ws
}

/// Sends one text frame.
pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Opens a session and joins namespace `/` (CONNECT answered at once).
pub async fn connect(server: &Server) -> Ws {
    let mut ws = open(server).await;
    send(&mut ws, "40").await;
    assert!(next_text(&mut ws).await.starts_with("40{\"sid\":"));
    ws
}

/// The next event; fails after a generous bound.
pub fn recv(events: &roomcast::Events) -> Event {
    events
        .recv_timeout(Duration::from_secs(5))
        .expect("event in time")
}

/// A runtime for the test's clients (the server runs on its own).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One Engine.IO polling request (raw HTTP/1.1) on a fresh connection; returns (status, body).
pub async fn poll_http(server: &Server, method: &str, query: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let req = format!(
        "{method} /socket.io/?EIO=4&transport=polling{query} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}
