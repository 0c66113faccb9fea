//! Plain WebSocket connections as members of a namespace's rooms, beside its Socket.IO
//! sockets: a room emit reaches both kinds, the plain ones in the text (or binary) form
//! their route's [`Delivery`] rule gives, encoded once per broadcast and rule.
//!
//! Which emits reach them: those addressed to rooms they are in (their own id room
//! included), with `except` and `volatile` as for sockets. A namespace-wide emit (no
//! target room, `io.emit`) reaches the Socket.IO sockets only: those are the Socket.IO
//! app's own events (presence counts and the like), which a plain client could not tell
//! apart under the `first_arg` rule. Acknowledgements are not asked of plain connections:
//! an emit with ack reaches them without waiting for them.
//!
//! A plain connection has an id (a [`Sid`], in the id space of sockets, and a room of its
//! own as a socket has), reports `PlainConnection`, `PlainMessage` and `PlainClose` to the
//! host in the one ordered event stream, and takes commands by id (send, join, leave,
//! close). Its message events count against the same inbound budgets as a socket's.

use bytes::Bytes;
use serde_json::value::RawValue;
use std::cell::OnceCell;
use std::sync::Arc;
use tokio::runtime::Handle;

use super::inbound::Budget;
use super::{Error, Event, Namespace, SocketIo};
use crate::adapter::{BroadcastOptions, Room};
use crate::config::AllowFuture;
use crate::engine::plain::{PlainHandler, PlainRef};
use crate::engine::{CloseReason, Deflatable, Frame, Handshake, Message, Pushed};
use crate::protocol::{placeholder_index, Payload};
use crate::route::{Delivery, PlainRoute};
use crate::sid::Sid;
use crate::text::Text;

/// A message from or to a plain connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlainData {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl PlainData {
    fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) => b.len(),
        }
    }
}

/// A route as its connections see it.
pub(crate) struct RouteState {
    pub path: Arc<str>,
    pub rooms: Vec<Room>,
    pub namespace: String,
    pub delivery: Delivery,
    pub relay_event: Option<String>,
}

/// The Socket.IO layer's state of one plain connection.
pub struct PlainConn {
    route: Arc<RouteState>,
    nsp: Arc<Namespace>,
    handshake: Arc<Handshake>,
    inbound: Arc<Budget>,
}

/// A plain connection's session.
pub(crate) type PlainSession = PlainRef<PlainConn>;

/// A check run before the 101 (the host's verdict on a `PlainRequest`).
pub(crate) type Verify = Arc<dyn Fn(&str, &Handshake) -> AllowFuture + Send + Sync>;

/// The handler of one plain route.
pub(crate) struct RouteHandler {
    io: Arc<SocketIo>,
    route: Arc<RouteState>,
    verify: Option<Verify>,
}

impl RouteHandler {
    /// The handler of `route`; its namespace must be accepted (checked by the config).
    pub(crate) fn new(io: &Arc<SocketIo>, route: &PlainRoute, verify: Option<Verify>) -> Self {
        Self {
            io: io.clone(),
            route: Arc::new(RouteState {
                path: Arc::from(route.path.as_str()),
                rooms: route.rooms.iter().map(|r| Arc::from(r.as_str())).collect(),
                namespace: route.namespace.clone(),
                delivery: route.delivery,
                relay_event: route.relay_event.clone(),
            }),
            verify: verify.filter(|_| route.verify),
        }
    }
}

impl PlainHandler for RouteHandler {
    type Data = PlainConn;

    fn verify(&self, handshake: &Handshake) -> Option<AllowFuture> {
        self.verify.as_ref().map(|v| v(&self.route.path, handshake))
    }

    fn create(&self, _id: Sid, handshake: Handshake) -> Option<PlainConn> {
        // The namespace is looked up per connection: a dynamic one may have been removed
        // while empty and is created again. The config checked that a rule accepts it.
        let nsp = self.io.namespace(&self.route.namespace).ok()?;
        Some(PlainConn {
            route: self.route.clone(),
            nsp,
            handshake: Arc::new(handshake),
            inbound: Budget::new(
                self.io.cfg.max_pending_events,
                self.io.cfg.max_pending_bytes,
            ),
        })
    }

