//! The Engine.IO connection for JavaScript (`io.engine`, `socket.conn`): see
//! `roomcast::host::Server::{allow_request_with, allow_origin, set_allow_request,
//! report_connection_errors, report_upgrades, connection_transport, close_connection}`.

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use roomcast::host::{Admission, Refusal, RequestCheck};

use crate::server::{err, NativeServer};

#[napi]
impl NativeServer {
    /// Lets a handshake go on with `headers` (`[name, value]` pairs added to its response)
    /// and `connId` (the session id to use; undefined keeps the random one).
    #[napi]
    pub fn admit(
        &self,
        env: Env,
        request: f64,
        headers: Vec<Vec<String>>,
        conn_id: Option<String>,
    ) -> Result<()> {
        let mut pairs = Vec::with_capacity(headers.len());
        for h in headers {
            match <[String; 2]>::try_from(h) {
                Ok([name, value]) => pairs.push((name, value)),
                Err(_) => {
                    return Err(crate::server::throw(
                        &env,
                        "ERR_INVALID_ARGUMENT",
                        "headers must be [name, value] pairs".into(),
                    ))
                }
            }
        }
        let admission = Admission {
            headers: pairs,
            id: conn_id,
        };
        self.handle
            .allow_request_with(RequestCheck::from_id(request as u64), Ok(admission))
            .map_err(|e| err(&env, e))
    }

    /// Answers a `cors_origin` event (the `corsOriginHook` option): `allowed` says whether
    /// the request's origin may read the response; a `status` (400 to 599) refuses the
    /// request instead, with `message` (default "Bad request").
    #[napi]
    pub fn allow_origin(
        &self,
        env: Env,
        request: f64,
        allowed: bool,
        status: Option<u32>,
        message: Option<String>,
    ) -> Result<()> {
        let verdict = match status {
            None => Ok(allowed),
            Some(s) => Err(Refusal {
                status: s.min(u32::from(u16::MAX)) as u16,
                message: message.unwrap_or_else(|| "Bad request".into()),
            }),
        };
        self.handle
            .allow_origin(RequestCheck::from_id(request as u64), verdict)
            .map_err(|e| err(&env, e))
    }

    /// Turns the handshake round trip (`allow_request` events) on or off.
    #[napi]
    pub fn set_allow_request(&self, env: Env, on: bool) -> Result<()> {
        self.handle.set_allow_request(on).map_err(|e| err(&env, e))
    }

    /// Turns `connection_error` events on or off.
    #[napi]
    pub fn report_connection_errors(&self, env: Env, on: bool) -> Result<()> {
        self.handle
            .report_connection_errors(on)
            .map_err(|e| err(&env, e))
    }

    /// Turns `upgrade` events on or off.
    #[napi]
    pub fn report_upgrades(&self, env: Env, on: bool) -> Result<()> {
        self.handle.report_upgrades(on).map_err(|e| err(&env, e))
    }

    /// Turns the room events of namespace `nsp` (undefined: every namespace) on; they
    /// stay on (see `Server::observe_rooms`).
    #[napi]
    pub fn observe_rooms(&self, env: Env, nsp: Option<String>) -> Result<()> {
        self.handle
            .observe_rooms(nsp.as_deref())
            .map_err(|e| err(&env, e))
    }

    /// "polling" or "websocket"; undefined once the connection is closed.
    #[napi]
    pub fn connection_transport(&self, conn_id: String) -> Option<&'static str> {
        self.handle.connection_transport(&conn_id)
    }

    /// Closes a connection ("forced close" for its sockets); false when it is gone.
    #[napi]
    pub fn close_connection(&self, conn_id: String) -> bool {
        self.handle.close_connection(&conn_id).is_ok()
    }
}
