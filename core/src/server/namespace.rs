//! Namespaces and the sockets in them.

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

use super::ack::Collector;
use super::plain::{PlainFanout, PlainSession, PlainSource};
use super::recovery::{self, Recovery};
use super::stream_log::StreamLog;
use super::wire::Wire;
use super::{Client, DisconnectReason, Event, SocketIo};
use crate::adapter::{Adapter, BroadcastOptions, LocalAdapter, Room};
use crate::config::RecoveryConfig;
use crate::engine::{Pushed, SessionRef};
use crate::metrics::Metrics;
use crate::protocol::{Encoded, Parser, Payload};
use crate::sid::{Sid, SidMap};

/// A connected socket as the namespace keeps it: the session handle sits beside the socket
/// so a broadcast reaches the queue without a detour through the socket.
struct Member {
    socket: Arc<Socket>,
    session: SessionRef<Client>,
    /// Set while the socket's CONNECT is held (see [`Socket::release`]); only a hint that
    /// sends it what it carries, under the socket's lock.
    held: AtomicBool,
}

/// A namespace: its sockets and its adapter (rooms).
pub struct Namespace {
    /// Name, e.g. `/` or `/admin`.
    pub name: Arc<str>,
    /// Whether connections need the host's accept (a rule added at runtime may turn it on).
    pub(crate) middleware: AtomicBool,
    /// Matched by a glob or predicate rule (a child namespace).
    pub(crate) dynamic: bool,
    /// Set once a dynamic namespace is removed for being empty; no socket joins it then.
    removed: AtomicBool,
    sockets: RwLock<SidMap<Member>>,
    /// Plain WebSocket connections in this namespace's rooms (see `plain`).
    plain: RwLock<SidMap<PlainSession>>,
    /// Always the in-memory adapter: a cluster talks to other nodes beside it.
    adapter: LocalAdapter,
    /// Replay buffer and saved sessions, when connection state recovery is on.
    pub(crate) recovery: Option<Recovery>,
    /// With recovery in a streams cluster: what this node delivered from the stream (the
    /// stream is the replay buffer then, and `recovery` keeps only the settings).
    pub(crate) stream_log: Option<StreamLog>,
    /// The server's counters, when metrics are on.
    metrics: Option<Arc<Metrics>>,
    /// The server's packet encoding.
    pub(crate) parser: Parser,
    /// The permessage-deflate threshold, when deflate is on (see `super::wire`).
    pub(crate) deflate: Option<usize>,
    /// Served by the core itself (the admin UI): the host never hears of its sockets.
    pub(crate) internal: bool,
}

impl Namespace {
    /// A namespace served by the core (see `super::admin`), without recovery.
    pub(crate) fn new_internal(
        name: &str,
        metrics: Option<Arc<Metrics>>,
        parser: Parser,
        deflate: Option<usize>,
    ) -> Arc<Self> {
        let mut ns = Self::build(name, false, false, None, false, metrics, (parser, deflate));
        ns.internal = true;
        Arc::new(ns)
    }

    pub(crate) fn new(
        name: &str,
        middleware: bool,
        dynamic: bool,
        recovery: Option<RecoveryConfig>,
        streamed: bool,
        metrics: Option<Arc<Metrics>>,
        wire: (Parser, Option<usize>),
    ) -> Arc<Self> {
        Arc::new(Self::build(
            name, middleware, dynamic, recovery, streamed, metrics, wire,
        ))
    }

    fn build(
        name: &str,
        middleware: bool,
        dynamic: bool,
        recovery: Option<RecoveryConfig>,
        streamed: bool,
        metrics: Option<Arc<Metrics>>,
        (parser, deflate): (Parser, Option<usize>),
    ) -> Self {
        Self {
            name: Arc::from(name),
            middleware: AtomicBool::new(middleware),
            dynamic,
            removed: AtomicBool::new(false),
            sockets: RwLock::new(SidMap::default()),
            plain: RwLock::new(SidMap::default()),
            adapter: LocalAdapter::new(),
            stream_log: (streamed && recovery.is_some()).then(StreamLog::default),
            recovery: recovery.map(Recovery::new),
            metrics,
            parser,
            deflate,
            internal: false,
        }
    }

