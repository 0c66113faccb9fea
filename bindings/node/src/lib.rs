//! Node binding of roomcast: a napi-rs class (`NativeServer`) over [`roomcast::host`].
//!
//! The socket.io-shaped API lives in JavaScript (`index.js`); this crate only starts and
//! stops the core, forwards commands, and delivers the core's ordered [`roomcast::Event`]
//! stream to one JavaScript callback through one thread-safe function per server.

mod attach;
mod conn;
mod convert;
mod emitter;
mod events;
mod log;
mod namespaces;
mod options;
mod plain;
mod server;

pub use attach::NativeBridge;
pub use emitter::NativeEmitter;
pub use log::{set_log_filter, set_logger};
pub use options::{check_options, options, OptionInfo};
pub use server::NativeServer;

/// The roomcast version this module was built from (the workspace version), exported to
/// JavaScript as `require('roomcast').version`.
#[napi_derive::napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
