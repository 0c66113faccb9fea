//! The config builder: `roomcast_config_new`, `roomcast_config_set_*`, `roomcast_config_free`.
//! New options arrive as new setter functions, so the ABI never breaks.

use parking_lot::Mutex;
use std::ffi::c_char;
use std::time::Duration;

use roomcast::{AllowedOrigins, Config, Cors, NamespaceMatch, NamespaceRule, RecoveryConfig};

use crate::input::{put, text};
use crate::registry::Registry;
use crate::status::{
    guard, roomcast_status, Fail, Res, ROOMCAST_ERR_INVALID_ARGUMENT, ROOMCAST_OK,
};

/// Opaque server configuration (a builder); every call locks it, so any thread may use it.
pub struct roomcast_config {
    _opaque: [u8; 0],
}

/// The builder's state: the core config plus the host name, resolved at start.
pub struct ConfigState {
    pub config: Config,
    pub host: String,
}

pub static CONFIGS: Registry<Mutex<ConfigState>> = Registry::new();

fn with(cfg: *mut roomcast_config, f: impl FnOnce(&mut ConfigState) -> Res) -> roomcast_status {
    guard(|| f(&mut CONFIGS.get(cfg)?.lock()))
}

/// Creates a config with socket.io's defaults: host "127.0.0.1", port 3000, path
/// "/socket.io/", ping 25000/20000 ms, max payload 1e6, connect timeout 45000 ms, at most
/// 10 attachments, 4096 buffered frames per connection, polling and WebSocket, only
/// namespace "/", no CORS, no static files. Free it with `roomcast_config_free`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_new(out: *mut *mut roomcast_config) -> roomcast_status {
    guard(|| {
        if out.is_null() {
            return Err(Fail::new(crate::status::ROOMCAST_ERR_NULL, "out is NULL"));
        }
        let state = ConfigState {
            config: Config::default(),
            host: "127.0.0.1".into(),
        };
        put(out, CONFIGS.insert(Mutex::new(state)));
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

/// Host or IP address to listen on (default "127.0.0.1"; "0.0.0.0" for all interfaces).
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_host(
    cfg: *mut roomcast_config,
    host: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        c.host = text(host, "host")?.to_owned();
        Ok(())
    })
}

/// TCP port (default 3000; 0 picks a free one, see `roomcast_server_port`).
#[no_mangle]
pub extern "C" fn roomcast_config_set_port(
    cfg: *mut roomcast_config,
    port: u16,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.bind.set_port(port);
        Ok(())
    })
}

/// Engine.IO path (default "/socket.io/"); must start with '/'.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_path(
    cfg: *mut roomcast_config,
    path: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let p = text(path, "path")?;
        if !p.starts_with('/') {
            return Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                "path must start with '/'",
            ));
        }
        c.config.path = p.to_owned();
        Ok(())
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
        let o = text(origin, "origin")?;
        let cors = c.config.cors.get_or_insert(Cors {
            origins: AllowedOrigins::List(Vec::new()),
            credentials: false,
        });
        match (&mut cors.origins, o) {
            (_, "*") => cors.origins = AllowedOrigins::Any,
            (AllowedOrigins::List(list), o) => list.push(o.to_owned()),
            (AllowedOrigins::Any, _) => {}
        }
        Ok(())
    })
}

/// Sends `Access-Control-Allow-Credentials: true` to allowed origins (needs at least one
/// CORS origin). With origin "*", the request's Origin is echoed instead of `*`, because
/// browsers refuse `*` on credentialed requests.
#[no_mangle]
pub extern "C" fn roomcast_config_set_cors_credentials(
    cfg: *mut roomcast_config,
    credentials: bool,
) -> roomcast_status {
    with(cfg, |c| {
        let cors = c.config.cors.get_or_insert(Cors {
            origins: AllowedOrigins::List(Vec::new()),
            credentials: false,
        });
        cors.credentials = credentials;
        Ok(())
    })
}

/// Interval between server pings, in milliseconds (default 25000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_ping_interval_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.ping_interval = Duration::from_millis(ms);
        Ok(())
    })
}

/// How long to wait for a pong, in milliseconds (default 20000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_ping_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.ping_timeout = Duration::from_millis(ms);
        Ok(())
    })
}

/// Largest accepted message / POST body in bytes (default 1000000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_payload(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.max_payload = bytes;
        Ok(())
    })
}

/// Close connections that join no namespace within this many milliseconds (default 45000).
#[no_mangle]
pub extern "C" fn roomcast_config_set_connect_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.connect_timeout = Duration::from_millis(ms);
        Ok(())
    })
}

/// Worker threads of the server's runtime (default: number of CPUs; 0 counts as 1).
#[no_mangle]
pub extern "C" fn roomcast_config_set_worker_threads(
    cfg: *mut roomcast_config,
    threads: usize,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.worker_threads = Some(threads.max(1));
        Ok(())
    })
}

