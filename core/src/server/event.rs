//! What the Socket.IO layer tells its host, in one ordered stream.

use std::fmt;
use std::sync::Arc;

use crate::adapter::RoomChange;
use crate::engine::{CloseReason, Handshake};
use crate::protocol::Payload;
use crate::sid::Sid;

/// Why a socket left its namespace. `as_str` gives socket.io's reason strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The underlying connection ended (see [`CloseReason`]).
    Transport(CloseReason),
    /// The client left the namespace (`socket.disconnect()` on the client).
    ClientNamespaceDisconnect,
    /// The server removed the socket from the namespace.
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// `"transport close"`, `"ping timeout"`, `"client namespace disconnect"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transport(r) => r.as_str(),
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The right (and duty) to answer one client acknowledgement request, exactly once:
/// [`crate::host::Server::ack`] consumes it. Dropping it answers nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct AckHandle {
    pub(crate) nsp: Arc<str>,
    pub(crate) sid: Sid,
    pub(crate) id: u64,
}

impl AckHandle {
    /// Namespace of the socket that asked.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }
    /// Socket that asked.
    pub fn sid(&self) -> Sid {
        self.sid
    }
    /// The client's ack id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// The duty to answer one server-side emit from another node, at most once.
#[derive(Debug, PartialEq, Eq)]
pub struct ServerAck {
    pub(crate) id: u64,
}

impl ServerAck {
    /// A number identifying it (for hosts that pass it around as data).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// Rebuilds the handle from [`ServerAck::id`].
    pub fn from_id(id: u64) -> Self {
        Self { id }
    }
}

/// A connection waiting for the host's accept or reject (connect middleware).
#[derive(Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    pub(crate) id: u64,
    pub(crate) sid: Option<Sid>,
}

impl ConnectRequest {
    /// A number identifying the request (for hosts that must pass it around as data).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The id the socket will have once accepted, known to middleware as in socket.io
    /// (`None` on a request rebuilt with [`ConnectRequest::from_id`]).
    pub fn sid(&self) -> Option<Sid> {
        self.sid
    }
    /// Rebuilds a request from [`ConnectRequest::id`], to accept or reject it.
    pub fn from_id(id: u64) -> Self {
        Self { id, sid: None }
    }
}

/// A handshake request waiting for the host's verdict (`allow_request`); answer it with
/// [`crate::host::Server::allow_request`].
#[derive(Debug, PartialEq, Eq)]
pub struct RequestCheck {
    pub(crate) id: u64,
}

impl RequestCheck {
    /// A number identifying it (for hosts that pass it around as data).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// Rebuilds the handle from [`RequestCheck::id`].
    pub fn from_id(id: u64) -> Self {
        Self { id }
    }
}

/// One reply to a server emit that asked for acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckReply {
    /// The socket that answered; `None` for a client of another node of the cluster
    /// (the Redis adapter's wire format does not say which socket answered).
    pub sid: Option<Sid>,
    /// What it answered.
    pub args: Payload,
}

/// The outcome of an emit with acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckResult {
    /// The id [`crate::host::Server::emit_with_ack`] returned.
    pub id: u64,
    /// Every reply that arrived, in arrival order.
    pub replies: Vec<AckReply>,
    /// True when not every recipient answered: the timeout fired, or the ones left
    /// disconnected first (see `disconnected`). `replies` holds what did arrive.
    pub timed_out: bool,
    /// Recipients that disconnected before answering (the outcome then comes before the
    /// timeout, as soon as nobody else can answer).
    pub disconnected: usize,
}

