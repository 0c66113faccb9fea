//! The cluster half of the adapter seam. [`super::Adapter`] keeps one node's rooms,
//! synchronously; a [`ClusterAdapter`] carries the same plain-data operations to the other
//! nodes and brings theirs in, calling back into the node through [`LocalNode`] (which the
//! Socket.IO layer implements, so this module depends on nothing above it).

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

use super::{BroadcastOptions, Room};
use crate::protocol::Payload;

/// A socket as `fetchSockets` reports it, local or on another node.
#[derive(Clone, Debug, PartialEq)]
pub struct SocketInfo {
    /// Socket id.
    pub id: String,
    /// socket.io's handshake object (`headers`, `time`, `address`, `xdomain`, `secure`,
    /// `issued`, `url`, `query`, `auth`).
    pub handshake: Value,
    /// Rooms, its own id room included.
    pub rooms: Vec<String>,
    /// The socket's `data` (JSON, `null` when never set).
    pub data: Value,
}

impl SocketInfo {
    /// A socket as `fetchSockets` responses carry it in JSON (`{id, handshake, rooms,
    /// data}`); `None` without a string `id`.
    pub(crate) fn from_json(v: &Value) -> Option<Self> {
        Some(Self {
            id: v.get("id")?.as_str()?.to_owned(),
            handshake: v.get("handshake").cloned().unwrap_or(Value::Null),
            rooms: v
                .get("rooms")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            data: v.get("data").cloned().unwrap_or(Value::Null),
        })
    }
}

/// The outcome of a request to every node: what arrived, and whether every node answered.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterReply<T> {
    /// The merged answers (this node's included).
    pub value: T,
    /// Other nodes that answered.
    pub answered: usize,
    /// Other nodes that were expected to answer (`PUBSUB NUMSUB` minus this one), or 0
    /// when Redis could not be asked.
    pub expected: usize,
    /// False when the timeout fired or Redis was unreachable: `value` is then partial.
    pub complete: bool,
}

impl<T> ClusterReply<T> {
    /// A reply no other node was asked for: `value` is complete as it is.
    pub fn local(value: T) -> Self {
        Self {
            value,
            answered: 0,
            expected: 0,
            complete: true,
        }
    }

    /// The same reply with its value turned by `f` (merged with this node's, converted).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ClusterReply<U> {
        ClusterReply {
            value: f(self.value),
            answered: self.answered,
            expected: self.expected,
            complete: self.complete,
        }
    }
}

/// Receives the cross-node part of an emit with acknowledgement.
pub trait RemoteAckSink: Send + Sync {
    /// How many other nodes will report (known once Redis answered `NUMSUB`).
    fn servers(&self, n: usize);
    /// One node reported how many of its clients got the packet.
    fn client_count(&self, n: usize);
    /// One client on another node answered (its first ack argument).
    fn reply(&self, args: Payload);
}

/// A socket's recoverable state as the streams adapter keeps it in `sio:session:<pid>`
/// (socket.io's `{sid, pid, rooms, data}`).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    /// Socket id.
    pub sid: String,
    /// Private session id.
    pub pid: String,
    /// Rooms, its own id room included.
    pub rooms: Vec<String>,
    /// The socket's `data` (JSON, `null` when never set).
    pub data: Value,
}

/// A broadcast read back from the cluster's log for a recovering socket.
#[derive(Clone, Debug)]
pub struct LoggedBroadcast {
    /// Its offset (the stream entry id, e.g. `1795303100982-0`).
    pub offset: String,
    /// Who receives it.
    pub opts: BroadcastOptions,
    /// Event name.
    pub event: String,
    /// Arguments.
    pub args: Payload,
}

/// A session found by [`ClusterAdapter::restore_session`] and the namespace's broadcasts
/// after the client's offset, in log order.
#[derive(Clone, Debug)]
pub struct FoundSession {
    /// The stored session (taken: a session is restored once).
    pub session: SessionRecord,
    /// Broadcasts of the namespace after the offset.
    pub missed: Vec<LoggedBroadcast>,
    /// The last log entry read (the client's offset when there was none after it).
    pub upto: String,
}

/// Called with each ack reply of a broadcast made for another node.
pub type OnReply = Box<dyn Fn(Payload) + Send + Sync>;
/// Called once with the number of local recipients of such a broadcast.
pub type OnCount = Box<dyn FnOnce(usize) + Send>;
/// Answers a server-side emit from another node (its one argument).
pub type ServerAckFn = Box<dyn FnOnce(Payload) + Send>;

