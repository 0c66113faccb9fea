//! The sharded `@socket.io/redis-adapter` 8.3 protocol (`createShardedAdapter`): Redis 7
//! sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) carrying socket.io-adapter's `ClusterAdapter`
//! messages `{type, data, uid, nsp}` (JSON, or msgpack when the data holds binary).
//!
//! Channels (prefix = the `key`): `<key>#<nsp>#` for every message of the namespace,
//! `<key>#<nsp>#<uid>#` for the responses to this node, and, with `subscriptionMode`
//! `dynamic` (the default), `<key>#<nsp>#<room>#` per public room this node has: a
//! broadcast to exactly one such room (without ack) goes there, so only nodes with the room
//! receive it. `serverCount` is `PUBSUB SHARDNUMSUB <key>#<nsp>#`.
//!
//! As with the classic adapter, roomcast applies socketsJoin/Leave/disconnectSockets
//! locally at once, and requests resolve with what arrived by their timeout (`complete`
//! says so). The protocol has no "all rooms" request (Node's `ClusterAdapter` has none):
//! `all_rooms` reports this node's rooms, incomplete when other nodes exist.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use parking_lot::Mutex;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use super::conn::{LinkError, RedisLink};
use super::shard_sub::ShardSubscriber;
use super::wire;
use super::RedisConfig;
use crate::adapter::cluster::{
    ClusterAdapter, ClusterReply, ClusterStats, Dispatch, Gathered, LocalNode, RemoteAckSink,
    SocketInfo,
};
use crate::adapter::{BroadcastOptions, Room};
use crate::protocol::Payload;

/// `subscriptionMode` of the sharded adapter: which rooms get a channel of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionMode {
    /// Every message on the namespace's channel.
    Static,
    /// Public rooms (not socket ids) get their own channel (socket.io's default).
    Dynamic,
    /// Every room, socket-id rooms included, gets its own channel.
    DynamicPrivate,
}

impl SubscriptionMode {
    /// Parses socket.io's spelling (`static`, `dynamic`, `dynamic-private`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "static" => Self::Static,
            "dynamic" => Self::Dynamic,
            "dynamic-private" => Self::DynamicPrivate,
            _ => return None,
        })
    }
}

/// `MessageType` of socket.io-adapter's cluster adapter.
#[allow(missing_docs)]
pub mod kind {
    pub const INITIAL_HEARTBEAT: u64 = 1;
    pub const HEARTBEAT: u64 = 2;
    pub const BROADCAST: u64 = 3;
    pub const SOCKETS_JOIN: u64 = 4;
    pub const SOCKETS_LEAVE: u64 = 5;
    pub const DISCONNECT_SOCKETS: u64 = 6;
    pub const FETCH_SOCKETS: u64 = 7;
    pub const FETCH_SOCKETS_RESPONSE: u64 = 8;
    pub const SERVER_SIDE_EMIT: u64 = 9;
    pub const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
    pub const BROADCAST_CLIENT_COUNT: u64 = 11;
    pub const BROADCAST_ACK: u64 = 12;
    pub const ADAPTER_CLOSE: u64 = 13;
}

/// A decoded message: JSON with binaries as placeholders into `bins`.
struct Message {
    kind: u64,
    uid: String,
    data: Json,
    bins: Vec<Bytes>,
}

impl Message {
    fn parse(bytes: &[u8]) -> Option<Self> {
        let (json, bins) = if bytes.first() == Some(&b'{') {
            (wire::parse_json(bytes)?, Vec::new())
        } else {
            let mut bins = Vec::new();
            let j = wire::mp_to_json(&wire::decode(bytes)?, &mut bins);
            (j, bins)
        };
        let mut obj = match json {
            Json::Object(m) => m,
            _ => return None,
        };
        Some(Self {
            kind: obj.get("type")?.as_u64()?,
            uid: obj
                .get("uid")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_owned(),
            data: obj.remove("data").unwrap_or(Json::Null),
            bins,
        })
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.data.get(key)?.as_str()
    }

    fn opts(&self) -> BroadcastOptions {
        opts_from(self.data.get("opts"))
    }

