//! Cluster-wide operations of the host API (see the README's "Cluster" section). Without
//! a cluster they act on this node alone, so hosts can call them unconditionally.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::runtime::Handle;

use serde_json::{json, Value};

use super::Server;
use crate::adapter::cluster::{ClusterAdapter, ClusterReply, ClusterStats, LocalNode, SocketInfo};
use crate::adapter::redis::{RedisAdapter, RedisConfig, ShardedAdapter, StreamsAdapter};
use crate::adapter::BroadcastOptions;
use crate::config::NamespaceMatch;
use crate::protocol::Payload;
use crate::server::{Error, Event, ServerAck, SocketIo};

/// Connects `io` to the Redis cluster before the server accepts clients. Fails with a clear
/// error (never hangs) when Redis is unreachable: a node that silently started alone would
/// split the cluster without anyone noticing.
pub(super) fn join(
    handle: &Handle,
    io: &Arc<SocketIo>,
    cfg: &RedisConfig,
    exact: Vec<String>,
) -> Result<(), Error> {
    let local: Weak<dyn LocalNode> = Arc::downgrade(io) as Weak<dyn LocalNode>;
    let cfg2 = cfg.clone();
    let url = redact(&cfg.link.url);
    let (names, url2) = (exact.clone(), url.clone());
    let wait = cfg.link.connect_timeout * 2 + cfg.link.command_timeout + Duration::from_secs(1);
    let streams = cfg.streams;
    let (adapter, uid) = block_on(handle, wait, async move {
        let (a, uid): (Arc<dyn ClusterAdapter>, String) = if streams {
            let a = StreamsAdapter::connect(cfg2, local)
                .await
                .map_err(|e| Error::Io(format!("redis ({url2}): {e}")))?;
            let uid = a.uid().to_owned();
            (Arc::new(a), uid)
        } else if cfg2.sharded.is_some() {
            let a = ShardedAdapter::connect(cfg2, local)
                .await
                .map_err(|e| Error::Io(format!("redis ({url2}): {e}")))?;
            let uid = a.uid().to_owned();
            (Arc::new(a), uid)
        } else {
            let a = RedisAdapter::connect(cfg2, local)
                .await
                .map_err(|e| Error::Io(format!("redis ({url2}): {e}")))?;
            let uid = a.uid().to_owned();
            (Arc::new(a), uid)
        };
        for name in &names {
            if !a.add_namespace(name).await {
                return Err(Error::Io(format!(
                    "redis: subscribing to namespace {name} failed"
                )));
            }
        }
        Ok((a, uid))
    })?;
    tracing::info!(
        "joined the Redis cluster at {url} ({} adapter, key {:?}, uid {uid})",
        if streams {
            "streams"
        } else if cfg.sharded.is_some() {
            "sharded"
        } else {
            "classic"
        },
        cfg.key,
    );
    for name in &exact {
        // Created now so that they are served (and counted) before any client arrives.
        let _ = io.namespace(name);
    }
    io.set_cluster(adapter);
    Ok(())
}

