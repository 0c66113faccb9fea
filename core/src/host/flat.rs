//! Events as flat records, for bindings that hand them to another language (C structs,
//! JavaScript arrays): one place unpacks the [`Event`] variants, and the client ack
//! requests go into an [`AckTokens`] table on the way, so a binding only converts fields.

use std::sync::Arc;

use super::{
    AckResult, AckTokens, DisconnectReason, Event, Handshake, Payload, PlainData, RoomChange, Sid,
};

/// What happened (the variant of [`Event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// [`Event::AllowRequest`].
    AllowRequest,
    /// [`Event::ConnectRequest`].
    ConnectRequest,
    /// [`Event::Connection`].
    Connection,
    /// [`Event::Message`].
    Message,
    /// [`Event::AckResponse`].
    AckResponse,
    /// [`Event::Disconnecting`].
    Disconnecting,
    /// [`Event::ServerSideEmit`].
    ServerSideEmit,
    /// [`Event::ClusterReply`].
    ClusterReply,
    /// [`Event::Disconnect`].
    Disconnect,
    /// [`Event::PlainRequest`].
    PlainRequest,
    /// [`Event::PlainConnection`].
    PlainConnection,
    /// [`Event::PlainMessage`].
    PlainMessage,
    /// [`Event::PlainClose`].
    PlainClose,
    /// [`Event::ConnectionError`].
    ConnectionError,
    /// [`Event::Upgrade`].
    Upgrade,
    /// [`Event::CorsOrigin`].
    CorsOrigin,
    /// [`Event::Room`] (what changed is in `room_change`).
    Room,
}

/// An event's fields; those its kind does not have are empty (`None`, 0, false).
#[derive(Debug)]
pub struct FlatEvent {
    /// What happened.
    pub kind: EventKind,
    /// Namespace (all kinds but `AllowRequest`, `CorsOrigin` and `AckResponse`).
    pub nsp: Option<Arc<str>>,
    /// The socket (for `ConnectRequest`, the id it will have once accepted).
    pub sid: Option<Sid>,
    /// Event name (`Message`, `ServerSideEmit`).
    pub event: Option<String>,
    /// Arguments after the name (`Message`, `ServerSideEmit`).
    pub args: Option<Payload>,
    /// The client's `auth` JSON text (`ConnectRequest`, `Connection`), when it sent one.
    pub auth: Option<String>,
    /// The opening request (`AllowRequest`, `CorsOrigin`, `ConnectRequest`, `Connection`).
    pub handshake: Option<Arc<Handshake>>,
    /// Request method (`AllowRequest`, `CorsOrigin`).
    pub method: Option<String>,
    /// Why (`Disconnecting`, `Disconnect`).
    pub reason: Option<DisconnectReason>,
    /// The socket's rooms (`Disconnecting`).
    pub rooms: Option<Vec<String>>,
    /// The request id to answer (`AllowRequest`: `allow_request`; `CorsOrigin`:
    /// `allow_origin`; `ConnectRequest`:
    /// `accept`/`reject`), or the id a `ClusterReply` answers, else 0.
    pub request: u64,
    /// The ack token of a `Message` or `ServerSideEmit` that waits for an answer (see
    /// [`AckTokens`]).
    pub ack: Option<u64>,
    /// The outcome of an emit with ack (`AckResponse`).
    pub ack_result: Option<AckResult>,
    /// The socket was recovered (`ConnectRequest`, `Connection`).
    pub recovered: bool,
    /// The answer of a cluster request (`ClusterReply`; its id is in `request`).
    pub reply: Option<serde_json::Value>,
    /// The route's path (the `Plain*` kinds; the connection's id is in `sid`).
    pub route: Option<Arc<str>>,
    /// What a plain connection sent (`PlainMessage`).
    pub data: Option<PlainData>,
    /// The close status (`PlainClose`), engine.io's error code (`ConnectionError`), else 0.
    pub code: u16,
    /// engine.io's message for the code (`ConnectionError`).
    pub message: Option<&'static str>,
    /// engine.io's error context (`ConnectionError`).
    pub context: Option<serde_json::Value>,
    /// The Engine.IO session id (`Upgrade`).
    pub conn_id: Option<Arc<str>>,
    /// The close reason (`PlainClose`).
    pub close_reason: Option<String>,
    /// What changed (`Room`; the member, for `Join` and `Leave`, is in `sid`).
    pub room_change: Option<RoomChange>,
    /// The room (`Room`).
    pub room: Option<Arc<str>>,
}

impl FlatEvent {
    fn new(kind: EventKind) -> Self {
        Self {
            kind,
            nsp: None,
            sid: None,
            event: None,
            args: None,
            auth: None,
            handshake: None,
            method: None,
            reason: None,
            rooms: None,
            request: 0,
            ack: None,
            ack_result: None,
            recovered: false,
            reply: None,
            route: None,
            data: None,
            code: 0,
            message: None,
            context: None,
            conn_id: None,
            close_reason: None,
            room_change: None,
            room: None,
        }
    }
}