/// What a cluster adapter asks of the local node. Every call is quick and never blocks.
pub trait LocalNode: Send + Sync + 'static {
    /// Whether the namespace has `room` locally (the room-channel check).
    fn has_room(&self, nsp: &str, room: &str) -> bool;
    /// Delivers a broadcast from another node to local sockets.
    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload);
    /// Delivers a broadcast that wants acks: `count` once, then `reply` per answer.
    #[allow(clippy::too_many_arguments)]
    fn broadcast_with_ack(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        count: OnCount,
        reply: OnReply,
    );
    /// Delivers a broadcast read from the cluster's log at `offset` (the streams adapter;
    /// this node's own broadcasts included, so every node delivers in log order).
    fn broadcast_at(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        offset: &str,
    ) {
        let _ = offset;
        self.broadcast(nsp, opts, event, args);
    }
    /// Local sockets `opts` selects.
    fn fetch_sockets(&self, nsp: &str, opts: &BroadcastOptions) -> Vec<SocketInfo>;
    /// Makes the selected local sockets join `rooms`.
    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// Makes the selected local sockets leave `rooms`.
    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// Disconnects the selected local sockets (`close`: their whole connection).
    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool);
    /// Local room names (socket-id rooms included, as socket.io reports them).
    fn rooms(&self, nsp: &str) -> Vec<String>;
    /// Whether `id` is the id of a local socket of `nsp` (its room is private).
    fn is_socket(&self, _nsp: &str, _id: &str) -> bool {
        false
    }
    /// A server-side emit from another node, handed to the host (with `ack` when the
    /// sender waits for an answer).
    fn server_side_emit(&self, nsp: &str, event: &str, args: Payload, ack: Option<ServerAckFn>);
}

/// Cluster counters (see [`crate::adapter::redis::LinkStats`] for the Redis link's).
pub use super::redis::LinkStats as ClusterStats;

/// What the Socket.IO layer asks of a cluster adapter. Publishing never waits on the
/// network; requests return futures that resolve within their timeout.
pub trait ClusterAdapter: Send + Sync + 'static {
    /// Starts serving a namespace (subscribes to its channels); resolves once subscribed.
    fn add_namespace(&self, nsp: &str) -> BoxFuture<'static, bool>;
    /// Local sockets of `nsp` joined `rooms` (some may be new here): an adapter with
    /// per-room channels subscribes to them. Quick, never waits. Default: nothing.
    fn rooms_added(&self, _nsp: &str, _rooms: &[Room]) {}
    /// Sends a broadcast (already delivered locally) to the other nodes.
    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload);
    /// Sends a broadcast with acks to the other nodes; their counts and replies reach `sink`.
    fn broadcast_with_ack(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        sink: Arc<dyn RemoteAckSink>,
    );
    /// `socketsJoin` on the other nodes.
    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// `socketsLeave` on the other nodes.
    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]);
    /// `disconnectSockets` on the other nodes.
    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool);
    /// `serverSideEmit` without acknowledgement.
    fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload);
    /// `serverSideEmit` with acknowledgement: one reply per other node.
    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<Payload>>>;
    /// Sockets of the other nodes (`fetchSockets`).
    fn fetch_sockets(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<SocketInfo>>>;
    /// Rooms of the other nodes.
    fn all_rooms(
        &self,
        nsp: &str,
        timeout: Duration,
    ) -> BoxFuture<'static, ClusterReply<Vec<String>>>;
    /// Number of nodes serving the namespace (this one included); `None` when Redis could
    /// not be asked.
    fn server_count(&self, nsp: &str) -> BoxFuture<'static, Option<usize>>;
    /// Counters.
    fn stats(&self) -> ClusterStats;
    /// Whether this node's own broadcasts come back through [`LocalNode::broadcast_at`] in
    /// the cluster's order (the streams adapter) instead of being delivered locally at once.
    fn ordered(&self) -> bool {
        false
    }
    /// Stores a recoverable session for `ttl` (connection state recovery across nodes);
    /// a no-op for adapters without cluster-wide sessions.
    fn persist_session(&self, session: &SessionRecord, ttl: Duration) {
        let _ = (session, ttl);
    }
    /// Forgets a stored session (its socket left for good).
    fn forget_session(&self, pid: &str) {
        let _ = pid;
    }
    /// Takes the session `pid` and the namespace's broadcasts after `offset`; `None` when
    /// either is unknown (expired, trimmed, never stored) or Redis cannot be asked.
    fn restore_session(
        &self,
        nsp: &str,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'static, Option<FoundSession>> {
        let _ = (nsp, pid, offset);
        Box::pin(async { None })
    }
    /// Stops talking to the cluster.
    fn close(&self);
}

