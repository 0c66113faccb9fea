//! The `@socket.io/redis-streams-adapter` 0.3 protocol (see the README's "Cluster"
//! section and `../shared/cluster/redis-adapter-samples.txt`, part 3).
//!
//! - Durable messages (broadcasts without ack, socketsJoin/Leave, disconnectSockets) are
//!   appended to the stream `<key>` with `XADD <key> MAXLEN ~ <maxLen> * uid <uid> nsp
//!   <nsp> type <n> data <JSON | base64(msgpack)>`; every node reads the stream with `XREAD`
//!   on a connection of its own. The entry id is a broadcast's recovery offset.
//! - Ephemeral messages (broadcast with ack, fetchSockets, serverSideEmit) go by PUBLISH on
//!   `<key>#<nsp>#`, responses on the requester's `<key>#<nsp>#<uid>#`, always as a msgpack
//!   map `{type, data, uid, nsp}`; `PUBSUB NUMSUB <key>#<nsp>#` counts the servers.
//! - Sessions are `SET sio:session:<pid> base64(msgpack({sid, pid, rooms, data})) PX`,
//!   restored with `GETDEL` and an `XRANGE` check that the offset is still in the stream.
//!
//! Differences from the Node adapter, on purpose: this node's own broadcasts are delivered
//! to its clients when the reader gets them back from the stream (so every node delivers in
//! stream order and a recovery's replay lines up exactly with what the socket got), not when
//! XADD answers; appends that fail while Redis is down are kept (bounded) and retried until
//! Redis answers, so nothing sent during a short outage is lost (the Node adapter drops
//! it); socketsJoin/Leave/disconnectSockets apply locally at once. `allRooms` is this node's
//! alone, as with socket.io's `ClusterAdapter`, which has no such request.

use base64::Engine as _;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use rmpv::Value as Mp;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

use super::conn::{send_batches, Incoming, LinkError, OnError, RedisLink, Subscription};
use super::wire;
use super::RedisConfig;
use crate::adapter::cluster::{
    ClusterAdapter, ClusterReply, ClusterStats, Dispatch, FoundSession, Gathered, LocalNode,
    LoggedBroadcast, RemoteAckSink, SessionRecord, SocketInfo,
};
use crate::adapter::{BroadcastOptions, Room};
use crate::protocol::Payload;

/// `MessageType` of socket.io-adapter's `ClusterAdapter` (the sharded adapter's).
pub use super::sharded::kind;

/// The session key prefix (the Node adapter's `sessionKeyPrefix` default).
pub const SESSION_PREFIX: &str = "sio:session:";
/// Entries per `XREAD` (`readCount`).
const READ_COUNT: usize = 100;
/// `XREAD BLOCK` (`blockTimeInMs`).
const BLOCK: Duration = Duration::from_secs(5);
/// Entries per `XRANGE` page of a restore, and most pages (the Node adapter's limit).
const RANGE_PAGE: usize = 1000;
const RANGE_PAGES: usize = 100;

/// A write to Redis that must not be lost to a short outage (kept in order, retried).
enum Op {
    Xadd {
        nsp: String,
        kind: u64,
        data: Vec<u8>,
    },
    Set {
        key: String,
        value: String,
        ttl_ms: u64,
    },
    Del(String),
}

/// One node's Redis Streams adapter; all namespaces share it, its Redis link (pub/sub and
/// commands), its stream reader connection and its ordered writer.
pub struct StreamsAdapter {
    uid: String,
    cfg: RedisConfig,
    link: OnceLock<Arc<RedisLink>>,
    local: Weak<dyn LocalNode>,
    durable: mpsc::Sender<Op>,
    dispatch: Arc<Dispatch>,
    closed: watch::Sender<bool>,
}