    /// The rooms of this namespace.
    pub fn adapter(&self) -> &dyn Adapter {
        &self.adapter
    }

    /// Reports this namespace's room changes (this node's members) as `Event::Room` to
    /// `io`'s host from now on; does nothing when they are reported already, and for a
    /// namespace the core serves itself.
    pub(crate) fn observe_rooms(&self, io: std::sync::Weak<SocketIo>) {
        if self.internal || self.adapter.is_observed() {
            return;
        }
        let nsp = self.name.clone();
        self.adapter.observe(Box::new(move |kind, room, sid| {
            if let Some(io) = io.upgrade() {
                io.report(Event::Room {
                    nsp: nsp.clone(),
                    kind,
                    room: room.clone(),
                    sid,
                });
            }
        }));
    }

    /// A connected socket by id.
    pub fn socket(&self, sid: Sid) -> Option<Arc<Socket>> {
        self.sockets.read().get(&sid).map(|m| m.socket.clone())
    }

    /// Number of connected sockets.
    pub fn len(&self) -> usize {
        self.sockets.read().len()
    }

    /// Whether no socket and no plain connection is here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.plain.read().is_empty()
    }

    /// Adds a plain connection, in the room of its own id.
    pub(crate) fn insert_plain(&self, conn: PlainSession) {
        self.adapter
            .add_all(conn.sid, &[Arc::from(conn.sid.as_str())]);
        self.plain.write().insert(conn.sid, conn);
    }

    /// Takes a plain connection out of its rooms and the namespace.
    pub(crate) fn remove_plain(&self, id: Sid) {
        self.plain.write().remove(&id);
        self.adapter.del_all(id);
    }

    /// Number of plain connections here.
    pub(crate) fn plain_len(&self) -> usize {
        self.plain.read().len()
    }

    /// Whether `sid` is connected here.
    pub(crate) fn contains(&self, sid: Sid) -> bool {
        self.sockets.read().contains_key(&sid)
    }

    pub(crate) fn all_sockets(&self) -> Vec<Arc<Socket>> {
        self.sockets
            .read()
            .values()
            .map(|m| m.socket.clone())
            .collect()
    }

    /// Adds a socket; `false` when the namespace has been removed (see
    /// [`SocketIo::drop_if_empty`]).
    pub(crate) fn insert(&self, socket: Arc<Socket>) -> bool {
        let mut sockets = self.sockets.write();
        if self.removed.load(Ordering::Acquire) {
            return false;
        }
        self.adapter
            .add_all(socket.sid, &[Arc::from(socket.sid.as_str())]);
        let session = socket.session.clone();
        let held = AtomicBool::new(socket.held.lock().is_some());
        let member = Member {
            socket,
            session,
            held,
        };
        sockets.insert(member.socket.sid, member);
        true
    }

    /// Whether [`SocketIo::drop_if_empty`] removed this namespace.
    pub(crate) fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    /// Marks the namespace removed if it has no socket (checked under its lock).
    pub(crate) fn mark_removed_if_empty(&self) -> bool {
        let sockets = self.sockets.write();
        if sockets.is_empty() && self.plain.read().is_empty() {
            self.removed.store(true, Ordering::Release);
            true
        } else {
            false
        }
    }

    /// Sends one encoded packet to every selected socket: the bytes are shared, not copied.
    /// With `ack`, each recipient is registered to answer it. Returns the recipient count.
    /// Plain connections selected get `plain`'s form for their route (encoded once per
    /// rule); they cannot answer acks, so an acked broadcast does not count them.
    ///
    /// Called from a host thread (outside the runtime), waking each recipient's writer
    /// directly would cost one cross-thread wake-up per recipient; the wake-ups are then
    /// handed to one task on `rt` instead. Queue order is fixed here either way.
    pub(crate) fn broadcast(
        &self,
        opts: &BroadcastOptions,
        packet: &Encoded,
        plain: &PlainSource<'_>,
        ack: Option<&Arc<Collector>>,
        rt: &Handle,
    ) -> usize {
        let on_runtime = Handle::try_current().is_ok();
        let compress = opts.compress != Some(false);
        let mut plain_out = PlainFanout::new(plain, on_runtime, self.deflate.filter(|_| compress));
        let mut delivered = 0;
        let mut dropped = 0;
        let mut overflowed = Vec::new();
        let mut to_wake = Vec::new();
        let wire = Wire::new(packet, self.deflate, compress);
        {
            let sockets = self.sockets.read();
            // Plain connections get emits to rooms (their own id's included), not the
            // namespace-wide ones: those are the Socket.IO app's own (see `plain`).
            let plain = (!opts.rooms.is_empty()).then(|| self.plain.read());
            self.adapter.for_each_recipient(opts, &mut |sid| {
                let Some(m) = sockets.get(&sid) else {
                    if let Some(c) = plain.as_ref().and_then(|p| p.get(&sid)) {
                        plain_out.offer(c, opts.volatile);
                    }
                    return;
                };
                if m.held.load(Ordering::Acquire)
                    && m.socket.hold(packet, opts.volatile, compress, ack)
                {
                    delivered += usize::from(!opts.volatile);
                    dropped += usize::from(opts.volatile);
                    return;
                }
                if let Some(c) = ack {
                    // Registered before the push: a fast client may answer at once.
                    m.socket.acks.lock().insert(c.id, c.clone());
                }
                match wire.enqueue(&m.session, opts.volatile) {
                    (Pushed::Queued, wake) => {
                        delivered += 1;
                        if let Some(c) = ack {
                            c.add_recipient(sid);
                        }
                        if wake && on_runtime {
                            m.session.wake();
                        } else if wake {
                            to_wake.push(m.session.clone());
                        }
                    }
                    (other, _) => {
                        if let Some(c) = ack {
                            m.socket.acks.lock().remove(&c.id);
                        }
                        if other == Pushed::Overflow {
                            overflowed.push(m.session.clone());
                        }
                        dropped += usize::from(other == Pushed::Dropped);
                    }
                }
            });
        }
        let (plain_delivered, plain_dropped) = (plain_out.delivered, plain_out.dropped);
        plain_out.finish(rt);
        if ack.is_none() {
            delivered += plain_delivered;
        }
        dropped += plain_dropped;
        if let Some(m) = &self.metrics {
            // Once per broadcast, with the totals of its fan-out.
            m.broadcast(delivered, packet.len(), dropped);
        }
        match to_wake.len() {
            0 => {}
            1 => to_wake[0].wake(),
            _ => {
                rt.spawn(async move {
                    for s in to_wake {
                        s.wake();
                    }
                });
            }
        }
        // Close overflowing sessions only after every lock above is released.
        for s in overflowed {
            s.close(crate::engine::CloseReason::SlowConsumer);
        }
        delivered
    }
}

