//! Server configuration: one plain struct with socket.io's defaults.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use crate::route::{Delivery, PlainRoute};

/// Which origins may make cross-origin requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `Access-Control-Allow-Origin: *` (or the request's origin when credentials are on,
    /// because browsers refuse `*` on credentialed requests).
    Any,
    /// Only these exact origins (e.g. `http://localhost:3000`); others get no CORS headers.
    List(Vec<String>),
    /// These exact origins and every origin one of the patterns matches (the cors
    /// package's RegExp origins); others get no CORS headers.
    Matching {
        /// Origins allowed as they are.
        exact: Vec<String>,
        /// Origins allowed when a pattern matches them.
        patterns: Vec<OriginPattern>,
    },
    /// The host decides each request's origin (socket.io's `cors.origin` function,
    /// python-socketio's callable `cors_allowed_origins`): every request to the Engine.IO
    /// path, preflights included, waits for the host's answer (see
    /// `host::Server::allow_origin`).
    Host,
}

/// A regular expression (the `regex` crate's syntax) an allowed origin matches anywhere,
/// as JavaScript's `RegExp#test` does: anchor it (`^https://.*\.example\.com$`) to match
/// whole origins.
#[derive(Clone, Debug)]
pub struct OriginPattern(regex::Regex);

impl OriginPattern {
    /// Compiles `pattern`; the error says why it is not a valid expression.
    pub fn new(pattern: &str) -> Result<Self, String> {
        regex::Regex::new(pattern).map(Self).map_err(|e| {
            format!("cors origin pattern {pattern:?} is not a valid regular expression: {e}")
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether `origin` matches.
    pub fn matches(&self, origin: &str) -> bool {
        self.0.is_match(origin)
    }
}

impl PartialEq for OriginPattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for OriginPattern {}

impl AllowedOrigins {
    /// Whether `origin` is allowed by a list or patterns (`Any` and `Host` are decided
    /// elsewhere and answer false here).
    pub fn lists(&self, origin: &str) -> bool {
        match self {
            Self::List(list) => list.iter().any(|a| a == origin),
            Self::Matching { exact, patterns } => {
                exact.iter().any(|a| a == origin) || patterns.iter().any(|p| p.matches(origin))
            }
            Self::Any | Self::Host => false,
        }
    }
}

/// CORS settings, applied to every Engine.IO response including errors and preflights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    /// Origins that are allowed.
    pub origins: AllowedOrigins,
    /// Adds `Access-Control-Allow-Credentials: true` and reflects the request origin.
    pub credentials: bool,
    /// The other headers of the cors package's options (allowed, exposed, max age).
    pub headers: CorsHeaders,
}

/// The cors package's `methods`, `allowedHeaders`, `exposedHeaders` and `maxAge`: header values sent
/// as given (lists are joined with `,`), on every Engine.IO response whatever the origin,
/// as that package does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsHeaders {
    /// `Access-Control-Allow-Methods` of preflight answers; `None` sends the cors
    /// package's default `GET,HEAD,PUT,PATCH,POST,DELETE`; an empty text sends none.
    pub methods: Option<String>,
    /// `Access-Control-Allow-Headers` of preflight answers; `None` reflects the
    /// preflight's `Access-Control-Request-Headers` (and adds
    /// `Vary: Access-Control-Request-Headers`); an empty text sends none.
    pub allowed: Option<String>,
    /// `Access-Control-Expose-Headers` of every answer (preflights too); `None` or an
    /// empty text sends none.
    pub exposed: Option<String>,
    /// `Access-Control-Max-Age` of preflight answers, in seconds; `None` sends none.
    pub max_age: Option<u64>,
}

/// What a handshake request looks like to the `allow_request` hook.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    /// Request method (a handshake is always a `GET`).
    pub method: String,
    /// Headers (names lower-case), query, URL and peer address.
    pub handshake: crate::engine::Handshake,
}

