//! WebSocket transport (tokio-tungstenite over a hyper upgrade), including the
//! polling → WebSocket upgrade (`2probe` / `3probe` / `5`).

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::endpoint::{Body, EioError};
use super::packet::{decode_text, EioPacket};
use super::{CloseReason, Engine, Frame, Handler, Handshake, SessionRef, TransportKind};

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
type WsSink = futures_util::stream::SplitSink<Ws, WsMessage>;
type WsStream = futures_util::stream::SplitStream<Ws>;

/// Read buffer per WebSocket. tungstenite zero-fills the whole buffer on the first read,
/// so its 128 KiB default would cost that much resident memory per idle connection; it
/// still grows on demand for big messages.
const READ_BUFFER: usize = 4 * 1024;

/// How long a client may take between `2probe` and `5`.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

fn to_ws(frame: Frame) -> WsMessage {
    match frame {
        Frame::Text(t) => {
            // SAFETY: `Text` is valid UTF-8 by construction (see `crate::text`).
            let utf8 = unsafe { Utf8Bytes::from_bytes_unchecked(t.into_bytes()) };
            WsMessage::Text(utf8)
        }
        Frame::Binary(b) => WsMessage::Binary(b),
    }
}

impl<H: Handler> Engine<H> {
    /// Accepts the upgrade and runs the socket in a task; `upgrade_of` is the polling
    /// session being upgraded, `None` for a session opened directly over WebSocket.
    pub(crate) fn websocket(
        self: Arc<Self>,
        req: Request<Incoming>,
        upgrade_of: Option<SessionRef<H::Data>>,
        handshake: Handshake,
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
        let max = self.cfg.max_payload;
        let live = self.cfg.tracker.enter();
        tokio::spawn(async move {
            let _live = live;
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            // A small read buffer keeps idle connections cheap; it grows for big messages.
            let config = WebSocketConfig::default()
                .read_buffer_size(READ_BUFFER)
                .max_message_size(Some(max))
                .max_frame_size(Some(max));
            let mut ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            if refused {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                return;
            }
            let (sink, stream) = ws.split();
            match upgrade_of {
                None => {
                    let session = self.open_session(TransportKind::WebSocket, handshake);
                    let writer = tokio::spawn(write_loop(session.clone(), sink));
                    self.read_loop(session, stream).await;
                    let _ = writer.await;
                }
                Some(session) => self.upgrade(session, sink, stream).await,
            }
        });
        Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(CONNECTION, HeaderValue::from_static("Upgrade"))
            .header(UPGRADE, HeaderValue::from_static("websocket"))
            .header(SEC_WEBSOCKET_ACCEPT, accept)
            .body(Body::default())
            .expect("static response parts are valid")
    }

    async fn upgrade(
        self: Arc<Self>,
        session: SessionRef<H::Data>,
        mut sink: WsSink,
        mut stream: WsStream,
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
        // A long-poll still waiting must give the queue up: wake it so it answers noop.
        session.wake.notify();
        let writer = tokio::spawn(write_loop(session.clone(), sink));
        self.read_loop(session, stream).await;
        let _ = writer.await;
    }

    async fn read_loop(&self, session: SessionRef<H::Data>, mut stream: WsStream) {
        let reason = loop {
            let closed = session.closed_signal.notified();
            if session.is_closed() {
                return;
            }
            let msg = tokio::select! {
                m = stream.next() => m,
                _ = closed => return,
            };
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
                Some(Err(e)) => break error_reason(&e),
            }
        };
        session.close(reason);
    }
}

/// A peer that just went away is a "transport close", as in the reference server; anything
/// else (oversized message, protocol violation) is a "transport error".
fn error_reason(e: &tokio_tungstenite::tungstenite::Error) -> CloseReason {
    use std::io::ErrorKind;
    use tokio_tungstenite::tungstenite::error::{Error as E, ProtocolError};
    match e {
        E::ConnectionClosed
        | E::AlreadyClosed
        | E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => CloseReason::TransportClose,
        E::Io(io)
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

/// Drains the session's queue into the socket, batching whatever is queued per flush.
async fn write_loop<D>(session: SessionRef<D>, mut sink: WsSink) {
    let mut batch = VecDeque::new();
    loop {
        let closed = {
            let mut o = session.outbox.lock();
            std::mem::swap(&mut batch, &mut o.frames);
            o.closed.is_some()
        };
        if !batch.is_empty() {
            for frame in batch.drain(..) {
                if sink.feed(to_ws(frame)).await.is_err() {
                    session.close(CloseReason::TransportError);
                    return;
                }
            }
            if sink.flush().await.is_err() {
                session.close(CloseReason::TransportError);
                return;
            }
        }
        if closed {
            let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
            return;
        }
        session.wake.wait().await;
    }
}
