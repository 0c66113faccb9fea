//! WebSocket transport (tokio-tungstenite over a hyper upgrade), including the
//! polling → WebSocket upgrade (`2probe` / `3probe` / `5`).

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    UPGRADE,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame as WsFrame, FrameHeader};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::deflate::{negotiate, DeflateError, InflateIo};
use super::endpoint::{Body, EioError};
use super::packet::{decode_text, EioPacket};
use super::{CloseReason, Engine, Frame, Handler, Handshake, Session, SessionRef, TransportKind};

pub(crate) type Ws = WebSocketStream<InflateIo<TokioIo<hyper::upgrade::Upgraded>>>;
pub(crate) type WsSink = futures_util::stream::SplitSink<Ws, WsMessage>;
pub(crate) type WsStream = futures_util::stream::SplitStream<Ws>;

/// Read buffer per WebSocket. tungstenite zero-fills the whole buffer on the first read,
/// so its 128 KiB default would cost that much resident memory per idle connection; it
/// still grows on demand for big messages.
pub(crate) const READ_BUFFER: usize = 4 * 1024;

/// How long a client may take between `2probe` and `5`.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket message of a frame; `deflate`: the connection negotiated
/// permessage-deflate, so a deflatable frame goes compressed (RSV1 set).
pub(crate) fn to_ws(frame: Frame, deflate: bool) -> WsMessage {
    match frame {
        Frame::Text(t) => {
            // SAFETY: `Text` is valid UTF-8 by construction (see `crate::text`).
            let utf8 = unsafe { Utf8Bytes::from_bytes_unchecked(t.into_bytes()) };
            WsMessage::Text(utf8)
        }
        Frame::Binary(b) => WsMessage::Binary(b),
        Frame::Deflatable(d) => match d.deflated().filter(|_| deflate) {
            Some(z) => {
                let data = match d.frame() {
                    Frame::Text(_) => Data::Text,
                    _ => Data::Binary,
                };
                let header = FrameHeader {
                    is_final: true,
                    rsv1: true,
                    rsv2: false,
                    rsv3: false,
                    opcode: OpCode::Data(data),
                    mask: None,
                };
                WsMessage::Frame(WsFrame::from_payload(header, z.clone()))
            }
            None => to_ws(d.frame().clone(), false),
        },
    }
}

