//! `allow_request` for C (ABI revision 8): with `roomcast_config_set_allow_request`, every
//! Engine.IO handshake arrives as a `ROOMCAST_EVENT_ALLOW_REQUEST` event, answered with
//! `roomcast_allow_request`. The round trip and its timeout live in the core
//! (`roomcast::host::Server::allow_request`).

use std::ffi::c_char;
use std::time::Duration;

use roomcast::host::options::OptionValue;
use roomcast::host::{Refusal, RequestCheck};

use crate::config::{roomcast_config, set};
use crate::input::opt_text;
use crate::server::{roomcast_server, server};
use crate::status::{guard, roomcast_status, Res};

/// Asks the host about every Engine.IO handshake before any session exists, as
/// socket.io's `allowRequest` (default false): each arrives as a
/// `ROOMCAST_EVENT_ALLOW_REQUEST` event (`request`, `handshake_json`; the method is always
/// GET) to answer with `roomcast_allow_request`, from the callback or later from any
/// thread. Since ABI revision 8.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_request(
    cfg: *mut roomcast_config,
    allow_request: bool,
) -> roomcast_status {
    set(cfg, "allow_request", OptionValue::Bool(allow_request))
}

/// How long a handshake waits for `roomcast_allow_request` before it is refused with 403
/// `{"code":4,"message":"Forbidden"}`, in milliseconds (default 10000; 0 or more than a
/// year is `ROOMCAST_ERR_INVALID_CONFIG`). Since ABI revision 8.
#[no_mangle]
pub extern "C" fn roomcast_config_set_allow_request_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "allow_request_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Answers a `ROOMCAST_EVENT_ALLOW_REQUEST` (`ev->request`): `allow` lets the handshake go
/// on; otherwise it gets HTTP `status` (0 means 403; else 400 to 599) with engine.io's body
/// `{"code":4,"message":message}` (`message` NULL means "Forbidden").
/// `ROOMCAST_ERR_NO_SUCH_REQUEST` when answered already or past the timeout (the request
/// was then refused); `ROOMCAST_ERR_INVALID_ARGUMENT` for another status. Since ABI
/// revision 8.
#[no_mangle]
pub unsafe extern "C" fn roomcast_allow_request(
    srv: *mut roomcast_server,
    request: u64,
    allow: bool,
    status: u16,
    message: *const c_char,
) -> roomcast_status {
    guard(|| {
        let state = server(srv)?;
        let status = if status == 0 { 403 } else { status };
        let verdict = match allow {
            true => Ok(()),
            false => Err(refusal(status, message, "Forbidden")?),
        };
        state
            .server
            .allow_request(RequestCheck::from_id(request), verdict)?;
        Ok(())
    })
}

/// Answers a `ROOMCAST_EVENT_CORS_ORIGIN` (`ev->request`). With `status` 0, `allowed`
/// says whether the request's origin may read the response (true:
/// `Access-Control-Allow-Origin` is that origin; false: no CORS headers, the request goes
/// on, as the cors package does). A `status` of 400 to 599 refuses the request instead,
/// with engine.io's body `{"code":3 or 4,"message":message}` (`message` NULL means "Bad
/// request"; engine.io answers an error of its cors middleware with 400 "Bad request").
/// `ROOMCAST_ERR_NO_SUCH_REQUEST` when answered already or past the timeout;
/// `ROOMCAST_ERR_INVALID_ARGUMENT` for another status. Since ABI revision 21.
#[no_mangle]
pub unsafe extern "C" fn roomcast_allow_origin(
    srv: *mut roomcast_server,
    request: u64,
    allowed: bool,
    status: u16,
    message: *const c_char,
) -> roomcast_status {
    guard(|| {
        let state = server(srv)?;
        let verdict = match status {
            0 => Ok(allowed),
            _ => Err(refusal(status, message, "Bad request")?),
        };
        state
            .server
            .allow_origin(RequestCheck::from_id(request), verdict)?;
        Ok(())
    })
}

/// A refusal with `status` and the C string `message` (NULL: `default`), as the answers
/// above take them.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string.
unsafe fn refusal(status: u16, message: *const c_char, default: &str) -> Res<Refusal> {
    Ok(Refusal {
        status,
        message: opt_text(message, "message")?.unwrap_or(default).to_owned(),
    })
}
