//! The plain WebSocket transport: a bare WebSocket (no Engine.IO framing) on a route such
//! as `/ws/chat`. It reuses the engine's [`Session`]: the same bounded outbound queue and
//! slow-consumer policy, the same writer batching and write timeout, and the heartbeat,
//! here with WebSocket ping frames (a client that answers no ping within the timeout is
//! dropped). The layer above plugs in through [`PlainHandler`].

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::endpoint::{handshake_of, is_websocket_upgrade, text_response, Body, Endpoint};
use super::handshake_rate::HandshakeRate;
use super::websocket::{
    close_code, deflate_answer, end_socket, error_reason, next_message, switching_protocols,
    write_batch, ws_io, WsSink, WsStream, CLOSE_GRACE, READ_BUFFER,
};
use super::{heartbeat, CloseReason, Handshake, Message, Session, SessionRef, TransportKind};
use crate::config::{AllowFuture, Refusal};
use crate::live::Tracker;
use crate::sid::Sid;

/// Settings of one plain route's transport.
#[derive(Clone)]
pub(crate) struct PlainConfig {
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    pub max_message_size: usize,
    pub max_buffered_frames: usize,
    pub max_buffered_bytes: usize,
    pub handshakes_per_sec: u32,
    pub handshakes_per_sec_per_ip: u32,
    /// Negotiate permessage-deflate with clients that offer it (see `deflate`).
    pub per_message_deflate: bool,
    /// Counts live WebSocket tasks for a graceful stop.
    pub tracker: Tracker,
}

/// A close status and reason, as in a WebSocket close frame.
pub type Closing = (u16, String);

/// The transport's state beside the layer above's (`user`).
pub struct Plain<D> {
    /// The layer above's state.
    pub user: D,
    /// A ping is due: the writer sends it before anything queued.
    ping_due: AtomicBool,
    /// The close frame the server sends (the host's code, or a protocol error's).
    sent: Mutex<Option<Closing>>,
    /// The close frame the client sent.
    received: Mutex<Option<Closing>>,
}

/// A plain connection's session.
pub type PlainRef<D> = SessionRef<Plain<D>>;

impl<D> Session<Plain<D>> {
    /// Closes with `code` and `reason` in the close frame, after what is queued.
    pub(crate) fn close_with(&self, code: u16, reason: &str, why: CloseReason) {
        {
            let mut sent = self.data.sent.lock();
            if self.is_closed() {
                return;
            }
            *sent = Some((code, reason.to_owned()));
        }
        self.close(why);
    }

    /// The status and reason the connection ended with: the client's close frame, else
    /// the server's, else 1006 (no close frame) with the engine's reason.
    pub(crate) fn closing(&self, why: CloseReason) -> Closing {
        if let Some(c) = self.data.received.lock().clone() {
            return c;
        }
        if let Some(c) = self.data.sent.lock().clone() {
            return c;
        }
        match why {
            CloseReason::ServerShuttingDown => (1001, why.as_str().to_owned()),
            CloseReason::ForcedClose => (1000, String::new()),
            _ => (1006, why.as_str().to_owned()),
        }
    }
}

