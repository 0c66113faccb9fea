//! Namespaces and the sockets in them.

use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

use super::ack::Collector;
use super::plain::{PlainFanout, PlainSession, PlainSource};
use super::recovery::Recovery;
use super::stream_log::StreamLog;
use super::wire::Wire;
use super::{Client, Event, Socket, SocketIo};
use crate::adapter::{Adapter, BroadcastOptions, LocalAdapter};
use crate::config::RecoveryConfig;
use crate::engine::{Pushed, SessionRef};
use crate::metrics::Metrics;
use crate::protocol::{Encoded, Parser};
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
        let session = socket.session().clone();
        let held = AtomicBool::new(socket.is_held());
        let member = Member {
            socket,
            session,
            held,
        };
        sockets.insert(member.socket.sid, member);
        true
    }

    /// Whether [`SocketIo::drop_if_empty`] removed this namespace.
    /// Clears the held hint of socket `sid`: its CONNECT went out ([`Socket::release`]).
    pub(super) fn released(&self, sid: Sid) {
        if let Some(m) = self.sockets.read().get(&sid) {
            m.held.store(false, Ordering::Release);
        }
    }

    /// Takes socket `sid` out of its rooms and out of the namespace.
    pub(super) fn remove(&self, sid: Sid) {
        self.adapter.del_all(sid);
        self.sockets.write().remove(&sid);
    }

    /// The server's counters, when metrics are on.
    pub(super) fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.as_ref()
    }

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
