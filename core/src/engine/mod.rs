//! Engine.IO v4: sessions over HTTP long-polling and WebSocket, the upgrade between them,
//! and the server-driven heartbeat. The engine knows sessions and frames only; the layer
//! above plugs in through [`Handler`].

pub(crate) mod bundle;
pub(crate) mod deflate;
mod endpoint;
mod handshake_rate;
mod names;
mod packet;
pub(crate) mod plain;
mod polling;
mod session;
pub(crate) mod websocket;

pub use deflate::{Deflatable, DeflateConfig};
pub(crate) use endpoint::fuzz_handshake;
pub use endpoint::{Body, Endpoint, EngineConfig};
pub use names::{check_name, RequestError};
pub(crate) use packet::{decode_payload, decode_text, EioPacket};
pub use session::{Frame, Pushed, Session, SessionRef, TransportKind};

use bytes::Bytes;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use tokio::time::{sleep_until, Instant};

use crate::sid::Sid;
use crate::text::Text;

/// How long a session closed by the client over polling stays findable for a GET that
/// was already on its way.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// How long a session the server closed in an orderly way (see [`CloseReason::orderly`])
/// while no long-poll was waiting stays findable for the client's next GETs, which get
/// what was still queued, then the close packet. engine.io's polling `closeTimeout`.
const ORDERLY_CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a session ended. The Socket.IO layer passes these strings on as disconnect reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed the transport or sent a close packet.
    TransportClose,
    /// The transport failed (I/O error, oversized message, aborted long-poll).
    TransportError,
    /// No pong within `pingTimeout`.
    PingTimeout,
    /// The client sent something that cannot be decoded.
    ParseError,
    /// The server closed the connection (the host closed it, the connect timeout, or a
    /// Socket.IO packet that cannot be decoded, as socket.io's `conn.close()`).
    ForcedClose,
    /// The server closed the connection because the client sent a packet other than
    /// CONNECT to a namespace it is not in (socket.io's `Client#close()`).
    ForcedServerClose,
    /// The server is stopping.
    ServerShuttingDown,
    /// The outbound queue overflowed (see the slow-consumer policy in `session`).
    SlowConsumer,
    /// The client ran far past its budget of events waiting for the host.
    InboundOverflow,
}

impl CloseReason {
    /// Whether the queued frames are dropped at close instead of flushed: the peer is
    /// gone, stalled or misbehaving, so they would never be read.
    pub(crate) fn drops_queue(self) -> bool {
        matches!(
            self,
            Self::TransportError
                | Self::PingTimeout
                | Self::ParseError
                | Self::SlowConsumer
                | Self::InboundOverflow
        )
    }

    /// Whether the server ends the session in an orderly way, as engine.io's
    /// `socket.close()`: what is queued still goes out, then the close (over polling, a
    /// client with no long-poll waiting gets them on its next GETs).
    pub(crate) fn orderly(self) -> bool {
        matches!(self, Self::ForcedClose | Self::ForcedServerClose)
    }

    /// The reason string socket.io uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::ForcedServerClose => "forced server close",
            Self::ServerShuttingDown => "server shutting down",
            Self::SlowConsumer => "slow consumer",
            Self::InboundOverflow => "inbound overflow",
        }
    }
}

/// What a request that opened a session looked like.
#[derive(Clone, Debug, Default)]
pub struct Handshake {
    /// Request headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw query string (without `?`).
    pub query: String,
    /// The request path and query.
    pub url: String,
    /// Peer IP address as text.
    pub address: String,
    /// When the session opened, milliseconds since the Unix epoch.
    pub issued: u64,
    /// The Engine.IO session id the request opens (socket.io's `socket.conn.id`; empty
    /// for a request that opens no session). Random, or the host's (`generateId`).
    pub conn_id: String,
}

impl Handshake {
    /// The headers with repeated names joined into one value, in first-seen order, as
    /// socket.io (Node's `IncomingMessage.headers`) presents them: values joined with
    /// `", "`, cookies with `"; "`.
    pub fn joined_headers(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            match out.iter_mut().find(|(n, _)| n == name) {
                Some((_, joined)) => {
                    joined.push_str(if name == "cookie" { "; " } else { ", " });
                    joined.push_str(value);
                }
                None => out.push((name.clone(), value.clone())),
            }
        }
        out
    }

    /// The cookies of the `cookie` headers as `(name, value)`, in order (values as sent,
    /// surrounding quotes removed; pairs without `=` skipped).
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                Some((k.trim().to_owned(), v.to_owned()))
            })
            .collect()
    }

    /// A header value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A message from the client (Engine.IO type `4`).
#[derive(Debug)]
pub enum Message<'a> {
    /// Text message.
    Text(&'a str),
    /// Binary message.
    Binary(Bytes),
}

