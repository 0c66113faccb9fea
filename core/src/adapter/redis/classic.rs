//! The classic `@socket.io/redis-adapter` protocol: broadcasts on `<key>#<nsp>#[room#]`,
//! requests on `<key>-request#<nsp>#`, responses on `<key>-response#<nsp>#[uid#]`.
//!
//! Differences from the Node adapter, on purpose: socketsJoin/Leave/disconnectSockets are
//! applied locally at once (the Node sender waits for its own request to come back through
//! Redis, so they would be lost while Redis is down) and our own requests are ignored when
//! they come back; cluster requests resolve with what arrived when the timeout fires
//! (`ClusterReply::complete` says so) instead of failing as a whole.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use parking_lot::Mutex;
use rand::Rng;
use rmpv::Value as Mp;
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use super::conn::{Incoming, LinkError, RedisLink, Subscription};
use super::wire::{self, kind, Body, Channels};
use super::RedisConfig;
use crate::adapter::cluster::{
    ClusterAdapter, ClusterReply, ClusterStats, Dispatch, Gathered, LocalNode, RemoteAckSink,
    SocketInfo,
};
use crate::adapter::{BroadcastOptions, Room};
use crate::protocol::Payload;

/// A random id like `uid2(6)`: 6 characters of `[A-Za-z0-9_-]`.
pub(crate) fn uid2(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// One node's classic Redis adapter (all namespaces of a server share it and its two
/// Redis connections, so `PUBSUB NUMSUB` counts servers, as with Node's shared sub client).
pub struct RedisAdapter {
    uid: String,
    cfg: RedisConfig,
    link: OnceLock<Arc<RedisLink>>,
    local: Weak<dyn LocalNode>,
    channels: Mutex<HashMap<String, Channels>>,
    dispatch: Arc<Dispatch>,
}

impl RedisAdapter {
    /// Connects to Redis (failing at once when it is down) and serves `local`.
    pub async fn connect(
        cfg: RedisConfig,
        local: Weak<dyn LocalNode>,
    ) -> Result<Arc<Self>, LinkError> {
        let this = Arc::new(Self {
            uid: uid2(6),
            cfg,
            link: OnceLock::new(),
            local,
            channels: Mutex::new(HashMap::new()),
            dispatch: Arc::default(),
        });
        let weak = Arc::downgrade(&this);
        let link = RedisLink::connect(
            this.cfg.link.clone(),
            Arc::new(move |m: Incoming<'_>| {
                if let Some(a) = weak.upgrade() {
                    a.on_message(m);
                }
            }),
        )
        .await?;
        let _ = this.link.set(link);
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

    fn channels(&self, nsp: &str) -> Channels {
        if let Some(c) = self.channels.lock().get(nsp) {
            return c.clone();
        }
        Channels::new(&self.cfg.key, nsp)
    }

    fn publish(&self, channel: String, payload: Vec<u8>) {
        self.link().publish(channel, payload);
    }

    fn respond(&self, ch: &Channels, requester: Option<&str>, payload: Vec<u8>) {
        let channel = match requester {
            Some(uid) if self.cfg.specific_response_channel => ch.specific_response(uid),
            _ => ch.response.clone(),
        };
        self.publish(channel, payload);
    }

    fn on_message(&self, m: Incoming<'_>) {
        let key = &self.cfg.key;
        let Some(local) = self.local.upgrade() else {
            return;
        };
        if m.from_pattern {
            // <key>#<nsp>#[<room>#]
            let Some(rest) = m
                .channel
                .strip_prefix(key.as_str())
                .and_then(|r| r.strip_prefix('#'))
            else {
                return;
            };
            let Some(end) = rest.find('#') else { return };
            let nsp = &rest[..end];
            let room = rest[end + 1..].strip_suffix('#').unwrap_or("");
            self.on_broadcast(&*local, nsp, room, m.payload);
            return;
        }
        if let Some(rest) = m.channel.strip_prefix(key.as_str()) {
            if let Some(r) = rest.strip_prefix("-request#") {
                if let Some(nsp) = r.strip_suffix('#') {
                    self.on_request(&*local, nsp, m.payload);
                }
            } else if rest.starts_with("-response#") {
                self.on_response(m.payload);
            }
        }
    }

    fn on_broadcast(&self, local: &dyn LocalNode, nsp: &str, room: &str, payload: &[u8]) {
        // Cheap check first: a room channel is only for nodes that have the room.
        if !room.is_empty() && !local.has_room(nsp, room) {
            return;
        }
        let Some(b) = wire::decode_broadcast(payload) else {
            self.link().dropped(&format!("a broadcast on {nsp}"));
            return;
        };
        if b.uid == self.uid || b.nsp != nsp {
            return;
        }
        local.broadcast(nsp, &b.opts, &b.event, &b.args);
    }

    fn on_request(&self, local: &dyn LocalNode, nsp: &str, payload: &[u8]) {
        let Some(req) = Body::parse(payload) else {
            self.link().dropped(&format!("a request on {nsp}"));
            return;
        };
        // Our own requests come back too: we applied them locally already.
        let uid = req.str("uid");
        if uid == Some(self.uid.as_str()) {
            return;
        }
        let ch = self.channels(nsp);
        let request_id = req.str("requestId").map(str::to_owned);
        let rid = || Json::from(request_id.clone().unwrap_or_default());
        match req.u64("type") {
            Some(kind::SOCKETS) => {
                let opts = BroadcastOptions {
                    rooms: req.rooms("rooms"),
                    ..Default::default()
                };
                let ids: Vec<Json> = local
                    .fetch_sockets(nsp, &opts)
                    .into_iter()
                    .map(|s| Json::from(s.id))
                    .collect();
                let body =
                    wire::json_object(vec![("requestId", rid()), ("sockets", Json::Array(ids))]);
                self.respond(&ch, uid, body);
            }
            Some(kind::ALL_ROOMS) => {
                let rooms = local.rooms(nsp).into_iter().map(Json::from).collect();
                let body =
                    wire::json_object(vec![("requestId", rid()), ("rooms", Json::Array(rooms))]);
                self.respond(&ch, uid, body);
            }
            Some(t @ (kind::REMOTE_JOIN | kind::REMOTE_LEAVE | kind::REMOTE_DISCONNECT)) => {
                // The old per-socket form carries {sid, room} and wants an answer.
                let legacy = req.str("sid").map(BroadcastOptions::socket);
                let opts = legacy.clone().unwrap_or_else(|| req.opts());
                let rooms = match req.str("room") {
                    Some(r) if legacy.is_some() => vec![Room::from(r)],
                    _ => req.rooms("rooms"),
                };
                match t {
                    kind::REMOTE_JOIN => local.add_sockets(nsp, &opts, &rooms),
                    kind::REMOTE_LEAVE => local.del_sockets(nsp, &opts, &rooms),
                    _ => local.disconnect_sockets(nsp, &opts, req.bool("close").unwrap_or(false)),
                }
                if legacy.is_some() && request_id.is_some() {
                    self.respond(&ch, uid, wire::json_object(vec![("requestId", rid())]));
                }
            }
            Some(kind::REMOTE_FETCH) => {
                let sockets: Vec<Json> = local
                    .fetch_sockets(nsp, &req.opts())
                    .into_iter()
                    .map(|s| {
                        let mut m = serde_json::Map::new();
                        m.insert("id".into(), Json::from(s.id));
                        m.insert("handshake".into(), s.handshake);
                        m.insert("rooms".into(), Json::from(s.rooms));
                        m.insert("data".into(), s.data);
                        Json::Object(m)
                    })
                    .collect();
                let body = wire::json_object(vec![
                    ("requestId", rid()),
                    ("sockets", Json::Array(sockets)),
                ]);
                self.respond(&ch, uid, body);
            }
            Some(kind::SERVER_SIDE_EMIT) => {
                let Body::Json(j) = &req else { return };
                let Some(data) = j.get("data").and_then(Json::as_array) else {
                    return;
                };
                let Some((first, rest)) = data.split_first() else {
                    return;
                };
                let event = match first {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let Some(args) = wire::peer_args(rest, Vec::new()) else {
                    self.link().dropped(&format!("a serverSideEmit on {nsp}"));
                    return;
                };
                let ack = request_id.clone().map(|id| {
                    let link = self.link().clone();
                    let channel = ch.response.clone();
                    Box::new(move |reply: Payload| {
                        let data = reply.to_values().into_iter().next().unwrap_or(Json::Null);
                        let body = wire::json_object(vec![
                            ("type", Json::from(kind::SERVER_SIDE_EMIT)),
                            ("requestId", Json::from(id)),
                            ("data", data),
                        ]);
                        link.publish(channel, body);
                    }) as Box<dyn FnOnce(Payload) + Send>
                });
                local.server_side_emit(nsp, &event, args, ack);
            }
            Some(kind::BROADCAST) => {
                let Body::Msgpack(m) = &req else { return };
                let Some(id) = request_id.clone() else { return };
                if self.dispatch.ack_sink(&id).is_some() {
                    return;
                }
                let Some((event, args)) = wire::field(m, "packet")
                    .and_then(|p| wire::field(p, "data"))
                    .and_then(wire::split_event_data)
                else {
                    self.link()
                        .dropped(&format!("a broadcast with acks on {nsp}"));
                    return;
                };
                let opts_v = wire::field(m, "opts");
                let timeout = opts_v
                    .and_then(|o| wire::field(o, "flags"))
                    .and_then(|f| wire::field(f, "timeout"))
                    .and_then(Mp::as_u64)
                    .map_or(self.cfg.request_timeout, Duration::from_millis);
                let opts = wire::mp_opts(opts_v);
                let link = self.link().clone();
                let channel = match uid {
                    Some(u) if self.cfg.specific_response_channel => ch.specific_response(u),
                    _ => ch.response.clone(),
                };
                let (l2, c2, id2) = (link.clone(), channel.clone(), id.clone());
                local.broadcast_with_ack(
                    nsp,
                    &opts,
                    &event,
                    &args,
                    timeout,
                    Box::new(move |n| {
                        let body = wire::json_object(vec![
                            ("type", Json::from(kind::BROADCAST_CLIENT_COUNT)),
                            ("requestId", Json::from(id2)),
                            ("clientCount", Json::from(n)),
                        ]);
                        l2.publish(c2, body);
                    }),
                    Box::new(move |reply: Payload| {
                        let body = wire::encode(&Mp::Map(vec![
                            (Mp::from("type"), Mp::from(kind::BROADCAST_ACK)),
                            (Mp::from("requestId"), Mp::from(id.as_str())),
                            (Mp::from("packet"), wire::value_to_mp(&reply)),
                        ]));
                        link.publish(channel.clone(), body);
                    }),
                );
            }
            _ => tracing::debug!("redis: ignoring a request of unknown type on {nsp}"),
        }
    }

    fn on_response(&self, payload: &[u8]) {
        let Some(res) = Body::parse(payload) else {
            self.link().dropped("a response");
            return;
        };
        let Some(id) = res.str("requestId") else {
            return;
        };
        if let Some(sink) = self.dispatch.ack_sink(id) {
            match res.u64("type") {
                Some(kind::BROADCAST_CLIENT_COUNT) => {
                    sink.client_count(res.u64("clientCount").unwrap_or(0) as usize)
                }
                Some(kind::BROADCAST_ACK) => match res.payload("packet") {
                    Some(reply) => sink.reply(reply),
                    None => self.link().dropped("an ack reply"),
                },
                _ => {}
            }
            return;
        }
        self.dispatch.answer(id, |gathered| match (gathered, &res) {
            (Gathered::Sockets(acc), Body::Json(j)) => {
                let Some(list) = j.get("sockets").and_then(Json::as_array) else {
                    return false;
                };
                acc.extend(list.iter().filter_map(SocketInfo::from_json));
                true
            }
            (Gathered::Rooms(acc), Body::Json(j)) => {
                let Some(list) = j.get("rooms").and_then(Json::as_array) else {
                    return false;
                };
                acc.extend(list.iter().map(|r| match r {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                }));
                true
            }
            // A reply nested too deep counts as no answer, as from a node that is down.
            (Gathered::Replies(acc), _) => match res.payload("data") {
                Some(reply) => {
                    acc.push(reply);
                    true
                }
                None => {
                    self.link().dropped("a serverSideEmit reply");
                    false
                }
            },
            _ => false,
        });
    }

    /// Asks every other node (`fields` follow `uid` and `requestId`); resolves with what
    /// arrived within `timeout`.
    fn request(
        &self,
        nsp: &str,
        fields: Vec<(&'static str, Json)>,
        gathered: Gathered,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Gathered>> {
        let ch = self.channels(nsp);
        let (link, uid) = (self.link().clone(), self.uid.clone());
        let count = {
            let (link, channel) = (link.clone(), ch.request.clone());
            async move { link.numsub(&channel).await }
        };
        let send = move |id: &str| {
            let mut all = vec![("uid", Json::from(uid)), ("requestId", Json::from(id))];
            all.extend(fields);
            link.publish(ch.request, wire::json_object(all));
        };
        self.dispatch
            .clone()
            .request(count, uid2(6), gathered, timeout, send)
            .boxed()
    }

    fn simple_request(&self, nsp: &str, fields: Vec<(&str, Json)>) {
        let ch = self.channels(nsp);
        let mut all = vec![("uid", Json::from(self.uid.as_str()))];
        all.extend(fields);
        self.publish(ch.request, wire::json_object(all));
    }
}

impl ClusterAdapter for Arc<RedisAdapter> {
    fn add_namespace(&self, nsp: &str) -> BoxFuture<'static, bool> {
        let ch = Channels::new(&self.cfg.key, nsp);
        self.channels.lock().insert(nsp.to_owned(), ch.clone());
        let subs = vec![
            Subscription::Pattern(format!("{}*", ch.broadcast)),
            Subscription::Channel(ch.request.clone()),
            Subscription::Channel(ch.response.clone()),
            Subscription::Channel(ch.specific_response(&self.uid)),
        ];
        let link = self.link().clone();
        async move { link.subscribe(subs).await }.boxed()
    }

    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload) {
        if opts.local {
            return;
        }
        let ch = self.channels(nsp);
        let msg = wire::broadcast_message(&self.uid, nsp, opts, wire::event_data(event, args));
        self.publish(ch.broadcast_channel(opts), msg);
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
        let ch = self.channels(nsp);
        let ms = timeout.as_millis().min(u64::MAX as u128) as u64;
        let count = {
            let (link, channel) = (self.link().clone(), ch.request.clone());
            async move { link.numsub(&channel).await }
        };
        let send = |id: &str| {
            let request = wire::encode(&Mp::Map(vec![
                (Mp::from("uid"), Mp::from(self.uid.as_str())),
                (Mp::from("requestId"), Mp::from(id)),
                (Mp::from("type"), Mp::from(kind::BROADCAST)),
                (
                    Mp::from("packet"),
                    wire::packet_mp(nsp, wire::event_data(event, args)),
                ),
                (Mp::from("opts"), wire::opts_mp(opts, Some(ms))),
            ]));
            self.publish(ch.request.clone(), request);
        };
        self.dispatch
            .broadcast_with_ack(uid2(6), sink, timeout, count, send);
    }

    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.simple_request(nsp, wire::rooms_request(kind::REMOTE_JOIN, opts, rooms));
    }

    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.simple_request(nsp, wire::rooms_request(kind::REMOTE_LEAVE, opts, rooms));
    }

    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool) {
        self.simple_request(nsp, wire::disconnect_request(opts, close));
    }

    fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload) {
        self.simple_request(
            nsp,
            vec![
                ("type", Json::from(kind::SERVER_SIDE_EMIT)),
                ("data", wire::event_json(event, args)),
            ],
        );
    }

    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<Payload>>> {
        let fields = vec![
            ("type", Json::from(kind::SERVER_SIDE_EMIT)),
            ("data", wire::event_json(event, args)),
        ];
        self.request(nsp, fields, Gathered::Replies(Vec::new()), timeout)
            .map(|r| r.map(Gathered::into_replies))
            .boxed()
    }

    fn fetch_sockets(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<SocketInfo>>> {
        let fields = vec![
            ("type", Json::from(kind::REMOTE_FETCH)),
            ("opts", wire::opts_json(opts)),
        ];
        self.request(nsp, fields, Gathered::Sockets(Vec::new()), timeout)
            .map(|r| r.map(Gathered::into_sockets))
            .boxed()
    }

    fn all_rooms(
        &self,
        nsp: &str,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<String>>> {
        let fields = vec![("type", Json::from(kind::ALL_ROOMS))];
        self.request(nsp, fields, Gathered::Rooms(BTreeSet::new()), timeout)
            .map(|r| r.map(Gathered::into_rooms))
            .boxed()
    }

    fn server_count(&self, nsp: &str) -> BoxFuture<'static, Option<usize>> {
        let ch = self.channels(nsp);
        let link = self.link().clone();
        async move { link.numsub(&ch.request).await.ok() }.boxed()
    }

    fn stats(&self) -> ClusterStats {
        self.link().stats()
    }

    fn close(&self) {
        self.link().close();
    }
}
