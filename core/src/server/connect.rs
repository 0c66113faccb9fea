//! A client's CONNECT to a namespace: the namespace rule, the host's middleware (a
//! connect request, with the socket held in connect-hold mode), a recovered session's
//! rooms, data and missed packets, then the socket and its `Connection` event.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::recovery::{After, Restored};
use super::{
    recovery, stream_log, Client, ConnectRequest, DisconnectReason, Event, Namespace,
    PendingConnect, Socket, SocketIo,
};
use crate::engine::{CloseReason, SessionRef};
use crate::sid::Sid;

impl SocketIo {
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

    pub(super) fn connect_socket(
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
    pub(super) fn announce(
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

    pub(super) fn on_connect(&self, session: &SessionRef<Client>, nsp: &str, auth: Option<String>) {
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
}
