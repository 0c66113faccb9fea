//! The config builder: `roomcast_config_new`, `roomcast_config_set_*`, `roomcast_config_free`.
//! New options arrive as new setter functions, so the ABI never breaks. Each setter is one
//! option of the core's builder (`roomcast::host::options`), which validates the value;
//! combinations are checked by `roomcast_server_start` (`ROOMCAST_ERR_INVALID_CONFIG`).

use parking_lot::Mutex;
use std::ffi::c_char;
use std::time::Duration;

use roomcast::host::options::{ConfigBuilder, ConfigError, OptionValue};
use roomcast::host::Error;

use crate::input::{opt_text, out_ptr, put, text};
use crate::registry::Registry;
use crate::status::{guard, roomcast_status, Fail, Res, ROOMCAST_OK};

/// Opaque server configuration (a builder); every call locks it, so any thread may use it.
pub struct roomcast_config {
    _opaque: [u8; 0],
}

pub static CONFIGS: Registry<Mutex<ConfigBuilder>> = Registry::new();

pub(crate) fn with(
    cfg: *mut roomcast_config,
    f: impl FnOnce(&mut ConfigBuilder) -> Res,
) -> roomcast_status {
    guard(|| f(&mut CONFIGS.get(cfg)?.lock()))
}

fn config_err(e: ConfigError) -> Fail {
    Fail::from(Error::Config(e))
}

/// Sets option `name` of the builder.
pub(crate) fn set(cfg: *mut roomcast_config, name: &str, value: OptionValue) -> roomcast_status {
    with(cfg, |c| c.set(name, value).map(drop).map_err(config_err))
}

/// Creates a config with socket.io's defaults: host "127.0.0.1", port 3000, path
/// "/socket.io/", ping 25000/20000 ms, max payload 1e6, connect timeout 45000 ms, at most
/// 10 attachments, 65536 buffered frames (16 MiB) per connection, polling and WebSocket, only
/// namespace "/", no CORS, no static files. Free it with `roomcast_config_free`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_new(out: *mut *mut roomcast_config) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        put(out, CONFIGS.insert(Mutex::new(ConfigBuilder::new())));
        Ok(())
    })
}

/// Frees a config (NULL is ignored). Servers started from it are not affected.
#[no_mangle]
pub extern "C" fn roomcast_config_free(cfg: *mut roomcast_config) -> roomcast_status {
    if cfg.is_null() {
        return ROOMCAST_OK;
    }
    guard(|| CONFIGS.remove(cfg).map(drop))
}

/// Host or IP address to listen on (default "127.0.0.1"; "0.0.0.0" for all IPv4
/// interfaces; "::" for all interfaces, IPv4 alone where the machine has no IPv6). A name
/// is resolved at start; an address of it this machine lacks is skipped for the next one.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_host(
    cfg: *mut roomcast_config,
    host: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let h = text(host, "host")?;
        c.set("host", OptionValue::Text(h.to_owned()))
            .map(drop)
            .map_err(config_err)
    })
}

/// TCP port (default 3000; 0 picks a free one, see `roomcast_server_port`).
#[no_mangle]
pub extern "C" fn roomcast_config_set_port(
    cfg: *mut roomcast_config,
    port: u16,
) -> roomcast_status {
    set(cfg, "port", OptionValue::Count(port.into()))
}

/// Engine.IO path (default "/socket.io/"); slashes are added at both ends ("socket.io"
/// becomes "/socket.io/"); a '?' or '#' in it is `ROOMCAST_ERR_INVALID_CONFIG`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_path(
    cfg: *mut roomcast_config,
    path: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let p = text(path, "path")?;
        c.set("path", OptionValue::Text(p.to_owned()))
            .map(drop)
            .map_err(config_err)
    })
}

/// Allows cross-origin requests from `origin` (e.g. "http://localhost:8080"); "*" allows
/// any origin. Call once per origin.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_add_cors_origin(
    cfg: *mut roomcast_config,
    origin: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        c.add_cors_origin(text(origin, "origin")?);
        Ok(())
    })
}

/// Allows cross-origin requests from every origin the regular expression `pattern`
/// matches (the regex crate's syntax, searched anywhere in the origin: anchor it, e.g.
/// `^https://[a-z]+\.example\.com$`). Call once per pattern; `ROOMCAST_ERR_INVALID_CONFIG`
/// for an invalid one (the last error names it). Since ABI revision 21.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_add_cors_origin_pattern(
    cfg: *mut roomcast_config,
    pattern: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        c.add_cors_origin_pattern(text(pattern, "pattern")?)
            .map_err(config_err)
    })
}

