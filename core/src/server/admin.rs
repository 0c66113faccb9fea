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
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::SocketIo;
use crate::config::{AdminMode, AdminUi, ConfigError};
use crate::engine::CloseReason;
use crate::metrics::{Metrics, DISCONNECT_REASONS};

mod dashboard;
mod format;

use format::now_ms;

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

#[cfg(test)]
mod tests {
    use super::*;

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
