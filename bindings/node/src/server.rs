//! `NativeServer`: the JavaScript class over one running [`roomcast::host::Server`].

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ErrorStrategy, ThreadsafeFunctionCallMode};
use napi::{Env, JsBuffer, JsFunction};
use napi_derive::napi;
use parking_lot::Mutex;
use roomcast::host::{ConnectRequest, RedisConfig, Server, ServerAck};
use roomcast::{AllowedOrigins, BroadcastOptions, Config, Cors, RecoveryConfig};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::convert::payload;
use crate::events::{self, Deliver, PendingAcks};
use crate::namespaces::Namespaces;

/// How long `close()` and environment teardown let connections drain.
const STOP_TIMEOUT: Duration = Duration::from_millis(1000);

/// Server options, already normalized by `index.js` (times in milliseconds).
#[napi(object)]
pub struct NativeOptions {
    /// Interface to bind (`"::"` falls back to `"0.0.0.0"` where IPv6 is missing).
    pub host: String,
    /// Port; 0 picks a free one.
    pub port: u32,
    pub path: String,
    pub ping_interval: f64,
    pub ping_timeout: f64,
    pub max_http_buffer_size: f64,
    pub connect_timeout: f64,
    pub allow_polling: bool,
    pub allow_websocket: bool,
    /// CORS: `None` off; `["*"]` any origin; otherwise the allowed origins.
    pub cors_origins: Option<Vec<String>>,
    pub cors_credentials: bool,
    pub static_dir: Option<String>,
    pub client_dir: Option<String>,
    pub worker_threads: Option<u32>,
    /// `connectionStateRecovery.maxDisconnectionDuration` (ms); absent: recovery off.
    pub recovery_max_disconnection_duration: Option<f64>,
    /// `connectionStateRecovery.skipMiddlewares`.
    pub recovery_skip_middlewares: Option<bool>,
    /// `connectionStateRecovery.maxPackets` (roomcast's replay buffer bound).
    pub recovery_max_packets: Option<f64>,
    /// Join a Redis cluster (`redisAdapter({ url, key, requestsTimeout })`).
    pub redis_url: Option<String>,
    pub redis_key: Option<String>,
    pub redis_requests_timeout: Option<f64>,
}

/// The server until stopped: shared by `close()` and the environment cleanup hook.
type Slot = Arc<Mutex<Option<Server>>>;

/// One running server. Commands name sockets by id and namespaces by name.
#[napi]
pub struct NativeServer {
    /// Taken by `close()` or by the environment cleanup hook, whichever runs first.
    server: Slot,
    /// A handle that stays usable for commands after close (they fail with "server stopped").
    handle: Server,
    namespaces: Namespaces,
    acks: Arc<PendingAcks>,
    cleanup: Mutex<Option<napi::CleanupEnvHook<Slot>>>,
    /// Answers of cluster requests go to JavaScript through the event function; dropped by
    /// `close()`, because a held thread-safe function keeps the process alive.
    deliver: Mutex<Option<Deliver>>,
    next_request: std::sync::atomic::AtomicU64,
}

fn err(e: roomcast::host::Error) -> Error {
    Error::from_reason(e.to_string())
}

fn ms(v: f64) -> Duration {
    Duration::from_millis(v.max(0.0) as u64)
}

fn bind_addr(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    if host == "::" {
        return Ok(vec![
            SocketAddr::from(([0u16; 8], port)),
            SocketAddr::from(([0u8; 4], port)),
        ]);
    }
    (host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .map_err(|e| Error::from_reason(format!("cannot resolve {host}: {e}")))
}

fn broadcast(rooms: Vec<String>, except: Vec<String>, volatile: bool) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.into_iter().map(Arc::from).collect(),
        except: except.into_iter().map(Arc::from).collect(),
        volatile,
        local: false,
    }
}

