//! JavaScript values <-> [`Payload`].
//!
//! Outgoing: the JavaScript layer hands over `JSON.stringify(args)` (so the text is spliced
//! into the packet as it came) plus, when the arguments hold binary data, the attachments
//! it replaced by `{"_placeholder":true,"num":i}` objects (as socket.io-parser does).
//! Incoming: text-only arguments go to JavaScript as the JSON text (`JSON.parse` there is
//! the fastest way to build the values); arguments with attachments are built here, each
//! placeholder replaced by a `Buffer` ([`placeholder_index`]).

use bytes::Bytes;
use napi::{Env, JsBuffer, JsObject, JsUnknown, Result};
use roomcast::host::{placeholder_index, Error as HostError, Handshake};
use roomcast::Payload;
use serde_json::Value;

/// Builds a payload from JSON array text and optional attachments.
pub fn payload(
    json: &str,
    attachments: Option<Vec<JsBuffer>>,
) -> std::result::Result<Payload, HostError> {
    let p = Payload::from_json(json)
        .map_err(|e| HostError::InvalidArgument(format!("arguments are not a JSON array: {e}")))?;
    let Some(bufs) = attachments else {
        return Ok(p);
    };
    let mut out = Vec::with_capacity(bufs.len());
    for b in bufs {
        let data = b
            .into_value()
            .map_err(|e| HostError::InvalidArgument(format!("attachment: {e}")))?;
        out.push(Bytes::copy_from_slice(&data));
    }
    Ok(p.with_attachments(out))
}

/// The arguments as JavaScript sees them: the JSON text, or an array when there is binary.
pub fn args_to_js(env: &Env, p: &Payload) -> Result<JsUnknown> {
    if !p.has_binary() {
        return Ok(env.create_string(p.json())?.into_unknown());
    }
    value_to_js(env, &Value::Array(p.to_values()), &p.attachments)
}

/// A JSON value as a JavaScript value, placeholders replaced by `Buffer`s.
pub fn value_to_js(env: &Env, v: &Value, attachments: &[Bytes]) -> Result<JsUnknown> {
    if let Some(i) = placeholder_index(v) {
        if let Some(b) = attachments.get(i) {
            return Ok(env
                .create_buffer_with_data(b.to_vec())?
                .into_raw()
                .into_unknown());
        }
    }
    Ok(match v {
        Value::Null => env.get_null()?.into_unknown(),
        Value::Bool(b) => env.get_boolean(*b)?.into_unknown(),
        Value::Number(n) => env
            .create_double(n.as_f64().unwrap_or(f64::NAN))?
            .into_unknown(),
        Value::String(s) => env.create_string(s)?.into_unknown(),
        Value::Array(items) => {
            let mut arr = env.create_array_with_length(items.len())?;
            for (i, item) in items.iter().enumerate() {
                arr.set_element(i as u32, value_to_js(env, item, attachments)?)?;
            }
            arr.into_unknown()
        }
        Value::Object(map) => {
            let mut obj = env.create_object()?;
            for (k, item) in map {
                obj.set_named_property(k, value_to_js(env, item, attachments)?)?;
            }
            obj.into_unknown()
        }
    })
}

/// The parts of the opening HTTP request that `socket.handshake` is built from; the
/// JavaScript layer parses `query` and `auth` (JSON text).
pub fn handshake_to_js(env: &Env, h: &Handshake, auth: Option<&str>) -> Result<JsObject> {
    let mut headers = env.create_object()?;
    for (name, value) in h.joined_headers() {
        headers.set_named_property(&name, env.create_string(&value)?)?;
    }
    let mut o = env.create_object()?;
    o.set_named_property("headers", headers)?;
    o.set_named_property("query", env.create_string(&h.query)?)?;
    o.set_named_property("url", env.create_string(&h.url)?)?;
    o.set_named_property("address", env.create_string(&h.address)?)?;
    o.set_named_property("issued", env.create_double(h.issued as f64)?)?;
    o.set_named_property("connId", env.create_string(&h.conn_id)?)?;
    let mut cookies = env.create_object()?;
    for (name, value) in h.cookies() {
        // The first of a repeated name wins, as the `cookie` module parses.
        if !cookies.has_named_property(&name)? {
            cookies.set_named_property(&name, env.create_string(&value)?)?;
        }
    }
    o.set_named_property("cookies", cookies)?;
    match auth {
        Some(a) => o.set_named_property("auth", env.create_string(a)?)?,
        None => o.set_named_property("auth", env.get_undefined()?)?,
    }
    Ok(o)
}
