//! Logs for Python: core's records reach a Python callable (the `roomcast` package's, which
//! hands them to the `logging` module) on a thread of their own.
//!
//! Core calls the sink on its runtime threads; there a record is only queued (never the
//! GIL, never a wait: a full queue drops the record). One `roomcast-log` thread takes them
//! off and calls the handler attached to the interpreter (`try_attach`: nothing once the
//! interpreter is finalizing), so no runtime thread ever waits for Python.

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use roomcast::host::log::{self, LogLevel, LogRecord};
use std::sync::{Arc, OnceLock};

use crate::server::err;

/// Records waiting for the handler beyond this are dropped.
const QUEUE: usize = 10_000;

struct Owned {
    level: LogLevel,
    target: String,
    message: String,
    fields: Vec<(&'static str, String)>,
}

static HANDLER: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
static QUEUE_TX: OnceLock<flume::Sender<Owned>> = OnceLock::new();

/// The queue, and its thread on first use.
fn queue() -> flume::Sender<Owned> {
    QUEUE_TX
        .get_or_init(|| {
            let (tx, rx) = flume::bounded::<Owned>(QUEUE);
            // Without a thread the receiver is gone and every record is dropped at send.
            let _ = std::thread::Builder::new()
                .name("roomcast-log".into())
                .spawn(move || {
                    while let Ok(r) = rx.recv() {
                        let attached = Python::try_attach(|py| deliver(py, r));
                        if attached.is_none() {
                            return; // the interpreter is going away
                        }
                    }
                });
            tx
        })
        .clone()
}

fn deliver(py: Python<'_>, r: Owned) {
    let Some(handler) = HANDLER.lock().as_ref().map(|h| h.clone_ref(py)) else {
        return;
    };
    let level = match r.level {
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        LogLevel::Trace => 5,
    };
    let fields = PyDict::new(py);
    for (k, v) in &r.fields {
        let _ = fields.set_item(*k, v);
    }
    if let Err(e) = handler.call1(py, (level, r.target, r.message, fields)) {
        // A failing handler must not stop the logs: show it as Python shows such errors.
        e.write_unraisable(py, None);
    }
}

/// `set_log_handler(handler)`: `handler(level, target, message, fields)` gets every record
/// that passes the filter (`level` a `logging` level number, `fields` a dict of str);
/// `None` stops. Process-wide.
#[pyfunction]
#[pyo3(signature = (handler))]
pub fn set_log_handler(py: Python<'_>, handler: Option<Py<PyAny>>) -> PyResult<()> {
    let on = handler.is_some();
    *HANDLER.lock() = handler;
    let sink: Option<log::LogSink> = on.then(|| {
        let tx = queue();
        Arc::new(move |r: &LogRecord<'_>| {
            let _ = tx.try_send(Owned {
                level: r.level,
                target: r.target.to_owned(),
                message: r.message.to_owned(),
                fields: r.fields.to_vec(),
            });
        }) as log::LogSink
    });
    py.detach(|| log::set_log_sink(sink)).map_err(err)
}

/// `set_log_filter(filter)`: the filter in `RUST_LOG` syntax ("debug",
/// "roomcast.socket=debug,warn" is spelled "roomcast::socket=debug,warn"); `None` goes back to
/// `ROOMCAST_LOG`, else `RUST_LOG`, else off.
#[pyfunction]
#[pyo3(signature = (filter))]
pub fn set_log_filter(py: Python<'_>, filter: Option<String>) -> PyResult<()> {
    py.detach(|| log::set_log_filter(filter.as_deref()))
        .map_err(err)
}
