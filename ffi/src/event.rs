//! Events as C sees them: one flat struct whose strings and buffers are owned by the
//! library and borrowed by the host (for the callback, or until `roomcast_event_free`).

use bytes::Bytes;
use std::ffi::{c_char, CString};

use roomcast::host::Handshake;
use roomcast::host::{AckTokens, Event, EventKind, PlainData, RoomChange};
use roomcast::Payload;

use crate::types::roomcast_bytes;

/// What happened.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum roomcast_event_kind {
    /// A client asks to join a namespace with middleware: answer with
    /// `roomcast_accept` / `roomcast_reject` using `request`.
    ROOMCAST_EVENT_CONNECT_REQUEST = 1,
    /// A socket joined a namespace.
    ROOMCAST_EVENT_CONNECTION = 2,
    /// A client emitted an event (`event_name`, `args_json`, `attachments`, maybe `ack`).
    ROOMCAST_EVENT_MESSAGE = 3,
    /// Replies to `roomcast_emit_with_ack` (`ack_response_id`, `replies`, `timed_out`).
    ROOMCAST_EVENT_ACK_RESPONSE = 4,
    /// A socket is leaving; `rooms_json` still lists its rooms.
    ROOMCAST_EVENT_DISCONNECTING = 5,
    /// A socket left (`reason`).
    ROOMCAST_EVENT_DISCONNECT = 6,
    /// (revision 4) Another node of the Redis cluster called `serverSideEmit`
    /// (`nsp`, `event_name`, `args_json`; `ack` when it waits for an answer: answer with
    /// `roomcast_ack_send`, whose first argument is the reply). `sid` is NULL.
    ROOMCAST_EVENT_SERVER_SIDE_EMIT = 7,
    /// (revision 8, with `roomcast_config_set_allow_request`) An Engine.IO handshake asks to
    /// open a connection; no session exists yet. `handshake_json` is the request (its
    /// method is always GET); answer with `roomcast_allow_request(srv, ev->request, ...)`.
    /// `nsp` and `sid` are NULL.
    ROOMCAST_EVENT_ALLOW_REQUEST = 8,
    /// (revision 9) The answer of `roomcast_cluster_request` (`request_id`, `reply_json`).
    ROOMCAST_EVENT_CLUSTER_REPLY = 9,
    /// (revision 16) A plain WebSocket upgrade on a route with `verify` asks to connect
    /// (`route`, `handshake_json` with its cookies): answer with
    /// `roomcast_allow_request(srv, ev->request, ...)` before the 101. `sid` is NULL.
    ROOMCAST_EVENT_PLAIN_REQUEST = 10,
    /// (revision 16) A plain WebSocket connection opened on `route`; `sid` is its id (it is
    /// in the room of that id), `handshake_json` the upgrade request.
    ROOMCAST_EVENT_PLAIN_CONNECTION = 11,
    /// (revision 16) A plain connection `sid` sent `data` (text when `data_binary` is
    /// false: UTF-8, not NUL-terminated; else binary).
    ROOMCAST_EVENT_PLAIN_MESSAGE = 12,
    /// (revision 16) A plain connection `sid` closed with `close_code` and `reason` (the
    /// client's close frame, else the server's, else 1006 and why, e.g. "ping timeout").
    ROOMCAST_EVENT_PLAIN_CLOSE = 13,
    /// (revision 18, with `roomcast_report_connection_errors`) The engine refused a request
    /// (engine.io's `connection_error`): `error_code`, its message in `reason`,
    /// `context_json`, `method`, `handshake_json`. `nsp` and `sid` are NULL.
    ROOMCAST_EVENT_CONNECTION_ERROR = 14,
    /// (revision 18, with `roomcast_report_upgrades`) Connection `conn_id` moved from
    /// polling to WebSocket. `nsp` and `sid` are NULL.
    ROOMCAST_EVENT_UPGRADE = 15,
    /// (revision 21, with `roomcast_config_set_cors_origin_hook`) A request to the
    /// Engine.IO path (preflights included) asks whether its origin may read the response:
    /// `request`, `method`, `handshake_json` (its `headers` hold `origin`, absent for a
    /// client that is not a browser). Answer with `roomcast_allow_origin`. `nsp` and `sid`
    /// are NULL.
    ROOMCAST_EVENT_CORS_ORIGIN = 16,
    /// (revision 22, with `roomcast_observe_rooms`) Room `room` of namespace `nsp` came
    /// into being (socket.io's `create-room`); its first member's ROOM_JOIN follows.
    /// `sid` is NULL.
    ROOMCAST_EVENT_ROOM_CREATE = 17,
    /// (revision 22, with `roomcast_observe_rooms`) Room `room` of `nsp` lost its last
    /// member on this node (`delete-room`), after that member's ROOM_LEAVE. `sid` is NULL.
    ROOMCAST_EVENT_ROOM_DELETE = 18,
    /// (revision 22, with `roomcast_observe_rooms`) `sid` joined room `room` of `nsp`
    /// (`join-room`; a socket's own room too, before its CONNECTION).
    ROOMCAST_EVENT_ROOM_JOIN = 19,
    /// (revision 22, with `roomcast_observe_rooms`) `sid` left room `room` of `nsp`
    /// (`leave-room`; when a socket disconnects, one per room between its DISCONNECTING
    /// and DISCONNECT).
    ROOMCAST_EVENT_ROOM_LEAVE = 20,
}