/// Why `allow_request` refused a handshake: the HTTP status and the `message` of the body
/// `{"code":4,"message":..}` (engine.io's FORBIDDEN; code 3, BAD_REQUEST, with status 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status, 400 to 599 (engine.io always answers 403).
    pub status: u16,
    /// The body's message (engine.io's default is `"Forbidden"`).
    pub message: String,
}

impl Refusal {
    /// 403 `{"code":4,"message":"Forbidden"}`, engine.io's answer.
    pub fn forbidden() -> Self {
        Self {
            status: 403,
            message: "Forbidden".into(),
        }
    }
}

/// What goes with a handshake the host lets through: response headers (e.g. the
/// `Set-Cookie` of a session middleware) and, optionally, the Engine.IO id the session
/// gets instead of a random one (socket.io's `generateId`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// Headers added to the handshake's response (the polling `200` or the WebSocket `101`).
    pub headers: Vec<(String, String)>,
    /// The session id to use; `None` keeps the random one.
    pub id: Option<String>,
}

/// What `allow_request` resolves to: go on with the handshake, or refuse it.
pub type AllowFuture = Pin<Box<dyn Future<Output = Result<Admission, Refusal>> + Send>>;

/// A check run on every handshake request before any session exists (socket.io's
/// `allowRequest`); it may wait (e.g. for a host's answer, see `host::Server::allow_request`).
pub type AllowRequest = Arc<dyn Fn(RequestInfo) -> AllowFuture + Send + Sync>;

/// What the host says of a request's origin ([`AllowedOrigins::Host`]): allowed or not
/// (the request goes on either way), or a refusal that answers the request.
pub type OriginFuture = Pin<Box<dyn Future<Output = Result<bool, Refusal>> + Send>>;

/// Asks the host about a request's origin (the request's Origin header is in its
/// handshake's headers, absent for a client that is not a browser).
pub type OriginCheck = Arc<dyn Fn(RequestInfo) -> OriginFuture + Send + Sync>;

/// How a namespace name is matched.
#[derive(Clone)]
pub enum NamespaceMatch {
    /// Exactly this name (e.g. `/admin`).
    Exact(String),
    /// A glob where `*` matches any run of characters (e.g. `/room-*`): a dynamic namespace.
    Glob(String),
    /// A predicate over the name: a dynamic namespace decided by code.
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

impl std::fmt::Debug for NamespaceMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(s) => write!(f, "Exact({s:?})"),
            Self::Glob(s) => write!(f, "Glob({s:?})"),
            Self::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

impl NamespaceMatch {
    /// Whether `name` is accepted by this rule.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(s) => s == name,
            Self::Glob(p) => glob_match(p.as_bytes(), name.as_bytes()),
            Self::Predicate(f) => f(name),
        }
    }
}

/// A namespace the server accepts, and whether the host decides each connection to it.
#[derive(Clone, Debug)]
pub struct NamespaceRule {
    /// Which names the rule covers.
    pub matcher: NamespaceMatch,
    /// When true, each CONNECT becomes a [`crate::host::Event::ConnectRequest`] that the host
    /// must accept or reject (connect middleware / auth); otherwise it is accepted at once.
    pub middleware: bool,
}

impl NamespaceRule {
    /// An exact namespace, accepted without middleware.
    pub fn exact(name: impl Into<String>) -> Self {
        Self {
            matcher: NamespaceMatch::Exact(name.into()),
            middleware: false,
        }
    }
    /// A glob-matched dynamic namespace, accepted without middleware.
    pub fn glob(pattern: impl Into<String>) -> Self {
        Self {
            matcher: NamespaceMatch::Glob(pattern.into()),
            middleware: false,
        }
    }
    /// Turns connect middleware on for this rule.
    pub fn with_middleware(mut self) -> Self {
        self.middleware = true;
        self
    }
}

