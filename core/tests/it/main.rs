//! The core's integration tests, one binary (each file below used to be its own, and
//! linking eight test binaries was most of `cargo test`'s time on a 2-core CI machine).
//! Each module drives a real server over loopback with raw Engine.IO/Socket.IO frames.
//! `log_sink.rs` stays a binary of its own: it installs the process-wide log sink.

mod common;

mod ack_timers;
mod allow_request;
mod connect_flow;
mod engine_conn;
mod host;
mod http_layer;
mod polling_upgrade;
mod protocol_violations;
mod room_events;
