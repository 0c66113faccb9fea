//! The Socket.IO v5 layer: namespaces, sockets, rooms, acks and connect middleware, on top
//! of the engine. It reports to its host through one ordered [`Event`] stream and takes
//! commands (emit, join, ack, disconnect) as plain method calls that never block.

mod ack;
pub(crate) mod admin;
mod cluster;
mod emit;
mod engine_events;
mod error;
mod event;
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
use crate::engine::{CloseReason, Handler, Handshake, Message, Session, SessionRef};
use crate::metrics::Metrics;
use crate::protocol::{self, Decoded, Packet, PacketBody, Parser, PartialPacket};
use crate::sid::Sid;
use recovery::{After, Restored};

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

    /// A new socket of `session` in `ns`, with what a recovery restores (its data, rooms,
    /// and the packets it missed, sent before its CONNECT as socket.io does). Its CONNECT
    /// goes out now, or is held in connect-hold mode. Returns the socket and whether it was
    /// recovered; `None` when the connection is gone or already has a socket there.
    fn new_socket(
        &self,
        session: &SessionRef<Client>,
        ns: &Arc<Namespace>,
        sid: Sid,
        auth: Option<String>,
        restored: Option<Restored>,
    ) -> Option<(Arc<Socket>, bool)> {
        if session.is_closed() {
            return None;
        }
        if ns.is_removed() {
            // The dynamic namespace was emptied and removed meanwhile: use its successor.
            let successor = self.namespace_for(&ns.name)?;
            return self.new_socket(session, &successor, sid, auth, None);
        }
        let client = &session.data;
        let pid = match &restored {
            Some(r) => Some(r.pid),
            None => ns.recovery.as_ref().map(|_| Sid::new()),
        };
        let hold = self.cfg.hold_connect;
        let socket = Socket::new(sid, pid, ns.clone(), session.clone(), auth, hold);
        {
            let mut sockets = client.sockets.lock();
            if sockets.contains_key(&ns.name) {
                return None;
            }
            sockets.insert(ns.name.clone(), socket.clone());
        }
        if let Some(t) = client.connect_timer.lock().take() {
            t.abort();
        }
        let recovered = match (restored, &ns.recovery) {
            (
                Some(Restored {
                    rooms,
                    data,
                    after:
                        After::Stream {
                            offset,
                            upto,
                            missed,
                        },
                    ..
                }),
                Some(_),
            ) if ns.stream_log.is_some() => {
                // The stored session can be the mirror of a socket this node still has (its
                // client moved before the drop was noticed): that one is a zombie, replaced.
                if let Some(old) = ns.socket(sid).filter(|o| !Arc::ptr_eq(o, &socket)) {
                    old.close(DisconnectReason::ServerNamespaceDisconnect, false, self);
                }
                *socket.data.lock() = data;
                // See `stream_log`: what was read from Redis up to what this node delivered,
                // then what it delivered since the read; the reader does the rest.
                let log = ns.stream_log.as_ref().expect("checked").lock();
                let last = log.last();
                for m in &missed {
                    let Some(id) = stream_log::StreamId::parse(&m.offset) else {
                        continue;
                    };
                    if last.is_some_and(|l| id <= l)
                        && !m.opts.volatile
                        && stream_log::selects(&m.opts.rooms, &m.opts.except, &rooms)
                    {
                        socket.send_now(&ns.parser.encode_event(
                            &ns.name,
                            &m.event,
                            &m.args,
                            None,
                            Some(&m.offset),
                        ));
                    }
                }
                for packet in log.ring_after(upto.max(offset), &rooms) {
                    socket.send_now(&packet);
                }
                ns.adapter().add_all(sid, &rooms);
                ns.insert(socket.clone());
                if !hold {
                    socket.send(&socket.connect_packet());
                }
                true
            }
            (Some(r), Some(rec)) => {
                let After::Local(after) = r.after else {
                    return None;
                };
                *socket.data.lock() = r.data;
                // As socket.io: the missed packets, then the CONNECT reply (the client holds
                // them until it is connected). Under the buffer's lock, so no broadcast
                // lands between the replay and the socket's return.
                let buf = rec.lock();
                for packet in buf.missed(after, &r.rooms) {
                    socket.send_now(&packet);
                }
                ns.adapter().add_all(sid, &r.rooms);
                self.rooms_added(&ns.name, &r.rooms);
                ns.insert(socket.clone());
                if !hold {
                    socket.send(&socket.connect_packet());
                }
                true
            }
            _ => {
                ns.insert(socket.clone());
                if !hold {
                    socket.send(&socket.connect_packet());
                }
                false
            }
        };
        Some((socket, recovered))
    }

    fn connect_socket(
        &self,
        session: &SessionRef<Client>,
        ns: Arc<Namespace>,
        sid: Sid,
        auth: Option<String>,
        restored: Option<Restored>,
    ) -> Option<Sid> {
        let (socket, recovered) = self.new_socket(session, &ns, sid, auth.clone(), restored)?;
        self.announce(session, &socket, auth, recovered);
        Some(sid)
    }

    /// Tells the host about a socket (`Connection`).
    fn announce(
        &self,
        session: &SessionRef<Client>,
        socket: &Arc<Socket>,
        auth: Option<String>,
        recovered: bool,
    ) {
        socket.announce();
        tracing::debug!(
            target: "roomcast::socket",
            sid = %socket.sid,
            nsp = %socket.nsp().name,
            conn = %session.sid,
            transport = session.transport().as_str(),
            recovered,
            "socket connected"
        );
        if let Some(m) = &self.cfg.metrics {
            m.connected();
            if !session.data.timed.swap(true, Ordering::Relaxed) {
                m.handshake.observe(session.data.opened.elapsed());
            }
        }
        self.report(Event::Connection {
            nsp: socket.nsp().name.clone(),
            sid: socket.sid,
            auth,
            handshake: session.data.handshake.clone(),
            recovered,
        });
        if let Some(a) = self.admin_dev() {
            let rooms = socket.nsp().adapter().socket_rooms(socket.sid);
            self.rooms_changed(&socket.nsp().name, socket.sid, &rooms, true);
            self.admin_socket_connected(a, socket);
        }
        if session.is_closed() {
            // Closed while we were connecting: make sure the socket does not linger.
            socket.close(
                DisconnectReason::Transport(CloseReason::TransportClose),
                false,
                self,
            );
        }
    }

    fn on_connect(&self, session: &SessionRef<Client>, nsp: &str, auth: Option<String>) {
        // A second CONNECT to a namespace it is in: the client gets a new socket, the old
        // one leaves first ("client namespace disconnect"). Deliberately not socket.io's
        // `Client#close()`: there the outcome depends on timing. socket.io completes a
        // CONNECT on the next tick, so a second one in the same read (socket.io-client's
        // `manager.socket(nsp)` connects by itself, and a `connect()` call after it sends
        // CONNECT again at once) gets a second socket, the first one left orphaned, while
        // a later one closes the connection. Closing would break that common client code.
        let old = session.data.sockets.lock().get(nsp).cloned();
        if let Some(old) = old {
            old.close(DisconnectReason::ClientNamespaceDisconnect, false, self);
        }
        if let Some(a) = self.admin.get().filter(|a| *a.nsp == *nsp) {
            self.admin_connect(a, session, auth);
            return;
        }
        let Some(ns) = self.namespace_for(nsp) else {
            tracing::debug!(
                target: "roomcast::socket",
                nsp,
                conn = %session.sid,
                reason = "Invalid namespace",
                "namespace connect refused"
            );
            let packet = self
                .cfg
                .parser
                .encode_connect_error(nsp, "Invalid namespace", None);
            session.push_frame(packet.head);
            return;
        };
        if ns.stream_log.is_some() {
            // A streams cluster: the session is in Redis, maybe written by another node.
            let ids = recovery::stream_ids_from_auth(auth.as_deref());
            let cluster = self.cluster.get();
            let me = self.me.get().and_then(std::sync::Weak::upgrade);
            if let (Some((pid, offset)), Some(c), Some(me)) = (ids, cluster, me) {
                let found = c.restore_session(&ns.name, &pid, &offset);
                let session = session.clone();
                self.rt.spawn(async move {
                    let restored = found
                        .await
                        .and_then(|f| Restored::from_found(f, &pid, &offset));
                    me.connect_restored(&session, ns, auth, restored);
                });
                return;
            }
            self.connect_restored(session, ns, auth, None);
            return;
        }
        let restored = ns.recovery.as_ref().and_then(|r| r.claim(auth.as_deref()));
        self.connect_restored(session, ns, auth, restored);
    }

    /// The rest of a CONNECT once any previous session is found (or not).
    fn connect_restored(
        &self,
        session: &SessionRef<Client>,
        ns: Arc<Namespace>,
        auth: Option<String>,
        restored: Option<Restored>,
    ) {
        let skip =
            restored.is_some() && ns.recovery.as_ref().is_some_and(|r| r.cfg.skip_middlewares);
        let sid = restored.as_ref().map_or_else(Sid::new, |r| r.sid);
        if ns.middleware.load(Ordering::Acquire) && !skip {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let recovered = restored.is_some();
            // In connect-hold mode the socket exists (held) while middleware runs.
            let (restored, socket) = if self.cfg.hold_connect {
                let Some(s) = self.new_socket(session, &ns, sid, auth.clone(), restored) else {
                    return;
                };
                (None, Some(s))
            } else {
                (restored, None)
            };
            let pending = PendingConnect {
                sid,
                session: Arc::downgrade(session),
                nsp: ns.clone(),
                auth: auth.clone(),
                restored,
                socket,
            };
            self.pending.lock().insert(id, pending);
            self.report(Event::ConnectRequest {
                request: ConnectRequest { id, sid: Some(sid) },
                nsp: ns.name.clone(),
                auth,
                handshake: session.data.handshake.clone(),
                recovered,
            });
        } else {
            self.connect_socket(session, ns, sid, auth, restored);
        }
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

    fn dispatch(&self, session: &SessionRef<Client>, packet: Packet) {
        let socket = session
            .data
            .sockets
            .lock()
            .get(packet.nsp.as_str())
            .cloned();
        match packet.body {
            PacketBody::Connect(auth) => self.on_connect(session, &packet.nsp, auth),
            // Anything but CONNECT to a namespace the client is not in breaks the protocol.
            PacketBody::Disconnect if socket.is_none() => {
                self.protocol_violation(session, "DISCONNECT", &packet.nsp)
            }
            PacketBody::Event { .. } if socket.is_none() => {
                self.protocol_violation(session, "EVENT", &packet.nsp)
            }
            PacketBody::Ack { .. } if socket.is_none() => {
                self.protocol_violation(session, "ACK", &packet.nsp)
            }
            PacketBody::Disconnect => {
                if let Some(s) = socket {
                    s.close(DisconnectReason::ClientNamespaceDisconnect, false, self);
                }
            }
            PacketBody::Event { name, args, ack } => {
                let Some(s) = socket else { return };
                if s.nsp().internal {
                    if let Some(a) = self.admin.get() {
                        self.admin_event(a, &name, &args);
                    }
                    return;
                }
                if let Some(a) = self.admin_dev() {
                    self.admin_message(a, false, &s.nsp().name, &[s.sid], &name, &args);
                }
                if let Some(m) = &self.cfg.metrics {
                    m.events_received.fetch_add(1, Ordering::Relaxed);
                }
                let ack = ack.map(|id| AckHandle {
                    nsp: s.nsp().name.clone(),
                    sid: s.sid,
                    id,
                });
                let bytes = name.len()
                    + args.json().len()
                    + args.attachments.iter().map(|a| a.len()).sum::<usize>();
                self.report_message(
                    session,
                    Event::Message {
                        nsp: s.nsp().name.clone(),
                        sid: s.sid,
                        event: name,
                        args,
                        ack,
                    },
                    bytes,
                );
            }
            PacketBody::Ack { id, args } => {
                if let Some(s) = socket {
                    s.on_ack(id, args);
                }
            }
        }
    }
}