/// Lets the host decide each request's origin (socket.io's `cors.origin` function):
/// every request to the Engine.IO path, preflights included, arrives as a
/// `ROOMCAST_EVENT_CORS_ORIGIN` event to answer with `roomcast_allow_origin` (within the
/// allow_request timeout, else the request is refused with 403). Not with CORS origins or
/// patterns (`ROOMCAST_ERR_INVALID_CONFIG` at start). Since ABI revision 21.
#[no_mangle]
pub extern "C" fn roomcast_config_set_cors_origin_hook(
    cfg: *mut roomcast_config,
    hook: bool,
) -> roomcast_status {
    set(cfg, "cors_origin_hook", OptionValue::Bool(hook))
}

/// Sends `Access-Control-Allow-Credentials: true` to allowed origins (needs at least one
/// CORS origin, else `roomcast_server_start` fails with `ROOMCAST_ERR_INVALID_CONFIG`).
/// With origin "*", the request's Origin is echoed instead of `*`, because browsers refuse
/// `*` on credentialed requests.
#[no_mangle]
pub extern "C" fn roomcast_config_set_cors_credentials(
    cfg: *mut roomcast_config,
    credentials: bool,
) -> roomcast_status {
    set(cfg, "cors_credentials", OptionValue::Bool(credentials))
}

/// Sets a text option from a C string that may be NULL (NULL: the option's default).
unsafe fn set_opt_text(
    cfg: *mut roomcast_config,
    name: &str,
    value: *const c_char,
    what: &str,
) -> roomcast_status {
    with(cfg, |c| {
        let v = match opt_text(value, what)? {
            Some(t) => OptionValue::Text(t.to_owned()),
            None => OptionValue::Unset,
        };
        c.set(name, v).map(drop).map_err(config_err)
    })
}

/// The `Access-Control-Allow-Methods` of preflight answers (the cors package's `methods`),
/// sent as given: e.g. "GET,POST"; "" sends none. NULL (the default) sends the cors
/// package's "GET,HEAD,PUT,PATCH,POST,DELETE". Needs CORS on, as
/// `roomcast_config_set_cors_allowed_headers`. Since ABI revision 23.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_cors_methods(
    cfg: *mut roomcast_config,
    methods: *const c_char,
) -> roomcast_status {
    set_opt_text(cfg, "cors_methods", methods, "methods")
}

/// The `Access-Control-Allow-Headers` of preflight answers (the cors package's
/// `allowedHeaders`), sent as given: e.g. "x-token,content-type"; "" sends none. NULL (the
/// default) reflects the headers each preflight asks for (`Access-Control-Request-Headers`).
/// CORS must be on (an origin, a pattern or the origin hook), else `roomcast_server_start`
/// fails with `ROOMCAST_ERR_INVALID_CONFIG` naming the option; a value with a control
/// character is `ROOMCAST_ERR_INVALID_CONFIG` here. Since ABI revision 23.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_cors_allowed_headers(
    cfg: *mut roomcast_config,
    headers: *const c_char,
) -> roomcast_status {
    set_opt_text(cfg, "cors_allowed_headers", headers, "headers")
}

/// The `Access-Control-Expose-Headers` of every Engine.IO answer (the cors package's
/// `exposedHeaders`): response headers a page's script may read, e.g. "x-request-id"; NULL
/// or "" (the default) sends none. Needs CORS on, as `roomcast_config_set_cors_allowed_headers`.
/// Since ABI revision 23.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_cors_exposed_headers(
    cfg: *mut roomcast_config,
    headers: *const c_char,
) -> roomcast_status {
    set_opt_text(cfg, "cors_exposed_headers", headers, "headers")
}

/// The `Access-Control-Max-Age` of preflight answers in seconds (the cors package's
/// `maxAge`): how long a browser may cache a preflight's answer; a negative value (the
/// default) sends none. Needs CORS on, as `roomcast_config_set_cors_allowed_headers`.
/// Since ABI revision 23.
#[no_mangle]
pub extern "C" fn roomcast_config_set_cors_max_age(
    cfg: *mut roomcast_config,
    seconds: i64,
) -> roomcast_status {
    let v = u64::try_from(seconds).map_or(OptionValue::Unset, OptionValue::Count);
    set(cfg, "cors_max_age", v)
}

