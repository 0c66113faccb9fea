//! roomcast: a Socket.IO server (Engine.IO v4, Socket.IO v5) in Rust, built to be embedded.
//!
//! A host needs [`host`] and the types re-exported here: [`host::Server::start`] with a
//! [`Config`], then commands on the [`host::Server`] and [`host::Event`]s from one ordered
//! stream. [`adapter`] holds the [`adapter::Adapter`] trait for room storage (the in-memory
//! one, and remote ones such as Redis). Everything else is internal.
//!
//! Layers, each depending only on those before it: `engine` (transports, sessions,
//! heartbeat) → `protocol` (packet codec, pure) and [`adapter`] (rooms) → `server`
//! (namespaces, sockets, acks) → [`host`] (the API that C, Python, Node and Rust hosts use).

#![warn(missing_docs)]

pub mod adapter;
pub mod config;
pub(crate) mod conn_limit;
pub(crate) mod engine;
#[doc(hidden)]
pub mod fuzz;
pub mod host;
pub(crate) mod http;
pub(crate) mod live;
pub(crate) mod metrics;
pub(crate) mod protocol;
pub(crate) mod route;
pub(crate) mod server;
pub(crate) mod sid;
pub(crate) mod stall;
pub(crate) mod text;
pub mod tls;

pub use adapter::BroadcastOptions;
pub use config::{
    AdminMode, AdminUi, AllowedOrigins, Config, Cors, CorsHeaders, DeflateConfig, Delivery,
    NamespaceMatch, NamespaceRule, OriginPattern, PlainRoute, RecoveryConfig,
};
pub use host::{Event, Events, Server};
pub use protocol::Payload;
pub use sid::Sid;
pub use tls::{Pem, TlsConfig};
