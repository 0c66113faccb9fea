//! The engine's handler: a connection's Socket.IO state from its handshake to its close,
//! its frames decoded with the server's parser and dispatched by packet type, and what
//! breaks the protocol closed as socket.io closes it.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::inbound::Budget;
use super::{AckHandle, Client, DisconnectReason, Event, SocketIo};
use crate::engine::{CloseReason, Handler, Handshake, Message, SessionRef};
use crate::protocol::{self, Decoded, Packet, PacketBody, Parser};
use crate::sid::Sid;

impl SocketIo {
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
