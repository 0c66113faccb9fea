//! The server side of the Socket.IO admin UI (`@socket.io/admin-ui`), served by the core.
//!
//! The dashboard (hosted at <https://admin.socket.io> or its static build) connects to one
//! namespace (default `/admin`) and speaks the protocol of the reference `instrument()`:
//! on connect it gets `session` (after a password login), `config` (the features it may
//! use) and, in development mode, `all_sockets`; then `server_stats` every interval, and in
//! development mode `socket_connected`, `socket_updated`, `socket_disconnected`,
//! `room_joined`, `room_left`, `event_received` and `event_sent`. It sends `join`, `leave`,
//! `_disconnect` and `emit` (all ignored when read-only).
//!
//! The namespace is internal: its sockets, events and middleware never reach the host.
//! Production mode adds nothing per message: its charts come from the metrics counters
//! (atomics the server keeps anyway once the admin UI is on). Development mode forwards
//! each socket change and message to the dashboards, and only while one is connected (or
//! the node is in a cluster, where a dashboard may sit on another node).
//!
//! Cluster: everything the admin namespace emits goes through the cluster adapter like any
//! emit, so a dashboard connected to one node sees every node's `server_stats` (one line
//! per `serverId` in its servers view) and every node's socket events, as with the
//! reference over the Redis adapter; its actions (join, leave, disconnect, emit) are
//! cluster-wide operations. The initial `all_sockets` lists this node's sockets only.
//!
//! Parser: the admin namespace's packets are encoded with the server's parser like any
//! other. The dashboard only speaks the default JSON parser, so a server on `msgpack`
//! refuses it (CONNECT_ERROR, a parser-mismatch warning in the log); see the README.

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Client, DisconnectReason, Namespace, Socket, SocketIo};
use crate::adapter::{BroadcastOptions, Room};
use crate::config::{AdminMode, AdminUi, ConfigError};
use crate::engine::{CloseReason, SessionRef};
use crate::metrics::{Metrics, DISCONNECT_REASONS};
use crate::protocol::{Parser, Payload};
use crate::sid::Sid;

/// Live Engine.IO sessions as (all, polling), read by the stats.
pub type EngineCounts = Arc<dyn Fn() -> (usize, usize) + Send + Sync>;

/// Sessions remembered after a password login (the dashboard reconnects with the id).
const MAX_SESSIONS: usize = 1024;
/// Password checks running at once; more attempts are refused (bcrypt is slow on purpose).
const MAX_CHECKS: usize = 2;

/// Checks an admin UI config: the namespace and the password hash.
pub fn check(cfg: &AdminUi) -> Result<(), ConfigError> {
    if !cfg.namespace.starts_with('/') || cfg.namespace == "/" {
        return Err(ConfigError::OutOfRange(
            "admin_ui_namespace".into(),
            "must start with '/' and not be the main namespace \"/\"",
        ));
    }
    if let Some((_, hash)) = &cfg.auth {
        if !is_password_hash(hash) {
            return Err(ConfigError::OutOfRange(
                "admin_ui_password".into(),
                "must be a bcrypt hash ($2a$, $2b$ or $2y$), as @socket.io/admin-ui takes it",
            ));
        }
    }
    if cfg.stats_interval < Duration::from_millis(100) {
        return Err(ConfigError::OutOfRange(
            "admin_ui_stats_interval".into(),
            "must be at least 100 ms",
        ));
    }
    Ok(())
}

/// The bcrypt hash (cost 10, `$2b$`) of `password`, for hosts whose users pass a plain
/// password (python-socketio's `instrument(auth={"username", "password"})`).
pub fn hash_password(password: &str) -> Result<String, super::Error> {
    bcrypt::hash(password, 10).map_err(|e| super::Error::InvalidArgument(format!("password: {e}")))
}

/// Whether `text` is a bcrypt hash (which `admin_ui_password` takes).
pub fn is_password_hash(text: &str) -> bool {
    text.parse::<bcrypt::HashParts>().is_ok()
}

