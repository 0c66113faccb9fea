//! The binding-neutral host API that C, Python, Node and Rust programs use.
//!
//! [`Server::start`] binds, starts a runtime and returns a [`Server`] handle (cheap to
//! clone, usable from any thread) and the [`Events`] stream. Every command is a plain call
//! that never blocks on I/O; only [`Server::stop`] waits, and after it returns the event
//! stream ends: no event is produced any more.
//!
//! ```no_run
//! use roomcast::host::{Server, Event};
//! use roomcast::{BroadcastOptions, Config, Payload};
//! let (server, events) = Server::start(Config::default()).unwrap();
//! while let Some(ev) = events.recv() {
//!     if let Event::Message { nsp, event, args, .. } = ev {
//!         server.emit(&nsp, &BroadcastOptions::all(), &event, &args).unwrap();
//!     }
//! }
//! ```

mod cluster;
pub use cluster::ClusterRequest;

use parking_lot::Mutex;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::watch;

mod acks;
mod allow;
mod attach;
mod carry;
mod conn;
pub mod engine_io;
mod flat;
mod limits;
pub mod log;
mod metrics;
pub mod options;
mod plain;
pub mod routes;

use crate::adapter::BroadcastOptions;
pub use crate::adapter::RoomChange;
use crate::config::{AllowedOrigins, NamespaceMatch, NamespaceRule};
use crate::engine::bundle::ClientBundle;
use crate::engine::{Engine, EngineConfig};
use crate::http::{self, Router};
use crate::live::Tracker;
use crate::server::{QueuedEvent, SocketIo, SocketIoConfig};
use crate::sid::Sid;
use crate::Config;
use engine_io::RawEndpoint;

pub use attach::{Bridge, BridgeOutput};
pub use carry::{
    CarriedOutput, CarriedRequest, CarriedSocket, HostRequest, HostResponse, Wake, WsFrame,
};

pub use crate::adapter::cluster::{ClusterReply, ClusterStats, SocketInfo};
pub use crate::adapter::redis::{EmitError, Emitter, RedisConfig};
pub use crate::config::{Admission, Refusal, RequestInfo};
pub use crate::engine::{CloseReason, Handshake};
pub use crate::protocol::{placeholder, placeholder_index, Payload};
pub use crate::server::admin::{hash_password as admin_password_hash, is_password_hash};
pub use crate::server::{
    AckHandle, AckReply, AckResult, ConnectRequest, DisconnectReason, Error, Event, PlainData,
    RequestCheck, ServerAck,
};
pub use acks::{AckTokens, PendingAck};
pub use flat::{EventKind, FlatEvent};
pub use metrics::{HistogramSnapshot, MetricsSnapshot};
pub use options::{ConfigBuilder, ConfigError};

/// The ordered stream of [`Event`]s of one server. It ends (returns `None`) once the server
/// has stopped and every event produced before has been taken.
pub struct Events {
    rx: flume::Receiver<QueuedEvent>,
}

/// Why [`Events::recv_timeout`] returned no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// Nothing arrived in time.
    Timeout,
    /// The server has stopped and the stream is drained.
    Stopped,
}

impl Events {
    /// Waits for the next event; `None` after the server stopped.
    pub fn recv(&self) -> Option<Event> {
        self.rx.recv().ok().map(QueuedEvent::into_event)
    }

    /// Waits up to `timeout` for the next event (for game loops and other pull hosts).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, RecvError> {
        self.rx
            .recv_timeout(timeout)
            .map(QueuedEvent::into_event)
            .map_err(|e| match e {
                flume::RecvTimeoutError::Timeout => RecvError::Timeout,
                flume::RecvTimeoutError::Disconnected => RecvError::Stopped,
            })
    }

    /// The next event if one is ready.
    pub fn try_recv(&self) -> Result<Event, RecvError> {
        self.rx
            .try_recv()
            .map(QueuedEvent::into_event)
            .map_err(|e| match e {
                flume::TryRecvError::Empty => RecvError::Timeout,
                flume::TryRecvError::Disconnected => RecvError::Stopped,
            })
    }

    /// Awaits the next event from async code; `None` after the server stopped.
    pub async fn recv_async(&self) -> Option<Event> {
        self.rx.recv_async().await.ok().map(QueuedEvent::into_event)
    }
}