/// A packet sent to a socket while its CONNECT is held, with what the emit asked for it.
struct Held {
    packet: Encoded,
    /// The emit's `compress` flag: `compress(false)` stays uncompressed after the release.
    compress: bool,
}

/// A client's membership in one namespace.
///
/// A socket may start *held* (the host's connect-hold mode): it is in the namespace, so
/// joins, leaves and emits work at once, but the client has not got its CONNECT yet, so
/// what is sent to it waits here, in order, until [`Socket::release`] sends CONNECT and
/// then all of it (as socket.io runs the connection handler before the client can see
/// the connection).
pub struct Socket {
    /// The socket id (room of its own; not the Engine.IO sid).
    pub sid: Sid,
    /// Private session id for connection state recovery (only the client learns it).
    pub(crate) pid: Option<Sid>,
    nsp: Arc<Namespace>,
    session: SessionRef<Client>,
    pub(crate) acks: Mutex<HashMap<u64, Arc<Collector>>>,
    /// The host's data for this socket (JSON text), kept across a recovery and reported
    /// by `fetchSockets` on every node of a cluster.
    pub(crate) data: Mutex<Option<Arc<str>>>,
    connected: AtomicBool,
    /// The client's `auth` object (JSON text), for `fetchSockets`.
    pub(crate) auth: Option<String>,
    /// `Some(what waits)` while the CONNECT is held.
    held: Mutex<Option<Vec<Held>>>,
    /// Whether the host has been told (a `Connection` event); a socket still waiting on
    /// middleware leaves silently.
    announced: AtomicBool,
    /// Fingerprint of the session last mirrored to the cluster (streams adapter; 0: never).
    pub(crate) mirrored: std::sync::atomic::AtomicU64,
}

