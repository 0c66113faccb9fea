//! Traffic an embedding server carries at the level its framework gives it (ASGI, aiohttp):
//! whole HTTP requests and WebSocket *messages* rather than a socket or a byte stream.
//!
//! Both go through the same door as accepted connections ([`super::attach`]): each request
//! or WebSocket is one in-memory connection served by the core's own HTTP server, so the
//! router, the connection limits, the deadlines, the slow-consumer policy and the graceful
//! stop are the ones every transport has, and the polling → WebSocket upgrade works as on
//! the core's port (a session opened by a carried request upgrades over a carried socket).
//!
//! - [`Server::carry_request`]: one HTTP request in, its response out (a long poll waits
//!   in the core as it would on the port; dropping the [`CarriedRequest`] aborts it, as a
//!   client closing its connection does).
//! - [`Server::carry_websocket`]: a WebSocket whose handshake the host received. Messages
//!   from the peer go in with [`CarriedSocket::send`]; the core's verdict on the handshake
//!   and then its messages come out of [`CarriedSocket::recv`]. Both directions are
//!   bounded: a full inbound queue makes `send` say so (the host stops reading its peer
//!   until woken), and a host that does not pull what the core sends stalls the core's
//!   writes, which end in `write_timeout` with the slow-consumer close, as a peer that
//!   stops reading does. The host is woken through its `wake` callback (never blocked on).

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio::runtime::EnterGuard;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{Error, Server};

/// Bytes in flight between the host's side and the core's side of one carried connection.
const PIPE: usize = 64 * 1024;
/// Messages the core's side may have waiting for the host, and the peer's for the core.
const QUEUE: usize = 64;
/// Longest a WebSocket handshake may take inside the process.
const HANDSHAKE: Duration = Duration::from_secs(20);

/// Headers that describe one connection, not the request or response they travel with.
const HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "te",
    "content-length",
];

/// An HTTP request (or a WebSocket handshake) the host received for the engine path.
#[derive(Debug, Clone, Default)]
pub struct HostRequest {
    /// `GET`, `POST`, `OPTIONS`, ...
    pub method: String,
    /// The path with its query, as the core's router expects it (`/socket.io/?EIO=4&...`).
    pub target: String,
    /// The request's headers as received (hop-by-hop ones are dropped here).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The whole body (empty for a WebSocket handshake).
    pub body: Bytes,
}

/// The core's answer to a [`HostRequest`]: `content-length` set, hop-by-hop headers out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers to send as they are.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The whole body.
    pub body: Bytes,
}

/// A request in progress; dropping it (or [`CarriedRequest::cancel`]) aborts it as a
/// client closing its connection would, and its `done` is not called.
pub struct CarriedRequest {
    cancel: oneshot::Sender<bool>,
}

impl CarriedRequest {
    /// The host's peer went away: abort.
    pub fn cancel(self) {}

    /// Lets the request run to its end (`done` is called) without keeping this handle.
    pub fn detach(self) {
        let _ = self.cancel.send(false);
    }
}

/// A message of a carried WebSocket, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// What [`CarriedSocket::recv`] gives the host, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarriedOutput {
    /// The core accepted the handshake: the host accepts its peer's WebSocket.
    Accepted,
    /// The core refused the handshake with this response (the host sends it, or closes).
    Refused(HostResponse),
    /// A message for the peer.
    Message(WsFrame),
    /// The core closed the WebSocket (last output): the host closes its peer with this.
    Close {
        /// WebSocket close code (1006 when the core's side went without a close frame).
        code: u16,
        /// Close reason (may be empty).
        reason: String,
    },
}

/// What a `wake` callback is told: call [`CarriedSocket::recv`] again (output came after
/// it returned `None`), or [`CarriedSocket::send`] again (room came after it returned
/// `false`). Wakes may be spurious; none is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Output is waiting.
    Readable,
    /// The inbound queue has room again.
    Writable,
}