impl SocketIo {
    /// A packet to a namespace the client is not in (see
    /// [`CloseReason::ForcedServerClose`]): the connection closes in order, as socket.io's
    /// `Client#close()`.
    fn protocol_violation(&self, session: &SessionRef<Client>, packet: &str, nsp: &str) {
        tracing::info!(
            target: "roomcast::engine",
            sid = %session.sid,
            nsp,
            reason = "forced server close",
            "closing connection: a {packet} packet to a namespace the client is not in"
        );
        session.close(CloseReason::ForcedServerClose);
    }

    /// A message that is no Socket.IO packet (`error` says why): as socket.io's
    /// `Client#onerror`, the connection closes in order ("forced close" for its sockets;
    /// the client gets what was queued, then the close packet). A broken Engine.IO
    /// payload is the engine's business ("parse error").
    fn malformed(&self, session: &SessionRef<Client>, error: &dyn std::fmt::Display, warn: bool) {
        if warn {
            tracing::warn!(sid = %session.sid, "closing connection: {error}");
        } else {
            tracing::info!(
                target: "roomcast::engine",
                sid = %session.sid,
                reason = "forced close",
                "malformed packet: {error}"
            );
        }
        session.close(CloseReason::ForcedClose);
    }

    /// A message this server's parser cannot carry (a text frame to a msgpack server, a
    /// binary one with no attachment expected to a JSON server): the client most likely
    /// uses the other parser. Its CONNECT is answered with a CONNECT_ERROR in its own
    /// parser saying so (socket.io-client reports it as `connect_error` and closes the
    /// connection); anything else closes the connection at once. The log says why.
    fn wrong_parser(&self, session: &SessionRef<Client>, text: Option<&str>, bin: Option<&[u8]>) {
        let ours = self.cfg.parser.name();
        let (theirs, packet) = match (text, bin) {
            (Some(t), _) => (
                Parser::Json,
                protocol::decode(t, self.cfg.max_attachments)
                    .ok()
                    .and_then(|d| match d {
                        Decoded::Complete(p) => Some(p),
                        Decoded::Partial(_) => None,
                    }),
            ),
            (None, Some(b)) => (
                Parser::Msgpack,
                protocol::decode_msgpack(b, self.cfg.max_attachments).ok(),
            ),
            (None, None) => return,
        };
        let Some(packet) = packet else {
            let error = format!(
                "a {} message that is no packet of this server's {ours} parser",
                if text.is_some() { "text" } else { "binary" }
            );
            self.malformed(session, &error, true);
            return;
        };
        let message = format!(
            "this server uses the {ours} parser, the client sent a {} parser packet",
            theirs.name()
        );
        tracing::warn!(sid = %session.sid, nsp = %packet.nsp, "refusing the client: {message}");
        if matches!(packet.body, PacketBody::Connect(_)) {
            // Not closed here: over polling the reply could be lost with the session (the
            // client's next GET may come after the close). The client closes on it, and a
            // client that does not is closed by `connect_timeout` (it joins no namespace).
            let reply = theirs.encode_connect_error(&packet.nsp, &message, None);
            session.push(reply.head, &reply.binary, false);
        } else {
            self.malformed(session, &message, false);
        }
    }
}

