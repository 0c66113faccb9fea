//! `roomcast._native.NativePlain`: commands on plain WebSocket connections (routes such
//! as `/ws/chat`) by id, thin calls into [`roomcast::host::Server`]; the Python layer
//! (`roomcast.PlainRoute`) gives them their shape. Also the route options from Python.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use roomcast::host::options::{ConfigBuilder, ConfigError as CoreConfigError};
use roomcast::host::{routes, Error, PlainData, Server};

use crate::options::option_value;
use crate::server::err;

/// Adds each `(path, {option: value})` route to `b` (the core's route option names,
/// durations in seconds).
pub(crate) fn add_routes(
    b: &mut ConfigBuilder,
    list: Vec<(String, Bound<'_, PyDict>)>,
) -> PyResult<()> {
    let cfg = |e| err(Error::Config(e));
    for (path, opts) in list {
        b.add_route(&path).map_err(cfg)?;
        for (key, value) in opts.iter() {
            let name: String = key.extract()?;
            let spec = routes::route_option(&name)
                .ok_or_else(|| cfg(CoreConfigError::UnknownOption(name.clone())))?;
            let v = option_value(&name, spec.kind, &value).map_err(cfg)?;
            b.set_route(&path, &name, v).map_err(cfg)?;
        }
    }
    Ok(())
}

/// Commands on the plain connections of a server (see `NativeServer.plain()`).
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativePlain {
    server: Server,
}

impl NativePlain {
    pub fn new(server: Server) -> Self {
        Self { server }
    }
}

#[pymethods]
impl NativePlain {
    /// Sends `data` (str: a text frame; bytes-like: a binary frame) to connection `id`.
    fn send(&self, py: Python<'_>, id: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = if let Ok(s) = data.cast::<PyString>() {
            PlainData::Text(s.extract::<String>()?)
        } else if let Ok(b) = data.cast::<PyBytes>() {
            PlainData::Binary(bytes::Bytes::copy_from_slice(b.as_bytes()))
        } else {
            let v: Vec<u8> = data
                .extract()
                .map_err(|_| err(Error::InvalidArgument("send takes str or bytes".into())))?;
            PlainData::Binary(bytes::Bytes::from(v))
        };
        py.detach(|| self.server.plain_send(id, data)).map_err(err)
    }

    /// Puts connection `id` in `rooms`.
    fn join(&self, id: &str, rooms: Vec<String>) -> PyResult<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.server.plain_join(id, &rooms).map_err(err)
    }

    /// Takes connection `id` out of `rooms`.
    fn leave(&self, id: &str, rooms: Vec<String>) -> PyResult<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.server.plain_leave(id, &rooms).map_err(err)
    }

    /// The rooms of connection `id` (its own id room included), sorted.
    fn rooms(&self, id: &str) -> PyResult<Vec<String>> {
        self.server.plain_rooms(id).map_err(err)
    }

    /// Closes connection `id` with `code` and `reason` after what is queued.
    fn close(&self, id: &str, code: u32, reason: &str) -> PyResult<()> {
        let code = u16::try_from(code).unwrap_or(0);
        self.server.plain_close(id, code, reason).map_err(err)
    }
}
