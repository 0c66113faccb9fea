//! Python objects <-> Socket.IO arguments, done in Rust (no JSON round trip in Python).
//!
//! `bytes`, `bytearray` and `memoryview` become binary attachments (a placeholder in the
//! JSON, see [`roomcast::host::placeholder`]); `None`, `bool`, `int`, `float`, `str`,
//! `list`, `tuple` and `dict` become JSON. On the way back attachments come out as `bytes`.

use bytes::Bytes;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use roomcast::host::{placeholder, placeholder_index};
use roomcast::Payload;
use serde_json::{Map, Number, Value};

/// Deeper nesting than this is refused (it is almost surely a reference cycle).
const MAX_DEPTH: usize = 256;

/// Converts one Python value; binary values are appended to `attachments`, or refused when
/// `attachments` is `None` (places where only JSON may go, such as CONNECT_ERROR data).
pub fn to_value(
    obj: &Bound<'_, PyAny>,
    attachments: &mut Option<&mut Vec<Bytes>>,
    depth: usize,
) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "value is nested too deeply (a reference cycle?)",
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: in Python a bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Larger than 64 bits: JavaScript reads every JSON number as a double anyway.
        let f: f64 = obj.extract()?;
        return Ok(Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        // NaN and infinities are not JSON; write null as JSON.stringify does.
        return Ok(Number::from_f64(f.value())
            .map(Value::Number)
            .unwrap_or(Value::Null));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return binary(Bytes::copy_from_slice(b.as_bytes()), attachments);
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return binary(Bytes::from(b.to_vec()), attachments);
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let raw = obj.call_method0("tobytes")?;
        let b = raw.cast::<PyBytes>()?;
        return binary(Bytes::copy_from_slice(b.as_bytes()), attachments);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        let mut out = Vec::with_capacity(l.len());
        for item in l.iter() {
            out.push(to_value(&item, attachments, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let mut out = Vec::with_capacity(t.len());
        for item in t.iter() {
            out.push(to_value(&item, attachments, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut out = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            out.insert(key(&k)?, to_value(&v, attachments, depth + 1)?);
        }
        return Ok(Value::Object(out));
    }
    Err(PyTypeError::new_err(format!(
        "Object of type {} cannot be sent: use None, bool, int, float, str, bytes, list, tuple or dict",
        obj.get_type().name()?
    )))
}

fn binary(data: Bytes, attachments: &mut Option<&mut Vec<Bytes>>) -> PyResult<Value> {
    match attachments {
        Some(list) => {
            list.push(data);
            Ok(placeholder(list.len() - 1))
        }
        None => Err(PyTypeError::new_err("binary values are not allowed here")),
    }
}

/// Dict keys as `json.dumps` writes them: strings as they are, scalars as their JSON text.
fn key(k: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = k.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if k.is_none() || k.is_instance_of::<PyInt>() || k.is_instance_of::<PyFloat>() {
        return Ok(to_value(k, &mut None, 0)?.to_string());
    }
    Err(PyTypeError::new_err(format!(
        "dict keys must be str, int, float, bool or None, not {}",
        k.get_type().name()?
    )))
}

/// Event or ack arguments from a Python sequence of values.
pub fn to_payload(args: &Bound<'_, PyAny>) -> PyResult<Payload> {
    let mut attachments = Vec::new();
    let mut values = Vec::new();
    for item in args.try_iter()? {
        values.push(to_value(&item?, &mut Some(&mut attachments), 0)?);
    }
    Ok(Payload::from_values(&values).with_attachments(attachments))
}

/// A JSON-only value as JSON text (for CONNECT_ERROR data).
pub fn to_json_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(to_value(obj, &mut None, 0)?.to_string())
}

/// One JSON value as a Python object; placeholders become the `bytes` they point to.
pub fn from_value<'py>(
    py: Python<'py>,
    v: &Value,
    attachments: &[Bytes],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_value(py, item, attachments)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            if let Some(data) = placeholder_index(v).and_then(|i| attachments.get(i)) {
                return Ok(PyBytes::new(py, data).into_any());
            }
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, from_value(py, item, attachments)?)?;
            }
            dict.into_any()
        }
    })
}

/// Event or ack arguments as a Python list.
pub fn from_payload<'py>(py: Python<'py>, payload: &Payload) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for v in payload.to_values() {
        list.append(from_value(py, &v, &payload.attachments)?)?;
    }
    Ok(list)
}

/// A JSON text (an `auth` object) as a Python object; invalid text gives `None`.
pub fn from_json_text<'py>(py: Python<'py>, text: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    match text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
        Some(v) => from_value(py, &v, &[]),
        None => Ok(py.None().into_bound(py)),
    }
}