/// Interval between server pings, in milliseconds (default 25000; 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG` at start).
#[no_mangle]
pub extern "C" fn roomcast_config_set_ping_interval_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "ping_interval",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// How long to wait for a pong, in milliseconds (default 20000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_ping_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "ping_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Largest accepted message / POST body in bytes (default 1000000; 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG` at start).
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_payload(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(cfg, "max_payload", OptionValue::Count(bytes as u64))
}

/// Close connections that join no namespace within this many milliseconds (default 45000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_connect_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "connect_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Worker threads of the server's runtime (default: number of CPUs; 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG`).
#[no_mangle]
pub extern "C" fn roomcast_config_set_worker_threads(
    cfg: *mut roomcast_config,
    threads: usize,
) -> roomcast_status {
    set(cfg, "worker_threads", OptionValue::Count(threads as u64))
}

/// Most binary attachments one packet may carry (default 10, as socket.io). A client that
/// sends more has its connection closed (reason "forced close"); 0 refuses binary packets.
/// Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_attachments(
    cfg: *mut roomcast_config,
    max: usize,
) -> roomcast_status {
    set(cfg, "max_attachments", OptionValue::Count(max as u64))
}

/// Accepts HTTP long-polling (default true). When off, a polling request gets HTTP 400
/// `{"code":0,"message":"Transport unknown"}`. Keep at least one transport on: a server
/// with neither fails to start with `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_polling(
    cfg: *mut roomcast_config,
    allow: bool,
) -> roomcast_status {
    set(cfg, "allow_polling", OptionValue::Bool(allow))
}

/// Accepts WebSocket (default true). When off, the polling handshake offers no upgrade
/// (`"upgrades":[]`) and a WebSocket request gets HTTP 400 `{"code":0,"message":"Transport
/// unknown"}`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_websocket(
    cfg: *mut roomcast_config,
    allow: bool,
) -> roomcast_status {
    set(cfg, "allow_websocket", OptionValue::Bool(allow))
}

/// Bound of each connection's outbound queue, in frames (default 65536). When a client
/// cannot keep up, volatile packets are dropped and anything else disconnects it with
/// reason "slow consumer". 0 is `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_buffered_frames(
    cfg: *mut roomcast_config,
    frames: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_buffered_frames",
        OptionValue::Count(frames as u64),
    )
}

/// Holds each socket's CONNECT reply until `roomcast_release` (default false), so that
/// what the CONNECTION handler does (join, emit to the socket, disconnect) reaches the
/// client right after CONNECT, in order, as with socket.io. Release every CONNECTION
/// event's socket once handled. Since ABI revision 5.
#[no_mangle]
pub extern "C" fn roomcast_config_set_hold_connect(
    cfg: *mut roomcast_config,
    hold: bool,
) -> roomcast_status {
    set(cfg, "hold_connect", OptionValue::Bool(hold))
}

/// With `on`, the Redis cluster of `roomcast_config_set_redis` speaks
/// `@socket.io/redis-streams-adapter` 0.3 instead of the classic adapter: broadcasts go
/// through the Redis stream named by the key, and connection state recovery works across
/// nodes (a client may come back on any node, even after its node was killed). `max_len`
/// bounds the stream (`XADD MAXLEN ~`, 0 for the default 10000). Needs
/// `roomcast_config_set_redis`, else `roomcast_server_start` fails with
/// ROOMCAST_ERR_INVALID_CONFIG. Since ABI revision 7.
#[no_mangle]
pub extern "C" fn roomcast_config_set_redis_streams(
    cfg: *mut roomcast_config,
    on: bool,
    max_len: u64,
) -> roomcast_status {
    with(cfg, |c| {
        c.set("redis_streams", OptionValue::Bool(on))
            .map_err(config_err)?;
        let n = match max_len {
            0 => OptionValue::Unset,
            n => OptionValue::Count(n),
        };
        c.set("redis_stream_max_len", n).map_err(config_err)?;
        Ok(())
    })
}

