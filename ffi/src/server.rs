//! Server lifetime (start, stop, free) and event delivery: one dispatcher thread calling
//! the host's callback, or the pull form `roomcast_next_event`.

use parking_lot::Mutex;
use std::cell::Cell;
use std::ffi::c_void;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use roomcast::host::{AckTokens, Events, RecvError, Server};

use crate::config::{roomcast_config, CONFIGS};
use crate::event::{convert, roomcast_event, OwnedEvent};
use crate::input::{out_ptr, put};
use crate::registry::Registry;
use crate::status::*;

/// Opaque handle of a running (or stopped, not yet freed) server.
pub struct roomcast_server {
    _opaque: [u8; 0],
}

/// The event callback: runs on the server's dispatcher thread, one event at a time, in
/// order. `ev` and everything it points to are valid only during the call.
pub type roomcast_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, ev: *const roomcast_event)>;

/// Finalizer for the callback's `user_data`, called exactly once, on the dispatcher thread,
/// after the last callback (at the latest before `roomcast_server_stop` returns).
pub type roomcast_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// How the host takes events; fixed by the first `set_callback` or `next_event`.
enum Mode {
    Unset,
    Callback(Option<JoinHandle<()>>),
    Pull,
}

/// A live server handle's state.
pub struct ServerState {
    pub server: Server,
    pub acks: Arc<AckTokens>,
    events: Arc<Events>,
    mode: Mutex<Mode>,
    /// Held for the whole of a stop; true once a stop has completed.
    stop_done: Mutex<bool>,
}

pub static SERVERS: Registry<ServerState> = Registry::new();

thread_local! {
    /// True on dispatcher threads, where stop and free must not run.
    static ON_DISPATCHER: Cell<bool> = const { Cell::new(false) };
}

fn refuse_on_dispatcher(what: &str) -> Res {
    if ON_DISPATCHER.with(Cell::get) {
        Err(Fail::new(
            ROOMCAST_ERR_IN_CALLBACK,
            format!("{what} cannot run inside a roomcast callback"),
        ))
    } else {
        Ok(())
    }
}

/// The state behind a server handle.
pub fn server(handle: *const roomcast_server) -> Res<Arc<ServerState>> {
    SERVERS.get(handle)
}

/// Runs a command's `body` on a live server under [`guard`]: a NULL or freed handle fails
/// first, then `body` checks the other arguments in order.
pub fn with_server(
    handle: *const roomcast_server,
    body: impl FnOnce(&ServerState) -> Res,
) -> roomcast_status {
    guard(|| body(&*server(handle)?))
}

/// Starts a server from `cfg` (which stays owned by the caller) and writes its handle to
/// `out`. Events queue up from the start; take them with `roomcast_server_set_callback` or
/// `roomcast_next_event`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_start(
    cfg: *const roomcast_config,
    out: *mut *mut roomcast_server,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        let (server, events) = CONFIGS.get(cfg)?.lock().start()?;
        let state = ServerState {
            server,
            acks: Arc::new(AckTokens::new()),
            events: Arc::new(events),
            mode: Mutex::new(Mode::Unset),
            stop_done: Mutex::new(false),
        };
        put(out, SERVERS.insert(state));
        Ok(())
    })
}

/// The port the server listens on (useful with port 0).
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_port(
    server: *const roomcast_server,
    out: *mut u16,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        let port = self::server(server)?.server.local_addr().port();
        put(out, port);
        Ok(())
    })
}

struct UserData(*mut c_void);
// The host promised, by registering it, that user_data may be used from the dispatcher.
unsafe impl Send for UserData {}