/// One client's reply to an emit with ack.
#[repr(C)]
pub struct roomcast_ack_reply {
    /// The socket that answered.
    pub sid: *const c_char,
    /// Its ack arguments, a JSON array text.
    pub args_json: *const c_char,
    /// Binary attachments referenced by placeholders in `args_json`.
    pub attachments: *const roomcast_bytes,
    /// Number of attachments.
    pub attachments_len: usize,
}

/// An event. Every pointer is owned by the library and valid only during the callback (or
/// until `roomcast_event_free` in pull mode); fields that do not apply to `kind` are NULL/0.
/// The library allocates events; later versions may append fields (a compatible change,
/// see `ROOMCAST_ABI_REVISION`), so never allocate or copy this struct by value.
#[repr(C)]
pub struct roomcast_event {
    /// What happened.
    pub kind: roomcast_event_kind,
    /// Namespace (all kinds but ACK_RESPONSE).
    pub nsp: *const c_char,
    /// Socket id (CONNECTION, MESSAGE, DISCONNECTING, DISCONNECT; for CONNECT_REQUEST the id
    /// the socket will have once accepted).
    pub sid: *const c_char,
    /// Event name (MESSAGE).
    pub event_name: *const c_char,
    /// Arguments after the name, a JSON array text; binary values appear as
    /// `{"_placeholder":true,"num":i}` (MESSAGE).
    pub args_json: *const c_char,
    /// Binary attachments, indexed by placeholder `num` (MESSAGE).
    pub attachments: *const roomcast_bytes,
    /// Number of attachments.
    pub attachments_len: usize,
    /// The client's `auth` object as JSON text, NULL when it sent none (CONNECT_REQUEST,
    /// CONNECTION).
    pub auth_json: *const c_char,
    /// The opening HTTP request as JSON: `{"headers":{..},"query":"raw query","url":..,
    /// "address":..,"issued":ms,"cookies":[[name,value],..],"conn_id":".."}` (CONNECT_REQUEST,
    /// CONNECTION, ALLOW_REQUEST, PLAIN_REQUEST, PLAIN_CONNECTION, CONNECTION_ERROR;
    /// `cookies` since revision 16; `conn_id`, the Engine.IO connection id, since revision
    /// 18: for ALLOW_REQUEST the id the session gets unless `roomcast_allow_request_with`
    /// names another, empty where no session opens).
    pub handshake_json: *const c_char,
    /// socket.io's reason string, e.g. "transport close", "client namespace disconnect",
    /// "server shutting down" (DISCONNECTING, DISCONNECT).
    pub reason: *const c_char,
    /// The socket's rooms, a JSON array of strings (DISCONNECTING).
    pub rooms_json: *const c_char,
    /// Non-zero when the client wants an acknowledgement: answer exactly once with
    /// `roomcast_ack_send` or `roomcast_ack_drop` (MESSAGE).
    pub ack: u64,
    /// The request to pass to `roomcast_accept` / `roomcast_reject` (CONNECT_REQUEST), or to
    /// `roomcast_allow_request` (ALLOW_REQUEST).
    pub request: u64,
    /// The id `roomcast_emit_with_ack` returned (ACK_RESPONSE).
    pub ack_response_id: u64,
    /// Replies that arrived, in arrival order (ACK_RESPONSE).
    pub replies: *const roomcast_ack_reply,
    /// Number of replies.
    pub replies_len: usize,
    /// True when not every recipient answered: the timeout fired, or the recipients left
    /// disconnected first (then the event comes at once, without waiting for the timeout)
    /// (ACK_RESPONSE).
    pub timed_out: bool,
    /// Recipients that disconnected before answering (ACK_RESPONSE). Appended in ABI
    /// revision 2: read it only when `roomcast_abi_revision() >= 2`.
    pub disconnected: usize,
    /// Connection state recovery brought the socket back: same `sid`, its rooms and data
    /// restored, the events it missed replayed (CONNECTION; on CONNECT_REQUEST, the client
    /// asks to recover a session that is still known). Appended in ABI revision 3.
    pub recovered: bool,
    /// The id `roomcast_cluster_request` wrote (CLUSTER_REPLY). Appended in ABI revision 9.
    pub request_id: u64,
    /// The answer, a JSON object (CLUSTER_REPLY): `{"value": …, "complete": bool,
    /// "answered": n, "expected": n}` (`complete` false when a node did not answer in time or
    /// Redis was unreachable; `value` then holds what arrived), for SERVER_COUNT
    /// `{"value": n}` (`null` when Redis could not be asked), or `{"error": "…", "code":
    /// "ERR_…"}`. Appended in ABI revision 9.
    pub reply_json: *const c_char,
    /// The route's path (the PLAIN_* kinds). Appended in ABI revision 16.
    pub route: *const c_char,
    /// What a plain connection sent (PLAIN_MESSAGE). Appended in ABI revision 16.
    pub data: roomcast_bytes,
    /// True when `data` is a binary message, false for text (PLAIN_MESSAGE). Appended in
    /// ABI revision 16.
    pub data_binary: bool,
    /// The close status (PLAIN_CLOSE; its reason is in `reason`). Appended in ABI
    /// revision 16.
    pub close_code: u32,
    /// The Engine.IO connection id (UPGRADE; the other kinds carry it as the
    /// `handshake_json`'s `conn_id`). Appended in ABI revision 18.
    pub conn_id: *const c_char,
    /// engine.io's error code, 0 to 5 (CONNECTION_ERROR). Appended in ABI revision 18.
    pub error_code: u32,
    /// engine.io's error context, a JSON object such as `{"sid":".."}` or
    /// `{"name":"TRANSPORT_HANDSHAKE_ERROR"}` (CONNECTION_ERROR). Appended in ABI
    /// revision 18.
    pub context_json: *const c_char,
    /// The request method (CONNECTION_ERROR). Appended in ABI revision 18.
    pub method: *const c_char,
    /// The room (ROOM_CREATE, ROOM_DELETE, ROOM_JOIN, ROOM_LEAVE; the member is in
    /// `sid`). Appended in ABI revision 22.
    pub room: *const c_char,
}

