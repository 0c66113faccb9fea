//! `roomcast.Emitter`: publishes into a Redis cluster without a server (see lib/cluster.js).

use napi::bindgen_prelude::*;
use napi::JsBuffer;
use napi_derive::napi;
use roomcast::host::Emitter;
use roomcast::BroadcastOptions;
use std::sync::Arc;

use crate::convert::payload;

/// One emitter (its own Redis connection).
#[napi]
pub struct NativeEmitter {
    inner: Emitter,
}

fn to(rooms: Vec<String>, except: Vec<String>) -> BroadcastOptions {
    BroadcastOptions {
        rooms: rooms.into_iter().map(Arc::from).collect(),
        except: except.into_iter().map(Arc::from).collect(),
        ..Default::default()
    }
}

fn fail(e: impl std::fmt::Display) -> Error {
    Error::from_reason(e.to_string())
}

#[napi]
impl NativeEmitter {
    /// Connects (throws when Redis is unreachable).
    #[napi(constructor)]
    pub fn new(url: String, key: String) -> Result<Self> {
        Ok(Self {
            inner: Emitter::connect(&url, &key).map_err(fail)?,
        })
    }

    /// Emits to the selected sockets of every node; returns once Redis took it.
    #[napi]
    pub fn emit(
        &self,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        event: String,
        json: String,
        attachments: Option<Vec<JsBuffer>>,
    ) -> Result<()> {
        let args = payload(&json, attachments).map_err(fail)?;
        self.inner
            .emit(&nsp, &to(rooms, except), &event, &args)
            .map_err(fail)
    }

    /// `join` / `leave` (socketsJoin/Leave with `rooms`), `disconnect` (with `close`) or
    /// `serverSideEmit` (with `json` = `[event, ...args]`).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        kind: String,
        nsp: String,
        rooms: Vec<String>,
        except: Vec<String>,
        target: Vec<String>,
        close: bool,
        json: String,
    ) -> Result<()> {
        let sel = to(rooms, except);
        let target: Vec<&str> = target.iter().map(String::as_str).collect();
        match kind.as_str() {
            "join" => self.inner.sockets_join(&nsp, &sel, &target),
            "leave" => self.inner.sockets_leave(&nsp, &sel, &target),
            "disconnect" => self.inner.disconnect_sockets(&nsp, &sel, close),
            "serverSideEmit" => {
                let values: Vec<serde_json::Value> = serde_json::from_str(&json).map_err(fail)?;
                let Some((ev, rest)) = values.split_first() else {
                    return Err(Error::from_reason("serverSideEmit needs an event name"));
                };
                let ev = ev.as_str().unwrap_or_default().to_owned();
                self.inner
                    .server_side_emit(&nsp, &ev, &roomcast::Payload::from_values(rest))
            }
            other => return Err(Error::from_reason(format!("unknown request {other}"))),
        }
        .map_err(fail)
    }
}