/// Puts the server in callback mode: a library-owned dispatcher thread calls `callback`
/// for every event, in order, starting with any that queued up since start. Allowed once
/// per server (a second call, or a call after `roomcast_next_event`, is
/// `ROOMCAST_ERR_MODE`). On success the library owns `user_data` and calls
/// `free_user_data` (if not NULL) exactly once after the last callback; on error it does
/// not take it.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_set_callback(
    server: *mut roomcast_server,
    callback: roomcast_callback,
    user_data: *mut c_void,
    free_user_data: roomcast_free_fn,
) -> roomcast_status {
    guard(|| {
        let Some(callback) = callback else {
            return Err(Fail::new(ROOMCAST_ERR_NULL, "callback is NULL"));
        };
        let state = self::server(server)?;
        let mut mode = state.mode.lock();
        if !matches!(*mode, Mode::Unset) {
            return Err(Fail::new(
                ROOMCAST_ERR_MODE,
                "the server already has a callback or is in pull mode",
            ));
        }
        if state.server.is_stopped() {
            return Err(Fail::new(ROOMCAST_ERR_STOPPED, "server stopped"));
        }
        let events = state.events.clone();
        let acks = state.acks.clone();
        let user_data = UserData(user_data);
        let thread = std::thread::Builder::new()
            .name("roomcast-dispatch".into())
            .spawn(move || {
                let user_data = user_data;
                ON_DISPATCHER.with(|d| d.set(true));
                while let Some(event) = events.recv() {
                    let owned: Box<OwnedEvent> = convert(event, &acks);
                    callback(user_data.0, &owned.ev);
                }
                if let Some(free) = free_user_data {
                    free(user_data.0);
                }
            })
            .map_err(|e| {
                Fail::new(
                    ROOMCAST_ERR_IO,
                    format!("cannot start the dispatcher thread: {e}"),
                )
            })?;
        *mode = Mode::Callback(Some(thread));
        Ok(())
    })
}

/// Pull mode: waits up to `timeout_ms` (0 = just look, negative = until an event or the
/// end) for the next event and writes it to `out`; free it with `roomcast_event_free`.
/// Returns `ROOMCAST_ERR_TIMEOUT` when nothing came, `ROOMCAST_ERR_STOPPED` once the server
/// has stopped and every queued event was taken, `ROOMCAST_ERR_MODE` in callback mode.
/// Several threads may pull concurrently; each event goes to one of them.
#[no_mangle]
pub unsafe extern "C" fn roomcast_next_event(
    server: *mut roomcast_server,
    timeout_ms: i32,
    out: *mut *mut roomcast_event,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        *out = std::ptr::null_mut();
        let state = self::server(server)?;
        {
            let mut mode = state.mode.lock();
            match *mode {
                Mode::Callback(_) => {
                    return Err(Fail::new(
                        ROOMCAST_ERR_MODE,
                        "the server is in callback mode",
                    ))
                }
                Mode::Unset => *mode = Mode::Pull,
                Mode::Pull => {}
            }
        }
        let got = match timeout_ms {
            t if t < 0 => state.events.recv().ok_or(RecvError::Stopped),
            0 => state.events.try_recv(),
            t => state.events.recv_timeout(Duration::from_millis(t as u64)),
        };
        match got {
            Ok(event) => {
                *out = Box::into_raw(convert(event, &state.acks)).cast::<roomcast_event>();
                Ok(())
            }
            Err(RecvError::Timeout) => Err(Fail::new(
                ROOMCAST_ERR_TIMEOUT,
                "no event within the timeout",
            )),
            Err(RecvError::Stopped) => Err(Fail::new(
                ROOMCAST_ERR_STOPPED,
                "server stopped and no event is left",
            )),
        }
    })
}

/// Frees an event from `roomcast_next_event` (NULL is ignored). Freeing twice is undefined.
#[no_mangle]
pub unsafe extern "C" fn roomcast_event_free(ev: *mut roomcast_event) {
    guard_value((), || {
        if !ev.is_null() {
            drop(Box::from_raw(ev.cast::<OwnedEvent>()));
        }
    })
}

/// Stops the server within about `timeout_ms`: no new connections; every socket gets
/// DISCONNECTING/DISCONNECT with reason "server shutting down"; queued frames are flushed;
/// the dispatcher delivers what is left, calls `free_user_data` and ends. When this returns
/// no callback runs any more. The network part is bounded by `timeout_ms`; waiting for the
/// dispatcher is bounded only by the host's callbacks returning. Returns `ROOMCAST_ERR_IN_CALLBACK` on a dispatcher thread and
/// `ROOMCAST_ERR_STOPPED` if the server was already stopped. The handle stays valid (pull
/// hosts may still drain events) until `roomcast_server_free`.
#[no_mangle]
pub extern "C" fn roomcast_server_stop(
    server: *mut roomcast_server,
    timeout_ms: u32,
) -> roomcast_status {
    guard(|| {
        refuse_on_dispatcher("roomcast_server_stop")?;
        let state = self::server(server)?;
        stop(&state, timeout_ms)
    })
}

fn stop(state: &ServerState, timeout_ms: u32) -> Res<()> {
    let mut done = state.stop_done.lock();
    if *done {
        return Err(Fail::new(ROOMCAST_ERR_STOPPED, "server already stopped"));
    }
    state.server.stop(Duration::from_millis(timeout_ms.into()));
    // After the core stop the event stream is ending; wait for the dispatcher to drain it.
    let thread = match &mut *state.mode.lock() {
        Mode::Callback(t) => t.take(),
        _ => None,
    };
    if let Some(t) = thread {
        let _ = t.join();
    }
    *done = true;
    Ok(())
}