/// Something that happened, delivered in order (per socket, the order things happened).
#[derive(Debug)]
pub enum Event {
    /// An Engine.IO handshake asks to open a connection (with the `allow_request` option):
    /// answer with [`crate::host::Server::allow_request`] before `allow_request_timeout`
    /// (then it is refused). No session exists yet.
    AllowRequest {
        /// Pass to `allow_request`.
        request: RequestCheck,
        /// Request method (a handshake is always a `GET`).
        method: String,
        /// The request: headers, query, URL, peer address.
        handshake: Arc<Handshake>,
    },
    /// A request to the Engine.IO path asks whether its origin may read the response
    /// (with the `cors_origin_hook` option; every request, preflights included): answer
    /// with [`crate::host::Server::allow_origin`] before `allow_request_timeout` (then it
    /// is refused with 403). Its Origin header is in `handshake.headers` (absent for a
    /// client that is not a browser).
    CorsOrigin {
        /// Pass to `allow_origin`.
        request: RequestCheck,
        /// Request method (`OPTIONS` for a preflight).
        method: String,
        /// The request: headers, query, URL, peer address.
        handshake: Arc<Handshake>,
    },
    /// A client asks to join a namespace that has middleware; answer with
    /// [`crate::host::Server::accept`] or [`crate::host::Server::reject`].
    ConnectRequest {
        /// Pass to accept/reject.
        request: ConnectRequest,
        /// Namespace asked for.
        nsp: Arc<str>,
        /// The client's `auth` object as JSON text, when it sent one.
        auth: Option<String>,
        /// The HTTP request that opened the connection.
        handshake: Arc<Handshake>,
        /// The client asks to recover a previous session that is still known (the socket
        /// gets its old id, rooms and data once accepted); only seen when recovery runs
        /// the middleware (`skip_middlewares` off).
        recovered: bool,
    },
    /// A socket joined a namespace.
    Connection {
        /// Namespace.
        nsp: Arc<str>,
        /// The new socket's id (not the Engine.IO session id).
        sid: Sid,
        /// The client's `auth` object as JSON text, when it sent one.
        auth: Option<String>,
        /// The HTTP request that opened the connection.
        handshake: Arc<Handshake>,
        /// Connection state recovery brought back a previous socket: same id, its rooms
        /// and data restored, the packets it missed replayed.
        recovered: bool,
    },
    /// A client emitted an event.
    Message {
        /// Namespace.
        nsp: Arc<str>,
        /// Sender.
        sid: Sid,
        /// Event name.
        event: String,
        /// Arguments after the name.
        args: Payload,
        /// Present when the client wants an acknowledgement.
        ack: Option<AckHandle>,
    },
    /// Replies to an emit with acknowledgement (or its timeout).
    AckResponse(AckResult),
    /// A socket is leaving; its rooms are still known.
    Disconnecting {
        /// Namespace.
        nsp: Arc<str>,
        /// Socket.
        sid: Sid,
        /// Why.
        reason: DisconnectReason,
        /// The rooms it is still in (its own id room included).
        rooms: Vec<String>,
    },
    /// Another node of the cluster called `serverSideEmit`.
    ServerSideEmit {
        /// Namespace.
        nsp: Arc<str>,
        /// Event name.
        event: String,
        /// Arguments (JSON only: the wire format carries no binary here).
        args: Payload,
        /// Present when the sender waits for an answer; answer with
        /// [`crate::host::Server::server_side_ack`].
        ack: Option<ServerAck>,
    },
    /// The answer of a request started with [`crate::host::Server::cluster_request`].
    ClusterReply {
        /// The id `cluster_request` returned.
        id: u64,
        /// The answer as JSON (see [`crate::host::ClusterRequest`] for its shape).
        reply: serde_json::Value,
    },
    /// A plain WebSocket upgrade asks to connect on a route with `verify`: answer with
    /// [`crate::host::Server::allow_request`] before `allow_request_timeout` (then it is
    /// refused with 403). The 101 waits for the answer.
    PlainRequest {
        /// Pass to `allow_request`.
        request: RequestCheck,
        /// The route's path.
        route: Arc<str>,
        /// The upgrade request: headers (cookies among them), query, URL, peer address.
        handshake: Arc<Handshake>,
    },
    /// A plain WebSocket connection opened on a route (it is in the room of its own id).
    PlainConnection {
        /// The route's path.
        route: Arc<str>,
        /// The connection's id.
        id: Sid,
        /// The upgrade request.
        handshake: Arc<Handshake>,
    },
    /// A plain connection sent a message.
    PlainMessage {
        /// The route's path.
        route: Arc<str>,
        /// The connection.
        id: Sid,
        /// Text or binary.
        data: super::PlainData,
    },
    /// A plain connection closed (it has left its rooms).
    PlainClose {
        /// The route's path.
        route: Arc<str>,
        /// The connection.
        id: Sid,
        /// The close status: the client's close frame, else the server's, else 1006.
        code: u16,
        /// The close reason (without a close frame, why: "ping timeout", ...).
        reason: String,
    },
    /// The engine refused a request (once the host turned these on with
    /// [`crate::host::Server::report_connection_errors`]): engine.io's `connection_error`.
    /// Refusals the host decided itself (an `allow_request` answer) are not reported.
    ConnectionError {
        /// engine.io's code: 0 "Transport unknown", 1 "Session ID unknown", 2 "Bad
        /// handshake method", 3 "Bad request", 4 "Forbidden", 5 "Unsupported protocol
        /// version".
        code: u8,
        /// The message for the code.
        message: &'static str,
        /// engine.io's context (`{"sid": ..}`, `{"transport": ..}`, `{"name": ..}`, ...).
        context: serde_json::Value,
        /// The request method.
        method: String,
        /// The request: headers, query, URL, peer address.
        handshake: Arc<Handshake>,
    },
    /// A connection moved from polling to WebSocket (once the host turned these on with
    /// [`crate::host::Server::report_upgrades`]).
    Upgrade {
        /// The Engine.IO session id (`Handshake::conn_id`).
        conn_id: Arc<str>,
    },
    /// A room of a namespace the host observes changed (see
    /// [`crate::host::Server::observe_rooms`]): socket.io's adapter events
    /// `create-room`, `delete-room`, `join-room` and `leave-room`, for this node's
    /// members (sockets, and plain connections sharing the rooms), each socket's own room
    /// included, in the order the changes happened.
    Room {
        /// Namespace.
        nsp: Arc<str>,
        /// What changed.
        kind: RoomChange,
        /// The room.
        room: Arc<str>,
        /// The member that joined or left (`Join`, `Leave`); `None` for `Create`/`Delete`.
        sid: Option<Sid>,
    },
    /// A socket left.
    Disconnect {
        /// Namespace.
        nsp: Arc<str>,
        /// Socket.
        sid: Sid,
        /// Why.
        reason: DisconnectReason,
    },
}
