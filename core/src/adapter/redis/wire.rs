//! The classic `@socket.io/redis-adapter` wire format (pure, no I/O): channel names, the
//! notepack-compatible msgpack broadcast `[uid, packet, opts]` and the JSON / msgpack
//! requests and responses. Arguments move between roomcast's [`Payload`] (JSON text with
//! `{"_placeholder":true,"num":i}` for binaries) and msgpack, where binaries are `bin`.

use bytes::Bytes;
use rmpv::Value as Mp;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::adapter::{BroadcastOptions, Room};
use crate::protocol::{check_depth, depth_within, Payload, MAX_DEPTH};

/// Containers a peer's message puts around the arguments it carries, at most: the sharded
/// broadcast `{data: {packet: {data: [event, ...args]}}}` (the argument array is the
/// arguments' own level, counted by [`MAX_DEPTH`]).
const ENVELOPE: usize = 3;

/// The msgpack library's depth budget for a whole message: a guard for its recursion,
/// loose enough to read every message whose arguments are within [`MAX_DEPTH`] (it spends
/// two units on each array or map and up to three on a leaf). The limit itself is
/// [`check_depth`] on the arguments, the rule a client's packet meets ([`peer_args`]).
const READ_DEPTH: usize = 2 * (MAX_DEPTH + ENVELOPE) + 3;

/// Request types of the classic adapter (`RequestType` in lib/index.ts).
#[allow(missing_docs)]
pub mod kind {
    pub const SOCKETS: u64 = 0;
    pub const ALL_ROOMS: u64 = 1;
    pub const REMOTE_JOIN: u64 = 2;
    pub const REMOTE_LEAVE: u64 = 3;
    pub const REMOTE_DISCONNECT: u64 = 4;
    pub const REMOTE_FETCH: u64 = 5;
    pub const SERVER_SIDE_EMIT: u64 = 6;
    pub const BROADCAST: u64 = 7;
    pub const BROADCAST_CLIENT_COUNT: u64 = 8;
    pub const BROADCAST_ACK: u64 = 9;
}

/// The channel names of one namespace under one key prefix.
#[derive(Clone, Debug)]
pub struct Channels {
    /// `<key>#<nsp>#`: broadcasts (a single target room is appended as `<room>#`).
    pub broadcast: String,
    /// `<key>-request#<nsp>#`.
    pub request: String,
    /// `<key>-response#<nsp>#`.
    pub response: String,
}

impl Channels {
    /// The channels of namespace `nsp` with prefix `key`.
    pub fn new(key: &str, nsp: &str) -> Self {
        Self {
            broadcast: format!("{key}#{nsp}#"),
            request: format!("{key}-request#{nsp}#"),
            response: format!("{key}-response#{nsp}#"),
        }
    }