    fn on_open(&self, conn: &PlainSession) {
        let c = &conn.data.user;
        c.nsp.insert_plain(conn.clone());
        if !c.route.rooms.is_empty() {
            c.nsp.adapter().add_all(conn.sid, &c.route.rooms);
            self.io.rooms_added(&c.nsp.name, &c.route.rooms);
        }
        self.io.plain.write().insert(conn.sid, conn.clone());
        self.io.report(Event::PlainConnection {
            route: c.route.path.clone(),
            id: conn.sid,
            handshake: c.handshake.clone(),
        });
    }

    fn on_message(&self, conn: &PlainSession, msg: Message<'_>) {
        let c = &conn.data.user;
        let data = match msg {
            Message::Text(t) => PlainData::Text(t.to_owned()),
            Message::Binary(b) => PlainData::Binary(b),
        };
        if let Some(m) = &self.io.cfg.metrics {
            m.received(data.len());
        }
        let relay = match (&data, &c.route.relay_event) {
            (PlainData::Text(t), Some(event)) => Some((event, t.clone())),
            _ => None,
        };
        let bytes = data.len();
        let over = self.io.report_charged(
            &c.inbound,
            Event::PlainMessage {
                route: c.route.path.clone(),
                id: conn.sid,
                data,
            },
            bytes,
        );
        if over {
            conn.close(CloseReason::InboundOverflow);
            return;
        }
        if let Some((event, text)) = relay {
            let own = conn.sid.as_str();
            let rooms: Vec<Room> = c
                .nsp
                .adapter()
                .socket_rooms(conn.sid)
                .into_iter()
                .filter(|r| &**r != own)
                .collect();
            if !rooms.is_empty() {
                let opts = BroadcastOptions {
                    rooms,
                    ..BroadcastOptions::default()
                }
                .except(own);
                let args = Payload::single(&serde_json::Value::String(text));
                let _ = self.io.emit(&c.nsp.name, &opts, event, &args);
            }
        }
    }

    fn ready(
        &self,
        conn: &PlainSession,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>> {
        let budget = &conn.data.user.inbound;
        if budget.has_room() && self.io.inbound.has_room() {
            return None;
        }
        Some(Box::pin(Budget::wait_for_room(
            budget.clone(),
            self.io.inbound.clone(),
        )))
    }

    fn on_close(&self, conn: &PlainSession, why: CloseReason) {
        let c = &conn.data.user;
        c.nsp.remove_plain(conn.sid);
        self.io.plain.write().remove(&conn.sid);
        let (code, reason) = conn.closing(why);
        self.io.report(Event::PlainClose {
            route: c.route.path.clone(),
            id: conn.sid,
            code,
            reason,
        });
        self.io.drop_if_empty(&c.nsp);
    }
}

/// Checks a close status a host may send: 1000 to 1003, 1007 to 1014, or 3000 to 4999
/// (the rest are reserved, as for the browser's `WebSocket.close`); the reason at most
/// 123 bytes.
fn check_close(code: u16, reason: &str) -> Result<(), Error> {
    let ok = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
    if !ok {
        return Err(Error::InvalidArgument(format!(
            "close code {code}: use 1000-1003, 1007-1014 or 3000-4999"
        )));
    }
    if reason.len() > 123 {
        return Err(Error::InvalidArgument(
            "close reason longer than 123 bytes".into(),
        ));
    }
    Ok(())
}

impl SocketIo {
    fn plain_conn(&self, id: Sid) -> Result<PlainSession, Error> {
        self.plain
            .read()
            .get(&id)
            .cloned()
            .ok_or(Error::NoSuchSocket)
    }

    /// Sends one message to plain connection `id` (its queue bound applies: overflow drops
    /// it as a slow consumer).
    pub fn plain_send(&self, id: Sid, data: PlainData) -> Result<(), Error> {
        let conn = self.plain_conn(id)?;
        let frame = match data {
            PlainData::Text(t) => Frame::Text(Text::from(t)),
            PlainData::Binary(b) => Frame::Binary(b),
        };
        let frame = match self.cfg.deflate_threshold {
            Some(threshold) if frame.len() >= threshold => Deflatable::wrap(frame),
            _ => frame,
        };
        if let Some(m) = &self.cfg.metrics {
            m.sent(frame.len());
        }
        conn.push_frame(frame);
        Ok(())
    }

    /// Puts plain connection `id` in `rooms` of its namespace (the limits of sockets apply).
    pub fn plain_join(&self, id: Sid, rooms: &[&str]) -> Result<(), Error> {
        let conn = self.plain_conn(id)?;
        self.join_in(&conn.data.user.nsp, id, rooms)?;
        if conn.is_closed() {
            // It closed meanwhile: its rooms may have been left before this join.
            conn.data.user.nsp.adapter().del_all(id);
        }
        Ok(())
    }