#[napi]
impl NativeServer {
    /// Binds and starts the server; `on_event` receives every event (see `events.rs`).
    #[napi(constructor)]
    pub fn new(mut env: Env, options: NativeOptions, on_event: JsFunction) -> Result<Self> {
        let namespaces = Namespaces::default();
        namespaces.set("/", false);
        let mut config = Config {
            path: options.path,
            ping_interval: ms(options.ping_interval),
            ping_timeout: ms(options.ping_timeout),
            max_payload: options.max_http_buffer_size.max(1.0) as usize,
            connect_timeout: ms(options.connect_timeout),
            allow_polling: options.allow_polling,
            allow_websocket: options.allow_websocket,
            cors: options.cors_origins.map(|o| Cors {
                origins: if o.iter().any(|x| x == "*") {
                    AllowedOrigins::Any
                } else {
                    AllowedOrigins::List(o)
                },
                credentials: options.cors_credentials,
            }),
            namespaces: namespaces.rules(),
            static_dir: options.static_dir.map(PathBuf::from),
            client_dist_dir: options.client_dir.map(PathBuf::from),
            worker_threads: options.worker_threads.map(|n| n as usize),
            connection_state_recovery: options.recovery_max_disconnection_duration.map(|d| {
                let defaults = RecoveryConfig::default();
                RecoveryConfig {
                    max_disconnection_duration: ms(d),
                    skip_middlewares: options
                        .recovery_skip_middlewares
                        .unwrap_or(defaults.skip_middlewares),
                    max_packets: options
                        .recovery_max_packets
                        .map_or(defaults.max_packets, |n| n.max(1.0) as usize),
                }
            }),
            ..Config::default()
        };
        if let Some(url) = options.redis_url {
            let mut rc = RedisConfig::new(url);
            if let Some(k) = options.redis_key {
                rc.key = k;
            }
            if let Some(t) = options.redis_requests_timeout {
                rc.request_timeout = ms(t);
            }
            config.redis = Some(rc);
        }
        let port =
            u16::try_from(options.port).map_err(|_| Error::from_reason("port out of range"))?;
        let mut started = Err(Error::from_reason(format!(
            "cannot resolve {}",
            options.host
        )));
        for addr in bind_addr(&options.host, port)? {
            config.bind = addr;
            match Server::start(config.clone()) {
                Ok(s) => {
                    started = Ok(s);
                    break;
                }
                Err(e) => started = Err(err(e)),
            }
        }
        let (server, events) = started?;
        let deliver: Deliver = on_event
            .create_threadsafe_function::<_, _, _, ErrorStrategy::Fatal>(0, events::to_js)?;
        let acks = Arc::new(PendingAcks::default());
        if let Err(e) = events::spawn(events, deliver.clone(), acks.clone()) {
            server.stop(STOP_TIMEOUT);
            return Err(Error::from_reason(format!(
                "cannot start the event thread: {e}"
            )));
        }
        let slot = Arc::new(Mutex::new(Some(server.clone())));
        // Worker termination or process teardown: stop the server so no thread outlives
        // the environment it reports to.
        let hook = env.add_env_cleanup_hook(slot.clone(), |slot| {
            if let Some(s) = slot.lock().take() {
                s.stop(STOP_TIMEOUT);
            }
        })?;
        Ok(Self {
            server: slot,
            handle: server,
            namespaces,
            acks,
            cleanup: Mutex::new(Some(hook)),
            deliver: Mutex::new(Some(deliver)),
            next_request: std::sync::atomic::AtomicU64::new(1),
        })
    }

