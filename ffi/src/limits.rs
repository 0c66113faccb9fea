//! The config setters added in ABI revision 6 (the resource limits and timeouts, and the
//! Redis options `roomcast_config_set_redis` leaves at their defaults), one per
//! option of the core's table (`roomcast::host::options::OPTIONS`), which checks them.

use std::time::Duration;

use roomcast::host::options::OptionValue;

use crate::config::{roomcast_config, set};
use crate::status::roomcast_status;

/// Bound of each connection's outbound queue in bytes (default 16 MiB; each queued frame
/// counts its length plus 64 bytes). A client whose queue would pass it is dropped as a
/// slow consumer (volatile packets are dropped instead). 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_buffered_bytes(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(cfg, "max_buffered_bytes", OptionValue::Count(bytes as u64))
}

/// Message events of one connection waiting in the event stream (default 128). At the limit
/// that connection is not read until the host takes some (TCP backpressure); past 4 times
/// the limit it is dropped ("inbound overflow"). 0 is `ROOMCAST_ERR_INVALID_CONFIG`. Since
/// ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_pending_events(
    cfg: *mut roomcast_config,
    events: usize,
) -> roomcast_status {
    set(cfg, "max_pending_events", OptionValue::Count(events as u64))
}

/// Bytes of one connection's message events waiting in the event stream (default 4 MiB);
/// same policy as `max_pending_events`. 0 is `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI
/// revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_pending_bytes(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(cfg, "max_pending_bytes", OptionValue::Count(bytes as u64))
}

/// Message events of all connections waiting in the event stream (default 65536); at the
/// limit no connection is read until the host catches up. 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_pending_events_total(
    cfg: *mut roomcast_config,
    events: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_pending_events_total",
        OptionValue::Count(events as u64),
    )
}

/// Bytes of all connections' message events waiting in the event stream (default 256 MiB).
/// 0 is `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_pending_bytes_total(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_pending_bytes_total",
        OptionValue::Count(bytes as u64),
    )
}

/// Most simultaneous TCP connections (default 100000); more are closed at accept. 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_connections(
    cfg: *mut roomcast_config,
    connections: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_connections",
        OptionValue::Count(connections as u64),
    )
}

/// Most simultaneous TCP connections from one IP address (default 0: no limit, since behind
/// a reverse proxy every client has the proxy's address). Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_connections_per_ip(
    cfg: *mut roomcast_config,
    connections: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_connections_per_ip",
        OptionValue::Count(connections as u64),
    )
}

/// Longest namespace or room name in bytes (default 256): a CONNECT to a longer namespace
/// gets "Invalid namespace", joining a longer room is `ROOMCAST_ERR_INVALID_ARGUMENT`. 0 is
/// `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_name_length(
    cfg: *mut roomcast_config,
    bytes: usize,
) -> roomcast_status {
    set(cfg, "max_name_length", OptionValue::Count(bytes as u64))
}

/// Most rooms one socket can be in, its own room included (default 4096); a join past it is
/// `ROOMCAST_ERR_INVALID_ARGUMENT` and joins nothing. 0 is `ROOMCAST_ERR_INVALID_CONFIG`.
/// Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_max_rooms_per_socket(
    cfg: *mut roomcast_config,
    rooms: usize,
) -> roomcast_status {
    set(
        cfg,
        "max_rooms_per_socket",
        OptionValue::Count(rooms as u64),
    )
}

/// Engine.IO handshakes accepted per second (default 0: no limit); past it a handshake gets
/// HTTP 429 `{"code":4,"message":"Too many handshakes"}`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_handshakes_per_sec(
    cfg: *mut roomcast_config,
    per_sec: u32,
) -> roomcast_status {
    set(
        cfg,
        "handshakes_per_sec",
        OptionValue::Count(per_sec.into()),
    )
}

/// Engine.IO handshakes accepted per second from one IP address (default 0: no limit).
/// Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_handshakes_per_sec_per_ip(
    cfg: *mut roomcast_config,
    per_sec: u32,
) -> roomcast_status {
    set(
        cfg,
        "handshakes_per_sec_per_ip",
        OptionValue::Count(per_sec.into()),
    )
}

