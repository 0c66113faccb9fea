//! The benchmark app on socketioxide (see `bench/README.md`), written as its documentation
//! shows: a `SocketIo` layer on an axum router, async handlers, extractors.
//!
//! * `join` (room) + ack → joins, acks `"ok"`;
//! * `echo` (data) + ack → acks `data`;
//! * `broadcast` (room, data) → `msg` (data) to the room except the sender (`socket.to(room)`).
//!
//! Port from `PORT` (default 3000), 127.0.0.1, path `/socket.io/`, library defaults otherwise.
//! One deviation: TCP_NODELAY is set on accepted sockets (axum's `ListenerExt::tap_io`, as
//! its docs show), as roomcast, the raw relay and Node do; without it Nagle plus delayed ACKs
//! add ~40 ms stalls to the small frames of this benchmark. Note that socketioxide spawns a task per incoming event,
//! so per-socket order is the order its runtime runs those tasks (the load generator
//! counts any reordering it sees).

use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let (layer, io) = SocketIo::new_layer();
    io.ns("/", async |s: SocketRef| {
        s.on(
            "join",
            async |s: SocketRef, Data::<String>(room), ack: AckSender| {
                s.join(room);
                ack.send("ok").ok();
            },
        );
        s.on("echo", async |Data::<Value>(data), ack: AckSender| {
            ack.send(&data).ok();
        });
        s.on(
            "broadcast",
            async |s: SocketRef, Data::<(String, Value)>((room, data))| {
                s.to(room).emit("msg", &data).await.ok();
            },
        );
    });
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "listening on http://localhost:{}",
        listener.local_addr()?.port()
    );
    let listener = listener.tap_io(|tcp| {
        tcp.set_nodelay(true).ok();
    });
    axum::serve(listener, app).await?;
    Ok(())
}