impl StreamsAdapter {
    /// Connects to Redis (failing at once when it is down), starts reading the stream from
    /// its current end and serves `local`.
    pub async fn connect(
        cfg: RedisConfig,
        local: Weak<dyn LocalNode>,
    ) -> Result<Arc<Self>, LinkError> {
        let (durable, rx) = mpsc::channel(cfg.link.queue_bound.max(1));
        let (closed, _) = watch::channel(false);
        let this = Arc::new(Self {
            uid: wire::random_id(),
            cfg,
            link: OnceLock::new(),
            local,
            durable,
            dispatch: Arc::default(),
            closed,
        });
        let weak = Arc::downgrade(&this);
        let link = RedisLink::connect(
            this.cfg.link.clone(),
            Arc::new(move |m: Incoming<'_>| {
                if let Some(a) = weak.upgrade() {
                    a.on_message(m.payload);
                }
            }),
        )
        .await?;
        // Start after the stream's last entry (the Node adapter's "$", made explicit so a
        // reconnecting reader resumes where it stopped).
        let last: redis::Value = link
            .command(
                redis::cmd("XREVRANGE")
                    .arg(&this.cfg.key)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1),
            )
            .await
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
        let start = parse_entries(&last)
            .into_iter()
            .next()
            .map_or_else(|| "0-0".to_owned(), |(id, _)| id);
        let _ = this.link.set(link.clone());
        // Durable writes wait out a short outage (bounded by the queue) and are retried, so
        // they land once Redis is back.
        let (stream, max_len, uid) = (
            this.cfg.key.clone(),
            this.cfg.stream_max_len,
            this.uid.clone(),
        );
        tokio::spawn(send_batches(
            link.clone(),
            rx,
            OnError::Retry {
                label: "redis streams",
                max_delay: Duration::from_secs(1),
            },
            move |op: &Op, pipe| add_op(op, pipe, &stream, max_len, &uid),
        ));
        tokio::spawn(reader(
            Arc::downgrade(&this),
            link,
            this.cfg.key.clone(),
            start,
            this.closed.subscribe(),
        ));
        Ok(this)
    }

    /// This node's uid on the wire.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The Redis link (for counters).
    pub fn link(&self) -> &Arc<RedisLink> {
        self.link.get().expect("set in connect")
    }

    fn public(&self, nsp: &str) -> String {
        format!("{}#{nsp}#", self.cfg.key)
    }

    fn private(&self, nsp: &str, uid: &str) -> String {
        format!("{}#{nsp}#{uid}#", self.cfg.key)
    }

    fn durable(&self, op: Op) {
        if self.durable.try_send(op).is_err() {
            self.link().count(0, 1, 0);
        }
    }

    /// Appends a message whose data has no binary (JSON text in the stream).
    fn append(&self, nsp: &str, kind: u64, data: Json) {
        let data = serde_json::to_vec(&data).expect("a Value always serializes");
        self.durable(Op::Xadd {
            nsp: nsp.to_owned(),
            kind,
            data,
        });
    }

    /// A pub/sub message `{type, data, uid, nsp}` (msgpack), to `channel`.
    fn publish(&self, channel: String, nsp: &str, kind: u64, data: Mp) {
        let msg = Mp::Map(vec![
            (Mp::from("type"), Mp::from(kind)),
            (Mp::from("data"), data),
            (Mp::from("uid"), Mp::from(self.uid.as_str())),
            (Mp::from("nsp"), Mp::from(nsp)),
        ]);
        self.link().publish(channel, wire::encode(&msg));
    }

    /// A stream entry, in stream order, on the reader task.
    fn on_entry(&self, local: &dyn LocalNode, id: &str, fields: &HashMap<String, Vec<u8>>) {
        let text = |k: &str| fields.get(k).and_then(|v| std::str::from_utf8(v).ok());
        let (Some(uid), Some(nsp), Some(kind)) = (
            text("uid"),
            text("nsp"),
            text("type").and_then(|t| t.parse::<u64>().ok()),
        ) else {
            return;
        };
        let Some(data) = fields.get("data").and_then(|d| Data::parse(d)) else {
            self.link().dropped(&format!("stream entry {id}"));
            return;
        };
        match kind {
            kind::BROADCAST => {
                // Ours too: delivered here, in stream order (see the module doc).
                if data.has("requestId") {
                    return;
                }
                match data.broadcast() {
                    Some((opts, event, args)) => local.broadcast_at(nsp, &opts, &event, &args, id),
                    None => self
                        .link()
                        .dropped(&format!("the broadcast of stream entry {id}")),
                }
            }
            // Applied locally when they were made.
            _ if uid == self.uid => {}
            kind::SOCKETS_JOIN => local.add_sockets(nsp, &data.opts(), &data.rooms("rooms")),
            kind::SOCKETS_LEAVE => local.del_sockets(nsp, &data.opts(), &data.rooms("rooms")),
            kind::DISCONNECT_SOCKETS => {
                local.disconnect_sockets(nsp, &data.opts(), data.bool("close"))
            }
            _ => tracing::debug!("redis streams: ignoring entry {id} of type {kind}"),
        }
    }

    /// A pub/sub message (request or response), on the subscriber task.
    fn on_message(&self, payload: &[u8]) {
        let Some(msg) = wire::decode(payload) else {
            self.link().dropped("a pub/sub message");
            return;
        };
        let uid = wire::field(&msg, "uid").and_then(Mp::as_str).unwrap_or("");
        if uid == self.uid {
            return;
        }
        let (Some(nsp), Some(kind), Some(data)) = (
            wire::field(&msg, "nsp").and_then(Mp::as_str),
            wire::field(&msg, "type").and_then(Mp::as_u64),
            wire::field(&msg, "data"),
        ) else {
            return;
        };
        let Some(local) = self.local.upgrade() else {
            return;
        };
        let request_id = wire::field(data, "requestId")
            .and_then(Mp::as_str)
            .map(str::to_owned);
        match kind {
            kind::BROADCAST => {
                let Some(id) = request_id else { return };
                self.on_broadcast_with_ack(&*local, nsp, uid, id, data)
            }
            kind::FETCH_SOCKETS => {
                let Some(id) = request_id else { return };
                let opts = wire::mp_opts(wire::field(data, "opts"));
                let sockets: Vec<Mp> = local
                    .fetch_sockets(nsp, &opts)
                    .into_iter()
                    .map(|s| {
                        Mp::Map(vec![
                            (Mp::from("id"), Mp::from(s.id)),
                            (Mp::from("handshake"), json_to_mp_with(&s.handshake)),
                            (
                                Mp::from("rooms"),
                                Mp::Array(s.rooms.into_iter().map(Mp::from).collect()),
                            ),
                            (Mp::from("data"), json_to_mp_with(&s.data)),
                        ])
                    })
                    .collect();
                let body = Mp::Map(vec![
                    (Mp::from("requestId"), Mp::from(id)),
                    (Mp::from("sockets"), Mp::Array(sockets)),
                ]);
                self.publish(
                    self.private(nsp, uid),
                    nsp,
                    kind::FETCH_SOCKETS_RESPONSE,
                    body,
                );
            }
            kind::SERVER_SIDE_EMIT => {
                let Some((event, args)) =
                    wire::field(data, "packet").and_then(wire::split_event_data)
                else {
                    self.link().dropped(&format!("a serverSideEmit on {nsp}"));
                    return;
                };
                let ack = request_id.map(|id| {
                    let link = self.link().clone();
                    let channel = self.private(nsp, uid);
                    let (me, nsp) = (self.uid.clone(), nsp.to_owned());
                    Box::new(move |reply: Payload| {
                        let body = Mp::Map(vec![
                            (Mp::from("requestId"), Mp::from(id)),
                            (Mp::from("packet"), wire::value_to_mp(&reply)),
                        ]);
                        link.publish(
                            channel,
                            response(kind::SERVER_SIDE_EMIT_RESPONSE, body, &me, &nsp),
                        );
                    }) as Box<dyn FnOnce(Payload) + Send>
                });
                local.server_side_emit(nsp, &event, args, ack);
            }
            kind::FETCH_SOCKETS_RESPONSE
            | kind::SERVER_SIDE_EMIT_RESPONSE
            | kind::BROADCAST_CLIENT_COUNT
            | kind::BROADCAST_ACK => self.on_response(kind, data),
            _ => tracing::debug!("redis streams: ignoring a message of type {kind}"),
        }
    }

    fn on_broadcast_with_ack(
        &self,
        local: &dyn LocalNode,
        nsp: &str,
        requester: &str,
        id: String,
        data: &Mp,
    ) {
        let Some((event, args)) = wire::field(data, "packet")
            .and_then(|p| wire::field(p, "data"))
            .and_then(wire::split_event_data)
        else {
            self.link()
                .dropped(&format!("a broadcast with acks on {nsp}"));
            return;
        };
        let opts_v = wire::field(data, "opts");
        let timeout = opts_v
            .and_then(|o| wire::field(o, "flags"))
            .and_then(|f| wire::field(f, "timeout"))
            .and_then(Mp::as_u64)
            .map_or(self.cfg.request_timeout, Duration::from_millis);
        let opts = wire::mp_opts(opts_v);
        let link = self.link().clone();
        let channel = self.private(nsp, requester);
        let (l2, c2, id2) = (link.clone(), channel.clone(), id.clone());
        let (me, me2, n1, n2) = (
            self.uid.clone(),
            self.uid.clone(),
            nsp.to_owned(),
            nsp.to_owned(),
        );
        local.broadcast_with_ack(
            nsp,
            &opts,
            &event,
            &args,
            timeout,
            Box::new(move |n| {
                let body = Mp::Map(vec![
                    (Mp::from("requestId"), Mp::from(id2)),
                    (Mp::from("clientCount"), Mp::from(n as u64)),
                ]);
                l2.publish(c2, response(kind::BROADCAST_CLIENT_COUNT, body, &me, &n1));
            }),
            Box::new(move |reply: Payload| {
                let body = Mp::Map(vec![
                    (Mp::from("requestId"), Mp::from(id.as_str())),
                    (Mp::from("packet"), wire::value_to_mp(&reply)),
                ]);
                link.publish(
                    channel.clone(),
                    response(kind::BROADCAST_ACK, body, &me2, &n2),
                );
            }),
        );
    }

    fn on_response(&self, kind: u64, data: &Mp) {
        let Some(id) = wire::field(data, "requestId").and_then(Mp::as_str) else {
            return;
        };
        if matches!(kind, kind::BROADCAST_CLIENT_COUNT | kind::BROADCAST_ACK) {
            if let Some(sink) = self.dispatch.ack_sink(id) {
                if kind == kind::BROADCAST_CLIENT_COUNT {
                    let n = wire::field(data, "clientCount").and_then(Mp::as_u64);
                    sink.client_count(n.unwrap_or(0) as usize);
                } else {
                    match wire::mp_to_payload(wire::field(data, "packet").unwrap_or(&Mp::Nil)) {
                        Some(reply) => sink.reply(reply),
                        None => self.link().dropped("an ack reply"),
                    }
                }
            }
            return;
        }
        self.dispatch.answer(id, |gathered| match (gathered, kind) {
            (Gathered::Sockets(acc), kind::FETCH_SOCKETS_RESPONSE) => {
                let Some(list) = wire::field(data, "sockets").and_then(Mp::as_array) else {
                    return false;
                };
                acc.extend(list.iter().filter_map(socket_info));
                true
            }
            // A reply nested too deep counts as no answer, as from a node that is down.
            (Gathered::Replies(acc), kind::SERVER_SIDE_EMIT_RESPONSE) => {
                match wire::mp_to_payload(wire::field(data, "packet").unwrap_or(&Mp::Nil)) {
                    Some(reply) => {
                        acc.push(reply);
                        true
                    }
                    None => {
                        self.link().dropped("a serverSideEmit reply");
                        false
                    }
                }
            }
            _ => false,
        });
    }

    /// Asks every other node; resolves with what arrived within `timeout`.
    fn request(
        &self,
        nsp: &str,
        kind: u64,
        data: Vec<(&'static str, Mp)>,
        gathered: Gathered,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Gathered>> {
        let channel = self.public(nsp);
        let count = {
            let (link, channel) = (self.link().clone(), channel.clone());
            async move { link.numsub(&channel).await }
        };
        let (link, uid, nsp) = (self.link().clone(), self.uid.clone(), nsp.to_owned());
        let send = move |id: &str| {
            let mut body: Vec<(Mp, Mp)> = data.into_iter().map(|(k, v)| (Mp::from(k), v)).collect();
            body.push((Mp::from("requestId"), Mp::from(id)));
            link.publish(channel, response(kind, Mp::Map(body), &uid, &nsp));
        };
        self.dispatch
            .clone()
            .request(count, wire::random_id(), gathered, timeout, send)
            .boxed()
    }
}

/// A response `{type, data, uid, nsp}` (msgpack).
fn response(kind: u64, data: Mp, uid: &str, nsp: &str) -> Vec<u8> {
    wire::encode(&Mp::Map(vec![
        (Mp::from("type"), Mp::from(kind)),
        (Mp::from("data"), data),
        (Mp::from("uid"), Mp::from(uid)),
        (Mp::from("nsp"), Mp::from(nsp)),
    ]))
}

fn json_to_mp_with(v: &Json) -> Mp {
    wire::plain_json_to_mp(v)
}

fn socket_info(v: &Mp) -> Option<SocketInfo> {
    Some(SocketInfo {
        id: wire::field(v, "id")?.as_str()?.to_owned(),
        handshake: wire::field(v, "handshake").map_or(Json::Null, wire::mp_to_plain_json),
        rooms: wire::mp_rooms(wire::field(v, "rooms"))
            .iter()
            .map(|r| r.to_string())
            .collect(),
        data: wire::field(v, "data").map_or(Json::Null, wire::mp_to_plain_json),
    })
}

/// The `data` field of a stream entry: JSON text, or base64 of msgpack.
enum Data {
    Json(Json),
    Msgpack(Mp),
}

impl Data {
    fn parse(raw: &[u8]) -> Option<Self> {
        if raw.first() == Some(&b'{') {
            return wire::parse_json(raw).map(Data::Json);
        }
        let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
        wire::decode(&bytes).map(Data::Msgpack)
    }

    fn has(&self, key: &str) -> bool {
        match self {
            Data::Json(j) => j.get(key).is_some_and(|v| !v.is_null()),
            Data::Msgpack(m) => wire::field(m, key).is_some_and(|v| !v.is_nil()),
        }
    }

    fn bool(&self, key: &str) -> bool {
        match self {
            Data::Json(j) => j.get(key).and_then(Json::as_bool),
            Data::Msgpack(m) => wire::field(m, key).and_then(Mp::as_bool),
        }
        .unwrap_or(false)
    }

    fn rooms(&self, key: &str) -> Vec<Room> {
        match self {
            Data::Json(j) => wire::json_rooms(j.get(key)),
            Data::Msgpack(m) => wire::mp_rooms(wire::field(m, key)),
        }
    }

    fn opts(&self) -> BroadcastOptions {
        match self {
            Data::Json(j) => {
                let o = j.get("opts");
                let mut opts = wire::json_opts(o);
                let flag = |name: &str| {
                    o.and_then(|o| o.get("flags"))
                        .and_then(|f| f.get(name))
                        .and_then(Json::as_bool)
                };
                opts.volatile = flag("volatile") == Some(true);
                opts.compress = flag("compress");
                opts
            }
            Data::Msgpack(m) => wire::mp_opts(wire::field(m, "opts")),
        }
    }

    /// `{packet: {type: 2, data: [event, ...args]}, opts}`.
    fn broadcast(&self) -> Option<(BroadcastOptions, String, Payload)> {
        let (event, args) = match self {
            Data::Json(j) => {
                let items = j.get("packet")?.get("data")?.as_array()?;
                let (first, rest) = items.split_first()?;
                let event = match first {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    _ => return None,
                };
                (event, wire::peer_args(rest, Vec::new())?)
            }
            Data::Msgpack(m) => wire::field(m, "packet")
                .and_then(|p| wire::field(p, "data"))
                .and_then(wire::split_event_data)?,
        };
        Some((self.opts(), event, args))
    }
}

/// Entries of an `XRANGE`/`XREVRANGE` answer (or one stream of an `XREAD` answer):
/// `[[id, [field, value, ...]], ...]`.
fn parse_entries(v: &redis::Value) -> Vec<(String, HashMap<String, Vec<u8>>)> {
    use redis::Value as V;
    let text = |v: &V| match v {
        V::BulkString(b) => String::from_utf8(b.clone()).ok(),
        V::SimpleString(s) => Some(s.clone()),
        _ => None,
    };
    let V::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|e| {
            let V::Array(pair) = e else { return None };
            let [id, V::Array(kv)] = pair.as_slice() else {
                return None;
            };
            let id = text(id)?;
            let mut fields = HashMap::with_capacity(kv.len() / 2);
            for chunk in kv.chunks(2) {
                if let [k, V::BulkString(val)] = chunk {
                    if let Some(k) = text(k) {
                        fields.insert(k, val.clone());
                    }
                }
            }
            Some((id, fields))
        })
        .collect()
}

