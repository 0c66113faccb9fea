//! `roomcast._native.NativeServer`: one running core server and its event stream.
//!
//! Every method is a thin call into [`roomcast::host::Server`]. Methods that wait
//! (`next_event`, `call`, `stop`) release the GIL while they wait, so Python threads keep
//! running and the Rust runtime never waits on Python.

use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use roomcast::host::{
    AckHandle, AckResult, ConnectRequest, Error, Event, Events, PlainData, RecvError, Refusal,
    RequestCheck, Server,
};
use roomcast::BroadcastOptions;
use std::sync::Arc;
use std::time::Duration;

use crate::cluster::{NativeCluster, ServerAckToken};
use crate::convert;

pyo3::create_exception!(
    _native,
    RoomcastError,
    pyo3::exceptions::PyException,
    "An error reported by the roomcast core; `code` is the core's error code."
);
pyo3::create_exception!(
    _native,
    NoSuchNamespace,
    RoomcastError,
    "No namespace of that name is in use (ERR_NO_SUCH_NAMESPACE)."
);
pyo3::create_exception!(
    _native,
    NoSuchSocket,
    RoomcastError,
    "No connected socket with that id in that namespace (ERR_NO_SUCH_SOCKET)."
);
pyo3::create_exception!(
    _native,
    NoSuchRequest,
    RoomcastError,
    "The connect request was answered already or its client left (ERR_NO_SUCH_REQUEST)."
);
pyo3::create_exception!(
    _native,
    InvalidArgument,
    RoomcastError,
    "An argument is malformed, e.g. not JSON-serialisable (ERR_INVALID_ARGUMENT)."
);
pyo3::create_exception!(
    _native,
    ConfigError,
    RoomcastError,
    "An option is unknown, of the wrong type, out of range, or conflicts with another (ERR_INVALID_CONFIG)."
);
pyo3::create_exception!(
    _native,
    ServerStopped,
    RoomcastError,
    "The server has stopped (ERR_SERVER_STOPPED)."
);
pyo3::create_exception!(
    _native,
    IoError,
    RoomcastError,
    "Binding the port or another I/O operation failed (ERR_IO)."
);

/// One Python exception class per core error code.
pub fn err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::NoSuchNamespace => NoSuchNamespace::new_err(msg),
        Error::NoSuchSocket => NoSuchSocket::new_err(msg),
        Error::NoSuchRequest => NoSuchRequest::new_err(msg),
        Error::InvalidArgument(_) => InvalidArgument::new_err(msg),
        Error::Config(_) => ConfigError::new_err(msg),
        Error::Stopped => ServerStopped::new_err(msg),
        Error::Io(_) => IoError::new_err(msg),
    }
}

fn secs(s: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!("{what} must be a non-negative number of seconds"))
    })
}

/// The right to answer one client acknowledgement request; `NativeServer.ack` consumes it.
/// Dropping it unanswered answers nothing.
#[pyclass(frozen, module = "roomcast._native")]
pub struct AckToken {
    handle: Mutex<Option<AckHandle>>,
}

/// A running server: commands plus the ordered event stream.
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeServer {
    server: Server,
    events: Arc<Events>,
}

fn options(rooms: Vec<String>, except: Vec<String>) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.into_iter().map(Arc::from).collect(),
        except: except.into_iter().map(Arc::from).collect(),
        ..Default::default()
    }
}

fn ack_result<'py>(py: Python<'py>, r: &AckResult) -> PyResult<Bound<'py, PyList>> {
    let replies = PyList::empty(py);
    for reply in &r.replies {
        // `None` for a client of another cluster node (the wire format does not name it).
        let sid = reply.sid.as_ref().map(|s| s.as_str());
        replies.append((sid, convert::from_payload(py, &reply.args)?))?;
    }
    Ok(replies)
}

fn handshake<'py>(py: Python<'py>, h: &roomcast::host::Handshake) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    // Repeated headers joined as socket.io does (", ", cookies "; ").
    d.set_item("headers", h.joined_headers())?;
    d.set_item("query", &h.query)?;
    d.set_item("url", &h.url)?;
    d.set_item("address", &h.address)?;
    d.set_item("issued", h.issued)?;
    d.set_item("cookies", h.cookies())?;
    Ok(d)
}