/// Connection state recovery (socket.io's `connectionStateRecovery`): a socket whose
/// transport drops comes back, within `max_disconnection_duration`, with its id, rooms and
/// data, and gets the events it missed (see `server::recovery`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected socket's session and the sent packets are kept (default 2 min).
    pub max_disconnection_duration: Duration,
    /// Skip the connect middleware when a socket is recovered (default true).
    pub skip_middlewares: bool,
    /// Most packets kept per namespace for replay (default 10 000; roomcast's bound, socket.io
    /// has none). The oldest go first; a client whose offset is gone gets a fresh session.
    pub max_packets: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_millis(120_000),
            skip_middlewares: true,
            max_packets: 10_000,
        }
    }
}

/// How much the admin UI sees (`mode` of `@socket.io/admin-ui`'s `instrument`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdminMode {
    /// Server stats only (connections, bytes and packets per second, sockets per
    /// namespace): nothing is done per socket or per message beyond the metrics counters.
    Production,
    /// Also every socket (the list, connects, disconnects, rooms, transport upgrades) and
    /// every event received and sent, forwarded to the connected dashboards (the default,
    /// as in `@socket.io/admin-ui` without `NODE_ENV`).
    #[default]
    Development,
}

impl AdminMode {
    /// `"production"` or `"development"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Development => "development",
        }
    }

    /// From `"production"` / `"development"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "production" => Some(Self::Production),
            "development" => Some(Self::Development),
            _ => None,
        }
    }
}

/// The server side of the Socket.IO admin UI (`@socket.io/admin-ui`'s `instrument`): a
/// namespace served by the core itself, never seen by the host (see `server::admin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminUi {
    /// The admin namespace (default `/admin`).
    pub namespace: String,
    /// Basic authentication: the user name and the bcrypt hash of the password, as
    /// `instrument({ auth: { type: "basic", username, password } })` takes them; `None`
    /// is `auth: false` (anyone who can reach the server may connect).
    pub auth: Option<(String, String)>,
    /// Refuse the dashboard's actions (join, leave, disconnect, emit).
    pub readonly: bool,
    /// What the dashboard sees (see [`AdminMode`]).
    pub mode: AdminMode,
    /// The id this node shows in the servers list (default: the host name).
    pub server_id: Option<String>,
    /// How often the server stats are sent (default 2 s).
    pub stats_interval: Duration,
}

impl Default for AdminUi {
    fn default() -> Self {
        Self {
            namespace: "/admin".into(),
            auth: None,
            readonly: false,
            mode: AdminMode::Development,
            server_id: None,
            stats_interval: Duration::from_secs(2),
        }
    }
}