enum Inbound {
    Frame(WsFrame),
    Close(u16, String),
}

type WakeFn = Arc<dyn Fn(Wake) + Send + Sync>;

struct Shared {
    want_read: AtomicBool,
    want_write: AtomicBool,
    wake: WakeFn,
}

/// The host's end of a carried WebSocket.
pub struct CarriedSocket {
    inbound: mpsc::Sender<Inbound>,
    output: flume::Receiver<CarriedOutput>,
    shared: Arc<Shared>,
    closed: Mutex<bool>,
    gone: Mutex<bool>,
}

impl CarriedSocket {
    /// Passes one message from the peer to the core. `Ok(false)`: the queue is full; the
    /// host reads nothing more from its peer until woken with [`Wake::Writable`] and then
    /// sends `frame` again. [`Error::Stopped`] once the core's side is gone.
    pub fn send(&self, frame: WsFrame) -> Result<bool, Error> {
        self.push(Inbound::Frame(frame))
    }

    fn push(&self, mut item: Inbound) -> Result<bool, Error> {
        for armed in [false, true] {
            match self.inbound.try_send(item) {
                Ok(()) => return Ok(true),
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(Error::Stopped),
                Err(mpsc::error::TrySendError::Full(back)) => item = back,
            }
            if armed {
                break;
            }
            // Ask for a wake, then look once more: room made meanwhile is not missed.
            self.shared.want_write.store(true, Ordering::SeqCst);
        }
        Ok(false)
    }

    /// The peer closed (or went away) with `code`: the core sees a close frame and ends
    /// the session as a transport close. Later calls do nothing.
    pub fn close(&self, code: u16, reason: &str) {
        let mut closed = self.closed.lock();
        if *closed {
            return;
        }
        *closed = true;
        // A full queue cannot take the close: the writer ends the socket when the host's
        // end goes (dropped), which the core sees as the peer leaving.
        let _ = self
            .inbound
            .try_send(Inbound::Close(code, reason.to_owned()));
    }

    /// The next output, or `None` for now (the host is woken with [`Wake::Readable`] when
    /// there is more). After [`CarriedOutput::Close`] or `Refused` nothing more comes.
    pub fn recv(&self) -> Option<CarriedOutput> {
        match self.output.try_recv() {
            Ok(o) => return Some(o),
            Err(flume::TryRecvError::Disconnected) => return self.ended(),
            Err(flume::TryRecvError::Empty) => {}
        }
        self.shared.want_read.store(true, Ordering::SeqCst);
        match self.output.try_recv() {
            Ok(o) => Some(o),
            Err(flume::TryRecvError::Disconnected) => self.ended(),
            Err(flume::TryRecvError::Empty) => None,
        }
    }

    /// The core's side is gone without a last word (its runtime stopped under it): one
    /// close for the host, then nothing.
    fn ended(&self) -> Option<CarriedOutput> {
        let mut gone = self.gone.lock();
        if std::mem::replace(&mut *gone, true) {
            return None;
        }
        Some(CarriedOutput::Close {
            code: 1006,
            reason: String::new(),
        })
    }
}

/// Wakes the host when the socket's task ends, however it ends (also when a stopping
/// runtime drops it): `recv` then reports the end.
struct WakeOnDrop(Arc<Shared>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        (self.0.wake)(Wake::Readable);
    }
}

/// Calls `done` once: with the result, or with [`Error::Stopped`] when the request's task
/// is dropped first (a stopping runtime); not at all when the host cancelled.
struct Done<F: FnOnce(Result<HostResponse, Error>)>(Option<F>);

impl<F: FnOnce(Result<HostResponse, Error>)> Done<F> {
    fn call(&mut self, r: Result<HostResponse, Error>) {
        if let Some(f) = self.0.take() {
            f(r);
        }
    }