    /// The port the server listens on.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.handle.local_addr().port() as u32
    }

    /// The address the server listens on.
    #[napi(getter)]
    pub fn address(&self) -> String {
        self.handle.local_addr().ip().to_string()
    }

    /// Declares an exact namespace (see `namespaces.rs`).
    #[napi]
    pub fn set_namespace(&self, name: String, middleware: bool) {
        self.namespaces.set(&name, middleware);
    }

    /// Declares a dynamic namespace from a RegExp source and flags (`null`: any name).
    #[napi]
    pub fn add_dynamic_namespace(&self, source: Option<String>, flags: String) {
        self.namespaces.add_dynamic(source.as_deref(), &flags);
    }

    /// Emits to the selected sockets; returns how many it was queued for.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        event: String,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
        local: Option<bool>,
    ) -> Result<u32> {
        let args = payload(&json, attachments)?;
        let mut to = broadcast(rooms, except, volatile);
        to.local = local.unwrap_or(false);
        self.handle
            .emit(&nsp, &to, &event, &args)
            .map(|n| n as u32)
            .map_err(err)
    }

    /// Emits asking each recipient for an ack; returns the id the `ack` event will carry.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn emit_with_ack(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        event: String,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
        timeout_ms: f64,
    ) -> Result<f64> {
        let args = payload(&json, attachments)?;
        let to = broadcast(rooms, except, volatile);
        self.handle
            .emit_with_ack(&nsp, &to, &event, &args, ms(timeout_ms))
            .map(|id| id as f64)
            .map_err(err)
    }

    /// Answers the client ack request `key` (from a `message` event); false when it is gone.
    #[napi]
    pub fn ack(&self, key: f64, json: String, attachments: Option<Vec<JsBuffer>>) -> Result<bool> {
        let Some(h) = self.acks.take(key as i64) else {
            return Ok(false);
        };
        let args = payload(&json, attachments)?;
        Ok(self.handle.ack(h, &args).is_ok())
    }

    #[napi]
    pub fn join(&self, nsp: String, sid: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle.join(&nsp, &sid, &rooms).map_err(err)
    }

    #[napi]
    pub fn leave(&self, nsp: String, sid: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle.leave(&nsp, &sid, &rooms).map_err(err)
    }

    /// The rooms of a socket, or `null` when it is not connected.
    #[napi]
    pub fn rooms_of(&self, nsp: String, sid: String) -> Option<Vec<String>> {
        self.handle.rooms_of(&nsp, &sid).ok()
    }

    /// Keeps `socket.data` (JSON) for connection state recovery; false when the socket is
    /// neither connected nor saved for recovery.
    #[napi]
    pub fn set_data(&self, nsp: String, sid: String, json: String) -> Result<bool> {
        match self.handle.set_data(&nsp, &sid, &json) {
            Ok(()) => Ok(true),
            Err(roomcast::host::Error::NoSuchSocket | roomcast::host::Error::NoSuchNamespace) => {
                Ok(false)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// The data a recovered socket had (JSON), if any.
    #[napi]
    pub fn data(&self, nsp: String, sid: String) -> Option<String> {
        self.handle.data(&nsp, &sid).ok().flatten()
    }

    /// Ids of the selected sockets.
    #[napi]
    pub fn sockets(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
    ) -> Result<Vec<String>> {
        self.handle
            .sockets(&nsp, &broadcast(rooms, except, false))
            .map_err(err)
    }

    /// Disconnects a socket from its namespace; with `close`, its whole connection.
    #[napi]
    pub fn disconnect(&self, nsp: String, sid: String, close: bool) -> Result<bool> {
        Ok(self.handle.disconnect(&nsp, &sid, close).is_ok())
    }

    /// Accepts a waiting connection; returns the socket id, or `null` when the client left.
    #[napi]
    pub fn accept(&self, request: f64) -> Option<String> {
        self.handle
            .accept(ConnectRequest::from_id(request as u64))
            .ok()
    }

    /// Refuses a waiting connection (`data` is JSON text); false when the client left.
    #[napi]
    pub fn reject(&self, request: f64, message: String, data: Option<String>) -> Result<bool> {
        match self.handle.reject(
            ConnectRequest::from_id(request as u64),
            &message,
            data.as_deref(),
        ) {
            Ok(()) => Ok(true),
            Err(roomcast::host::Error::InvalidArgument(m)) => Err(Error::from_reason(m)),
            Err(_) => Ok(false),
        }
    }

    /// `socketsJoin` (`leave`: `socketsLeave`) on every node of the cluster.
    #[napi]
    pub fn sockets_join(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        join: Vec<String>,
        leave: bool,
    ) -> Result<()> {
        let to = broadcast(rooms, except, false);
        let join: Vec<&str> = join.iter().map(String::as_str).collect();
        if leave {
            self.handle.sockets_leave(&nsp, &to, &join).map_err(err)
        } else {
            self.handle.sockets_join(&nsp, &to, &join).map_err(err)
        }
    }

    /// `disconnectSockets` on every node of the cluster.
    #[napi]
    pub fn disconnect_sockets(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        close: bool,
    ) -> Result<()> {
        let to = broadcast(rooms, except, false);
        self.handle
            .disconnect_sockets(&nsp, &to, close)
            .map_err(err)
    }

    /// `serverSideEmit` without acknowledgement (`json`: the arguments array).
    #[napi]
    pub fn server_side_emit(&self, nsp: String, event: String, json: String) -> Result<()> {
        let args = payload(&json, None)?;
        self.handle
            .server_side_emit(&nsp, &event, &args)
            .map_err(err)
    }

    /// Answers a `server_side_emit` event's ack id with its one argument (JSON array text).
    #[napi]
    pub fn server_side_ack(&self, id: f64, json: String) -> Result<bool> {
        let args = payload(&json, None)?;
        Ok(self
            .handle
            .server_side_ack(ServerAck::from_id(id as u64), &args)
            .is_ok())
    }

    /// Starts a cluster request (`fetchSockets`, `allRooms`, `serverCount`,
    /// `serverSideEmitWithAck`); its answer comes as a `["reply", id, json]` event.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        kind: String,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        event: String,
        json: String,
        timeout_ms: f64,
    ) -> Result<f64> {
        let id = self
            .next_request
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let to = broadcast(rooms, except, false);
        let args = payload(&json, None)?;
        let server = self.handle.clone();
        let Some(deliver) = self.deliver.lock().clone() else {
            return Err(Error::from_reason("server stopped"));
        };
        let timeout = ms(timeout_ms);
        self.handle.runtime().spawn(async move {
            let reply = cluster_request(&server, &kind, &nsp, &to, &event, &args, timeout).await;
            let text = reply.unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }));
            let _ = deliver.call(
                events::Delivery::Reply(id as f64, text.to_string()),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        });
        Ok(id as f64)
    }

    /// Number of open Engine.IO connections.
    #[napi]
    pub fn connection_count(&self) -> u32 {
        self.handle.connection_count() as u32
    }

    /// Stops the server on a helper thread (the JavaScript thread never blocks); the
    /// `closed` event follows the last disconnect. Idempotent.
    #[napi]
    pub fn close(&self, mut env: Env) -> Result<()> {
        if let Some(hook) = self.cleanup.lock().take() {
            env.remove_env_cleanup_hook(hook)?;
        }
        self.deliver.lock().take();
        if let Some(s) = self.server.lock().take() {
            std::thread::Builder::new()
                .name("roomcast-node-stop".into())
                .spawn(move || s.stop(STOP_TIMEOUT))
                .map_err(|e| Error::from_reason(format!("cannot stop: {e}")))?;
        }
        Ok(())
    }
}

