//! `roomcast._native.NativeCluster`: the cluster-wide operations of one server
//! (`fetch_sockets`, `all_rooms`, `server_count`, `server_side_emit` with and without ack,
//! `sockets_join/leave`, `disconnect_sockets`), thin calls into [`roomcast::host::Server`].
//! Requests either wait with the GIL released ([`NativeCluster::call`], for threads) or
//! answer through the event stream ([`NativeCluster::request`], for asyncio).

use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use roomcast::host::{ClusterRequest, Server, ServerAck};
use roomcast::BroadcastOptions;
use std::sync::Arc;
use std::time::Duration;

use crate::convert;
use crate::server::err;

/// The duty to answer one server-side emit from another node; `NativeCluster.ack`
/// consumes it. Dropping it unanswered answers nothing (the sender's timeout runs out).
#[pyclass(frozen, module = "roomcast._native")]
pub struct ServerAckToken {
    handle: Mutex<Option<ServerAck>>,
}

impl ServerAckToken {
    pub fn new(ack: ServerAck) -> Self {
        Self {
            handle: Mutex::new(Some(ack)),
        }
    }
}

/// Cluster operations of a [`Server`] (see `NativeServer.cluster()`).
#[pyclass(frozen, module = "roomcast._native")]
pub struct NativeCluster {
    server: Server,
}

impl NativeCluster {
    pub fn new(server: Server) -> Self {
        Self { server }
    }
}

fn options(rooms: Vec<String>, except: Vec<String>) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.into_iter().map(Arc::from).collect(),
        except: except.into_iter().map(Arc::from).collect(),
        ..Default::default()
    }
}

fn duration(s: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!("{what} must be a non-negative number of seconds"))
    })
}

#[allow(clippy::too_many_arguments)]
fn request(
    kind: &str,
    rooms: Vec<String>,
    exclude: Vec<String>,
    event: &str,
    args: &Bound<'_, PyAny>,
    timeout: f64,
) -> PyResult<ClusterRequest> {
    let payload = convert::to_payload(args)?;
    ClusterRequest::parse(
        kind,
        options(rooms, exclude),
        event,
        payload,
        duration(timeout, "timeout")?,
    )
    .ok_or_else(|| PyValueError::new_err(format!("unknown cluster request {kind:?}")))
}

#[pymethods]
impl NativeCluster {
    /// `serverSideEmit`: every other node gets `event` with `args` (a list, JSON only).
    fn server_side_emit(&self, nsp: &str, event: &str, args: &Bound<'_, PyAny>) -> PyResult<()> {
        let payload = convert::to_payload(args)?;
        self.server
            .server_side_emit(nsp, event, &payload)
            .map_err(err)
    }

    /// Answers a server-side emit with `value` (the sender's one reply); a token answers once.
    fn ack(&self, token: &ServerAckToken, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let list = pyo3::types::PyList::new(value.py(), [value])?.into_any();
        let payload = convert::to_payload(&list)?;
        match token.handle.lock().take() {
            Some(h) => self.server.server_side_ack(h, &payload).map_err(err),
            None => Err(PyRuntimeError::new_err(
                "this server-side emit was already answered",
            )),
        }
    }

    /// Starts request `kind` (`fetch_sockets`, `all_rooms`, `server_count`,
    /// `server_side_emit_with_ack`) and returns its id; the answer comes as a
    /// `("cluster_reply", id, reply)` event (`reply` a dict: `value`, `complete`, …).
    #[pyo3(signature = (kind, nsp, rooms=vec![], exclude=vec![], event="", args=None, timeout=5.0))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        kind: &str,
        nsp: &str,
        rooms: Vec<String>,
        exclude: Vec<String>,
        event: &str,
        args: Option<&Bound<'_, PyAny>>,
        timeout: f64,
    ) -> PyResult<u64> {
        let empty = pyo3::types::PyList::empty(py).into_any();
        let req = request(kind, rooms, exclude, event, args.unwrap_or(&empty), timeout)?;
        self.server.cluster_request(nsp, req).map_err(err)
    }

    /// Runs request `kind` (as `request`) and waits for its answer with the GIL released,
    /// at most `wait` seconds (then `TimeoutError`). Returns the reply dict.
    #[pyo3(signature = (kind, nsp, rooms=vec![], exclude=vec![], event="", args=None, timeout=5.0, wait=10.0))]
    #[allow(clippy::too_many_arguments)]
    fn call<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        nsp: &str,
        rooms: Vec<String>,
        exclude: Vec<String>,
        event: &str,
        args: Option<&Bound<'py, PyAny>>,
        timeout: f64,
        wait: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let empty = pyo3::types::PyList::empty(py).into_any();
        let req = request(kind, rooms, exclude, event, args.unwrap_or(&empty), timeout)?;
        let wait = duration(wait, "wait")?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.server
            .cluster_request_callback(nsp, req, move |v| {
                let _ = tx.send(v);
            })
            .map_err(err)?;
        match py.detach(move || rx.recv_timeout(wait)) {
            Ok(v) => convert::from_value(py, &v, &[]),
            Err(_) => Err(PyTimeoutError::new_err(format!(
                "cluster request {kind} got no answer within {wait:?}"
            ))),
        }
    }

    /// `socketsJoin`: the sockets in `rooms` (all when empty) minus `exclude`, on every
    /// node, join `targets`.
    fn sockets_join(
        &self,
        nsp: &str,
        rooms: Vec<String>,
        exclude: Vec<String>,
        targets: Vec<String>,
    ) -> PyResult<()> {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        self.server
            .sockets_join(nsp, &options(rooms, exclude), &targets)
            .map_err(err)
    }

    /// `socketsLeave`: as `sockets_join`, leaving `targets`.
    fn sockets_leave(
        &self,
        nsp: &str,
        rooms: Vec<String>,
        exclude: Vec<String>,
        targets: Vec<String>,
    ) -> PyResult<()> {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        self.server
            .sockets_leave(nsp, &options(rooms, exclude), &targets)
            .map_err(err)
    }

    /// `disconnectSockets` of the sockets selected as in `sockets_join`, on every node
    /// (`close`: their whole connections).
    fn disconnect_sockets(
        &self,
        nsp: &str,
        rooms: Vec<String>,
        exclude: Vec<String>,
        close: bool,
    ) -> PyResult<()> {
        self.server
            .disconnect_sockets(nsp, &options(rooms, exclude), close)
            .map_err(err)
    }
}
