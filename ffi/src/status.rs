//! Status codes, the thread-local last-error message and the panic guard every exported
//! function runs its body in.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use roomcast::host::Error;

/// Result of every fallible call: `ROOMCAST_OK` (0) or a negative error code. On error,
/// `roomcast_last_error()` on the same thread says more.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum roomcast_status {
    /// Success.
    ROOMCAST_OK = 0,
    /// A required pointer argument was NULL.
    ROOMCAST_ERR_NULL = -1,
    /// The server or config handle is not live (never issued, freed, or of the wrong kind).
    ROOMCAST_ERR_INVALID_HANDLE = -2,
    /// A string argument is not valid UTF-8.
    ROOMCAST_ERR_INVALID_UTF8 = -3,
    /// A JSON argument does not parse (or event args are not a JSON array).
    ROOMCAST_ERR_INVALID_JSON = -4,
    /// Another argument is out of range or malformed (bad address, bad path, ...).
    ROOMCAST_ERR_INVALID_ARGUMENT = -5,
    /// No namespace of that name is in use.
    ROOMCAST_ERR_NO_SUCH_NAMESPACE = -6,
    /// No connected socket with that id in that namespace.
    ROOMCAST_ERR_NO_SUCH_SOCKET = -7,
    /// The connect request was already answered, or its connection is gone.
    ROOMCAST_ERR_NO_SUCH_REQUEST = -8,
    /// The ack handle was already consumed (ack_send/ack_drop) or its socket is gone.
    ROOMCAST_ERR_NO_SUCH_ACK = -9,
    /// The server has stopped (also returned by a second `roomcast_server_stop`).
    ROOMCAST_ERR_STOPPED = -10,
    /// Binding the port or another I/O operation failed.
    ROOMCAST_ERR_IO = -11,
    /// The call is not allowed on a dispatcher thread (stop/free inside a callback).
    ROOMCAST_ERR_IN_CALLBACK = -12,
    /// Callback mode and pull mode were mixed, or a callback was set twice.
    ROOMCAST_ERR_MODE = -13,
    /// `roomcast_next_event` found no event within the timeout.
    ROOMCAST_ERR_TIMEOUT = -14,
    /// The library panicked; the call had no effect that can be relied on.
    ROOMCAST_ERR_PANIC = -15,
    /// A config value is out of range or conflicts with another (both transports off,
    /// `max_buffered_frames` 0, a path with '?', a namespace without '/', an unresolvable
    /// host, ...); the message names the option. Since ABI revision 5 (before, these were
    /// `ROOMCAST_ERR_INVALID_ARGUMENT`).
    ROOMCAST_ERR_INVALID_CONFIG = -16,
}

pub use roomcast_status::*;

/// An error on its way to C: a status and a message for `roomcast_last_error`.
pub struct Fail {
    pub status: roomcast_status,
    pub message: String,
}

impl Fail {
    pub fn new(status: roomcast_status, message: impl Into<String>) -> Self {
        Fail {
            status,
            message: message.into(),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::NoSuchNamespace => ROOMCAST_ERR_NO_SUCH_NAMESPACE,
            Error::NoSuchSocket => ROOMCAST_ERR_NO_SUCH_SOCKET,
            Error::NoSuchRequest => ROOMCAST_ERR_NO_SUCH_REQUEST,
            Error::InvalidArgument(_) => ROOMCAST_ERR_INVALID_ARGUMENT,
            Error::Config(_) => ROOMCAST_ERR_INVALID_CONFIG,
            Error::Stopped => ROOMCAST_ERR_STOPPED,
            Error::Io(_) => ROOMCAST_ERR_IO,
        };
        Fail::new(status, e.to_string())
    }
}

pub type Res<T = ()> = Result<T, Fail>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\u{fffd}")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c));
}

/// Runs an exported body: panics become `ROOMCAST_ERR_PANIC`, errors set the last-error
/// message and return their status.
pub fn guard(body: impl FnOnce() -> Res) -> roomcast_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ROOMCAST_OK,
        Ok(Err(f)) => {
            set_last_error(&f.message);
            f.status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal panic: {what}"));
            ROOMCAST_ERR_PANIC
        }
    }
}

/// Like [`guard`] for functions that return a value instead of a status (`fallback` on
/// panic).
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        set_last_error("internal panic");
        fallback
    })
}

/// The message of the last failed call on this thread, or NULL if none failed yet. The
/// string is owned by the library and valid until the next failing call on this thread.
#[no_mangle]
pub extern "C" fn roomcast_last_error() -> *const c_char {
    guard_value(std::ptr::null(), || {
        LAST_ERROR.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// A static, human-readable name for a status code (e.g. "ROOMCAST_ERR_INVALID_JSON");
/// "ROOMCAST_UNKNOWN" for a number that is no status.
#[no_mangle]
pub extern "C" fn roomcast_status_name(status: i32) -> *const c_char {
    const ALL: [(roomcast_status, &[u8]); 17] = [
        (ROOMCAST_OK, b"ROOMCAST_OK\0"),
        (ROOMCAST_ERR_NULL, b"ROOMCAST_ERR_NULL\0"),
        (
            ROOMCAST_ERR_INVALID_HANDLE,
            b"ROOMCAST_ERR_INVALID_HANDLE\0",
        ),
        (ROOMCAST_ERR_INVALID_UTF8, b"ROOMCAST_ERR_INVALID_UTF8\0"),
        (ROOMCAST_ERR_INVALID_JSON, b"ROOMCAST_ERR_INVALID_JSON\0"),
        (
            ROOMCAST_ERR_INVALID_ARGUMENT,
            b"ROOMCAST_ERR_INVALID_ARGUMENT\0",
        ),
        (
            ROOMCAST_ERR_NO_SUCH_NAMESPACE,
            b"ROOMCAST_ERR_NO_SUCH_NAMESPACE\0",
        ),
        (
            ROOMCAST_ERR_NO_SUCH_SOCKET,
            b"ROOMCAST_ERR_NO_SUCH_SOCKET\0",
        ),
        (
            ROOMCAST_ERR_NO_SUCH_REQUEST,
            b"ROOMCAST_ERR_NO_SUCH_REQUEST\0",
        ),
        (ROOMCAST_ERR_NO_SUCH_ACK, b"ROOMCAST_ERR_NO_SUCH_ACK\0"),
        (ROOMCAST_ERR_STOPPED, b"ROOMCAST_ERR_STOPPED\0"),
        (ROOMCAST_ERR_IO, b"ROOMCAST_ERR_IO\0"),
        (ROOMCAST_ERR_IN_CALLBACK, b"ROOMCAST_ERR_IN_CALLBACK\0"),
        (ROOMCAST_ERR_MODE, b"ROOMCAST_ERR_MODE\0"),
        (ROOMCAST_ERR_TIMEOUT, b"ROOMCAST_ERR_TIMEOUT\0"),
        (ROOMCAST_ERR_PANIC, b"ROOMCAST_ERR_PANIC\0"),
        (
            ROOMCAST_ERR_INVALID_CONFIG,
            b"ROOMCAST_ERR_INVALID_CONFIG\0",
        ),
    ];
    let name: &[u8] = ALL
        .iter()
        .find(|(s, _)| *s as i32 == status)
        .map_or(b"ROOMCAST_UNKNOWN\0", |(_, n)| n);
    name.as_ptr().cast()
}
