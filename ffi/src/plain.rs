//! Plain WebSocket routes for C (ABI revision 16): routes declared on the config
//! (`roomcast_config_add_route` and the typed `roomcast_config_set_route_*` setters, by the
//! core's route option names), and commands on their connections by id. Their events are
//! `ROOMCAST_EVENT_PLAIN_*` (revision 16); a route with `verify` is answered with
//! `roomcast_allow_request`.

use std::ffi::c_char;
use std::time::Duration;

use roomcast::host::options::{ConfigError, OptionValue};
use roomcast::host::{Error, PlainData};

use crate::commands::names_out;
use crate::config::{roomcast_config, with};
use crate::input::{opt_text, slice, text, utf8};
use crate::server::{roomcast_server, with_server};
use crate::status::*;

fn route_err(e: ConfigError) -> Fail {
    Fail::from(Error::Config(e))
}

/// Sets option `name` (a C string) of the route at `path` to what `value` gives.
unsafe fn set_route(
    cfg: *mut roomcast_config,
    path: *const c_char,
    name: *const c_char,
    value: impl FnOnce() -> Res<OptionValue>,
) -> roomcast_status {
    with(cfg, |c| {
        let (path, name) = (text(path, "path")?, text(name, "name")?);
        c.set_route(path, name, value()?).map_err(route_err)
    })
}

/// Adds a plain WebSocket route at `path` (e.g. "/ws/chat") with the defaults; bare
/// WebSocket clients connecting there share the rooms of the route's namespace with its
/// Socket.IO sockets. A path that is not absolute is `ROOMCAST_ERR_INVALID_CONFIG`; one
/// already used is refused at start. Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_add_route(
    cfg: *mut roomcast_config,
    path: *const c_char,
) -> roomcast_status {
    with(cfg, |c| c.add_route(text(path, "path")?).map_err(route_err))
}

/// Sets a text option of the route at `path`: "namespace" (default "/"), "rooms" (one room
/// every connection is in from the start), "delivery" ("json_array", the default: a
/// Socket.IO emit to a room arrives as the text `["event",...args]`; "first_arg": its
/// first argument alone) or "relay_event" (each text from a connection is also emitted
/// as this event to its rooms). NULL `value` restores the default. An unknown name, an
/// option of another type or a bad value is `ROOMCAST_ERR_INVALID_CONFIG` naming it; a
/// route not added is `ROOMCAST_ERR_INVALID_CONFIG` too. Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_route_text(
    cfg: *mut roomcast_config,
    path: *const c_char,
    name: *const c_char,
    value: *const c_char,
) -> roomcast_status {
    set_route(cfg, path, name, || {
        Ok(match opt_text(value, "value")? {
            Some(v) => OptionValue::Text(v.to_owned()),
            None => OptionValue::Unset,
        })
    })
}

/// Sets a count option of the route at `path`: "max_message_size" (bytes; a bigger
/// message closes the connection with 1009; default the server's max payload). Since ABI
/// revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_route_count(
    cfg: *mut roomcast_config,
    path: *const c_char,
    name: *const c_char,
    value: u64,
) -> roomcast_status {
    set_route(cfg, path, name, || Ok(OptionValue::Count(value)))
}

/// Sets a duration option of the route at `path`, in milliseconds: "ping_interval" or
/// "ping_timeout" (WebSocket pings; no pong in time closes; default the server's). Since
/// ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_route_ms(
    cfg: *mut roomcast_config,
    path: *const c_char,
    name: *const c_char,
    ms: u64,
) -> roomcast_status {
    set_route(cfg, path, name, || {
        Ok(OptionValue::Duration(Duration::from_millis(ms)))
    })
}

/// Sets a boolean option of the route at `path`: "verify" (each upgrade becomes a
/// `ROOMCAST_EVENT_PLAIN_REQUEST` answered with `roomcast_allow_request` before the 101).
/// Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_config_set_route_bool(
    cfg: *mut roomcast_config,
    path: *const c_char,
    name: *const c_char,
    value: bool,
) -> roomcast_status {
    set_route(cfg, path, name, || Ok(OptionValue::Bool(value)))
}

/// Sends `len` bytes at `data` to plain connection `id`: a text frame (`binary` false;
/// the bytes must be UTF-8, else `ROOMCAST_ERR_INVALID_UTF8`) or a binary frame. Since ABI
/// revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_plain_send(
    server: *mut roomcast_server,
    id: *const c_char,
    data: *const u8,
    len: usize,
    binary: bool,
) -> roomcast_status {
    with_server(server, |state| {
        let bytes = slice(data, len, "data")?;
        let data = if binary {
            PlainData::Binary(bytes::Bytes::copy_from_slice(bytes))
        } else {
            PlainData::Text(utf8(bytes, "data")?.to_owned())
        };
        state.server.plain_send(text(id, "id")?, data)?;
        Ok(())
    })
}

/// Puts plain connection `id` in `room` (beside the Socket.IO sockets there). Since ABI
/// revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_plain_join(
    server: *mut roomcast_server,
    id: *const c_char,
    room: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        state
            .server
            .plain_join(text(id, "id")?, &[text(room, "room")?])?;
        Ok(())
    })
}

/// Takes plain connection `id` out of `room`. Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_plain_leave(
    server: *mut roomcast_server,
    id: *const c_char,
    room: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        state
            .server
            .plain_leave(text(id, "id")?, &[text(room, "room")?])?;
        Ok(())
    })
}

/// Writes the rooms of plain connection `id` (its own id room included, sorted) as a JSON
/// array text to `out`; free it with `roomcast_string_free`. Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_plain_rooms(
    server: *mut roomcast_server,
    id: *const c_char,
    out: *mut *mut c_char,
) -> roomcast_status {
    names_out(server, out, |state| {
        Ok(state.server.plain_rooms(text(id, "id")?)?)
    })
}

/// Closes plain connection `id` with a close frame (`code` 1000-1003, 1007-1014 or
/// 3000-4999, `reason` at most 123 bytes, NULL = ""; else `ROOMCAST_ERR_INVALID_ARGUMENT`)
/// after what is queued for it. Since ABI revision 16.
#[no_mangle]
pub unsafe extern "C" fn roomcast_plain_close(
    server: *mut roomcast_server,
    id: *const c_char,
    code: u32,
    reason: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        let reason = opt_text(reason, "reason")?.unwrap_or("");
        let code = u16::try_from(code).unwrap_or(0);
        state.server.plain_close(text(id, "id")?, code, reason)?;
        Ok(())
    })
}