/// Turns a core event into the tuple the Python layer dispatches on.
fn event_tuple<'py>(py: Python<'py>, ev: Event) -> PyResult<Bound<'py, PyTuple>> {
    let t = match ev {
        Event::AllowRequest {
            request,
            method,
            handshake: h,
        } => ("allow_request", request.id(), method, handshake(py, &h)?).into_pyobject(py)?,
        Event::ConnectRequest {
            request,
            nsp,
            auth,
            handshake: h,
            recovered,
        } => (
            "connect_request",
            request.id(),
            &*nsp,
            request.sid().map(|s| s.to_string()),
            convert::from_json_text(py, auth.as_deref())?,
            handshake(py, &h)?,
            recovered,
        )
            .into_pyobject(py)?,
        Event::Connection {
            nsp,
            sid,
            auth,
            handshake: h,
            recovered,
        } => (
            "connect",
            &*nsp,
            sid.as_str(),
            convert::from_json_text(py, auth.as_deref())?,
            handshake(py, &h)?,
            recovered,
        )
            .into_pyobject(py)?,
        Event::Message {
            nsp,
            sid,
            event,
            args,
            ack,
        } => {
            let token = match ack {
                Some(h) => Some(Py::new(
                    py,
                    AckToken {
                        handle: Mutex::new(Some(h)),
                    },
                )?),
                None => None,
            };
            (
                "message",
                &*nsp,
                sid.as_str(),
                event,
                convert::from_payload(py, &args)?,
                token,
            )
                .into_pyobject(py)?
        }
        Event::AckResponse(r) => {
            // "timed out" for Python means the timer fired; recipients that disconnected
            // first are reported as not timed out (the message then says so).
            (
                "ack",
                r.id,
                ack_result(py, &r)?,
                r.timed_out && r.disconnected == 0,
            )
                .into_pyobject(py)?
        }
        Event::Disconnecting {
            nsp,
            sid,
            reason,
            rooms,
        } => ("disconnecting", &*nsp, sid.as_str(), reason.as_str(), rooms).into_pyobject(py)?,
        Event::Disconnect { nsp, sid, reason } => {
            ("disconnect", &*nsp, sid.as_str(), reason.as_str()).into_pyobject(py)?
        }
        Event::ServerSideEmit {
            nsp,
            event,
            args,
            ack,
        } => (
            "server_side_emit",
            &*nsp,
            event,
            convert::from_payload(py, &args)?,
            match ack {
                Some(a) => Some(Py::new(py, ServerAckToken::new(a))?),
                None => None,
            },
        )
            .into_pyobject(py)?,
        Event::ClusterReply { id, reply } => {
            ("cluster_reply", id, convert::from_value(py, &reply, &[])?).into_pyobject(py)?
        }
        Event::PlainRequest {
            request,
            route,
            handshake: h,
        } => ("plain_request", request.id(), &*route, handshake(py, &h)?).into_pyobject(py)?,
        Event::PlainConnection {
            route,
            id,
            handshake: h,
        } => ("plain_connect", &*route, id.as_str(), handshake(py, &h)?).into_pyobject(py)?,
        Event::PlainMessage { route, id, data } => {
            let data = match data {
                PlainData::Text(t) => t.into_pyobject(py)?.into_any(),
                PlainData::Binary(b) => PyBytes::new(py, &b).into_any(),
            };
            ("plain_message", &*route, id.as_str(), data).into_pyobject(py)?
        }
        Event::PlainClose {
            route,
            id,
            code,
            reason,
        } => ("plain_close", &*route, id.as_str(), code, reason).into_pyobject(py)?,
        // Never turned on from Python (python-socketio has no `connection_error` event
        // nor `socket.conn`); passed on by kind for completeness.
        Event::ConnectionError { code, message, .. } => {
            ("connection_error", code, message).into_pyobject(py)?
        }
        Event::Upgrade { conn_id } => ("upgrade", &*conn_id).into_pyobject(py)?,
        Event::CorsOrigin {
            request,
            method,
            handshake: h,
        } => ("cors_origin", request.id(), method, handshake(py, &h)?).into_pyobject(py)?,
        Event::Room {
            nsp,
            kind,
            room,
            sid,
        } => (
            "room",
            &*nsp,
            kind.as_str(),
            &*room,
            sid.as_ref().map(|s| s.as_str()),
        )
            .into_pyobject(py)?,
    };
    Ok(t)
}

