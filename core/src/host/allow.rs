//! `allow_request` as a round trip with the host: each Engine.IO handshake request becomes
//! an [`Event::AllowRequest`](crate::host::Event::AllowRequest) that the host answers with
//! [`Server::allow_request`](crate::host::Server::allow_request), before any session
//! exists, as socket.io's `allowRequest(req, callback)`. A request the host does not
//! answer within `allow_request_timeout` is refused, so a host that never answers holds
//! nothing for long. Plain WebSocket routes with `verify` use the same round trip
//! ([`Event::PlainRequest`](crate::host::Event::PlainRequest)) before their 101, and so does
//! the `cors_origin_hook` option ([`Event::CorsOrigin`](crate::host::Event::CorsOrigin),
//! answered with [`Server::allow_origin`](crate::host::Server::allow_origin)).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::oneshot;

use crate::config::{
    Admission, AllowFuture, AllowRequest, OriginCheck, OriginFuture, Refusal, RequestInfo,
};
use crate::engine::Handshake;
use crate::server::{Error, Event, RequestCheck, SocketIo, Verify};

/// Requests waiting for the host's answer, by id: their answer's sender.
type Waiting<T> = Mutex<HashMap<u64, oneshot::Sender<Result<T, Refusal>>>>;

/// The requests waiting for the host's answer.
pub(crate) struct AllowGate {
    io: Weak<SocketIo>,
    waiting: Waiting<Admission>,
    /// Requests waiting for the host's verdict on their origin (same id sequence).
    origins: Waiting<bool>,
    next: AtomicU64,
    timeout: Duration,
    /// Whether handshakes are asked about now (the engine reads it before each one).
    pub(crate) asking: Arc<AtomicBool>,
    /// False when a Rust `allow_request` hook stands in for the round trip.
    switchable: bool,
}

impl AllowGate {
    pub(crate) fn new(
        io: &Arc<SocketIo>,
        timeout: Duration,
        asking: bool,
        switchable: bool,
    ) -> Arc<Self> {
        Arc::new(Self {
            io: Arc::downgrade(io),
            waiting: Mutex::new(HashMap::new()),
            origins: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            timeout,
            asking: Arc::new(AtomicBool::new(asking)),
            switchable,
        })
    }

    pub(crate) fn switchable(&self) -> bool {
        self.switchable
    }

    /// The engine's hook: reports the request and waits for the answer or the timeout.
    pub(crate) fn hook(self: &Arc<Self>) -> AllowRequest {
        let gate = Arc::downgrade(self);
        Arc::new(move |info: RequestInfo| {
            let handshake = Arc::new(info.handshake);
            let method = info.method;
            Self::ask(gate.clone(), move |request| Event::AllowRequest {
                request,
                method,
                handshake,
            })
        })
    }

    /// The plain routes' hook (routes with `verify`): a `PlainRequest` event, answered
    /// the same way.
    pub(crate) fn plain_hook(self: &Arc<Self>) -> Verify {
        let gate = Arc::downgrade(self);
        Arc::new(move |route: &str, handshake: &Handshake| {
            let (route, handshake) = (Arc::from(route), Arc::new(handshake.clone()));
            Self::ask(gate.clone(), move |request| Event::PlainRequest {
                request,
                route,
                handshake,
            })
        })
    }

    /// The engine's origin check (`cors_origin_hook`): a `CorsOrigin` event per request.
    pub(crate) fn origin_hook(self: &Arc<Self>) -> OriginCheck {
        let gate = Arc::downgrade(self);
        Arc::new(move |info: RequestInfo| -> OriginFuture {
            let handshake = Arc::new(info.handshake);
            let method = info.method;
            Box::pin(Self::wait(
                gate.clone(),
                |g| &g.origins,
                move |request| Event::CorsOrigin {
                    request,
                    method,
                    handshake,
                },
            ))
        })
    }

    /// Reports the event `make` builds and waits for the answer or the timeout.
    fn ask(
        gate: Weak<Self>,
        make: impl FnOnce(RequestCheck) -> Event + Send + 'static,
    ) -> AllowFuture {
        Box::pin(Self::wait(gate, |g| &g.waiting, make))
    }

    /// Reports the event `make` builds, with a new request id waiting in the map `map`
    /// picks, and waits for the answer; no answer in time (or the server going away)
    /// refuses the request with 403.
    async fn wait<T: Send + 'static>(
        gate: Weak<Self>,
        map: fn(&Self) -> &Waiting<T>,
        make: impl FnOnce(RequestCheck) -> Event + Send + 'static,
    ) -> Result<T, Refusal> {
        let Some(g) = gate.upgrade() else {
            return Err(Refusal::forbidden());
        };
        let (tx, rx) = oneshot::channel();
        let id = g.next.fetch_add(1, Ordering::Relaxed);
        map(&g).lock().insert(id, tx);
        let timeout = g.timeout;
        match g.io.upgrade() {
            Some(io) => io.report(make(RequestCheck { id })),
            None => return Err(Refusal::forbidden()),
        }
        drop(g);
        let answer = tokio::time::timeout(timeout, rx).await;
        if let Some(g) = gate.upgrade() {
            map(&g).lock().remove(&id);
        }
        match answer {
            Ok(Ok(verdict)) => verdict,
            // No answer in time, or the server is going away.
            _ => {
                tracing::warn!(
                    id,
                    "allow_request: no answer from the host in time; refused"
                );
                Err(Refusal::forbidden())
            }
        }
    }

    /// Delivers the host's answer; `NoSuchRequest` once answered or timed out.
    pub(crate) fn answer(
        &self,
        request: RequestCheck,
        verdict: Result<Admission, Refusal>,
    ) -> Result<(), Error> {
        deliver(&self.waiting, request, verdict)
    }

    /// Delivers the host's verdict on a request's origin; `NoSuchRequest` once answered
    /// or timed out.
    pub(crate) fn answer_origin(
        &self,
        request: RequestCheck,
        verdict: Result<bool, Refusal>,
    ) -> Result<(), Error> {
        deliver(&self.origins, request, verdict)
    }
}

/// Hands `verdict` to the request waiting in `map`; `NoSuchRequest` when none is (answered
/// already, or timed out and refused).
fn deliver<T>(
    map: &Waiting<T>,
    request: RequestCheck,
    verdict: Result<T, Refusal>,
) -> Result<(), Error> {
    let tx = map.lock().remove(&request.id).ok_or(Error::NoSuchRequest)?;
    tx.send(verdict).map_err(|_| Error::NoSuchRequest)
}