/// The server's side of the permessage-deflate handshake: the `Sec-WebSocket-Extensions`
/// answer, when the server has deflate on and the client offered something acceptable.
pub(crate) fn deflate_answer(on: bool, headers: &hyper::HeaderMap) -> Option<&'static str> {
    if !on {
        return None;
    }
    negotiate(
        headers
            .get_all(SEC_WEBSOCKET_EXTENSIONS)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// The socket under tungstenite: inflating compressed messages up to `max` bytes when
/// deflate was agreed.
pub(crate) fn ws_io(
    upgraded: hyper::upgrade::Upgraded,
    deflate: bool,
    max: usize,
) -> InflateIo<TokioIo<hyper::upgrade::Upgraded>> {
    InflateIo::new(TokioIo::new(upgraded), deflate.then_some(max))
}

impl<H: Handler> Engine<H> {
    /// Accepts the upgrade and runs the socket in a task; `upgrade_of` is the polling
    /// session being upgraded, `None` for a session opened directly over WebSocket.
    pub(crate) fn websocket(
        self: Arc<Self>,
        req: Request<Incoming>,
        upgrade_of: Option<SessionRef<H::Data>>,
        handshake: Handshake,
        id: Option<super::names::Reserved>,
    ) -> Response<Body> {
        let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY) else {
            return EioError::BadRequest.response();
        };
        // A second WebSocket for a session that is upgrading or upgraded is accepted and
        // closed at once (what clients of the reference server see).
        let refused = upgrade_of.as_ref().is_some_and(|s| {
            let o = s.outbox.lock();
            o.transport != TransportKind::Polling || o.upgrading || o.closed.is_some()
        });
        let accept = derive_accept_key(key.as_bytes());
        let extensions = deflate_answer(self.cfg.per_message_deflate.is_some(), req.headers());
        let deflate = extensions.is_some();
        let max = self.cfg.max_payload;
        let live = self.cfg.tracker.enter();
        // The connection keeps its place in the connection count while it is a WebSocket.
        let slot = req
            .extensions()
            .get::<Arc<crate::conn_limit::ConnSlot>>()
            .cloned();
        tokio::spawn(async move {
            let _live = live;
            let _slot = slot;
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            // A small read buffer keeps idle connections cheap; it grows for big messages.
            let config = WebSocketConfig::default()
                .read_buffer_size(READ_BUFFER)
                .max_message_size(Some(max))
                .max_frame_size(Some(max));
            let mut ws = WebSocketStream::from_raw_socket(
                ws_io(upgraded, deflate, max),
                Role::Server,
                Some(config),
            )
            .await;
            if refused {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                return;
            }
            let (sink, stream) = ws.split();
            match (upgrade_of, id) {
                (None, None) => {}
                (None, Some(id)) => {
                    let session = self.open_session(TransportKind::WebSocket, handshake, id);
                    let writer = tokio::spawn(write_loop(session.clone(), sink, deflate));
                    let unread = self.read_loop(session, stream).await;
                    end_socket(unread, writer).await;
                }
                (Some(session), _) => self.upgrade(session, sink, stream, deflate).await,
            }
        });
        switching_protocols(accept, extensions)
    }

    async fn upgrade(
        self: Arc<Self>,
        session: SessionRef<H::Data>,
        mut sink: WsSink,
        mut stream: WsStream,
        deflate: bool,
    ) {
        let probe = tokio::time::timeout(UPGRADE_TIMEOUT, async {
            // Expect `2probe`, answer `3probe`, then wait for `5`.
            let mut probed = false;
            while let Some(Ok(msg)) = stream.next().await {
                let WsMessage::Text(t) = msg else { continue };
                match (probed, t.as_str()) {
                    (false, "2probe") => {
                        sink.send(WsMessage::Text(Utf8Bytes::from_static("3probe")))
                            .await
                            .ok()?;
                        probed = true;
                        session.outbox.lock().upgrading = true;
                        session.wake.notify();
                    }
                    (true, "5") => return Some(()),
                    _ => return None,
                }
            }
            None
        })
        .await;
        {
            let mut o = session.outbox.lock();
            o.upgrading = false;
            if probe != Ok(Some(())) || o.closed.is_some() {
                return; // the socket is dropped; the session goes on over polling
            }
            o.transport = TransportKind::WebSocket;
        }
        tracing::debug!(
            target: "roomcast::engine",
            sid = %session.sid,
            transport = "websocket",
            "connection upgraded"
        );
        if let Some(m) = &self.cfg.metrics {
            m.upgrades
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.handler.on_upgrade(&session);
        // A long-poll still waiting must give the queue up: wake it so it answers noop.
        session.wake.notify();
        let writer = tokio::spawn(write_loop(session.clone(), sink, deflate));
        let unread = self.read_loop(session, stream).await;
        end_socket(unread, writer).await;
    }

    /// Reads until the session ends; returns the stream when it stopped on bad input the
    /// server answers with a close code (see [`end_socket`]).
    async fn read_loop(
        &self,
        session: SessionRef<H::Data>,
        mut stream: WsStream,
    ) -> Option<WsStream> {
        let mut unread = None;
        let reason = loop {
            let room = self.handler.ready(&session);
            // `None`: closed meanwhile, by whoever closed it.
            let msg = next_message(&session, room, &mut stream).await?;
            match msg {
                Some(Ok(WsMessage::Text(t))) => {
                    let ok = match decode_text(t.as_str()) {
                        Some(p) => self.on_packet(&session, p).is_ok(),
                        None => false,
                    };
                    if !ok {
                        break CloseReason::ParseError;
                    }
                }
                Some(Ok(WsMessage::Binary(b))) => {
                    if self.on_packet(&session, EioPacket::Binary(b)).is_err() {
                        break CloseReason::ParseError;
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None => break CloseReason::TransportClose,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if let Some(code) = close_code(&e) {
                        session.outbox.lock().close_code = Some(code);
                        unread = Some(stream);
                    }
                    break error_reason(&e);
                }
            }
        };
        session.close(reason);
        unread
    }
}

/// Waits until the layer above has room for another message (`room`, its backpressure
/// wait, if any: nothing is read meanwhile), then reads the next one; `None` when the
/// session closed first.
pub(crate) async fn next_message<D>(
    session: &Session<D>,
    room: Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>,
    stream: &mut WsStream,
) -> Option<Option<Result<WsMessage, WsError>>> {
    if let Some(room) = room {
        let _hold = session.hold_reads();
        let closed = session.closed_signal.notified();
        if session.is_closed() {
            return None;
        }
        tokio::select! {
            _ = room => {}
            _ = closed => return None,
        }
    }
    let closed = session.closed_signal.notified();
    if session.is_closed() {
        return None;
    }
    tokio::select! {
        m = stream.next() => Some(m),
        _ = closed => None,
    }
}

/// The 101 answer to a WebSocket upgrade, with the agreed extension if any.
pub(crate) fn switching_protocols(
    accept: String,
    extensions: Option<&'static str>,
) -> Response<Body> {
    let mut r = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, HeaderValue::from_static("Upgrade"))
        .header(UPGRADE, HeaderValue::from_static("websocket"))
        .header(SEC_WEBSOCKET_ACCEPT, accept);
    if let Some(e) = extensions {
        r = r.header(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_static(e));
    }
    r.body(Body::default())
        .expect("static response parts are valid")
}

/// A peer that just went away is a "transport close", as in the reference server; anything
/// else (oversized message, protocol violation) is a "transport error".
pub(crate) fn error_reason(e: &WsError) -> CloseReason {
    use std::io::ErrorKind;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match e {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            CloseReason::TransportClose
        }
        WsError::Io(io) if io.kind() == ErrorKind::TimedOut => CloseReason::SlowConsumer,
        WsError::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof
            ) =>
        {
            CloseReason::TransportClose
        }
        _ => CloseReason::TransportError,
    }
}

