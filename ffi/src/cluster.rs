//! Cluster-wide requests from C (`serverSideEmit`, `fetchSockets`, all rooms, server
//! count): thin calls into [`roomcast::host::Server`]; answers come back through the event
//! stream as `ROOMCAST_EVENT_CLUSTER_REPLY`, so no command waits on the network.

use std::ffi::c_char;
use std::time::Duration;

use roomcast::host::ClusterRequest;

use crate::input::{payload, put, text};
use crate::server::{roomcast_server, with_server};
use crate::status::*;
use crate::types::{broadcast_options, roomcast_target};

/// `roomcast_cluster_request` kind: `fetchSockets` of the sockets `to` selects (on every
/// node); `value` is a list of `{"id","handshake","rooms","data"}`.
pub const ROOMCAST_REQUEST_FETCH_SOCKETS: i32 = 1;
/// `roomcast_cluster_request` kind: the rooms of every node (socket-id rooms included,
/// sorted); `value` is a list of names.
pub const ROOMCAST_REQUEST_ALL_ROOMS: i32 = 2;
/// `roomcast_cluster_request` kind: the number of nodes serving `nsp` (this one included);
/// `value` is a number, or null when Redis could not be asked.
pub const ROOMCAST_REQUEST_SERVER_COUNT: i32 = 3;
/// `roomcast_cluster_request` kind: `serverSideEmitWithAck(event, ...args)`; `value` is
/// the list of the other nodes' replies (each the first argument of its ack).
pub const ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK: i32 = 4;

/// (revision 9) `serverSideEmit`: every other node of the cluster gets `event` with
/// `args_json` (a JSON array text, NULL = no arguments; no binary: the wire format carries
/// JSON here). Roomcast nodes see it as `ROOMCAST_EVENT_SERVER_SIDE_EMIT`, Node socket.io
/// nodes as `io.on(event)`. Without a cluster it reaches nobody.
#[no_mangle]
pub unsafe extern "C" fn roomcast_server_side_emit(
    server: *mut roomcast_server,
    nsp: *const c_char,
    event: *const c_char,
    args_json: *const c_char,
) -> roomcast_status {
    with_server(server, |state| {
        let (nsp, event) = (text(nsp, "nsp")?, text(event, "event")?);
        let args = payload(args_json, std::ptr::null(), 0)?;
        state.server.server_side_emit(nsp, event, &args)?;
        Ok(())
    })
}

/// (revision 9) Starts a request to every node of the cluster (`kind` one of
/// `ROOMCAST_REQUEST_*`) on namespace `nsp` and writes its id to `request_id` (when not
/// NULL); returns at once. The answer comes as one `ROOMCAST_EVENT_CLUSTER_REPLY` event
/// with that `request_id` and a `reply_json` object (see `roomcast_event.reply_json`),
/// after every node answered or the timeout. `to` selects the sockets of FETCH_SOCKETS
/// (NULL: all) and must be NULL for the other kinds. `event` and `args_json` are the
/// event of SERVER_SIDE_EMIT_WITH_ACK (NULL for the others), which waits `timeout_ms`
/// (0: 5 s); the other kinds wait the cluster's request timeout and take `timeout_ms` 0.
/// Without a cluster, requests answer at once with this node alone. A misplaced argument
/// or an unknown kind is `ROOMCAST_ERR_INVALID_ARGUMENT`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn roomcast_cluster_request(
    server: *mut roomcast_server,
    nsp: *const c_char,
    kind: i32,
    to: *const roomcast_target,
    event: *const c_char,
    args_json: *const c_char,
    timeout_ms: u32,
    request_id: *mut u64,
) -> roomcast_status {
    with_server(server, |state| {
        let nsp = text(nsp, "nsp")?;
        let misplaced = |what: &str| {
            Err(Fail::new(
                ROOMCAST_ERR_INVALID_ARGUMENT,
                format!("roomcast_cluster_request: {what} does not apply to request kind {kind}"),
            ))
        };
        let sse = kind == ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK;
        if !to.is_null() && kind != ROOMCAST_REQUEST_FETCH_SOCKETS {
            return misplaced("a target");
        }
        if !sse && (!event.is_null() || !args_json.is_null()) {
            return misplaced("an event");
        }
        if !sse && timeout_ms != 0 {
            return misplaced("timeout_ms");
        }
        let req = match kind {
            ROOMCAST_REQUEST_FETCH_SOCKETS => ClusterRequest::FetchSockets(broadcast_options(to)?),
            ROOMCAST_REQUEST_ALL_ROOMS => ClusterRequest::AllRooms,
            ROOMCAST_REQUEST_SERVER_COUNT => ClusterRequest::ServerCount,
            ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK => ClusterRequest::ServerSideEmitWithAck {
                event: text(event, "event")?.to_owned(),
                args: payload(args_json, std::ptr::null(), 0)?,
                timeout: Duration::from_millis(if timeout_ms == 0 {
                    5000
                } else {
                    timeout_ms.into()
                }),
            },
            other => {
                return Err(Fail::new(
                    ROOMCAST_ERR_INVALID_ARGUMENT,
                    format!("roomcast_cluster_request: unknown request kind {other}"),
                ))
            }
        };
        let id = state.server.cluster_request(nsp, req)?;
        put(request_id, id);
        Ok(())
    })
}
