//! The thread that moves the core's events to JavaScript, in order.
//!
//! One Rust thread per server blocks on [`Events::recv`] and queues each event on the
//! server's thread-safe function (non-blocking, unbounded queue); Node runs the queued
//! calls on the JavaScript thread in order. The events are turned into JavaScript values
//! there. A `["closed"]` call follows the last event, then the function is released, which
//! lets the process exit once the queue is drained.
//!
//! Each event reaches JavaScript as an array `[kind, ...fields]`:
//! `["allow_request", requestId, method, handshake]`,
//! `["cors_origin", requestId, method, handshake]`,
//! `["connect_request", requestId, nsp, handshake, futureSid]`, `["connection", nsp, sid, handshake]`,
//! `["message", nsp, sid, event, args, ackKey|null]`, `["ack", id, [[sid, args]...], timedOut]`,
//! `["disconnecting", nsp, sid, reason, rooms]`, `["disconnect", nsp, sid, reason]`,
//! `["server_side_emit", nsp, event, args, ackId|null]`, `["reply", requestId, json]`,
//! plain WebSocket routes' `["plain_request", requestId, route, handshake]`,
//! `["plain_connection", route, id, handshake]`, `["plain_message", route, id, data]`
//! (a string for text, a Buffer for binary), `["plain_close", route, id, code, reason]`,
//! the engine's `["connection_error", code, message, contextJson, method, handshake]` and
//! `["upgrade", connId]`, the room events (once observed) `["room", nsp, kind, room, sid|null]`
//! (`kind` socket.io's adapter event name, e.g. "join-room"), `["closed"]`. `args` is JSON text, or an array when it carries binary.

use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsUnknown, Result};
use roomcast::host::{AckTokens, EventKind, Events, FlatEvent, PlainData};
use std::sync::Arc;

use crate::convert::{args_to_js, handshake_to_js};

/// What one thread-safe call carries to the JavaScript thread.
pub enum Delivery {
    /// The answer of a cluster request (`["reply", id, json]`).
    Reply(f64, String),
    /// An event, flattened (its ack request in the token table).
    Event(Box<FlatEvent>),
    Closed,
}

/// The thread-safe function type used for deliveries.
pub type Deliver = ThreadsafeFunction<Delivery, ErrorStrategy::Fatal>;

/// Converts a delivery into the `[kind, ...fields]` array JavaScript receives.
pub fn to_js(ctx: ThreadSafeCallContext<Delivery>) -> Result<Vec<JsUnknown>> {
    let env = &ctx.env;
    let items: Vec<JsUnknown> = match ctx.value {
        Delivery::Closed => vec![s(env, "closed")?],
        Delivery::Reply(id, json) => vec![
            s(env, "reply")?,
            env.create_double(id)?.into_unknown(),
            s(env, &json)?,
        ],
        Delivery::Event(f) => event_to_js(env, *f)?,
    };
    let mut arr = env.create_array_with_length(items.len())?;
    for (i, v) in items.into_iter().enumerate() {
        arr.set_element(i as u32, v)?;
    }
    Ok(vec![arr.into_unknown()])
}

