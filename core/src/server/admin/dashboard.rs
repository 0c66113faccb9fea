//! The admin namespace as the server runs it: turning it on, a dashboard's login and
//! actions (join, leave, disconnect, emit), and what every dashboard is told (stats,
//! socket and room changes, messages in development mode).

use serde_json::{json, Value};
use std::sync::Arc;

use super::format::{now, serialize};
use super::{check, Admin, EngineCounts};
use crate::adapter::{BroadcastOptions, Room};
use crate::config::AdminUi;
use crate::engine::{CloseReason, SessionRef};
use crate::protocol::{Parser, Payload};
use crate::server::{Client, DisconnectReason, Error, Namespace, Socket, SocketIo};
use crate::sid::Sid;

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
    pub(crate) fn install_admin(&self, cfg: AdminUi, counts: EngineCounts) -> Result<(), Error> {
        check(&cfg).map_err(Error::Config)?;
        let admin = Arc::new(Admin::new(cfg));
        let _ = admin.counts.set(counts);
        {
            let mut all = self.namespaces.write();
            if all.contains_key(&admin.nsp) {
                return Err(Error::InvalidArgument(format!(
                    "admin UI: namespace {} is already in use",
                    admin.nsp
                )));
            }
            if self.admin.set(admin.clone()).is_err() {
                return Err(Error::InvalidArgument("the admin UI is already on".into()));
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