struct Inner {
    io: Arc<SocketIo>,
    engine: Arc<crate::server::SocketIoEngine>,
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
    stopped: AtomicBool,
    connections: Tracker,
    /// The TLS settings when the listener serves HTTPS.
    tls: Option<Arc<crate::tls::Acceptor>>,
    /// The counters, when metrics are on.
    metrics: Option<Arc<crate::metrics::Metrics>>,
    /// How long cluster requests wait for the other nodes.
    request_timeout: Duration,
    /// Handshakes waiting for the host's `allow_request` verdict (with that option).
    allow: Option<Arc<allow::AllowGate>>,
    /// Where accepted and adopted connections enter.
    door: http::Door,
}

/// A running Socket.IO server. Clones share the server.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

fn sid(s: &str) -> Result<Sid, Error> {
    Sid::parse(s).ok_or(Error::NoSuchSocket)
}

impl Server {
    /// Binds `config.bind` and starts the server on a runtime of its own.
    pub fn start(config: Config) -> Result<(Server, Events), Error> {
        Self::start_with(config, Vec::new())
    }

    /// Like [`Server::start`], with plain Engine.IO endpoints mounted beside the Socket.IO
    /// one (each as `(path, endpoint)`, see [`engine_io`]).
    pub fn start_with(
        config: Config,
        extra: Vec<(String, RawEndpoint)>,
    ) -> Result<(Server, Events), Error> {
        Self::start_inner(config, extra, None)
    }

    /// Starts on a listener already bound to `config.bind` (see [`ConfigBuilder::start`]).
    pub(crate) fn start_listening(
        config: Config,
        listener: std::net::TcpListener,
    ) -> Result<(Server, Events), Error> {
        Self::start_inner(config, Vec::new(), Some(listener))
    }

    fn start_inner(
        config: Config,
        extra: Vec<(String, RawEndpoint)>,
        listener: Option<std::net::TcpListener>,
    ) -> Result<(Server, Events), Error> {
        let mut config = config;
        config.path = options::normalize_path(&config.path).map_err(Error::Config)?;
        config.validate().map_err(Error::Config)?;
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = config.worker_threads {
            b.worker_threads(n.max(1));
        }
        let rt = b
            .enable_all()
            .thread_name("roomcast")
            .build()
            .map_err(|e| Error::Io(e.to_string()))?;
        let (server, events) = Self::start_on_with(rt.handle(), config, extra, listener)?;
        *server.inner.runtime.lock() = Some(rt);
        Ok((server, events))
    }

