//! A client's membership in one namespace: its acks, its host data, and the packets
//! held while the host's connect-hold mode keeps its CONNECT back.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::ack::Collector;
use super::namespace::Namespace;
use super::recovery;
use super::wire::Wire;
use super::{Client, DisconnectReason, Event, SocketIo};
use crate::adapter::Room;
use crate::engine::SessionRef;
use crate::protocol::{Encoded, Payload};
use crate::sid::Sid;

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

    /// Whether its CONNECT is held (connect-hold mode, before [`Socket::release`]).
    pub(super) fn is_held(&self) -> bool {
        self.held.lock().is_some()
    }

    /// Keeps `packet` for later when the CONNECT is still held (a volatile one is dropped),
    /// with its `compress` flag; false when the socket is not held (the caller sends it now).
    pub(super) fn hold(
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
        self.nsp.released(self.sid);
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
        if let Some(m) = self.nsp.metrics() {
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
        let rooms: Vec<Room> = self.nsp.adapter().socket_rooms(self.sid);
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
        if let Some(m) = self.nsp.metrics() {
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
        self.nsp.remove(self.sid);
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
