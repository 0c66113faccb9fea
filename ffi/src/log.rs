//! Logs for C (ABI revision 13): core's log records handed to a host callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use roomcast::host::log::{self, LogRecord};

use crate::input::opt_text;
use crate::status::{guard, roomcast_status, Fail};

/// Error: something failed (e.g. the cluster adapter cannot reach Redis).
pub const ROOMCAST_LOG_ERROR: u32 = 1;
/// Warning: something degraded (a slow consumer dropped, a Redis publish lost).
pub const ROOMCAST_LOG_WARN: u32 = 2;
/// Server lifecycle: listening, TLS reloaded, stopping.
pub const ROOMCAST_LOG_INFO: u32 = 3;
/// Connection lifecycle: opened, upgraded, socket connected, disconnected with reason.
pub const ROOMCAST_LOG_DEBUG: u32 = 4;
/// Finer detail.
pub const ROOMCAST_LOG_TRACE: u32 = 5;

/// A log callback: `level` (ROOMCAST_LOG_ERROR .. ROOMCAST_LOG_TRACE), `target` (e.g.
/// "roomcast::socket"), `message`, and `fields`, a JSON object of strings with the stable
/// keys `sid`, `nsp`, `transport`, `reason` (and others) the record has. The strings live
/// until the callback returns.
pub type roomcast_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
        fields: *const c_char,
    ),
>;

/// Text as a C string; a NUL inside (from a client's namespace name, say) becomes `\0`.
fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

struct Callback {
    cb: unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char, *const c_char),
    user_data: *mut c_void,
}

impl Callback {
    fn call(&self, r: &LogRecord<'_>) {
        let target = c_text(r.target);
        let message = c_text(r.message);
        let fields = c_text(&r.fields_json());
        // SAFETY: the host's callback with the user_data it gave and strings that live
        // across the call.
        unsafe {
            (self.cb)(
                self.user_data,
                r.level as u32,
                target.as_ptr(),
                message.as_ptr(),
                fields.as_ptr(),
            )
        };
    }
}

// SAFETY: the host promises (header) that its callback and user_data may be used from any
// thread; the library only passes user_data back.
unsafe impl Send for Callback {}
// SAFETY: as above.
unsafe impl Sync for Callback {}

/// (revision 13) Routes the library's log records to `cb` (with `user_data` passed back),
/// or with `cb` NULL stops routing them. Records pass the filter first (see
/// `roomcast_set_log_filter`): by default the `ROOMCAST_LOG` environment variable, else
/// `RUST_LOG`, else off, so nothing is logged until one is set. The callback runs on the
/// thread that logged, usually one of a server's runtime threads, possibly on several at
/// once; it must be quick, must not block on anything those threads wait for, and must not
/// call `roomcast_set_log_callback` (refused with ROOMCAST_ERR_IN_CALLBACK); what it logs
/// itself is dropped. When this function returns, no call to the previous callback is
/// running or will start: its user_data can be freed. Process-wide; any thread.
#[no_mangle]
pub extern "C" fn roomcast_set_log_callback(
    cb: roomcast_log_fn,
    user_data: *mut c_void,
) -> roomcast_status {
    guard(|| {
        let sink: Option<log::LogSink> = cb.map(|cb| {
            let c = Callback { cb, user_data };
            Arc::new(move |r: &LogRecord<'_>| c.call(r)) as log::LogSink
        });
        if log::in_log_sink() {
            return Err(Fail::new(
                roomcast_status::ROOMCAST_ERR_IN_CALLBACK,
                "roomcast_set_log_callback: not from inside the log callback",
            ));
        }
        log::set_log_sink(sink)?;
        Ok(())
    })
}

/// (revision 13) Sets the log filter, in `RUST_LOG` syntax: "debug", "info",
/// "roomcast::socket=debug,warn", "off". NULL goes back to the environment's
/// (`ROOMCAST_LOG`, else `RUST_LOG`, else off). A malformed filter is refused with
/// ROOMCAST_ERR_INVALID_ARGUMENT and the current one stays. Process-wide; any thread.
#[no_mangle]
pub unsafe extern "C" fn roomcast_set_log_filter(filter: *const c_char) -> roomcast_status {
    guard(|| {
        log::set_log_filter(opt_text(filter, "filter")?)?;
        Ok(())
    })
}
