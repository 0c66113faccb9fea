//! A cluster node for the mixed-cluster tests (tests/cluster): a roomcast server that joins
//! the Redis cluster at `REDIS_URL` (key `REDIS_KEY`, default `socket.io`) and lets a client
//! drive every cluster-wide operation by emitting `ctl` (dispatch table in [`ctl`]).
//!
//! Environment: `PORT` (0 picks a free port; the first stdout line is
//! `listening on http://127.0.0.1:<port>`), `REDIS_URL`, `REDIS_KEY`, `REQUEST_TIMEOUT` (ms),
//! `RECOVERY_MS` (connection state recovery on, with that window), `REDIS_STREAMS=1` (the
//! Redis Streams adapter instead of the classic one), `REDIS_SHARDED` (the sharded adapter
//! with that `subscriptionMode`: `dynamic`, `dynamic-private`, `static`).
//! Every new (not recovered) socket joins `room1` and gets `socket.data = {"user": "u<port>"}`; a server-side
//! emit from another node is answered with `pong-<port>` and kept for the `sse-log` op.
//! Logs (Redis outages, reconnects) go to stderr; `RUST_LOG` filters them.

use roomcast::adapter::redis::{RedisConfig, SubscriptionMode};
use roomcast::host::{AckHandle, Event, Server};
use roomcast::{BroadcastOptions, Config, NamespaceRule, Payload, RecoveryConfig};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn rooms(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `{to: [...], except: [...], volatile, local}` as broadcast options.
fn target(p: &Value) -> BroadcastOptions {
    let mut o = BroadcastOptions::all();
    for r in rooms(p, "to") {
        o = o.to(&r);
    }
    for r in rooms(p, "except") {
        o = o.except(&r);
    }
    o.volatile = p.get("volatile").and_then(Value::as_bool).unwrap_or(false);
    o.local = p.get("local").and_then(Value::as_bool).unwrap_or(false);
    o
}

/// Arguments after the first two of `ctl` (binaries kept as attachments).
fn rest(args: &Payload) -> Payload {
    let values = args.to_values();
    let tail: Vec<Value> = values.into_iter().skip(2).collect();
    Payload::from_values(&tail).with_attachments(args.attachments.clone())
}

fn answer(server: &Server, ack: Option<AckHandle>, v: Value) {
    if let Some(a) = ack {
        let _ = server.ack(a, &Payload::single(&v));
    }
}

fn reply_json(r: &roomcast::host::AckReply) -> Value {
    r.args.to_values().into_iter().next().unwrap_or(Value::Null)
}

/// `ctl(op, params, ...args, ack)`.
fn ctl(
    server: &Server,
    nsp: &str,
    args: Payload,
    ack: Option<AckHandle>,
    sse: &Arc<Mutex<Vec<Value>>>,
) {
    let values = args.to_values();
    let op = values
        .first()
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let p = values.get(1).cloned().unwrap_or(Value::Null);
    let event = p
        .get("event")
        .and_then(Value::as_str)
        .unwrap_or("evt")
        .to_owned();
    let to = target(&p);
    let nsp = p
        .get("nsp")
        .and_then(Value::as_str)
        .unwrap_or(nsp)
        .to_owned();
    let rs = rooms(&p, "rooms");
    let rs: Vec<&str> = rs.iter().map(String::as_str).collect();
    let ok = |r: Result<(), roomcast::host::Error>| match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => json!({"error": e.to_string()}),
    };
    match op.as_str() {
        "emit" => {
            let n = server.emit(&nsp, &to, &event, &rest(&args));
            answer(server, ack, json!({"local": n.ok()}));
        }
        "emitWithAck" => {
            let timeout =
                Duration::from_millis(p.get("timeout").and_then(Value::as_u64).unwrap_or(2000));
            let s = server.clone();
            let r = server.emit_with_ack_callback(
                &nsp,
                &to,
                &event,
                &rest(&args),
                timeout,
                move |res| {
                    let mut replies: Vec<Value> = res.replies.iter().map(reply_json).collect();
                    replies.sort_by_key(|v| v.to_string());
                    answer(
                        &s,
                        ack,
                        json!({"timedOut": res.timed_out, "replies": replies}),
                    );
                },
            );
            if let Err(e) = r {
                eprintln!("emitWithAck: {e}");
            }
        }
        "socketsJoin" => answer(server, ack, ok(server.sockets_join(&nsp, &to, &rs))),
        "socketsLeave" => answer(server, ack, ok(server.sockets_leave(&nsp, &to, &rs))),
        "disconnectSockets" => {
            let close = p.get("close").and_then(Value::as_bool).unwrap_or(false);
            answer(server, ack, ok(server.disconnect_sockets(&nsp, &to, close)))
        }
        "serverSideEmit" => answer(
            server,
            ack,
            ok(server.server_side_emit(&nsp, &event, &rest(&args))),
        ),
        "sse-log" => answer(server, ack, Value::Array(sse.lock().unwrap().clone())),
        "stats" => {
            let s = server.cluster_stats().unwrap_or_default();
            answer(
                server,
                ack,
                json!({"published": s.published, "publishErrors": s.publish_errors,
                "received": s.received, "dropped": s.dropped, "reconnects": s.reconnects,
                "subscribed": s.subscribed}),
            )
        }
        _ => {
            // The requests that wait on other nodes run on the server's runtime.
            let s = server.clone();
            let timeout =
                Duration::from_millis(p.get("timeout").and_then(Value::as_u64).unwrap_or(2000));
            let payload = rest(&args);
            server.runtime().spawn(async move {
                let v = match op.as_str() {
                    "fetchSockets" => s.fetch_sockets(&nsp, &to).await.map(|r| {
                        let mut list: Vec<Value> = r.value.iter().map(|x| json!({"id": x.id, "handshake": x.handshake, "rooms": x.rooms, "data": x.data})).collect();
                        list.sort_by_key(|v| v["id"].to_string());
                        json!({"sockets": list, "complete": r.complete, "answered": r.answered})
                    }),
                    "allRooms" => s.all_rooms(&nsp).await.map(|r| json!({"rooms": r.value, "complete": r.complete})),
                    "serverCount" => s.server_count(&nsp).await.map(|n| json!({"count": n})),
                    "serverSideEmitWithAck" => s.server_side_emit_with_ack(&nsp, &event, &payload, timeout).await.map(|r| {
                        let mut replies: Vec<Value> = r.value.iter().map(|a| a.to_values().into_iter().next().unwrap_or(Value::Null)).collect();
                        replies.sort_by_key(|v| v.to_string());
                        json!({"replies": replies, "complete": r.complete})
                    }),
                    other => Ok(json!({"error": format!("unknown op {other}")})),
                };
                answer(&s, ack, v.unwrap_or_else(|e| json!({"error": e.to_string()})));
            });
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let mut config = Config {
        bind: ([127, 0, 0, 1], port).into(),
        namespaces: vec![NamespaceRule::exact("/"), NamespaceRule::exact("/chat")],
        ..Config::default()
    };
    if let Ok(url) = std::env::var("REDIS_URL") {
        let mut rc = RedisConfig::new(url)
            .key(std::env::var("REDIS_KEY").unwrap_or_else(|_| "socket.io".into()));
        if let Some(ms) = std::env::var("REQUEST_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            rc.request_timeout = Duration::from_millis(ms);
        }
        // REDIS_STREAMS=1: the @socket.io/redis-streams-adapter format instead of classic.
        rc.streams = std::env::var("REDIS_STREAMS").is_ok_and(|v| v == "1");
        if let Ok(mode) = std::env::var("REDIS_SHARDED") {
            match SubscriptionMode::parse(&mode) {
                Some(m) => rc.sharded = Some(m),
                None => {
                    eprintln!("REDIS_SHARDED: unknown subscription mode {mode:?}");
                    std::process::exit(2);
                }
            }
        }
        config.redis = Some(rc);
    }
    if let Some(ms) = std::env::var("RECOVERY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.connection_state_recovery = Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(ms),
            ..RecoveryConfig::default()
        });
    }
    let (server, events) = match Server::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::exit(2);
        }
    };
    let port = server.local_addr().port();
    println!("listening on http://127.0.0.1:{port}");
    std::io::stdout().flush().ok();
    let sse: Arc<Mutex<Vec<Value>>> = Arc::default();
    while let Some(event) = events.recv() {
        match event {
            // A recovered socket has its rooms and data back (from whichever node).
            Event::Connection {
                nsp,
                sid,
                recovered: false,
                ..
            } => {
                let _ = server.join(&nsp, sid.as_str(), &["room1"]);
                let _ = server.set_data(
                    &nsp,
                    sid.as_str(),
                    &json!({"user": format!("u{port}")}).to_string(),
                );
            }
            Event::Message {
                nsp,
                event,
                args,
                ack,
                ..
            } => match event.as_str() {
                "ctl" => ctl(&server, &nsp, args, ack, &sse),
                "echo" => answer(
                    &server,
                    ack,
                    args.to_values().into_iter().next().unwrap_or(Value::Null),
                ),
                _ => {}
            },
            Event::ServerSideEmit {
                nsp,
                event,
                args,
                ack,
            } => {
                sse.lock()
                    .unwrap()
                    .push(json!({"nsp": &*nsp, "event": event, "args": args.to_values()}));
                if let Some(a) = ack {
                    let _ =
                        server.server_side_ack(a, &Payload::single(&json!(format!("pong-{port}"))));
                }
            }
            _ => {}
        }
    }
}
