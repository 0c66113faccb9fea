//! The Socket.IO v5 layer: namespaces, sockets, rooms, acks and connect middleware, on top
//! of the engine. It reports to its host through one ordered [`Event`] stream and takes
//! commands (emit, join, ack, disconnect) as plain method calls that never block.

mod ack;
pub(crate) mod admin;
mod civil;
mod cluster;
mod connect;
mod emit;
mod engine_events;
mod error;
mod event;
mod handler;
mod inbound;
mod namespace;
mod plain;
mod recovery;
mod room_events;
mod rooms;
mod socket;
mod sockets;
mod stream_log;
mod wire;

pub use ack::AckCallback;
pub use error::Error;
pub use event::{
    AckHandle, AckReply, AckResult, ConnectRequest, DisconnectReason, Event, RequestCheck,
    ServerAck,
};
pub use namespace::Namespace;
pub use plain::PlainData;
pub(crate) use plain::{RouteHandler, Verify};
pub use socket::Socket;

use inbound::{Budget, Credit};

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::adapter::cluster::{ClusterAdapter, ServerAckFn};
use crate::config::{NamespaceMatch, NamespaceRule, RecoveryConfig};
use crate::engine::{CloseReason, Handshake, Session, SessionRef};
use crate::metrics::Metrics;
use crate::protocol::{Parser, PartialPacket};
use crate::sid::Sid;
use recovery::Restored;

/// Socket.IO settings (a subset of [`crate::Config`]).
#[derive(Clone, Debug)]
pub struct SocketIoConfig {
    /// Namespaces accepted at start (more can be added while running).
    pub namespaces: Vec<NamespaceRule>,
    /// Close connections that join no namespace in this time.
    pub connect_timeout: Duration,
    /// Attachment limit per packet.
    pub max_attachments: usize,
    /// Connection state recovery, when on.
    pub recovery: Option<RecoveryConfig>,
    /// The node joins a Redis Streams cluster (recovery state then lives in Redis).
    pub streamed: bool,
    /// Hold each CONNECT reply until the host calls [`SocketIo::release`].
    pub hold_connect: bool,
    /// Longest namespace or room name, bytes.
    pub max_name_length: usize,
    /// Most rooms per socket (its own included).
    pub max_rooms_per_socket: usize,
    /// Remove dynamic namespaces once empty.
    pub cleanup_empty_child_namespaces: bool,
    /// Largest message (the slack of the inbound hard limit).
    pub max_payload: usize,
    /// Per connection: message events waiting for the host, count and bytes.
    pub max_pending_events: usize,
    /// See `max_pending_events`.
    pub max_pending_bytes: usize,
    /// Whole server: message events waiting for the host, count and bytes.
    pub max_pending_events_total: usize,
    /// See `max_pending_events_total`.
    pub max_pending_bytes_total: usize,
    /// The server's counters, when metrics are on.
    pub metrics: Option<Arc<Metrics>>,
    /// Packet encoding (socket.io's `parser`).
    pub parser: Parser,
    /// Messages at least this long are compressed for clients that negotiated
    /// permessage-deflate; `None`: deflate is off.
    pub deflate_threshold: Option<usize>,
}

impl SocketIoConfig {
    /// Takes the Socket.IO settings out of a server config.
    pub fn from_config(c: &crate::Config) -> Self {
        Self {
            namespaces: c.namespaces.clone(),
            connect_timeout: c.connect_timeout,
            max_attachments: c.max_attachments,
            recovery: c.connection_state_recovery.clone(),
            streamed: c.redis.as_ref().is_some_and(|r| r.streams),
            hold_connect: c.hold_connect,
            max_payload: c.max_payload,
            max_name_length: c.max_name_length,
            max_rooms_per_socket: c.max_rooms_per_socket,
            cleanup_empty_child_namespaces: c.cleanup_empty_child_namespaces,
            max_pending_events: c.max_pending_events,
            max_pending_bytes: c.max_pending_bytes,
            max_pending_events_total: c.max_pending_events_total,
            max_pending_bytes_total: c.max_pending_bytes_total,
            metrics: None,
            parser: c.parser,
            deflate_threshold: c.per_message_deflate.map(|d| d.threshold),
        }
    }
}

