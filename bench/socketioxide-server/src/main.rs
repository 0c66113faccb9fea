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

//!
//! With `REDIS_URL` set, the node joins a cluster through `socketioxide-redis` (its own
//! protocol, the crate's documented setup with the `redis` driver, RESP3), for the cluster
//! scenario of `scripts/bench-cluster.sh`.

use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::{SocketIo, SocketIoBuilder};
use socketioxide_redis::{RedisAdapter, RedisAdapterCtr};

async fn on_connect<A: Adapter>(s: SocketRef<A>) {
    s.on(
        "join",
        async |s: SocketRef<A>, Data::<String>(room), ack: AckSender<A>| {
            s.join(room);
            ack.send("ok").ok();
        },
    );
    s.on("echo", async |Data::<Value>(data), ack: AckSender<A>| {
        ack.send(&data).ok();
    });
    s.on(
        "broadcast",
        async |s: SocketRef<A>, Data::<(String, Value)>((room, data))| {
            s.to(room).emit("msg", &data).await.ok();
        },
    );
}

async fn serve<A: Adapter>(
    layer: socketioxide::layer::SocketIoLayer<A>,
    port: u16,
) -> Result<(), Box<dyn std::error::Error>> {
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    match std::env::var("REDIS_URL") {
        Ok(url) => {
            // RESP3, as the crate's docs require for its drivers.
            let sep = if url.contains('?') { '&' } else { '?' };
            let client = redis::Client::open(format!("{url}{sep}protocol=resp3"))?;
            let adapter = RedisAdapterCtr::new_with_redis(&client).await?;
            let (layer, io): (_, SocketIo<RedisAdapter<_>>) = SocketIoBuilder::new()
                .with_adapter::<RedisAdapter<_>>(adapter)
                .build_layer();
            io.ns("/", on_connect).await?;
            serve(layer, port).await
        }
        Err(_) => {
            let (layer, io) = SocketIo::new_layer();
            io.ns("/", on_connect);
            serve(layer, port).await
        }
    }
}
