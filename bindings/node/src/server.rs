//! `NativeServer`: the JavaScript class over one running [`roomcast::host::Server`].
//!
//! Options come as one object of core option names in camelCase (see
//! [`roomcast::host::options::OPTIONS`]; durations in milliseconds); core errors are
//! thrown as `Error`s whose `code` is the core's [`roomcast::host::Error::code`].

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ErrorStrategy, ThreadsafeFunctionCallMode};
use napi::{Env, JsBuffer, JsFunction, JsObject};
use napi_derive::napi;
use parking_lot::Mutex;
use roomcast::host::{AckTokens, ClusterRequest, ConnectRequest, Refusal, RequestCheck, Server};
use roomcast::{BroadcastOptions, NamespaceMatch, NamespaceRule};
use std::sync::Arc;
use std::time::Duration;

use crate::convert::payload;
use crate::events::{self, Deliver};
use crate::namespaces::dynamic_rule;
use crate::options::builder;

/// How long `close()` and environment teardown let connections drain.
const STOP_TIMEOUT: Duration = Duration::from_millis(1000);

/// The server until stopped: shared by `close()` and the environment cleanup hook.
type Slot = Arc<Mutex<Option<Server>>>;

/// One running server. Commands name sockets by id and namespaces by name.
#[napi]
pub struct NativeServer {
    /// Taken by `close()` or by the environment cleanup hook, whichever runs first.
    server: Slot,
    /// A handle that stays usable for commands after close (they fail with "server stopped").
    pub(crate) handle: Server,
    acks: Arc<AckTokens>,
    cleanup: Mutex<Option<napi::CleanupEnvHook<Slot>>>,
    /// Answers of cluster requests go to JavaScript through the event function; dropped by
    /// `close()`, because a held thread-safe function keeps the process alive.
    deliver: Mutex<Option<Deliver>>,
    next_request: std::sync::atomic::AtomicU64,
}

/// Throws `e` as a JavaScript `Error` with `code` set to the core's error code.
pub(crate) fn throw(env: &Env, code: &str, message: String) -> Error {
    let js = napi::JsError::from(Error::new(code, message));
    // SAFETY: `env` is the live environment of the current call.
    unsafe { js.throw_into(env.raw()) };
    Error::from_status(Status::PendingException)
}

pub(crate) fn err(env: &Env, e: roomcast::host::Error) -> Error {
    throw(env, e.code(), e.to_string())
}

pub(crate) fn ms(v: f64) -> Duration {
    Duration::from_millis(v.max(0.0) as u64)
}

fn broadcast(
    rooms: Vec<String>,
    except: Vec<String>,
    volatile: bool,
    compress: Option<bool>,
) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.into_iter().map(Arc::from).collect(),
        except: except.into_iter().map(Arc::from).collect(),
        volatile,
        local: false,
        compress,
    }
}

