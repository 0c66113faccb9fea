//! The end-to-end test server: every host API feature, reachable from a client by emitting
//! events (see the dispatch table in [`handle`]). Used by `tests/node` and `tests/python`.
//!
//! Environment: `PORT` (0 picks a free port; the first stdout line is always
//! `listening on http://127.0.0.1:<port>`), `PING_INTERVAL`, `PING_TIMEOUT`,
//! `CONNECT_TIMEOUT` (ms), `MAX_PAYLOAD` (bytes), `CORS_ORIGIN` (an origin or `*`);
//! `RECOVERY_MS` turns connection state recovery on with that window,
//! `RECOVERY_SKIP_MIDDLEWARES=0` runs `/admin`'s middleware on recovered sockets too and
//! `RECOVERY_MAX_PACKETS` bounds the replay buffer; `PER_MESSAGE_DEFLATE=<threshold>` turns
//! permessage-deflate on with that threshold (bytes); `MAX_PENDING_EVENTS`,
//! `MAX_PENDING_BYTES` and `MAX_PENDING_EVENTS_TOTAL` bound the host's event queue per
//! connection and server-wide.
//!
//! Namespaces: `/`, `/admin` (middleware: only `auth.token == "secret"` gets in, others get
//! CONNECT_ERROR `unauthorized` with data `{"code":401}`) and any `/dyn-*`.

use roomcast::host::{AckHandle, AckResult, Event, Server};
use roomcast::{
    AllowedOrigins, BroadcastOptions, Config, Cors, NamespaceRule, Payload, RecoveryConfig,
};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Disconnects seen so far as `{sid, nsp, reason}`, most recent last (capped).
type DisconnectLog = Arc<Mutex<Vec<Value>>>;

/// How many `slow` events the host has handled so far.
static SLOW_HANDLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn config() -> Config {
    let mut c = Config {
        bind: ([127, 0, 0, 1], env_num("PORT").unwrap_or(3000) as u16).into(),
        namespaces: vec![
            NamespaceRule::exact("/"),
            NamespaceRule::exact("/admin").with_middleware(),
            NamespaceRule::glob("/dyn-*"),
        ],
        ..Config::default()
    };
    let ms = Duration::from_millis;
    if let Some(v) = env_num("PING_INTERVAL") {
        c.ping_interval = ms(v)
    }
    if let Some(v) = env_num("PING_TIMEOUT") {
        c.ping_timeout = ms(v)
    }
    if let Some(v) = env_num("CONNECT_TIMEOUT") {
        c.connect_timeout = ms(v)
    }
    if let Some(v) = env_num("MAX_PAYLOAD") {
        c.max_payload = v as usize
    }
    if let Some(v) = env_num("RECOVERY_MS") {
        let mut r = RecoveryConfig {
            max_disconnection_duration: ms(v),
            skip_middlewares: env_num("RECOVERY_SKIP_MIDDLEWARES") != Some(0),
            ..RecoveryConfig::default()
        };
        if let Some(n) = env_num("RECOVERY_MAX_PACKETS") {
            r.max_packets = n as usize;
        }
        c.connection_state_recovery = Some(r);
    }
    if let Some(v) = env_num("HEADER_TIMEOUT") {
        c.header_timeout = ms(v)
    }
    if let Some(v) = env_num("BODY_TIMEOUT") {
        c.body_timeout = ms(v)
    }
    if let Some(v) = env_num("WRITE_TIMEOUT") {
        c.write_timeout = ms(v)
    }
    if let Some(v) = env_num("MAX_BUFFERED_BYTES") {
        c.max_buffered_bytes = v as usize
    }
    if let Some(v) = env_num("MAX_CONNECTIONS_PER_IP") {
        c.max_connections_per_ip = v as usize
    }
    if let Some(v) = env_num("HANDSHAKES_PER_SEC_PER_IP") {
        c.handshakes_per_sec_per_ip = v as u32
    }
    if let Some(v) = env_num("MAX_NAME_LENGTH") {
        c.max_name_length = v as usize
    }
    if let Some(v) = env_num("MAX_ROOMS_PER_SOCKET") {
        c.max_rooms_per_socket = v as usize
    }
    c.cleanup_empty_child_namespaces = env_num("CLEANUP_EMPTY_CHILD_NAMESPACES") == Some(1);
    if let Ok(dir) = std::env::var("STATIC_DIR") {
        c.static_dir = Some(dir.into());
    }
    if let Some(v) = env_num("MAX_PENDING_EVENTS") {
        c.max_pending_events = v as usize
    }
    if let Some(v) = env_num("MAX_PENDING_BYTES") {
        c.max_pending_bytes = v as usize
    }
    if let Some(v) = env_num("MAX_PENDING_EVENTS_TOTAL") {
        c.max_pending_events_total = v as usize
    }
    if let Some(threshold) = env_num("PER_MESSAGE_DEFLATE") {
        c.per_message_deflate = Some(roomcast::DeflateConfig {
            threshold: threshold as usize,
        });
    }
    if let Ok(p) = std::env::var("PARSER") {
        c.parser = roomcast::config::Parser::from_name(&p).expect("PARSER is json or msgpack");
    }
    if let Ok(origin) = std::env::var("CORS_ORIGIN") {
        let origins = if origin == "*" {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::List(vec![origin])
        };
        c.cors = Some(Cors {
            origins,
            credentials: false,
            headers: Default::default(),
        });
    }
    c
}

