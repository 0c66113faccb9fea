//! Commands: callable from any thread, callbacks included; none of them waits on I/O.

use std::ffi::{c_char, CString};
use std::time::Duration;

use roomcast::host::{ConnectRequest, Server};
use roomcast::BroadcastOptions;

use crate::input::{json_value, opt_text, out_ptr, payload, put, text};
use crate::server::{roomcast_server, server, with_server};
use crate::status::*;
use crate::types::{broadcast_options, roomcast_bytes, roomcast_target};

/// Emits `event` with `args_json` (a JSON array text, NULL = no arguments) and binary
/// `attachments` (referenced from the JSON by `{"_placeholder":true,"num":i}`) to the
/// sockets `to` selects in namespace `nsp` (NULL target = everyone). Writes the number of
/// recipients to `recipients` when not NULL. Invalid JSON is `ROOMCAST_ERR_INVALID_JSON`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_emit(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    event: *const c_char,
    args_json: *const c_char,
    attachments: *const roomcast_bytes,
    attachments_len: usize,
    recipients: *mut usize,
) -> roomcast_status {
    with_server(server, |state| {
        let (nsp, event) = (text(nsp, "nsp")?, text(event, "event")?);
        let args = payload(args_json, attachments, attachments_len)?;
        let n = state
            .server
            .emit(nsp, &broadcast_options(to)?, event, &args)?;
        put(recipients, n);
        Ok(())
    })
}

/// Emits to the one socket `sid`; `ROOMCAST_ERR_NO_SUCH_SOCKET` when it is not connected.
#[no_mangle]
pub unsafe extern "C" fn roomcast_emit_to_socket(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    event: *const c_char,
    args_json: *const c_char,
    attachments: *const roomcast_bytes,
    attachments_len: usize,
) -> roomcast_status {
    with_server(server, |state| {
        let (nsp, sid, event) = (text(nsp, "nsp")?, text(sid, "sid")?, text(event, "event")?);
        let args = payload(args_json, attachments, attachments_len)?;
        match state
            .server
            .emit(nsp, &BroadcastOptions::socket(sid), event, &args)?
        {
            0 => Err(Fail::new(
                ROOMCAST_ERR_NO_SUCH_SOCKET,
                format!("no socket {sid} in {nsp}"),
            )),
            _ => Ok(()),
        }
    })
}

/// Like `roomcast_emit`, asking every recipient to acknowledge. The replies, or the
/// timeout after `timeout_ms` with what arrived, come back as one ACK_RESPONSE event whose
/// `ack_response_id` equals the id written to `ack_id` (when not NULL). With no recipient,
/// the ACK_RESPONSE comes with zero replies.
#[no_mangle]
pub unsafe extern "C" fn roomcast_emit_with_ack(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    event: *const c_char,
    args_json: *const c_char,
    attachments: *const roomcast_bytes,
    attachments_len: usize,
    timeout_ms: u32,
    ack_id: *mut u64,
) -> roomcast_status {
    with_server(server, |state| {
        let (nsp, event) = (text(nsp, "nsp")?, text(event, "event")?);
        let args = payload(args_json, attachments, attachments_len)?;
        let timeout = Duration::from_millis(timeout_ms.into());
        let id = state
            .server
            .emit_with_ack(nsp, &broadcast_options(to)?, event, &args, timeout)?;
        put(ack_id, id);
        Ok(())
    })
}

/// Answers a client's ack request (`ev->ack`) with `args_json` and attachments. Consumes
/// the ack: a second use (or `roomcast_ack_drop` after it) is `ROOMCAST_ERR_NO_SUCH_ACK`,
/// as is an ack whose socket has disconnected.
#[no_mangle]
pub unsafe extern "C" fn roomcast_ack_send(
    server: *mut roomcast_server,
    ack: u64,
    args_json: *const c_char,
    attachments: *const roomcast_bytes,
    attachments_len: usize,
) -> roomcast_status {
    with_server(server, |state| {
        let args = payload(args_json, attachments, attachments_len)?;
        let pending = state.acks.take(ack).ok_or_else(no_such_ack)?;
        state.server.answer(pending, &args)?;
        Ok(())
    })
}

/// Gives up a client's ack request without answering (consumes it like `roomcast_ack_send`).
#[no_mangle]
pub extern "C" fn roomcast_ack_drop(server: *mut roomcast_server, ack: u64) -> roomcast_status {
    with_server(server, |state| {
        state.acks.take(ack).ok_or_else(no_such_ack)?;
        Ok(())
    })
}

fn no_such_ack() -> Fail {
    Fail::new(
        ROOMCAST_ERR_NO_SUCH_ACK,
        "ack already answered, dropped, or its socket is gone",
    )
}

