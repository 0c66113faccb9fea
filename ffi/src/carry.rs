//! Carried traffic for C (ABI revision 19): a host whose own HTTP/WebSocket server gives it
//! whole requests and WebSocket messages (not a socket to hand over with
//! `roomcast_server_adopt_fd`) passes them to the core, over
//! `roomcast::host::Server::carry_request` / `carry_websocket`. Headers travel as one text
//! block of `Name: value\r\n` lines. Carried WebSockets are numbered by one global counter
//! and looked up per call, so a stale or foreign number is an error code, never a crash.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use roomcast::host::{CarriedOutput, CarriedSocket, HostRequest, HostResponse, WsFrame};

use crate::input::{put, slice, text};
use crate::server::{roomcast_server, server};
use crate::status::*;

/// Called once with the core's response to a carried request, on a library thread that
/// must not block (queue it for your own thread). `status` is ROOMCAST_OK with the
/// response, or the error (ROOMCAST_ERR_STOPPED, ROOMCAST_ERR_IO) with `http_status` 0.
/// `headers` (`Name: value\r\n` lines) and `body` are valid during the call only.
pub type roomcast_carry_done = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: roomcast_status,
        http_status: u16,
        headers: *const c_char,
        body: *const u8,
        body_len: usize,
    ),
>;

/// Called when carried WebSocket `socket` may be read again (`roomcast_carried_recv`
/// returned ROOMCAST_CARRIED_NONE before) or written again (`roomcast_carried_send` said
/// `*accepted = false`), on a library thread that must not block: signal your own loop.
/// Wakes may be spurious; none is lost.
pub type roomcast_carried_wake = Option<unsafe extern "C" fn(user_data: *mut c_void, socket: u64)>;

/// What `roomcast_carried_recv` found.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum roomcast_carried_kind {
    /// Nothing for now: wait for the wake callback.
    ROOMCAST_CARRIED_NONE = 0,
    /// The core accepted the handshake: accept the peer's WebSocket.
    ROOMCAST_CARRIED_ACCEPT = 1,
    /// The core refused it: answer with `http_status`, `headers`, `data` (the body).
    ROOMCAST_CARRIED_REFUSE = 2,
    /// A text message for the peer (`data`, `data_len`, UTF-8).
    ROOMCAST_CARRIED_TEXT = 3,
    /// A binary message for the peer.
    ROOMCAST_CARRIED_BINARY = 4,
    /// The core closed: close the peer with `close_code` (1005/1006: no code to send)
    /// and `data` (the reason). Nothing follows.
    ROOMCAST_CARRIED_CLOSE = 5,
}

/// One output of a carried WebSocket; pointers stay valid until the next
/// `roomcast_carried_recv` or `roomcast_carried_free` on the same socket.
#[repr(C)]
#[derive(Debug)]
pub struct roomcast_carried_output {
    pub kind: roomcast_carried_kind,
    pub http_status: u16,
    pub close_code: u16,
    /// REFUSE: the response's `Name: value\r\n` lines; NULL otherwise.
    pub headers: *const c_char,
    pub data: *const u8,
    pub data_len: usize,
}

struct Slot {
    server: usize,
    socket: CarriedSocket,
    /// What the last output's pointers point into.
    held: Mutex<(Option<CString>, Bytes)>,
}

fn sockets() -> &'static Mutex<HashMap<u64, Arc<Slot>>> {
    static S: OnceLock<Mutex<HashMap<u64, Arc<Slot>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

static NEXT: AtomicU64 = AtomicU64::new(1);

fn slot(srv: *mut roomcast_server, id: u64) -> Res<Arc<Slot>> {
    server(srv)?;
    match sockets().lock().get(&id) {
        Some(s) if s.server == srv as usize => Ok(s.clone()),
        _ => Err(Fail::new(
            ROOMCAST_ERR_INVALID_HANDLE,
            format!("no carried WebSocket {id} on this server"),
        )),
    }
}

fn remote(ip: *const c_char, port: u16) -> Res<SocketAddr> {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    let ip = match unsafe { crate::input::opt_text(ip, "remote_ip") }? {
        None | Some("") => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Some(s) => s.parse().map_err(|_| {
            Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                format!("remote_ip {s:?} is not an IP address"),
            )
        })?,
    };
    Ok(SocketAddr::new(ip, port))
}

/// Parses `Name: value\r\n` lines (a bare `\n` ends a line too; empty lines are skipped).
fn headers_in(block: &str) -> Res<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for line in block.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                format!("header line {line:?} has no ':'"),
            ));
        };
        out.push((k.trim().to_owned(), v.trim().as_bytes().to_vec()));
    }
    Ok(out)
}

