//! The `socket.io-msgpack-parser` wire form (pure, no I/O): each packet is one msgpack map
//! `{type, nsp, data, id?}` sent as one binary message, binary values are msgpack `bin`
//! inline (no attachments, never types 5/6).
//!
//! Arguments still travel inside roomcast as [`Payload`] (JSON text with
//! `{"_placeholder":true,"num":i}` for each binary), so hosts see the same values whichever
//! parser a server uses; this module converts at the edge, once per packet.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Value as Json};

use super::{check_depth, MAX_DEPTH, RESERVED_EVENTS};
use super::{placeholder, placeholder_index, DecodeError, Packet, PacketBody, Payload};

/// Converts a JSON value (with placeholders pointing into `bins`) to msgpack (with `bin`).
pub(crate) fn json_to_mp(v: &Json, bins: &[Bytes]) -> Mp {
    match v {
        Json::Null => Mp::Nil,
        Json::Bool(b) => Mp::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Mp::from(i)
            } else if let Some(u) = n.as_u64() {
                Mp::from(u)
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                // JavaScript has one number type: notepack writes integral values as ints.
                if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                    Mp::from(f as i64)
                } else {
                    Mp::F64(f)
                }
            }
        }
        Json::String(s) => Mp::from(s.as_str()),
        Json::Array(a) => Mp::Array(a.iter().map(|x| json_to_mp(x, bins)).collect()),
        Json::Object(o) => {
            if let Some(b) = placeholder_index(v).and_then(|i| bins.get(i)) {
                return Mp::Binary(b.to_vec());
            }
            Mp::Map(
                o.iter()
                    .map(|(k, x)| (Mp::from(k.as_str()), json_to_mp(x, bins)))
                    .collect(),
            )
        }
    }
}

/// Converts a msgpack value to JSON, turning each `bin` into a placeholder + attachment.
pub(crate) fn mp_to_json(v: &Mp, bins: &mut Vec<Bytes>) -> Json {
    match v {
        Mp::Nil => Json::Null,
        Mp::Boolean(b) => Json::Bool(*b),
        Mp::Integer(i) => i
            .as_i64()
            .map(Json::from)
            .or_else(|| i.as_u64().map(Json::from))
            .unwrap_or(Json::Null),
        Mp::F32(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number),
        Mp::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Mp::String(s) => Json::String(s.as_str().map_or_else(
            || String::from_utf8_lossy(s.as_bytes()).into_owned(),
            str::to_owned,
        )),
        Mp::Binary(b) => {
            bins.push(Bytes::copy_from_slice(b));
            placeholder(bins.len() - 1)
        }
        Mp::Array(a) => Json::Array(a.iter().map(|x| mp_to_json(x, bins)).collect()),
        Mp::Map(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, x) in m {
                let key = match k {
                    Mp::String(s) => s.as_str().unwrap_or_default().to_owned(),
                    other => other.to_string(),
                };
                out.insert(key, mp_to_json(x, bins));
            }
            Json::Object(out)
        }
        // notepack writes `undefined` and Dates as ext types; JSON has neither.
        Mp::Ext(..) => Json::Null,
    }
}

/// Writes a msgpack value (writing to memory cannot fail).
fn write(v: &Mp) -> Bytes {
    let mut out = Vec::with_capacity(64);
    rmpv::encode::write_value(&mut out, v).expect("writing to a Vec cannot fail");
    Bytes::from(out)
}

/// One packet map; `data` and `id` are left out when absent, as socket.io does.
fn packet(kind: u8, nsp: &str, data: Option<Mp>, id: Option<u64>) -> Bytes {
    let mut m = Vec::with_capacity(4);
    m.push((Mp::from("type"), Mp::from(kind)));
    if let Some(d) = data {
        m.push((Mp::from("data"), d));
    }
    m.push((Mp::from("nsp"), Mp::from(nsp)));
    if let Some(id) = id {
        m.push((Mp::from("id"), Mp::from(id)));
    }
    write(&Mp::Map(m))
}

/// The arguments of a payload as msgpack values (placeholders become `bin`).
fn args_mp(args: &Payload, into: &mut Vec<Mp>) {
    into.extend(
        args.to_values()
            .iter()
            .map(|v| json_to_mp(v, &args.attachments)),
    );
}

/// EVENT `{type: 2, data: [name, ...args, offset?], nsp, id?}`.
pub(crate) fn encode_event(
    nsp: &str,
    name: &str,
    args: &Payload,
    ack: Option<u64>,
    offset: Option<&str>,
) -> Bytes {
    let mut data = Vec::with_capacity(8);
    data.push(Mp::from(name));
    args_mp(args, &mut data);
    if let Some(o) = offset {
        data.push(Mp::from(o));
    }
    packet(2, nsp, Some(Mp::Array(data)), ack)
}

/// ACK `{type: 3, data: [...args], nsp, id}`.
pub(crate) fn encode_ack(nsp: &str, id: u64, args: &Payload) -> Bytes {
    let mut data = Vec::new();
    args_mp(args, &mut data);
    packet(3, nsp, Some(Mp::Array(data)), Some(id))
}

/// CONNECT `{type: 0, data: {sid, pid?}, nsp}`.
pub(crate) fn encode_connect(nsp: &str, sid: &str, pid: Option<&str>) -> Bytes {
    let mut m = vec![(Mp::from("sid"), Mp::from(sid))];
    if let Some(pid) = pid {
        m.push((Mp::from("pid"), Mp::from(pid)));
    }
    packet(0, nsp, Some(Mp::Map(m)), None)
}

