//! `roomcast._native.NativeCarrier`: the engine path served inside the host's own web
//! framework (ASGI, aiohttp), over the core's carried requests and message-level
//! WebSockets (`roomcast::host::Server::carry_request` / `carry_websocket`). The protocol
//! stays in the core; Python only moves whole requests and messages.
//!
//! The core never calls Python: what it has for the host is stored here and announced
//! through a [`NativeWaker`], a socket pair whose read end the event loop watches
//! (`loop.add_reader`); `take()` then names the connections to look at. No runtime
//! thread ever waits for the GIL.

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use roomcast::host::{
    CarriedOutput, CarriedRequest, CarriedSocket, Error, HostRequest, HostResponse, Server, WsFrame,
};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use crate::server::err;

struct WakeShared {
    write: UnixStream,
    ready: Mutex<Vec<u64>>,
}

impl WakeShared {
    /// Marks `id` ready; the first mark since the last `take` writes one byte.
    fn wake(&self, id: u64) {
        let first = {
            let mut r = self.ready.lock();
            r.push(id);
            r.len() == 1
        };
        if first {
            // Non-blocking: a full socket already has a byte for the reader.
            let _ = (&self.write).write(&[1]);
        }
    }
}

/// Wakes an event loop when carried connections have something for it.
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeWaker {
    read: UnixStream,
    shared: Arc<WakeShared>,
}

#[pymethods]
impl NativeWaker {
    #[new]
    fn new() -> PyResult<Self> {
        let (read, write) = UnixStream::pair().map_err(|e| PyOSError::new_err(e.to_string()))?;
        for s in [&read, &write] {
            s.set_nonblocking(true)
                .map_err(|e| PyOSError::new_err(e.to_string()))?;
        }
        Ok(Self {
            read,
            shared: Arc::new(WakeShared {
                write,
                ready: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The descriptor to watch for reading.
    fn fileno(&self) -> i32 {
        self.read.as_raw_fd()
    }

    /// The ids woken since the last call (may repeat; may be empty).
    fn take(&self) -> Vec<u64> {
        let mut buf = [0u8; 256];
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {}
        std::mem::take(&mut *self.shared.ready.lock())
    }
}

fn remote(address: &str, port: u16) -> SocketAddr {
    let ip = address
        .strip_prefix("::ffff:")
        .unwrap_or(address)
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    SocketAddr::new(ip, port)
}

fn host_request(
    method: String,
    target: String,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
) -> HostRequest {
    HostRequest {
        method,
        target,
        headers: headers
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
            .collect(),
        body: Bytes::from(body),
    }
}

type Response<'py> = (
    u16,
    Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>,
    Bound<'py, PyBytes>,
);

fn response<'py>(py: Python<'py>, r: &HostResponse) -> Response<'py> {
    let headers = r
        .headers
        .iter()
        .map(|(k, v)| (PyBytes::new(py, k.as_bytes()), PyBytes::new(py, v)))
        .collect();
    (r.status, headers, PyBytes::new(py, &r.body))
}

/// One request in progress: `result()` once woken; dropping it (or `cancel()`) aborts it.
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeRequest {
    pending: Mutex<Option<CarriedRequest>>,
    result: Arc<Mutex<Option<Result<HostResponse, Error>>>>,
}

#[pymethods]
impl NativeRequest {
    /// `(status, [(name, value)], body)` once the core answered, else `None`; raises the
    /// core's error (e.g. `ServerStopped`) when it could not.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Option<Response<'py>>> {
        match self.result.lock().take() {
            None => Ok(None),
            Some(Ok(r)) => {
                self.pending.lock().take();
                Ok(Some(response(py, &r)))
            }
            Some(Err(e)) => Err(err(e)),
        }
    }

    /// The peer went away: abort the request (a long poll then ends as a closed one).
    fn cancel(&self) {
        if let Some(p) = self.pending.lock().take() {
            p.cancel();
        }
    }
}

/// One carried WebSocket.
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeSocket {
    socket: CarriedSocket,
}

#[pymethods]
impl NativeSocket {
    /// The next output or `None` for now: `("accept",)`, `("refuse", status, headers,
    /// body)`, `("text", str)`, `("binary", bytes)`, `("close", code, reason)`.
    fn recv<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(o) = self.socket.recv() else {
            return Ok(None);
        };
        let t = match o {
            CarriedOutput::Accepted => ("accept",).into_pyobject(py)?.into_any(),
            CarriedOutput::Refused(r) => {
                let (s, h, b) = response(py, &r);
                ("refuse", s, h, b).into_pyobject(py)?.into_any()
            }
            CarriedOutput::Message(WsFrame::Text(t)) => ("text", PyString::new(py, &t))
                .into_pyobject(py)?
                .into_any(),
            CarriedOutput::Message(WsFrame::Binary(b)) => ("binary", PyBytes::new(py, &b))
                .into_pyobject(py)?
                .into_any(),
            CarriedOutput::Close { code, reason } => {
                ("close", code, reason).into_pyobject(py)?.into_any()
            }
        };
        Ok(Some(t))
    }

    /// Passes a message from the peer (`str` text, `bytes` binary); `False` when the
    /// queue is full (send it again once woken). `ServerStopped` once the core's side is
    /// gone.
    fn send(&self, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        let frame = if let Ok(s) = data.cast::<PyString>() {
            WsFrame::Text(s.extract::<String>()?)
        } else {
            let b: Vec<u8> = data.extract()?;
            WsFrame::Binary(Bytes::from(b))
        };
        self.socket.send(frame).map_err(err)
    }

    /// The peer closed with `code` (1005 when it gave none).
    #[pyo3(signature = (code=1000, reason=""))]
    fn close(&self, code: u16, reason: &str) {
        self.socket.close(code, reason);
    }
}

/// Opens carried requests and WebSockets on one server (see `NativeServer.carrier()`).
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeCarrier {
    server: Server,
}

impl NativeCarrier {
    pub fn new(server: Server) -> Self {
        Self { server }
    }
}

#[pymethods]
impl NativeCarrier {
    /// Starts one HTTP request from `address`:`port`; `waker` is woken with `id` when
    /// `result()` has the answer.
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        waker: &NativeWaker,
        id: u64,
        address: &str,
        port: u16,
        method: String,
        target: String,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Vec<u8>,
    ) -> PyResult<NativeRequest> {
        let req = host_request(method, target, headers, body);
        let result = Arc::new(Mutex::new(None));
        let (slot, wake) = (result.clone(), waker.shared.clone());
        let pending = py
            .detach(|| {
                self.server
                    .carry_request(remote(address, port), req, move |r| {
                        *slot.lock() = Some(r);
                        wake.wake(id);
                    })
            })
            .map_err(err)?;
        Ok(NativeRequest {
            pending: Mutex::new(Some(pending)),
            result,
        })
    }

    /// Opens a WebSocket from `address`:`port` for the handshake `target` / `headers`;
    /// `waker` is woken with `id` whenever it may `recv()` or `send()` again.
    #[allow(clippy::too_many_arguments)]
    fn websocket(
        &self,
        py: Python<'_>,
        waker: &NativeWaker,
        id: u64,
        address: &str,
        port: u16,
        target: String,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> PyResult<NativeSocket> {
        let req = host_request("GET".into(), target, headers, Vec::new());
        let wake = waker.shared.clone();
        let socket = py
            .detach(|| {
                self.server
                    .carry_websocket(remote(address, port), req, move |_| wake.wake(id))
            })
            .map_err(err)?;
        Ok(NativeSocket { socket })
    }
}