/// The layer above the engine.
pub trait Handler: Send + Sync + 'static {
    /// Per-session state of the layer above.
    type Data: Send + Sync + 'static;
    /// Makes the state of a new session.
    fn create(&self, sid: Sid, handshake: Handshake) -> Self::Data;
    /// Called once the open packet is queued.
    fn on_open(&self, session: &SessionRef<Self::Data>);
    /// A message arrived. Calls for one session never overlap and keep their order.
    fn on_message(&self, session: &SessionRef<Self::Data>, msg: Message<'_>);
    /// `None` when the layer above can take another message from this session now;
    /// otherwise a future that completes once it can. The engine does not read the
    /// session's transport in between (backpressure).
    fn ready(
        &self,
        _session: &SessionRef<Self::Data>,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>> {
        None
    }
    /// The session moved from polling to WebSocket.
    fn on_upgrade(&self, _session: &SessionRef<Self::Data>) {}
    /// Whether refused requests are wanted ([`Handler::on_request_error`]); asked first so
    /// that nothing is built for them otherwise.
    fn wants_request_errors(&self) -> bool {
        false
    }
    /// The engine refused a request (engine.io's `connection_error`).
    fn on_request_error(&self, _error: RequestError) {}
    /// The session ended (called exactly once).
    fn on_close(&self, session: &SessionRef<Self::Data>, reason: CloseReason);
}

/// An Engine.IO endpoint: its configuration, handler and live sessions.
pub struct Engine<H: Handler> {
    pub(crate) cfg: EngineConfig,
    pub(crate) handler: H,
    sessions: RwLock<HashMap<Sid, SessionRef<H::Data>>>,
    /// Sessions whose id the host chose (`generateId`), by that id.
    names: names::Names,
    pub(crate) handshakes: handshake_rate::HandshakeRate,
}

impl<H: Handler> Engine<H> {
    /// A new endpoint.
    pub fn new(cfg: EngineConfig, handler: H) -> Arc<Self> {
        Arc::new(Self {
            handshakes: handshake_rate::HandshakeRate::new(
                cfg.handshakes_per_sec,
                cfg.handshakes_per_sec_per_ip,
            ),
            cfg,
            handler,
            sessions: RwLock::new(HashMap::new()),
            names: names::Names::default(),
        })
    }

    /// A live session by the id its client knows (random, or the host's).
    pub fn session(&self, id: &str) -> Option<SessionRef<H::Data>> {
        let sid = match self.names.get(id) {
            Some(sid) => sid,
            None => Sid::parse(id).filter(|s| !self.names.is_named(s))?,
        };
        self.sessions.read().get(&sid).cloned()
    }

    /// Live sessions over (polling, WebSocket), for the metrics (a session upgrading
    /// counts as polling until the upgrade completes; a closed one lingering for its
    /// client's last GET does not count).
    pub fn sessions_by_transport(&self) -> (usize, usize) {
        let all: Vec<_> = self.sessions.read().values().cloned().collect();
        let (mut polling, mut ws) = (0, 0);
        for s in &all {
            let o = s.outbox.lock();
            match (o.closed, o.transport) {
                (Some(_), _) => {}
                (None, TransportKind::WebSocket) => ws += 1,
                (None, TransportKind::Polling) => polling += 1,
            }
        }
        (polling, ws)
    }

    /// Number of live sessions (not counting closed ones lingering for a last GET).
    pub fn session_count(&self) -> usize {
        let all: Vec<_> = self.sessions.read().values().cloned().collect();
        all.iter().filter(|s| !s.is_closed()).count()
    }

    /// Closes every session with `reason`.
    pub fn close_all(&self, reason: CloseReason) {
        let all: Vec<_> = self.sessions.read().values().cloned().collect();
        for s in all {
            s.close(reason);
        }
    }

    pub(crate) fn forget(&self, sid: Sid) {
        self.sessions.write().remove(&sid);
        self.names.remove(&sid);
    }

    /// Forgets `sid` if it is still the session `which` (a lingering closed session the
    /// client's GET has not already made the engine forget).
    fn forget_if(&self, sid: Sid, which: &Weak<Session<H::Data>>) {
        let same = self
            .sessions
            .read()
            .get(&sid)
            .is_some_and(|s| std::ptr::eq(Arc::as_ptr(s), which.as_ptr()));
        if same {
            self.forget(sid);
        }
    }

    /// The id of a new session: random, or `name` (the host's) when valid and unused.
    pub(crate) fn reserve_id(&self, name: Option<String>) -> Result<names::Reserved, String> {
        self.names.reserve(name, |n| {
            Sid::parse(n).is_some_and(|s| self.sessions.read().contains_key(&s))
        })
    }

    /// Creates a session, queues its open packet, and starts its heartbeat. `id` is the
    /// one [`Engine::reserve_id`] gave for this request (`handshake.conn_id` its text).
    pub(crate) fn open_session(
        self: &Arc<Self>,
        transport: TransportKind,
        handshake: Handshake,
        id: names::Reserved,
    ) -> SessionRef<H::Data> {
        let sid = id.commit();
        let public = handshake.conn_id.clone();
        let data = self.handler.create(sid, handshake);
        let session = Arc::new(Session::new(
            sid,
            data,
            transport,
            self.cfg.max_buffered_frames,
            self.cfg.max_buffered_bytes,
        ));
        let weak_engine: Weak<Self> = Arc::downgrade(self);
        let weak_session = Arc::downgrade(&session);
        session.set_closer(Box::new(move |reason| {
            if let (Some(engine), Some(session)) = (weak_engine.upgrade(), weak_session.upgrade()) {
                // A client that closes over polling may have its long-poll still on the
                // way (sent in parallel with the close); like the reference, let that GET
                // find the session and get its noop for a moment before the sid is gone.
                // One the server closes in an orderly way stays for the client's next GETs
                // (what was queued, then the close packet), as engine.io's does.
                let linger = {
                    let o = session.outbox.lock();
                    let polling = o.transport == TransportKind::Polling && !o.get_waiting_at_close;
                    match reason {
                        _ if !polling => None,
                        CloseReason::TransportClose => Some(CLOSE_LINGER),
                        r if r.orderly() => Some(ORDERLY_CLOSE_LINGER),
                        _ => None,
                    }
                };
                match (tokio::runtime::Handle::try_current(), linger) {
                    (Ok(rt), Some(linger)) => {
                        let (engine, sid) = (engine.clone(), session.sid);
                        let weak = Arc::downgrade(&session);
                        rt.spawn(async move {
                            tokio::time::sleep(linger).await;
                            engine.forget_if(sid, &weak);
                        });
                    }
                    _ => {
                        engine.forget(session.sid);
                    }
                }
                engine.handler.on_close(&session, reason);
            }
        }));
        let upgrades = match transport {
            TransportKind::Polling if self.cfg.allow_websocket => "[\"websocket\"]",
            _ => "[]",
        };
        let open = format!(
            "0{{\"sid\":\"{}\",\"upgrades\":{},\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
            public,
            upgrades,
            self.cfg.ping_interval.as_millis(),
            self.cfg.ping_timeout.as_millis(),
            self.cfg.max_payload
        );
        session.push_control(Frame::Text(Text::from(open)));
        self.sessions.write().insert(sid, session.clone());
        tracing::debug!(
            target: "roomcast::engine",
            %sid,
            transport = transport.as_str(),
            "connection opened"
        );
        tokio::spawn(heartbeat(
            session.clone(),
            self.cfg.ping_interval,
            self.cfg.ping_timeout,
            |s: &Session<H::Data>| s.push_control(Frame::Text(Text::from_static("2"))),
        ));
        self.handler.on_open(&session);
        session
    }

    /// Handles one decoded packet from either transport; `Err` means close with parse error.
    pub(crate) fn on_packet(
        &self,
        session: &SessionRef<H::Data>,
        packet: EioPacket<'_>,
    ) -> Result<(), ()> {
        match packet {
            EioPacket::Message(text) => self.handler.on_message(session, Message::Text(text)),
            EioPacket::Binary(data) => self.handler.on_message(session, Message::Binary(data)),
            EioPacket::Pong => session.got_pong(),
            EioPacket::Close => session.close(CloseReason::TransportClose),
            EioPacket::Noop | EioPacket::Upgrade => {}
            EioPacket::Ping | EioPacket::Open => return Err(()),
        }
        Ok(())
    }
}

/// Server-driven heartbeat: ping every `interval` (with `ping`: an Engine.IO `2`, or a
/// plain WebSocket's ping frame), close if no pong within `timeout`.
/// The first ping goes out `interval` after the session opens; the next one `interval`
/// after each pong, as the reference server does.
///
/// A pong the server did not read is not the client's fault: when the engine held back
/// reading the session (inbound backpressure: the host has too many of its events
/// waiting) at any time since the ping went out, a missing pong does not close it. The
/// next ping then goes out `interval` after the last one, so the client, which drops a
/// server that sends no ping for `interval + timeout`, stays connected too; the client's
/// pongs wait in its TCP stream (or its next polling POST) and are read once the host
/// catches up. A client that stops answering is still dropped: the first round without
/// a hold times it out.
pub(crate) async fn heartbeat<D: Send + Sync + 'static>(
    session: Arc<Session<D>>,
    interval: std::time::Duration,
    timeout: std::time::Duration,
    ping: impl Fn(&Session<D>),
) {
    let mut next_ping = Instant::now() + interval;
    let closed = session.closed_signal.notified();
    tokio::pin!(closed);
    closed.as_mut().enable();
    if session.is_closed() {
        return;
    }
    loop {
        tokio::select! {
            _ = &mut closed => return,
            _ = sleep_until(next_ping) => {}
        }
        let pong = session.pong_signal.notified();
        tokio::pin!(pong);
        pong.as_mut().enable();
        let mark = session.read_hold_mark();
        ping(&session);
        tokio::select! {
            _ = &mut closed => return,
            _ = &mut pong => { next_ping = Instant::now() + interval; }
            _ = sleep_until(next_ping + timeout) => {
                if !session.reads_held_since(mark) {
                    session.close(CloseReason::PingTimeout);
                    return;
                }
                next_ping = (next_ping + interval).max(Instant::now());
            }
        }
    }
}

/// Formats a remote address the way socket.io's `handshake.address` does.
pub(crate) fn address_text(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}
