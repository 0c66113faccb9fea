//! An emitter: publishes into a cluster without running a server, like
//! `@socket.io/redis-emitter` (uid `emitter`, the same channels and messages). Every call
//! returns once Redis accepted the message, so a short script can emit and exit; when
//! Redis is down it returns the error instead of queueing.

use serde_json::Value as Json;
use std::sync::Arc;
use tokio::runtime::Runtime;

use super::conn::{LinkError, LinkOptions, RedisLink};
use super::wire::{self, kind, Channels};
use crate::adapter::BroadcastOptions;
use crate::protocol::Payload;

/// The uid `@socket.io/redis-emitter` writes; nodes never mistake it for their own.
const UID: &str = "emitter";

/// Publishes broadcasts and cluster requests under one key prefix.
pub struct Emitter {
    link: Arc<RedisLink>,
    key: String,
    rt: Runtime,
}

/// Why an emit did not reach Redis.
#[derive(Debug)]
pub enum EmitError {
    /// A reserved event name (`connect`, `disconnect`, …).
    Reserved(String),
    /// Redis refused or is unreachable.
    Redis(String),
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reserved(e) => write!(f, "\"{e}\" is a reserved event name"),
            Self::Redis(e) => write!(f, "redis: {e}"),
        }
    }
}

impl std::error::Error for EmitError {}

const RESERVED: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

impl Emitter {
    /// Connects to Redis at `url` with channel prefix `key` (socket.io's default is
    /// `socket.io`). Fails at once when Redis is unreachable.
    pub fn connect(url: &str, key: &str) -> Result<Self, LinkError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
        let link = rt.block_on(RedisLink::connect_publisher(LinkOptions::new(url)))?;
        Ok(Self {
            link,
            key: key.to_owned(),
            rt,
        })
    }

    fn publish(&self, channel: String, payload: Vec<u8>) -> Result<(), EmitError> {
        self.rt
            .block_on(
                self.link
                    .command::<usize>(redis::cmd("PUBLISH").arg(channel).arg(payload)),
            )
            .map(|_| ())
            .map_err(|e| EmitError::Redis(e.to_string()))
    }

    /// Emits `event` to the sockets `to` selects in namespace `nsp`, on every node.
    pub fn emit(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        event: &str,
        args: &Payload,
    ) -> Result<(), EmitError> {
        if RESERVED.contains(&event) {
            return Err(EmitError::Reserved(event.to_owned()));
        }
        let ch = Channels::new(&self.key, nsp);
        let msg = wire::broadcast_message(UID, nsp, to, wire::event_data(event, args));
        self.publish(ch.broadcast_channel(to), msg)
    }

    fn request(&self, nsp: &str, mut fields: Vec<(&str, Json)>) -> Result<(), EmitError> {
        fields.insert(0, ("uid", Json::from(UID)));
        let ch = Channels::new(&self.key, nsp);
        self.publish(ch.request, wire::json_object(fields))
    }

    /// `socketsJoin` on every node.
    pub fn sockets_join(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), EmitError> {
        self.request(nsp, wire::rooms_request(kind::REMOTE_JOIN, to, rooms))
    }

    /// `socketsLeave` on every node.
    pub fn sockets_leave(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), EmitError> {
        self.request(nsp, wire::rooms_request(kind::REMOTE_LEAVE, to, rooms))
    }

    /// `disconnectSockets` on every node.
    pub fn disconnect_sockets(
        &self,
        nsp: &str,
        to: &BroadcastOptions,
        close: bool,
    ) -> Result<(), EmitError> {
        self.request(nsp, wire::disconnect_request(to, close))
    }

    /// `serverSideEmit` to every node (no acknowledgement, as the Node emitter).
    pub fn server_side_emit(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
    ) -> Result<(), EmitError> {
        self.request(
            nsp,
            vec![
                ("type", Json::from(kind::SERVER_SIDE_EMIT)),
                ("data", wire::event_json(event, args)),
            ],
        )
    }
}

impl Drop for Emitter {
    fn drop(&mut self) {
        self.link.close();
    }
}
