//! The one place where server options are defined, named, typed, validated and documented.
//!
//! Every binding sets options through [`ConfigBuilder::set`] with the names in [`OPTIONS`],
//! converting only the value to an [`OptionValue`] (and the name to its own convention:
//! C `roomcast_config_set_<name>` with durations in `_ms`, Python `<name>` with durations in
//! seconds, Node `<camelCaseName>` with durations in milliseconds). An unknown name is
//! refused with an error naming it.
//!
//! Adding an option: a field in [`crate::Config`] (with its default), a row in [`OPTIONS`],
//! an arm in [`ConfigBuilder::set`] and, when it can conflict with others, a check in
//! [`Config::validate`] with its own [`ConfigError`]. Python and Node pick it up from the
//! table; C gets a `roomcast_config_set_<name>` setter (an ABI revision).

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::{limits, Error, Events, Server};
use crate::adapter::redis::SubscriptionMode;
use crate::config::{
    AllowedOrigins, Cors, CorsHeaders, NamespaceMatch, NamespaceRule, OriginPattern, Parser,
    RecoveryConfig,
};
pub use crate::config::{ConfigError, OptionKind};
use crate::tls::{Pem, TlsConfig};
use crate::Config;

/// One option: its name (snake_case), type and what it does.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// snake_case name (C and Python use it as is, Node in camelCase).
    pub name: &'static str,
    /// Value type.
    pub kind: OptionKind,
    /// What it does, with its default.
    pub doc: &'static str,
}

const fn spec(name: &'static str, kind: OptionKind, doc: &'static str) -> OptionSpec {
    OptionSpec { name, kind, doc }
}