    /// A field as a one-argument payload (an ack or a server-side reply); `None` when
    /// nested too deep ([`wire::peer_args`]).
    fn value(&self, key: &str) -> Option<Payload> {
        let v = self.data.get(key).unwrap_or(&Json::Null);
        wire::peer_args(std::slice::from_ref(v), self.bins.clone())
    }

    /// `[event, ...args]` of a packet array.
    fn event(&self, list: Option<&Json>) -> Option<(String, Payload)> {
        let (first, rest) = list?.as_array()?.split_first()?;
        let event = match first {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some((event, wire::peer_args(rest, self.bins.clone())?))
    }
}

fn opts_from(v: Option<&Json>) -> BroadcastOptions {
    let flag = |name: &str| {
        v.and_then(|o| o.get("flags"))
            .and_then(|f| f.get(name))
            .and_then(Json::as_bool)
    };
    BroadcastOptions {
        rooms: wire::json_rooms(v.and_then(|o| o.get("rooms"))),
        except: wire::json_rooms(v.and_then(|o| o.get("except"))),
        volatile: flag("volatile") == Some(true),
        local: false,
        compress: flag("compress"),
    }
}

/// `[event, ...args]` as JSON text, spliced from the payload's text (no re-parse).
fn event_text(event: &str, args: &Payload) -> String {
    let name = Json::from(event).to_string();
    let rest = &args.json()[1..];
    let mut s = String::with_capacity(name.len() + rest.len() + 2);
    s.push('[');
    s.push_str(&name);
    if rest != "]" {
        s.push(',');
    }
    s.push_str(rest);
    s
}

/// Encodes `{type, data, uid, nsp}`: JSON unless `bins` is non-empty (then msgpack with
/// the binaries as `bin`, as notepack writes them).
fn encode(kind: u64, data: Json, bins: &[Bytes], uid: &str, nsp: &str) -> Vec<u8> {
    let mut m = Map::with_capacity(4);
    m.insert("type".into(), Json::from(kind));
    m.insert("data".into(), data);
    m.insert("uid".into(), Json::from(uid));
    m.insert("nsp".into(), Json::from(nsp));
    let msg = Json::Object(m);
    if bins.is_empty() {
        serde_json::to_vec(&msg).expect("a Value always serializes")
    } else {
        wire::encode(&wire::json_to_mp(&msg, bins))
    }
}

fn object(fields: Vec<(&str, Json)>) -> Json {
    Json::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// One node's sharded Redis adapter (shared by all namespaces of a server).
pub struct ShardedAdapter {
    uid: String,
    cfg: RedisConfig,
    mode: SubscriptionMode,
    link: OnceLock<Arc<RedisLink>>,
    subs: OnceLock<Arc<ShardSubscriber>>,
    local: Weak<dyn LocalNode>,
    dispatch: Arc<Dispatch>,
    /// Dynamic room channels subscribed: channel → (namespace, room).
    rooms: Mutex<HashMap<String, (String, String)>>,
}

impl ShardedAdapter {
    /// Connects the publishing link and the shard subscriber (failing at once when Redis
    /// is down or older than 7) and serves `local`.
    pub async fn connect(
        cfg: RedisConfig,
        local: Weak<dyn LocalNode>,
    ) -> Result<Arc<Self>, LinkError> {
        let mode = cfg.sharded.unwrap_or(SubscriptionMode::Dynamic);
        let this = Arc::new(Self {
            uid: wire::random_id(),
            cfg,
            mode,
            link: OnceLock::new(),
            subs: OnceLock::new(),
            local,
            dispatch: Arc::default(),
            rooms: Mutex::new(HashMap::new()),
        });
        let link = RedisLink::connect_publisher(this.cfg.link.clone()).await?;
        // Refuse a Redis without sharded pub/sub now, not at the first publish.
        if let Err(e) = link.shard_numsub("roomcast-probe").await {
            link.close();
            return Err(LinkError::Unreachable(format!(
                "PUBSUB SHARDNUMSUB failed ({e}): the sharded adapter needs Redis 7 or later"
            )));
        }
        let weak = Arc::downgrade(&this);
        let subs = ShardSubscriber::connect(
            this.cfg.link.clone(),
            Arc::new(move |ch: &str, payload: &[u8]| {
                if let Some(a) = weak.upgrade() {
                    a.on_message(ch, payload);
                }
            }),
        )
        .await
        .inspect_err(|_| link.close())?;
        let _ = this.link.set(link);
        let _ = this.subs.set(subs);
        let sweeper = Arc::downgrade(&this);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                let Some(a) = sweeper.upgrade() else { return };
                if !a.sweep_rooms() {
                    return;
                }
            }
        });
        Ok(this)
    }

    /// This node's uid on the wire (16 hex characters).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    fn link(&self) -> &Arc<RedisLink> {
        self.link.get().expect("set in connect")
    }

    fn subs(&self) -> &Arc<ShardSubscriber> {
        self.subs.get().expect("set in connect")
    }

    fn channel(&self, nsp: &str) -> String {
        format!("{}#{nsp}#", self.cfg.key)
    }

    fn publish(&self, nsp: &str, channel: String, kind: u64, data: Json, bins: &[Bytes]) {
        let msg = encode(kind, data, bins, &self.uid, nsp);
        self.link().spublish(channel, msg);
    }

    /// Whether `room` gets a channel of its own (`shouldUseASeparateNamespace`).
    fn own_channel(&self, local: &dyn LocalNode, nsp: &str, room: &str) -> bool {
        match self.mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => !local.is_socket(nsp, room),
            SubscriptionMode::DynamicPrivate => true,
        }
    }

    /// Unsubscribes the room channels of rooms this node no longer has; false once the
    /// node is gone.
    fn sweep_rooms(&self) -> bool {
        let Some(local) = self.local.upgrade() else {
            return false;
        };
        let gone: Vec<String> = {
            let mut rooms = self.rooms.lock();
            let gone: Vec<String> = rooms
                .iter()
                .filter(|(_, (nsp, room))| !local.has_room(nsp, room))
                .map(|(ch, _)| ch.clone())
                .collect();
            for ch in &gone {
                rooms.remove(ch);
            }
            gone
        };
        if !gone.is_empty() {
            self.subs().unsubscribe(gone);
        }
        true
    }

    fn on_message(&self, channel: &str, payload: &[u8]) {
        let Some(local) = self.local.upgrade() else {
            return;
        };
        // <key>#<nsp>#[<uid>#|<room>#]
        let Some(rest) = channel
            .strip_prefix(self.cfg.key.as_str())
            .and_then(|r| r.strip_prefix('#'))
        else {
            return;
        };
        let Some(end) = rest.find('#') else { return };
        let nsp = &rest[..end];
        let Some(m) = Message::parse(payload) else {
            self.link().dropped(&format!("a message on {channel}"));
            return;
        };
        if m.uid == self.uid {
            return;
        }
        match m.kind {
            kind::FETCH_SOCKETS_RESPONSE
            | kind::SERVER_SIDE_EMIT_RESPONSE
            | kind::BROADCAST_CLIENT_COUNT
            | kind::BROADCAST_ACK => self.on_response(&m),
            _ => self.on_request(&*local, nsp, &m),
        }
    }

    fn respond(&self, nsp: &str, requester: &str, kind: u64, data: Json, bins: &[Bytes]) {
        let channel = format!("{}{requester}#", self.channel(nsp));
        self.publish(nsp, channel, kind, data, bins);
    }

    fn on_request(&self, local: &dyn LocalNode, nsp: &str, m: &Message) {
        let request_id = m.str("requestId").map(str::to_owned);
        match m.kind {
            kind::BROADCAST => {
                let Some((event, args)) = m.event(m.data.get("packet").and_then(|p| p.get("data")))
                else {
                    self.link().dropped(&format!("a broadcast on {nsp}"));
                    return;
                };
                let opts = m.opts();
                let Some(id) = request_id else {
                    local.broadcast(nsp, &opts, &event, &args);
                    return;
                };
                let timeout = m
                    .data
                    .get("opts")
                    .and_then(|o| o.get("flags"))
                    .and_then(|f| f.get("timeout"))
                    .and_then(Json::as_u64)
                    .map_or(self.cfg.request_timeout, Duration::from_millis);
                let (link, uid, key) =
                    (self.link().clone(), self.uid.clone(), self.cfg.key.clone());
                let channel = format!("{key}#{nsp}#{}#", m.uid);
                let (l2, c2, u2, n2, id2) = (
                    link.clone(),
                    channel.clone(),
                    uid.clone(),
                    nsp.to_owned(),
                    id.clone(),
                );
                let nsp_owned = nsp.to_owned();
                local.broadcast_with_ack(
                    nsp,
                    &opts,
                    &event,
                    &args,
                    timeout,
                    Box::new(move |n| {
                        let data = object(vec![
                            ("requestId", Json::from(id2)),
                            ("clientCount", Json::from(n)),
                        ]);
                        l2.spublish(
                            c2,
                            encode(kind::BROADCAST_CLIENT_COUNT, data, &[], &u2, &n2),
                        );
                    }),
                    Box::new(move |reply: Payload| {
                        let arg = reply.to_values().into_iter().next().unwrap_or(Json::Null);
                        let data = object(vec![
                            ("requestId", Json::from(id.as_str())),
                            ("packet", arg),
                        ]);
                        let msg = encode(
                            kind::BROADCAST_ACK,
                            data,
                            &reply.attachments,
                            &uid,
                            &nsp_owned,
                        );
                        link.spublish(channel.clone(), msg);
                    }),
                );
            }
            kind::SOCKETS_JOIN | kind::SOCKETS_LEAVE => {
                let opts = m.opts();
                let rooms = wire::json_rooms(m.data.get("rooms"));
                if m.kind == kind::SOCKETS_JOIN {
                    local.add_sockets(nsp, &opts, &rooms);
                } else {
                    local.del_sockets(nsp, &opts, &rooms);
                }
            }
            kind::DISCONNECT_SOCKETS => {
                let close = m.data.get("close").and_then(Json::as_bool).unwrap_or(false);
                local.disconnect_sockets(nsp, &m.opts(), close);
            }
            kind::FETCH_SOCKETS => {
                let Some(id) = request_id else { return };
                let sockets: Vec<Json> = local
                    .fetch_sockets(nsp, &m.opts())
                    .into_iter()
                    .map(|s| {
                        object(vec![
                            ("id", Json::from(s.id)),
                            ("handshake", s.handshake),
                            ("rooms", Json::from(s.rooms)),
                            ("data", s.data),
                        ])
                    })
                    .collect();
                let data = object(vec![
                    ("requestId", Json::from(id)),
                    ("sockets", Json::Array(sockets)),
                ]);
                self.respond(nsp, &m.uid, kind::FETCH_SOCKETS_RESPONSE, data, &[]);
            }
            kind::SERVER_SIDE_EMIT => {
                let Some((event, args)) = m.event(m.data.get("packet")) else {
                    self.link().dropped(&format!("a serverSideEmit on {nsp}"));
                    return;
                };
                let ack = request_id.map(|id| {
                    let (link, uid, requester) =
                        (self.link().clone(), self.uid.clone(), m.uid.clone());
                    let channel = format!("{}{requester}#", self.channel(nsp));
                    let nsp = nsp.to_owned();
                    Box::new(move |reply: Payload| {
                        let arg = reply.to_values().into_iter().next().unwrap_or(Json::Null);
                        let data = object(vec![("requestId", Json::from(id)), ("packet", arg)]);
                        let msg = encode(
                            kind::SERVER_SIDE_EMIT_RESPONSE,
                            data,
                            &reply.attachments,
                            &uid,
                            &nsp,
                        );
                        link.spublish(channel, msg);
                    }) as Box<dyn FnOnce(Payload) + Send>
                });
                local.server_side_emit(nsp, &event, args, ack);
            }
            kind::INITIAL_HEARTBEAT | kind::HEARTBEAT | kind::ADAPTER_CLOSE => {}
            _ => tracing::debug!("redis: ignoring a sharded message of unknown type on {nsp}"),
        }
    }

    fn on_response(&self, m: &Message) {
        let Some(id) = m.str("requestId") else { return };
        if let Some(sink) = self.dispatch.ack_sink(id) {
            match m.kind {
                kind::BROADCAST_CLIENT_COUNT => sink.client_count(
                    m.data
                        .get("clientCount")
                        .and_then(Json::as_u64)
                        .unwrap_or(0) as usize,
                ),
                kind::BROADCAST_ACK => match m.value("packet") {
                    Some(reply) => sink.reply(reply),
                    None => self.link().dropped("an ack reply"),
                },
                _ => {}
            }
            return;
        }
        self.dispatch
            .answer(id, |gathered| match (gathered, m.kind) {
                (Gathered::Sockets(acc), kind::FETCH_SOCKETS_RESPONSE) => {
                    let Some(list) = m.data.get("sockets").and_then(Json::as_array) else {
                        return false;
                    };
                    acc.extend(list.iter().filter_map(SocketInfo::from_json));
                    true
                }
                // A reply nested too deep counts as no answer, as from a node that is down.
                (Gathered::Replies(acc), kind::SERVER_SIDE_EMIT_RESPONSE) => {
                    match m.value("packet") {
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
        data: impl FnOnce(&str) -> Json + Send + 'static,
        gathered: Gathered,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Gathered>> {
        let channel = self.channel(nsp);
        let count = {
            let (link, channel) = (self.link().clone(), channel.clone());
            async move { link.shard_numsub(&channel).await }
        };
        let (link, uid, nsp) = (self.link().clone(), self.uid.clone(), nsp.to_owned());
        let send = move |id: &str| link.spublish(channel, encode(kind, data(id), &[], &uid, &nsp));
        self.dispatch
            .clone()
            .request(count, wire::random_id(), gathered, timeout, send)
            .boxed()
    }
}

impl ClusterAdapter for Arc<ShardedAdapter> {
    fn add_namespace(&self, nsp: &str) -> BoxFuture<'static, bool> {
        let channel = self.channel(nsp);
        let subs = self.subs().clone();
        let mine = format!("{channel}{}#", self.uid);
        // Rooms this namespace already has (a namespace created after clients joined).
        if let Some(local) = self.local.upgrade() {
            let rooms: Vec<Room> = local.rooms(nsp).into_iter().map(Room::from).collect();
            self.rooms_added(nsp, &rooms);
        }
        async move { subs.subscribe(vec![channel, mine]).await }.boxed()
    }

    fn rooms_added(&self, nsp: &str, rooms: &[Room]) {
        if self.mode == SubscriptionMode::Static {
            return;
        }
        let Some(local) = self.local.upgrade() else {
            return;
        };
        let base = self.channel(nsp);
        let mut fresh = Vec::new();
        {
            let mut known = self.rooms.lock();
            for room in rooms {
                if !self.own_channel(&*local, nsp, room) {
                    continue;
                }
                let ch = format!("{base}{room}#");
                if !known.contains_key(&ch) {
                    known.insert(ch.clone(), (nsp.to_owned(), room.to_string()));
                    fresh.push(ch);
                }
            }
        }
        if !fresh.is_empty() {
            self.subs().subscribe_now(fresh);
        }
    }

    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload) {
        if opts.local {
            return;
        }
        let base = self.channel(nsp);
        let channel = match opts.rooms.as_slice() {
            [room]
                if self.mode != SubscriptionMode::Static
                    && self
                        .local
                        .upgrade()
                        .is_some_and(|l| self.own_channel(&*l, nsp, room)) =>
            {
                format!("{base}{room}#")
            }
            _ => base,
        };
        if args.has_binary() {
            let data = object(vec![
                (
                    "packet",
                    object(vec![
                        ("type", Json::from(2)),
                        ("data", {
                            let mut v = vec![Json::from(event)];
                            v.extend(args.to_values());
                            Json::Array(v)
                        }),
                    ]),
                ),
                ("opts", wire::flagged_opts_json(opts, None)),
            ]);
            self.publish(nsp, channel, kind::BROADCAST, data, &args.attachments);
            return;
        }
        // The hot path: JSON text spliced together, arguments never re-parsed.
        let opts = wire::flagged_opts_json(opts, None).to_string();
        let events = event_text(event, args);
        let uid = Json::from(self.uid.as_str()).to_string();
        let nsp_text = Json::from(nsp).to_string();
        let mut msg = String::with_capacity(events.len() + opts.len() + 96);
        msg.push_str(r#"{"type":3,"data":{"packet":{"type":2,"data":"#);
        msg.push_str(&events);
        msg.push_str(r#"},"opts":"#);
        msg.push_str(&opts);
        msg.push_str(r#"},"uid":"#);
        msg.push_str(&uid);
        msg.push_str(r#","nsp":"#);
        msg.push_str(&nsp_text);
        msg.push('}');
        self.link().spublish(channel, msg.into_bytes());
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
        // Always the namespace's channel: the number of answers is SHARDNUMSUB of it.
        let channel = self.channel(nsp);
        let count = {
            let (link, channel) = (self.link().clone(), channel.clone());
            async move { link.shard_numsub(&channel).await }
        };
        let send = |id: &str| {
            let mut data = vec![Json::from(event)];
            data.extend(args.to_values());
            let body = object(vec![
                (
                    "packet",
                    object(vec![("type", Json::from(2)), ("data", Json::Array(data))]),
                ),
                ("requestId", Json::from(id)),
                ("opts", wire::flagged_opts_json(opts, Some(ms))),
            ]);
            self.publish(nsp, channel, kind::BROADCAST, body, &args.attachments);
        };
        self.dispatch
            .broadcast_with_ack(wire::random_id(), sink, timeout, count, send);
    }

    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let data = object(vec![
            ("opts", wire::flagged_opts_json(opts, None)),
            ("rooms", wire::rooms_json(rooms)),
        ]);
        self.publish(nsp, self.channel(nsp), kind::SOCKETS_JOIN, data, &[]);
    }

    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        let data = object(vec![
            ("opts", wire::flagged_opts_json(opts, None)),
            ("rooms", wire::rooms_json(rooms)),
        ]);
        self.publish(nsp, self.channel(nsp), kind::SOCKETS_LEAVE, data, &[]);
    }

    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool) {
        let data = object(vec![
            ("opts", wire::flagged_opts_json(opts, None)),
            ("close", Json::Bool(close)),
        ]);
        self.publish(nsp, self.channel(nsp), kind::DISCONNECT_SOCKETS, data, &[]);
    }

    fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload) {
        let mut packet = vec![Json::from(event)];
        packet.extend(args.to_values());
        let data = object(vec![("packet", Json::Array(packet))]);
        self.publish(nsp, self.channel(nsp), kind::SERVER_SIDE_EMIT, data, &[]);
    }

    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<Payload>>> {
        let mut packet = vec![Json::from(event)];
        packet.extend(args.to_values());
        self.request(
            nsp,
            kind::SERVER_SIDE_EMIT,
            move |id| {
                object(vec![
                    ("requestId", Json::from(id)),
                    ("packet", Json::Array(packet)),
                ])
            },
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
        let opts = wire::flagged_opts_json(opts, None);
        self.request(
            nsp,
            kind::FETCH_SOCKETS,
            move |id| object(vec![("opts", opts), ("requestId", Json::from(id))]),
            Gathered::Sockets(Vec::new()),
            timeout,
        )
        .map(|r| r.map(Gathered::into_sockets))
        .boxed()
    }

    fn all_rooms(
        &self,
        nsp: &str,
        _timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<String>>> {
        // No such request in the sharded protocol: this node's rooms only (the caller adds
        // them), complete only when it is alone.
        let (link, channel) = (self.link().clone(), self.channel(nsp));
        async move {
            let others = link
                .shard_numsub(&channel)
                .await
                .map(|n| n.saturating_sub(1));
            ClusterReply {
                value: Vec::new(),
                answered: 0,
                expected: *others.as_ref().unwrap_or(&0),
                complete: matches!(others, Ok(0)),
            }
        }
        .boxed()
    }

    fn server_count(&self, nsp: &str) -> BoxFuture<'static, Option<usize>> {
        let (link, channel) = (self.link().clone(), self.channel(nsp));
        async move { link.shard_numsub(&channel).await.ok() }.boxed()
    }

    fn stats(&self) -> ClusterStats {
        let mut s = self.link().stats();
        let subs = self.subs();
        s.subscribed = subs.is_subscribed();
        s.received = subs.received();
        s.reconnects += subs.reconnects();
        s
    }

    fn close(&self) {
        self.subs().close();
        self.link().close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_the_golden_binary_broadcast_s3() {
        let s3 = hex("84a47479706503a46461746182a67061636b657482a47479706502a46461746192a362696ec403010203a46f70747383a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380a3756964b030633730653765643463363134633663a36e7370a12f");
        let m = Message::parse(&s3).unwrap();
        assert_eq!(
            (m.kind, m.uid.as_str()),
            (kind::BROADCAST, "0c70e7ed4c614c6c")
        );
        let (event, args) = m
            .event(m.data.get("packet").and_then(|p| p.get("data")))
            .unwrap();
        assert_eq!(event, "bin");
        assert_eq!(args.attachments, vec![Bytes::from_static(&[1, 2, 3])]);
        assert_eq!(m.opts().rooms, vec![Room::from("room1")]);
    }

    #[test]
    fn encodes_broadcasts_and_requests_as_node_does() {
        // S1 and S9 of the golden samples, compared as JSON (key order and uid aside).
        let s1: Json = serde_json::from_str(r#"{"type":3,"data":{"packet":{"type":2,"data":["hello",{"a":1}]},"opts":{"rooms":["room1"],"except":[],"flags":{}}},"uid":"u","nsp":"/"}"#).unwrap();
        let args = Payload::from_json(r#"[{"a":1}]"#).unwrap();
        let text = format!(
            r#"{{"type":3,"data":{{"packet":{{"type":2,"data":{}}},"opts":{}}},"uid":"u","nsp":"/"}}"#,
            event_text("hello", &args),
            wire::flagged_opts_json(&BroadcastOptions::all().to("room1"), None)
        );
        assert_eq!(serde_json::from_str::<Json>(&text).unwrap(), s1);
        assert_eq!(event_text("x", &Payload::empty()), r#"["x"]"#);

        let s9: Json =
            serde_json::from_str(r#"{"type":9,"data":{"packet":["hi",7]},"uid":"u","nsp":"/"}"#)
                .unwrap();
        let data = object(vec![("packet", serde_json::json!(["hi", 7]))]);
        let bytes = encode(kind::SERVER_SIDE_EMIT, data, &[], "u", "/");
        assert_eq!(serde_json::from_slice::<Json>(&bytes).unwrap(), s9);
    }

    #[test]
    fn binary_data_goes_out_as_msgpack_and_comes_back() {
        let bins = vec![Bytes::from_static(b"\x00\xff")];
        let data = object(vec![
            ("requestId", Json::from("r")),
            ("packet", crate::protocol::placeholder(0)),
        ]);
        let bytes = encode(kind::BROADCAST_ACK, data, &bins, "u", "/");
        assert_ne!(bytes[0], b'{');
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.kind, kind::BROADCAST_ACK);
        assert_eq!(m.value("packet").unwrap().attachments, bins);
    }

    #[test]
    fn arguments_a_client_may_send_cross_and_deeper_ones_do_not() {
        use crate::protocol::MAX_DEPTH;
        use wire::tests::{args_nesting, with_bin, LEAVES};
        for leaf in LEAVES {
            for (depth, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
                let args = with_bin(args_nesting(depth, leaf));
                // As a node sends it: JSON, or msgpack when there is a binary.
                let mut values = wire::tests::values(&args);
                values.insert(0, Json::from("e"));
                let packet = object(vec![("type", Json::from(2)), ("data", Json::Array(values))]);
                let data = object(vec![("packet", packet), ("opts", Json::Null)]);
                let bytes = encode(kind::BROADCAST, data, &args.attachments, "u", "/");
                // One level more may already be refused as a message: dropped either way.
                let got = Message::parse(&bytes)
                    .and_then(|m| m.event(m.data.get("packet").and_then(|p| p.get("data"))));
                assert_eq!(got.is_some(), ok, "depth {depth} ending in {leaf}");
                if let Some((_, got)) = got {
                    assert_eq!(got, args);
                }
            }
        }
    }
}