/// Counters of the previous stats, to send what changed since.
#[derive(Default)]
struct Seen {
    metrics: [u64; 4],
    raw_connections: u64,
    raw_disconnections: [u64; DISCONNECT_REASONS.len()],
}

/// The admin UI of one server.
pub(crate) struct Admin {
    pub(crate) cfg: AdminUi,
    pub(crate) nsp: Arc<str>,
    /// Development mode: socket and message events are forwarded.
    pub(crate) dev: bool,
    server_id: String,
    hostname: String,
    started: Instant,
    features: Value,
    sessions: Mutex<VecDeque<String>>,
    checks: Arc<tokio::sync::Semaphore>,
    raw_connections: AtomicU64,
    raw_disconnections: [AtomicU64; DISCONNECT_REASONS.len()],
    seen: Mutex<Seen>,
    counts: OnceLock<EngineCounts>,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `ms` since the epoch as JavaScript's `Date.toJSON()` writes it
/// (`2026-12-02T03:59:59.123Z`).
pub(crate) fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

fn now() -> Value {
    Value::String(iso8601(now_ms()))
}

impl Admin {
    pub(crate) fn new(cfg: AdminUi) -> Self {
        let mut features: Vec<&str> = if cfg.readonly {
            Vec::new()
        } else {
            vec![
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]
        };
        features.push("AGGREGATED_EVENTS");
        let dev = cfg.mode == AdminMode::Development;
        if dev {
            features.push("ALL_EVENTS");
        }
        let hostname = hostname();
        Self {
            nsp: Arc::from(cfg.namespace.as_str()),
            dev,
            server_id: cfg.server_id.clone().unwrap_or_else(|| hostname.clone()),
            hostname,
            started: Instant::now(),
            features: json!({ "supportedFeatures": features }),
            sessions: Mutex::new(VecDeque::new()),
            checks: Arc::new(tokio::sync::Semaphore::new(MAX_CHECKS)),
            raw_connections: AtomicU64::new(0),
            raw_disconnections: Default::default(),
            seen: Mutex::new(Seen::default()),
            counts: OnceLock::new(),
            cfg,
        }
    }