/// The entries of an `XREAD` answer on one stream (nil when it timed out).
fn parse_xread(v: &redis::Value) -> Vec<(String, HashMap<String, Vec<u8>>)> {
    use redis::Value as V;
    match v {
        V::Array(streams) => streams
            .iter()
            .flat_map(|s| match s {
                V::Array(pair) if pair.len() == 2 => parse_entries(&pair[1]),
                _ => Vec::new(),
            })
            .collect(),
        V::Map(streams) => streams
            .iter()
            .flat_map(|(_, entries)| parse_entries(entries))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a stream id looks like `<ms>-<seq>`.
pub fn valid_offset(offset: &str) -> bool {
    offset.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
            && a.len() <= 20
            && b.len() <= 20
    })
}

/// Reads the stream from `last` on a connection of its own, forever; reconnects with
/// backoff, resuming after the last entry it handled, so nothing in the stream is skipped
/// or handled twice (an outage only delays).
async fn reader(
    adapter: Weak<StreamsAdapter>,
    link: Arc<RedisLink>,
    stream: String,
    mut last: String,
    mut closed: watch::Receiver<bool>,
) {
    let mut conn = None;
    let min = link.options().backoff_min;
    let mut delay = min;
    let mut down = false;
    loop {
        if *closed.borrow() {
            return;
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match link.blocking_connection(BLOCK).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::debug!("redis streams: reader reconnect failed: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = closed.changed() => return,
                    }
                    delay = (delay * 2).min(link.options().backoff_max);
                    continue;
                }
            },
        };
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&last);
        let answer = tokio::select! {
            r = cmd.query_async::<redis::Value>(c) => r,
            _ = closed.changed() => return,
        };
        match answer {
            Ok(v) => {
                if down {
                    down = false;
                    tracing::info!("redis streams: reading the stream again from {last}");
                }
                delay = min;
                let entries = parse_xread(&v);
                if entries.is_empty() {
                    continue;
                }
                let Some(adapter) = adapter.upgrade() else {
                    return;
                };
                let Some(local) = adapter.local.upgrade() else {
                    return;
                };
                link.count(0, 0, entries.len() as u64);
                for (id, fields) in entries {
                    adapter.on_entry(&*local, &id, &fields);
                    last = id;
                }
            }
            Err(e) => {
                if !down {
                    down = true;
                    tracing::warn!(
                        "redis streams: reading the stream failed ({e}); resuming after {last} once Redis answers"
                    );
                }
                conn = None;
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = closed.changed() => return,
                }
                delay = (delay * 2).min(link.options().backoff_max);
            }
        }
    }
}