/// Everything a server needs to start. `Config::default()` matches socket.io's defaults.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1:3000`; port 0 picks a free one).
    pub bind: SocketAddr,
    /// Bind `bind` (default true). When false the server has no listener of its own and
    /// serves only the connections its host hands in (`host::Server::adopt_fd`,
    /// `host::Server::bridge`): an embedding HTTP server's engine path.
    pub listen: bool,
    /// Engine.IO path, with leading and trailing slash (default `/socket.io/`).
    pub path: String,
    /// Interval between server pings (default 25 s).
    pub ping_interval: Duration,
    /// How long to wait for a pong before closing (default 20 s).
    pub ping_timeout: Duration,
    /// Largest accepted message / POST body in bytes (default 1 000 000).
    pub max_payload: usize,
    /// Close a connection that joins no namespace within this time (default 45 s).
    pub connect_timeout: Duration,
    /// Most binary attachments in one packet (default 10, as the reference).
    pub max_attachments: usize,
    /// Bound of each connection's outbound queue in frames (default 65 536), beside the
    /// bound in bytes. When a packet does not fit, a volatile one is dropped and anything
    /// else disconnects the client with reason `"slow consumer"` (see `engine::session`).
    pub max_buffered_frames: usize,
    /// Bound of each connection's outbound queue in bytes (default 16 MiB; each queued
    /// frame counts its length plus 64 bytes of bookkeeping, so a refcounted broadcast
    /// frame counts in full for every recipient). Same policy as `max_buffered_frames`.
    pub max_buffered_bytes: usize,
    /// A connection whose socket has taken no bytes for this long while the server has
    /// something to write is dropped (default 20 s): a WebSocket with reason
    /// `"slow consumer"`, an HTTP connection (e.g. a long-poll answer) closed.
    pub write_timeout: Duration,
    /// Time allowed from accepting a TCP connection, or from finishing the previous
    /// response on a keep-alive connection, until a request's headers are complete
    /// (default 10 s). It bounds idle connections that send nothing, idle keep-alive
    /// connections, headers trickled byte by byte, and so the time from accept to the
    /// Engine.IO open.
    pub header_timeout: Duration,
    /// Message events of one connection waiting in the host's event stream (default 128).
    /// At the limit the server stops reading that connection until the host takes some
    /// (TCP backpressure); past 4 times the limit the connection is dropped with reason
    /// `"inbound overflow"` (only a polling POST packed with packets can get there).
    pub max_pending_events: usize,
    /// Bytes (event names, arguments, attachments) of one connection's message events
    /// waiting in the host's event stream (default 4 MiB). Same policy; the hard limit is
    /// twice this plus `max_payload`.
    pub max_pending_bytes: usize,
    /// Message events of all connections waiting in the host's event stream (default
    /// 65 536). At the limit no connection is read until the host catches up; then each
    /// waiting connection may read again, so none starves the others.
    pub max_pending_events_total: usize,
    /// Bytes of all connections' message events waiting in the host's event stream
    /// (default 256 MiB), as `max_pending_events_total`.
    pub max_pending_bytes_total: usize,
    /// Most simultaneous TCP connections (default 100 000); more are closed at accept.
    pub max_connections: usize,
    /// Most simultaneous TCP connections from one IP address (default 0: no limit,
    /// because behind a reverse proxy every client has the proxy's address).
    pub max_connections_per_ip: usize,
    /// Engine.IO handshakes accepted per second (default 0: no limit); past it a
    /// handshake gets 429 `{"code":4,"message":"Too many handshakes"}`.
    pub handshakes_per_sec: u32,
    /// Engine.IO handshakes accepted per second from one IP address (default 0: no
    /// limit, for the same reason as `max_connections_per_ip`).
    pub handshakes_per_sec_per_ip: u32,
    /// Longest namespace or room name in bytes (default 256). A CONNECT to a longer
    /// namespace gets "Invalid namespace"; joining a longer room is `InvalidArgument`.
    pub max_name_length: usize,
    /// Most rooms one socket can be in, its own room included (default 4096); a join
    /// past it is refused with `InvalidArgument` and joins nothing.
    pub max_rooms_per_socket: usize,
    /// Removes a dynamic namespace (glob or predicate rule) once its last socket leaves,
    /// as socket.io's `cleanupEmptyChildNamespaces` (default false, as there).
    pub cleanup_empty_child_namespaces: bool,
    /// Time allowed to receive a whole polling POST body (default 20 s); past it the
    /// request gets 408 and its session is closed ("transport error").
    pub body_timeout: Duration,
    /// Accept HTTP long-polling (default true).
    pub allow_polling: bool,
    /// Accept WebSocket (default true).
    pub allow_websocket: bool,
    /// CORS, off by default (no headers are sent).
    pub cors: Option<Cors>,
    /// Optional gate on handshakes (see [`AllowRequest`]).
    pub allow_request: Option<AllowRequest>,
    /// Ask the host about every handshake: each becomes an `Event::AllowRequest` answered
    /// with `host::Server::allow_request` (default false; replaces `allow_request`).
    pub allow_request_event: bool,
    /// How long a handshake waits for the host's answer before it is refused with 403
    /// (default 10 s).
    pub allow_request_timeout: Duration,
    /// Namespaces to accept (default: just `/`).
    pub namespaces: Vec<NamespaceRule>,
    /// Serve files from this directory for requests outside the Engine.IO path.
    pub static_dir: Option<PathBuf>,
    /// Serve `<path>socket.io.js` / `socket.io.min.js` (+ `.map`) from this directory,
    /// normally `node_modules/socket.io-client/dist` (socket.io's `serveClient`).
    pub client_dist_dir: Option<PathBuf>,
    /// Worker threads of the runtime `host::Server::start` creates (default: CPU count).
    pub worker_threads: Option<usize>,
    /// Connection state recovery; off (`None`) by default, as in socket.io.
    pub connection_state_recovery: Option<RecoveryConfig>,
    /// Join a cluster through Redis in `@socket.io/redis-adapter`'s format (default: none,
    /// rooms stay in memory). Starting fails with an error when Redis is unreachable.
    pub redis: Option<crate::adapter::redis::RedisConfig>,
    /// Hold each socket's CONNECT reply until the host calls
    /// [`crate::host::Server::release`] (default false). The socket exists meanwhile:
    /// joins, leaves, emits and disconnects made by the host's connection handler take
    /// effect at once and reach the client in order, right after CONNECT, as with
    /// socket.io, whose client cannot see the connection before its handler ran. With
    /// connect middleware, the socket exists from the `ConnectRequest` on.
    pub hold_connect: bool,
    /// Serve HTTPS / WSS on `bind` with this certificate and key (default: plain HTTP).
    /// Reload with [`crate::host::Server::reload_tls`].
    pub tls: Option<crate::tls::TlsConfig>,
    /// Count the server's metrics, readable with [`crate::host::Server::metrics`]
    /// (default false; `metrics_path` turns it on too).
    pub metrics: bool,
    /// Serve the metrics in the Prometheus text format at this path, e.g. `/metrics`
    /// (default: none). Turns `metrics` on.
    pub metrics_path: Option<String>,
    /// Packet encoding of every connection, socket.io's `parser` (default JSON). Clients
    /// must use the same parser: one that does not is refused (see [`Parser`]).
    pub parser: Parser,
    /// WebSocket permessage-deflate, socket.io's `perMessageDeflate` (default: off, as in
    /// socket.io 4). When on, a client that offers the extension gets messages of at least
    /// `threshold` bytes compressed, each on its own (no context takeover either way, so
    /// no compression state stays per connection), and may send compressed ones.
    pub per_message_deflate: Option<DeflateConfig>,
    /// Plain WebSocket routes whose connections share the rooms of a namespace with its
    /// Socket.IO sockets (default none; see [`PlainRoute`]).
    pub plain_routes: Vec<PlainRoute>,
    /// Serve the Socket.IO admin UI's namespace (default: off). Turns `metrics` on (the
    /// dashboard's charts are read from the counters).
    pub admin_ui: Option<AdminUi>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            listen: true,
            path: "/socket.io/".into(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            connect_timeout: Duration::from_millis(45_000),
            max_attachments: 10,
            max_buffered_frames: 65_536,
            max_buffered_bytes: 16 << 20,
            write_timeout: Duration::from_secs(20),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(20),
            max_connections: 100_000,
            max_connections_per_ip: 0,
            handshakes_per_sec: 0,
            handshakes_per_sec_per_ip: 0,
            max_name_length: 256,
            max_rooms_per_socket: 4096,
            cleanup_empty_child_namespaces: false,
            max_pending_events: 128,
            max_pending_bytes: 4 << 20,
            max_pending_events_total: 65_536,
            max_pending_bytes_total: 256 << 20,
            allow_polling: true,
            allow_websocket: true,
            cors: None,
            allow_request: None,
            allow_request_event: false,
            allow_request_timeout: Duration::from_secs(10),
            namespaces: vec![NamespaceRule::exact("/")],
            static_dir: None,
            client_dist_dir: None,
            worker_threads: None,
            connection_state_recovery: None,
            redis: None,
            hold_connect: false,
            tls: None,
            metrics: false,
            metrics_path: None,
            parser: Parser::Json,
            per_message_deflate: None,
            plain_routes: Vec::new(),
            admin_ui: None,
        }
    }
}