    /// The host cancelled: nothing is called.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce(Result<HostResponse, Error>)> Drop for Done<F> {
    fn drop(&mut self) {
        self.call(Err(Error::Stopped));
    }
}

impl Shared {
    fn readable(&self) {
        if self.want_read.swap(false, Ordering::SeqCst) {
            (self.wake)(Wake::Readable);
        }
    }

    fn writable(&self) {
        if self.want_write.swap(false, Ordering::SeqCst) {
            (self.wake)(Wake::Writable);
        }
    }
}

fn io_error(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("carried request: {e}"))
}

fn refused() -> Error {
    Error::Io("connection refused: over a connection limit or stopping".into())
}

fn is_hop(name: &str) -> bool {
    HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

fn response_of(status: u16, headers: &hyper::HeaderMap, body: Bytes) -> HostResponse {
    let mut out: Vec<(String, Vec<u8>)> = headers
        .iter()
        .filter(|(k, _)| !is_hop(k.as_str()))
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    out.push(("content-length".into(), body.len().to_string().into_bytes()));
    HostResponse {
        status,
        headers: out,
        body,
    }
}

/// Sends `req` over the host's end of a pipe and reads the whole response.
async fn exchange(io: DuplexStream, req: HostRequest) -> Result<HostResponse, Error> {
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(io_error)?;
    let drive = async move {
        let _ = conn.await;
        std::future::pending::<()>().await
    };
    let work = async move {
        let mut b = hyper::Request::builder()
            .method(req.method.as_str())
            .uri(req.target.as_str());
        for (k, v) in &req.headers {
            if !is_hop(k) {
                b = b.header(k.as_str(), v.as_slice());
            }
        }
        let request = b
            .body(Full::new(req.body))
            .map_err(|e| Error::InvalidArgument(format!("request: {e}")))?;
        let resp = send.send_request(request).await.map_err(io_error)?;
        let status = resp.status().as_u16();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(io_error)?.to_bytes();
        Ok(response_of(status, &parts.headers, body))
    };
    tokio::select! {
        r = work => r,
        () = drive => unreachable!("drive never ends"),
    }
}

fn close_of(frame: Option<CloseFrame>) -> CarriedOutput {
    match frame {
        Some(f) => CarriedOutput::Close {
            code: u16::from(f.code),
            reason: f.reason.as_str().to_owned(),
        },
        None => CarriedOutput::Close {
            code: 1005,
            reason: String::new(),
        },
    }
}

/// Sends the upgrade request over the host's end of a pipe: the upgraded stream, or the
/// core's whole refusal.
async fn upgrade(
    io: DuplexStream,
    request: hyper::Request<Full<Bytes>>,
) -> Result<Result<hyper::upgrade::Upgraded, HostResponse>, Error> {
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(io_error)?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let resp = send.send_request(request).await.map_err(io_error)?;
    if resp.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
        return hyper::upgrade::on(resp).await.map(Ok).map_err(io_error);
    }
    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(io_error)?.to_bytes();
    Ok(Err(response_of(status, &parts.headers, body)))
}

