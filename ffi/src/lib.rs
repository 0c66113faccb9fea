//! C ABI for roomcast: a thin layer over [`roomcast::host`] (see `include/roomcast.h`,
//! generated from this crate by cbindgen; the threading model and shutdown order are
//! documented at the top of that header, from `ffi/cbindgen.toml`).
//!
//! No protocol logic lives here: this crate validates what C hands in (handles, UTF-8,
//! JSON), converts events into flat C structs and maps errors to status codes.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]
// Every exported `unsafe extern "C" fn` has one contract, the C caller's (stated in the
// header: valid handles, NUL-terminated strings, `(ptr, len)` arrays); its body only hands
// those pointers to the checked readers in `input`, whose `# Safety` restates that
// contract. Marking each such forwarding call again would repeat the header line by line.
#![allow(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod allow;
mod carry;
mod cluster;
mod commands;
mod config;
mod conn;
mod event;
mod input;
mod limits;
mod log;
mod plain;
mod registry;
mod server;
mod status;
mod types;

pub use allow::*;
pub use carry::*;
pub use cluster::*;
pub use commands::*;
pub use config::*;
pub use event::{roomcast_ack_reply, roomcast_event, roomcast_event_kind};
pub use limits::*;
pub use log::*;
pub use server::*;
pub use status::*;
pub use types::*;

use std::ffi::c_char;

/// Version of the C ABI; bumped on any incompatible change (a removed or changed function,
/// a changed or reordered struct field, a changed constant). Compare with
/// `roomcast_abi_version()` at run time to detect a mismatched library.
pub const ROOMCAST_ABI_VERSION: u32 = 1;

/// Compatible additions within `ROOMCAST_ABI_VERSION`, counted: bumped whenever a field is
/// appended to a library-allocated struct (`roomcast_event`) or a function is added, and
/// reset to 1 when `ROOMCAST_ABI_VERSION` changes. A library of revision N runs every host
/// built against the same ABI version and a revision up to N. A host that must also run
/// on older libraries checks `roomcast_abi_revision() >= M` before reading a field marked
/// "revision M" (an older library's event ends before it; a missing function already
/// fails at load time). Revisions: 1 the first C ABI; 2 `roomcast_event.disconnected`,
/// `roomcast_config_set_{max_attachments,allow_polling,allow_websocket,max_buffered_frames}`
/// and `roomcast_abi_revision`; 3 `roomcast_event.recovered`,
/// `roomcast_config_set_connection_state_recovery`, `roomcast_set_data` and `roomcast_data`;
/// 4 `roomcast_config_set_redis` and `ROOMCAST_EVENT_SERVER_SIDE_EMIT`;
/// 5 `ROOMCAST_ERR_INVALID_CONFIG` (config errors, formerly `ROOMCAST_ERR_INVALID_ARGUMENT`),
/// `roomcast_config_set_hold_connect`, `roomcast_release`,
/// `roomcast_sockets_join`, `roomcast_sockets_leave`, `roomcast_disconnect_sockets` and
/// `roomcast_add_namespace`; 6 the limits and timeouts:
/// `roomcast_config_set_{max_buffered_bytes,write_timeout_ms,header_timeout_ms,body_timeout_ms}`,
/// `roomcast_config_set_{max_pending_events,max_pending_bytes}` and their `_total`,
/// `roomcast_config_set_{max_connections,max_connections_per_ip,handshakes_per_sec}`,
/// `roomcast_config_set_{handshakes_per_sec_per_ip,max_name_length,max_rooms_per_socket}`
/// and `roomcast_config_set_cleanup_empty_child_namespaces`; 7
/// `roomcast_config_set_redis_streams`; 8 `allow_request`:
/// `roomcast_config_set_allow_request`, `roomcast_config_set_allow_request_timeout_ms`,
/// `ROOMCAST_EVENT_ALLOW_REQUEST` and `roomcast_allow_request`; 9 `roomcast_server_side_emit`,
/// `roomcast_cluster_request`, `ROOMCAST_EVENT_CLUSTER_REPLY` and
/// `roomcast_event.{request_id,reply_json}`; 10 `roomcast_config_set_redis_sharded`;
/// 11 `roomcast_config_set_tls_cert`, `roomcast_config_set_tls_key` and
/// `roomcast_server_reload_tls`; 12
/// `roomcast_config_set_metrics`, `roomcast_config_set_metrics_path` and
/// `roomcast_server_metrics`; 13 logs: `roomcast_set_log_callback`, `roomcast_set_log_filter`
/// and the `ROOMCAST_LOG_*` levels; 14 `roomcast_config_set_listen` and
/// `roomcast_server_adopt_fd`; 15 `roomcast_config_set_parser` and
/// `roomcast_config_set_per_message_deflate`; 16 plain WebSocket routes:
/// `ROOMCAST_EVENT_PLAIN_{REQUEST,CONNECTION,MESSAGE,CLOSE}`,
/// `roomcast_event.{route,data,data_binary,close_code}`, the handshake's `cookies`,
/// `roomcast_config_add_route`, `roomcast_config_set_route_{text,count,ms,bool}` and
/// `roomcast_plain_{send,join,leave,rooms,close}`;
/// 17 `roomcast_config_set_admin_ui`; 18 the Engine.IO connection:
/// `ROOMCAST_EVENT_{CONNECTION_ERROR,UPGRADE}`,
/// `roomcast_event.{conn_id,error_code,context_json,method}`, the handshake's `conn_id`,
/// `roomcast_report_{connection_errors,upgrades}`, `roomcast_set_allow_request`,
/// `roomcast_allow_request_with`, `roomcast_connection_transport` and
/// `roomcast_close_connection`; 19 carried traffic: `roomcast_carry_request`,
/// `roomcast_carry_websocket`, `roomcast_carried_{send,recv,close,free}`;
/// 20 permessage-deflate works:
/// `roomcast_config_set_per_message_deflate_threshold` and `ROOMCAST_TARGET_NO_COMPRESS`;
/// 21 CORS origins by pattern and by the host: `roomcast_config_add_cors_origin_pattern`,
/// `roomcast_config_set_cors_origin_hook`, `ROOMCAST_EVENT_CORS_ORIGIN` and
/// `roomcast_allow_origin`; 22 room events: `roomcast_observe_rooms`,
/// `ROOMCAST_EVENT_ROOM_{CREATE,DELETE,JOIN,LEAVE}` and `roomcast_event.room`;
/// 23 the cors package's other headers: `roomcast_config_set_cors_{methods,
/// allowed_headers,exposed_headers,max_age}`.
pub const ROOMCAST_ABI_REVISION: u32 = 23;

/// The library version, e.g. "0.1.0" (static string, do not free).
#[no_mangle]
pub extern "C" fn roomcast_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version the library was built with (`ROOMCAST_ABI_VERSION` of its header).
#[no_mangle]
pub extern "C" fn roomcast_abi_version() -> u32 {
    ROOMCAST_ABI_VERSION
}

/// The ABI revision the library was built with (`ROOMCAST_ABI_REVISION` of its header).
#[no_mangle]
pub extern "C" fn roomcast_abi_revision() -> u32 {
    ROOMCAST_ABI_REVISION
}