fn main() {
    // Warnings (a client refused for using the other parser, ...) go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let config = config();
    // With recovery on, `welcome` also says whether the socket was recovered, and its data.
    let recovery = config.connection_state_recovery.is_some();
    let (server, events) = Server::start(config).expect("cannot start the server");
    println!(
        "listening on http://127.0.0.1:{}",
        server.local_addr().port()
    );
    std::io::stdout().flush().ok();
    let log: DisconnectLog = Arc::default();

    while let Some(event) = events.recv() {
        match event {
            // The e2e server does not turn allow_request on.
            Event::AllowRequest { request, .. } => {
                server.allow_request(request, Ok(())).ok();
            }
            // Nor cors_origin_hook.
            Event::CorsOrigin { request, .. } => {
                server.allow_origin(request, Ok(false)).ok();
            }
            Event::ConnectRequest { request, auth, .. } => {
                let token = auth
                    .as_deref()
                    .and_then(|a| serde_json::from_str::<Value>(a).ok());
                let result =
                    if token.as_ref().and_then(|a| a.get("token")) == Some(&json!("secret")) {
                        server.accept(request).map(drop)
                    } else {
                        server.reject(request, "unauthorized", Some(r#"{"code":401}"#))
                    };
                report("connect request", result);
            }
            Event::Connection {
                nsp,
                sid,
                auth,
                recovered,
                ..
            } => {
                let auth: Value = auth
                    .and_then(|a| serde_json::from_str(&a).ok())
                    .unwrap_or(json!({}));
                let data: Value = server
                    .data(&nsp, sid.as_str())
                    .ok()
                    .flatten()
                    .and_then(|d| serde_json::from_str(&d).ok())
                    .unwrap_or(Value::Null);
                let mut welcome = json!({ "sid": sid.as_str(), "nsp": &*nsp, "auth": auth });
                if recovery {
                    welcome["recovered"] = json!(recovered);
                    welcome["data"] = data;
                }
                let welcome = Payload::single(&welcome);
                report(
                    "welcome",
                    server.emit(
                        &nsp,
                        &BroadcastOptions::socket(sid.as_str()),
                        "welcome",
                        &welcome,
                    ),
                );
            }
            Event::Message {
                nsp,
                sid,
                event,
                args,
                ack,
            } => {
                let msg = Msg {
                    server: &server,
                    log: &log,
                    nsp: &nsp,
                    sid: sid.as_str(),
                    args,
                    ack,
                };
                handle(&event, msg);
            }
            Event::Disconnect { nsp, sid, reason } => {
                let mut log = log.lock().unwrap();
                log.push(json!({ "sid": sid.as_str(), "nsp": &*nsp, "reason": reason.as_str() }));
                if log.len() > 1000 {
                    log.remove(0);
                }
            }
            // The e2e server joins no cluster (see examples/rust/cluster.rs for that).
            Event::AckResponse(_)
            | Event::Disconnecting { .. }
            | Event::ServerSideEmit { .. }
            | Event::ClusterReply { .. } => {}
            // No plain WebSocket routes here (see examples/rust/ws_echo.rs for those).
            Event::PlainRequest { .. }
            | Event::PlainConnection { .. }
            | Event::PlainMessage { .. }
            | Event::PlainClose { .. } => {}
            // Off unless turned on (report_connection_errors / report_upgrades /
            // observe_rooms).
            Event::ConnectionError { .. } | Event::Upgrade { .. } | Event::Room { .. } => {}
        }
    }
}

/// One client event and what is needed to answer it.
struct Msg<'a> {
    server: &'a Server,
    log: &'a DisconnectLog,
    nsp: &'a str,
    sid: &'a str,
    args: Payload,
    ack: Option<AckHandle>,
}

impl Msg<'_> {
    /// Argument `i` as JSON (placeholders stay as they are); `null` when missing.
    fn arg(&self, i: usize) -> Value {
        self.args
            .to_values()
            .into_iter()
            .nth(i)
            .unwrap_or(Value::Null)
    }

    /// Argument `i` as text (empty when not a string).
    fn text(&self, i: usize) -> String {
        self.arg(i).as_str().unwrap_or_default().to_owned()
    }

    /// The arguments from `i` on, with the binary attachments (the skipped leading
    /// arguments are plain values, so placeholder numbers stay valid).
    fn rest(&self, i: usize) -> Payload {
        let values = self.args.to_values();
        Payload::from_values(values.get(i..).unwrap_or_default())
            .with_attachments(self.args.attachments.clone())
    }

    /// Answers the client's ack request, if it made one.
    fn reply(self, args: Payload) {
        if let Some(ack) = self.ack {
            report("ack", self.server.ack(ack, &args));
        }
    }

    /// Emits `event` (argument `e`) with the arguments after it to `to`.
    fn emit_from(&self, to: BroadcastOptions, e: usize) {
        report(
            "emit",
            self.server
                .emit(self.nsp, &to, &self.text(e), &self.rest(e + 1)),
        );
    }

    /// Room names in `v` (one name or a list of names).
    fn rooms(v: &Value) -> Vec<String> {
        match v {
            Value::Array(a) => a
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// The dispatch table: event name → behaviour. Arguments follow the event name as the
/// tests send them, e.g. `to-room` (room, event, ...args); an ack is answered when asked.
fn handle(event: &str, m: Msg<'_>) {
    let all = BroadcastOptions::all;
    match event {
        "echo" => {
            let args = m.args.clone();
            m.reply(args);
        }
        "echo-event" => report(
            "echo-event",
            m.server
                .emit(m.nsp, &BroadcastOptions::socket(m.sid), "echo", &m.args),
        ),
        "join" | "leave" => {
            let rooms = Msg::rooms(&m.arg(0));
            let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
            let result = if event == "join" {
                m.server.join(m.nsp, m.sid, &rooms)
            } else {
                m.server.leave(m.nsp, m.sid, &rooms)
            };
            report(event, result);
            let now = m.server.rooms_of(m.nsp, m.sid).unwrap_or_default();
            m.reply(Payload::single(&json!(now)));
        }
        "set-data" => {
            let data = m.arg(0).to_string();
            report("set-data", m.server.set_data(m.nsp, m.sid, &data));
            m.reply(Payload::empty());
        }
        "rooms" => {
            let now = m.server.rooms_of(m.nsp, m.sid).unwrap_or_default();
            m.reply(Payload::single(&json!(now)));
        }
        "to-room" => m.emit_from(all().to(&m.text(0)), 1),
        "to-rooms" => {
            let mut to = all();
            for room in Msg::rooms(&m.arg(0)) {
                to = to.to(&room);
            }
            m.emit_from(to, 1);
        }
        "to-room-except-sender" => m.emit_from(all().to(&m.text(0)).except(m.sid), 1),
        "broadcast" => m.emit_from(all().except(m.sid), 0),
        "to-all" => m.emit_from(all(), 0),
        "to-all-except" => {
            let mut to = all();
            for room in Msg::rooms(&m.arg(0)["rooms"]) {
                to = to.except(&room);
            }
            m.emit_from(to, 1);
        }
        "volatile" => m.emit_from(BroadcastOptions::socket(m.sid).volatile(), 0),
        // socket.io's `io.compress(false).to(room).emit(...)` and `socket.compress(false).emit`.
        "to-room-uncompressed" => m.emit_from(all().to(&m.text(0)).compress(false), 1),
        "uncompressed" => m.emit_from(BroadcastOptions::socket(m.sid).compress(false), 0),
        "server-ack" => {
            // (event, timeoutMs, ...args, ack): ask the sender, answer {ok: its reply} or {timeout: true}.
            let timeout = Duration::from_millis(m.arg(1).as_u64().unwrap_or(1000));
            let (server, nsp, sid, event, args) =
                (m.server.clone(), m.nsp, m.sid, m.text(0), m.rest(2));
            let Some(ack) = m.ack else { return };
            let done = move |r: AckResult| {
                let answer = match r.replies.first() {
                    Some(reply) if !r.timed_out => {
                        Payload::single(&json!({ "ok": reply.args.to_values() }))
                            .with_attachments(reply.args.attachments.clone())
                    }
                    _ => Payload::single(&json!({ "timeout": true })),
                };
                report("server-ack", server.ack(ack, &answer));
            };
            let to = BroadcastOptions::socket(sid);
            report(
                "server-ack",
                m.server
                    .emit_with_ack_callback(nsp, &to, &event, &args, timeout, done),
            );
        }
        "broadcast-ack" => {
            // (room, event, timeoutMs, ack): ask the room, answer {replies: [{sid, args}], timedOut}.
            let timeout = Duration::from_millis(m.arg(2).as_u64().unwrap_or(1000));
            let (server, to, event) = (m.server.clone(), all().to(&m.text(0)), m.text(1));
            let Some(ack) = m.ack else { return };
            let done = move |r: AckResult| {
                let replies: Vec<Value> = r
                    .replies
                    .iter()
                    .map(|a| json!({ "sid": a.sid.map(|s| s.to_string()), "args": a.args.to_values() }))
                    .collect();
                report(
                    "broadcast-ack",
                    server.ack(
                        ack,
                        &Payload::single(&json!({ "replies": replies, "timedOut": r.timed_out })),
                    ),
                );
            };
            report(
                "broadcast-ack",
                m.server.emit_with_ack_callback(
                    m.nsp,
                    &to,
                    &event,
                    &Payload::empty(),
                    timeout,
                    done,
                ),
            );
        }
        "sockets-in" => {
            let sids = m
                .server
                .sockets(m.nsp, &all().to(&m.text(0)))
                .unwrap_or_default();
            m.reply(Payload::single(&json!(sids)));
        }
        "disconnect-me" => {
            let close = m.arg(0).as_bool().unwrap_or(false);
            report("disconnect-me", m.server.disconnect(m.nsp, m.sid, close));
        }
        "last-disconnects" => {
            let log = Value::from(m.log.lock().unwrap().clone());
            m.reply(Payload::single(&log));
        }
        "slow" => {
            // A slow host: blocks the event loop for (ms) milliseconds, then counts it.
            std::thread::sleep(Duration::from_millis(m.arg(0).as_u64().unwrap_or(0)));
            SLOW_HANDLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        "slow-count" => {
            let n = SLOW_HANDLED.load(std::sync::atomic::Ordering::Relaxed);
            m.reply(Payload::single(&json!(n)));
        }
        "burst" => {
            // (n, size): n messages "b" of `size` bytes to the sender, then "burst-done".
            let n = m.arg(0).as_u64().unwrap_or(0);
            let text = "x".repeat(m.arg(1).as_u64().unwrap_or(1) as usize);
            let to = BroadcastOptions::socket(m.sid);
            let args = Payload::single(&json!(text));
            for _ in 0..n {
                if m.server.emit(m.nsp, &to, "b", &args).unwrap_or(0) == 0 {
                    break;
                }
            }
            report(
                "emit",
                m.server.emit(m.nsp, &to, "burst-done", &Payload::empty()),
            );
        }
        "namespaces" => {
            let names = m.server.namespaces();
            m.reply(Payload::single(&json!(names)));
        }
        "count" => {
            let n = m.server.connection_count();
            m.reply(Payload::single(&json!(n)));
        }
        _ => m.reply(Payload::single(
            &json!({ "error": format!("unknown event {event}") }),
        )),
    }
}

/// Logs a failed command to stderr; the test server keeps going.
fn report<T>(what: &str, result: Result<T, roomcast::host::Error>) {
    if let Err(e) = result {
        eprintln!("{what}: {e}");
    }
}