/// Every option a host can set, in the order the README lists them.
pub const OPTIONS: &[OptionSpec] = &[
    spec("host", OptionKind::Text, "interface to listen on (default \"127.0.0.1\"; \"::\" tries IPv6 then IPv4 any; a name tries each address it resolves to)"),
    spec("port", OptionKind::Count, "TCP port (default 3000; 0 picks a free one)"),
    spec("listen", OptionKind::Bool, "bind host:port (default true); false: no listener, the host hands in the connections of its own HTTP server's engine path (adopt_fd, bridge)"),
    spec("path", OptionKind::Text, "Engine.IO path (default \"/socket.io/\"; slashes are added at both ends)"),
    spec("ping_interval", OptionKind::Duration, "interval between server pings (default 25 s)"),
    spec("ping_timeout", OptionKind::Duration, "how long to wait for a pong (default 20 s)"),
    spec("max_payload", OptionKind::Count, "largest message / POST body in bytes (default 1000000)"),
    spec("connect_timeout", OptionKind::Duration, "close connections that join no namespace within this time (default 45 s)"),
    spec("max_attachments", OptionKind::Count, "most binary attachments in one packet (default 10; 0 refuses binary packets)"),
    spec("max_buffered_frames", OptionKind::Count, "bound of each connection's outbound queue in frames (default 65536, at least 1)"),
    spec("max_buffered_bytes", OptionKind::Count, "bound of each connection's outbound queue in bytes; past it the client is dropped as a slow consumer (default 16 MiB, at least 1)"),
    spec("write_timeout", OptionKind::Duration, "drop a connection whose socket takes no bytes for this long while the server has something to write (default 20 s)"),
    spec("header_timeout", OptionKind::Duration, "time from TCP accept (or the previous response) to complete request headers; bounds idle and slowloris connections and the time to the Engine.IO open (default 10 s)"),
    spec("body_timeout", OptionKind::Duration, "time to receive a whole polling POST body; past it 408 and the session closes (default 20 s)"),
    spec("max_pending_events", OptionKind::Count, "message events of one connection waiting for the host; at the limit that connection is not read (default 128, at least 1)"),
    spec("max_pending_bytes", OptionKind::Count, "bytes of one connection's message events waiting for the host (default 4 MiB, at least 1)"),
    spec("max_pending_events_total", OptionKind::Count, "message events of all connections waiting for the host (default 65536, at least 1)"),
    spec("max_pending_bytes_total", OptionKind::Count, "bytes of all connections' message events waiting for the host (default 256 MiB, at least 1)"),
    spec("max_connections", OptionKind::Count, "most simultaneous TCP connections; more are closed at accept (default 100000, at least 1)"),
    spec("max_connections_per_ip", OptionKind::Count, "most simultaneous TCP connections from one IP address (default 0: no limit)"),
    spec("handshakes_per_sec", OptionKind::Count, "Engine.IO handshakes accepted per second; past it 429 (default 0: no limit)"),
    spec("handshakes_per_sec_per_ip", OptionKind::Count, "Engine.IO handshakes accepted per second from one IP address (default 0: no limit)"),
    spec("max_name_length", OptionKind::Count, "longest namespace or room name in bytes (default 256, at least 1)"),
    spec("max_rooms_per_socket", OptionKind::Count, "most rooms one socket can be in, its own room included (default 4096, at least 1)"),
    spec("cleanup_empty_child_namespaces", OptionKind::Bool, "remove a dynamic namespace once its last socket leaves, socket.io's cleanupEmptyChildNamespaces (default false)"),
    spec("allow_polling", OptionKind::Bool, "accept HTTP long-polling (default true)"),
    spec("allow_websocket", OptionKind::Bool, "accept WebSocket (default true)"),
    spec("cors_origins", OptionKind::Texts, "origins allowed cross-origin requests; \"*\" any (default none: CORS off)"),
    spec("cors_credentials", OptionKind::Bool, "send Access-Control-Allow-Credentials (default false; needs cors_origins, cors_origin_patterns or cors_origin_hook)"),
    spec("cors_origin_patterns", OptionKind::Texts, "origins allowed when one of these regular expressions (the regex crate's syntax) matches them anywhere, as the cors package's RegExp origins; anchor them with ^ and $ (default none)"),
    spec("cors_origin_hook", OptionKind::Bool, "the host decides each request's origin (socket.io's cors.origin function): every request to the Engine.IO path, preflights included, is a CorsOrigin event answered with allow_origin; not with cors_origins or cors_origin_patterns (default false)"),
    spec("cors_methods", OptionKind::Texts, "Access-Control-Allow-Methods of preflight answers, the cors package's methods: these methods (joined with \",\"; an empty list sends none) (default GET,HEAD,PUT,PATCH,POST,DELETE; needs CORS on)"),
    spec("cors_allowed_headers", OptionKind::Texts, "Access-Control-Allow-Headers of preflight answers, the cors package's allowedHeaders: these header names (joined with \",\"; an empty list sends none) (default: the preflight's Access-Control-Request-Headers are reflected; needs CORS on)"),
    spec("cors_exposed_headers", OptionKind::Texts, "Access-Control-Expose-Headers of every Engine.IO answer, the cors package's exposedHeaders: response headers the page's script may read (default none; needs CORS on)"),
    spec("cors_max_age", OptionKind::Count, "Access-Control-Max-Age of preflight answers in seconds, the cors package's maxAge: how long the browser may cache the preflight (default none: not sent; needs CORS on)"),
    spec("static_dir", OptionKind::Text, "serve files from this directory outside the Engine.IO path (default none)"),
    spec("client_dist_dir", OptionKind::Text, "serve socket.io's client files (<path>socket.io.js, .min.js, .msgpack.min.js, .esm.min.js and their .map) from this directory as socket.io's serveClient does: ETag of the server's version (304 to If-None-Match), br/gzip/deflate when accepted (made once), the CORS headers; other names under the path are the engine's (400) (default none)"),
    spec("worker_threads", OptionKind::Count, "worker threads of the server's runtime (default: CPU count; at least 1)"),
    spec("recovery_max_disconnection_duration", OptionKind::Duration, "connection state recovery: how long a disconnected socket may come back with its id, rooms, data and missed packets; setting it turns recovery on (default off; 0 turns it off)"),
    spec("recovery_skip_middlewares", OptionKind::Bool, "connection state recovery: a recovered socket skips connect middleware (default true)"),
    spec("recovery_max_packets", OptionKind::Count, "connection state recovery: packets kept per namespace for replay (default 10000, at least 1)"),
    spec("redis_url", OptionKind::Text, "join a cluster through Redis in @socket.io/redis-adapter's format: redis://host:port[/db] or unix://path (default none: rooms in memory)"),
    spec("redis_key", OptionKind::Text, "Redis channel prefix, the adapter's `key` (default \"socket.io\"; needs redis_url)"),
    spec("redis_request_timeout", OptionKind::Duration, "how long cluster requests wait for the other nodes, `requestsTimeout` (default 5 s; needs redis_url)"),
    spec("redis_specific_response_channel", OptionKind::Bool, "answer on a per-node response channel, `publishOnSpecificResponseChannel` (default false; needs redis_url)"),
    spec("redis_streams", OptionKind::Bool, "speak @socket.io/redis-streams-adapter 0.3 instead of the classic adapter: broadcasts go through the Redis stream named redis_key, and connection state recovery works across nodes (default false; needs redis_url; see README \"Cluster\")"),
    spec("redis_stream_max_len", OptionKind::Count, "the stream's approximate length bound, the streams adapter's `maxLen` (default 10000; needs redis_streams)"),
    spec("allow_request", OptionKind::Bool, "ask the host about every Engine.IO handshake before any session exists (socket.io's allowRequest): an AllowRequest event answered with allow_request (default false)"),
    spec("allow_request_timeout", OptionKind::Duration, "a handshake the host has not answered within this time is refused with 403 (default 10 s)"),
    spec("redis_sharded", OptionKind::Bool, "use the sharded adapter, `createShardedAdapter` (SSUBSCRIBE/SPUBLISH, Redis 7 or later), instead of the classic one (default false; needs redis_url)"),
    spec("redis_subscription_mode", OptionKind::Text, "the sharded adapter's `subscriptionMode`: \"dynamic\" (default: public rooms get a channel of their own), \"dynamic-private\" (socket-id rooms too) or \"static\" (needs redis_sharded)"),
    spec("tls_cert", OptionKind::Text, "serve https / wss (rustls): the PEM certificate chain, leaf first, as a file path or the PEM text itself (starts with \"-----BEGIN\"); needs tls_key (default none: plain http)"),
    spec("tls_key", OptionKind::Text, "the private key of tls_cert (PKCS#8, PKCS#1 or SEC1 PEM), as a file path or the PEM text (default none)"),
    spec("metrics", OptionKind::Bool, "count the server's metrics, readable from the host's snapshot call (default false; metrics_path turns it on)"),
    spec("metrics_path", OptionKind::Text, "serve the metrics in the Prometheus text format 0.0.4 at this path, e.g. \"/metrics\" (default none; turns metrics on)"),
    spec("parser", OptionKind::Text, "packet encoding, socket.io's `parser`: \"json\" (socket.io-parser, the default) or \"msgpack\" (socket.io-msgpack-parser: one binary msgpack frame per packet); clients must use the same one"),
    spec("per_message_deflate", OptionKind::Bool, "WebSocket permessage-deflate (RFC 7692), socket.io's perMessageDeflate: negotiated with clients that offer it, always with no context takeover either way (no compression state kept per connection); a broadcast is compressed once for all its recipients (default false, as in socket.io 4)"),
    spec("per_message_deflate_threshold", OptionKind::Count, "with per_message_deflate: messages shorter than this many bytes go uncompressed, perMessageDeflate's `threshold` (default 1024; needs per_message_deflate)"),
    spec("admin_ui", OptionKind::Bool, "serve the Socket.IO admin UI (@socket.io/admin-ui's dashboard) on its own namespace, handled by the core; turns metrics on (default false; needs admin_ui_password or admin_ui_auth false)"),
    spec("admin_ui_namespace", OptionKind::Text, "the admin UI's namespace, instrument's namespaceName (default \"/admin\"; needs admin_ui)"),
    spec("admin_ui_auth", OptionKind::Bool, "false allows the dashboard without credentials, instrument's auth: false (default: credentials required; needs admin_ui)"),
    spec("admin_ui_username", OptionKind::Text, "the admin UI's basic auth user name (default \"admin\"; needs admin_ui_password)"),
    spec("admin_ui_password", OptionKind::Text, "the admin UI's basic auth password as a bcrypt hash ($2a$/$2b$/$2y$), as instrument takes it (default none; needs admin_ui)"),
    spec("admin_ui_readonly", OptionKind::Bool, "refuse the dashboard's join, leave, disconnect and emit actions, instrument's readonly (default false; needs admin_ui)"),
    spec("admin_ui_mode", OptionKind::Text, "\"development\" (every socket, room change and event is shown) or \"production\" (server stats only, nothing per message) (default \"development\"; needs admin_ui)"),
    spec("admin_ui_server_id", OptionKind::Text, "this node's id in the dashboard's servers list, instrument's serverId (default: the host name; needs admin_ui)"),
    spec("admin_ui_stats_interval", OptionKind::Duration, "how often the server stats are sent to the dashboard (default 2 s; needs admin_ui)"),
    spec("hold_connect", OptionKind::Bool, "hold each CONNECT reply until the host calls release (default false; the Python and Node bindings turn it on)"),
];

/// The spec of option `name`, if there is one.
pub fn option(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// A value on its way into [`ConfigBuilder::set`].
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// For [`OptionKind::Bool`].
    Bool(bool),
    /// For [`OptionKind::Count`].
    Count(u64),
    /// For [`OptionKind::Duration`].
    Duration(Duration),
    /// For [`OptionKind::Text`] (and a one-element [`OptionKind::Texts`]).
    Text(String),
    /// For [`OptionKind::Texts`].
    Texts(Vec<String>),
    /// Unsets an optional option (`static_dir`, `cors_origins`, `worker_threads`, ...) or
    /// restores the default.
    Unset,
}

