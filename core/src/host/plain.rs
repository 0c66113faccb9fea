//! Plain WebSocket routes on the host API: mounting them at start, and the commands on
//! their connections (by id, as sockets are named). A Socket.IO emit to a room reaches
//! the plain connections in it by their route's delivery rule; see [`crate::PlainRoute`].

use std::sync::Arc;

use super::{allow::AllowGate, Error, Server};
use crate::engine::plain::{PlainConfig, PlainEndpoint};
use crate::engine::Endpoint;
use crate::live::Tracker;
use crate::server::{PlainData, RouteHandler, SocketIo};
use crate::sid::Sid;
use crate::Config;

/// The endpoints of `config`'s plain routes, as `(path, endpoint)`.
pub(crate) fn endpoints(
    config: &Config,
    io: &Arc<SocketIo>,
    gate: Option<&Arc<AllowGate>>,
    tracker: &Tracker,
) -> Vec<(String, Arc<dyn Endpoint>)> {
    config
        .plain_routes
        .iter()
        .map(|route| {
            let cfg = PlainConfig {
                ping_interval: route.ping_interval.unwrap_or(config.ping_interval),
                ping_timeout: route.ping_timeout.unwrap_or(config.ping_timeout),
                max_message_size: route.max_message_size.unwrap_or(config.max_payload),
                max_buffered_frames: config.max_buffered_frames,
                max_buffered_bytes: config.max_buffered_bytes,
                handshakes_per_sec: config.handshakes_per_sec,
                handshakes_per_sec_per_ip: config.handshakes_per_sec_per_ip,
                per_message_deflate: config.per_message_deflate.is_some(),
                tracker: tracker.clone(),
            };
            let handler = RouteHandler::new(io, route, gate.map(|g| g.plain_hook()));
            let ep: Arc<dyn Endpoint> = PlainEndpoint::new(cfg, handler);
            (route.path.clone(), ep)
        })
        .collect()
}

fn id(s: &str) -> Result<Sid, Error> {
    Sid::parse(s).ok_or(Error::NoSuchSocket)
}

impl Server {
    /// Sends a text or binary message to plain connection `id` (`NoSuchSocket` once it
    /// closed). Its queue bound applies: overflow drops it as a slow consumer.
    pub fn plain_send(&self, id_: &str, data: PlainData) -> Result<(), Error> {
        self.live()?.plain_send(id(id_)?, data)
    }

    /// Puts plain connection `id` in `rooms` of its route's namespace, beside the sockets
    /// there: a room emit then reaches it.
    pub fn plain_join(&self, id_: &str, rooms: &[&str]) -> Result<(), Error> {
        self.live()?.plain_join(id(id_)?, rooms)
    }

    /// Takes plain connection `id` out of `rooms`.
    pub fn plain_leave(&self, id_: &str, rooms: &[&str]) -> Result<(), Error> {
        self.live()?.plain_leave(id(id_)?, rooms)
    }

    /// The rooms of plain connection `id` (its own id room included), sorted.
    pub fn plain_rooms(&self, id_: &str) -> Result<Vec<String>, Error> {
        self.live()?.plain_rooms(id(id_)?)
    }

    /// Closes plain connection `id` with a close frame `code` (1000-1003, 1007-1014 or
    /// 3000-4999) and `reason` (at most 123 bytes), after what is queued for it.
    pub fn plain_close(&self, id_: &str, code: u16, reason: &str) -> Result<(), Error> {
        self.live()?.plain_close(id(id_)?, code, reason)
    }

    /// The route path and namespace of plain connection `id`.
    pub fn plain_route(&self, id_: &str) -> Result<(Arc<str>, Arc<str>), Error> {
        self.live()?.plain_route(id(id_)?)
    }
}