/// Runs a carried WebSocket's host side: the handshake, then the messages both ways.
async fn run_socket(
    io: DuplexStream,
    req: HostRequest,
    mut inbound: mpsc::Receiver<Inbound>,
    output: flume::Sender<CarriedOutput>,
    shared: Arc<Shared>,
) {
    let _wake = WakeOnDrop(shared.clone());
    let emit = |o: CarriedOutput| {
        let sent = output.try_send(o).is_ok();
        shared.readable();
        sent
    };
    let mut b = hyper::Request::builder()
        .method("GET")
        .uri(req.target.as_str());
    let mut has_host = false;
    for (k, v) in &req.headers {
        // The core's side speaks no extension with this end; the key is this end's own.
        if is_hop(k)
            || k.eq_ignore_ascii_case("sec-websocket-extensions")
            || k.eq_ignore_ascii_case("sec-websocket-key")
            || k.eq_ignore_ascii_case("sec-websocket-version")
        {
            continue;
        }
        has_host |= k.eq_ignore_ascii_case("host");
        b = b.header(k.as_str(), v.as_slice());
    }
    if !has_host {
        b = b.header("host", "localhost");
    }
    let request = b
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", generate_key())
        .body(Full::new(Bytes::new()));
    let Ok(request) = request else {
        emit(CarriedOutput::Refused(response_of(
            400,
            &hyper::HeaderMap::new(),
            Bytes::from_static(b"Bad Request"),
        )));
        return;
    };
    let handshake = tokio::time::timeout(HANDSHAKE, upgrade(io, request)).await;
    let upgraded = match handshake {
        Ok(Ok(Ok(upgraded))) => upgraded,
        Ok(Ok(Err(refusal))) => {
            emit(CarriedOutput::Refused(refusal));
            return;
        }
        other => {
            if let Ok(Err(e)) = other {
                tracing::debug!(target: "roomcast::engine", "carried handshake failed: {e}");
            }
            emit(CarriedOutput::Refused(response_of(
                503,
                &hyper::HeaderMap::new(),
                Bytes::from_static(b"Service Unavailable"),
            )));
            return;
        }
    };
    // No size limit on this end: the core enforces `max_payload` on what the peer sends
    // when it reads this end's frames.
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let ws =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, Some(config)).await;
    emit(CarriedOutput::Accepted);
    let (mut sink, mut stream) = ws.split();
    let writer_shared = shared.clone();
    let writer = async move {
        while let Some(item) = inbound.recv().await {
            writer_shared.writable();
            let msg = match item {
                Inbound::Frame(WsFrame::Text(t)) => Message::Text(t.into()),
                Inbound::Frame(WsFrame::Binary(b)) => Message::Binary(b),
                Inbound::Close(code, reason) => {
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: reason.into(),
                        })))
                        .await;
                    break;
                }
            };
            if sink.send(msg).await.is_err() {
                break;
            }
        }
        // The host's end is gone or closed: so is the peer, for the core.
        let _ = sink.close().await;
        std::future::pending::<()>().await
    };
    let reader = async {
        let last = loop {
            match stream.next().await {
                Some(Ok(Message::Text(t))) => {
                    let m = CarriedOutput::Message(WsFrame::Text(t.as_str().to_owned()));
                    // Bounded: a host that does not pull stalls the core's writes.
                    if output.send_async(m).await.is_err() {
                        return;
                    }
                    shared.readable();
                }
                Some(Ok(Message::Binary(b))) => {
                    if output
                        .send_async(CarriedOutput::Message(WsFrame::Binary(b)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    shared.readable();
                }
                Some(Ok(Message::Close(frame))) => break close_of(frame),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    break CarriedOutput::Close {
                        code: 1006,
                        reason: String::new(),
                    }
                }
            }
        };
        let _ = output.send_async(last).await;
        shared.readable();
    };
    tokio::select! {
        () = reader => {}
        () = writer => {}
    }
}

impl Server {
    /// The core's end of a new in-memory connection from `remote`, admitted as an accepted
    /// socket is (connection limits apply), and the runtime entered to spawn its task.
    fn carried_pipe(&self, remote: SocketAddr) -> Result<(DuplexStream, EnterGuard<'_>), Error> {
        if self.is_stopped() {
            return Err(Error::Stopped);
        }
        let (ours, theirs) = tokio::io::duplex(PIPE);
        let enter = self.inner.handle.enter();
        if !self.inner.door.adopt(theirs, remote) {
            return Err(refused());
        }
        Ok((ours, enter))
    }