    /// An Engine.IO session opened (per connection, not per message).
    pub(crate) fn raw_connection(&self) {
        self.raw_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// An Engine.IO session closed.
    pub(crate) fn raw_disconnection(&self, reason: CloseReason) {
        if let Some(i) = DISCONNECT_REASONS
            .iter()
            .position(|r| *r == reason.as_str())
        {
            self.raw_disconnections[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn remember(&self, session: String) {
        let mut s = self.sessions.lock();
        if s.len() >= MAX_SESSIONS {
            s.pop_front();
        }
        s.push_back(session);
    }

    fn known(&self, session: &str) -> bool {
        self.sessions.lock().iter().any(|s| s == session)
    }

    /// The server stats message (`server_stats`), with the aggregated events since the
    /// previous one.
    fn stats(&self, io: &SocketIo) -> Value {
        let (clients, polling) = self.counts.get().map_or((0, 0), |f| f());
        let mut namespaces: Vec<Value> = io
            .namespaces
            .read()
            .values()
            .map(|ns| json!({ "name": &*ns.name, "socketsCount": ns.len() }))
            .collect();
        namespaces.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        json!({
            "serverId": self.server_id,
            "hostname": self.hostname,
            "pid": std::process::id(),
            "uptime": self.started.elapsed().as_secs_f64(),
            "clientsCount": clients,
            "pollingClientsCount": polling,
            "aggregatedEvents": self.aggregated(io.cfg.metrics.as_deref()),
            "namespaces": namespaces,
        })
    }

    /// What the counters moved since the previous stats, as the dashboard's
    /// `{timestamp, type, subType?, count}` entries (zeros left out). `packetsIn` counts
    /// Socket.IO events received, `packetsOut` packets queued for clients.
    fn aggregated(&self, m: Option<&Metrics>) -> Vec<Value> {
        let ts = now_ms() / 1000 * 1000;
        let mut out = Vec::new();
        let mut seen = self.seen.lock();
        let mut push = |kind: &str, sub: Option<&str>, count: u64| {
            if count > 0 {
                let mut e = json!({ "timestamp": ts, "type": kind, "count": count });
                if let Some(s) = sub {
                    e["subType"] = Value::from(s);
                }
                out.push(e);
            }
        };
        let raw = self.raw_connections.load(Ordering::Relaxed);
        push("rawConnection", None, raw - seen.raw_connections);
        seen.raw_connections = raw;
        for (i, reason) in DISCONNECT_REASONS.iter().enumerate() {
            let n = self.raw_disconnections[i].load(Ordering::Relaxed);
            push(
                "rawDisconnection",
                Some(reason),
                n - seen.raw_disconnections[i],
            );
            seen.raw_disconnections[i] = n;
        }
        if let Some(m) = m {
            let now = [
                Metrics::get(&m.events_received),
                Metrics::get(&m.packets_sent),
                Metrics::get(&m.bytes_in),
                Metrics::get(&m.bytes_out),
            ];
            for (i, kind) in ["packetsIn", "packetsOut", "bytesIn", "bytesOut"]
                .iter()
                .enumerate()
            {
                push(kind, None, now[i].saturating_sub(seen.metrics[i]));
            }
            seen.metrics = now;
        }
        out
    }
}

/// The query string as an object (`{"EIO":"4","transport":"polling",..}`).
fn query_object(query: &str) -> Value {
    let mut m = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.insert(decode(k), Value::String(decode(v)));
    }
    Value::Object(m)
}

/// Percent-decoding (`+` is a space), lossy on invalid UTF-8.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|c| (*c as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A socket as the dashboard lists it (the reference's `serialize`).
fn serialize(ns: &Namespace, socket: &Socket) -> Value {
    let session = socket.session();
    let hs = &session.data.handshake;
    let address = hs
        .header("cf-connecting-ip")
        .or_else(|| hs.header("x-forwarded-for"))
        .unwrap_or(&hs.address);
    let headers: Map<String, Value> = hs
        .joined_headers()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let data = socket
        .data
        .lock()
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let mut rooms: Vec<String> = ns
        .adapter()
        .socket_rooms(socket.sid)
        .iter()
        .map(|r| r.to_string())
        .collect();
    rooms.sort();
    let client_id: String = session.sid.as_str().chars().take(12).collect();
    json!({
        "id": socket.sid.as_str(),
        "clientId": client_id,
        "transport": transport_name(session),
        "nsp": &*ns.name,
        "data": data,
        "handshake": {
            "address": address,
            "headers": headers,
            "query": query_object(&hs.query),
            "issued": hs.issued,
            "secure": hs.header("x-forwarded-proto") == Some("https"),
            "time": iso8601(hs.issued),
            "url": hs.url,
            "xdomain": hs.header("origin").is_some(),
        },
        "rooms": rooms,
    })
}

fn transport_name(session: &SessionRef<Client>) -> &'static str {
    match session.transport() {
        crate::engine::TransportKind::Polling => "polling",
        crate::engine::TransportKind::WebSocket => "websocket",
    }
}

/// The broadcast selector of a dashboard action: everyone, or the sockets in room `filter`
/// (the dashboard passes a socket id to act on one socket).
fn selector(filter: Option<&Value>) -> BroadcastOptions {
    match filter.and_then(Value::as_str) {
        Some(room) if !room.is_empty() => BroadcastOptions::all().to(room),
        _ => BroadcastOptions::all(),
    }
}

impl SocketIo {
    /// Turns the admin UI on (once per server): its namespace is served by the core from
    /// now on, and the stats start. `counts` reads the Engine.IO sessions.
    pub(crate) fn install_admin(
        &self,
        cfg: AdminUi,
        counts: EngineCounts,
    ) -> Result<(), super::Error> {
        check(&cfg).map_err(super::Error::Config)?;
        let admin = Arc::new(Admin::new(cfg));
        let _ = admin.counts.set(counts);
        {
            let mut all = self.namespaces.write();
            if all.contains_key(&admin.nsp) {
                return Err(super::Error::InvalidArgument(format!(
                    "admin UI: namespace {} is already in use",
                    admin.nsp
                )));
            }
            if self.admin.set(admin.clone()).is_err() {
                return Err(super::Error::InvalidArgument(
                    "the admin UI is already on".into(),
                ));
            }
            all.insert(
                admin.nsp.clone(),
                Namespace::new_internal(
                    &admin.nsp,
                    self.cfg.metrics.clone(),
                    self.cfg.parser,
                    self.cfg.deflate_threshold,
                ),
            );
        }
        if let Some(c) = self.cluster.get() {
            self.rt.spawn(c.add_namespace(&admin.nsp));
        }
        let me = self.me.get().cloned().unwrap_or_default();
        let every = admin.cfg.stats_interval;
        self.rt.spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(io) = me.upgrade() else { return };
                let stats = admin.stats(&io);
                io.admin_emit(&admin, "server_stats", &[stats]);
            }
        });
        Ok(())
    }