/// Puts a durable write into the writer's pipeline.
fn add_op(op: &Op, pipe: &mut redis::Pipeline, stream: &str, max_len: usize, uid: &str) {
    match op {
        Op::Xadd { nsp, kind, data } => {
            pipe.cmd("XADD")
                .arg(stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(max_len)
                .arg("*")
                .arg("uid")
                .arg(uid)
                .arg("nsp")
                .arg(nsp)
                .arg("type")
                .arg(kind.to_string())
                .arg("data")
                .arg(&data[..])
                .ignore();
        }
        Op::Set { key, value, ttl_ms } => {
            pipe.cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg((*ttl_ms).max(1))
                .ignore();
        }
        Op::Del(key) => {
            pipe.cmd("DEL").arg(key).ignore();
        }
    }
}

/// `base64(msgpack({sid, pid, rooms, data}))`, as the Node adapter stores a session.
pub fn encode_session(s: &SessionRecord) -> String {
    let v = Mp::Map(vec![
        (Mp::from("sid"), Mp::from(s.sid.as_str())),
        (Mp::from("pid"), Mp::from(s.pid.as_str())),
        (
            Mp::from("rooms"),
            Mp::Array(s.rooms.iter().map(|r| Mp::from(r.as_str())).collect()),
        ),
        (Mp::from("data"), json_to_mp_with(&s.data)),
    ]);
    base64::engine::general_purpose::STANDARD.encode(wire::encode(&v))
}

/// The inverse of [`encode_session`]; `None` for anything malformed.
pub fn decode_session(raw: &[u8]) -> Option<SessionRecord> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
    let v = wire::decode(&bytes)?;
    Some(SessionRecord {
        sid: wire::field(&v, "sid")?.as_str()?.to_owned(),
        pid: wire::field(&v, "pid")?.as_str()?.to_owned(),
        rooms: wire::mp_rooms(wire::field(&v, "rooms"))
            .iter()
            .map(|r| r.to_string())
            .collect(),
        data: wire::field(&v, "data").map_or(Json::Null, wire::mp_to_plain_json),
    })
}