    /// Where a broadcast goes: the room's channel when exactly one room is targeted.
    pub fn broadcast_channel(&self, opts: &BroadcastOptions) -> String {
        match opts.rooms.as_slice() {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }

    /// The response channel a peer asked for with `publishOnSpecificResponseChannel`.
    pub fn specific_response(&self, uid: &str) -> String {
        format!("{}{uid}#", self.response)
    }
}

pub(crate) use crate::protocol::{json_to_mp, mp_to_json};

/// A msgpack value to JSON when it must carry no binary (JSON requests, ack arguments
/// answered as JSON, and the like); binaries become their placeholder objects.
pub fn mp_to_plain_json(v: &Mp) -> Json {
    mp_to_json(v, &mut Vec::new())
}

/// A JSON value without binaries (a handshake, a socket's data) as msgpack.
pub fn plain_json_to_mp(v: &Json) -> Mp {
    json_to_mp(v, &[])
}

/// `[event, ...args]` as msgpack.
pub fn event_data(event: &str, args: &Payload) -> Mp {
    let parsed: Vec<Json> = args.to_values();
    let mut data = Vec::with_capacity(parsed.len() + 1);
    data.push(Mp::from(event));
    data.extend(parsed.iter().map(|v| json_to_mp(v, &args.attachments)));
    Mp::Array(data)
}

/// A single value (an ack reply's first argument) as msgpack.
pub fn value_to_mp(args: &Payload) -> Mp {
    match args.to_values().first() {
        Some(v) => json_to_mp(v, &args.attachments),
        None => Mp::Nil,
    }
}

/// Arguments from a peer, held to the rule a client's packet meets ([`check_depth`]):
/// `None` when they nest deeper than [`MAX_DEPTH`], so the cluster never hands a node's
/// clients or host what no client could send it.
pub fn peer_args(values: &[Json], attachments: Vec<Bytes>) -> Option<Payload> {
    let args = Payload::from_values(values);
    check_depth(args.json()).ok()?;
    Some(args.with_attachments(attachments))
}

/// Splits msgpack `[event, ...args]` into the event name and its arguments (`None` when
/// malformed or nested too deep, see [`peer_args`]).
pub fn split_event_data(data: &Mp) -> Option<(String, Payload)> {
    let items = data.as_array()?;
    let (first, rest) = items.split_first()?;
    let event = match first {
        Mp::String(s) => s.as_str()?.to_owned(),
        Mp::Integer(i) => i.to_string(),
        _ => return None,
    };
    let mut bins = Vec::new();
    let values: Vec<Json> = rest.iter().map(|x| mp_to_json(x, &mut bins)).collect();
    Some((event, peer_args(&values, bins)?))
}

/// A msgpack value (one ack argument) as a one-element [`Payload`] ([`peer_args`]).
pub fn mp_to_payload(v: &Mp) -> Option<Payload> {
    let mut bins = Vec::new();
    let json = mp_to_json(v, &mut bins);
    peer_args(std::slice::from_ref(&json), bins)
}

/// A JSON value (a JSON response's data) as a one-element [`Payload`] ([`peer_args`]).
pub fn json_to_payload(v: &Json) -> Option<Payload> {
    peer_args(std::slice::from_ref(v), Vec::new())
}

fn rooms_mp(rooms: &[Room]) -> Mp {
    Mp::Array(rooms.iter().map(|r| Mp::from(&**r)).collect())
}

/// `{rooms, except, flags}` of a broadcast, as the Node adapter writes it.
pub fn opts_mp(opts: &BroadcastOptions, timeout_ms: Option<u64>) -> Mp {
    let mut flags = Vec::new();
    if opts.volatile {
        flags.push((Mp::from("volatile"), Mp::Boolean(true)));
    }
    if let Some(c) = opts.compress {
        flags.push((Mp::from("compress"), Mp::Boolean(c)));
    }
    if let Some(t) = timeout_ms {
        flags.push((Mp::from("timeout"), Mp::from(t)));
    }
    Mp::Map(vec![
        (Mp::from("rooms"), rooms_mp(&opts.rooms)),
        (Mp::from("except"), rooms_mp(&opts.except)),
        (Mp::from("flags"), Mp::Map(flags)),
    ])
}

/// The socket.io packet object `{type: 2, data, nsp}`.
pub fn packet_mp(nsp: &str, data: Mp) -> Mp {
    Mp::Map(vec![
        (Mp::from("type"), Mp::from(2)),
        (Mp::from("data"), data),
        (Mp::from("nsp"), Mp::from(nsp)),
    ])
}

/// Encodes a msgpack value (writing to memory cannot fail).
pub fn encode(v: &Mp) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    rmpv::encode::write_value(&mut out, v).expect("writing to a Vec cannot fail");
    out
}

/// Decodes one msgpack message, refusing nesting beyond what arguments within
/// [`MAX_DEPTH`] need.
pub fn decode(bytes: &[u8]) -> Option<Mp> {
    let mut rd = bytes;
    rmpv::decode::read_value_with_max_depth(&mut rd, READ_DEPTH).ok()
}

/// Parses one JSON message, refusing nesting beyond what arguments within [`MAX_DEPTH`]
/// need. serde_json's own recursion limit (128) would refuse some of those once wrapped
/// in a message, so it is replaced by a bound checked beforehand without recursion.
pub fn parse_json(bytes: &[u8]) -> Option<Json> {
    let text = std::str::from_utf8(bytes).ok()?;
    if !depth_within(text, MAX_DEPTH + ENVELOPE) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v = Json::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(v)
}