/// An event and everything its pointers point into. `ev` comes first so a
/// `*mut roomcast_event` handed to C is also a `*mut OwnedEvent`.
#[repr(C)]
pub struct OwnedEvent {
    pub ev: roomcast_event,
    _strings: Vec<CString>,
    _bins: Vec<Bytes>,
    _bytes: Vec<Vec<roomcast_bytes>>,
    _replies: Vec<roomcast_ack_reply>,
}

// The raw pointers point into the event's own heap data only.
unsafe impl Send for OwnedEvent {}

/// Accumulates owned data while an event is converted.
#[derive(Default)]
struct Builder {
    strings: Vec<CString>,
    bins: Vec<Bytes>,
    bytes: Vec<Vec<roomcast_bytes>>,
}

impl Builder {
    /// Keeps `s` alive and returns its C pointer (an interior NUL becomes U+FFFD).
    fn s(&mut self, s: &str) -> *const c_char {
        let c = CString::new(s)
            .unwrap_or_else(|_| CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default());
        let p = c.as_ptr();
        self.strings.push(c);
        p
    }

    fn opt(&mut self, s: Option<&str>) -> *const c_char {
        s.map_or(std::ptr::null(), |s| self.s(s))
    }

    /// The JSON text and attachment array of a payload.
    fn payload(&mut self, p: &Payload) -> (*const c_char, *const roomcast_bytes, usize) {
        let json = self.s(p.json());
        let list: Vec<roomcast_bytes> = p
            .attachments
            .iter()
            .map(|b| roomcast_bytes {
                ptr: b.as_ptr(),
                len: b.len(),
            })
            .collect();
        self.bins.extend(p.attachments.iter().cloned());
        let (ptr, len) = (
            if list.is_empty() {
                std::ptr::null()
            } else {
                list.as_ptr()
            },
            list.len(),
        );
        self.bytes.push(list);
        (json, ptr, len)
    }