/// Drops a connection whose socket takes no bytes for this many milliseconds while the
/// server has something to write (default 20000): a WebSocket with reason "slow consumer",
/// an HTTP connection closed. 0 or more than a year is `ROOMCAST_ERR_INVALID_CONFIG`. Since
/// ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_write_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "write_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Milliseconds from accepting a TCP connection (or from the previous response on a keep-
/// alive connection) until a request's headers are complete (default 10000): bounds idle
/// connections, trickled headers and so the time to the Engine.IO open. 0 or more than a
/// year is `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_header_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "header_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Milliseconds allowed to receive a whole polling POST body (default 20000); past it the
/// request gets 408 and its session closes ("transport error"). 0 or more than a year is
/// `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_body_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "body_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Removes a dynamic namespace (a glob such as "/room-*") once its last socket leaves, as
/// socket.io's `cleanupEmptyChildNamespaces` (default false); a later CONNECT to it creates
/// it again. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_cleanup_empty_child_namespaces(
    cfg: *mut roomcast_config,
    cleanup: bool,
) -> roomcast_status {
    set(
        cfg,
        "cleanup_empty_child_namespaces",
        OptionValue::Bool(cleanup),
    )
}

/// Redis: how long cluster requests wait for the other nodes, in milliseconds (default
/// 5000; `requestsTimeout` of @socket.io/redis-adapter). Needs `roomcast_config_set_redis`,
/// else `roomcast_server_start` fails with `ROOMCAST_ERR_INVALID_CONFIG`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_redis_request_timeout_ms(
    cfg: *mut roomcast_config,
    ms: u64,
) -> roomcast_status {
    set(
        cfg,
        "redis_request_timeout",
        OptionValue::Duration(Duration::from_millis(ms)),
    )
}

/// Redis: answer cluster requests on a channel of this node's own
/// (`publishOnSpecificResponseChannel` of @socket.io/redis-adapter; default false). Needs
/// `roomcast_config_set_redis`. Since ABI revision 6.
#[no_mangle]
pub extern "C" fn roomcast_config_set_redis_specific_response_channel(
    cfg: *mut roomcast_config,
    specific: bool,
) -> roomcast_status {
    set(
        cfg,
        "redis_specific_response_channel",
        OptionValue::Bool(specific),
    )
}

#[cfg(test)]
mod tests {
    use roomcast::host::options::{OptionKind, OPTIONS};

    /// Options C sets through a function that takes several at once.
    const GROUPED: &[(&str, &str)] = &[
        ("cors_origins", "roomcast_config_add_cors_origin"),
        (
            "cors_origin_patterns",
            "roomcast_config_add_cors_origin_pattern",
        ),
        (
            "recovery_max_disconnection_duration",
            "roomcast_config_set_connection_state_recovery",
        ),
        (
            "recovery_skip_middlewares",
            "roomcast_config_set_connection_state_recovery",
        ),
        (
            "recovery_max_packets",
            "roomcast_config_set_connection_state_recovery",
        ),
        ("redis_url", "roomcast_config_set_redis"),
        ("redis_key", "roomcast_config_set_redis"),
        ("redis_streams", "roomcast_config_set_redis_streams"),
        ("redis_stream_max_len", "roomcast_config_set_redis_streams"),
        ("redis_sharded", "roomcast_config_set_redis_sharded"),
        (
            "redis_subscription_mode",
            "roomcast_config_set_redis_sharded",
        ),
        ("admin_ui", "roomcast_config_set_admin_ui"),
        ("admin_ui_namespace", "roomcast_config_set_admin_ui"),
        ("admin_ui_auth", "roomcast_config_set_admin_ui"),
        ("admin_ui_username", "roomcast_config_set_admin_ui"),
        ("admin_ui_password", "roomcast_config_set_admin_ui"),
        ("admin_ui_readonly", "roomcast_config_set_admin_ui"),
        ("admin_ui_mode", "roomcast_config_set_admin_ui"),
        ("admin_ui_server_id", "roomcast_config_set_admin_ui"),
        ("admin_ui_stats_interval", "roomcast_config_set_admin_ui"),
    ];

    /// Every option of the core's table has its C setter in the committed header.
    #[test]
    fn every_option_has_a_c_setter() {
        let header = include_str!("../../include/roomcast.h");
        for o in OPTIONS {
            let f = match GROUPED.iter().find(|(n, _)| *n == o.name) {
                Some((_, f)) => f.to_string(),
                None if o.kind == OptionKind::Duration => {
                    format!("roomcast_config_set_{}_ms", o.name)
                }
                None => format!("roomcast_config_set_{}", o.name),
            };
            assert!(
                header.contains(&format!("{f}(")),
                "no C setter {f} for option {}",
                o.name
            );
        }
    }
}