/// Engine.IO path normalisation: a leading and a trailing slash (`"socket.io"` →
/// `"/socket.io/"`).
pub fn normalize_path(path: &str) -> Result<String, ConfigError> {
    if path.contains(['?', '#']) {
        return Err(ConfigError::InvalidPath(path.to_owned()));
    }
    let mut p = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        p.push('/');
    }
    p.push_str(path);
    if !p.ends_with('/') {
        p.push('/');
    }
    Ok(p)
}

/// The metrics path as given, checked: it starts with `/` and has no `?` or `#`.
pub fn metrics_path(path: &str) -> Result<String, ConfigError> {
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(ConfigError::OutOfRange(
            "metrics_path".into(),
            "must start with '/' and contain no '?' or '#'",
        ));
    }
    Ok(path.to_owned())
}

/// A namespace rule from a pattern: a `*` makes it a glob (a dynamic namespace).
pub fn namespace_rule(pattern: &str, middleware: bool) -> Result<NamespaceRule, ConfigError> {
    if !pattern.starts_with('/') {
        return Err(ConfigError::InvalidNamespace(pattern.to_owned()));
    }
    let matcher = if pattern.contains('*') {
        NamespaceMatch::Glob(pattern.to_owned())
    } else {
        NamespaceMatch::Exact(pattern.to_owned())
    };
    Ok(NamespaceRule {
        matcher,
        middleware,
    })
}

