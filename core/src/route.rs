//! Plain WebSocket routes: endpoints such as `/ws/chat` where clients that speak bare
//! WebSocket (browsers' `WebSocket`, the `ws` module, devices) connect without Socket.IO,
//! and share the rooms of a namespace with its Socket.IO sockets.

use std::time::Duration;

/// How a Socket.IO emit (`emit(event, ...args)`) reaches a plain connection in its rooms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// A text frame with the JSON array `["event", ...args]` (the default: nothing is
    /// lost). Binary arguments stay as socket.io's placeholders
    /// `{"_placeholder":true,"num":i}` and follow as binary frames, in order.
    #[default]
    JsonArray,
    /// Only the first argument: a string as a text frame of that string, a binary as a
    /// binary frame, any other value as a text frame of its JSON; an emit without
    /// arguments sends an empty text frame.
    FirstArg,
}

impl Delivery {
    /// `"json_array"` or `"first_arg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonArray => "json_array",
            Self::FirstArg => "first_arg",
        }
    }

    /// The rule of that name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "json_array" => Some(Self::JsonArray),
            "first_arg" => Some(Self::FirstArg),
            _ => None,
        }
    }
}

/// One plain WebSocket route and its options (see [`crate::host::routes::ROUTE_OPTIONS`]
/// for the names every binding uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainRoute {
    /// The URL path, e.g. `/ws/chat` (a trailing slash also matches).
    pub path: String,
    /// The namespace whose rooms its connections share (default `/`).
    pub namespace: String,
    /// Rooms every connection is in from the start, before the host hears of it (and so
    /// before its first message is relayed), besides the room of its own id.
    pub rooms: Vec<String>,
    /// How Socket.IO emits reach its connections (default [`Delivery::JsonArray`]).
    pub delivery: Delivery,
    /// When set, a text message from a connection is also emitted as this event, with the
    /// text as its one argument, to the rooms the connection is in (its own id room left
    /// out, and the sender skipped), as `socket.to(rooms).emit(event, text)` would. The
    /// rooms are those at the time the message is read: rooms the host joins in its
    /// connection handler may come after the first messages; [`PlainRoute::rooms`] are
    /// always in effect.
    pub relay_event: Option<String>,
    /// Largest message from a client in bytes (default: the server's `max_payload`);
    /// a bigger one closes the connection with 1009.
    pub max_message_size: Option<usize>,
    /// Interval between WebSocket pings (default: the server's `ping_interval`).
    pub ping_interval: Option<Duration>,
    /// How long to wait for the pong before closing (default: the server's
    /// `ping_timeout`).
    pub ping_timeout: Option<Duration>,
    /// Ask the host before the 101 (a `PlainRequest` event answered with
    /// [`crate::host::Server::allow_request`], within `allow_request_timeout`).
    pub verify: bool,
}

impl PlainRoute {
    /// A route at `path` with the defaults.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            namespace: "/".into(),
            rooms: Vec::new(),
            delivery: Delivery::default(),
            relay_event: None,
            max_message_size: None,
            ping_interval: None,
            ping_timeout: None,
            verify: false,
        }
    }

    /// Sets the delivery rule.
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// Puts every connection in `room` from the start (see [`PlainRoute::rooms`]).
    pub fn room(mut self, room: impl Into<String>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Relays text from its connections as `event` (see [`PlainRoute::relay_event`]).
    pub fn relay(mut self, event: impl Into<String>) -> Self {
        self.relay_event = Some(event.into());
        self
    }

    /// Asks the host before the 101 (see [`PlainRoute::verify`]).
    pub fn verified(mut self) -> Self {
        self.verify = true;
        self
    }
}