/// The layer above a plain route.
pub(crate) trait PlainHandler: Send + Sync + 'static {
    /// Per-connection state of the layer above.
    type Data: Send + Sync + 'static;
    /// A check before the 101 (`None`: none); a refusal answers the upgrade request.
    fn verify(&self, handshake: &Handshake) -> Option<AllowFuture>;
    /// The state of a new connection; `None` refuses it (503) when the layer above cannot
    /// take it now.
    fn create(&self, id: Sid, handshake: Handshake) -> Option<Self::Data>;
    /// The connection is open (after the 101).
    fn on_open(&self, conn: &PlainRef<Self::Data>);
    /// A message arrived; calls for one connection keep their order.
    fn on_message(&self, conn: &PlainRef<Self::Data>, msg: Message<'_>);
    /// `None` when another message can be taken now, else a future that completes once
    /// it can (inbound backpressure, as in [`super::Handler::ready`]).
    fn ready(
        &self,
        conn: &PlainRef<Self::Data>,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>;
    /// The connection ended (once), with its close status and reason.
    fn on_close(&self, conn: &PlainRef<Self::Data>, why: CloseReason);
}

/// One plain route: its settings and handler.
pub(crate) struct PlainEndpoint<H: PlainHandler> {
    cfg: PlainConfig,
    handler: H,
    handshakes: HandshakeRate,
}

impl<H: PlainHandler> PlainEndpoint<H> {
    pub(crate) fn new(cfg: PlainConfig, handler: H) -> Arc<Self> {
        Arc::new(Self {
            handshakes: HandshakeRate::new(cfg.handshakes_per_sec, cfg.handshakes_per_sec_per_ip),
            cfg,
            handler,
        })
    }
}

/// A refusal from the host: its status and message as text (what the `ws` module's
/// `verifyClient` answers).
fn refused(r: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(r.status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::FORBIDDEN);
    text_response(status, r.message)
}

impl<H: PlainHandler> Endpoint for PlainEndpoint<H> {
    fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        remote: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(async move {
            if req.method() != Method::GET || !is_websocket_upgrade(&req) {
                let mut r = text_response(StatusCode::UPGRADE_REQUIRED, "Upgrade Required");
                r.headers_mut()
                    .insert(UPGRADE, HeaderValue::from_static("websocket"));
                return r;
            }
            let version_ok = req
                .headers()
                .get(SEC_WEBSOCKET_VERSION)
                .is_some_and(|v| v == "13");
            let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).filter(|_| version_ok) else {
                let mut r = text_response(StatusCode::BAD_REQUEST, "Bad Request");
                r.headers_mut()
                    .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
                return r;
            };
            if !self.handshakes.allow(remote.ip()) {
                return text_response(StatusCode::TOO_MANY_REQUESTS, "Too many handshakes");
            }
            let accept = derive_accept_key(key.as_bytes());
            let extensions = deflate_answer(self.cfg.per_message_deflate, req.headers());
            let deflate = extensions.is_some();
            let handshake = handshake_of(&req, remote);
            let mut headers = Vec::new();
            if let Some(verdict) = self.handler.verify(&handshake) {
                match verdict.await {
                    Ok(a) => headers = a.headers,
                    Err(r) => return refused(r),
                }
            }
            // The connection opens (in its rooms, known to the host) before the 101, so a
            // client that sees `open` is reached by any emit from then on.
            let Some(conn) = self.open(handshake) else {
                return text_response(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
            };
            let live = self.cfg.tracker.enter();
            let slot = req
                .extensions()
                .get::<Arc<crate::conn_limit::ConnSlot>>()
                .cloned();
            tokio::spawn(async move {
                let _live = live;
                let _slot = slot;
                let Ok(upgraded) = hyper::upgrade::on(req).await else {
                    conn.close(CloseReason::TransportError);
                    return;
                };
                let max = self.cfg.max_message_size;
                let config = WebSocketConfig::default()
                    .read_buffer_size(READ_BUFFER)
                    .max_message_size(Some(max))
                    .max_frame_size(Some(max));
                let ws = WebSocketStream::from_raw_socket(
                    ws_io(upgraded, deflate, max),
                    Role::Server,
                    Some(config),
                )
                .await;
                let (sink, stream) = ws.split();
                let writer = tokio::spawn(write_loop(conn.clone(), sink, deflate));
                let unread = self.read_loop(conn, stream).await;
                end_socket(unread, writer).await;
            });
            let mut resp = switching_protocols(accept, extensions);
            super::endpoint::add_headers(&mut resp, headers);
            resp
        })
    }
}