/// An event in the host's stream, with its share of the inbound budgets (message events
/// only), given back when the host takes it.
pub struct QueuedEvent {
    event: Event,
    _credit: Option<Credit>,
}

impl QueuedEvent {
    /// The event (its budget share is given back).
    pub fn into_event(self) -> Event {
        self.event
    }
}

/// Per-connection state (the Engine.IO session's data).
pub struct Client {
    handshake: Arc<Handshake>,
    sockets: Mutex<HashMap<Arc<str>, Arc<Socket>>>,
    partial: Mutex<Option<PartialPacket>>,
    connect_timer: Mutex<Option<AbortHandle>>,
    /// This connection's message events waiting for the host.
    inbound: Arc<Budget>,
    /// When the Engine.IO handshake came (for the handshake latency metric).
    opened: std::time::Instant,
    /// Whether the handshake latency was recorded (at the first namespace connection).
    timed: AtomicBool,
}

type ClientSession = Session<Client>;

struct PendingConnect {
    sid: Sid,
    session: Weak<ClientSession>,
    nsp: Arc<Namespace>,
    auth: Option<String>,
    restored: Option<Restored>,
    /// In connect-hold mode the socket exists (held) while middleware runs, with whether
    /// it was recovered.
    socket: Option<(Arc<Socket>, bool)>,
}

/// The Socket.IO server: the engine's handler and the target of host commands.
pub struct SocketIo {
    cfg: SocketIoConfig,
    /// Namespace rules, first match wins; [`SocketIo::add_namespace`] adds to them.
    rules: RwLock<Vec<NamespaceRule>>,
    rt: Handle,
    namespaces: RwLock<HashMap<Arc<str>, Arc<Namespace>>>,
    events: RwLock<Option<flume::Sender<QueuedEvent>>>,
    /// Every connection's message events waiting for the host.
    inbound: Arc<Budget>,
    pending: Mutex<HashMap<u64, PendingConnect>>,
    next_id: AtomicU64,
    /// The cluster this node belongs to (set once, before clients connect).
    cluster: OnceLock<Arc<dyn ClusterAdapter>>,
    /// Server-side emits from other nodes that wait for the host's answer.
    server_acks: Arc<Mutex<HashMap<u64, ServerAckFn>>>,
    /// This server, for work that continues on the runtime (a restore from Redis).
    me: OnceLock<std::sync::Weak<SocketIo>>,
    /// Open plain WebSocket connections by id (see `plain`).
    plain: RwLock<crate::sid::SidMap<plain::PlainSession>>,
    /// The admin UI, once turned on (see [`admin`]).
    admin: OnceLock<Arc<admin::Admin>>,
    /// Connection events the host asked for (see [`engine_events`]).
    engine_reports: engine_events::EngineReports,
    /// The namespaces whose room changes the host observes (see [`room_events`]).
    room_watch: room_events::RoomWatch,
}

impl SocketIo {
    /// A server that reports into `events` and runs its timers on `rt`.
    pub fn new(cfg: SocketIoConfig, rt: Handle, events: flume::Sender<QueuedEvent>) -> Self {
        Self {
            rules: RwLock::new(cfg.namespaces.clone()),
            inbound: Budget::new(cfg.max_pending_events_total, cfg.max_pending_bytes_total),
            cfg,
            rt,
            namespaces: RwLock::new(HashMap::new()),
            events: RwLock::new(Some(events)),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            cluster: OnceLock::new(),
            server_acks: Arc::new(Mutex::new(HashMap::new())),
            me: OnceLock::new(),
            plain: RwLock::new(Default::default()),
            admin: OnceLock::new(),
            engine_reports: Default::default(),
            room_watch: Default::default(),
        }
    }