    /// Takes plain connection `id` out of `rooms`.
    pub fn plain_leave(&self, id: Sid, rooms: &[&str]) -> Result<(), Error> {
        let conn = self.plain_conn(id)?;
        let rooms: Vec<Room> = rooms.iter().map(|r| Arc::from(*r)).collect();
        conn.data.user.nsp.adapter().del(id, &rooms);
        Ok(())
    }

    /// The rooms of plain connection `id` (its own id room included), sorted.
    pub fn plain_rooms(&self, id: Sid) -> Result<Vec<String>, Error> {
        let conn = self.plain_conn(id)?;
        let mut rooms: Vec<String> = conn
            .data
            .user
            .nsp
            .adapter()
            .socket_rooms(id)
            .iter()
            .map(|r| r.to_string())
            .collect();
        rooms.sort();
        Ok(rooms)
    }

    /// Closes plain connection `id` with `code` and `reason`, after what is queued.
    pub fn plain_close(&self, id: Sid, code: u16, reason: &str) -> Result<(), Error> {
        check_close(code, reason)?;
        let conn = self.plain_conn(id)?;
        conn.close_with(code, reason, CloseReason::ForcedClose);
        Ok(())
    }

    /// The route and namespace of plain connection `id`.
    pub fn plain_route(&self, id: Sid) -> Result<(Arc<str>, Arc<str>), Error> {
        let conn = self.plain_conn(id)?;
        let c = &conn.data.user;
        Ok((c.route.path.clone(), c.nsp.name.clone()))
    }

    /// Closes every plain connection (the server stops): 1001, going away.
    pub(crate) fn close_all_plain(&self) {
        let all: Vec<_> = self.plain.read().values().cloned().collect();
        for c in all {
            c.close(CloseReason::ServerShuttingDown);
        }
    }
}

/// What a broadcast sends plain members: built from the event and its arguments at most
/// once per delivery rule, on the first plain recipient of that rule.
pub(crate) struct PlainSource<'a> {
    event: &'a str,
    args: &'a Payload,
    json_array: OnceCell<(Frame, Vec<Bytes>)>,
    first_arg: OnceCell<Frame>,
}

impl<'a> PlainSource<'a> {
    pub(crate) fn new(event: &'a str, args: &'a Payload) -> Self {
        Self {
            event,
            args,
            json_array: OnceCell::new(),
            first_arg: OnceCell::new(),
        }
    }

    /// The frames for `rule`: the head and the binary frames after it.
    fn form(&self, rule: Delivery) -> (&Frame, &[Bytes]) {
        match rule {
            Delivery::JsonArray => {
                let (head, bins) = self.json_array.get_or_init(|| {
                    let json = self.args.json();
                    let inner = json[1..json.len() - 1].trim();
                    let name = serde_json::to_string(self.event).expect("a str serializes");
                    let text = if inner.is_empty() {
                        format!("[{name}]")
                    } else {
                        format!("[{name},{inner}]")
                    };
                    (Frame::Text(Text::from(text)), self.args.attachments.clone())
                });
                (head, bins)
            }
            Delivery::FirstArg => (self.first_arg.get_or_init(|| first_arg(self.args)), &[]),
        }
    }
}

/// The first argument alone: a string as its text, a binary placeholder as the binary,
/// anything else as its JSON text; no argument, an empty text.
fn first_arg(args: &Payload) -> Frame {
    let first = serde_json::from_str::<Vec<&RawValue>>(args.json())
        .ok()
        .and_then(|v| v.first().map(|r| r.get().to_owned()));
    let Some(raw) = first else {
        return Frame::Text(Text::from_static(""));
    };
    if raw.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(&raw) {
            return Frame::Text(Text::from(s));
        }
    }
    if raw.starts_with('{') {
        let index = serde_json::from_str(&raw)
            .ok()
            .and_then(|v| placeholder_index(&v));
        if let Some(b) = index.and_then(|i| args.attachments.get(i)) {
            return Frame::Binary(b.clone());
        }
    }
    Frame::Text(Text::from(raw))
}