    /// The admin UI when it forwards socket and message events (development mode) and
    /// someone may listen: a dashboard on this node, or any node of a cluster.
    pub(crate) fn admin_dev(&self) -> Option<&Arc<Admin>> {
        let a = self.admin.get().filter(|a| a.dev)?;
        if self.cluster.get().is_some() {
            return Some(a);
        }
        let listening = self
            .namespaces
            .read()
            .get(&a.nsp)
            .is_some_and(|ns| !ns.is_empty());
        listening.then_some(a)
    }

    /// Emits to every dashboard (on every node of a cluster), outside the hooks.
    fn admin_emit(&self, admin: &Admin, event: &str, args: &[Value]) {
        let Some(ns) = self.namespaces.read().get(&admin.nsp).cloned() else {
            return;
        };
        let payload = Payload::from_values(args);
        self.emit_on(&ns, &BroadcastOptions::all(), event, &payload);
    }

    /// A CONNECT to the admin namespace: the credentials are checked here (bcrypt on a
    /// blocking thread), then the socket joins without the host knowing.
    pub(crate) fn admin_connect(
        &self,
        admin: &Arc<Admin>,
        session: &SessionRef<Client>,
        auth: Option<String>,
    ) {
        let given: Value = auth
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or(Value::Null);
        let Some((user, hash)) = admin.cfg.auth.clone() else {
            self.admin_accept(admin, session, auth, None);
            return;
        };
        if given["sessionId"].as_str().is_some_and(|s| admin.known(s)) {
            self.admin_accept(admin, session, auth, None);
            return;
        }
        let password = given["password"].as_str().map(str::to_owned);
        let (Some(password), true) = (password, given["username"].as_str() == Some(&user)) else {
            refuse(self.cfg.parser, admin, session, "invalid credentials");
            return;
        };
        let Ok(permit) = admin.checks.clone().try_acquire_owned() else {
            refuse(
                self.cfg.parser,
                admin,
                session,
                "too many login attempts, retry later",
            );
            return;
        };
        let (me, admin, session) = (
            self.me.get().cloned().unwrap_or_default(),
            admin.clone(),
            session.clone(),
        );
        self.rt.spawn(async move {
            let ok = tokio::task::spawn_blocking(move || {
                let ok = bcrypt::verify(password, &hash).unwrap_or(false);
                drop(permit);
                ok
            })
            .await
            .unwrap_or(false);
            let Some(io) = me.upgrade() else { return };
            if !ok {
                refuse(io.cfg.parser, &admin, &session, "invalid credentials");
                return;
            }
            let mut raw = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
            let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            admin.remember(id.clone());
            io.admin_accept(&admin, &session, auth, Some(id));
        });
    }