/// Sends the CONNECT reply of socket `sid`, held since its CONNECTION event in hold mode
/// (`roomcast_config_set_hold_connect`), then what was sent to it meanwhile, in order. A
/// second call does nothing. Since ABI revision 5.
#[no_mangle]
pub unsafe extern "C" fn roomcast_release(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        state.server.release(text(nsp, "nsp")?, text(sid, "sid")?)?;
        Ok(())
    })
}

/// A bulk operation on the sockets `to` selects in `nsp` (NULL `to`: all of them): the
/// C arguments are checked in order (server, `nsp`, the operation's own `arg`, `to`), then
/// `op` runs.
unsafe fn bulk<T>(
    server: *mut roomcast_server,
    nsp: *const c_char,
    arg: impl FnOnce() -> Res<T>,
    to: *const roomcast_target,
    op: impl FnOnce(&Server, &str, &BroadcastOptions, T) -> Result<(), roomcast::host::Error>,
) -> roomcast_status {
    with_server(server, |state| {
        let nsp = text(nsp, "nsp")?;
        let arg = arg()?;
        op(&state.server, nsp, &broadcast_options(to)?, arg)?;
        Ok(())
    })
}

type RoomFn = fn(&Server, &str, &BroadcastOptions, &[&str]) -> Result<(), roomcast::host::Error>;

/// `sockets_join` / `sockets_leave` for one room, as `bulk` runs them.
fn room_op(
    f: RoomFn,
) -> impl FnOnce(&Server, &str, &BroadcastOptions, &str) -> Result<(), roomcast::host::Error> {
    move |s, nsp, to, room| f(s, nsp, to, &[room])
}

/// Puts every socket `to` selects (NULL: all of `nsp`) in `room`, in one pass under the
/// adapter's lock, on every node of a cluster (socket.io's `socketsJoin`). Since ABI
/// revision 5.
#[no_mangle]
pub unsafe extern "C" fn roomcast_sockets_join(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    room: *const c_char,
) -> roomcast_status {
    bulk(
        server,
        nsp,
        || text(room, "room"),
        to,
        room_op(Server::sockets_join),
    )
}

/// Takes every socket `to` selects (NULL: all of `nsp`) out of `room` (`socketsLeave`; a
/// room closes with `to = {room}`). Since ABI revision 5.
#[no_mangle]
pub unsafe extern "C" fn roomcast_sockets_leave(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    room: *const c_char,
) -> roomcast_status {
    let leave = room_op(Server::sockets_leave);
    bulk(server, nsp, || text(room, "room"), to, leave)
}

/// Disconnects every socket `to` selects (NULL: all of `nsp`); with `close_connection`,
/// their whole connections (`disconnectSockets`). Since ABI revision 5.
#[no_mangle]
pub unsafe extern "C" fn roomcast_disconnect_sockets(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    close_connection: bool,
) -> roomcast_status {
    bulk(
        server,
        nsp,
        || Ok(()),
        to,
        |s, nsp, to, ()| s.disconnect_sockets(nsp, to, close_connection),
    )
}

/// Accepts namespace `pattern` from now on, as `roomcast_config_add_namespace` does before
/// start (a namespace in use takes the new middleware setting). Since ABI revision 5.
#[no_mangle]
pub unsafe extern "C" fn roomcast_add_namespace(
    server: *mut roomcast_server,
    pattern: *const c_char,
    middleware: bool,
) -> roomcast_status {
    with_server(server, |state| {
        let rule = roomcast::host::options::namespace_rule(text(pattern, "pattern")?, middleware)
            .map_err(roomcast::host::Error::Config)?;
        state.server.add_namespace(rule)?;
        Ok(())
    })
}

/// Puts socket `sid` of `nsp` in `room`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_join(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    room: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        state
            .server
            .join(text(nsp, "nsp")?, text(sid, "sid")?, &[text(room, "room")?])?;
        Ok(())
    })
}

/// Takes socket `sid` of `nsp` out of `room`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_leave(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    room: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        state
            .server
            .leave(text(nsp, "nsp")?, text(sid, "sid")?, &[text(room, "room")?])?;
        Ok(())
    })
}

/// A command that writes a JSON array of names to `out` (free it with
/// `roomcast_string_free`): `out` is checked first, then the handle, then `body` checks
/// the other arguments in order.
pub(crate) unsafe fn names_out(
    server: *mut roomcast_server,
    out: *mut *mut c_char,
    body: impl FnOnce(&crate::server::ServerState) -> Res<Vec<String>>,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        let list = body(&*self::server(server)?)?;
        let json = serde_json::Value::from(list).to_string();
        let c = CString::new(json)
            .map_err(|_| Fail::new(ROOMCAST_ERR_INVALID_ARGUMENT, "NUL in a name"))?;
        put(out, c.into_raw());
        Ok(())
    })
}