impl<H: PlainHandler> PlainEndpoint<H> {
    fn open(self: &Arc<Self>, handshake: Handshake) -> Option<PlainRef<H::Data>> {
        let id = Sid::new();
        let data = Plain {
            user: self.handler.create(id, handshake)?,
            ping_due: AtomicBool::new(false),
            sent: Mutex::new(None),
            received: Mutex::new(None),
        };
        let conn = Arc::new(Session::new(
            id,
            data,
            TransportKind::WebSocket,
            self.cfg.max_buffered_frames,
            self.cfg.max_buffered_bytes,
        ));
        let me = Arc::downgrade(self);
        let weak = Arc::downgrade(&conn);
        conn.set_closer(Box::new(move |why| {
            if let (Some(me), Some(conn)) = (me.upgrade(), weak.upgrade()) {
                me.handler.on_close(&conn, why);
            }
        }));
        tokio::spawn(heartbeat(
            conn.clone(),
            self.cfg.ping_interval,
            self.cfg.ping_timeout,
            |s: &Session<Plain<H::Data>>| {
                s.data.ping_due.store(true, Ordering::Release);
                s.wake();
            },
        ));
        self.handler.on_open(&conn);
        Some(conn)
    }

    /// Reads until the connection ends; returns the stream when it stopped on bad input the
    /// server answers with a close code (see [`end_socket`]).
    async fn read_loop(&self, conn: PlainRef<H::Data>, mut stream: WsStream) -> Option<WsStream> {
        let mut unread = None;
        let why = loop {
            let room = self.handler.ready(&conn);
            // `None`: closed meanwhile, by whoever closed it.
            let msg = next_message(&conn, room, &mut stream).await?;
            match msg {
                Some(Ok(WsMessage::Text(t))) => {
                    self.handler.on_message(&conn, Message::Text(t.as_str()))
                }
                Some(Ok(WsMessage::Binary(b))) => {
                    self.handler.on_message(&conn, Message::Binary(b))
                }
                Some(Ok(WsMessage::Pong(_))) => conn.got_pong(),
                Some(Ok(WsMessage::Close(frame))) => {
                    let c = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.as_str().to_owned())
                    });
                    *conn.data.received.lock() = Some(c);
                    break CloseReason::TransportClose;
                }
                None => break CloseReason::TransportClose,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if let Some(code) = close_code(&e) {
                        let reason = match code {
                            CloseCode::Size => "message too big",
                            CloseCode::Invalid => "invalid UTF-8",
                            _ => "protocol error",
                        };
                        *conn.data.sent.lock() = Some((u16::from(code), reason.to_owned()));
                        unread = Some(stream);
                    }
                    break error_reason(&e);
                }
            }
        };
        conn.close(why);
        unread
    }
}

/// Drains the queue into the socket (a due ping first), then sends the close frame; gives
/// the sink back unless a write failed.
async fn write_loop<D>(conn: PlainRef<D>, mut sink: WsSink, deflate: bool) -> Option<WsSink> {
    let mut batch = VecDeque::new();
    loop {
        let closed = {
            let mut o = conn.outbox.lock();
            o.take_frames(&mut batch);
            o.closed
        };
        let ping = conn
            .data
            .ping_due
            .swap(false, Ordering::AcqRel)
            .then(|| WsMessage::Ping(Bytes::new()));
        if !batch.is_empty() || ping.is_some() {
            if let Err(why) = write_batch(&conn, &mut sink, ping, &mut batch, deflate).await {
                conn.close(why);
                drop(batch);
                conn.outbox.lock().release();
                return None;
            }
        }
        if let Some(why) = closed {
            let sent = conn.data.sent.lock().clone();
            let frame = match (sent, why) {
                (Some((code, reason)), _) => Some((code, reason)),
                (None, CloseReason::ServerShuttingDown) => Some((1001, String::new())),
                (None, w) if !w.drops_queue() => Some((1000, String::new())),
                _ => None,
            };
            if let Some((code, reason)) = frame {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: Utf8Bytes::from(reason),
                };
                let _ = tokio::time::timeout(CLOSE_GRACE, async {
                    // After the client's close frame this send is refused; closing the sink
                    // still flushes the reply tungstenite queued for it.
                    let _ = sink.send(WsMessage::Close(Some(frame))).await;
                    sink.close().await
                })
                .await;
            }
            break;
        }
        conn.wake.wait().await;
    }
    drop(batch);
    conn.outbox.lock().release();
    Some(sink)
}