    fn admin_accept(
        &self,
        admin: &Admin,
        session: &SessionRef<Client>,
        auth: Option<String>,
        new_session: Option<String>,
    ) {
        let Some(ns) = self.namespaces.read().get(&admin.nsp).cloned() else {
            return;
        };
        if session.is_closed() {
            return;
        }
        let socket = Socket::new(Sid::new(), None, ns.clone(), session.clone(), auth, false);
        {
            let mut sockets = session.data.sockets.lock();
            if sockets.contains_key(&ns.name) {
                return;
            }
            sockets.insert(ns.name.clone(), socket.clone());
        }
        if let Some(t) = session.data.connect_timer.lock().take() {
            t.abort();
        }
        if !ns.insert(socket.clone()) {
            return;
        }
        socket.announce();
        socket.send(&socket.connect_packet());
        let one = |event: &str, args: &[Value]| {
            socket.send(&ns.parser.encode_event(
                &ns.name,
                event,
                &Payload::from_values(args),
                None,
                None,
            ));
        };
        if let Some(id) = new_session {
            one("session", &[Value::String(id)]);
        }
        one("config", std::slice::from_ref(&admin.features));
        if admin.dev {
            let all: Vec<Arc<Namespace>> = self.namespaces.read().values().cloned().collect();
            let list: Vec<Value> = all
                .iter()
                .flat_map(|ns| {
                    ns.all_sockets()
                        .into_iter()
                        .filter(|s| s.is_announced())
                        .map(|s| serialize(ns, &s))
                        .collect::<Vec<_>>()
                })
                .collect();
            one("all_sockets", &[Value::Array(list)]);
        }
        // The first stats at once, as the reference sends them on instrument().
        one("server_stats", &[admin.stats(self)]);
        if session.is_closed() {
            socket.close(
                DisconnectReason::Transport(CloseReason::TransportClose),
                false,
                self,
            );
        } else if let Some(a) = self.admin_dev() {
            self.admin_socket_connected(a, &socket);
        }
    }

    /// A dashboard's action (ignored when read-only or malformed, as the reference does).
    pub(crate) fn admin_event(&self, admin: &Admin, event: &str, args: &Payload) {
        if admin.cfg.readonly {
            return;
        }
        let args = args.to_values();
        let nsp = args.first().and_then(Value::as_str).unwrap_or_default();
        let result = match event {
            "join" | "leave" => {
                let Some(room) = args.get(1).and_then(Value::as_str) else {
                    return;
                };
                let opts = selector(args.get(2));
                if event == "join" {
                    self.sockets_join(nsp, &opts, &[room])
                } else {
                    self.sockets_leave(nsp, &opts, &[room])
                }
            }
            "_disconnect" => {
                let close = args.get(1).and_then(Value::as_bool).unwrap_or(false);
                self.disconnect_sockets(nsp, &selector(args.get(2)), close)
            }
            "emit" => {
                let Some(ev) = args.get(2).and_then(Value::as_str) else {
                    return;
                };
                let rest = Payload::from_values(args.get(3..).unwrap_or_default());
                self.emit(nsp, &selector(args.get(1)), ev, &rest).map(drop)
            }
            _ => return,
        };
        if let Err(e) = result {
            tracing::debug!(nsp, event, "admin UI action failed: {e}");
        }
    }

    /// `socket_connected` (development mode).
    pub(crate) fn admin_socket_connected(&self, admin: &Admin, socket: &Socket) {
        let v = serialize(socket.nsp(), socket);
        self.admin_emit(admin, "socket_connected", &[v, now()]);
    }

