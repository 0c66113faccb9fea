//! The Engine.IO connection for C (ABI revision 18): refused requests and upgrades as
//! events (`ROOMCAST_EVENT_CONNECTION_ERROR`, `ROOMCAST_EVENT_UPGRADE`, each off until
//! turned on), a handshake admitted with response headers and a chosen session id, the
//! handshake round trip turned on while running, and a connection's transport and close.
//! A connection is named by its Engine.IO id, the `conn_id` of its `handshake_json`.
//! Also the room events (ABI revision 22, `roomcast_observe_rooms`), off until turned
//! on the same way.

use std::ffi::c_char;

use roomcast::host::{Admission, RequestCheck};

use crate::input::{opt_text, out_ptr, put, text};
use crate::server::{roomcast_server, with_server};
use crate::status::*;

/// Turns `ROOMCAST_EVENT_CONNECTION_ERROR` on or off (off at start): each request the
/// engine refuses, with engine.io's `error_code` (0 "Transport unknown", 1 "Session ID
/// unknown", 2 "Bad handshake method", 3 "Bad request", 4 "Forbidden", 5 "Unsupported
/// protocol version"), its message in `reason`, `context_json`, `method` and
/// `handshake_json`. Refusals the host answered itself are not reported. Since ABI
/// revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_report_connection_errors(
    srv: *mut roomcast_server,
    on: bool,
) -> roomcast_status {
    with_server(srv, |state| {
        Ok(state.server.report_connection_errors(on)?)
    })
}

/// Turns `ROOMCAST_EVENT_UPGRADE` on or off (off at start): a connection (`conn_id`)
/// moved from polling to WebSocket. Since ABI revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_report_upgrades(
    srv: *mut roomcast_server,
    on: bool,
) -> roomcast_status {
    with_server(srv, |state| Ok(state.server.report_upgrades(on)?))
}

/// Reports the room changes of namespace `nsp` (NULL: of every namespace, also ones made
/// later) from now on, as socket.io's adapter events: `ROOMCAST_EVENT_ROOM_CREATE` and
/// `_DELETE` (`room`), `_JOIN` and `_LEAVE` (`room`, `sid`), in the order the changes
/// happened. Each socket's own room counts (its CREATE and JOIN come before its
/// CONNECTION); a room's CREATE comes before its first JOIN and its DELETE after its last
/// LEAVE; a disconnecting socket leaves each room, in the order it joined them, between
/// DISCONNECTING and DISCONNECT. Only this node's membership is reported (also in a Redis
/// cluster). Observation stays on; a namespace not starting with `/` is
/// `ROOMCAST_ERR_INVALID_ARGUMENT`. Since ABI revision 22.
#[no_mangle]
pub unsafe extern "C" fn roomcast_observe_rooms(
    srv: *mut roomcast_server,
    nsp: *const c_char,
) -> roomcast_status {
    with_server(srv, |state| {
        let nsp = opt_text(nsp, "nsp")?;
        Ok(state.server.observe_rooms(nsp)?)
    })
}

/// Turns `ROOMCAST_EVENT_ALLOW_REQUEST` on or off while running (it starts as
/// `roomcast_config_set_allow_request` says). Since ABI revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_set_allow_request(
    srv: *mut roomcast_server,
    on: bool,
) -> roomcast_status {
    with_server(srv, |state| Ok(state.server.set_allow_request(on)?))
}

/// Lets a `ROOMCAST_EVENT_ALLOW_REQUEST` handshake go on, with `headers_json` (NULL, or a
/// JSON array of `[name, value]` pairs added to its response, e.g. a `Set-Cookie`) and
/// `conn_id` (NULL keeps the random id; else the session id to use: 1 to 128 characters
/// of `A-Z a-z 0-9 - _ . ~`). A malformed header or id is `ROOMCAST_ERR_INVALID_ARGUMENT`
/// and the request still waits; an id already in use refuses the handshake with 400.
/// Since ABI revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_allow_request_with(
    srv: *mut roomcast_server,
    request: u64,
    headers_json: *const c_char,
    conn_id: *const c_char,
) -> roomcast_status {
    with_server(srv, |state| {
        let headers = match opt_text(headers_json, "headers_json")? {
            None => Vec::new(),
            Some(t) => serde_json::from_str::<Vec<(String, String)>>(t).map_err(|e| {
                Fail::new(
                    ROOMCAST_ERR_INVALID_JSON,
                    format!("headers_json is not an array of [name, value] pairs: {e}"),
                )
            })?,
        };
        let id = opt_text(conn_id, "conn_id")?.map(str::to_owned);
        state.server.allow_request_with(
            RequestCheck::from_id(request),
            Ok(Admission { headers, id }),
        )?;
        Ok(())
    })
}

/// Writes the transport connection `conn_id` uses now to `out` ("polling" or
/// "websocket", a static string; "polling" while an upgrade is in progress; NULL `out` is
/// `ROOMCAST_ERR_NULL`);
/// `ROOMCAST_ERR_NO_SUCH_SOCKET` once it is closed. Since ABI revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_connection_transport(
    srv: *mut roomcast_server,
    conn_id: *const c_char,
    out: *mut *const c_char,
) -> roomcast_status {
    with_server(srv, |state| {
        out_ptr(out)?;
        let name = state
            .server
            .connection_transport(text(conn_id, "conn_id")?)
            .ok_or_else(|| Fail::from(roomcast::host::Error::NoSuchSocket))?;
        let c: &'static [u8] = match name {
            "websocket" => b"websocket\0",
            _ => b"polling\0",
        };
        put(out, c.as_ptr().cast());
        Ok(())
    })
}

/// Closes connection `conn_id` (socket.io's `socket.conn.close()`): its sockets disconnect
/// with "forced close". `ROOMCAST_ERR_NO_SUCH_SOCKET` when it is gone. Since ABI revision 18.
#[no_mangle]
pub unsafe extern "C" fn roomcast_close_connection(
    srv: *mut roomcast_server,
    conn_id: *const c_char,
) -> roomcast_status {
    with_server(srv, |state| {
        state.server.close_connection(text(conn_id, "conn_id")?)?;
        Ok(())
    })
}