/// Most binary attachments one packet may carry (default 10, as socket.io). A client that
/// sends more has its connection closed (reason "parse error"); 0 refuses binary packets.
/// Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_attachments(
    cfg: *mut roomcast_config,
    max: usize,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.max_attachments = max;
        Ok(())
    })
}

/// Accepts HTTP long-polling (default true). When off, a polling request gets HTTP 400
/// `{"code":0,"message":"Transport unknown"}`. Keep at least one transport on: a server
/// with neither fails to start with `ROOMCAST_ERR_INVALID_ARGUMENT`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_polling(
    cfg: *mut roomcast_config,
    allow: bool,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.allow_polling = allow;
        Ok(())
    })
}

/// Accepts WebSocket (default true). When off, the polling handshake offers no upgrade
/// (`"upgrades":[]`) and a WebSocket request gets HTTP 400 `{"code":0,"message":"Transport
/// unknown"}`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_websocket(
    cfg: *mut roomcast_config,
    allow: bool,
) -> roomcast_status {
    with(cfg, |c| {
        c.config.allow_websocket = allow;
        Ok(())
    })
}

/// Bound of each connection's outbound queue, in frames (default 4096). When a client
/// cannot keep up, volatile packets are dropped and anything else disconnects it with
/// reason "slow consumer". 0 is `ROOMCAST_ERR_INVALID_ARGUMENT`. Since ABI revision 2.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_buffered_frames(
    cfg: *mut roomcast_config,
    frames: usize,
) -> roomcast_status {
    with(cfg, |c| {
        if frames == 0 {
            return Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                "max_buffered_frames must be at least 1",
            ));
        }
        c.config.max_buffered_frames = frames;
        Ok(())
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
        c.config.connection_state_recovery =
            (max_disconnection_duration_ms > 0).then(|| RecoveryConfig {
                max_disconnection_duration: Duration::from_millis(max_disconnection_duration_ms),
                skip_middlewares,
                max_packets: if max_packets == 0 {
                    RecoveryConfig::default().max_packets
                } else {
                    max_packets
                },
            });
        Ok(())
    })
}

/// Accepts namespace `pattern` ("/admin"; a '*' makes it a dynamic namespace glob such as
/// "/room-*"). With `middleware`, every connection to it first arrives as a
/// CONNECT_REQUEST event that the host accepts or rejects. Adding a pattern that is already
/// there replaces its rule, so `add_namespace(cfg, "/", true)` puts middleware on the
/// default namespace.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_add_namespace(
    cfg: *mut roomcast_config,
    pattern: *const c_char,
    middleware: bool,
) -> roomcast_status {
    with(cfg, |c| {
        let p = text(pattern, "pattern")?;
        if !p.starts_with('/') {
            return Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                "namespace must start with '/'",
            ));
        }
        let matcher = if p.contains('*') {
            NamespaceMatch::Glob(p.to_owned())
        } else {
            NamespaceMatch::Exact(p.to_owned())
        };
        let rule = NamespaceRule {
            matcher,
            middleware,
        };
        let same = |r: &NamespaceRule| match (&r.matcher, &rule.matcher) {
            (NamespaceMatch::Exact(a), NamespaceMatch::Exact(b))
            | (NamespaceMatch::Glob(a), NamespaceMatch::Glob(b)) => a == b,
            _ => false,
        };
        match c.config.namespaces.iter().position(same) {
            Some(i) => c.config.namespaces[i] = rule,
            None => c.config.namespaces.push(rule),
        }
        Ok(())
    })
}

/// Removes every namespace rule, including the default "/".
#[no_mangle]
pub extern "C" fn roomcast_config_clear_namespaces(cfg: *mut roomcast_config) -> roomcast_status {
    with(cfg, |c| {
        c.config.namespaces.clear();
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
        c.config.static_dir = Some(text(dir, "dir")?.into());
        Ok(())
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
        c.config.client_dist_dir = Some(text(dir, "dir")?.into());
        Ok(())
    })
}

/// (revision 4) Joins a Redis cluster in `@socket.io/redis-adapter`'s classic format:
/// `url` like "redis://127.0.0.1:6379" (or "redis://:password@host:port/db"), `key` the
/// channel prefix (NULL for "socket.io"). `roomcast_server_start` then fails with
/// ROOMCAST_ERR_IO when Redis is unreachable; once started, a Redis outage never stops the
/// server: local delivery continues and it reconnects by itself. Cluster-wide operations
/// go through `roomcast_sockets_join`, `roomcast_emit`, … unchanged.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_redis(
    cfg: *mut roomcast_config,
    url: *const c_char,
    key: *const c_char,
) -> roomcast_status {
    with(cfg, |c| {
        let u = text(url, "url")?;
        if !u.starts_with("redis://") && !u.starts_with("unix://") {
            return Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                "url must start with redis:// (rediss:// is not supported)",
            ));
        }
        let mut rc = roomcast::host::RedisConfig::new(u);
        if !key.is_null() {
            rc.key = text(key, "key")?.to_owned();
        }
        c.config.redis = Some(rc);
        Ok(())
    })
}