impl AckTokens {
    /// Flattens `event` on its way to the host; its ack request, if any, gets a token in
    /// this table (see [`AckTokens::track`]).
    pub fn flatten(&self, mut event: Event) -> FlatEvent {
        let ack = self.track(&mut event);
        let mut f;
        match event {
            Event::AllowRequest {
                request,
                method,
                handshake,
            } => {
                f = FlatEvent::new(EventKind::AllowRequest);
                f.request = request.id();
                f.method = Some(method);
                f.handshake = Some(handshake);
            }
            Event::CorsOrigin {
                request,
                method,
                handshake,
            } => {
                f = FlatEvent::new(EventKind::CorsOrigin);
                f.request = request.id();
                f.method = Some(method);
                f.handshake = Some(handshake);
            }
            Event::ConnectRequest {
                request,
                nsp,
                auth,
                handshake,
                recovered,
            } => {
                f = FlatEvent::new(EventKind::ConnectRequest);
                f.request = request.id();
                (f.nsp, f.sid, f.auth) = (Some(nsp), request.sid(), auth);
                (f.handshake, f.recovered) = (Some(handshake), recovered);
            }
            Event::Connection {
                nsp,
                sid,
                auth,
                handshake,
                recovered,
            } => {
                f = FlatEvent::new(EventKind::Connection);
                (f.nsp, f.sid, f.auth) = (Some(nsp), Some(sid), auth);
                (f.handshake, f.recovered) = (Some(handshake), recovered);
            }
            Event::Message {
                nsp,
                sid,
                event,
                args,
                ..
            } => {
                f = FlatEvent::new(EventKind::Message);
                (f.nsp, f.sid) = (Some(nsp), Some(sid));
                (f.event, f.args) = (Some(event), Some(args));
            }
            Event::AckResponse(result) => {
                f = FlatEvent::new(EventKind::AckResponse);
                f.ack_result = Some(result);
            }
            Event::Disconnecting {
                nsp,
                sid,
                reason,
                rooms,
            } => {
                f = FlatEvent::new(EventKind::Disconnecting);
                (f.nsp, f.sid) = (Some(nsp), Some(sid));
                (f.reason, f.rooms) = (Some(reason), Some(rooms));
            }
            Event::ServerSideEmit {
                nsp, event, args, ..
            } => {
                f = FlatEvent::new(EventKind::ServerSideEmit);
                f.nsp = Some(nsp);
                (f.event, f.args) = (Some(event), Some(args));
            }
            Event::ClusterReply { id, reply } => {
                f = FlatEvent::new(EventKind::ClusterReply);
                (f.request, f.reply) = (id, Some(reply));
            }
            Event::Disconnect { nsp, sid, reason } => {
                f = FlatEvent::new(EventKind::Disconnect);
                (f.nsp, f.sid, f.reason) = (Some(nsp), Some(sid), Some(reason));
            }
            Event::PlainRequest {
                request,
                route,
                handshake,
            } => {
                f = FlatEvent::new(EventKind::PlainRequest);
                f.request = request.id();
                (f.route, f.handshake) = (Some(route), Some(handshake));
            }
            Event::PlainConnection {
                route,
                id,
                handshake,
            } => {
                f = FlatEvent::new(EventKind::PlainConnection);
                (f.route, f.sid, f.handshake) = (Some(route), Some(id), Some(handshake));
            }
            Event::PlainMessage { route, id, data } => {
                f = FlatEvent::new(EventKind::PlainMessage);
                (f.route, f.sid, f.data) = (Some(route), Some(id), Some(data));
            }
            Event::PlainClose {
                route,
                id,
                code,
                reason,
            } => {
                f = FlatEvent::new(EventKind::PlainClose);
                (f.route, f.sid, f.code) = (Some(route), Some(id), code);
                f.close_reason = Some(reason);
            }
            Event::ConnectionError {
                code,
                message,
                context,
                method,
                handshake,
            } => {
                f = FlatEvent::new(EventKind::ConnectionError);
                (f.code, f.message, f.context) = (code.into(), Some(message), Some(context));
                (f.method, f.handshake) = (Some(method), Some(handshake));
            }
            Event::Upgrade { conn_id } => {
                f = FlatEvent::new(EventKind::Upgrade);
                f.conn_id = Some(conn_id);
            }
            Event::Room {
                nsp,
                kind,
                room,
                sid,
            } => {
                f = FlatEvent::new(EventKind::Room);
                (f.nsp, f.sid) = (Some(nsp), sid);
                (f.room_change, f.room) = (Some(kind), Some(room));
            }
        }
        f.ack = ack;
        f
    }
}
