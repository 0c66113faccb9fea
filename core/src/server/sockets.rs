//! What a host does to one socket by id (its data, a disconnect) and its answers to the
//! connect requests that middleware holds (accept, reject, release).

use std::sync::Arc;

use super::{ConnectRequest, DisconnectReason, Error, Namespace, SocketIo};
use crate::engine::CloseReason;
use crate::sid::Sid;

impl SocketIo {
    /// Sets the host's data of a socket (JSON text), kept across a connection state
    /// recovery. Works on a connected socket and on the saved session of one that lost its
    /// transport (a host calls it from its `disconnect` handler).
    pub fn set_data(&self, nsp: &str, sid: Sid, data: &str) -> Result<(), Error> {
        serde_json::from_str::<&serde_json::value::RawValue>(data)
            .map_err(|e| Error::InvalidArgument(format!("data is not JSON: {e}")))?;
        let ns = self.namespace(nsp)?;
        let data: Arc<str> = Arc::from(data);
        // The saved session first: a closing socket is saved before it leaves the map.
        if let Some(rec) = &ns.recovery {
            if rec.set_saved_data(sid, data.clone()) {
                return Ok(());
            }
        }
        let socket = ns.socket(sid).ok_or(Error::NoSuchSocket)?;
        *socket.data.lock() = Some(data);
        Ok(())
    }

    /// The host's data of a connected socket (restored with it after a recovery).
    pub fn data(&self, nsp: &str, sid: Sid) -> Result<Option<String>, Error> {
        let socket = self.socket(nsp, sid)?;
        let data = socket.data.lock();
        Ok(data.as_deref().map(str::to_owned))
    }

    /// Removes a socket from its namespace (it is told with a DISCONNECT packet); with
    /// `close_connection`, also closes its whole connection. As socket.io's
    /// `socket.disconnect(true)` (`Client#_disconnect`), every socket of that connection,
    /// in any namespace, then leaves the same way: "server namespace disconnect" on the
    /// server, a DISCONNECT packet ("io server disconnect") to the client, before the
    /// connection closes.
    pub fn disconnect(&self, nsp: &str, sid: Sid, close_connection: bool) -> Result<(), Error> {
        let socket = self.socket(nsp, sid)?;
        socket.close(DisconnectReason::ServerNamespaceDisconnect, true, self);
        if close_connection {
            let session = socket.session();
            let siblings: Vec<_> = session.data.sockets.lock().values().cloned().collect();
            for s in siblings {
                s.close(DisconnectReason::ServerNamespaceDisconnect, true, self);
            }
            session.close(CloseReason::ForcedClose);
        }
        Ok(())
    }

    /// Accepts a pending connection (see [`Event::ConnectRequest`]).
    pub fn accept(&self, req: ConnectRequest) -> Result<Sid, Error> {
        let p = self
            .pending
            .lock()
            .remove(&req.id)
            .ok_or(Error::NoSuchRequest)?;
        let session = p.session.upgrade().ok_or(Error::NoSuchRequest)?;
        match p.socket {
            // Connect-hold mode: the socket exists since the request.
            Some((socket, recovered)) => {
                if !socket.nsp().contains(socket.sid) || session.is_closed() {
                    return Err(Error::NoSuchRequest);
                }
                self.announce(&session, &socket, p.auth, recovered);
                Ok(socket.sid)
            }
            None => self
                .connect_socket(&session, p.nsp, p.sid, p.auth, p.restored)
                .ok_or(Error::NoSuchRequest),
        }
    }

    /// Sends the CONNECT reply a socket waits for in connect-hold mode, then what was sent
    /// to it meanwhile. Doing it twice does nothing.
    pub fn release(&self, nsp: &str, sid: Sid) -> Result<(), Error> {
        self.socket(nsp, sid)?.release();
        Ok(())
    }

    /// Refuses a pending connection with CONNECT_ERROR `{message, data}` (`data` is JSON text).
    pub fn reject(
        &self,
        req: ConnectRequest,
        message: &str,
        data: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(d) = data {
            serde_json::from_str::<&serde_json::value::RawValue>(d)
                .map_err(|e| Error::InvalidArgument(format!("data is not JSON: {e}")))?;
        }
        let p = self
            .pending
            .lock()
            .remove(&req.id)
            .ok_or(Error::NoSuchRequest)?;
        let session = p.session.upgrade().ok_or(Error::NoSuchRequest)?;
        tracing::debug!(
            target: "roomcast::socket",
            nsp = %p.nsp.name,
            conn = %session.sid,
            reason = message,
            "namespace connect refused by the host"
        );
        let packet = self
            .cfg
            .parser
            .encode_connect_error(&p.nsp.name, message, data);
        match p.socket {
            Some((socket, _)) => socket.refuse(&packet),
            None => {
                session.push_frame(packet.head);
            }
        }
        Ok(())
    }

    /// Closes every connection with "server shutting down".
    pub fn close_all_sockets(&self) {
        let all: Vec<Arc<Namespace>> = self.namespaces.read().values().cloned().collect();
        for ns in all {
            for s in ns.all_sockets() {
                s.session().close(CloseReason::ServerShuttingDown);
            }
        }
    }
}