/// The close status a read error deserves, as the `ws` library sends them: 1009 for an
/// oversized message, 1007 for a text frame that is not UTF-8, 1002 for other protocol
/// violations; none when the peer is gone.
pub(crate) fn close_code(e: &WsError) -> Option<CloseCode> {
    match e {
        WsError::Io(io) => DeflateError::of(io).map(DeflateError::close_code),
        WsError::Capacity(_) => Some(CloseCode::Size),
        WsError::Utf8(_) => Some(CloseCode::Invalid),
        WsError::Protocol(p) => {
            use tokio_tungstenite::tungstenite::error::ProtocolError as P;
            match p {
                P::ResetWithoutClosingHandshake | P::SendAfterClosing | P::ReceivedAfterClosing => {
                    None
                }
                _ => Some(CloseCode::Protocol),
            }
        }
        _ => None,
    }
}

/// How long the writer may still spend on a session that closed normally (flushing the
/// last packets and the close frame) before the socket is dropped.
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Ends a socket whose read side stopped on bad input (an oversized message, a protocol
/// violation): once the writer has sent the close frame and handed its half back, shuts
/// the write side and reads and discards what the peer still sends, until it closes or
/// [`CLOSE_GRACE`] passes. Dropping a socket with unread input makes the kernel answer
/// with a reset, which can overtake the close frame (the peer would see 1006, not the
/// code); the `ws` module lingers the same way.
pub(crate) async fn end_socket(unread: Option<WsStream>, writer: JoinHandle<Option<WsSink>>) {
    let sink = writer.await.ok().flatten();
    let (Some(stream), Some(sink)) = (unread, sink) else {
        return;
    };
    let Ok(ws) = stream.reunite(sink) else {
        return;
    };
    let mut io = ws.into_inner().into_inner();
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = io.shutdown().await;
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = io.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Writes one batch, giving up at once if the session closes for a reason that drops its
/// queue (the peer will never read it); the write itself fails after `write_timeout`
/// without progress (the socket is wrapped in a `StallGuard`). `first` goes before the
/// batch (a plain WebSocket's ping). `deflate`: the connection negotiated
/// permessage-deflate.
pub(crate) async fn write_batch<D>(
    session: &SessionRef<D>,
    sink: &mut WsSink,
    first: Option<WsMessage>,
    batch: &mut VecDeque<Frame>,
    deflate: bool,
) -> Result<(), CloseReason> {
    let closed = session.closed_signal.notified();
    tokio::pin!(closed);
    closed.as_mut().enable();
    let already_closed = session.is_closed();
    let write = async {
        if let Some(m) = first {
            sink.feed(m).await?;
        }
        for frame in batch.drain(..) {
            sink.feed(to_ws(frame, deflate)).await?;
        }
        sink.flush().await
    };
    tokio::pin!(write);
    let result = tokio::select! {
        biased;
        r = &mut write => r,
        _ = &mut closed, if !already_closed => {
            let dropping = session.outbox.lock().closed.is_some_and(CloseReason::drops_queue);
            if dropping {
                return Err(CloseReason::TransportError);
            }
            write.await
        }
    };
    result.map_err(|e| error_reason(&e))
}

/// Drains the session's queue into the socket, batching whatever is queued per flush;
/// gives the sink back unless a write failed.
async fn write_loop<D>(session: SessionRef<D>, mut sink: WsSink, deflate: bool) -> Option<WsSink> {
    let mut batch = VecDeque::new();
    loop {
        let closed = {
            let mut o = session.outbox.lock();
            o.take_frames(&mut batch);
            o.closed
        };
        if !batch.is_empty() {
            if let Err(reason) = write_batch(&session, &mut sink, None, &mut batch, deflate).await {
                session.close(reason);
                drop(batch);
                session.outbox.lock().release();
                return None;
            }
        }
        if let Some(reason) = closed {
            let code = session.outbox.lock().close_code.take();
            if code.is_some() || !reason.drops_queue() {
                let frame = code.map(|code| CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(""),
                });
                let _ = tokio::time::timeout(CLOSE_GRACE, async {
                    sink.send(WsMessage::Close(frame)).await?;
                    sink.close().await
                })
                .await;
            }
            break;
        }
        session.wake.wait().await;
    }
    // Whatever was queued goes now, not when the last reference to the session does; the
    // sink goes back to `end_socket`, which drops the socket (after lingering if need be).
    drop(batch);
    session.outbox.lock().release();
    Some(sink)
}
