//! Connections of the host's own `http.Server` handed to the core (see
//! `roomcast::host::Server::adopt_fd` and `bridge`): `NativeServer.adoptFd` for a WebSocket
//! upgrade on a plain TCP socket, `NativeServer.bridge` for what has no descriptor to give
//! (polling requests, TLS sockets), its bytes carried by `NativeBridge`.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, JsUnknown};
use napi_derive::napi;
use parking_lot::Mutex;
use roomcast::host::{Bridge, BridgeOutput};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::server::{err, NativeServer};

/// The host's end of one bridged connection.
#[napi]
pub struct NativeBridge {
    bridge: Mutex<Option<Bridge>>,
}

#[napi]
impl NativeBridge {
    /// Passes the peer's bytes to the core; false once the core's side is closed.
    #[napi]
    pub fn write(&self, data: Buffer) -> bool {
        match &*self.bridge.lock() {
            Some(b) => b.write(&data).is_ok(),
            None => false,
        }
    }

    /// The peer's end of stream (also when it is destroyed).
    #[napi]
    pub fn end(&self) {
        if let Some(b) = self.bridge.lock().take() {
            b.end();
        }
    }
}

fn output_to_js(ctx: ThreadSafeCallContext<BridgeOutput>) -> Result<Vec<JsUnknown>> {
    Ok(vec![match ctx.value {
        BridgeOutput::Data(d) => ctx
            .env
            .create_buffer_with_data(d)?
            .into_raw()
            .into_unknown(),
        BridgeOutput::End => ctx.env.get_null()?.into_unknown(),
    }])
}

#[napi]
impl NativeServer {
    /// Hands a connected TCP socket (`fd`, which the caller closes right after) to the
    /// core, with the bytes already read from it (`prefix`: the upgrade request's head and
    /// what followed it).
    #[napi]
    pub fn adopt_fd(&self, env: Env, fd: i32, prefix: Buffer) -> Result<()> {
        // SAFETY: the JavaScript caller passes the descriptor of a socket it still holds
        // open; the core keeps only a duplicate.
        unsafe { self.handle().adopt_fd(fd, prefix.to_vec()) }.map_err(|e| err(&env, e))
    }

    /// Opens a bridged connection from `address`:`port` (the peer's); `on_output(buffer)`
    /// gets the core's bytes in order, then `on_output(null)` once when it closes.
    #[napi]
    pub fn bridge(
        &self,
        env: Env,
        address: String,
        port: u32,
        on_output: JsFunction,
    ) -> Result<NativeBridge> {
        let ip = address
            .strip_prefix("::ffff:")
            .unwrap_or(&address)
            .parse::<IpAddr>()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let remote = SocketAddr::new(ip, u16::try_from(port).unwrap_or(0));
        let tsfn: ThreadsafeFunction<BridgeOutput, ErrorStrategy::Fatal> =
            on_output.create_threadsafe_function(0, output_to_js)?;
        let bridge = self
            .handle()
            .bridge(remote, move |o| {
                tsfn.call(o, ThreadsafeFunctionCallMode::NonBlocking);
            })
            .map_err(|e| err(&env, e))?;
        Ok(NativeBridge {
            bridge: Mutex::new(Some(bridge)),
        })
    }
}