    fn start_on_with(
        handle: &Handle,
        config: Config,
        extra: Vec<(String, RawEndpoint)>,
        listener: Option<std::net::TcpListener>,
    ) -> Result<(Server, Events), Error> {
        // Certificates are checked before serving, so a bad one fails the start cleanly.
        let tls = match &config.tls {
            Some(t) => Some(Arc::new(
                crate::tls::Acceptor::new(t).map_err(Error::Config)?,
            )),
            None => None,
        };
        let std_listener = match (listener, config.listen) {
            (Some(l), _) => Some(l),
            (None, false) => None,
            (None, true) => Some(
                std::net::TcpListener::bind(config.bind)
                    .map_err(|e| Error::Io(format!("cannot listen on {}: {e}", config.bind)))?,
            ),
        };
        // Without a listener (`listen` false) the address is the unspecified one, port 0.
        let mut local_addr = SocketAddr::from(([0, 0, 0, 0], 0));
        if let Some(l) = &std_listener {
            l.set_nonblocking(true)
                .map_err(|e| Error::Io(e.to_string()))?;
            local_addr = l.local_addr().map_err(|e| Error::Io(e.to_string()))?;
        }
        let (tx, rx) = flume::unbounded();
        let metrics =
            (config.metrics || config.metrics_path.is_some() || config.admin_ui.is_some())
                .then(|| Arc::new(crate::metrics::Metrics::default()));
        let mut io_cfg = SocketIoConfig::from_config(&config);
        io_cfg.metrics = metrics.clone();
        let io = Arc::new(SocketIo::new(io_cfg, handle.clone(), tx));
        io.start_sweeper();
        if let Some(redis) = &config.redis {
            cluster::join(
                handle,
                &io,
                redis,
                cluster::exact_namespaces(&config.namespaces),
            )?;
        }
        let connections = Tracker::default();
        // One gate answers both handshakes (allow_request) and plain routes' `verify`.
        // It always exists, asked about handshakes only while its switch is on (the
        // option, or `set_allow_request` later), unless a Rust hook takes its place.
        let own_hook = config.allow_request.is_some() && !config.allow_request_event;
        let gate = allow::AllowGate::new(
            &io,
            config.allow_request_timeout,
            config.allow_request_event,
            !own_hook,
        );
        let allow = Some(gate.clone());
        let mut engine_cfg = EngineConfig::from_config(&config);
        if !own_hook {
            engine_cfg.allow_request = Some(gate.hook());
            engine_cfg.allow_request_on = Some(gate.asking.clone());
        }
        if matches!(&config.cors, Some(c) if c.origins == AllowedOrigins::Host) {
            engine_cfg.origin_check = Some(gate.origin_hook());
        }
        engine_cfg.client_bundle = config
            .client_dist_dir
            .as_ref()
            .map(|dir| Arc::new(ClientBundle::new(dir.clone(), &config.path)));
        engine_cfg.tracker = connections.clone();
        engine_cfg.metrics = metrics.clone();
        let engine = Engine::new(engine_cfg, io.clone());
        // Normalised by `start_inner`: a slash at both ends.
        let path = config.path.clone();
        let mut router = Router::new().engine(&path, engine.clone());
        if let (Some(p), Some(m)) = (&config.metrics_path, &metrics) {
            let ep = metrics::MetricsEndpoint {
                io: io.clone(),
                engine: engine.clone(),
                metrics: m.clone(),
            };
            router = router.endpoint(p, Arc::new(ep));
        }
        for (p, ep) in extra {
            router = router.engine(&p, ep.0);
        }
        for (p, ep) in plain::endpoints(&config, &io, allow.as_ref(), &connections) {
            router = router.endpoint(&p, ep);
        }
        if let Some(dir) = &config.static_dir {
            router = router.files("/", dir);
        }
        let (shutdown, shutdown_rx) = watch::channel(false);
        let door = http::Door::new(
            Arc::new(router),
            shutdown_rx,
            connections.clone(),
            http::HttpLimits::from_config(&config),
        );
        if let Some(l) = std_listener {
            let listener = {
                let _enter = handle.enter();
                tokio::net::TcpListener::from_std(l).map_err(|e| Error::Io(e.to_string()))?
            };
            handle.spawn(http::serve(listener, door.clone(), tls.clone()));
        }
        let tls_on = tls.is_some();
        if let Some(admin) = &config.admin_ui {
            io.install_admin(admin.clone(), engine_counts(&engine))?;
        }
        let inner = Inner {
            io,
            engine,
            local_addr,
            shutdown,
            runtime: Mutex::new(None),
            handle: handle.clone(),
            stopped: AtomicBool::new(false),
            connections,
            tls,
            metrics,
            request_timeout: config
                .redis
                .as_ref()
                .map_or(Duration::from_secs(5), |r| r.request_timeout),
            allow,
            door,
        };
        tracing::info!(
            target: "roomcast::server",
            addr = %local_addr,
            path = %config.path,
            tls = tls_on,
            "listening"
        );
        Ok((
            Server {
                inner: Arc::new(inner),
            },
            Events { rx },
        ))
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Whether the listener serves TLS (HTTPS / WSS).
    pub fn is_tls(&self) -> bool {
        self.inner.tls.is_some()
    }

    /// Swaps the certificate and key without a restart: new connections use them, open
    /// ones keep theirs. A certificate that does not load leaves the old one serving and
    /// returns [`Error::Config`] ([`ConfigError::Tls`] naming the part); a server started
    /// without TLS refuses with the same error (TLS cannot be turned on later).
    pub fn reload_tls(&self, tls: &crate::tls::TlsConfig) -> Result<(), Error> {
        self.live()?;
        match &self.inner.tls {
            Some(acceptor) => {
                let r = acceptor.reload(tls);
                match &r {
                    Ok(()) => {
                        tracing::info!(target: "roomcast::server", "tls certificate reloaded")
                    }
                    Err(e) => tracing::warn!(
                        target: "roomcast::server",
                        reason = %e,
                        "tls reload failed; the previous certificate stays"
                    ),
                }
                r.map_err(Error::Config)
            }
            None => Err(Error::Config(ConfigError::Tls(
                "tls: the server was started without tls_cert/tls_key".into(),
            ))),
        }
    }

    /// The server's metrics now (see [`MetricsSnapshot`]): the same numbers the
    /// `metrics_path` endpoint serves. [`Error::Config`] naming the option when the server
    /// was started without `metrics` or `metrics_path`.
    pub fn metrics(&self) -> Result<MetricsSnapshot, Error> {
        let m = self.inner.metrics.as_ref().ok_or_else(|| {
            Error::Config(ConfigError::OutOfRange(
                "metrics".into(),
                "metrics are off: start the server with metrics or metrics_path",
            ))
        })?;
        Ok(metrics::snapshot(&self.inner.io, &self.inner.engine, m))
    }

    /// Turns the Socket.IO admin UI on while running (`instrument()`; see
    /// [`crate::config::AdminUi`]). Once per server: a second call, or a namespace of that
    /// name already in use, is refused with [`Error::InvalidArgument`]. On a server started
    /// without metrics, the dashboard's byte and packet charts stay empty (start it with
    /// `admin_ui` or `metrics` for them).
    pub fn instrument(&self, admin: crate::config::AdminUi) -> Result<(), Error> {
        let _enter = self.inner.handle.enter();
        self.live()?
            .install_admin(admin, engine_counts(&self.inner.engine))
    }

    /// A handle to the runtime the server runs on.
    pub fn runtime(&self) -> &Handle {
        &self.inner.handle
    }

    fn live(&self) -> Result<&SocketIo, Error> {
        if self.inner.stopped.load(Ordering::Acquire) {
            Err(Error::Stopped)
        } else {
            Ok(&self.inner.io)
        }
    }

    /// Emits `event` to the sockets `to` selects in namespace `nsp`; returns how many
    /// sockets it was queued for. The packet is encoded once for all of them.
    pub fn emit(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        event: &str,
        args: &Payload,
    ) -> Result<usize, Error> {
        self.live()?.emit(nsp, to, event, args)
    }

    /// Emits and asks every recipient to acknowledge. The replies (or the timeout, with
    /// what arrived) come back as one [`Event::AckResponse`] carrying the returned id.
    pub fn emit_with_ack(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> Result<u64, Error> {
        let io = Arc::downgrade(&self.inner.io);
        self.emit_with_ack_callback(nsp, to, event, args, timeout, move |result| {
            if let Some(io) = io.upgrade() {
                io.report(Event::AckResponse(result));
            }
        })
    }

    /// Like [`Server::emit_with_ack`] but calls `done` (on a runtime thread) instead of
    /// producing an event.
    pub fn emit_with_ack_callback(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        done: impl FnOnce(AckResult) + Send + 'static,
    ) -> Result<u64, Error> {
        let _enter = self.inner.handle.enter();
        self.live()?
            .emit_with_ack(nsp, to, event, args, timeout, Box::new(done))
    }

    /// Answers a client's acknowledgement request (consumes the handle: exactly once).
    pub fn ack(&self, handle: AckHandle, args: &Payload) -> Result<(), Error> {
        self.live()?.ack(handle, args)
    }

    /// Puts socket `sid` of `nsp` in `rooms`.
    pub fn join(&self, nsp: &str, sid_: &str, rooms: &[&str]) -> Result<(), Error> {
        self.live()?.join(nsp, sid(sid_)?, rooms)
    }

    /// Takes socket `sid` of `nsp` out of `rooms`.
    pub fn leave(&self, nsp: &str, sid_: &str, rooms: &[&str]) -> Result<(), Error> {
        self.live()?.leave(nsp, sid(sid_)?, rooms)
    }

    /// Reports the room changes of namespace `nsp` (`None`: every namespace, also ones
    /// made later) as [`Event::Room`] from now on: socket.io's adapter events
    /// `create-room`, `delete-room`, `join-room` and `leave-room`, with socket.io's
    /// in-memory adapter's semantics (each socket's own room counts, `Create` before the
    /// first `Join`, `Leave` before the `Delete` of the room it emptied, a disconnecting
    /// socket leaves each room in the order it joined them, between `Disconnecting` and
    /// `Disconnect`). Only this node's membership is reported, also in a cluster (joins
    /// by other nodes' `sockets_join` on this node's sockets included). A namespace not
    /// observed pays one load per change. Observation stays on; a name that does not
    /// start with `/` is [`Error::InvalidArgument`].
    pub fn observe_rooms(&self, nsp: Option<&str>) -> Result<(), Error> {
        self.live()?.observe_rooms(nsp)
    }

    /// The rooms of socket `sid` (its own id room included), sorted.
    pub fn rooms_of(&self, nsp: &str, sid_: &str) -> Result<Vec<String>, Error> {
        self.live()?.rooms_of(nsp, sid(sid_)?)
    }

    /// Ids of the sockets `to` selects (e.g. `BroadcastOptions::all().to("room")`).
    pub fn sockets(&self, nsp: &str, to: &BroadcastOptions) -> Result<Vec<String>, Error> {
        Ok(self
            .live()?
            .sockets(nsp, to)?
            .into_iter()
            .map(|s| s.to_string())
            .collect())
    }

    /// Sets the data of socket `sid` (JSON text) that connection state recovery restores
    /// with it; also accepted for a socket that just lost its transport (its saved session).
    pub fn set_data(&self, nsp: &str, sid_: &str, data: &str) -> Result<(), Error> {
        self.live()?.set_data(nsp, sid(sid_)?, data)
    }

    /// The data of socket `sid` (see [`Server::set_data`]); after a recovery, the data it had.
    pub fn data(&self, nsp: &str, sid_: &str) -> Result<Option<String>, Error> {
        self.live()?.data(nsp, sid(sid_)?)
    }

    /// Accepts namespace `rule` from now on (the same exact name or glob replaces its
    /// rule; a namespace in use takes its middleware setting).
    pub fn add_namespace(&self, rule: NamespaceRule) -> Result<(), Error> {
        if let NamespaceMatch::Exact(n) | NamespaceMatch::Glob(n) = &rule.matcher {
            if !n.starts_with('/') {
                return Err(Error::Config(ConfigError::InvalidNamespace(n.clone())));
            }
        }
        self.live()?.add_namespace(rule);
        Ok(())
    }

    /// Disconnects socket `sid` from `nsp` ("server namespace disconnect"); with
    /// `close_connection`, closes the client's whole connection too.
    pub fn disconnect(&self, nsp: &str, sid_: &str, close_connection: bool) -> Result<(), Error> {
        self.live()?.disconnect(nsp, sid(sid_)?, close_connection)
    }

    /// Sends the CONNECT reply of socket `sid` held in connect-hold mode
    /// ([`Config::hold_connect`]), then what was sent to it meanwhile, in order. Call it
    /// once the connection handler has run; again, it does nothing.
    pub fn release(&self, nsp: &str, sid_: &str) -> Result<(), Error> {
        self.live()?.release(nsp, sid(sid_)?)
    }

    /// Answers an [`Event::AllowRequest`]: `Ok(())` lets the handshake go on, a
    /// [`Refusal`] answers it with its status (400 to 599) and engine.io's body
    /// `{"code":4,"message":..}`. `NoSuchRequest` when it was answered already, timed out
    /// (`allow_request_timeout`), or the option is off. It answers an
    /// [`Event::PlainRequest`] (a plain route's `verify`) too: a refusal answers the
    /// upgrade with its status and the message as text.
    pub fn allow_request(
        &self,
        request: RequestCheck,
        verdict: Result<(), Refusal>,
    ) -> Result<(), Error> {
        self.allow_request_with(request, verdict.map(|()| Admission::default()))
    }

    /// Answers an [`Event::CorsOrigin`] (the `cors_origin_hook` option): `Ok(true)` allows
    /// the request's origin (`Access-Control-Allow-Origin` is that origin), `Ok(false)` does
    /// not (no CORS headers; the request goes on, as the cors package does), and a
    /// [`Refusal`] answers the request with its status (400 to 599; engine.io answers an
    /// error of its cors middleware with 400 "Bad request"). `NoSuchRequest` when it was
    /// answered already or timed out (`allow_request_timeout`: then it was refused).
    pub fn allow_origin(
        &self,
        request: RequestCheck,
        verdict: Result<bool, Refusal>,
    ) -> Result<(), Error> {
        self.live()?;
        if let Err(r) = &verdict {
            if !(400..=599).contains(&r.status) {
                return Err(Error::InvalidArgument(format!(
                    "refusal status {} is not an HTTP error status (400 to 599)",
                    r.status
                )));
            }
        }
        match &self.inner.allow {
            Some(gate) => gate.answer_origin(request, verdict),
            None => Err(Error::NoSuchRequest),
        }
    }

    /// Accepts a connection that waits on middleware; returns the new socket's id.
    pub fn accept(&self, request: ConnectRequest) -> Result<String, Error> {
        self.live()?.accept(request).map(|s| s.to_string())
    }

    /// Refuses a connection that waits on middleware with CONNECT_ERROR
    /// `{"message": message, "data": data}` (`data` is JSON text, omitted when `None`).
    pub fn reject(
        &self,
        request: ConnectRequest,
        message: &str,
        data: Option<&str>,
    ) -> Result<(), Error> {
        self.live()?.reject(request, message, data)
    }

    /// Names of the namespaces that exist now (dynamic ones included).
    pub fn namespaces(&self) -> Vec<String> {
        self.inner.io.namespace_names()
    }

    /// Number of open Engine.IO connections.
    pub fn connection_count(&self) -> usize {
        self.inner.engine.session_count()
    }

    /// Whether [`Server::stop`] has run.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::Acquire)
    }

    /// Stops gracefully within about `timeout`: no new connections, every socket gets
    /// `disconnecting`/`disconnect` with "server shutting down", queued frames are flushed,
    /// then the event stream ends and the runtime (when owned) shuts down. Idempotent.
    /// Blocks the calling thread; from async code prefer a blocking task.
    pub fn stop(&self, timeout: Duration) {
        if self.inner.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        let deadline = Instant::now() + timeout;
        tracing::info!(
            target: "roomcast::server",
            connections = self.inner.engine.session_count(),
            drain_ms = timeout.as_millis() as u64,
            reason = "server shutting down",
            "stopping"
        );
        let _ = self.inner.shutdown.send(true);
        self.inner.io.close_all_sockets();
        self.inner.io.close_all_plain();
        self.inner.engine.close_all(CloseReason::ServerShuttingDown);
        let in_runtime = Handle::try_current().is_ok();
        if !in_runtime {
            // Every HTTP connection and WebSocket task is counted until it has flushed.
            if !self.inner.connections.wait_idle(deadline) {
                tracing::warn!(
                    target: "roomcast::server",
                    "drain timeout: closing the remaining connections"
                );
            }
        }
        self.inner.io.end_events();
        if let Some(c) = self.inner.io.cluster() {
            c.close();
        }
        tracing::info!(target: "roomcast::server", "stopped");
        if let Some(rt) = self.inner.runtime.lock().take() {
            if in_runtime {
                rt.shutdown_background();
            } else {
                rt.shutdown_timeout(
                    deadline
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(10)),
                );
            }
        }
    }
}

/// The admin UI's view of the Engine.IO sessions: (all, polling).
fn engine_counts(
    engine: &Arc<crate::server::SocketIoEngine>,
) -> crate::server::admin::EngineCounts {
    let engine = Arc::downgrade(engine);
    Arc::new(move || {
        engine.upgrade().map_or((0, 0), |e| {
            let (polling, ws) = e.sessions_by_transport();
            (polling + ws, polling)
        })
    })
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle went away without stop(): stop now so nothing keeps running.
        if !self.stopped.swap(true, Ordering::AcqRel) {
            let _ = self.shutdown.send(true);
            self.engine.close_all(CloseReason::ServerShuttingDown);
            self.io.close_all_plain();
            self.io.end_events();
            if let Some(c) = self.io.cluster() {
                c.close();
            }
            if let Some(rt) = self.runtime.lock().take() {
                rt.shutdown_background();
            }
        }
    }
}