/// CORS from exact origins, patterns (compiled, see [`OriginPattern`]) and whether the
/// host decides: `"*"` among the origins allows any origin; nothing at all turns CORS off.
pub fn cors_with(
    origins: Vec<String>,
    patterns: &[String],
    hook: bool,
    credentials: bool,
) -> Result<Option<Cors>, ConfigError> {
    if hook {
        if !origins.is_empty() || !patterns.is_empty() {
            return Err(ConfigError::OutOfRange(
                "cors_origin_hook".into(),
                "decides every origin: leave cors_origins and cors_origin_patterns unset",
            ));
        }
        return Ok(Some(Cors {
            origins: AllowedOrigins::Host,
            credentials,
            headers: CorsHeaders::default(),
        }));
    }
    if patterns.is_empty() || origins.iter().any(|o| o == "*") {
        return Ok(cors_from(origins, credentials));
    }
    let patterns = patterns
        .iter()
        .map(|p| OriginPattern::new(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| ConfigError::Invalid("cors_origin_patterns".into(), why))?;
    Ok(Some(Cors {
        origins: AllowedOrigins::Matching {
            exact: origins,
            patterns,
        },
        credentials,
        headers: CorsHeaders::default(),
    }))
}

/// A cors header list option as one header value: the names joined with `,` (as the cors
/// package joins an array); an invalid header value (a control character) is refused
/// naming the option.
fn header_list(name: &str, list: &[String]) -> Result<String, ConfigError> {
    let joined = list.join(",");
    if hyper::header::HeaderValue::from_str(&joined).is_err() {
        return Err(ConfigError::Invalid(
            name.into(),
            format!("{joined:?} is not a valid header value"),
        ));
    }
    Ok(joined)
}

/// CORS from a list of origins: `"*"` anywhere allows any origin; an empty list turns
/// CORS off.
pub fn cors_from(origins: Vec<String>, credentials: bool) -> Option<Cors> {
    if origins.is_empty() && !credentials {
        return None;
    }
    let origins = if origins.iter().any(|o| o == "*") {
        AllowedOrigins::Any
    } else {
        AllowedOrigins::List(origins)
    };
    Some(Cors {
        origins,
        credentials,
        headers: CorsHeaders::default(),
    })
}

/// The addresses to try for `host:port`, in order: `"::"` is IPv6-any then IPv4-any (for
/// machines without IPv6); a name is every address it resolves to.
pub fn resolve_bind(host: &str, port: u16) -> Result<Vec<SocketAddr>, ConfigError> {
    if host == "::" {
        return Ok(vec![
            SocketAddr::from(([0u16; 8], port)),
            SocketAddr::from(([0u8; 4], port)),
        ]);
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .unwrap_or_default();
    if addrs.is_empty() {
        return Err(ConfigError::UnresolvableHost(host.to_owned()));
    }
    Ok(addrs)
}

impl Config {
    /// Checks the combinations no single setter can: see [`ConfigError`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.allow_polling && !self.allow_websocket {
            return Err(ConfigError::NoTransport);
        }
        if self.max_buffered_frames == 0 {
            return Err(ConfigError::OutOfRange(
                "max_buffered_frames".into(),
                "must be at least 1",
            ));
        }
        if self.worker_threads == Some(0) {
            return Err(ConfigError::OutOfRange(
                "worker_threads".into(),
                "must be at least 1",
            ));
        }
        if self.ping_interval.is_zero() {
            return Err(ConfigError::OutOfRange(
                "ping_interval".into(),
                "must be above 0",
            ));
        }
        if self.max_payload == 0 {
            return Err(ConfigError::OutOfRange(
                "max_payload".into(),
                "must be at least 1",
            ));
        }
        super::limits::validate(self)?;
        if !self.listen && self.tls.is_some() {
            // The host's own server terminates TLS for the connections it hands in.
            return Err(ConfigError::OutOfRange(
                "tls_cert".into(),
                "needs listen: without a listener, TLS is the host's HTTP server's",
            ));
        }
        super::routes::validate(self)?;
        normalize_path(&self.path)?;
        if let Some(p) = &self.metrics_path {
            metrics_path(p)?;
            if p.trim_end_matches('/') == self.path.trim_end_matches('/') {
                return Err(ConfigError::OutOfRange(
                    "metrics_path".into(),
                    "must differ from the Engine.IO path",
                ));
            }
        }
        if let Some(c) = &self.cors {
            if c.credentials && c.origins == AllowedOrigins::List(Vec::new()) {
                return Err(ConfigError::CredentialsWithoutOrigins);
            }
        }
        if let Some(a) = &self.admin_ui {
            crate::server::admin::check(a)?;
        }
        for rule in &self.namespaces {
            match &rule.matcher {
                NamespaceMatch::Exact(n) | NamespaceMatch::Glob(n) if !n.starts_with('/') => {
                    return Err(ConfigError::InvalidNamespace(n.clone()));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Builds a [`Config`] option by option, by name, and starts a server from it. What C,
/// Python and Node configure through; Rust hosts may fill [`Config`] directly.
#[derive(Clone, Debug)]
pub struct ConfigBuilder {
    config: Config,
    host: String,
    cors_origins: Vec<String>,
    cors_credentials: bool,
    /// `cors_origin_patterns` as set (compiled when set, to refuse a bad one there).
    cors_patterns: Vec<String>,
    cors_hook: bool,
    /// `cors_methods`, `cors_allowed_headers`, `cors_exposed_headers` and `cors_max_age`
    /// as set.
    cors_headers: CorsHeaders,
    /// Connection state recovery as set: duration (on when above 0), skip, max packets.
    recovery: (Option<Duration>, Option<bool>, Option<usize>),
    /// Redis cluster as set: url, key, request timeout, specific response channel.
    redis: (
        Option<String>,
        Option<String>,
        Option<Duration>,
        Option<bool>,
    ),
    /// The streams adapter as set: on, stream bound.
    streams: (Option<bool>, Option<usize>),
    /// Sharded adapter as set: on/off, subscription mode.
    sharded: (Option<bool>, Option<String>),
    /// TLS as set: certificate chain, key.
    tls: (Option<Pem>, Option<Pem>),
    /// permessage-deflate as set: on, threshold.
    deflate: (Option<bool>, Option<usize>),
    /// The admin UI as set (see [`AdminOptions`]).
    admin: AdminOptions,
}

/// The `admin_ui*` options as set, checked together by [`ConfigBuilder::build`].
#[derive(Clone, Debug, Default)]
struct AdminOptions {
    on: Option<bool>,
    namespace: Option<String>,
    auth: Option<bool>,
    username: Option<String>,
    password: Option<String>,
    readonly: Option<bool>,
    mode: Option<String>,
    server_id: Option<String>,
    stats_interval: Option<Duration>,
}

impl AdminOptions {
    /// The admin UI config, `None` when off; an `admin_ui_*` option without `admin_ui`
    /// is refused with its name.
    fn build(&self) -> Result<Option<crate::config::AdminUi>, ConfigError> {
        use crate::config::{AdminMode, AdminUi};
        if self.on != Some(true) {
            let set = [
                ("admin_ui_namespace", self.namespace.is_some()),
                ("admin_ui_auth", self.auth.is_some()),
                ("admin_ui_username", self.username.is_some()),
                ("admin_ui_password", self.password.is_some()),
                ("admin_ui_readonly", self.readonly.is_some()),
                ("admin_ui_mode", self.mode.is_some()),
                ("admin_ui_server_id", self.server_id.is_some()),
                ("admin_ui_stats_interval", self.stats_interval.is_some()),
            ];
            return match set.iter().find(|(_, s)| *s) {
                Some((name, _)) => Err(ConfigError::OutOfRange((*name).into(), "needs admin_ui")),
                None => Ok(None),
            };
        }
        let d = AdminUi::default();
        let auth = match (self.auth, &self.password) {
            (Some(false), Some(_)) => {
                return Err(ConfigError::OutOfRange(
                    "admin_ui_password".into(),
                    "conflicts with admin_ui_auth false",
                ))
            }
            (Some(false), None) if self.username.is_some() => {
                return Err(ConfigError::OutOfRange(
                    "admin_ui_username".into(),
                    "conflicts with admin_ui_auth false",
                ))
            }
            (Some(false), None) => None,
            (_, Some(p)) => Some((
                self.username.clone().unwrap_or_else(|| "admin".into()),
                p.clone(),
            )),
            (_, None) => {
                return Err(ConfigError::OutOfRange(
                    "admin_ui_password".into(),
                    "is required with admin_ui (a bcrypt hash), or set admin_ui_auth to false",
                ))
            }
        };
        let mode = match &self.mode {
            None => d.mode,
            Some(m) => AdminMode::parse(m).ok_or_else(|| {
                ConfigError::OutOfRange(
                    "admin_ui_mode".into(),
                    "must be \"development\" or \"production\"",
                )
            })?,
        };
        Ok(Some(AdminUi {
            namespace: self.namespace.clone().unwrap_or(d.namespace),
            auth,
            readonly: self.readonly.unwrap_or(d.readonly),
            mode,
            server_id: self.server_id.clone(),
            stats_interval: self.stats_interval.unwrap_or(d.stats_interval),
        }))
    }
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn count(name: &str, v: u64) -> Result<usize, ConfigError> {
    usize::try_from(v).map_err(|_| ConfigError::OutOfRange(name.into(), "too large"))
}

impl ConfigBuilder {
    /// socket.io's defaults (see [`Config::default`]), on host `127.0.0.1`.
    pub fn new() -> Self {
        Self {
            config: Config::default(),
            host: "127.0.0.1".into(),
            cors_origins: Vec::new(),
            cors_credentials: false,
            cors_patterns: Vec::new(),
            cors_hook: false,
            cors_headers: CorsHeaders::default(),
            recovery: (None, None, None),
            redis: (None, None, None, None),
            streams: (None, None),
            sharded: (None, None),
            tls: (None, None),
            deflate: (None, None),
            admin: AdminOptions::default(),
        }
    }

    /// Sets option `name` (see [`OPTIONS`]). Errors name the option.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<&mut Self, ConfigError> {
        let spec = option(name).ok_or_else(|| ConfigError::UnknownOption(name.into()))?;
        let wrong = || ConfigError::WrongType(name.into(), spec.kind);
        if matches!(value, OptionValue::Duration(t) if t > limits::MAX_DURATION) {
            return Err(ConfigError::OutOfRange(
                name.into(),
                "must be at most 1 year",
            ));
        }
        if let Some(r) = limits::set(&mut self.config, name, &value) {
            r?;
            return Ok(self);
        }
        let c = &mut self.config;
        let d = Config::default();
        match (name, value) {
            ("host", OptionValue::Text(h)) => self.host = h,
            ("host", OptionValue::Unset) => self.host = "127.0.0.1".into(),
            ("port", OptionValue::Count(p)) => {
                let p = u16::try_from(p)
                    .map_err(|_| ConfigError::OutOfRange(name.into(), "must be 0..=65535"))?;
                c.bind.set_port(p);
            }
            ("listen", OptionValue::Bool(b)) => c.listen = b,
            ("listen", OptionValue::Unset) => c.listen = true,
            ("path", OptionValue::Text(p)) => c.path = normalize_path(&p)?,
            ("ping_interval", OptionValue::Duration(t)) => c.ping_interval = t,
            ("ping_timeout", OptionValue::Duration(t)) => c.ping_timeout = t,
            ("connect_timeout", OptionValue::Duration(t)) => c.connect_timeout = t,
            ("max_payload", OptionValue::Count(n)) => c.max_payload = count(name, n)?,
            ("max_attachments", OptionValue::Count(n)) => c.max_attachments = count(name, n)?,
            ("max_buffered_frames", OptionValue::Count(n)) => {
                if n == 0 {
                    return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
                }
                c.max_buffered_frames = count(name, n)?;
            }
            ("allow_polling", OptionValue::Bool(b)) => c.allow_polling = b,
            ("allow_websocket", OptionValue::Bool(b)) => c.allow_websocket = b,
            ("cors_origins", OptionValue::Texts(o)) => self.cors_origins = o,
            ("cors_origins", OptionValue::Text(o)) => self.cors_origins = vec![o],
            ("cors_origins", OptionValue::Unset) => self.cors_origins.clear(),
            ("cors_credentials", OptionValue::Bool(b)) => self.cors_credentials = b,
            ("cors_origin_patterns", OptionValue::Texts(list)) => {
                for p in &list {
                    OriginPattern::new(p).map_err(|why| ConfigError::Invalid(name.into(), why))?;
                }
                self.cors_patterns = list;
            }
            ("cors_origin_patterns", OptionValue::Text(p)) => {
                OriginPattern::new(&p).map_err(|why| ConfigError::Invalid(name.into(), why))?;
                self.cors_patterns = vec![p];
            }
            ("cors_origin_patterns", OptionValue::Unset) => self.cors_patterns.clear(),
            ("cors_origin_hook", OptionValue::Bool(b)) => self.cors_hook = b,
            ("cors_origin_hook", OptionValue::Unset) => self.cors_hook = false,
            ("cors_methods", OptionValue::Texts(list)) => {
                self.cors_headers.methods = Some(header_list(name, &list)?)
            }
            ("cors_methods", OptionValue::Text(t)) => {
                self.cors_headers.methods = Some(header_list(name, &[t])?)
            }
            ("cors_methods", OptionValue::Unset) => self.cors_headers.methods = None,
            ("cors_allowed_headers", OptionValue::Texts(list)) => {
                self.cors_headers.allowed = Some(header_list(name, &list)?)
            }
            ("cors_allowed_headers", OptionValue::Text(t)) => {
                self.cors_headers.allowed = Some(header_list(name, &[t])?)
            }
            ("cors_allowed_headers", OptionValue::Unset) => self.cors_headers.allowed = None,
            ("cors_exposed_headers", OptionValue::Texts(list)) => {
                self.cors_headers.exposed = Some(header_list(name, &list)?)
            }
            ("cors_exposed_headers", OptionValue::Text(t)) => {
                self.cors_headers.exposed = Some(header_list(name, &[t])?)
            }
            ("cors_exposed_headers", OptionValue::Unset) => self.cors_headers.exposed = None,
            ("cors_max_age", OptionValue::Count(n)) => self.cors_headers.max_age = Some(n),
            ("cors_max_age", OptionValue::Unset) => self.cors_headers.max_age = None,
            ("static_dir", OptionValue::Text(p)) => c.static_dir = Some(p.into()),
            ("static_dir", OptionValue::Unset) => c.static_dir = None,
            ("client_dist_dir", OptionValue::Text(p)) => c.client_dist_dir = Some(p.into()),
            ("client_dist_dir", OptionValue::Unset) => c.client_dist_dir = None,
            ("worker_threads", OptionValue::Count(n)) => {
                if n == 0 {
                    return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
                }
                c.worker_threads = Some(count(name, n)?);
            }
            ("worker_threads", OptionValue::Unset) => c.worker_threads = None,
            ("hold_connect", OptionValue::Bool(b)) => c.hold_connect = b,
            ("parser", OptionValue::Text(p)) => {
                c.parser = Parser::from_name(&p).ok_or(ConfigError::OutOfRange(
                    name.into(),
                    "must be \"json\" or \"msgpack\"",
                ))?
            }
            ("parser", OptionValue::Unset) => c.parser = Parser::Json,
            ("per_message_deflate", OptionValue::Bool(b)) => self.deflate.0 = Some(b),
            ("per_message_deflate", OptionValue::Unset) => self.deflate.0 = None,
            ("per_message_deflate_threshold", OptionValue::Count(n)) => {
                self.deflate.1 = Some(count(name, n)?)
            }
            ("per_message_deflate_threshold", OptionValue::Unset) => self.deflate.1 = None,
            ("admin_ui", OptionValue::Bool(b)) => self.admin.on = Some(b),
            ("admin_ui", OptionValue::Unset) => self.admin.on = None,
            ("admin_ui_namespace", OptionValue::Text(t)) => self.admin.namespace = Some(t),
            ("admin_ui_namespace", OptionValue::Unset) => self.admin.namespace = None,
            ("admin_ui_auth", OptionValue::Bool(b)) => self.admin.auth = Some(b),
            ("admin_ui_auth", OptionValue::Unset) => self.admin.auth = None,
            ("admin_ui_username", OptionValue::Text(t)) => self.admin.username = Some(t),
            ("admin_ui_username", OptionValue::Unset) => self.admin.username = None,
            ("admin_ui_password", OptionValue::Text(t)) => self.admin.password = Some(t),
            ("admin_ui_password", OptionValue::Unset) => self.admin.password = None,
            ("admin_ui_readonly", OptionValue::Bool(b)) => self.admin.readonly = Some(b),
            ("admin_ui_readonly", OptionValue::Unset) => self.admin.readonly = None,
            ("admin_ui_mode", OptionValue::Text(t)) => self.admin.mode = Some(t),
            ("admin_ui_mode", OptionValue::Unset) => self.admin.mode = None,
            ("admin_ui_server_id", OptionValue::Text(t)) => self.admin.server_id = Some(t),
            ("admin_ui_server_id", OptionValue::Unset) => self.admin.server_id = None,
            ("admin_ui_stats_interval", OptionValue::Duration(t)) => {
                self.admin.stats_interval = Some(t)
            }
            ("admin_ui_stats_interval", OptionValue::Unset) => self.admin.stats_interval = None,
            ("allow_request", OptionValue::Bool(b)) => c.allow_request_event = b,
            ("allow_request", OptionValue::Unset) => c.allow_request_event = false,
            ("allow_request_timeout", OptionValue::Duration(t)) => {
                if t.is_zero() {
                    return Err(ConfigError::OutOfRange(name.into(), "must be above 0"));
                }
                c.allow_request_timeout = t;
            }
            ("allow_request_timeout", OptionValue::Unset) => {
                c.allow_request_timeout = d.allow_request_timeout
            }
            ("recovery_max_disconnection_duration", OptionValue::Duration(t)) => {
                self.recovery.0 = Some(t)
            }
            ("recovery_skip_middlewares", OptionValue::Bool(b)) => self.recovery.1 = Some(b),
            ("recovery_max_packets", OptionValue::Count(n)) => {
                if n == 0 {
                    return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
                }
                self.recovery.2 = Some(count(name, n)?);
            }
            ("redis_url", OptionValue::Text(u)) => {
                if !u.starts_with("redis://") && !u.starts_with("unix://") {
                    return Err(ConfigError::OutOfRange(
                        name.into(),
                        "must start with redis:// or unix:// (rediss:// is not supported)",
                    ));
                }
                self.redis.0 = Some(u);
            }
            ("redis_key", OptionValue::Text(k)) => self.redis.1 = Some(k),
            ("redis_request_timeout", OptionValue::Duration(t)) => self.redis.2 = Some(t),
            ("redis_specific_response_channel", OptionValue::Bool(b)) => self.redis.3 = Some(b),
            ("redis_streams", OptionValue::Bool(b)) => self.streams.0 = Some(b),
            ("redis_stream_max_len", OptionValue::Count(n)) => {
                if n == 0 {
                    return Err(ConfigError::OutOfRange(name.into(), "must be at least 1"));
                }
                self.streams.1 = Some(count(name, n)?);
            }
            ("redis_streams", OptionValue::Unset) => self.streams.0 = None,
            ("redis_stream_max_len", OptionValue::Unset) => self.streams.1 = None,
            ("tls_cert", OptionValue::Text(t)) => self.tls.0 = Some(Pem::from_arg(&t)),
            ("tls_key", OptionValue::Text(t)) => self.tls.1 = Some(Pem::from_arg(&t)),
            ("metrics", OptionValue::Bool(b)) => c.metrics = b,
            ("metrics", OptionValue::Unset) => c.metrics = false,
            ("metrics_path", OptionValue::Text(p)) => c.metrics_path = Some(metrics_path(&p)?),
            ("metrics_path", OptionValue::Unset) => c.metrics_path = None,
            ("tls_cert", OptionValue::Unset) => self.tls.0 = None,
            ("tls_key", OptionValue::Unset) => self.tls.1 = None,
            ("redis_url", OptionValue::Unset) => self.redis.0 = None,
            ("redis_key", OptionValue::Unset) => self.redis.1 = None,
            ("redis_request_timeout", OptionValue::Unset) => self.redis.2 = None,
            ("redis_specific_response_channel", OptionValue::Unset) => self.redis.3 = None,
            ("redis_sharded", OptionValue::Bool(b)) => self.sharded.0 = Some(b),
            ("redis_sharded", OptionValue::Unset) => self.sharded.0 = None,
            ("redis_subscription_mode", OptionValue::Text(m)) => self.sharded.1 = Some(m),
            ("redis_subscription_mode", OptionValue::Unset) => self.sharded.1 = None,
            ("recovery_max_disconnection_duration", OptionValue::Unset) => self.recovery.0 = None,
            ("recovery_skip_middlewares", OptionValue::Unset) => self.recovery.1 = None,
            ("recovery_max_packets", OptionValue::Unset) => self.recovery.2 = None,
            // Unset restores the default of the remaining options.
            ("port", OptionValue::Unset) => c.bind.set_port(d.bind.port()),
            ("path", OptionValue::Unset) => c.path = d.path,
            ("ping_interval", OptionValue::Unset) => c.ping_interval = d.ping_interval,
            ("ping_timeout", OptionValue::Unset) => c.ping_timeout = d.ping_timeout,
            ("connect_timeout", OptionValue::Unset) => c.connect_timeout = d.connect_timeout,
            ("max_payload", OptionValue::Unset) => c.max_payload = d.max_payload,
            ("max_attachments", OptionValue::Unset) => c.max_attachments = d.max_attachments,
            ("max_buffered_frames", OptionValue::Unset) => {
                c.max_buffered_frames = d.max_buffered_frames
            }
            ("allow_polling", OptionValue::Unset) => c.allow_polling = true,
            ("allow_websocket", OptionValue::Unset) => c.allow_websocket = true,
            ("cors_credentials", OptionValue::Unset) => self.cors_credentials = false,
            ("hold_connect", OptionValue::Unset) => c.hold_connect = false,
            _ => return Err(wrong()),
        }
        Ok(self)
    }

    /// Accepts namespace `pattern` (`/admin`; a `*` makes it a glob such as `/room-*`);
    /// with `middleware`, each connection becomes a `ConnectRequest`. A pattern already
    /// there gets the new rule.
    pub fn add_namespace(&mut self, pattern: &str, middleware: bool) -> Result<(), ConfigError> {
        let rule = namespace_rule(pattern, middleware)?;
        upsert_rule(&mut self.config.namespaces, rule);
        Ok(())
    }

    /// Removes every namespace rule, the default `/` included.
    pub fn clear_namespaces(&mut self) {
        self.config.namespaces.clear();
    }

    /// Adds a rule as is (e.g. a predicate).
    pub fn add_rule(&mut self, rule: NamespaceRule) {
        self.config.namespaces.push(rule);
    }

    /// The validated config and the addresses to try, in order.
    pub fn build(&self) -> Result<(Config, Vec<SocketAddr>), ConfigError> {
        let mut config = self.config.clone();
        config.cors = cors_with(
            self.cors_origins.clone(),
            &self.cors_patterns,
            self.cors_hook,
            self.cors_credentials,
        )?;
        match &mut config.cors {
            Some(cors) => cors.headers = self.cors_headers.clone(),
            None => {
                let h = &self.cors_headers;
                let set = [
                    ("cors_methods", h.methods.is_some()),
                    ("cors_allowed_headers", h.allowed.is_some()),
                    ("cors_exposed_headers", h.exposed.is_some()),
                    ("cors_max_age", h.max_age.is_some()),
                ];
                if let Some((name, _)) = set.iter().find(|(_, on)| *on) {
                    return Err(ConfigError::OutOfRange(
                        (*name).into(),
                        "needs CORS on: cors_origins, cors_origin_patterns or cors_origin_hook",
                    ));
                }
            }
        }
        config.per_message_deflate = match self.deflate {
            (Some(true), threshold) => Some(crate::config::DeflateConfig {
                threshold: threshold.unwrap_or(crate::config::DeflateConfig::default().threshold),
            }),
            (_, Some(_)) => {
                return Err(ConfigError::OutOfRange(
                    "per_message_deflate_threshold".into(),
                    "needs per_message_deflate",
                ))
            }
            (_, None) => None,
        };
        config.connection_state_recovery = match self.recovery {
            (Some(d), skip, max) if !d.is_zero() => {
                let defaults = RecoveryConfig::default();
                Some(RecoveryConfig {
                    max_disconnection_duration: d,
                    skip_middlewares: skip.unwrap_or(defaults.skip_middlewares),
                    max_packets: max.unwrap_or(defaults.max_packets),
                })
            }
            // 0 turns recovery off.
            (Some(_), _, _) | (None, None, None) => None,
            _ => return Err(ConfigError::RecoveryWithoutDuration),
        };
        config.redis = match &self.redis {
            (Some(url), key, timeout, specific) => {
                let mut rc = crate::adapter::redis::RedisConfig::new(url.clone());
                if let Some(k) = key {
                    rc.key = k.clone();
                }
                if let Some(t) = timeout {
                    rc.request_timeout = *t;
                }
                if let Some(s) = specific {
                    rc.specific_response_channel = *s;
                }
                rc.streams = self.streams.0.unwrap_or(false);
                if rc.streams && specific.is_some() {
                    return Err(ConfigError::OutOfRange(
                        "redis_specific_response_channel".into(),
                        "is a classic adapter option (the streams adapter always answers on the requester's own channel)",
                    ));
                }
                if let Some(n) = self.streams.1 {
                    if !rc.streams {
                        return Err(ConfigError::OutOfRange(
                            "redis_stream_max_len".into(),
                            "needs redis_streams",
                        ));
                    }
                    rc.stream_max_len = n;
                }
                rc.sharded = self.sharded_mode()?;
                if rc.streams && rc.sharded.is_some() {
                    return Err(ConfigError::OutOfRange(
                        "redis_sharded".into(),
                        "cannot be combined with redis_streams (one adapter per server)",
                    ));
                }
                Some(rc)
            }
            (None, None, None, None)
                if self.streams == (None, None)
                    && self.sharded.0 != Some(true)
                    && self.sharded.1.is_none() =>
            {
                None
            }
            _ => return Err(ConfigError::RedisWithoutUrl),
        };
        config.tls = match &self.tls {
            (Some(cert), Some(key)) => Some(TlsConfig {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => return Err(ConfigError::TlsIncomplete),
        };
        config.admin_ui = self.admin.build()?;
        config.validate()?;
        let addrs = resolve_bind(&self.host, config.bind.port())?;
        Ok((config, addrs))
    }

    /// The sharded adapter's mode as set (`None`: the classic adapter).
    fn sharded_mode(&self) -> Result<Option<SubscriptionMode>, ConfigError> {
        let mode = match &self.sharded.1 {
            None => SubscriptionMode::Dynamic,
            Some(m) => SubscriptionMode::parse(m).ok_or_else(|| {
                ConfigError::OutOfRange(
                    "redis_subscription_mode".into(),
                    "must be \"dynamic\", \"dynamic-private\" or \"static\"",
                )
            })?,
        };
        match self.sharded {
            (Some(true), _) => Ok(Some(mode)),
            (_, Some(_)) => Err(ConfigError::OutOfRange(
                "redis_subscription_mode".into(),
                "needs redis_sharded",
            )),
            _ => Ok(None),
        }
    }

    /// Validates, then starts on the first address that binds. An address this machine
    /// cannot use (no IPv6, an interface it lacks) moves on to the next; a port in use or
    /// a forbidden one fails at once, as it would on every address.
    pub fn start(&self) -> Result<(Server, Events), Error> {
        let (mut config, addrs) = self.build().map_err(Error::Config)?;
        if !config.listen {
            return Server::start(config);
        }
        let mut last = None;
        for addr in addrs {
            match std::net::TcpListener::bind(addr) {
                Ok(listener) => {
                    config.bind = addr;
                    return Server::start_listening(config, listener);
                }
                Err(e) => {
                    let fatal = matches!(
                        e.kind(),
                        std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied
                    );
                    last = Some(Error::Io(format!("cannot listen on {addr}: {e}")));
                    if fatal {
                        break;
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::Config(ConfigError::UnresolvableHost(self.host.clone()))))
    }

    /// The config being built (for the route setters beside this module).
    pub(crate) fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Adds one CORS origin (`"*"`: any).
    pub fn add_cors_origin(&mut self, origin: &str) {
        self.cors_origins.push(origin.to_owned());
    }

    /// Adds one CORS origin pattern (see [`OriginPattern`]); an invalid one is refused
    /// naming `cors_origin_patterns`.
    pub fn add_cors_origin_pattern(&mut self, pattern: &str) -> Result<(), ConfigError> {
        OriginPattern::new(pattern)
            .map_err(|why| ConfigError::Invalid("cors_origin_patterns".into(), why))?;
        self.cors_patterns.push(pattern.to_owned());
        Ok(())
    }
}

/// Replaces the rule with the same exact name or glob, or appends it.
pub(crate) fn upsert_rule(rules: &mut Vec<NamespaceRule>, rule: NamespaceRule) {
    let same = |r: &NamespaceRule| match (&r.matcher, &rule.matcher) {
        (NamespaceMatch::Exact(a), NamespaceMatch::Exact(b))
        | (NamespaceMatch::Glob(a), NamespaceMatch::Glob(b)) => a == b,
        _ => false,
    };
    match rules.iter().position(same) {
        Some(i) => rules[i] = rule,
        None => rules.push(rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_in_the_table_can_be_set() {
        for o in OPTIONS {
            let v = match o.kind {
                OptionKind::Bool => OptionValue::Bool(true),
                OptionKind::Count => OptionValue::Count(1),
                OptionKind::Duration => OptionValue::Duration(Duration::from_millis(5)),
                OptionKind::Text => OptionValue::Text(match o.name {
                    "host" => "127.0.0.1".into(),
                    "redis_url" => "redis://127.0.0.1:6379".into(),
                    "parser" => "msgpack".into(),
                    _ => "/x".into(),
                }),
                OptionKind::Texts => OptionValue::Texts(vec![match o.name {
                    "cors_origin_patterns" => r"^https://[a-z]+\.example$".into(),
                    _ => "*".into(),
                }]),
            };
            let mut b = ConfigBuilder::new();
            b.set(o.name, v)
                .unwrap_or_else(|e| panic!("{}: {e}", o.name));
            b.set(o.name, OptionValue::Unset)
                .unwrap_or_else(|e| panic!("unset {}: {e}", o.name));
        }
    }

    #[test]
    fn cors_patterns_match_anywhere_and_the_hook_stands_alone() {
        let mut b = ConfigBuilder::new();
        b.set("cors_origins", OptionValue::Text("http://a.example".into()))
            .unwrap();
        b.set(
            "cors_origin_patterns",
            OptionValue::Texts(vec![r"\.b\.example$".into()]),
        )
        .unwrap();
        let origins = b.build().unwrap().0.cors.unwrap().origins;
        assert!(origins.lists("http://a.example"));
        assert!(origins.lists("https://x.b.example"));
        assert!(!origins.lists("https://x.b.example.evil"));
        assert!(!origins.lists("http://c.example"));
        let bad = b.set("cors_origin_patterns", OptionValue::Text("(".into()));
        assert!(matches!(bad, Err(ConfigError::Invalid(n, _)) if n == "cors_origin_patterns"));
        b.set("cors_origin_hook", OptionValue::Bool(true)).unwrap();
        assert!(matches!(
            b.build(),
            Err(ConfigError::OutOfRange(n, _)) if n == "cors_origin_hook"
        ));
        let mut hook = ConfigBuilder::new();
        hook.set("cors_origin_hook", OptionValue::Bool(true))
            .unwrap();
        assert_eq!(
            hook.build().unwrap().0.cors.unwrap().origins,
            AllowedOrigins::Host
        );
    }

    #[test]
    fn cors_header_options_join_lists_and_need_cors_on() {
        let mut b = ConfigBuilder::new();
        b.set(
            "cors_allowed_headers",
            OptionValue::Texts(vec!["x-a".into(), "X-B".into()]),
        )
        .unwrap();
        b.set("cors_exposed_headers", OptionValue::Text("x-c, x-d".into()))
            .unwrap();
        b.set("cors_max_age", OptionValue::Count(0)).unwrap();
        assert!(matches!(
            b.build(),
            Err(ConfigError::OutOfRange(n, _)) if n == "cors_allowed_headers"
        ));
        b.set(
            "cors_methods",
            OptionValue::Texts(vec!["GET".into(), "POST".into()]),
        )
        .unwrap();
        b.set("cors_origins", OptionValue::Text("*".into()))
            .unwrap();
        assert_eq!(
            b.build().unwrap().0.cors.unwrap().headers,
            CorsHeaders {
                methods: Some("GET,POST".into()),
                allowed: Some("x-a,X-B".into()),
                exposed: Some("x-c, x-d".into()),
                max_age: Some(0),
            }
        );
        b.set("cors_allowed_headers", OptionValue::Texts(Vec::new()))
            .unwrap();
        b.set("cors_exposed_headers", OptionValue::Unset).unwrap();
        b.set("cors_methods", OptionValue::Unset).unwrap();
        b.set("cors_max_age", OptionValue::Unset).unwrap();
        assert_eq!(
            b.build().unwrap().0.cors.unwrap().headers,
            CorsHeaders {
                allowed: Some(String::new()),
                ..CorsHeaders::default()
            }
        );
        let bad = b.set("cors_exposed_headers", OptionValue::Text("a\r\nb".into()));
        assert!(matches!(bad, Err(ConfigError::Invalid(n, _)) if n == "cors_exposed_headers"));
    }

    #[test]
    fn parser_is_json_or_msgpack() {
        let mut b = ConfigBuilder::new();
        b.set("parser", OptionValue::Text("msgpack".into()))
            .unwrap();
        assert_eq!(b.build().unwrap().0.parser, Parser::Msgpack);
        assert!(matches!(
            b.set("parser", OptionValue::Text("yaml".into())).unwrap_err(),
            ConfigError::OutOfRange(n, _) if n == "parser"
        ));
    }

    #[test]
    fn deflate_is_off_by_default_and_its_threshold_needs_it() {
        use crate::config::DeflateConfig;
        let mut b = ConfigBuilder::new();
        assert_eq!(b.build().unwrap().0.per_message_deflate, None);
        b.set("per_message_deflate", OptionValue::Bool(true))
            .unwrap();
        assert_eq!(
            b.build().unwrap().0.per_message_deflate,
            Some(DeflateConfig { threshold: 1024 })
        );
        b.set("per_message_deflate_threshold", OptionValue::Count(0))
            .unwrap();
        assert_eq!(
            b.build().unwrap().0.per_message_deflate,
            Some(DeflateConfig { threshold: 0 })
        );
        b.set("per_message_deflate", OptionValue::Bool(false))
            .unwrap();
        let err = b.build().unwrap_err();
        assert!(
            matches!(&err, ConfigError::OutOfRange(n, _) if n == "per_message_deflate_threshold"),
            "{err}"
        );
    }

    #[test]
    fn each_invalid_value_has_its_own_error() {
        let mut b = ConfigBuilder::new();
        assert_eq!(
            b.set("nope", OptionValue::Bool(true)).unwrap_err(),
            ConfigError::UnknownOption("nope".into())
        );
        assert_eq!(
            b.set("port", OptionValue::Bool(true)).unwrap_err(),
            ConfigError::WrongType("port".into(), OptionKind::Count)
        );
        assert!(matches!(
            b.set("port", OptionValue::Count(70000)).unwrap_err(),
            ConfigError::OutOfRange(..)
        ));
        assert!(matches!(
            b.set("max_buffered_frames", OptionValue::Count(0))
                .unwrap_err(),
            ConfigError::OutOfRange(..)
        ));
        assert_eq!(
            b.set("path", OptionValue::Text("/a?b".into())).unwrap_err(),
            ConfigError::InvalidPath("/a?b".into())
        );
        assert_eq!(
            b.add_namespace("admin", false).unwrap_err(),
            ConfigError::InvalidNamespace("admin".into())
        );
        b.set("allow_polling", OptionValue::Bool(false)).unwrap();
        b.set("allow_websocket", OptionValue::Bool(false)).unwrap();
        assert_eq!(b.build().unwrap_err(), ConfigError::NoTransport);
        let mut b = ConfigBuilder::new();
        b.set("cors_credentials", OptionValue::Bool(true)).unwrap();
        assert_eq!(
            b.build().unwrap_err(),
            ConfigError::CredentialsWithoutOrigins
        );
        let mut b = ConfigBuilder::new();
        b.set("tls_cert", OptionValue::Text("/etc/cert.pem".into()))
            .unwrap();
        assert_eq!(b.build().unwrap_err(), ConfigError::TlsIncomplete);
        b.set(
            "tls_key",
            OptionValue::Text("-----BEGIN PRIVATE KEY-----\n".into()),
        )
        .unwrap();
        assert_eq!(
            b.build().unwrap().0.tls,
            Some(TlsConfig {
                cert: Pem::Path("/etc/cert.pem".into()),
                key: Pem::Bytes(b"-----BEGIN PRIVATE KEY-----\n".to_vec()),
            })
        );
    }

    #[test]
    fn the_streams_adapter_is_chosen_by_option_and_checked() {
        let url = || OptionValue::Text("redis://127.0.0.1:6379".into());
        let mut b = ConfigBuilder::new();
        b.set("redis_streams", OptionValue::Bool(true)).unwrap();
        assert_eq!(b.build().unwrap_err(), ConfigError::RedisWithoutUrl);
        b.set("redis_url", url()).unwrap();
        b.set("redis_stream_max_len", OptionValue::Count(500))
            .unwrap();
        let rc = b.build().unwrap().0.redis.unwrap();
        assert!(rc.streams);
        assert_eq!(rc.stream_max_len, 500);
        b.set("redis_specific_response_channel", OptionValue::Bool(true))
            .unwrap();
        assert!(matches!(
            b.build().unwrap_err(),
            ConfigError::OutOfRange(n, _) if n == "redis_specific_response_channel"
        ));
        let mut b = ConfigBuilder::new();
        b.set("redis_url", url()).unwrap();
        assert!(
            !b.build().unwrap().0.redis.unwrap().streams,
            "classic by default"
        );
        b.set("redis_stream_max_len", OptionValue::Count(5))
            .unwrap();
        assert!(matches!(
            b.build().unwrap_err(),
            ConfigError::OutOfRange(n, _) if n == "redis_stream_max_len"
        ));
    }

    #[test]
    fn paths_cors_and_binds_are_normalised_once() {
        assert_eq!(normalize_path("socket.io").unwrap(), "/socket.io/");
        assert_eq!(normalize_path("/x/").unwrap(), "/x/");
        assert_eq!(
            cors_from(vec!["http://a".into(), "*".into()], true),
            Some(Cors {
                origins: AllowedOrigins::Any,
                credentials: true,
                headers: CorsHeaders::default(),
            })
        );
        assert_eq!(cors_from(Vec::new(), false), None);
        assert_eq!(resolve_bind("::", 7).unwrap().len(), 2);
        assert_eq!(
            resolve_bind("127.0.0.1", 7).unwrap(),
            vec![SocketAddr::from(([127, 0, 0, 1], 7))]
        );
        assert!(matches!(
            namespace_rule("/room-*", true).unwrap().matcher,
            NamespaceMatch::Glob(_)
        ));
        let mut rules = vec![namespace_rule("/", false).unwrap()];
        upsert_rule(&mut rules, namespace_rule("/", true).unwrap());
        assert_eq!(rules.len(), 1);
        assert!(rules[0].middleware);
    }
}