#[napi]
impl NativeServer {
    /// Binds and starts the server; `on_event` receives every event (see `events.rs`).
    #[napi(constructor)]
    pub fn new(mut env: Env, options: JsObject, on_event: JsFunction) -> Result<Self> {
        let b = builder(&env, &options)?;
        let (server, events) = b.start().map_err(|e| err(&env, e))?;
        let deliver: Deliver = on_event
            .create_threadsafe_function::<_, _, _, ErrorStrategy::Fatal>(0, events::to_js)?;
        let acks = Arc::new(AckTokens::new());
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
            acks,
            cleanup: Mutex::new(Some(hook)),
            deliver: Mutex::new(Some(deliver)),
            next_request: std::sync::atomic::AtomicU64::new(1),
        })
    }

    /// The server's metrics as JSON text (throws ERR_INVALID_CONFIG when metrics are off).
    #[napi]
    pub fn metrics_json(&self, env: Env) -> Result<String> {
        self.handle
            .metrics()
            .map(|m| m.to_json())
            .map_err(|e| err(&env, e))
    }

    /// Turns the admin UI on while running; `options` holds the core's `admin_ui*` options
    /// in camelCase (`adminUi: true` among them). Throws ERR_INVALID_CONFIG naming a bad
    /// option, ERR_INVALID_ARGUMENT when it is on already.
    #[napi]
    pub fn instrument(&self, env: Env, options: JsObject) -> Result<()> {
        let b = builder(&env, &options)?;
        let (config, _) = b
            .build()
            .map_err(|e| err(&env, roomcast::host::Error::Config(e)))?;
        let admin = config.admin_ui.ok_or_else(|| {
            throw(
                &env,
                "ERR_INVALID_CONFIG",
                "instrument: adminUi must be true".into(),
            )
        })?;
        self.handle.instrument(admin).map_err(|e| err(&env, e))
    }

    /// Swaps the TLS certificate chain and key (each PEM text or a file path) for new
    /// connections; throws ERR_INVALID_CONFIG when they do not load (the old ones keep
    /// serving) or the server runs without TLS.
    #[napi]
    pub fn reload_tls(&self, env: Env, cert: String, key: String) -> Result<()> {
        let tls = roomcast::TlsConfig {
            cert: roomcast::Pem::from_arg(&cert),
            key: roomcast::Pem::from_arg(&key),
        };
        self.handle.reload_tls(&tls).map_err(|e| err(&env, e))
    }

    /// The core server (commands work after close and fail with "server stopped").
    pub(crate) fn handle(&self) -> &Server {
        &self.handle
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

    /// Declares an exact namespace; with `middleware`, its connections wait for
    /// JavaScript (a namespace in use takes the new setting).
    #[napi]
    pub fn set_namespace(&self, env: Env, name: String, middleware: bool) -> Result<()> {
        let rule = NamespaceRule {
            matcher: NamespaceMatch::Exact(name),
            middleware,
        };
        self.handle.add_namespace(rule).map_err(|e| err(&env, e))
    }

    /// Declares a dynamic namespace from a RegExp source and flags (`null`: any name).
    #[napi]
    pub fn add_dynamic_namespace(
        &self,
        env: Env,
        source: Option<String>,
        flags: String,
    ) -> Result<()> {
        let rule = dynamic_rule(source.as_deref(), &flags);
        self.handle.add_namespace(rule).map_err(|e| err(&env, e))
    }

    /// `socketsJoin` (`leave`: `socketsLeave`) on every node of the cluster; on this one in
    /// one pass under the adapter's lock.
    #[napi]
    pub fn sockets_join(
        &self,
        env: Env,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        join: Vec<String>,
        leave: bool,
    ) -> Result<()> {
        let to = broadcast(rooms, except, false, None);
        let join: Vec<&str> = join.iter().map(String::as_str).collect();
        let r = if leave {
            self.handle.sockets_leave(&nsp, &to, &join)
        } else {
            self.handle.sockets_join(&nsp, &to, &join)
        };
        r.map_err(|e| err(&env, e))
    }

    /// `disconnectSockets` on every node of the cluster.
    #[napi]
    pub fn disconnect_sockets(
        &self,
        env: Env,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        close: bool,
    ) -> Result<()> {
        let to = broadcast(rooms, except, false, None);
        self.handle
            .disconnect_sockets(&nsp, &to, close)
            .map_err(|e| err(&env, e))
    }

    /// `serverSideEmit` without acknowledgement (`json`: the arguments array).
    #[napi]
    pub fn server_side_emit(
        &self,
        env: Env,
        nsp: String,
        event: String,
        json: String,
    ) -> Result<()> {
        let args = payload(&json, None).map_err(|e| err(&env, e))?;
        self.handle
            .server_side_emit(&nsp, &event, &args)
            .map_err(|e| err(&env, e))
    }

    /// Answers a `server_side_emit` event's ack token with its one argument (JSON array
    /// text); false when it was answered already.
    #[napi]
    pub fn server_side_ack(&self, env: Env, token: f64, json: String) -> Result<bool> {
        let Some(h) = self.acks.take(token as u64) else {
            return Ok(false);
        };
        let args = payload(&json, None).map_err(|e| err(&env, e))?;
        Ok(self.handle.answer(h, &args).is_ok())
    }

    /// Starts a cluster request (`fetchSockets`, `allRooms`, `serverCount`,
    /// `serverSideEmitWithAck`); its answer comes as a `["reply", id, json]` event.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        env: Env,
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
        let to = broadcast(rooms, except, false, None);
        let args = payload(&json, None).map_err(|e| err(&env, e))?;
        let server = self.handle.clone();
        let Some(deliver) = self.deliver.lock().clone() else {
            return Err(err(&env, roomcast::host::Error::Stopped));
        };
        let Some(req) = ClusterRequest::parse(&kind, to, &event, args, ms(timeout_ms)) else {
            return Err(Error::from_reason(format!(
                "unknown cluster request {kind}"
            )));
        };
        server
            .cluster_request_callback(&nsp, req, move |reply| {
                let _ = deliver.call(
                    events::Delivery::Reply(id as f64, reply.to_string()),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            })
            .map_err(|e| err(&env, e))?;
        Ok(id as f64)
    }

    /// Emits to the selected sockets; returns how many it was queued for.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        &self,
        env: Env,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        event: String,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
        local: Option<bool>,
        compress: Option<bool>,
    ) -> Result<u32> {
        let args = payload(&json, attachments).map_err(|e| err(&env, e))?;
        let mut to = broadcast(rooms, except, volatile, compress);
        to.local = local.unwrap_or(false);
        self.handle
            .emit(&nsp, &to, &event, &args)
            .map(|n| n as u32)
            .map_err(|e| err(&env, e))
    }

    /// Emits asking each recipient for an ack; returns the id the `ack` event will carry.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn emit_with_ack(
        &self,
        env: Env,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        volatile: bool,
        event: String,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
        timeout_ms: f64,
        compress: Option<bool>,
    ) -> Result<f64> {
        let args = payload(&json, attachments).map_err(|e| err(&env, e))?;
        let to = broadcast(rooms, except, volatile, compress);
        self.handle
            .emit_with_ack(&nsp, &to, &event, &args, ms(timeout_ms))
            .map(|id| id as f64)
            .map_err(|e| err(&env, e))
    }

    /// Answers the client ack request `token` (from a `message` event); false when it is
    /// gone (answered already, or its socket left).
    #[napi]
    pub fn ack(
        &self,
        env: Env,
        token: f64,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
    ) -> Result<bool> {
        let Some(h) = self.acks.take(token as u64) else {
            return Ok(false);
        };
        let args = payload(&json, attachments).map_err(|e| err(&env, e))?;
        Ok(self.handle.answer(h, &args).is_ok())
    }

    #[napi]
    pub fn join(&self, env: Env, nsp: String, sid: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle
            .join(&nsp, &sid, &rooms)
            .map_err(|e| err(&env, e))
    }

    #[napi]
    pub fn leave(&self, env: Env, nsp: String, sid: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle
            .leave(&nsp, &sid, &rooms)
            .map_err(|e| err(&env, e))
    }

    /// Sends the held CONNECT of a socket (after its connection handlers ran).
    #[napi]
    pub fn release(&self, env: Env, nsp: String, sid: String) -> Result<()> {
        self.handle.release(&nsp, &sid).map_err(|e| err(&env, e))
    }

    /// The rooms of a socket.
    #[napi]
    pub fn rooms_of(&self, env: Env, nsp: String, sid: String) -> Result<Vec<String>> {
        self.handle.rooms_of(&nsp, &sid).map_err(|e| err(&env, e))
    }

    /// Keeps `socket.data` (JSON) for connection state recovery; false when the socket is
    /// neither connected nor saved for recovery.
    #[napi]
    pub fn set_data(&self, env: Env, nsp: String, sid: String, json: String) -> Result<bool> {
        match self.handle.set_data(&nsp, &sid, &json) {
            Ok(()) => Ok(true),
            Err(roomcast::host::Error::NoSuchSocket | roomcast::host::Error::NoSuchNamespace) => {
                Ok(false)
            }
            Err(e) => Err(err(&env, e)),
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
        env: Env,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
    ) -> Result<Vec<String>> {
        self.handle
            .sockets(&nsp, &broadcast(rooms, except, false, None))
            .map_err(|e| err(&env, e))
    }

    /// Disconnects a socket from its namespace; with `close`, its whole connection.
    #[napi]
    pub fn disconnect(&self, env: Env, nsp: String, sid: String, close: bool) -> Result<()> {
        self.handle
            .disconnect(&nsp, &sid, close)
            .map_err(|e| err(&env, e))
    }

    /// Answers a handshake check (the `allowRequest` option): allowed, or refused with
    /// HTTP `status` (default 403) and engine.io's body `{"code":4,"message":message}`
    /// (default "Forbidden").
    #[napi]
    pub fn allow_request(
        &self,
        env: Env,
        request: f64,
        allow: bool,
        status: Option<u32>,
        message: Option<String>,
    ) -> Result<()> {
        let verdict = match allow {
            true => Ok(()),
            false => Err(Refusal {
                status: status.map_or(403, |s| s.min(u16::MAX as u32) as u16),
                message: message.unwrap_or_else(|| "Forbidden".into()),
            }),
        };
        self.handle
            .allow_request(RequestCheck::from_id(request as u64), verdict)
            .map_err(|e| err(&env, e))
    }

    /// Accepts a waiting connection; returns the socket id.
    #[napi]
    pub fn accept(&self, env: Env, request: f64) -> Result<String> {
        self.handle
            .accept(ConnectRequest::from_id(request as u64))
            .map_err(|e| err(&env, e))
    }

    /// Refuses a waiting connection (`data` is JSON text).
    #[napi]
    pub fn reject(
        &self,
        env: Env,
        request: f64,
        message: String,
        data: Option<String>,
    ) -> Result<()> {
        self.handle
            .reject(
                ConnectRequest::from_id(request as u64),
                &message,
                data.as_deref(),
            )
            .map_err(|e| err(&env, e))
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