/// Stops the server if needed (with a 5 s bound) and releases the handle; later calls with
/// it return `ROOMCAST_ERR_INVALID_HANDLE`. NULL is ignored. Returns
/// `ROOMCAST_ERR_IN_CALLBACK` (and frees nothing) on a dispatcher thread.
#[no_mangle]
pub extern "C" fn roomcast_server_free(server: *mut roomcast_server) -> roomcast_status {
    if server.is_null() {
        return ROOMCAST_OK;
    }
    guard(|| {
        refuse_on_dispatcher("roomcast_server_free")?;
        let state = SERVERS.remove(server)?;
        match stop(&state, 5000) {
            Err(f) if f.status == ROOMCAST_ERR_STOPPED => Ok(()),
            other => other,
        }
    })
}

/// (revision 11) Replaces the TLS certificate chain and key without a restart (each a PEM
/// file path or PEM text, as `roomcast_config_set_tls_cert`/`_key` take them): new
/// connections use them, open ones keep theirs. When they do not load, the old ones keep
/// serving and ROOMCAST_ERR_INVALID_CONFIG is returned (`roomcast_last_error()` names the
/// part); also when the server was started without TLS. Any thread, including callbacks.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_reload_tls(
    server: *mut roomcast_server,
    cert: *const std::ffi::c_char,
    key: *const std::ffi::c_char,
) -> roomcast_status {
    with_server(server, |state| {
        let tls = roomcast::TlsConfig {
            cert: crate::config::pem_arg(cert, "cert")?,
            key: crate::config::pem_arg(key, "key")?,
        };
        state.server.reload_tls(&tls)?;
        Ok(())
    })
}

/// (revision 14) Serves a connected TCP socket the host accepted (its own listener, e.g.
/// with `roomcast_config_set_listen(cfg, false)`) as if the server had accepted it. `fd`
/// is duplicated: the host closes its own descriptor after the call and no longer reads
/// or writes it. `prefix` (`prefix_len` bytes; NULL when 0) is what the host already read
/// from it, served first (e.g. the head of a request it routed here by path). Counted
/// against the connection limits. ROOMCAST_ERR_INVALID_ARGUMENT when `fd` is not a
/// connected TCP socket, ROOMCAST_ERR_IO over a connection limit, ROOMCAST_ERR_STOPPED
/// after stop. Any thread, including callbacks.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_adopt_fd(
    server: *mut roomcast_server,
    fd: std::ffi::c_int,
    prefix: *const u8,
    prefix_len: usize,
) -> roomcast_status {
    with_server(server, |state| {
        let prefix = if prefix_len == 0 {
            Vec::new()
        } else if prefix.is_null() {
            return Err(Fail::new(
                crate::status::ROOMCAST_ERR_NULL,
                "prefix is NULL with prefix_len > 0",
            ));
        } else {
            // SAFETY: the caller passes `prefix_len` readable bytes at `prefix`.
            unsafe { std::slice::from_raw_parts(prefix, prefix_len) }.to_vec()
        };
        // SAFETY: the caller keeps `fd` open during the call (only a duplicate is kept).
        unsafe { state.server.adopt_fd(fd, prefix) }?;
        Ok(())
    })
}

/// (revision 12) Writes the server's metrics now to `out` as a JSON object text (free it
/// with `roomcast_string_free`): `sockets` and `rooms` per namespace, `sessions` by
/// transport, `connects`, `disconnects` by reason, `upgrades`, `events_received`,
/// `packets_sent`, `bytes_in`, `bytes_out`, `broadcasts`, `deliveries`, `acks_pending`,
/// `acks_timed_out`, `slow_consumer_disconnects`, `volatile_drops`,
/// `adapter_publish_errors`, `adapter_dropped_messages` and `handshake_seconds` {count,
/// sum, buckets [[le, n]...]}.
/// ROOMCAST_ERR_INVALID_CONFIG when the server was started without metrics.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_metrics(
    server: *mut roomcast_server,
    out: *mut *mut std::ffi::c_char,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        let state = self::server(server)?;
        let json = state.server.metrics()?.to_json();
        let s = std::ffi::CString::new(json).expect("JSON text has no NUL");
        unsafe { put(out, s.into_raw()) };
        Ok(())
    })
}
