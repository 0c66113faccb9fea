//! roomcast: a Socket.IO server (Engine.IO v4, Socket.IO v5) in Rust, built to be embedded.
//!
//! Layers, each depending only on those before it:
//! [`engine`] (transports, sessions, heartbeat) → [`protocol`] (packet codec, pure) and
//! [`adapter`] (rooms) → [`server`] (namespaces, sockets, acks) → [`host`] (the API that
//! C, Python, Node and Rust hosts use).

#![warn(missing_docs)]

pub mod adapter;
pub mod config;
pub mod engine;
pub mod host;
pub mod http;
pub mod protocol;
pub mod server;
pub mod sid;

pub use adapter::BroadcastOptions;
pub use config::{AllowedOrigins, Config, Cors, NamespaceMatch, NamespaceRule};
pub use host::{Event, Events, Server};
pub use protocol::Payload;
pub use sid::Sid;