impl StreamsAdapter {
    async fn restore(
        self: Arc<Self>,
        nsp: String,
        pid: String,
        offset: String,
    ) -> Option<FoundSession> {
        if !valid_offset(&offset) {
            return None;
        }
        let link = self.link().clone();
        let stream = &self.cfg.key;
        let mut pipe = redis::pipe();
        pipe.cmd("GETDEL")
            .arg(format!("{SESSION_PREFIX}{pid}"))
            .cmd("XRANGE")
            .arg(stream)
            .arg(&offset)
            .arg(&offset);
        let (raw, check): (Option<Vec<u8>>, redis::Value) = match link.pipeline(&pipe).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(
                    "redis streams: cannot restore a session ({e}); the client gets a new one"
                );
                return None;
            }
        };
        let session = decode_session(&raw?)?;
        if parse_entries(&check).is_empty() {
            tracing::debug!("redis streams: offset {offset} is no longer in the stream");
            return None;
        }
        let mut missed = Vec::new();
        let mut upto = offset;
        for _ in 0..RANGE_PAGES {
            let page: redis::Value = link
                .command(
                    redis::cmd("XRANGE")
                        .arg(stream)
                        .arg(format!("({upto}"))
                        .arg("+")
                        .arg("COUNT")
                        .arg(RANGE_PAGE),
                )
                .await
                .ok()?;
            let entries = parse_entries(&page);
            let full = entries.len() >= RANGE_PAGE;
            for (id, fields) in entries {
                let is = |k: &str, v: &str| fields.get(k).is_some_and(|x| x == v.as_bytes());
                if is("nsp", &nsp) && is("type", "3") {
                    if let Some(d) = fields.get("data").and_then(|d| Data::parse(d)) {
                        if !d.has("requestId") {
                            if let Some((opts, event, args)) = d.broadcast() {
                                missed.push(LoggedBroadcast {
                                    offset: id.clone(),
                                    opts,
                                    event,
                                    args,
                                });
                            }
                        }
                    }
                }
                upto = id;
            }
            if !full {
                break;
            }
        }
        Some(FoundSession {
            session,
            missed,
            upto,
        })
    }
}

