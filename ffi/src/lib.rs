//! C ABI for roomcast: a thin layer over [`roomcast::host`] (see `include/roomcast.h`,
//! generated from this crate by cbindgen; the threading model and shutdown order are
//! documented at the top of that header, from `ffi/cbindgen.toml`).
//!
//! No protocol logic lives here: this crate validates what C hands in (handles, UTF-8,
//! JSON), converts events into flat C structs and maps errors to status codes.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod commands;
mod config;
mod event;
mod input;
mod registry;
mod server;
mod status;
mod types;

pub use commands::*;
pub use config::*;
pub use event::{roomcast_ack_reply, roomcast_event, roomcast_event_kind};
pub use server::*;
pub use status::*;
pub use types::*;

use std::ffi::c_char;

/// Version of the C ABI; bumped on any incompatible change. Compare with
/// `roomcast_abi_version()` at run time to detect a mismatched library.
pub const ROOMCAST_ABI_VERSION: u32 = 1;

/// The library version, e.g. "0.1.0" (static string, do not free).
#[no_mangle]
pub extern "C" fn roomcast_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version the library was built with (`ROOMCAST_ABI_VERSION` of its header).
#[no_mangle]
pub extern "C" fn roomcast_abi_version() -> u32 {
    ROOMCAST_ABI_VERSION
}