#[pymethods]
impl NativeServer {
    /// Binds and starts a server. `options` are the core's options by name (see the
    /// README's option table; durations in seconds; `None` leaves the default);
    /// `namespaces` is a list of `(name_or_glob, middleware)`.
    #[new]
    #[pyo3(signature = (namespaces=vec![("/".to_owned(), false)], routes=Vec::new(), **options))]
    fn new(
        py: Python<'_>,
        namespaces: Vec<(String, bool)>,
        routes: Vec<(String, Bound<'_, PyDict>)>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut b = crate::options::builder(options)?;
        b.clear_namespaces();
        for (pattern, middleware) in namespaces {
            b.add_namespace(&pattern, middleware)
                .map_err(|e| err(Error::Config(e)))?;
        }
        crate::plain::add_routes(&mut b, routes)?;
        let (server, events) = py.detach(|| b.start()).map_err(err)?;
        Ok(Self {
            server,
            events: Arc::new(events),
        })
    }

    /// Turns the admin UI on while running: `options` are the core's `admin_ui*` options
    /// (`admin_ui=True` among them). `ConfigError` naming a bad one, `InvalidArgument`
    /// when it is on already.
    #[pyo3(signature = (**options))]
    fn instrument(&self, options: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let (config, _) = crate::options::builder(options)?
            .build()
            .map_err(|e| err(Error::Config(e)))?;
        let admin = config.admin_ui.ok_or_else(|| {
            err(Error::Config(roomcast::host::ConfigError::OutOfRange(
                "admin_ui".into(),
                "instrument needs admin_ui=True",
            )))
        })?;
        self.server.instrument(admin).map_err(err)
    }

    /// The server's metrics as JSON text (`ConfigError` when metrics are off).
    fn metrics_json(&self) -> PyResult<String> {
        Ok(self.server.metrics().map_err(err)?.to_json())
    }

    /// Reloads the TLS certificate chain and key (each a PEM file path or PEM text) for
    /// new connections; `ConfigError` when they do not load (the old ones keep serving) or
    /// the server runs without TLS.
    fn reload_tls(
        &self,
        py: Python<'_>,
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
    ) -> PyResult<()> {
        let pem = |p: std::path::PathBuf| match p.to_str() {
            Some(s) => roomcast::Pem::from_arg(s),
            None => roomcast::Pem::Path(p),
        };
        let tls = roomcast::TlsConfig {
            cert: pem(cert),
            key: pem(key),
        };
        py.detach(|| self.server.reload_tls(&tls)).map_err(err)
    }

    /// The port the server listens on.
    #[getter]
    fn port(&self) -> u16 {
        self.server.local_addr().port()
    }

    /// Whether `stop` has run.
    #[getter]
    fn stopped(&self) -> bool {
        self.server.is_stopped()
    }

    /// Waits up to `timeout` seconds (forever when `None`) for the next event, with the GIL
    /// released. Returns an event tuple, `None` on timeout, or `("stopped",)` once the
    /// server has stopped and every event was taken.
    #[pyo3(signature = (timeout=None))]
    fn next_event<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let events = self.events.clone();
        let got = match timeout {
            Some(t) => {
                let t = secs(t, "timeout")?;
                py.detach(move || events.recv_timeout(t))
            }
            None => py.detach(move || events.recv().ok_or(RecvError::Stopped)),
        };
        match got {
            Ok(ev) => event_tuple(py, ev).map(Some),
            Err(RecvError::Timeout) => Ok(None),
            Err(RecvError::Stopped) => Ok(Some(PyTuple::new(py, ["stopped"])?)),
        }
    }