fn headers_out(r: &HostResponse) -> CString {
    let mut s = Vec::new();
    for (k, v) in &r.headers {
        s.extend_from_slice(k.as_bytes());
        s.extend_from_slice(b": ");
        s.extend(v.iter().copied().filter(|b| *b != 0));
        s.extend_from_slice(b"\r\n");
    }
    CString::new(s).expect("NULs filtered out")
}

unsafe fn request_of(
    method: &str,
    target: *const c_char,
    headers: *const c_char,
    body: Bytes,
) -> Res<HostRequest> {
    let target = text(target, "target")?;
    if !target.starts_with('/') {
        return Err(Fail::new(
            ROOMCAST_ERR_INVALID_ARGUMENT,
            format!("target {target:?} must start with '/'"),
        ));
    }
    let headers = match crate::input::opt_text(headers, "headers")? {
        None => Vec::new(),
        Some(h) => headers_in(h)?,
    };
    Ok(HostRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    })
}

struct UserData(*mut c_void);
// SAFETY: the C caller's user data is handed back untouched; the header states the
// callbacks run on library threads.
unsafe impl Send for UserData {}
// SAFETY: as above; the library never dereferences it.
unsafe impl Sync for UserData {}

/// (revision 19) Passes one HTTP request the host received for the engine path (a polling
/// GET or POST, a CORS preflight, ...) from `remote_ip`:`remote_port` to the core:
/// `method`, `target` (path and query, e.g. "/socket.io/?EIO=4&transport=polling"),
/// `headers` (`Name: value\r\n` lines, NULL for none), `body` (`body_len` bytes). The
/// response comes once through `done` (a long poll waits in the core as on its own port).
/// Any thread. ROOMCAST_ERR_IO over a connection limit, ROOMCAST_ERR_STOPPED after stop
/// (then `done` is not called).
#[no_mangle]
pub unsafe extern "C" fn roomcast_carry_request(
    srv: *mut roomcast_server,
    remote_ip: *const c_char,
    remote_port: u16,
    method: *const c_char,
    target: *const c_char,
    headers: *const c_char,
    body: *const u8,
    body_len: usize,
    done: roomcast_carry_done,
    user_data: *mut c_void,
) -> roomcast_status {
    guard(|| {
        let state = server(srv)?;
        let Some(done) = done else {
            return Err(Fail::new(ROOMCAST_ERR_NULL, "done is NULL"));
        };
        let method = text(method, "method")?;
        let body = Bytes::copy_from_slice(slice(body, body_len, "body")?);
        let req = request_of(method, target, headers, body)?;
        let ud = UserData(user_data);
        let pending =
            state
                .server
                .carry_request(remote(remote_ip, remote_port)?, req, move |r| {
                    let ud = &ud;
                    match r {
                        Ok(resp) => {
                            let h = headers_out(&resp);
                            // SAFETY: the host's callback, with pointers valid for the call.
                            unsafe {
                                done(
                                    ud.0,
                                    ROOMCAST_OK,
                                    resp.status,
                                    h.as_ptr(),
                                    resp.body.as_ptr(),
                                    resp.body.len(),
                                )
                            };
                        }
                        Err(e) => {
                            let f = Fail::from(e);
                            // SAFETY: as above.
                            unsafe {
                                done(ud.0, f.status, 0, std::ptr::null(), std::ptr::null(), 0)
                            };
                        }
                    }
                })?;
        // The request runs to its end; a host whose peer left just ignores the answer.
        pending.detach();
        Ok(())
    })
}

/// (revision 19) Opens a WebSocket whose handshake the host received (`target`, `headers`
/// as in `roomcast_carry_request`) and whose messages it carries; writes its number to
/// `out_socket`. Read the core's outputs with `roomcast_carried_recv` (the first is
/// ACCEPT or REFUSE), pass the peer's messages with `roomcast_carried_send`, its close with
/// `roomcast_carried_close`, and release it with `roomcast_carried_free`. `wake` (may be
/// NULL for hosts that poll) says when to look again.
#[no_mangle]
pub unsafe extern "C" fn roomcast_carry_websocket(
    srv: *mut roomcast_server,
    remote_ip: *const c_char,
    remote_port: u16,
    target: *const c_char,
    headers: *const c_char,
    wake: roomcast_carried_wake,
    user_data: *mut c_void,
    out_socket: *mut u64,
) -> roomcast_status {
    guard(|| {
        let state = server(srv)?;
        if out_socket.is_null() {
            return Err(Fail::new(ROOMCAST_ERR_NULL, "out_socket is NULL"));
        }
        let req = request_of("GET", target, headers, Bytes::new())?;
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let ud = UserData(user_data);
        let socket =
            state
                .server
                .carry_websocket(remote(remote_ip, remote_port)?, req, move |_| {
                    let ud = &ud; // the whole wrapper (Send + Sync), not its pointer field
                    if let Some(w) = wake {
                        // SAFETY: the host's callback.
                        unsafe { w(ud.0, id) };
                    }
                })?;
        sockets().lock().insert(
            id,
            Arc::new(Slot {
                server: srv as usize,
                socket,
                held: Mutex::new((None, Bytes::new())),
            }),
        );
        put(out_socket, id);
        Ok(())
    })
}