    /// `socket_disconnected` (development mode).
    pub(crate) fn admin_socket_disconnected(
        &self,
        admin: &Admin,
        nsp: &str,
        sid: Sid,
        reason: DisconnectReason,
    ) {
        let args = [
            Value::from(nsp),
            Value::from(sid.as_str()),
            Value::from(reason.as_str()),
            now(),
        ];
        self.admin_emit(admin, "socket_disconnected", &args);
    }

    /// `room_joined` / `room_left` for each room (development mode).
    pub(crate) fn admin_rooms(
        &self,
        admin: &Admin,
        nsp: &str,
        sid: Sid,
        rooms: &[Room],
        joined: bool,
    ) {
        let event = if joined { "room_joined" } else { "room_left" };
        for room in rooms {
            let args = [
                Value::from(nsp),
                Value::from(&**room),
                Value::from(sid.as_str()),
                now(),
            ];
            self.admin_emit(admin, event, &args);
        }
    }

    /// `socket_updated` with the new transport of each socket of an upgraded connection.
    pub(crate) fn admin_upgraded(&self, admin: &Admin, session: &SessionRef<Client>) {
        let sockets: Vec<_> = session.data.sockets.lock().values().cloned().collect();
        for s in sockets {
            let v =
                json!({ "id": s.sid.as_str(), "nsp": &*s.nsp().name, "transport": "websocket" });
            self.admin_emit(admin, "socket_updated", &[v]);
        }
    }

    /// `event_received` / `event_sent`: `[nsp, id, [event, ...args], timestamp]`, binary
    /// arguments included.
    pub(crate) fn admin_message(
        &self,
        admin: &Admin,
        sent: bool,
        nsp: &str,
        sids: &[Sid],
        event: &str,
        args: &Payload,
    ) {
        let Some(ns) = self.namespaces.read().get(&admin.nsp).cloned() else {
            return;
        };
        let event = serde_json::to_string(event).unwrap_or_default();
        let rest = args.json().strip_prefix('[').unwrap_or("]");
        let sep = if rest.trim_start().starts_with(']') {
            ""
        } else {
            ","
        };
        let name = if sent { "event_sent" } else { "event_received" };
        let ts = serde_json::to_string(&now()).unwrap_or_default();
        let nsp = serde_json::to_string(nsp).unwrap_or_default();
        for sid in sids {
            let json = format!("[{nsp},\"{}\",[{event}{sep}{rest},{ts}]", sid.as_str());
            let Ok(p) = Payload::from_json(&json) else {
                return;
            };
            let p = p.with_attachments(args.attachments.clone());
            self.emit_on(&ns, &BroadcastOptions::all(), name, &p);
        }
    }
}

/// A CONNECT_ERROR in the server's parser (the dashboard must use the same one).
fn refuse(parser: Parser, admin: &Admin, session: &SessionRef<Client>, message: &str) {
    let packet = parser.encode_connect_error(&admin.nsp, message, None);
    session.push_frame(packet.head);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_javascript_does() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_796_183_999_999), "2026-12-02T03:59:59.999Z");
    }

    #[test]
    fn queries_are_decoded() {
        let q = query_object("EIO=4&transport=polling&t=a%20b+c&x");
        assert_eq!(q["EIO"], "4");
        assert_eq!(q["t"], "a b c");
        assert_eq!(q["x"], "");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%e2%82%ac"), "€");
    }

    #[test]
    fn configs_are_checked_by_option_name() {
        let mut c = AdminUi::default();
        assert!(check(&c).is_ok());
        c.namespace = "/".into();
        assert!(
            matches!(check(&c), Err(ConfigError::OutOfRange(n, _)) if n == "admin_ui_namespace")
        );
        c.namespace = "/admin".into();
        c.auth = Some(("admin".into(), "secret".into()));
        assert!(
            matches!(check(&c), Err(ConfigError::OutOfRange(n, _)) if n == "admin_ui_password")
        );
        c.auth = Some((
            "admin".into(),
            "$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS".into(),
        ));
        assert!(check(&c).is_ok());
    }
}
