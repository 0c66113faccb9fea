//! The HTTP face of an Engine.IO endpoint: request validation, the error codes and JSON
//! bodies of the reference server, CORS, and dispatch to polling or WebSocket.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
    ACCESS_CONTROL_MAX_AGE, CONTENT_TYPE, ORIGIN, VARY,
};
use hyper::{Method, Request, Response, StatusCode};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Engine, Handler, Handshake, RequestError, TransportKind};
use crate::config::{
    Admission, AllowRequest, AllowedOrigins, Cors, OriginCheck, Refusal, RequestInfo,
};
use crate::live::Tracker;

/// Response body type used by every endpoint.
pub type Body = Full<Bytes>;

/// Engine-level settings (a subset of [`crate::Config`]).
#[derive(Clone)]
pub struct EngineConfig {
    /// Ping period.
    pub ping_interval: Duration,
    /// Pong deadline after a ping.
    pub ping_timeout: Duration,
    /// Largest message / POST body.
    pub max_payload: usize,
    /// Outbound queue bound per session, in frames.
    pub max_buffered_frames: usize,
    /// Outbound queue bound per session, in bytes.
    pub max_buffered_bytes: usize,
    /// Deadline for a whole polling POST body.
    pub body_timeout: Duration,
    /// Handshakes per second overall (0: no limit).
    pub handshakes_per_sec: u32,
    /// Handshakes per second per IP address (0: no limit).
    pub handshakes_per_sec_per_ip: u32,
    /// Long-polling enabled.
    pub allow_polling: bool,
    /// WebSocket enabled.
    pub allow_websocket: bool,
    /// CORS settings.
    pub cors: Option<Cors>,
    /// Handshake gate.
    pub allow_request: Option<AllowRequest>,
    /// Who decides each request's origin when CORS says [`AllowedOrigins::Host`] (none:
    /// no origin is allowed).
    pub origin_check: Option<OriginCheck>,
    /// When set, the gate is asked only while this is true (a host turns it on when it
    /// starts needing it, e.g. Node's `io.engine.use` after the server started).
    pub allow_request_on: Option<Arc<AtomicBool>>,
    /// Counts live WebSocket tasks (with the HTTP connections) for a graceful stop.
    pub tracker: Tracker,
    /// The server's counters, when metrics are on (upgrades).
    pub metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    /// WebSocket permessage-deflate, when on (see `deflate`).
    pub per_message_deflate: Option<super::DeflateConfig>,
    /// socket.io's client bundle under the engine path (`client_dist_dir`), if served.
    pub(crate) client_bundle: Option<Arc<super::bundle::ClientBundle>>,
}

impl EngineConfig {
    /// Takes the engine settings out of a server config.
    pub fn from_config(c: &crate::Config) -> Self {
        Self {
            ping_interval: c.ping_interval,
            ping_timeout: c.ping_timeout,
            max_payload: c.max_payload,
            max_buffered_frames: c.max_buffered_frames,
            max_buffered_bytes: c.max_buffered_bytes,
            body_timeout: c.body_timeout,
            handshakes_per_sec: c.handshakes_per_sec,
            handshakes_per_sec_per_ip: c.handshakes_per_sec_per_ip,
            allow_polling: c.allow_polling,
            allow_websocket: c.allow_websocket,
            cors: c.cors.clone(),
            allow_request: c.allow_request.clone(),
            origin_check: None,
            allow_request_on: None,
            tracker: Tracker::default(),
            metrics: None,
            per_message_deflate: c.per_message_deflate,
            client_bundle: None,
        }
    }
}

/// Something the HTTP router can hand a request to.
pub trait Endpoint: Send + Sync + 'static {
    /// Answers one request.
    fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        remote: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
}

/// The Engine.IO error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EioError {
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedVersion = 5,
}