/// What a cluster request gathers from the other nodes' responses.
pub(crate) enum Gathered {
    /// `fetchSockets`.
    Sockets(Vec<SocketInfo>),
    /// All rooms (deduplicated).
    Rooms(BTreeSet<String>),
    /// `serverSideEmit` with ack: one reply per node.
    Replies(Vec<Payload>),
}

impl Gathered {
    pub(crate) fn into_sockets(self) -> Vec<SocketInfo> {
        match self {
            Gathered::Sockets(v) => v,
            _ => Vec::new(),
        }
    }

    pub(crate) fn into_rooms(self) -> Vec<String> {
        match self {
            Gathered::Rooms(v) => v.into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn into_replies(self) -> Vec<Payload> {
        match self {
            Gathered::Replies(v) => v,
            _ => Vec::new(),
        }
    }
}

struct Pending {
    expected: usize,
    got: usize,
    gathered: Gathered,
    done: Option<oneshot::Sender<()>>,
}

/// The requester's side of every cluster adapter's request/response exchange, whatever
/// the wire format: requests waiting for the other nodes' responses and ack broadcasts
/// waiting for their clients' acks, both by request id. An adapter encodes and publishes,
/// decodes what comes back and hands it here.
#[derive(Default)]
pub(crate) struct Dispatch {
    requests: Mutex<HashMap<String, Pending>>,
    acks: Mutex<HashMap<String, Arc<dyn RemoteAckSink>>>,
}

impl Dispatch {
    /// The sink of this node's ack broadcast `id`, while it still takes answers.
    pub(crate) fn ack_sink(&self, id: &str) -> Option<Arc<dyn RemoteAckSink>> {
        self.acks.lock().get(id).cloned()
    }

    /// A response to request `id` (ignored when no such request waits): `add` merges it
    /// into what the request gathered and says whether it counts as a node's answer.
    pub(crate) fn answer(&self, id: &str, add: impl FnOnce(&mut Gathered) -> bool) {
        let mut requests = self.requests.lock();
        let Some(p) = requests.get_mut(id) else {
            return;
        };
        if add(&mut p.gathered) {
            p.got += 1;
            if p.got >= p.expected {
                if let Some(done) = p.done.take() {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Asks every other node: `count` says how many nodes listen (this one included), then
    /// `send` publishes the request under `id`. Resolves with what arrived when every node
    /// answered or `timeout` fired; with this node's part only when the nodes cannot be
    /// counted.
    pub(crate) async fn request<E: Display>(
        self: Arc<Self>,
        count: impl Future<Output = Result<usize, E>>,
        id: String,
        gathered: Gathered,
        timeout: Duration,
        send: impl FnOnce(&str),
    ) -> ClusterReply<Gathered> {
        let expected = match count.await {
            Ok(n) => n.saturating_sub(1),
            Err(e) => {
                tracing::warn!(
                    "redis: cannot count the nodes ({e}); answering with this node only"
                );
                return ClusterReply {
                    value: gathered,
                    answered: 0,
                    expected: 0,
                    complete: false,
                };
            }
        };
        if expected == 0 {
            return ClusterReply::local(gathered);
        }
        let (tx, rx) = oneshot::channel();
        let pending = Pending {
            expected,
            got: 0,
            gathered,
            done: Some(tx),
        };
        self.requests.lock().insert(id.clone(), pending);
        send(&id);
        let complete = tokio::time::timeout(timeout, rx).await.is_ok();
        let p = self.requests.lock().remove(&id).expect("only removed here");
        if !complete {
            tracing::warn!(
                "redis: cluster request timed out after {timeout:?}: {} of {expected} node(s) answered",
                p.got
            );
        }
        ClusterReply {
            value: p.gathered,
            answered: p.got,
            expected,
            complete: complete || p.got >= expected,
        }
    }

    /// Sends an ack broadcast with `send(id)` and keeps `sink` for its answers until
    /// `timeout`; `count` (the listening nodes, this one included) tells the sink how many
    /// other nodes will report.
    pub(crate) fn broadcast_with_ack<E: Display>(
        self: &Arc<Self>,
        id: String,
        sink: Arc<dyn RemoteAckSink>,
        timeout: Duration,
        count: impl Future<Output = Result<usize, E>> + Send + 'static,
        send: impl FnOnce(&str),
    ) {
        self.acks.lock().insert(id.clone(), sink.clone());
        send(&id);
        let this = self.clone();
        tokio::spawn(async move {
            match count.await {
                Ok(n) => sink.servers(n.saturating_sub(1)),
                Err(e) => {
                    tracing::warn!(
                        "redis: cannot count the nodes for an ack broadcast ({e}); local acks only"
                    );
                    sink.servers(0);
                }
            }
            tokio::time::sleep(timeout).await;
            this.acks.lock().remove(&id);
        });
    }
}
