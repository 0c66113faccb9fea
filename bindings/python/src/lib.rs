//! `roomcast._native`: the pyo3 module under the `roomcast` Python package.
//!
//! It wraps the core's host API ([`roomcast::host`]) directly; the Python layer in
//! `python/roomcast/` builds the python-socketio-shaped API on top of it.

use pyo3::prelude::*;

mod carry;
mod cluster;
mod convert;
mod log;
mod options;
mod plain;
mod server;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<server::NativeServer>()?;
    m.add_class::<server::AckToken>()?;
    m.add_class::<server::NativeEmitter>()?;
    m.add_class::<cluster::NativeCluster>()?;
    m.add_class::<cluster::ServerAckToken>()?;
    m.add_class::<plain::NativePlain>()?;
    m.add_class::<carry::NativeCarrier>()?;
    m.add_class::<carry::NativeWaker>()?;
    m.add_class::<carry::NativeRequest>()?;
    m.add_class::<carry::NativeSocket>()?;
    m.add("RoomcastError", py.get_type::<server::RoomcastError>())?;
    m.add("NoSuchNamespace", py.get_type::<server::NoSuchNamespace>())?;
    m.add("NoSuchSocket", py.get_type::<server::NoSuchSocket>())?;
    m.add("NoSuchRequest", py.get_type::<server::NoSuchRequest>())?;
    m.add("InvalidArgument", py.get_type::<server::InvalidArgument>())?;
    m.add("ConfigError", py.get_type::<server::ConfigError>())?;
    m.add("ServerStopped", py.get_type::<server::ServerStopped>())?;
    m.add("IoError", py.get_type::<server::IoError>())?;
    m.add_function(wrap_pyfunction!(log::set_log_handler, m)?)?;
    m.add_function(wrap_pyfunction!(log::set_log_filter, m)?)?;
    m.add_function(wrap_pyfunction!(options::option_table, m)?)?;
    m.add_function(wrap_pyfunction!(options::check_options, m)?)?;
    m.add_function(wrap_pyfunction!(options::password_hash, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