impl EioError {
    fn message(self) -> &'static str {
        match self {
            Self::UnknownTransport => "Transport unknown",
            Self::UnknownSid => "Session ID unknown",
            Self::BadHandshakeMethod => "Bad handshake method",
            Self::BadRequest => "Bad request",
            Self::Forbidden => "Forbidden",
            Self::UnsupportedVersion => "Unsupported protocol version",
        }
    }

    pub(crate) fn response(self) -> Response<Body> {
        let status = if self == Self::Forbidden {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_REQUEST
        };
        let body = format!(
            "{{\"code\":{},\"message\":\"{}\"}}",
            self as u8,
            self.message()
        );
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("static response parts are valid")
    }
}

/// An `allow_request` refusal: its status, with engine.io's body `{"code":4,"message":..}`
/// (FORBIDDEN), or code 3 (BAD_REQUEST) for a 400, as engine.io answers a failed engine
/// middleware.
fn refused(r: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(r.status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::FORBIDDEN);
    let code = if status == StatusCode::BAD_REQUEST {
        EioError::BadRequest
    } else {
        EioError::Forbidden
    };
    let body = serde_json::json!({ "code": code as u8, "message": r.message });
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("status and header are valid")
}

/// 429 with a body in the shape of the Engine.IO errors (code 4, as a refusal).
fn too_many_handshakes() -> Response<Body> {
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(
            b"{\"code\":4,\"message\":\"Too many handshakes\"}",
        )))
        .expect("static response parts are valid")
}

pub(crate) fn text_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=UTF-8")
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

/// The query parameters Engine.IO looks at.
#[derive(Default)]
pub(crate) struct EioQuery<'a> {
    pub eio: Option<&'a str>,
    pub transport: Option<&'a str>,
    pub sid: Option<&'a str>,
}

fn parse_query(q: &str) -> EioQuery<'_> {
    let mut out = EioQuery::default();
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "EIO" => out.eio = Some(v),
            "transport" => out.transport = Some(v),
            "sid" => out.sid = Some(v),
            _ => {}
        }
    }
    out
}

/// What the fuzz target `handshake` drives: everything the engine reads from a handshake.
pub(crate) fn fuzz_handshake<B>(req: &Request<B>, remote: SocketAddr) {
    let q = parse_query(req.uri().query().unwrap_or(""));
    let _ = (q.eio, q.transport, q.sid.and_then(crate::sid::Sid::parse));
    let _ = is_websocket_upgrade(req);
    let _ = handshake_of(req, remote);
}