    /// Emits `event` with `args` (a list) to `rooms` (all when empty) minus `exclude`;
    /// returns how many sockets it was queued for.
    /// `compress` false: uncompressed even where permessage-deflate was negotiated.
    #[pyo3(signature = (nsp, event, args, rooms=vec![], exclude=vec![], volatile=false, compress=true))]
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        rooms: Vec<String>,
        exclude: Vec<String>,
        volatile: bool,
        compress: bool,
    ) -> PyResult<usize> {
        let payload = convert::to_payload(args)?;
        let mut opts = options(rooms, exclude);
        opts.volatile = volatile;
        opts.compress = Some(compress);
        self.server.emit(nsp, &opts, event, &payload).map_err(err)
    }

    /// Emits asking for acknowledgements; the replies arrive later as one
    /// `("ack", id, [(sid, args)], timed_out)` event. Returns the id.
    #[pyo3(signature = (nsp, event, args, rooms, exclude, timeout, compress=true))]
    #[allow(clippy::too_many_arguments)]
    fn emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        rooms: Vec<String>,
        exclude: Vec<String>,
        timeout: f64,
        compress: bool,
    ) -> PyResult<u64> {
        let payload = convert::to_payload(args)?;
        self.server
            .emit_with_ack(
                nsp,
                &options(rooms, exclude).compress(compress),
                event,
                &payload,
                secs(timeout, "timeout")?,
            )
            .map_err(err)
    }

    /// Emits to the sockets in `rooms` and waits (GIL released) up to `timeout` seconds for
    /// their acknowledgements. Returns `([(sid, args)], timed_out)`; no replies and not
    /// timed out means nobody was (or stayed) connected to answer.
    fn call<'py>(
        &self,
        py: Python<'py>,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        rooms: Vec<String>,
        timeout: f64,
    ) -> PyResult<(Bound<'py, PyList>, bool)> {
        let payload = convert::to_payload(args)?;
        let timeout = secs(timeout, "timeout")?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<AckResult>(1);
        self.server
            .emit_with_ack_callback(
                nsp,
                &options(rooms, vec![]),
                event,
                &payload,
                timeout,
                move |r| {
                    let _ = tx.send(r);
                },
            )
            .map_err(err)?;
        // The core finishes on replies, on timeout, or as soon as the recipients that did
        // not answer have disconnected (`disconnected > 0`, reported here as not timed
        // out). The margin guards against a server stopped meanwhile, whose pending timers
        // never fire.
        let result = py.detach(move || rx.recv_timeout(timeout + Duration::from_secs(1)));
        match result {
            Ok(r) => Ok((ack_result(py, &r)?, r.timed_out && r.disconnected == 0)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Ok((PyList::empty(py), false)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Ok((PyList::empty(py), true)),
        }
    }

    /// Answers a client's acknowledgement request with `args` (a list); a token answers once.
    fn ack(&self, token: &AckToken, args: &Bound<'_, PyAny>) -> PyResult<()> {
        let payload = convert::to_payload(args)?;
        match token.handle.lock().take() {
            Some(h) => self.server.ack(h, &payload).map_err(err),
            None => Err(PyRuntimeError::new_err(
                "this acknowledgement was already answered",
            )),
        }
    }

    /// The cluster-wide operations of this server (they act on this node alone without a
    /// cluster).
    fn cluster(&self) -> NativeCluster {
        NativeCluster::new(self.server.clone())
    }

    /// Opens carried requests and WebSockets (the engine path inside the host's own web
    /// framework: `roomcast.ASGIApp`, `AsyncServer.attach`).
    fn carrier(&self) -> crate::carry::NativeCarrier {
        crate::carry::NativeCarrier::new(self.server.clone())
    }

    /// Commands on plain WebSocket connections.
    fn plain(&self) -> crate::plain::NativePlain {
        crate::plain::NativePlain::new(self.server.clone())
    }

    /// Turns the room events (`("room", nsp, kind, room, sid)`) of namespace `nsp` on
    /// (`None`: every namespace); they stay on.
    #[pyo3(signature = (nsp=None))]
    fn observe_rooms(&self, nsp: Option<&str>) -> PyResult<()> {
        self.server.observe_rooms(nsp).map_err(err)
    }

    /// Puts socket `sid` of `nsp` in `rooms`.
    fn join(&self, nsp: &str, sid: &str, rooms: Vec<String>) -> PyResult<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.server.join(nsp, sid, &rooms).map_err(err)
    }

    /// Takes socket `sid` of `nsp` out of `rooms`.
    fn leave(&self, nsp: &str, sid: &str, rooms: Vec<String>) -> PyResult<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.server.leave(nsp, sid, &rooms).map_err(err)
    }

    /// Takes every socket of `nsp` in `rooms` (all when empty) out of `targets`, in one
    /// pass in the core (`close_room`).
    fn sockets_leave(&self, nsp: &str, rooms: Vec<String>, targets: Vec<String>) -> PyResult<()> {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        self.server
            .sockets_leave(nsp, &options(rooms, vec![]), &targets)
            .map_err(err)
    }

    /// The rooms of socket `sid` (its own id room included), sorted.
    fn rooms_of(&self, nsp: &str, sid: &str) -> PyResult<Vec<String>> {
        self.server.rooms_of(nsp, sid).map_err(err)
    }

    /// Keeps `data` (JSON text) with socket `sid` for connection state recovery; also
    /// accepted for a socket that just lost its transport (its saved session).
    fn set_data(&self, nsp: &str, sid: &str, data: &str) -> PyResult<()> {
        self.server.set_data(nsp, sid, data).map_err(err)
    }

    /// The data (JSON text) a socket has; after a recovery, the data it had.
    fn data(&self, nsp: &str, sid: &str) -> PyResult<Option<String>> {
        self.server.data(nsp, sid).map_err(err)
    }

    /// Ids of the sockets of `nsp` in `rooms` (every socket when empty).
    #[pyo3(signature = (nsp, rooms=vec![]))]
    fn sockets(&self, nsp: &str, rooms: Vec<String>) -> PyResult<Vec<String>> {
        self.server
            .sockets(nsp, &options(rooms, vec![]))
            .map_err(err)
    }

    /// Server-side namespace disconnect of `sid`; with `close_connection` the whole
    /// connection closes too.
    #[pyo3(signature = (nsp, sid, close_connection=false))]
    fn disconnect(&self, nsp: &str, sid: &str, close_connection: bool) -> PyResult<()> {
        self.server
            .disconnect(nsp, sid, close_connection)
            .map_err(err)
    }

    /// Sends the held CONNECT of socket `sid` (connect-hold mode), then what was sent to
    /// it meanwhile.
    fn release(&self, nsp: &str, sid: &str) -> PyResult<()> {
        self.server.release(nsp, sid).map_err(err)
    }

    /// Answers handshake check `request` (the `allow_request` option): allowed, or refused
    /// with HTTP `status` and engine.io's body `{"code":4,"message":message}`.
    #[pyo3(signature = (request, allow, status=403, message="Forbidden"))]
    fn allow_request(&self, request: u64, allow: bool, status: u16, message: &str) -> PyResult<()> {
        let verdict = match allow {
            true => Ok(()),
            false => Err(Refusal {
                status,
                message: message.to_owned(),
            }),
        };
        self.server
            .allow_request(RequestCheck::from_id(request), verdict)
            .map_err(err)
    }

    /// Answers origin check `request` (the `cors_origin_hook` option): `allowed` says
    /// whether the request's origin may read the response; a `status` (400 to 599)
    /// refuses the request instead, with engine.io's body `{"code":..,"message":message}`.
    #[pyo3(signature = (request, allowed, status=None, message="Bad request"))]
    fn allow_origin(
        &self,
        request: u64,
        allowed: bool,
        status: Option<u16>,
        message: &str,
    ) -> PyResult<()> {
        let verdict = match status {
            None => Ok(allowed),
            Some(status) => Err(Refusal {
                status,
                message: message.to_owned(),
            }),
        };
        self.server
            .allow_origin(RequestCheck::from_id(request), verdict)
            .map_err(err)
    }

    /// Accepts connect request `request`; returns the new socket's id.
    fn accept(&self, request: u64) -> PyResult<String> {
        self.server
            .accept(ConnectRequest::from_id(request))
            .map_err(err)
    }

    /// Refuses connect request `request` with CONNECT_ERROR `{message, data}`.
    #[pyo3(signature = (request, message, data=None))]
    fn reject(&self, request: u64, message: &str, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let data = data.map(convert::to_json_text).transpose()?;
        self.server
            .reject(ConnectRequest::from_id(request), message, data.as_deref())
            .map_err(err)
    }

    /// Number of open Engine.IO connections.
    fn connection_count(&self) -> usize {
        self.server.connection_count()
    }

    /// Stops within about `timeout` seconds (GIL released): clients are disconnected with
    /// "server shutting down", then the event stream ends. Idempotent.
    #[pyo3(signature = (timeout=5.0))]
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let timeout = secs(timeout, "timeout")?;
        let server = self.server.clone();
        py.detach(move || server.stop(timeout));
        Ok(())
    }
}

/// Publishes into a Redis cluster without a server (`RedisManager(write_only=True)`).
#[pyclass(module = "roomcast._native")]
pub struct NativeEmitter {
    inner: roomcast::host::Emitter,
}

#[pymethods]
impl NativeEmitter {
    #[new]
    fn new(py: Python<'_>, url: String, key: String) -> PyResult<Self> {
        let inner = py
            .detach(|| roomcast::host::Emitter::connect(&url, &key))
            .map_err(|e| RoomcastError::new_err(e.to_string()))?;
        Ok(Self { inner })
    }

    /// Emits `event` with `args` (a list) to `rooms` minus `exclude` on every node.
    #[pyo3(signature = (nsp, event, args, rooms=vec![], exclude=vec![]))]
    fn emit(
        &self,
        py: Python<'_>,
        nsp: &str,
        event: &str,
        args: &Bound<'_, PyAny>,
        rooms: Vec<String>,
        exclude: Vec<String>,
    ) -> PyResult<()> {
        let payload = convert::to_payload(args)?;
        let opts = options(rooms, exclude);
        py.detach(|| self.inner.emit(nsp, &opts, event, &payload))
            .map_err(|e| RoomcastError::new_err(e.to_string()))
    }
}
