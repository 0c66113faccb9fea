//! The practical limit for the benchmark: a minimal raw-WebSocket relay that speaks just
//! enough Engine.IO/Socket.IO for the load generator and nothing more.
//!
//! * handshake: every WebSocket gets `0{"sid":…}`; `40` is answered `40{"sid":…}`;
//! * `42<id>["join",room]` joins the room (a map of room → members) and acks `43<id>["ok"]`;
//! * `42<id>["echo",data]` acks `43<id>[data]`;
//! * `42["broadcast",room,data]` sends `42["msg",data]` to the room's other members; the
//!   frame is built once and each member's writer gets a refcounted clone of it.
//!
//! No heartbeat, no polling, no namespaces, no binary, no validation beyond what parsing
//! needs. Port from `PORT` (default 3000), 127.0.0.1 only.

use futures_util::{SinkExt, StreamExt};
use parking_lot::RwLock;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Members = Vec<(u64, UnboundedSender<Utf8Bytes>)>;

#[derive(Default)]
struct Relay {
    rooms: RwLock<HashMap<String, Members>>,
    next_id: AtomicU64,
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!(
        "listening on http://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let relay = Arc::new(Relay::default());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve(tcp, relay.clone()));
    }
}

async fn serve(tcp: TcpStream, relay: Arc<Relay>) {
    tcp.set_nodelay(true).ok();
    // 4 KiB read chunks (as roomcast): tungstenite zero-fills the chunk before each read and
    // keeps it per connection (128 KiB by default).
    // (`RELAY_READ_BUFFER` overrides it, to measure what the chunk costs per connection.)
    let chunk = std::env::var("RELAY_READ_BUFFER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 * 1024);
    let config = WebSocketConfig::default().read_buffer_size(chunk);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let id = relay.next_id.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = unbounded_channel::<Utf8Bytes>();
    // Writer: drains everything queued, then flushes once.
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            if sink.feed(Message::Text(first)).await.is_err() {
                return;
            }
            while let Ok(more) = rx.try_recv() {
                if sink.feed(Message::Text(more)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let sid = format!("r{id:019}");
    let _ = tx.send(Utf8Bytes::from(format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
    )));
    let mut joined: Vec<String> = Vec::new();
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else { continue };
        let t = text.as_str();
        if t == "40" || t.starts_with("40{") {
            let _ = tx.send(Utf8Bytes::from(format!("40{{\"sid\":\"{sid}\"}}")));
            continue;
        }
        let Some(rest) = t.strip_prefix("42") else {
            continue;
        };
        let split = rest.find('[').unwrap_or(rest.len());
        let (ack, array) = rest.split_at(split);
        let Ok(args) = serde_json::from_str::<Vec<&RawValue>>(array) else {
            continue;
        };
        let Some(name) = args
            .first()
            .and_then(|n| serde_json::from_str::<&str>(n.get()).ok())
        else {
            continue;
        };
        match (name, args.len()) {
            ("broadcast", 3) => {
                let Ok(room) = serde_json::from_str::<String>(args[1].get()) else {
                    continue;
                };
                let frame = Utf8Bytes::from(format!("42[\"msg\",{}]", args[2].get()));
                let rooms = relay.rooms.read();
                if let Some(members) = rooms.get(&room) {
                    for (mid, mtx) in members {
                        if *mid != id {
                            let _ = mtx.send(frame.clone());
                        }
                    }
                }
            }
            ("join", 2) if !ack.is_empty() => {
                let Ok(room) = serde_json::from_str::<String>(args[1].get()) else {
                    continue;
                };
                if !joined.contains(&room) {
                    relay
                        .rooms
                        .write()
                        .entry(room.clone())
                        .or_default()
                        .push((id, tx.clone()));
                    joined.push(room);
                }
                let _ = tx.send(Utf8Bytes::from(format!("43{ack}[\"ok\"]")));
            }
            ("echo", 2) if !ack.is_empty() => {
                let _ = tx.send(Utf8Bytes::from(format!("43{ack}[{}]", args[1].get())));
            }
            _ => {}
        }
    }
    {
        let mut rooms = relay.rooms.write();
        for room in joined {
            if let Some(m) = rooms.get_mut(&room) {
                m.retain(|(mid, _)| *mid != id);
                if m.is_empty() {
                    rooms.remove(&room);
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}