/// Accepts namespace `pattern` ("/admin"; a '*' makes it a dynamic namespace glob such as
/// "/room-*"). With `middleware`, every connection to it first arrives as a
/// CONNECT_REQUEST event that the host accepts or rejects. Adding a pattern that is already
/// there replaces its rule, so `add_namespace(cfg, "/", true)` puts middleware on the
/// default namespace. A pattern without a leading '/' is `ROOMCAST_ERR_INVALID_CONFIG`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_add_namespace(
    cfg: *mut roomcast_config,
    pattern: *const c_char,
    middleware: bool,
) -> roomcast_status {
    with(cfg, |c| {
        let p = text(pattern, "pattern")?;
        c.add_namespace(p, middleware).map_err(config_err)
    })
}

/// Removes every namespace rule, including the default "/".
#[no_mangle]
pub extern "C" fn roomcast_config_clear_namespaces(cfg: *mut roomcast_config) -> roomcast_status {
    with(cfg, |c| {
        c.clear_namespaces();
        Ok(())
    })
}

/// Serves files from directory `dir` for requests outside the Engine.IO path (the chat page).
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_static_dir(
    cfg: *mut roomcast_config,
    dir: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let d = text(dir, "dir")?;
        c.set("static_dir", OptionValue::Text(d.to_owned()))
            .map(drop)
            .map_err(config_err)
    })
}

/// Serves `<path>socket.io.min.js` and friends from `dir`, normally
/// `node_modules/socket.io-client/dist` (socket.io's serveClient).
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_client_dist_dir(
    cfg: *mut roomcast_config,
    dir: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let d = text(dir, "dir")?;
        c.set("client_dist_dir", OptionValue::Text(d.to_owned()))
            .map(drop)
            .map_err(config_err)
    })
}

/// Connection state recovery (socket.io's `connectionStateRecovery`; off by default). A
/// client whose connection drops for a recoverable reason and comes back within
/// `max_disconnection_duration_ms` gets its socket id, rooms and data (`roomcast_set_data`)
/// back and the events it missed; its CONNECTION event then has `recovered` set. With
/// `skip_middlewares` (socket.io's default), a recovered socket does not go through
/// CONNECT_REQUEST. `max_packets` bounds the replay buffer of each namespace (0: the default,
/// 10000). `max_disconnection_duration_ms` 0 turns recovery off. Since ABI revision 3.
#[no_mangle]
pub extern "C" fn roomcast_config_set_connection_state_recovery(
    cfg: *mut roomcast_config,
    max_disconnection_duration_ms: u64,
    skip_middlewares: bool,
    max_packets: usize,
) -> roomcast_status {
    with(cfg, |c| {
        let on = max_disconnection_duration_ms > 0;
        let values = [
            (
                "recovery_max_disconnection_duration",
                match on {
                    true => {
                        OptionValue::Duration(Duration::from_millis(max_disconnection_duration_ms))
                    }
                    false => OptionValue::Unset,
                },
            ),
            (
                "recovery_skip_middlewares",
                match on {
                    true => OptionValue::Bool(skip_middlewares),
                    false => OptionValue::Unset,
                },
            ),
            (
                "recovery_max_packets",
                match (on, max_packets) {
                    (true, n) if n > 0 => OptionValue::Count(n as u64),
                    _ => OptionValue::Unset,
                },
            ),
        ];
        for (name, value) in values {
            c.set(name, value).map_err(config_err)?;
        }
        Ok(())
    })
}

/// (revision 4) Joins a Redis cluster in `@socket.io/redis-adapter`'s classic format:
/// `url` like "redis://127.0.0.1:6379" (or "redis://:password@host:port/db"), `key` the
/// channel prefix (NULL for "socket.io"). `roomcast_server_start` then fails with
/// ROOMCAST_ERR_IO when Redis is unreachable; once started, a Redis outage never stops the
/// server: local delivery continues and it reconnects by itself. Cluster-wide operations
/// go through `roomcast_sockets_join`, `roomcast_emit`, … unchanged. A URL that is not
/// redis:// or unix:// is `ROOMCAST_ERR_INVALID_CONFIG`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_redis(
    cfg: *mut roomcast_config,
    url: *const c_char,
    key: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let u = text(url, "url")?.to_owned();
        let k = match key.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(key, "key")?.to_owned()),
        };
        c.set("redis_url", OptionValue::Text(u))
            .map_err(config_err)?;
        c.set("redis_key", k).map_err(config_err)?;
        Ok(())
    })
}