impl ClusterAdapter for Arc<StreamsAdapter> {
    fn add_namespace(&self, nsp: &str) -> BoxFuture<'static, bool> {
        let subs = vec![
            Subscription::Channel(self.public(nsp)),
            Subscription::Channel(self.private(nsp, &self.uid)),
        ];
        let link = self.link().clone();
        async move { link.subscribe(subs).await }.boxed()
    }

    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload) {
        if opts.local {
            return;
        }
        if !args.attachments.is_empty() {
            // Binaries travel as msgpack `bin`: base64 of msgpack `{packet, opts}`.
            let v = Mp::Map(vec![
                (
                    Mp::from("packet"),
                    Mp::Map(vec![
                        (Mp::from("type"), Mp::from(2)),
                        (Mp::from("data"), wire::event_data(event, args)),
                    ]),
                ),
                (Mp::from("opts"), wire::opts_mp(opts, None)),
            ]);
            self.durable(Op::Xadd {
                nsp: nsp.to_owned(),
                kind: kind::BROADCAST,
                data: base64::engine::general_purpose::STANDARD
                    .encode(wire::encode(&v))
                    .into_bytes(),
            });
            return;
        }
        let mut data = vec![Json::from(event)];
        data.extend(args.to_values());
        let mut packet = Map::new();
        packet.insert("type".into(), Json::from(2));
        packet.insert("data".into(), Json::Array(data));
        let mut body = Map::new();
        body.insert("packet".into(), Json::Object(packet));
        body.insert("opts".into(), wire::flagged_opts_json(opts, None));
        self.append(nsp, kind::BROADCAST, Json::Object(body));
    }

    fn broadcast_with_ack(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        sink: Arc<dyn RemoteAckSink>,
    ) {
        let ms = timeout.as_millis().min(u64::MAX as u128) as u64;
        let count = {
            let (link, channel) = (self.link().clone(), self.public(nsp));
            async move { link.numsub(&channel).await }
        };
        let send = |id: &str| {
            let data = Mp::Map(vec![
                (
                    Mp::from("packet"),
                    Mp::Map(vec![
                        (Mp::from("type"), Mp::from(2)),
                        (Mp::from("data"), wire::event_data(event, args)),
                    ]),
                ),
                (Mp::from("requestId"), Mp::from(id)),
                (Mp::from("opts"), wire::opts_mp(opts, Some(ms))),
            ]);
            self.publish(self.public(nsp), nsp, kind::BROADCAST, data);
        };
        self.dispatch
            .broadcast_with_ack(wire::random_id(), sink, timeout, count, send);
    }

    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let mut m = Map::new();
        m.insert("opts".into(), wire::flagged_opts_json(opts, None));
        m.insert("rooms".into(), wire::rooms_json(rooms));
        self.append(nsp, kind::SOCKETS_JOIN, Json::Object(m));
    }

    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let mut m = Map::new();
        m.insert("opts".into(), wire::flagged_opts_json(opts, None));
        m.insert("rooms".into(), wire::rooms_json(rooms));
        self.append(nsp, kind::SOCKETS_LEAVE, Json::Object(m));
    }

    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool) {
        let mut m = Map::new();
        m.insert("opts".into(), wire::flagged_opts_json(opts, None));
        m.insert("close".into(), Json::Bool(close));
        self.append(nsp, kind::DISCONNECT_SOCKETS, Json::Object(m));
    }

    fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload) {
        let data = Mp::Map(vec![(Mp::from("packet"), wire::event_data(event, args))]);
        self.publish(self.public(nsp), nsp, kind::SERVER_SIDE_EMIT, data);
    }

    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<Payload>>> {
        self.request(
            nsp,
            kind::SERVER_SIDE_EMIT,
            vec![("packet", wire::event_data(event, args))],
            Gathered::Replies(Vec::new()),
            timeout,
        )
        .map(|r| r.map(Gathered::into_replies))
        .boxed()
    }

    fn fetch_sockets(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<SocketInfo>>> {
        self.request(
            nsp,
            kind::FETCH_SOCKETS,
            vec![("opts", wire::opts_mp(opts, None))],
            Gathered::Sockets(Vec::new()),
            timeout,
        )
        .map(|r| r.map(Gathered::into_sockets))
        .boxed()
    }

    fn all_rooms(
        &self,
        _nsp: &str,
        _timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<String>>> {
        // socket.io's ClusterAdapter has no such request: this node's rooms only.
        async {
            ClusterReply {
                value: Vec::new(),
                answered: 0,
                expected: 0,
                complete: true,
            }
        }
        .boxed()
    }

    fn server_count(&self, nsp: &str) -> BoxFuture<'static, Option<usize>> {
        let channel = self.public(nsp);
        let link = self.link().clone();
        async move { link.numsub(&channel).await.ok() }.boxed()
    }

    fn stats(&self) -> ClusterStats {
        self.link().stats()
    }

    fn close(&self) {
        let _ = self.closed.send(true);
        self.link().close();
    }

    fn ordered(&self) -> bool {
        true
    }

    fn persist_session(&self, session: &SessionRecord, ttl: Duration) {
        self.durable(Op::Set {
            key: format!("{SESSION_PREFIX}{}", session.pid),
            value: encode_session(session),
            ttl_ms: ttl.as_millis().min(u64::MAX as u128) as u64,
        });
    }

    fn forget_session(&self, pid: &str) {
        self.durable(Op::Del(format!("{SESSION_PREFIX}{pid}")));
    }

    fn restore_session(
        &self,
        nsp: &str,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'static, Option<FoundSession>> {
        self.clone()
            .restore(nsp.to_owned(), pid.to_owned(), offset.to_owned())
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_in_the_node_format() {
        let s = SessionRecord {
            sid: "RV_TD903r2L_zwVoAAAB".into(),
            pid: "p1".into(),
            rooms: vec!["RV_TD903r2L_zwVoAAAB".into(), "room1".into()],
            data: serde_json::json!({"user": "u1", "n": 2}),
        };
        assert_eq!(decode_session(encode_session(&s).as_bytes()), Some(s));
        assert_eq!(decode_session(b"not base64!"), None);
    }

    #[test]
    fn stream_data_decodes_json_and_base64_msgpack() {
        // R1 and R2 of the golden samples.
        let r1 = br#"{"packet":{"type":2,"data":["hello",{"a":1}]},"opts":{"rooms":["room1"],"except":[],"flags":{}}}"#;
        let (opts, event, args) = Data::parse(r1).unwrap().broadcast().unwrap();
        assert_eq!(event, "hello");
        assert_eq!(args.to_values(), vec![serde_json::json!({"a": 1})]);
        assert_eq!(opts.rooms, vec![Room::from("room1")]);
        let r2 = b"gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkaVyb29tMaZleGNlcHSQpWZsYWdzgA==";
        let (opts, event, args) = Data::parse(r2).unwrap().broadcast().unwrap();
        assert_eq!(event, "bin");
        assert_eq!(&args.attachments[0][..], &[1, 2, 3]);
        assert_eq!(opts.rooms, vec![Room::from("room1")]);
        assert!(Data::parse(b"{nope").is_none());
    }

    #[test]
    fn stream_entries_carry_arguments_a_client_may_send_and_not_deeper_ones() {
        use crate::protocol::MAX_DEPTH;
        use base64::Engine;
        use wire::tests::{args_nesting, with_bin, LEAVES};
        for leaf in LEAVES {
            for (depth, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
                let args = with_bin(args_nesting(depth, leaf));
                let data = Mp::Map(vec![
                    (
                        Mp::from("packet"),
                        wire::packet_mp("/", wire::tests::deep_event_data("e", &args)),
                    ),
                    (
                        Mp::from("opts"),
                        wire::opts_mp(&BroadcastOptions::default(), None),
                    ),
                ]);
                // JSON text when there is no binary, base64 of msgpack otherwise.
                let raw = if args.attachments.is_empty() {
                    serde_json::to_vec(&wire::mp_to_plain_json(&data)).unwrap()
                } else {
                    let b64 = base64::engine::general_purpose::STANDARD;
                    b64.encode(wire::encode(&data)).into_bytes()
                };
                let parsed = Data::parse(&raw).expect("the entry itself parses");
                let got = parsed.broadcast();
                assert_eq!(got.is_some(), ok, "depth {depth} ending in {leaf}");
                if let Some((_, _, got)) = got {
                    assert_eq!(got, args);
                }
            }
        }
    }

    #[test]
    fn offsets_are_checked_before_redis_is_asked() {
        assert!(valid_offset("1795303100982-0"));
        for bad in ["", "1-", "-1", "a-1", "1-2-3", "1795303100982"] {
            assert!(!valid_offset(bad), "{bad}");
        }
    }
}
