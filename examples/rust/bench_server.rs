//! The benchmark app (issue 6) on the roomcast host API:
//!
//! * `join` (room) + ack → the socket joins `room`, ack `"ok"`;
//! * `echo` (data) + ack → ack with `data` unchanged;
//! * `broadcast` (room, data) → `msg` (data) to every socket in `room` except the sender.
//!
//! Port from `PORT` (default 3000), 127.0.0.1, path `/socket.io/`, defaults otherwise.
//! `HOLD_CONNECT=1` runs in connect-hold mode (each CONNECT released once its `Connection`
//! event is taken, as the Python and Node bindings do), to measure what the mode costs.
//! Events are taken from the one ordered [`roomcast::Events`] stream by a single task, so
//! the per-socket order of `msg` is the order the `broadcast` events were processed. Arguments
//! stay JSON text: the data is sliced out of the argument array, never re-serialized.
//!
//! Run: `cargo run --release --example bench-server` (or `PORT=0` to pick a free port).
//! `RECOVERY_MS` turns connection state recovery on with that window (for
//! `scripts/bench-recovery.sh`: every `msg` is then stored for replay and carries an offset).
//! `REDIS_URL` joins a cluster in `@socket.io/redis-adapter`'s format (key `REDIS_KEY`,
//! default `socket.io`), for the cluster scenario of `scripts/bench-cluster.sh`.
//! `METRICS_PATH` turns metrics on and serves them there (for `scripts/bench-metrics.sh`).
//! `PER_MESSAGE_DEFLATE=<threshold>` turns permessage-deflate on with that threshold in bytes
//! (for `scripts/bench-deflate.sh`).

use roomcast::host::{Event, Events, RedisConfig, Server};
use roomcast::{BroadcastOptions, Config, Payload, RecoveryConfig};
use serde_json::value::RawValue;
use std::io::Write;

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let recovery = std::env::var("RECOVERY_MS")
        .ok()
        .and_then(|v| v.parse().ok());
    let config = Config {
        bind: ([127, 0, 0, 1], port).into(),
        connection_state_recovery: recovery.map(|ms| RecoveryConfig {
            max_disconnection_duration: std::time::Duration::from_millis(ms),
            ..RecoveryConfig::default()
        }),
        hold_connect: std::env::var("HOLD_CONNECT").as_deref() == Ok("1"),
        redis: std::env::var("REDIS_URL").ok().map(|url| {
            RedisConfig::new(url)
                .key(std::env::var("REDIS_KEY").unwrap_or_else(|_| "socket.io".into()))
        }),
        metrics_path: std::env::var("METRICS_PATH").ok(),
        per_message_deflate: std::env::var("PER_MESSAGE_DEFLATE")
            .ok()
            .and_then(|t| t.parse().ok())
            .map(|threshold| roomcast::DeflateConfig { threshold }),
        ..Config::default()
    };
    let (server, events) = Server::start(config).expect("cannot start the server");
    println!(
        "listening on http://localhost:{}",
        server.local_addr().port()
    );
    std::io::stdout().flush().ok();
    // The events are consumed by one task on the server's own runtime (`recv_async`): one
    // consumer keeps the stream's order, and staying on the runtime's workers avoids a
    // thread switch (futex wake-up plus context switch) per event, which on a small machine
    // cost more than the relay itself (perf: ~40 % in finish_task_switch with a plain thread).
    // `BENCH_CONSUMER=thread` takes them on this thread instead (for comparison).
    if std::env::var("BENCH_CONSUMER").as_deref() == Ok("thread") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(relay(server, events));
    } else {
        let consumer = server.runtime().spawn(relay(server.clone(), events));
        let _ = server.runtime().block_on(consumer);
    }
}

/// Takes every event in order and answers `join`, `echo` and `broadcast`.
async fn relay(server: Server, events: Events) {
    let ok = Payload::from_json(r#"["ok"]"#).expect("valid JSON");
    while let Some(event) = events.recv_async().await {
        if let Event::Connection { nsp, sid, .. } = &event {
            // Only held in connect-hold mode; otherwise this does nothing.
            let _ = server.release(nsp, sid.as_str());
            continue;
        }
        let Event::Message {
            nsp,
            sid,
            event,
            args,
            ack,
        } = event
        else {
            continue;
        };
        match (event.as_str(), ack) {
            ("broadcast", _) => {
                let Ok(parts) = serde_json::from_str::<Vec<&RawValue>>(args.json()) else {
                    continue;
                };
                let [room, data] = parts.as_slice() else {
                    continue;
                };
                let Ok(room) = serde_json::from_str::<&str>(room.get()) else {
                    continue;
                };
                let Ok(msg) = Payload::from_json(&format!("[{}]", data.get())) else {
                    continue;
                };
                let to = BroadcastOptions::all().to(room).except(sid.as_str());
                let _ = server.emit(&nsp, &to, "msg", &msg);
            }
            ("echo", Some(ack)) => {
                let _ = server.ack(ack, &args);
            }
            ("join", Some(ack)) => {
                if let Some(room) = args
                    .to_values()
                    .first()
                    .and_then(|r| r.as_str().map(str::to_owned))
                {
                    let _ = server.join(&nsp, sid.as_str(), &[&room]);
                }
                let _ = server.ack(ack, &ok);
            }
            _ => {}
        }
    }
}