/// A field of a msgpack map by string key (key order does not matter).
pub fn field<'a>(map: &'a Mp, key: &str) -> Option<&'a Mp> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// A string list (rooms) from msgpack; numbers become their decimal text.
pub fn mp_rooms(v: Option<&Mp>) -> Vec<Room> {
    v.and_then(Mp::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| match r {
                    Mp::String(s) => s.as_str().map(Room::from),
                    Mp::Integer(i) => Some(Room::from(i.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A string list (rooms) from JSON; numbers become their decimal text.
pub fn json_rooms(v: Option<&Json>) -> Vec<Room> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| match r {
                    Json::String(s) => Some(Room::from(s.as_str())),
                    Json::Number(n) => Some(Room::from(n.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Broadcast options from a peer's `{rooms, except, flags}` (msgpack).
pub fn mp_opts(v: Option<&Mp>) -> BroadcastOptions {
    let Some(v) = v else {
        return BroadcastOptions::default();
    };
    let flags = field(v, "flags");
    let flag = |name| flags.and_then(|f| field(f, name)).and_then(Mp::as_bool);
    BroadcastOptions {
        rooms: mp_rooms(field(v, "rooms")),
        except: mp_rooms(field(v, "except")),
        volatile: flag("volatile") == Some(true),
        local: false,
        compress: flag("compress"),
    }
}

/// Broadcast options from a peer's JSON `{rooms, except}`.
pub fn json_opts(v: Option<&Json>) -> BroadcastOptions {
    BroadcastOptions {
        rooms: json_rooms(v.and_then(|o| o.get("rooms"))),
        except: json_rooms(v.and_then(|o| o.get("except"))),
        volatile: false,
        local: false,
        compress: None,
    }
}

/// Room names as a JSON array.
pub fn rooms_json(rooms: &[Room]) -> Json {
    Json::Array(rooms.iter().map(|r| Json::from(&**r)).collect())
}

/// JSON `{rooms, except}` of a request.
pub fn opts_json(opts: &BroadcastOptions) -> Json {
    let mut m = Map::new();
    m.insert("rooms".into(), rooms_json(&opts.rooms));
    m.insert("except".into(), rooms_json(&opts.except));
    Json::Object(m)
}

/// JSON `{rooms, except, flags}` of socket.io-adapter's `ClusterAdapter` messages (the
/// sharded and streams adapters): `flags` has `volatile`, `compress` and the ack `timeout`
/// when set.
pub fn flagged_opts_json(opts: &BroadcastOptions, timeout_ms: Option<u64>) -> Json {
    let mut m = Map::new();
    m.insert("rooms".into(), rooms_json(&opts.rooms));
    m.insert("except".into(), rooms_json(&opts.except));
    let mut flags = Map::new();
    if opts.volatile {
        flags.insert("volatile".into(), Json::Bool(true));
    }
    if let Some(c) = opts.compress {
        flags.insert("compress".into(), Json::Bool(c));
    }
    if let Some(t) = timeout_ms {
        flags.insert("timeout".into(), Json::from(t));
    }
    m.insert("flags".into(), Json::Object(flags));
    Json::Object(m)
}

/// A random id as socket.io-adapter's `randomId()` makes it: 16 hex characters.
pub fn random_id() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A broadcast message `[uid, {type, data, nsp}, {rooms, except, flags}]`.
pub fn broadcast_message(uid: &str, nsp: &str, opts: &BroadcastOptions, data: Mp) -> Vec<u8> {
    encode(&Mp::Array(vec![
        Mp::from(uid),
        packet_mp(nsp, data),
        opts_mp(opts, None),
    ]))
}

/// A decoded broadcast from a peer.
#[derive(Debug)]
pub struct IncomingBroadcast {
    /// The sender's uid.
    pub uid: String,
    /// The packet's namespace (`/` when absent).
    pub nsp: String,
    /// Event name and arguments.
    pub event: String,
    /// Arguments (binaries as attachments).
    pub args: Payload,
    /// Who receives it.
    pub opts: BroadcastOptions,
}

/// Decodes `[uid, packet, opts]`; `None` for anything malformed.
pub fn decode_broadcast(bytes: &[u8]) -> Option<IncomingBroadcast> {
    let v = decode(bytes)?;
    let items = v.as_array()?;
    let [uid, packet, opts] = items.as_slice() else {
        return None;
    };
    let nsp = field(packet, "nsp").and_then(Mp::as_str).unwrap_or("/");
    let (event, args) = split_event_data(field(packet, "data")?)?;
    Some(IncomingBroadcast {
        uid: uid.as_str().unwrap_or_default().to_owned(),
        nsp: nsp.to_owned(),
        event,
        args,
        opts: mp_opts(Some(opts)),
    })
}

/// A request or response body: JSON when it starts with `{`, msgpack otherwise.
#[derive(Debug)]
pub enum Body {
    /// Parsed JSON.
    Json(Json),
    /// Decoded msgpack.
    Msgpack(Mp),
}

impl Body {
    /// Sniffs byte 0, as the Node adapter does.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.first() == Some(&b'{') {
            parse_json(bytes).map(Body::Json)
        } else {
            decode(bytes).map(Body::Msgpack)
        }
    }

    /// A numeric field.
    pub fn u64(&self, key: &str) -> Option<u64> {
        match self {
            Body::Json(j) => j.get(key)?.as_u64(),
            Body::Msgpack(m) => field(m, key)?.as_u64(),
        }
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self {
            Body::Json(j) => j.get(key)?.as_str(),
            Body::Msgpack(m) => field(m, key)?.as_str(),
        }
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self {
            Body::Json(j) => j.get(key)?.as_bool(),
            Body::Msgpack(m) => field(m, key)?.as_bool(),
        }
    }

    /// The `opts` of a request.
    pub fn opts(&self) -> BroadcastOptions {
        match self {
            Body::Json(j) => json_opts(j.get("opts")),
            Body::Msgpack(m) => mp_opts(field(m, "opts")),
        }
    }

    /// A room list field.
    pub fn rooms(&self, key: &str) -> Vec<Room> {
        match self {
            Body::Json(j) => json_rooms(j.get(key)),
            Body::Msgpack(m) => mp_rooms(field(m, key)),
        }
    }

    /// A field as a one-argument [`Payload`] (the `data` of a response, an ack `packet`);
    /// `None` when nested too deep ([`peer_args`]).
    pub fn payload(&self, key: &str) -> Option<Payload> {
        match self {
            Body::Json(j) => json_to_payload(j.get(key).unwrap_or(&Json::Null)),
            Body::Msgpack(m) => mp_to_payload(field(m, key).unwrap_or(&Mp::Nil)),
        }
    }
}

/// The fields after `uid` of a `socketsJoin` ([`kind::REMOTE_JOIN`]) or `socketsLeave`
/// ([`kind::REMOTE_LEAVE`]) request, as a node and an emitter send it.
pub fn rooms_request<R: AsRef<str>>(
    kind: u64,
    opts: &BroadcastOptions,
    rooms: &[R],
) -> Vec<(&'static str, Json)> {
    let rooms = rooms.iter().map(|r| Json::from(r.as_ref())).collect();
    vec![
        ("type", Json::from(kind)),
        ("opts", opts_json(opts)),
        ("rooms", Json::Array(rooms)),
    ]
}

/// The fields after `uid` of a `disconnectSockets` request.
pub fn disconnect_request(opts: &BroadcastOptions, close: bool) -> Vec<(&'static str, Json)> {
    vec![
        ("type", Json::from(kind::REMOTE_DISCONNECT)),
        ("opts", opts_json(opts)),
        ("close", Json::from(close)),
    ]
}

/// The `data` of a `serverSideEmit` request: `[event, ...args]` as JSON.
pub fn event_json(event: &str, args: &Payload) -> Json {
    let mut data = vec![Json::from(event)];
    data.extend(args.to_values());
    Json::Array(data)
}

/// Builds a JSON request/response object from `(key, value)` pairs in order.
pub fn json_object(fields: Vec<(&str, Json)>) -> Vec<u8> {
    let mut m = Map::with_capacity(fields.len());
    for (k, v) in fields {
        m.insert(k.to_owned(), v);
    }
    serde_json::to_vec(&Json::Object(m)).expect("a Value always serializes")
}

#[cfg(test)]
pub(crate) mod tests;