/// A broadcast's plain recipients: queues their frames under the namespace's locks and
/// leaves the wake-ups and slow-consumer closes for after them (as for sockets).
pub(crate) struct PlainFanout<'a> {
    source: &'a PlainSource<'a>,
    on_runtime: bool,
    /// The deflate threshold when this broadcast may go compressed (see `super::wire`),
    /// and each delivery rule's deflatable head, made once per broadcast.
    deflate: Option<usize>,
    deflatable: [Option<Frame>; 2],
    pub(crate) delivered: usize,
    pub(crate) dropped: usize,
    to_wake: Vec<PlainSession>,
    overflowed: Vec<PlainSession>,
}

impl<'a> PlainFanout<'a> {
    pub(crate) fn new(
        source: &'a PlainSource<'a>,
        on_runtime: bool,
        deflate: Option<usize>,
    ) -> Self {
        Self {
            source,
            on_runtime,
            deflate,
            deflatable: [None, None],
            delivered: 0,
            dropped: 0,
            to_wake: Vec::new(),
            overflowed: Vec::new(),
        }
    }

    /// Queues the broadcast for one plain member.
    pub(crate) fn offer(&mut self, conn: &PlainSession, volatile: bool) {
        let rule = conn.data.user.route.delivery;
        let (head, bins) = self.source.form(rule);
        let head = match self.deflate {
            Some(threshold) if head.len() >= threshold => {
                let slot = &mut self.deflatable[usize::from(rule == Delivery::FirstArg)];
                slot.get_or_insert_with(|| Deflatable::wrap(head.clone()))
                    .clone()
            }
            _ => head.clone(),
        };
        match conn.enqueue(head, bins, volatile) {
            (Pushed::Queued, wake) => {
                self.delivered += 1;
                if wake && self.on_runtime {
                    conn.wake();
                } else if wake {
                    self.to_wake.push(conn.clone());
                }
            }
            (Pushed::Overflow, _) => self.overflowed.push(conn.clone()),
            (Pushed::Dropped, _) => self.dropped += 1,
            (Pushed::Closed, _) => {}
        }
    }

    /// Wakes the writers and closes the slow consumers, once no lock is held.
    pub(crate) fn finish(self, rt: &Handle) {
        if !self.to_wake.is_empty() {
            let to_wake = self.to_wake;
            rt.spawn(async move {
                for c in to_wake {
                    c.wake();
                }
            });
        }
        for c in self.overflowed {
            c.close(CloseReason::SlowConsumer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: &Frame) -> &str {
        match f {
            Frame::Text(t) => t.as_str(),
            _ => panic!("not a text frame"),
        }
    }

    #[test]
    fn each_delivery_rule_has_its_form() {
        let args = Payload::from_json(r#"["hi \"you\"",{"a":1}]"#).unwrap();
        let s = PlainSource::new("talk", &args);
        assert_eq!(
            text(s.form(Delivery::JsonArray).0),
            r#"["talk","hi \"you\"",{"a":1}]"#
        );
        assert_eq!(text(s.form(Delivery::FirstArg).0), "hi \"you\"");
        let none = Payload::empty();
        let s = PlainSource::new("ping", &none);
        assert_eq!(text(s.form(Delivery::JsonArray).0), r#"["ping"]"#);
        assert_eq!(text(s.form(Delivery::FirstArg).0), "");
        let obj = Payload::from_json(r#"[{"n":1},2]"#).unwrap();
        assert_eq!(
            text(PlainSource::new("e", &obj).form(Delivery::FirstArg).0),
            r#"{"n":1}"#
        );
        let bin = Payload::from_json(r#"[{"_placeholder":true,"num":0}]"#)
            .unwrap()
            .with_attachments(vec![Bytes::from_static(b"\x01\x02")]);
        let s = PlainSource::new("file", &bin);
        assert_eq!(
            s.form(Delivery::FirstArg).0,
            &Frame::Binary(Bytes::from_static(b"\x01\x02"))
        );
        let (head, bins) = s.form(Delivery::JsonArray);
        assert_eq!(text(head), r#"["file",{"_placeholder":true,"num":0}]"#);
        assert_eq!(bins.len(), 1);
    }

    #[test]
    fn close_codes_are_checked() {
        assert!(check_close(1000, "bye").is_ok());
        assert!(check_close(4001, "Invalid user").is_ok());
        assert!(check_close(1005, "").is_err());
        assert!(check_close(2000, "").is_err());
        assert!(check_close(1000, &"x".repeat(124)).is_err());
    }
}
