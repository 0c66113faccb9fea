//! The Engine.IO connection as a host sees it (socket.io's `io.engine` and
//! `socket.conn`): what goes with an admitted handshake (response headers, a host-chosen
//! session id), turning the handshake round trip on while running, refused requests and
//! upgrades as events, a connection's transport, and closing it. A connection is named by
//! its Engine.IO id ([`Handshake::conn_id`](crate::host::Handshake::conn_id)).

use hyper::header::{HeaderName, HeaderValue};
use std::sync::atomic::Ordering;

use super::{Error, Server};
use crate::config::{Admission, Refusal};
use crate::engine::{check_name, CloseReason};
use crate::server::RequestCheck;

impl Server {
    /// Answers an [`Event::AllowRequest`](crate::host::Event::AllowRequest) like
    /// [`Server::allow_request`], with what goes with a handshake let through: headers
    /// for its response (a session middleware's `Set-Cookie`) and the session id to use
    /// instead of the random one (socket.io's `generateId`: 1 to 128 characters of
    /// `A-Z a-z 0-9 - _ . ~`). A malformed header or id is refused here with
    /// [`Error::InvalidArgument`] naming it (the request still waits for an answer); an
    /// id already in use refuses the handshake with 400 and a `ConnectionError` (code 3,
    /// `ID_GENERATION_ERROR`). For a plain route's `PlainRequest`, headers go on the 101
    /// (an id does not apply there and is ignored).
    pub fn allow_request_with(
        &self,
        request: RequestCheck,
        verdict: Result<Admission, Refusal>,
    ) -> Result<(), Error> {
        self.live()?;
        match &verdict {
            Err(r) if !(400..=599).contains(&r.status) => {
                return Err(Error::InvalidArgument(format!(
                    "refusal status {} is not an HTTP error status (400 to 599)",
                    r.status
                )));
            }
            Err(_) => {}
            Ok(a) => {
                for (name, value) in &a.headers {
                    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        Error::InvalidArgument(format!("header name {name:?} is not valid"))
                    })?;
                    HeaderValue::from_str(value).map_err(|_| {
                        Error::InvalidArgument(format!(
                            "the value of header {name:?} is not a valid header value"
                        ))
                    })?;
                }
                if let Some(id) = &a.id {
                    check_name(id)
                        .map_err(|e| Error::InvalidArgument(format!("generateId: {e}")))?;
                }
            }
        }
        match &self.inner.allow {
            Some(gate) => gate.answer(request, verdict),
            None => Err(Error::NoSuchRequest),
        }
    }

    /// Turns the handshake round trip ([`Event::AllowRequest`](crate::host::Event::AllowRequest))
    /// on or off while running: a host that starts needing it late (Node's
    /// `io.engine.use` after `new Server(httpServer)`) turns it on then. Starts as the
    /// `allow_request` option says. [`Error::InvalidArgument`] on a server whose Rust
    /// config has its own `allow_request` hook.
    pub fn set_allow_request(&self, on: bool) -> Result<(), Error> {
        self.live()?;
        match &self.inner.allow {
            Some(gate) if gate.switchable() => {
                gate.asking.store(on, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(Error::InvalidArgument(
                "allow_request: this server's config has its own allow_request hook".into(),
            )),
        }
    }

    /// Turns [`Event::ConnectionError`](crate::host::Event::ConnectionError) on or off
    /// (off at start: a host turns it on when something listens).
    pub fn report_connection_errors(&self, on: bool) -> Result<(), Error> {
        self.live()?.report_connection_errors(on);
        Ok(())
    }

    /// Turns [`Event::Upgrade`](crate::host::Event::Upgrade) on or off (off at start).
    pub fn report_upgrades(&self, on: bool) -> Result<(), Error> {
        self.live()?.report_upgrades(on);
        Ok(())
    }

    /// The transport connection `conn_id` uses now, `"polling"` or `"websocket"` (a
    /// connection that is upgrading is still `"polling"`); `None` once it is closed.
    pub fn connection_transport(&self, conn_id: &str) -> Option<&'static str> {
        let session = self.inner.engine.session(conn_id)?;
        let o = session.outbox.lock();
        o.closed.is_none().then(|| o.transport.as_str())
    }

    /// Closes connection `conn_id` (socket.io's `socket.conn.close()`): every socket on
    /// it disconnects with "forced close". [`Error::NoSuchSocket`] when it is gone.
    pub fn close_connection(&self, conn_id: &str) -> Result<(), Error> {
        self.live()?;
        let session = self
            .inner
            .engine
            .session(conn_id)
            .filter(|s| !s.is_closed())
            .ok_or(Error::NoSuchSocket)?;
        session.close(CloseReason::ForcedClose);
        Ok(())
    }
}