/// CONNECT_ERROR `{type: 4, data: {message, data?}, nsp}` (`data` is JSON text).
pub(crate) fn encode_connect_error(nsp: &str, message: &str, data: Option<&str>) -> Bytes {
    let mut m = vec![(Mp::from("message"), Mp::from(message))];
    if let Some(d) = data.and_then(|d| serde_json::from_str::<Json>(d).ok()) {
        m.push((Mp::from("data"), json_to_mp(&d, &[])));
    }
    packet(4, nsp, Some(Mp::Map(m)), None)
}

/// DISCONNECT `{type: 1, nsp}`.
pub(crate) fn encode_disconnect(nsp: &str) -> Bytes {
    packet(1, nsp, None, None)
}

/// The msgpack library's depth budget: only a guard for its recursion, loose enough to
/// read every packet whose JSON form is within [`MAX_DEPTH`]. The library spends a unit
/// on every value and one more on each array, map, string or binary body (a string two,
/// an ext three), so an integer map key costs less than the string key it becomes when
/// relayed; its count cannot be the limit. The packet map adds a level over the JSON.
/// The limit itself is [`check_depth`] on the converted JSON, the JSON parser's rule.
const READ_DEPTH: usize = 2 * (MAX_DEPTH + 1) + 3;

/// A field of a msgpack map by string key.
fn field<'a>(map: &'a [(Mp, Mp)], key: &str) -> Option<&'a Mp> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Decodes one packet from a binary message, with the checks of socket.io-msgpack-parser's
/// decoder (type, namespace string, integer ack id, data shape) and the JSON parser's
/// limits (nesting of the converted JSON, attachment count, reserved event names).
pub fn decode(bytes: &[u8], max_attachments: usize) -> Result<Packet, DecodeError> {
    let mut rd = bytes;
    let v = rmpv::decode::read_value_with_max_depth(&mut rd, READ_DEPTH).map_err(|e| match e {
        rmpv::decode::Error::DepthLimitExceeded => DecodeError::TooDeep,
        _ => DecodeError::BadMsgpack,
    })?;
    if !rd.is_empty() {
        return Err(DecodeError::BadMsgpack);
    }
    let Mp::Map(map) = &v else {
        return Err(DecodeError::BadPayload("a packet is a map"));
    };
    let kind = field(map, "type")
        .and_then(Mp::as_u64)
        .ok_or(DecodeError::UnknownType)?;
    let nsp = match field(map, "nsp") {
        Some(Mp::String(s)) => s.as_str().ok_or(DecodeError::BadPayload("nsp"))?,
        _ => return Err(DecodeError::BadPayload("nsp must be a string")),
    };
    let nsp = if nsp.is_empty() { "/" } else { nsp }.to_owned();
    let id = match field(map, "id") {
        None | Some(Mp::Nil) | Some(Mp::Ext(..)) => None,
        Some(i) => Some(i.as_u64().ok_or(DecodeError::BadPayload("ack id"))?),
    };
    // notepack writes `undefined` as an ext type.
    let data = field(map, "data").filter(|d| !matches!(d, Mp::Nil | Mp::Ext(..)));
    let mut bins = Vec::new();
    let body = match kind {
        0 => match data {
            None => PacketBody::Connect(None),
            Some(d @ Mp::Map(_)) if id.is_none() => {
                PacketBody::Connect(Some(mp_to_json(d, &mut bins).to_string()))
            }
            _ => return Err(DecodeError::BadPayload("connect payload must be a map")),
        },
        1 if data.is_none() && id.is_none() => PacketBody::Disconnect,
        1 => return Err(DecodeError::BadPayload("disconnect carries no payload")),
        2 => {
            let Some(Mp::Array(items)) = data else {
                return Err(DecodeError::BadPayload("event needs an array"));
            };
            let (first, rest) = items
                .split_first()
                .ok_or(DecodeError::BadPayload("event needs a name"))?;
            let name = match first {
                Mp::String(s) => s.as_str().ok_or(DecodeError::BadJson)?.to_owned(),
                Mp::Integer(i) => i.to_string(),
                _ => {
                    return Err(DecodeError::BadPayload(
                        "event name must be a string or number",
                    ))
                }
            };
            if RESERVED_EVENTS.contains(&name.as_str()) {
                return Err(DecodeError::BadPayload("reserved event name"));
            }
            let values: Vec<Json> = rest.iter().map(|x| mp_to_json(x, &mut bins)).collect();
            PacketBody::Event {
                name,
                args: Payload::from_values(&values),
                ack: id,
            }
        }
        3 => {
            let id = id.ok_or(DecodeError::BadPayload("ack without id"))?;
            let Some(Mp::Array(items)) = data else {
                return Err(DecodeError::BadPayload("ack needs an array"));
            };
            let values: Vec<Json> = items.iter().map(|x| mp_to_json(x, &mut bins)).collect();
            PacketBody::Ack {
                id,
                args: Payload::from_values(&values),
            }
        }
        4 => return Err(DecodeError::BadPayload("clients do not send CONNECT_ERROR")),
        _ => return Err(DecodeError::UnknownType),
    };
    match &body {
        PacketBody::Connect(Some(json)) => check_depth(json)?,
        PacketBody::Event { args, .. } | PacketBody::Ack { args, .. } => check_depth(args.json())?,
        _ => {}
    }
    if bins.len() > max_attachments {
        return Err(DecodeError::BadAttachments);
    }
    let body = match body {
        PacketBody::Event { name, args, ack } => PacketBody::Event {
            name,
            args: args.with_attachments(bins),
            ack,
        },
        PacketBody::Ack { id, args } => PacketBody::Ack {
            id,
            args: args.with_attachments(bins),
        },
        other => other,
    };
    Ok(Packet { nsp, body })
}

#[cfg(test)]
mod tests;