/// Runs one cluster request and renders its answer as JSON for JavaScript.
async fn cluster_request(
    server: &Server,
    kind: &str,
    nsp: &str,
    to: &BroadcastOptions,
    event: &str,
    args: &roomcast::Payload,
    timeout: Duration,
) -> std::result::Result<serde_json::Value, roomcast::host::Error> {
    use serde_json::json;
    Ok(match kind {
        "fetchSockets" => {
            let r = server.fetch_sockets(nsp, to).await?;
            let list: Vec<_> = r
                .value
                .iter()
                .map(|s| json!({"id": s.id, "handshake": s.handshake, "rooms": s.rooms, "data": s.data}))
                .collect();
            json!({"value": list, "complete": r.complete})
        }
        "allRooms" => {
            let r = server.all_rooms(nsp).await?;
            json!({"value": r.value, "complete": r.complete})
        }
        "serverCount" => json!({"value": server.server_count(nsp).await?}),
        "serverSideEmitWithAck" => {
            let r = server
                .server_side_emit_with_ack(nsp, event, args, timeout)
                .await?;
            let v: Vec<_> = r
                .value
                .iter()
                .map(|a| a.to_values().into_iter().next().unwrap_or_default())
                .collect();
            json!({"value": v, "complete": r.complete, "answered": r.answered, "expected": r.expected})
        }
        other => json!({"error": format!("unknown request {other}")}),
    })
}