pub use crate::engine::DeflateConfig;
pub use crate::protocol::Parser;

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("max_payload", &self.max_payload)
            .field("namespaces", &self.namespaces)
            .field("tls", &self.tls)
            .field("parser", &self.parser)
            .finish_non_exhaustive()
    }
}

/// The type of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// `true`/`false`.
    Bool,
    /// A non-negative integer.
    Count,
    /// A duration (milliseconds in C and Node, seconds in Python).
    Duration,
    /// A string.
    Text,
    /// A list of strings (a single string counts as a list of one).
    Texts,
}

impl OptionKind {
    /// A short name for listings (`"bool"`, `"count"`, `"duration"`, `"text"`, `"texts"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Count => "count",
            Self::Duration => "duration",
            Self::Text => "text",
            Self::Texts => "texts",
        }
    }
}

/// Why a configuration is refused: one variant per invalid value or combination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No option of that name.
    UnknownOption(String),
    /// The value has the wrong type for the option (`name`, expected kind).
    WrongType(String, OptionKind),
    /// The value is out of range for the option (`name`, what is allowed).
    OutOfRange(String, &'static str),
    /// The value of the option (`name`) is invalid, for the reason given.
    Invalid(String, String),
    /// Both `allow_polling` and `allow_websocket` are off: no client could connect.
    NoTransport,
    /// The path contains `?` or `#`.
    InvalidPath(String),
    /// A namespace pattern does not start with `/`.
    InvalidNamespace(String),
    /// `cors_credentials` without any `cors_origins`.
    CredentialsWithoutOrigins,
    /// The host name resolves to no address.
    UnresolvableHost(String),
    /// `recovery_skip_middlewares` or `recovery_max_packets` without a
    /// `recovery_max_disconnection_duration` above 0 (recovery stays off without it).
    RecoveryWithoutDuration,
    /// A `redis_*` option without `redis_url`.
    RedisWithoutUrl,
    /// `tls_cert` without `tls_key` or the other way round.
    TlsIncomplete,
    /// The TLS certificate chain or key does not load (the message names the part), or
    /// a reload on a server started without TLS.
    Tls(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption(n) => write!(f, "unknown option {n:?}"),
            Self::WrongType(n, k) => write!(f, "option {n:?} takes a {}", kind_name(*k)),
            Self::OutOfRange(n, why) => write!(f, "option {n:?}: {why}"),
            Self::Invalid(n, why) => write!(f, "option {n:?}: {why}"),
            Self::NoTransport => f.write_str(
                "allow_polling and allow_websocket are both off: keep at least one transport",
            ),
            Self::InvalidPath(p) => write!(f, "path {p:?} must not contain '?' or '#'"),
            Self::InvalidNamespace(n) => write!(f, "namespace {n:?} must start with '/'"),
            Self::CredentialsWithoutOrigins => {
                f.write_str("cors_credentials needs at least one cors_origins entry")
            }
            Self::UnresolvableHost(h) => write!(f, "host {h:?} resolves to no address"),
            Self::RedisWithoutUrl => {
                f.write_str("redis_key, redis_request_timeout, redis_specific_response_channel, redis_streams, redis_stream_max_len, redis_sharded and redis_subscription_mode need redis_url")
            }
            Self::TlsIncomplete => f.write_str("tls_cert and tls_key go together: set both or neither"),
            Self::Tls(m) => f.write_str(m),
            Self::RecoveryWithoutDuration => f.write_str(
                "recovery_skip_middlewares and recovery_max_packets need recovery_max_disconnection_duration above 0",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

fn kind_name(k: OptionKind) -> &'static str {
    match k {
        OptionKind::Bool => "boolean",
        OptionKind::Count => "non-negative integer",
        OptionKind::Duration => "duration",
        OptionKind::Text => "string",
        OptionKind::Texts => "string or list of strings",
    }
}

/// `*`-only glob matching, iterative with backtracking to the last star.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_dynamic_names() {
        let m = NamespaceMatch::Glob("/room-*".into());
        assert!(m.matches("/room-1"));
        assert!(m.matches("/room-"));
        assert!(!m.matches("/rooms"));
        assert!(NamespaceMatch::Glob("/*/chat".into()).matches("/a/b/chat"));
        assert!(!NamespaceMatch::Glob("/*/chat".into()).matches("/a/b/chats"));
    }
}