/// (revision 10) Chooses the sharded adapter, `createShardedAdapter` of
/// `@socket.io/redis-adapter` (Redis 7 sharded pub/sub: SSUBSCRIBE/SPUBLISH), instead of
/// the classic one (`sharded` false, the default). `subscription_mode` is its
/// `subscriptionMode`: "dynamic" (NULL: the default), "dynamic-private" or "static". Needs
/// `roomcast_config_set_redis`; `roomcast_server_start` then fails with ROOMCAST_ERR_IO
/// when Redis is older than 7. An unknown mode, or a mode without `sharded`, is
/// `ROOMCAST_ERR_INVALID_CONFIG` at start.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_redis_sharded(
    cfg: *mut roomcast_config,
    sharded: bool,
    subscription_mode: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let mode = match subscription_mode.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(subscription_mode, "subscription_mode")?.to_owned()),
        };
        c.set("redis_sharded", OptionValue::Bool(sharded))
            .map_err(config_err)?;
        c.set("redis_subscription_mode", mode).map_err(config_err)?;
        Ok(())
    })
}

/// A PEM argument: PEM text when it starts with `-----BEGIN`, otherwise a file path.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn pem_arg(ptr: *const c_char, what: &str) -> Res<roomcast::Pem> {
    Ok(roomcast::Pem::from_arg(text(ptr, what)?))
}

/// (revision 11) Serves HTTPS / WSS with rustls: `cert` is the certificate chain (leaf
/// first), either a PEM file path or the PEM text itself (a string starting with
/// "-----BEGIN"); needs `roomcast_config_set_tls_key`. NULL unsets it. The files are loaded
/// and checked by `roomcast_server_start`, which fails with ROOMCAST_ERR_INVALID_CONFIG
/// (and a `roomcast_last_error()` naming the part) when they do not load; one of the two
/// without the other is ROOMCAST_ERR_INVALID_CONFIG too. Replace them later with
/// `roomcast_server_reload_tls`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_tls_cert(
    cfg: *mut roomcast_config,
    cert: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let v = match cert.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(cert, "cert")?.to_owned()),
        };
        c.set("tls_cert", v).map(drop).map_err(config_err)
    })
}

/// (revision 11) The private key of `roomcast_config_set_tls_cert` (PKCS#8, PKCS#1 or SEC1
/// PEM), a file path or the PEM text; NULL unsets it.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_tls_key(
    cfg: *mut roomcast_config,
    key: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let v = match key.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(key, "key")?.to_owned()),
        };
        c.set("tls_key", v).map(drop).map_err(config_err)
    })
}

/// (revision 14) Whether the server binds host:port (default true). With false it has no
/// listener: the host accepts connections on its own socket and hands each to
/// `roomcast_server_adopt_fd` (TLS is then refused: it would be the host's).
#[no_mangle]
pub extern "C" fn roomcast_config_set_listen(
    cfg: *mut roomcast_config,
    on: bool,
) -> roomcast_status {
    set(cfg, "listen", OptionValue::Bool(on))
}

/// (revision 12) Counts the server's metrics, readable with `roomcast_server_metrics`
/// (default false; `roomcast_config_set_metrics_path` turns it on too).
#[no_mangle]
pub extern "C" fn roomcast_config_set_metrics(
    cfg: *mut roomcast_config,
    on: bool,
) -> roomcast_status {
    set(cfg, "metrics", OptionValue::Bool(on))
}

/// (revision 12) Serves the metrics in the Prometheus text format 0.0.4 at `path` (e.g.
/// "/metrics"; it must start with '/' and differ from the Engine.IO path), which turns
/// metrics on; NULL unsets it.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_metrics_path(
    cfg: *mut roomcast_config,
    path: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let v = match path.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(path, "path")?.to_owned()),
        };
        c.set("metrics_path", v).map(drop).map_err(config_err)
    })
}

/// (revision 15) The packet encoding, socket.io's `parser`: "json" (socket.io-parser, the
/// default) or "msgpack" (socket.io-msgpack-parser: each packet one binary msgpack frame,
/// binaries inline). Clients must use the same one. Events reach the callback the same way
/// with either (`args_json` plus `attachments`). NULL restores "json"; any other name is
/// `ROOMCAST_ERR_INVALID_CONFIG`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_parser(
    cfg: *mut roomcast_config,
    parser: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let v = match parser.is_null() {
            true => OptionValue::Unset,
            false => OptionValue::Text(text(parser, "parser")?.to_owned()),
        };
        c.set("parser", v).map(drop).map_err(config_err)
    })
}