impl Handler for Arc<SocketIo> {
    type Data = Client;

    fn create(&self, _sid: Sid, handshake: Handshake) -> Client {
        Client {
            handshake: Arc::new(handshake),
            sockets: Mutex::new(HashMap::new()),
            partial: Mutex::new(None),
            connect_timer: Mutex::new(None),
            inbound: Budget::new(self.cfg.max_pending_events, self.cfg.max_pending_bytes),
            opened: std::time::Instant::now(),
            timed: AtomicBool::new(false),
        }
    }

    fn ready(
        &self,
        session: &SessionRef<Client>,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>> {
        let conn = &session.data.inbound;
        // A connection with no socket yet has only CONNECTs to send: they are read past a
        // full server-wide queue (its own budget still applies), or the connect timeout
        // would close a new client for the host's backlog.
        let server_room = self.inbound.has_room() || session.data.sockets.lock().is_empty();
        if conn.has_room() && server_room {
            return None;
        }
        Some(Box::pin(Budget::wait_for_room(
            conn.clone(),
            self.inbound.clone(),
        )))
    }

    fn on_open(&self, session: &SessionRef<Client>) {
        if let Some(a) = self.admin.get() {
            a.raw_connection();
        }
        let weak = Arc::downgrade(session);
        let timeout = self.cfg.connect_timeout;
        let task = self.rt.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(s) = weak.upgrade() {
                if s.data.sockets.lock().is_empty() {
                    s.close(CloseReason::ForcedClose);
                }
            }
        });
        *session.data.connect_timer.lock() = Some(task.abort_handle());
    }

    fn on_message(&self, session: &SessionRef<Client>, msg: Message<'_>) {
        if let Some(m) = &self.cfg.metrics {
            m.received(match &msg {
                Message::Text(t) => t.len(),
                Message::Binary(b) => b.len(),
            });
        }
        let decoded = match (msg, self.cfg.parser) {
            (Message::Binary(data), Parser::Msgpack) => {
                match protocol::decode_msgpack(&data, self.cfg.max_attachments) {
                    Ok(p) => p,
                    Err(e) => {
                        self.malformed(session, &e, false);
                        return;
                    }
                }
            }
            (Message::Text(text), Parser::Msgpack) => {
                self.wrong_parser(session, Some(text), None);
                return;
            }
            (Message::Text(text), Parser::Json) => {
                if session.data.partial.lock().is_some() {
                    let error = "a text message while binary attachments were due";
                    self.malformed(session, &error, false);
                    return;
                }
                match protocol::decode(text, self.cfg.max_attachments) {
                    Ok(Decoded::Complete(p)) => p,
                    Ok(Decoded::Partial(p)) => {
                        *session.data.partial.lock() = Some(p);
                        return;
                    }
                    Err(e) => {
                        self.malformed(session, &e, false);
                        return;
                    }
                }
            }
            (Message::Binary(data), Parser::Json) => {
                let mut slot = session.data.partial.lock();
                let Some(partial) = slot.take() else {
                    drop(slot);
                    self.wrong_parser(session, None, Some(&data));
                    return;
                };
                match partial.push(data) {
                    Ok(p) => {
                        drop(slot);
                        if let Err(e) = protocol::check_placeholders(&p) {
                            self.malformed(session, &e, false);
                            return;
                        }
                        p
                    }
                    Err(partial) => {
                        *slot = Some(partial);
                        return;
                    }
                }
            }
        };
        self.dispatch(session, decoded);
    }

    fn on_upgrade(&self, session: &SessionRef<Client>) {
        if let Some(a) = self.admin_dev() {
            self.admin_upgraded(a, session);
        }
        self.upgraded(session);
    }

    fn wants_request_errors(&self) -> bool {
        self.wants_errors()
    }

    fn on_request_error(&self, error: crate::engine::RequestError) {
        self.connection_error(error);
    }

    fn on_close(&self, session: &SessionRef<Client>, reason: CloseReason) {
        if let Some(a) = self.admin.get() {
            a.raw_disconnection(reason);
        }
        if let (Some(m), CloseReason::SlowConsumer) = (&self.cfg.metrics, reason) {
            m.slow_consumer_disconnects.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(t) = session.data.connect_timer.lock().take() {
            t.abort();
        }
        session.data.partial.lock().take();
        self.pending
            .lock()
            .retain(|_, p| !std::ptr::eq(p.session.as_ptr(), Arc::as_ptr(session)));
        let sockets: Vec<_> = session.data.sockets.lock().values().cloned().collect();
        for s in sockets {
            s.close(DisconnectReason::Transport(reason), false, self);
        }
    }
}

/// Wraps a Socket.IO layer's handler type so the engine can host it.
pub type SocketIoEngine = crate::engine::Engine<Arc<SocketIo>>;