    /// Sends an event to the host (dropped once the stream has ended).
    pub(crate) fn report(&self, ev: Event) {
        if let Some(tx) = &*self.events.read() {
            let _ = tx.send(QueuedEvent {
                event: ev,
                _credit: None,
            });
        }
    }

    /// Sends a client's message event to the host, charged to the sender's budget and
    /// the server's until the host takes it; drops a sender far past its budget.
    fn report_message(&self, session: &SessionRef<Client>, ev: Event, bytes: usize) {
        if self.report_charged(&session.data.inbound, ev, bytes) {
            session.close(CloseReason::InboundOverflow);
        }
    }

    /// Sends a message event charged to `conn`'s budget and the server's; true when the
    /// connection is far past its budget (the caller drops it).
    fn report_charged(&self, conn: &Arc<Budget>, ev: Event, bytes: usize) -> bool {
        if let Some(tx) = &*self.events.read() {
            let _ = tx.send(QueuedEvent {
                event: ev,
                _credit: Some(Credit::take(conn, &self.inbound, bytes)),
            });
        }
        conn.over_hard_limit(4, self.cfg.max_payload)
    }

    /// Ends the event stream: the host sees it close after draining what is queued.
    pub(crate) fn end_events(&self) {
        self.events.write().take();
    }

    /// A namespace by name, created on first use when a rule accepts the name.
    fn namespace_for(&self, name: &str) -> Option<Arc<Namespace>> {
        if let Some(ns) = self.namespaces.read().get(name) {
            return Some(ns.clone());
        }
        if name.len() > self.cfg.max_name_length {
            return None;
        }
        let (middleware, dynamic) = self
            .rules
            .read()
            .iter()
            .find(|r| r.matcher.matches(name))
            .map(|r| (r.middleware, !matches!(r.matcher, NamespaceMatch::Exact(_))))?;
        let mut all = self.namespaces.write();
        let mut created = false;
        let ns = all
            .entry(Arc::from(name))
            .or_insert_with(|| {
                created = true;
                let ns = Namespace::new(
                    name,
                    middleware,
                    dynamic,
                    self.cfg.recovery.clone(),
                    self.cfg.streamed,
                    self.cfg.metrics.clone(),
                    (self.cfg.parser, self.cfg.deflate_threshold),
                );
                self.watch_new_namespace(&ns);
                ns
            })
            .clone();
        drop(all);
        if created {
            if let Some(c) = self.cluster.get() {
                self.rt.spawn(c.add_namespace(name));
            }
        }
        Some(ns)
    }

    /// Each namespace's name, connected sockets and named rooms (each socket's own room
    /// left out), for the metrics.
    pub(crate) fn namespace_stats(&self) -> Vec<(String, usize, usize)> {
        let all: Vec<_> = self.namespaces.read().values().cloned().collect();
        all.iter()
            .map(|ns| {
                let sockets = ns.len();
                // Each socket's and plain connection's own room is left out.
                let own = sockets + ns.plain_len();
                let rooms = ns.adapter().rooms().len().saturating_sub(own);
                (ns.name.to_string(), sockets, rooms)
            })
            .collect()
    }

    /// Names of the namespaces that exist now (dynamic ones included).
    pub fn namespace_names(&self) -> Vec<String> {
        self.namespaces
            .read()
            .keys()
            .map(|k| k.to_string())
            .collect()
    }

    /// Removes `ns` if it is a dynamic namespace left empty and the config asks for it
    /// (`cleanup_empty_child_namespaces`). A connect racing with the removal sees the
    /// namespace marked removed and connects to a fresh one instead.
    pub(crate) fn drop_if_empty(&self, ns: &Arc<Namespace>) {
        if !self.cfg.cleanup_empty_child_namespaces || !ns.dynamic || !ns.is_empty() {
            return;
        }
        let mut all = self.namespaces.write();
        if all.get(&ns.name).is_some_and(|n| Arc::ptr_eq(n, ns)) && ns.mark_removed_if_empty() {
            all.remove(&ns.name);
        }
    }