/// One event's `[kind, ...fields]` (see the module comment).
fn event_to_js(env: &Env, f: FlatEvent) -> Result<Vec<JsUnknown>> {
    let text = |t: Option<&str>| match t {
        Some(t) => s(env, t),
        None => Ok(env.get_undefined()?.into_unknown()),
    };
    let nsp = text(f.nsp.as_deref())?;
    let sid = text(f.sid.as_ref().map(|s| s.as_str()))?;
    let number = |n: u64| Ok::<_, napi::Error>(env.create_double(n as f64)?.into_unknown());
    let token = match f.ack {
        Some(k) => number(k)?,
        None => env.get_null()?.into_unknown(),
    };
    let handshake = match &f.handshake {
        Some(h) => handshake_to_js(env, h, f.auth.as_deref())?.into_unknown(),
        None => env.get_undefined()?.into_unknown(),
    };
    let args = match &f.args {
        Some(a) => args_to_js(env, a)?,
        None => env.get_undefined()?.into_unknown(),
    };
    let recovered = env.get_boolean(f.recovered)?.into_unknown();
    let reason = text(f.reason.map(|r| r.as_str()))?;
    Ok(match f.kind {
        EventKind::AllowRequest => vec![
            s(env, "allow_request")?,
            number(f.request)?,
            text(f.method.as_deref())?,
            handshake,
        ],
        EventKind::ConnectRequest => vec![
            s(env, "connect_request")?,
            number(f.request)?,
            nsp,
            handshake,
            sid,
            recovered,
        ],
        EventKind::Connection => vec![s(env, "connection")?, nsp, sid, handshake, recovered],
        // Not produced: this binding takes cluster answers through `Delivery::Reply`.
        EventKind::ClusterReply => vec![
            s(env, "reply")?,
            number(f.request)?,
            s(env, &f.reply.map(|r| r.to_string()).unwrap_or_default())?,
        ],
        EventKind::Message => vec![
            s(env, "message")?,
            nsp,
            sid,
            text(f.event.as_deref())?,
            args,
            token,
        ],
        EventKind::AckResponse => {
            let Some(result) = &f.ack_result else {
                return Err(napi::Error::from_reason("ack response without its result"));
            };
            let mut replies = env.create_array_with_length(result.replies.len())?;
            for (i, r) in result.replies.iter().enumerate() {
                let mut pair = env.create_array_with_length(2)?;
                match r.sid {
                    // A client of another cluster node: the wire format does not name it.
                    Some(sid) => pair.set_element(0, env.create_string(sid.as_str())?)?,
                    None => pair.set_element(0, env.get_null()?)?,
                }
                pair.set_element(1, args_to_js(env, &r.args)?)?;
                replies.set_element(i as u32, pair)?;
            }
            vec![
                s(env, "ack")?,
                number(result.id)?,
                replies.into_unknown(),
                env.get_boolean(result.timed_out)?.into_unknown(),
            ]
        }
        EventKind::Disconnecting => {
            let rooms = f.rooms.as_deref().unwrap_or_default();
            let mut list = env.create_array_with_length(rooms.len())?;
            for (i, r) in rooms.iter().enumerate() {
                list.set_element(i as u32, env.create_string(r)?)?;
            }
            vec![
                s(env, "disconnecting")?,
                nsp,
                sid,
                reason,
                list.into_unknown(),
            ]
        }
        // The ack token (see `AckTokens::flatten`), answered with `serverSideAck`.
        EventKind::ServerSideEmit => vec![
            s(env, "server_side_emit")?,
            nsp,
            text(f.event.as_deref())?,
            args,
            token,
        ],
        EventKind::Disconnect => vec![s(env, "disconnect")?, nsp, sid, reason],
        EventKind::PlainRequest => vec![
            s(env, "plain_request")?,
            number(f.request)?,
            text(f.route.as_deref())?,
            handshake,
        ],
        EventKind::PlainConnection => vec![
            s(env, "plain_connection")?,
            text(f.route.as_deref())?,
            sid,
            handshake,
        ],
        EventKind::PlainMessage => {
            let data = match f.data {
                Some(PlainData::Text(t)) => s(env, &t)?,
                Some(PlainData::Binary(b)) => env
                    .create_buffer_with_data(b.to_vec())?
                    .into_raw()
                    .into_unknown(),
                None => env.get_undefined()?.into_unknown(),
            };
            vec![
                s(env, "plain_message")?,
                text(f.route.as_deref())?,
                sid,
                data,
            ]
        }
        EventKind::ConnectionError => vec![
            s(env, "connection_error")?,
            number(u64::from(f.code))?,
            text(f.message)?,
            s(env, &f.context.map(|c| c.to_string()).unwrap_or_default())?,
            text(f.method.as_deref())?,
            handshake,
        ],
        EventKind::Upgrade => vec![s(env, "upgrade")?, text(f.conn_id.as_deref())?],
        EventKind::CorsOrigin => vec![
            s(env, "cors_origin")?,
            number(f.request)?,
            text(f.method.as_deref())?,
            handshake,
        ],
        EventKind::Room => vec![
            s(env, "room")?,
            nsp,
            text(f.room_change.map(|k| k.as_str()))?,
            text(f.room.as_deref())?,
            match f.sid {
                Some(_) => sid,
                None => env.get_null()?.into_unknown(),
            },
        ],
        EventKind::PlainClose => vec![
            s(env, "plain_close")?,
            text(f.route.as_deref())?,
            sid,
            env.create_double(f64::from(f.code))?.into_unknown(),
            text(f.close_reason.as_deref())?,
        ],
    })
}

fn s(env: &Env, text: &str) -> Result<JsUnknown> {
    Ok(env.create_string(text)?.into_unknown())
}

/// Starts the delivery thread; it ends (releasing `deliver`) when the event stream ends.
pub fn spawn(
    events: Events,
    deliver: Deliver,
    acks: Arc<AckTokens>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("roomcast-node-events".into())
        .spawn(move || {
            while let Some(ev) = events.recv() {
                let flat = Box::new(acks.flatten(ev));
                // Closing means the environment is going away: nobody is left to tell.
                let _ = deliver.call(
                    Delivery::Event(flat),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
            let _ = deliver.call(Delivery::Closed, ThreadsafeFunctionCallMode::NonBlocking);
        })
}