pub(crate) fn is_websocket_upgrade<B>(req: &Request<B>) -> bool {
    req.headers()
        .get(hyper::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

pub(crate) fn handshake_of<B>(req: &Request<B>, remote: SocketAddr) -> Handshake {
    Handshake {
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        query: req.uri().query().unwrap_or("").to_owned(),
        url: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        address: super::address_text(&remote),
        issued: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        conn_id: String::new(),
    }
}

/// Adds CORS headers for `origin` (the request's Origin header) to a response;
/// `host_allowed` is the host's verdict on it ([`AllowedOrigins::Host`]).
fn apply_cors(
    cors: &Cors,
    origin: Option<&HeaderValue>,
    host_allowed: bool,
    resp: &mut Response<Body>,
) {
    let h = resp.headers_mut();
    // The cors package sends these whatever the origin (the browser reads none of them
    // without an allowed origin).
    if let Some(v) = cors.headers.exposed.as_deref().filter(|v| !v.is_empty()) {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v);
        }
    }
    let allowed = match (&cors.origins, origin) {
        (AllowedOrigins::Any, Some(o)) if cors.credentials => Some(o.clone()),
        (AllowedOrigins::Any, _) => Some(HeaderValue::from_static("*")),
        (AllowedOrigins::Host, Some(o)) => host_allowed.then(|| o.clone()),
        (list, Some(o)) => o.to_str().ok().filter(|o| list.lists(o)).map(|_| o.clone()),
        (_, None) => None,
    };
    let Some(allowed) = allowed else { return };
    if allowed != "*" {
        h.append(VARY, HeaderValue::from_static("Origin"));
    }
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
    if cors.credentials {
        h.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// The preflight-only CORS headers (the cors package's): methods (the configured ones,
/// else the package's default list), allowed headers (the
/// configured ones, else those the preflight asks for) and max age.
fn preflight_cors(cors: &Cors, requested: Option<HeaderValue>, h: &mut HeaderMap) {
    let methods = match &cors.headers.methods {
        Some(list) => HeaderValue::from_str(list).ok(),
        None => Some(HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE")),
    };
    if let Some(v) = methods.filter(|v| !v.is_empty()) {
        h.insert(ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    let allowed = match &cors.headers.allowed {
        Some(list) => HeaderValue::from_str(list).ok(),
        None => {
            h.append(
                VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
            requested
        }
    };
    if let Some(v) = allowed.filter(|v| !v.is_empty()) {
        h.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    if let Some(age) = cors.headers.max_age {
        h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
    }
}

impl<H: Handler> Endpoint for Engine<H> {
    fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        remote: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(async move {
            let origin = req.headers().get(ORIGIN).cloned();
            // The host decides the origin first (as the cors middleware runs first in
            // engine.io): an error refuses the request, without CORS headers.
            let mut host_allowed = false;
            if let Some(Cors {
                origins: AllowedOrigins::Host,
                ..
            }) = &self.cfg.cors
            {
                if let Some(check) = &self.cfg.origin_check {
                    let info = RequestInfo {
                        method: req.method().to_string(),
                        handshake: handshake_of(&req, remote),
                    };
                    match check(info).await {
                        Ok(allowed) => host_allowed = allowed,
                        Err(r) => return refused(r),
                    }
                }
            }
            let preflight_headers = req.headers().get("access-control-request-headers").cloned();
            let is_preflight = req.method() == Method::OPTIONS;
            let mut resp = if is_preflight {
                let mut r = Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(Full::new(Bytes::new()))
                    .expect("static response parts are valid");
                if let Some(cors) = &self.cfg.cors {
                    preflight_cors(cors, preflight_headers, r.headers_mut());
                }
                r
            } else if let Some(r) = self.client_file(&req).await {
                r
            } else {
                self.clone().route(req, remote).await
            };
            if let Some(cors) = &self.cfg.cors {
                if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
                    apply_cors(cors, origin.as_ref(), host_allowed, &mut resp);
                }
            }
            resp
        })
    }
}

impl<H: Handler> Engine<H> {
    /// Answers a refused request with `e`, reporting it to the handler when it wants
    /// refusals (`context` is only built then).
    fn refuse<B>(
        &self,
        e: EioError,
        req: &Request<B>,
        remote: SocketAddr,
        context: impl FnOnce() -> serde_json::Value,
    ) -> Response<Body> {
        if self.handler.wants_request_errors() {
            self.handler.on_request_error(RequestError {
                code: e as u8,
                message: e.message(),
                context: context(),
                method: req.method().to_string(),
                handshake: handshake_of(req, remote),
            });
        }
        e.response()
    }

    /// A file of the client bundle when the request names one that can be read (socket.io
    /// serves them before engine.io looks at the request).
    async fn client_file<B>(&self, req: &Request<B>) -> Option<Response<Body>> {
        let bundle = self.cfg.client_bundle.as_ref()?;
        let index = bundle.file_of(req.uri().path())?;
        bundle.serve(index, req).await
    }

    /// Whether handshakes go to the `allow_request` hook now.
    fn asks(&self) -> Option<&AllowRequest> {
        let on = self
            .cfg
            .allow_request_on
            .as_ref()
            .is_none_or(|f| f.load(Ordering::Relaxed));
        self.cfg.allow_request.as_ref().filter(|_| on)
    }

    async fn route(self: Arc<Self>, req: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let query = req.uri().query().unwrap_or("").to_owned();
        let q = parse_query(&query);
        let transport = match q.transport {
            Some("polling") if self.cfg.allow_polling => TransportKind::Polling,
            Some("websocket") if self.cfg.allow_websocket => TransportKind::WebSocket,
            _ => {
                return self.refuse(
                    EioError::UnknownTransport,
                    &req,
                    remote,
                    || json!({ "transport": q.transport }),
                )
            }
        };
        if q.eio != Some("4") {
            return self.refuse(
                EioError::UnsupportedVersion,
                &req,
                remote,
                || json!({ "protocol": q.eio.and_then(|v| v.parse::<u32>().ok()).unwrap_or(3) }),
            );
        }
        let ws_upgrade = is_websocket_upgrade(&req);
        if transport == TransportKind::WebSocket && (!ws_upgrade || req.method() != Method::GET) {
            return self.refuse(EioError::BadRequest, &req, remote, || match q.sid {
                None => json!({ "name": "TRANSPORT_HANDSHAKE_ERROR" }),
                Some(sid) => json!({
                    "name": "TRANSPORT_MISMATCH",
                    "transport": "websocket",
                    "previousTransport": self.session(sid).map(|s| s.outbox.lock().transport.as_str()),
                }),
            });
        }
        match q.sid {
            None => {
                if req.method() != Method::GET {
                    return self.refuse(
                        EioError::BadHandshakeMethod,
                        &req,
                        remote,
                        || json!({ "method": req.method().as_str() }),
                    );
                }
                if !self.handshakes.allow(remote.ip()) {
                    if self.handler.wants_request_errors() {
                        self.handler.on_request_error(RequestError {
                            code: EioError::Forbidden as u8,
                            message: EioError::Forbidden.message(),
                            context: json!({ "message": "Too many handshakes" }),
                            method: req.method().to_string(),
                            handshake: handshake_of(&req, remote),
                        });
                    }
                    return too_many_handshakes();
                }
                let mut handshake = handshake_of(&req, remote);
                let mut admission = Admission::default();
                let mut id = self.reserve_id(None).expect("a random id is always free");
                if let Some(allow) = self.asks() {
                    handshake.conn_id = id.public();
                    let info = RequestInfo {
                        method: req.method().to_string(),
                        handshake: handshake.clone(),
                    };
                    match allow(info).await {
                        Ok(a) => admission = a,
                        Err(r) => return refused(r),
                    }
                    if let Some(name) = admission.id.take() {
                        id = match self.reserve_id(Some(name)) {
                            Ok(named) => named,
                            Err(reason) => {
                                tracing::warn!(target: "roomcast::engine", "handshake refused: {reason}");
                                return self.refuse(
                                    EioError::BadRequest,
                                    &req,
                                    remote,
                                    || json!({ "name": "ID_GENERATION_ERROR", "error": reason }),
                                );
                            }
                        };
                    }
                }
                handshake.conn_id = id.public();
                let mut resp = match transport {
                    TransportKind::Polling => {
                        let session = self.open_session(TransportKind::Polling, handshake, id);
                        self.poll_get(session).await
                    }
                    TransportKind::WebSocket => self.websocket(req, None, handshake, Some(id)),
                };
                add_headers(&mut resp, admission.headers);
                resp
            }
            Some(sid) => {
                let Some(session) = self.session(sid) else {
                    return self.refuse(
                        EioError::UnknownSid,
                        &req,
                        remote,
                        || json!({ "sid": sid }),
                    );
                };
                match (transport, req.method().clone()) {
                    (TransportKind::WebSocket, _) => {
                        self.websocket(req, Some(session), Handshake::default(), None)
                    }
                    (TransportKind::Polling, Method::GET) => self.poll_get(session).await,
                    (TransportKind::Polling, Method::POST) => self.poll_post(session, req).await,
                    _ => EioError::BadRequest.response(),
                }
            }
        }
    }
}

/// Adds the headers a host gave with its admission (checked when it answered; one that
/// is still not valid is skipped).
pub(crate) fn add_headers(resp: &mut Response<Body>, headers: Vec<(String, String)>) {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
}