/// Writes the rooms of socket `sid` (its own id room included, sorted) as a JSON array
/// text to `out`; free it with `roomcast_string_free`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_rooms_of(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    out: *mut *mut c_char,
) -> roomcast_status {
    names_out(server, out, |state| {
        Ok(state
            .server
            .rooms_of(text(nsp, "nsp")?, text(sid, "sid")?)?)
    })
}

/// Sets the data of socket `sid` (`data_json`, any JSON text) that connection state
/// recovery restores with it. Also accepted for a socket that just lost its transport
/// (call it from the DISCONNECT event): its saved session gets the data. Invalid JSON is
/// `ROOMCAST_ERR_INVALID_JSON`. Since revision 3.
#[no_mangle]
pub unsafe extern "C" fn roomcast_set_data(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    data_json: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        let data = text(data_json, "data_json")?;
        crate::input::json_value(data, "data_json")?;
        state
            .server
            .set_data(text(nsp, "nsp")?, text(sid, "sid")?, data)?;
        Ok(())
    })
}

/// Writes the data of socket `sid` (see `roomcast_set_data`; after a recovery, the data it
/// had) to `out` as JSON text, or NULL when it has none; free it with
/// `roomcast_string_free`. Since revision 3.
#[no_mangle]
pub unsafe extern "C" fn roomcast_data(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    out: *mut *mut c_char,
) -> roomcast_status {
    guard(|| {
        out_ptr(out)?;
        let state = self::server(server)?;
        let data = state.server.data(text(nsp, "nsp")?, text(sid, "sid")?)?;
        let ptr = match data {
            Some(d) => CString::new(d)
                .map_err(|_| Fail::new(ROOMCAST_ERR_INVALID_ARGUMENT, "NUL in data"))?
                .into_raw(),
            None => std::ptr::null_mut(),
        };
        unsafe { put(out, ptr) };
        Ok(())
    })
}

/// Writes the ids of the sockets `to` selects (NULL = every socket of `nsp`; e.g. rooms =
/// {"lobby"} for a room's sockets) as a JSON array text to `out`; free it with
/// `roomcast_string_free`.
#[no_mangle]
pub unsafe extern "C" fn roomcast_sockets(
    server: *mut roomcast_server,
    nsp: *const c_char,
    to: *const roomcast_target,
    out: *mut *mut c_char,
) -> roomcast_status {
    names_out(server, out, |state| {
        Ok(state
            .server
            .sockets(text(nsp, "nsp")?, &broadcast_options(to)?)?)
    })
}

/// Frees a string the library handed out (NULL is ignored).
#[no_mangle]
pub unsafe extern "C" fn roomcast_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            drop(CString::from_raw(s));
        }
    })
}

/// Disconnects socket `sid` from `nsp` (the client sees "io server disconnect"); with
/// `close_connection`, also closes its whole connection.
#[no_mangle]
pub unsafe extern "C" fn roomcast_disconnect(
    server: *mut roomcast_server,
    nsp: *const c_char,
    sid: *const c_char,
    close_connection: bool,
) -> roomcast_status {
    with_server(server, |state| {
        state
            .server
            .disconnect(text(nsp, "nsp")?, text(sid, "sid")?, close_connection)?;
        Ok(())
    })
}

/// Accepts a pending connection (`ev->request` of a CONNECT_REQUEST); a CONNECTION event
/// follows. `ROOMCAST_ERR_NO_SUCH_REQUEST` when already answered or the client left.
#[no_mangle]
pub extern "C" fn roomcast_accept(server: *mut roomcast_server, request: u64) -> roomcast_status {
    with_server(server, |state| {
        state.server.accept(ConnectRequest::from_id(request))?;
        Ok(())
    })
}

/// Refuses a pending connection: the client gets a connect_error whose `message` is
/// `message` and whose `data` is the JSON value `data_json` (NULL = no data).
#[no_mangle]
pub unsafe extern "C" fn roomcast_reject(
    server: *mut roomcast_server,
    request: u64,
    message: *const c_char,
    data_json: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        let message = text(message, "message")?;
        let data = opt_text(data_json, "data_json")?;
        if let Some(d) = data {
            json_value(d, "data_json")?;
        }
        state
            .server
            .reject(ConnectRequest::from_id(request), message, data)?;
        Ok(())
    })
}
