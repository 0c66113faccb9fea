//! Commands on plain WebSocket connections (routes such as `/ws/chat`), by id; the
//! JavaScript layer (`lib/plain.js`) gives them the `ws` module's shape.

use napi::bindgen_prelude::*;
use napi::{Env, JsBuffer, JsUnknown, ValueType};
use napi_derive::napi;
use roomcast::host::PlainData;

use crate::server::{err, NativeServer};

#[napi]
impl NativeServer {
    /// Sends `data` (a string: a text frame; a Buffer: a binary frame) to connection `id`.
    #[napi]
    pub fn plain_send(&self, env: Env, id: String, data: JsUnknown) -> Result<()> {
        let data = match data.get_type()? {
            ValueType::String => {
                PlainData::Text(data.coerce_to_string()?.into_utf8()?.into_owned()?)
            }
            _ if data.is_buffer()? => {
                let b = JsBuffer::try_from(data)?.into_value()?;
                PlainData::Binary(bytes::Bytes::copy_from_slice(&b))
            }
            _ => return Err(Error::from_reason("send takes a string or a Buffer")),
        };
        self.handle.plain_send(&id, data).map_err(|e| err(&env, e))
    }

    /// Puts connection `id` in `rooms`.
    #[napi]
    pub fn plain_join(&self, env: Env, id: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle
            .plain_join(&id, &rooms)
            .map_err(|e| err(&env, e))
    }

    /// Takes connection `id` out of `rooms`.
    #[napi]
    pub fn plain_leave(&self, env: Env, id: String, rooms: Vec<String>) -> Result<()> {
        let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
        self.handle
            .plain_leave(&id, &rooms)
            .map_err(|e| err(&env, e))
    }

    /// The rooms of connection `id` (its own id room included), sorted.
    #[napi]
    pub fn plain_rooms(&self, env: Env, id: String) -> Result<Vec<String>> {
        self.handle.plain_rooms(&id).map_err(|e| err(&env, e))
    }

    /// Closes connection `id` with `code` and `reason` after what is queued.
    #[napi]
    pub fn plain_close(&self, env: Env, id: String, code: u32, reason: String) -> Result<()> {
        let code = u16::try_from(code).unwrap_or(0);
        self.handle
            .plain_close(&id, code, &reason)
            .map_err(|e| err(&env, e))
    }
}