/// (revision 15; works since revision 20) WebSocket permessage-deflate (RFC 7692),
/// socket.io's `perMessageDeflate`, default off. On: a client that offers it gets messages
/// of at least the threshold (1024 bytes unless set) compressed, with no context takeover
/// either way (no compression state per connection); a broadcast is compressed once for
/// all its recipients. `ROOMCAST_TARGET_NO_COMPRESS` sends one emit uncompressed.
#[no_mangle]
pub extern "C" fn roomcast_config_set_per_message_deflate(
    cfg: *mut roomcast_config,
    on: bool,
) -> roomcast_status {
    set(cfg, "per_message_deflate", OptionValue::Bool(on))
}

/// (revision 20) With permessage-deflate on: messages shorter than `bytes` go uncompressed
/// (perMessageDeflate's `threshold`, default 1024). Set without
/// `roomcast_config_set_per_message_deflate(cfg, true)`, the server refuses to start with
/// `ROOMCAST_ERR_INVALID_CONFIG` naming it.
#[no_mangle]
pub extern "C" fn roomcast_config_set_per_message_deflate_threshold(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(
        cfg,
        "per_message_deflate_threshold",
        OptionValue::Count(bytes as u64),
    )
}
/// (revision 17) Serves the Socket.IO admin UI (the `@socket.io/admin-ui` dashboard, hosted
/// at https://admin.socket.io or its static build) on namespace `namespace_name` (NULL:
/// "/admin"), handled by the library: the host never sees its sockets or events. It is
/// `instrument(io, { auth, readonly, mode, namespaceName, serverId })`:
/// `password_hash` is the bcrypt hash ($2a$/$2b$/$2y$) of the password of `username`
/// (NULL: "admin"); a NULL `password_hash` is `auth: false` (anyone who reaches the server
/// may use the dashboard). `readonly` refuses its join, leave, disconnect and emit
/// actions; `mode` is "development" (NULL: every socket, room change and event is shown)
/// or "production" (server stats only, nothing per message); `server_id` names this node
/// in the servers list (NULL: the host name); `stats_interval_ms` is how often the server
/// stats are sent (0: 2000). Turns metrics on. A bad value is
/// ROOMCAST_ERR_INVALID_CONFIG with `roomcast_last_error()` naming the option (e.g.
/// admin_ui_password); the hash is checked here, the namespace by `roomcast_server_start`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_admin_ui(
    cfg: *mut roomcast_config,
    namespace_name: *const c_char,
    username: *const c_char,
    password_hash: *const c_char,
    readonly: bool,
    mode: *const c_char,
    server_id: *const c_char,
    stats_interval_ms: u64,
) -> roomcast_status {
    with(cfg, |c| {
        let opt = |ptr, what| -> Res<OptionValue> {
            Ok(match opt_text(ptr, what)? {
                Some(t) => OptionValue::Text(t.to_owned()),
                None => OptionValue::Unset,
            })
        };
        let password = opt(password_hash, "password_hash")?;
        let values = [
            ("admin_ui", OptionValue::Bool(true)),
            ("admin_ui_namespace", opt(namespace_name, "namespace_name")?),
            (
                "admin_ui_auth",
                match password {
                    OptionValue::Unset => OptionValue::Bool(false),
                    _ => OptionValue::Unset,
                },
            ),
            ("admin_ui_username", opt(username, "username")?),
            ("admin_ui_password", password),
            ("admin_ui_readonly", OptionValue::Bool(readonly)),
            ("admin_ui_mode", opt(mode, "mode")?),
            ("admin_ui_server_id", opt(server_id, "server_id")?),
            (
                "admin_ui_stats_interval",
                match stats_interval_ms {
                    0 => OptionValue::Unset,
                    ms => OptionValue::Duration(Duration::from_millis(ms)),
                },
            ),
        ];
        // Checked first, so a bad value leaves the config as it was.
        let mut trial = c.clone();
        for (name, v) in values {
            trial.set(name, v).map_err(config_err)?;
        }
        if let Err(e) = trial.build() {
            if matches!(&e, ConfigError::OutOfRange(n, _) if n.starts_with("admin_ui")) {
                return Err(config_err(e));
            }
        }
        *c = trial;
        Ok(())
    })
}