impl Socket {
    pub(crate) fn new(
        sid: Sid,
        pid: Option<Sid>,
        nsp: Arc<Namespace>,
        session: SessionRef<Client>,
        auth: Option<String>,
        held: bool,
    ) -> Arc<Self> {
        Arc::new(Self {
            sid,
            pid,
            nsp,
            session,
            acks: Mutex::new(HashMap::new()),
            data: Mutex::new(None),
            connected: AtomicBool::new(true),
            auth,
            held: Mutex::new(held.then(Vec::new)),
            announced: AtomicBool::new(false),
            mirrored: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub(crate) fn announce(&self) {
        self.announced.store(true, Ordering::Release);
    }

    pub(crate) fn is_announced(&self) -> bool {
        self.announced.load(Ordering::Acquire)
    }

    /// Keeps `packet` for later when the CONNECT is still held (a volatile one is dropped),
    /// with its `compress` flag; false when the socket is not held (the caller sends it now).
    fn hold(
        &self,
        packet: &Encoded,
        volatile: bool,
        compress: bool,
        ack: Option<&Arc<Collector>>,
    ) -> bool {
        let mut held = self.held.lock();
        let Some(queue) = held.as_mut() else {
            return false;
        };
        if !volatile {
            if let Some(c) = ack {
                self.acks.lock().insert(c.id, c.clone());
                c.add_recipient(self.sid);
            }
            queue.push(Held {
                packet: packet.clone(),
                compress,
            });
        }
        true
    }

    /// Sends the held CONNECT and then everything sent to the socket meanwhile, in order;
    /// false when it was not held (already released).
    pub(crate) fn release(&self) -> bool {
        let mut held = self.held.lock();
        let Some(queue) = held.take() else {
            return false;
        };
        self.send_now(&self.connect_packet());
        for held in &queue {
            self.deliver(&held.packet, held.compress);
        }
        drop(held);
        if let Some(m) = self.nsp.sockets.read().get(&self.sid) {
            m.held.store(false, Ordering::Release);
        }
        true
    }

    /// The namespace.
    pub fn nsp(&self) -> &Arc<Namespace> {
        &self.nsp
    }

    pub(crate) fn session(&self) -> &SessionRef<Client> {
        &self.session
    }

    /// Queues a packet for this socket alone (never volatile); held with the CONNECT.
    pub(crate) fn send(&self, packet: &Encoded) {
        if !self.hold(packet, false, true, None) {
            self.send_now(packet);
        }
    }

    /// The CONNECT reply `{"sid", "pid"}` (the pid when recovery is on).
    pub(crate) fn connect_packet(&self) -> Encoded {
        self.nsp.parser.encode_connect(
            &self.nsp.name,
            self.sid.as_str(),
            self.pid.as_ref().map(Sid::as_str),
        )
    }

    /// Queues a packet now, past the hold (a recovery's missed packets precede CONNECT).
    pub(crate) fn send_now(&self, packet: &Encoded) {
        self.deliver(packet, true);
    }

    /// Queues a packet now; `compress`: the emit's flag (false: never deflated).
    fn deliver(&self, packet: &Encoded, compress: bool) {
        if let Some(m) = &self.nsp.metrics {
            m.sent(packet.len());
        }
        Wire::new(packet, self.nsp.deflate, compress).push(&self.session);
    }

    pub(crate) fn on_ack(&self, id: u64, args: Payload) {
        let collector = self.acks.lock().remove(&id);
        if let Some(c) = collector {
            c.reply(self.sid, args);
        }
    }

    /// Leaves the namespace once: `disconnecting` (rooms still known), leave every room,
    /// `disconnect`. With `notify_client`, a DISCONNECT packet tells the client (after the
    /// CONNECT and what it was sent, when they were still held). A socket the host was
    /// never told about leaves without events.
    pub(crate) fn close(&self, reason: DisconnectReason, notify_client: bool, io: &SocketIo) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(
            target: "roomcast::socket",
            sid = %self.sid,
            nsp = %self.nsp.name,
            reason = reason.as_str(),
            "socket disconnected"
        );
        if notify_client {
            self.release();
            self.send_now(&self.nsp.parser.encode_disconnect(&self.nsp.name));
        } else {
            self.held.lock().take();
        }
        if !self.is_announced() {
            self.remove();
            return;
        }
        let rooms: Vec<Room> = self.nsp.adapter.socket_rooms(self.sid);
        // Kept for the room observers only when there are some (see `SocketIo::left`).
        let left: Vec<Room> = if io.observes_rooms() {
            rooms.clone()
        } else {
            Vec::new()
        };
        if self.nsp.internal {
            // The admin UI's own socket: the host never heard of it.
            self.remove();
            io.left(self, reason, &left);
            return;
        }
        io.report(Event::Disconnecting {
            nsp: self.nsp.name.clone(),
            sid: self.sid,
            reason,
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
        });
        if let (Some(rec), Some(pid)) = (&self.nsp.recovery, self.pid) {
            let cluster = io.cluster().filter(|_| self.nsp.stream_log.is_some());
            match cluster {
                // In a streams cluster the session goes to Redis, for any node to restore.
                Some(c) if recovery::recoverable(reason) => c.persist_session(
                    &self.session_record(pid, &rooms),
                    rec.cfg.max_disconnection_duration,
                ),
                Some(c) => c.forget_session(pid.as_str()),
                None if recovery::recoverable(reason) => {
                    rec.save(self.sid, pid, rooms, self.data.lock().clone())
                }
                None => {}
            }
        }
        // Counted before the socket leaves the gauges, so whoever sees it gone there also
        // sees its reason counted.
        if let Some(m) = &self.nsp.metrics {
            m.disconnected(reason.as_str());
        }
        self.remove();
        io.left(self, reason, &left);
        io.report(Event::Disconnect {
            nsp: self.nsp.name.clone(),
            sid: self.sid,
            reason,
        });
        io.drop_if_empty(&self.nsp);
    }

    /// The session as the streams adapter stores it.
    pub(crate) fn session_record(
        &self,
        pid: Sid,
        rooms: &[Room],
    ) -> crate::adapter::cluster::SessionRecord {
        crate::adapter::cluster::SessionRecord {
            sid: self.sid.to_string(),
            pid: pid.to_string(),
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            data: self
                .data
                .lock()
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        }
    }

    /// Whether the socket is still in its namespace.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Takes the socket out of its rooms, its namespace and its connection; tells the
    /// acks it was asked for that it is gone.
    fn remove(&self) {
        self.nsp.adapter.del_all(self.sid);
        self.nsp.sockets.write().remove(&self.sid);
        {
            let mut mine = self.session.data.sockets.lock();
            if mine.get(&self.nsp.name).is_some_and(|s| s.sid == self.sid) {
                mine.remove(&self.nsp.name);
            }
        }
        let pending: Vec<_> = self.acks.lock().drain().map(|(_, c)| c).collect();
        for c in pending {
            c.recipient_gone();
        }
    }

    /// Refuses a socket still waiting on middleware: what was held is dropped, it leaves
    /// silently, and the client gets `packet` (CONNECT_ERROR) instead of CONNECT.
    pub(crate) fn refuse(&self, packet: &Encoded) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        self.held.lock().take();
        self.remove();
        self.send_now(packet);
    }
}