    fn handshake(&mut self, h: &Handshake) -> *const c_char {
        // Repeated headers joined as socket.io does (", ", cookies "; ").
        let headers: serde_json::Map<String, serde_json::Value> = h
            .joined_headers()
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::from(v)))
            .collect();
        let json = serde_json::json!({
            "headers": headers, "query": h.query, "url": h.url, "address": h.address, "issued": h.issued,
            "conn_id": h.conn_id,
            "cookies": h.cookies().into_iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>(),
        });
        self.s(&json.to_string())
    }
}

fn empty(kind: roomcast_event_kind) -> roomcast_event {
    let null = std::ptr::null();
    roomcast_event {
        kind,
        nsp: null,
        sid: null,
        event_name: null,
        args_json: null,
        attachments: std::ptr::null(),
        attachments_len: 0,
        auth_json: null,
        handshake_json: null,
        reason: null,
        rooms_json: null,
        ack: 0,
        request: 0,
        ack_response_id: 0,
        replies: std::ptr::null(),
        replies_len: 0,
        timed_out: false,
        disconnected: 0,
        recovered: false,
        request_id: 0,
        reply_json: null,
        route: null,
        data: roomcast_bytes {
            ptr: std::ptr::null(),
            len: 0,
        },
        data_binary: false,
        close_code: 0,
        conn_id: null,
        error_code: 0,
        context_json: null,
        method: null,
        room: null,
    }
}