/// Namespaces served from the start: `/` (socket.io always has it) and every name a
/// config gives exactly.
pub(super) fn exact_namespaces(rules: &[crate::config::NamespaceRule]) -> Vec<String> {
    let mut names = vec!["/".to_owned()];
    for r in rules {
        if let NamespaceMatch::Exact(n) = &r.matcher {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}

/// The URL without its password, for logs and errors.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

fn block_on<T: Send + 'static>(
    handle: &Handle,
    wait: Duration,
    fut: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    handle.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv_timeout(wait)
        .map_err(|_| Error::Io(format!("redis: no answer within {wait:?}")))?
}

impl Server {
    fn io(&self) -> Result<&Arc<SocketIo>, Error> {
        self.live()?;
        Ok(&self.inner.io)
    }

    /// Runs a request future on the server's runtime, so callers may await it anywhere.
    async fn on_runtime<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Error> {
        self.inner
            .handle
            .spawn(fut)
            .await
            .map_err(|_| Error::Stopped)
    }

    /// Whether this node belongs to a cluster.
    pub fn is_clustered(&self) -> bool {
        self.inner.io.cluster().is_some()
    }

    /// The Redis link's counters (publish errors, reconnects, …), when clustered.
    pub fn cluster_stats(&self) -> Option<ClusterStats> {
        self.inner.io.cluster_stats()
    }

    /// `socketsJoin`: the sockets `to` selects, on every node, join `rooms`.
    pub fn sockets_join(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), Error> {
        self.io()?.sockets_join(nsp, to, rooms)
    }

    /// `socketsLeave`: the sockets `to` selects, on every node, leave `rooms`.
    pub fn sockets_leave(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), Error> {
        self.io()?.sockets_leave(nsp, to, rooms)
    }

    /// `disconnectSockets`: the sockets `to` selects, on every node, are disconnected
    /// (`close`: their whole connection).
    pub fn disconnect_sockets(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        close: bool,
    ) -> Result<(), Error> {
        self.io()?.disconnect_sockets(nsp, to, close)
    }

    /// `serverSideEmit`: an [`crate::Event::ServerSideEmit`] on every other node.
    pub fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload) -> Result<(), Error> {
        self.io()?.server_side_emit(nsp, event, args)
    }

    /// `serverSideEmitWithAck`: one reply per other node, or what arrived by `timeout`
    /// (`complete == false` then).
    pub async fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> Result<ClusterReply<Vec<Payload>>, Error> {
        let fut = self
            .io()?
            .server_side_emit_with_ack(nsp, event, args, timeout)?;
        self.on_runtime(fut).await
    }

    /// Answers an [`crate::Event::ServerSideEmit`] that carried an ack (its one argument:
    /// the first value of `args`).
    pub fn server_side_ack(&self, ack: ServerAck, args: &Payload) -> Result<(), Error> {
        self.io()?.server_side_ack(ack, args)
    }

    /// `fetchSockets` across the cluster (id, handshake, rooms, data), waiting at most the
    /// configured request timeout for the other nodes.
    pub async fn fetch_sockets(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
    ) -> Result<ClusterReply<Vec<SocketInfo>>, Error> {
        let fut = self
            .io()?
            .fetch_sockets(nsp, to, self.inner.request_timeout)?;
        self.on_runtime(fut).await
    }

    /// Room names of every node (socket-id rooms included), sorted.
    pub async fn all_rooms(&self, nsp: &str) -> Result<ClusterReply<Vec<String>>, Error> {
        let fut = self.io()?.all_rooms(nsp, self.inner.request_timeout)?;
        self.on_runtime(fut).await
    }

    /// Nodes serving `nsp` (1 without a cluster); `None` when Redis is unreachable.
    pub async fn server_count(&self, nsp: &str) -> Result<Option<usize>, Error> {
        let fut = self.io()?.server_count(nsp)?;
        self.on_runtime(fut).await
    }
}

/// A cluster request a host starts without awaiting it (C, Python and Node take the answer
/// as JSON, see [`Server::cluster_request`]). The answer is always an object: `{"value":
/// …, "complete": bool, "answered": n, "expected": n}` (`value` a list of sockets
/// `{"id","handshake","rooms","data"}`, of room names, or of the other nodes' replies), for
/// [`ClusterRequest::ServerCount`] `{"value": n}` (`null` when Redis could not be asked),
/// and `{"error": "…", "code": "ERR_…"}` when the request could not start.
#[derive(Clone, Debug)]
pub enum ClusterRequest {
    /// `fetchSockets` of the sockets the options select.
    FetchSockets(BroadcastOptions),
    /// Every room of every node.
    AllRooms,
    /// Nodes serving the namespace.
    ServerCount,
    /// `serverSideEmitWithAck`: one reply (the first ack argument) per other node.
    ServerSideEmitWithAck {
        /// Event name.
        event: String,
        /// Arguments (JSON only).
        args: Payload,
        /// How long to wait for the other nodes.
        timeout: Duration,
    },
}