/// (revision 19) Passes one message from the peer to the core: `data` (`len` bytes; text
/// must be UTF-8), `binary` false for a text message. `*accepted` false: the core's queue
/// is full; read nothing more from the peer until woken, then send the same message again.
/// ROOMCAST_ERR_STOPPED once the core's side is closed.
#[no_mangle]
pub unsafe extern "C" fn roomcast_carried_send(
    srv: *mut roomcast_server,
    socket: u64,
    data: *const u8,
    len: usize,
    binary: bool,
    accepted: *mut bool,
) -> roomcast_status {
    guard(|| {
        let s = slot(srv, socket)?;
        let bytes = slice(data, len, "data")?;
        let frame = if binary {
            WsFrame::Binary(Bytes::copy_from_slice(bytes))
        } else {
            let t = std::str::from_utf8(bytes)
                .map_err(|_| Fail::new(ROOMCAST_ERR_INVALID_UTF8, "a text message is not UTF-8"))?;
            WsFrame::Text(t.to_owned())
        };
        let ok = s.socket.send(frame)?;
        put(accepted, ok);
        Ok(())
    })
}

/// (revision 19) The core's next output for carried WebSocket `socket` into `*out`
/// (`kind` ROOMCAST_CARRIED_NONE when there is none yet).
#[no_mangle]
pub unsafe extern "C" fn roomcast_carried_recv(
    srv: *mut roomcast_server,
    socket: u64,
    out: *mut roomcast_carried_output,
) -> roomcast_status {
    guard(|| {
        if out.is_null() {
            return Err(Fail::new(ROOMCAST_ERR_NULL, "out is NULL"));
        }
        let s = slot(srv, socket)?;
        let mut held = s.held.lock();
        let mut o = roomcast_carried_output {
            kind: roomcast_carried_kind::ROOMCAST_CARRIED_NONE,
            http_status: 0,
            close_code: 0,
            headers: std::ptr::null(),
            data: std::ptr::null(),
            data_len: 0,
        };
        let (headers, data) = match s.socket.recv() {
            None => (None, Bytes::new()),
            Some(CarriedOutput::Accepted) => {
                o.kind = roomcast_carried_kind::ROOMCAST_CARRIED_ACCEPT;
                (None, Bytes::new())
            }
            Some(CarriedOutput::Refused(r)) => {
                o.kind = roomcast_carried_kind::ROOMCAST_CARRIED_REFUSE;
                o.http_status = r.status;
                (Some(headers_out(&r)), r.body.clone())
            }
            Some(CarriedOutput::Message(WsFrame::Text(t))) => {
                o.kind = roomcast_carried_kind::ROOMCAST_CARRIED_TEXT;
                (None, Bytes::from(t))
            }
            Some(CarriedOutput::Message(WsFrame::Binary(b))) => {
                o.kind = roomcast_carried_kind::ROOMCAST_CARRIED_BINARY;
                (None, b)
            }
            Some(CarriedOutput::Close { code, reason }) => {
                o.kind = roomcast_carried_kind::ROOMCAST_CARRIED_CLOSE;
                o.close_code = code;
                (None, Bytes::from(reason))
            }
        };
        *held = (headers, data);
        o.headers = held.0.as_ref().map_or(std::ptr::null(), |h| h.as_ptr());
        if !held.1.is_empty() {
            o.data = held.1.as_ptr();
            o.data_len = held.1.len();
        }
        out.write(o);
        Ok(())
    })
}

/// (revision 19) The peer closed (or went away) with `code` (1005 when it gave none) and
/// `reason` (NULL for none): the core ends the session as a transport close.
#[no_mangle]
pub unsafe extern "C" fn roomcast_carried_close(
    srv: *mut roomcast_server,
    socket: u64,
    code: u16,
    reason: *const c_char,
) -> roomcast_status {
    guard(|| {
        let s = slot(srv, socket)?;
        let reason = crate::input::opt_text(reason, "reason")?.unwrap_or("");
        s.socket.close(code, reason);
        Ok(())
    })
}

/// (revision 19) Releases carried WebSocket `socket` (closing it for the core if still
/// open); its number is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn roomcast_carried_free(
    srv: *mut roomcast_server,
    socket: u64,
) -> roomcast_status {
    guard(|| {
        slot(srv, socket)?;
        let mut all = sockets().lock();
        all.remove(&socket);
        if all.is_empty() {
            // Gives the table back (its interior pointer would look "possibly lost").
            all.shrink_to_fit();
        }
        Ok(())
    })
}