    /// Answers one HTTP request the host received for the engine path (a polling GET or
    /// POST, a CORS preflight, ...) from `remote`; `done` gets the whole response once, on
    /// a runtime thread, never blocking it (a host queues it for its own thread). Served
    /// like a request on the core's port. [`Error::Io`] over a connection limit,
    /// [`Error::Stopped`] after stop.
    pub fn carry_request(
        &self,
        remote: SocketAddr,
        request: HostRequest,
        done: impl FnOnce(Result<HostResponse, Error>) + Send + 'static,
    ) -> Result<CarriedRequest, Error> {
        let (ours, _enter) = self.carried_pipe(remote)?;
        let (cancel, mut cancelled) = oneshot::channel::<bool>();
        let mut done = Done(Some(done));
        tokio::spawn(async move {
            let work = exchange(ours, request);
            tokio::pin!(work);
            tokio::select! {
                r = &mut work => done.call(r),
                // Detached (`false`): run to the end; cancelled or dropped: abort.
                c = &mut cancelled => if c == Ok(false) {
                    done.call(work.await);
                } else {
                    done.disarm();
                }
            }
        });
        Ok(CarriedRequest { cancel })
    }

    /// Opens a WebSocket from `remote` whose handshake (`request`: method GET, the target
    /// and headers as received) the host holds and whose messages it carries. The first
    /// output is [`CarriedOutput::Accepted`] or [`CarriedOutput::Refused`]; `wake` is
    /// called (on a runtime thread, never blocking it) as [`Wake`] says.
    /// [`Error::Io`] over a connection limit, [`Error::Stopped`] after stop.
    pub fn carry_websocket(
        &self,
        remote: SocketAddr,
        request: HostRequest,
        wake: impl Fn(Wake) + Send + Sync + 'static,
    ) -> Result<CarriedSocket, Error> {
        let (ours, _enter) = self.carried_pipe(remote)?;
        let (in_tx, in_rx) = mpsc::channel(QUEUE);
        let (out_tx, out_rx) = flume::bounded(QUEUE);
        let shared = Arc::new(Shared {
            want_read: AtomicBool::new(false),
            want_write: AtomicBool::new(false),
            wake: Arc::new(wake),
        });
        tokio::spawn(run_socket(ours, request, in_rx, out_tx, shared.clone()));
        Ok(CarriedSocket {
            inbound: in_tx,
            output: out_rx,
            shared,
            closed: Mutex::new(false),
            gone: Mutex::new(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::options::{ConfigBuilder, OptionValue};
    use crate::Payload;
    use std::sync::mpsc as std_mpsc;

    fn attached() -> Server {
        let mut b = ConfigBuilder::new();
        b.set("listen", OptionValue::Bool(false)).unwrap();
        b.set(
            "ping_interval",
            OptionValue::Duration(Duration::from_secs(60)),
        )
        .unwrap();
        b.start().unwrap().0
    }

    fn get(target: &str) -> HostRequest {
        HostRequest {
            method: "GET".into(),
            target: target.into(),
            headers: vec![("host".into(), b"x".to_vec())],
            body: Bytes::new(),
        }
    }

    fn request(server: &Server, req: HostRequest) -> HostResponse {
        let (tx, rx) = std_mpsc::channel();
        let _pending = server
            .carry_request("10.0.0.1:1".parse().unwrap(), req, move |r| {
                let _ = tx.send(r);
            })
            .unwrap();
        rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()
    }

    /// Carries a WebSocket from `remote` asking for `target`; its wakes arrive on the
    /// receiver (keep it: a dropped one just loses them).
    fn carry_ws(
        server: &Server,
        remote: &str,
        target: &str,
    ) -> (CarriedSocket, std_mpsc::Receiver<Wake>) {
        let (tx, rx) = std_mpsc::channel();
        let sock = server
            .carry_websocket(remote.parse().unwrap(), get(target), move |w| {
                let _ = tx.send(w);
            })
            .unwrap();
        (sock, rx)
    }

    fn next(sock: &CarriedSocket, woken: &std_mpsc::Receiver<Wake>) -> CarriedOutput {
        loop {
            if let Some(o) = sock.recv() {
                return o;
            }
            woken.recv_timeout(Duration::from_secs(10)).unwrap();
        }
    }

    #[test]
    fn polling_then_upgrade_over_carried_messages() {
        let server = attached();
        let open = request(&server, get("/socket.io/?EIO=4&transport=polling"));
        assert_eq!(open.status, 200);
        let text = String::from_utf8_lossy(&open.body).to_string();
        let sid = text
            .split("\"sid\":\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        // A malformed request gets the protocol's error.
        let bad = request(&server, get("/socket.io/?EIO=9&transport=polling"));
        assert_eq!(bad.status, 400, "{bad:?}");
        let (sock, wrx) = carry_ws(
            &server,
            "10.0.0.1:2",
            &format!("/socket.io/?EIO=4&transport=websocket&sid={sid}"),
        );
        assert_eq!(next(&sock, &wrx), CarriedOutput::Accepted);
        assert!(sock.send(WsFrame::Text("2probe".into())).unwrap());
        assert_eq!(
            next(&sock, &wrx),
            CarriedOutput::Message(WsFrame::Text("3probe".into()))
        );
        assert!(sock.send(WsFrame::Text("5".into())).unwrap());
        assert!(sock.send(WsFrame::Text("40".into())).unwrap());
        match next(&sock, &wrx) {
            CarriedOutput::Message(WsFrame::Text(t)) => assert!(t.starts_with("40{"), "{t}"),
            o => panic!("{o:?}"),
        }
        // A socket for an unknown session is refused with the engine's error.
        let (other, _woken) = carry_ws(
            &server,
            "10.0.0.1:3",
            "/socket.io/?EIO=4&transport=websocket&sid=nope",
        );
        let refused = loop {
            if let Some(o) = other.recv() {
                break o;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(
            matches!(&refused, CarriedOutput::Refused(r) if r.status == 400),
            "{refused:?}"
        );
        // Stop closes the carried socket.
        server.stop(Duration::from_secs(2));
        loop {
            if let CarriedOutput::Close { .. } = next(&sock, &wrx) {
                break;
            }
        }
    }

    #[test]
    fn a_host_that_does_not_pull_is_a_slow_consumer() {
        let mut b = ConfigBuilder::new();
        b.set("listen", OptionValue::Bool(false)).unwrap();
        b.set(
            "write_timeout",
            OptionValue::Duration(Duration::from_millis(300)),
        )
        .unwrap();
        let (server, events) = b.start().unwrap();
        let (sock, wrx) = carry_ws(
            &server,
            "10.0.0.1:4",
            "/socket.io/?EIO=4&transport=websocket",
        );
        assert_eq!(next(&sock, &wrx), CarriedOutput::Accepted);
        assert!(sock.send(WsFrame::Text("40".into())).unwrap());
        let sid = loop {
            match events.recv_timeout(Duration::from_secs(10)) {
                Ok(crate::host::Event::Connection { sid, .. }) => break sid,
                Ok(_) => {}
                Err(e) => panic!("no connection: {e:?}"),
            }
        };
        let big = Payload::from_json(&format!("[\"{}\"]", "x".repeat(16 * 1024))).unwrap();
        let to = crate::BroadcastOptions::all().to(sid.as_str());
        for _ in 0..400 {
            let _ = server.emit("/", &to, "fill", &big);
        }
        // Nothing is pulled: the core's writes stall and the socket goes as a slow consumer.
        let reason = loop {
            match events.recv_timeout(Duration::from_secs(20)) {
                Ok(crate::host::Event::Disconnect { reason, .. }) => break reason,
                Ok(_) => {}
                Err(e) => panic!("no disconnect: {e:?}"),
            }
        };
        assert_eq!(reason.as_str(), "slow consumer", "{reason:?}");
        server.stop(Duration::from_secs(1));
    }
}