impl ClusterRequest {
    /// Parses a request name as hosts spell it: `fetchSockets`/`fetch_sockets`,
    /// `allRooms`/`all_rooms`, `serverCount`/`server_count`,
    /// `serverSideEmitWithAck`/`server_side_emit_with_ack` (the arguments unused by the
    /// kind are ignored); `None` for an unknown name.
    pub fn parse(
        kind: &str,
        to: BroadcastOptions,
        event: &str,
        args: Payload,
        timeout: Duration,
    ) -> Option<Self> {
        Some(match kind {
            "fetchSockets" | "fetch_sockets" => Self::FetchSockets(to),
            "allRooms" | "all_rooms" => Self::AllRooms,
            "serverCount" | "server_count" => Self::ServerCount,
            "serverSideEmitWithAck" | "server_side_emit_with_ack" => Self::ServerSideEmitWithAck {
                event: event.to_owned(),
                args,
                timeout,
            },
            _ => return None,
        })
    }
}

fn reply_json<T>(r: ClusterReply<T>, value: Value) -> Value {
    json!({"value": value, "complete": r.complete, "answered": r.answered, "expected": r.expected})
}

fn error_json(e: &Error) -> Value {
    json!({"error": e.to_string(), "code": e.code()})
}

impl Server {
    /// Runs `req` on namespace `nsp` and returns its answer as JSON (see
    /// [`ClusterRequest`]); errors (a stopped server, an unknown namespace) are `Err`.
    pub async fn cluster_request_json(
        &self,
        nsp: &str,
        req: ClusterRequest,
    ) -> Result<Value, Error> {
        Ok(match req {
            ClusterRequest::FetchSockets(to) => {
                let r = self.fetch_sockets(nsp, &to).await?;
                let list: Vec<Value> = r
                    .value
                    .iter()
                    .map(|s| json!({"id": s.id, "handshake": s.handshake, "rooms": s.rooms, "data": s.data}))
                    .collect();
                reply_json(r, Value::Array(list))
            }
            ClusterRequest::AllRooms => {
                let r = self.all_rooms(nsp).await?;
                let v = json!(r.value);
                reply_json(r, v)
            }
            ClusterRequest::ServerCount => json!({"value": self.server_count(nsp).await?}),
            ClusterRequest::ServerSideEmitWithAck {
                event,
                args,
                timeout,
            } => {
                let r = self
                    .server_side_emit_with_ack(nsp, &event, &args, timeout)
                    .await?;
                let v: Vec<Value> = r
                    .value
                    .iter()
                    .map(|a| a.to_values().into_iter().next().unwrap_or_default())
                    .collect();
                reply_json(r, Value::Array(v))
            }
        })
    }

    /// Starts `req` and calls `done` with its answer as JSON (an `{"error", "code"}` object
    /// when it failed once started); returns at once. Fails at once on a stopped server.
    pub fn cluster_request_callback(
        &self,
        nsp: &str,
        req: ClusterRequest,
        done: impl FnOnce(Value) + Send + 'static,
    ) -> Result<(), Error> {
        self.io()?;
        let server = self.clone();
        let nsp = nsp.to_owned();
        self.inner.handle.spawn(async move {
            let v = server
                .cluster_request_json(&nsp, req)
                .await
                .unwrap_or_else(|e| error_json(&e));
            done(v);
        });
        Ok(())
    }

    /// Starts `req` and returns its id at once; the answer comes as an
    /// [`Event::ClusterReply`] with that id, in the event stream (for hosts that take every
    /// result from the stream, like C and asyncio).
    pub fn cluster_request(&self, nsp: &str, req: ClusterRequest) -> Result<u64, Error> {
        let io = self.io()?.clone();
        let id = io.next_request_id();
        self.cluster_request_callback(nsp, req, move |reply| {
            io.report(Event::ClusterReply { id, reply })
        })?;
        Ok(id)
    }
}