/// Converts a core event; client ack requests are registered in `acks`, and a socket's
/// pending ones are forgotten when it disconnects.
pub fn convert(event: Event, acks: &AckTokens) -> Box<OwnedEvent> {
    use roomcast_event_kind::*;
    let f = acks.flatten(event);
    let mut b = Builder::default();
    let mut replies = Vec::new();
    let (args_json, attachments, attachments_len) = match &f.args {
        Some(args) => b.payload(args),
        None => (std::ptr::null(), std::ptr::null(), 0),
    };
    let kind = match f.kind {
        EventKind::AllowRequest => ROOMCAST_EVENT_ALLOW_REQUEST,
        EventKind::ConnectRequest => ROOMCAST_EVENT_CONNECT_REQUEST,
        EventKind::Connection => ROOMCAST_EVENT_CONNECTION,
        EventKind::Message => ROOMCAST_EVENT_MESSAGE,
        EventKind::AckResponse => ROOMCAST_EVENT_ACK_RESPONSE,
        EventKind::Disconnecting => ROOMCAST_EVENT_DISCONNECTING,
        EventKind::ServerSideEmit => ROOMCAST_EVENT_SERVER_SIDE_EMIT,
        EventKind::ClusterReply => ROOMCAST_EVENT_CLUSTER_REPLY,
        EventKind::Disconnect => ROOMCAST_EVENT_DISCONNECT,
        EventKind::PlainRequest => ROOMCAST_EVENT_PLAIN_REQUEST,
        EventKind::PlainConnection => ROOMCAST_EVENT_PLAIN_CONNECTION,
        EventKind::PlainMessage => ROOMCAST_EVENT_PLAIN_MESSAGE,
        EventKind::PlainClose => ROOMCAST_EVENT_PLAIN_CLOSE,
        EventKind::ConnectionError => ROOMCAST_EVENT_CONNECTION_ERROR,
        EventKind::Upgrade => ROOMCAST_EVENT_UPGRADE,
        EventKind::CorsOrigin => ROOMCAST_EVENT_CORS_ORIGIN,
        EventKind::Room => match f.room_change {
            Some(RoomChange::Create) => ROOMCAST_EVENT_ROOM_CREATE,
            Some(RoomChange::Delete) => ROOMCAST_EVENT_ROOM_DELETE,
            Some(RoomChange::Join) => ROOMCAST_EVENT_ROOM_JOIN,
            // `flatten` always sets it for a room event.
            Some(RoomChange::Leave) | None => ROOMCAST_EVENT_ROOM_LEAVE,
        },
    };
    let error = f.kind == EventKind::ConnectionError;
    let mut ev = roomcast_event {
        nsp: b.opt(f.nsp.as_deref()),
        sid: b.opt(f.sid.as_ref().map(|s| s.as_str())),
        event_name: b.opt(f.event.as_deref()),
        args_json,
        attachments,
        attachments_len,
        auth_json: b.opt(f.auth.as_deref()),
        handshake_json: f
            .handshake
            .as_ref()
            .map_or(std::ptr::null(), |h| b.handshake(h)),
        reason: b.opt(
            f.reason
                .map(|r| r.as_str())
                .or(f.close_reason.as_deref())
                .or(f.message),
        ),
        rooms_json: match &f.rooms {
            Some(rooms) => b.s(&serde_json::Value::from(rooms.clone()).to_string()),
            None => std::ptr::null(),
        },
        ack: f.ack.unwrap_or(0),
        request: f.request,
        recovered: f.recovered,
        route: b.opt(f.route.as_deref()),
        close_code: if error { 0 } else { u32::from(f.code) },
        error_code: if error { u32::from(f.code) } else { 0 },
        conn_id: b.opt(f.conn_id.as_deref()),
        room: b.opt(f.room.as_deref()),
        context_json: match &f.context {
            Some(c) => b.s(&c.to_string()),
            None => std::ptr::null(),
        },
        method: if error {
            b.opt(f.method.as_deref())
        } else {
            std::ptr::null()
        },
        ..empty(kind)
    };
    if let Some(data) = &f.data {
        let (bytes, binary) = match data {
            PlainData::Text(t) => (Bytes::copy_from_slice(t.as_bytes()), false),
            PlainData::Binary(b) => (b.clone(), true),
        };
        ev.data = roomcast_bytes {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        };
        ev.data_binary = binary;
        b.bins.push(bytes);
    }
    if let Some(reply) = &f.reply {
        // A cluster answer names its request in `request_id`, not `request`.
        ev.request = 0;
        ev.request_id = f.request;
        ev.reply_json = b.s(&reply.to_string());
    }
    if let Some(result) = &f.ack_result {
        for r in &result.replies {
            // Empty for a client of another cluster node (the wire format does not name it).
            let sid = b.s(r.sid.as_ref().map_or("", |s| s.as_str()));
            let (args_json, attachments, attachments_len) = b.payload(&r.args);
            replies.push(roomcast_ack_reply {
                sid,
                args_json,
                attachments,
                attachments_len,
            });
        }
        ev.ack_response_id = result.id;
        if !replies.is_empty() {
            ev.replies = replies.as_ptr();
        }
        ev.replies_len = replies.len();
        ev.timed_out = result.timed_out;
        ev.disconnected = result.disconnected;
    }
    Box::new(OwnedEvent {
        ev,
        _strings: b.strings,
        _bins: b.bins,
        _bytes: b.bytes,
        _replies: replies,
    })
}