    /// Adds a namespace rule while running (the same exact name or glob replaces its
    /// rule). A namespace already in use takes the new rule's middleware setting.
    pub fn add_namespace(&self, rule: NamespaceRule) {
        if let NamespaceMatch::Exact(name) = &rule.matcher {
            if let Some(ns) = self.namespaces.read().get(name.as_str()) {
                ns.middleware.store(rule.middleware, Ordering::Release);
            }
        }
        crate::host::options::upsert_rule(&mut self.rules.write(), rule);
    }

    /// A namespace by name: one in use, or one a rule accepts (created now).
    pub fn namespace(&self, name: &str) -> Result<Arc<Namespace>, Error> {
        self.namespace_for(name).ok_or(Error::NoSuchNamespace)
    }

    fn socket(&self, nsp: &str, sid: Sid) -> Result<Arc<Socket>, Error> {
        self.namespace(nsp)?.socket(sid).ok_or(Error::NoSuchSocket)
    }

    /// Drops expired recovery state on a timer, until the server goes away.
    pub(crate) fn start_sweeper(self: &Arc<Self>) {
        let _ = self.me.set(Arc::downgrade(self));
        let Some(cfg) = &self.cfg.recovery else {
            return;
        };
        if self.cfg.streamed {
            self.start_mirror(cfg.max_disconnection_duration);
            return;
        }
        // socket.io sweeps every minute; a shorter window is swept as often as it lasts.
        let every = cfg
            .max_disconnection_duration
            .clamp(Duration::from_millis(100), Duration::from_secs(60));
        let io = Arc::downgrade(self);
        self.rt.spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(io) = io.upgrade() else { return };
                let all: Vec<Arc<Namespace>> = io.namespaces.read().values().cloned().collect();
                for ns in all {
                    if let Some(rec) = &ns.recovery {
                        rec.sweep();
                    }
                }
            }
        });
    }

    /// In a streams cluster with recovery, keeps each connected socket's session in Redis
    /// as it changes (checked every second) and refreshed every half window, so that its
    /// client recovers on another node even when this one is killed without a chance to
    /// save anything (socket.io's streams adapter issue #27). What a kill loses: room and
    /// data changes of the last second. Everything is written again after Redis reconnects.
    fn start_mirror(self: &Arc<Self>, window: Duration) {
        use std::hash::{Hash, Hasher};
        let io = Arc::downgrade(self);
        let refresh = (window / 2).max(Duration::from_secs(1));
        self.rt.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut refreshed = std::time::Instant::now();
            let mut seen_reconnects = 0;
            loop {
                tick.tick().await;
                let Some(io) = io.upgrade() else { return };
                let Some(c) = io.cluster.get().cloned() else {
                    continue;
                };
                // After Redis came back (maybe empty, restarted) everything is written again.
                let reconnects = c.stats().reconnects;
                let full = refreshed.elapsed() >= refresh || reconnects != seen_reconnects;
                seen_reconnects = reconnects;
                if full {
                    refreshed = std::time::Instant::now();
                }
                let all: Vec<Arc<Namespace>> = io.namespaces.read().values().cloned().collect();
                for ns in all.iter().filter(|ns| ns.stream_log.is_some()) {
                    for s in ns.all_sockets() {
                        let Some(pid) = s.pid else { continue };
                        if !s.is_announced() {
                            continue;
                        }
                        let mut rooms = ns.adapter().socket_rooms(s.sid);
                        rooms.sort();
                        let record = s.session_record(pid, &rooms);
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        record.rooms.hash(&mut h);
                        record.data.to_string().hash(&mut h);
                        let fp = h.finish() | 1;
                        let changed = s.mirrored.swap(fp, Ordering::AcqRel) != fp;
                        // Checked last: a socket that left meanwhile saved or forgot its
                        // session itself, and must not be written back.
                        if (changed || full) && s.is_connected() {
                            c.persist_session(&record, window);
                        }
                    }
                }
            }
        });
    }
}

/// Wraps a Socket.IO layer's handler type so the engine can host it.
pub type SocketIoEngine = crate::engine::Engine<Arc<SocketIo>>;
