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
//! `["connect_request", requestId, nsp, handshake, futureSid]`, `["connection", nsp, sid, handshake]`,
//! `["message", nsp, sid, event, args, ackKey|null]`, `["ack", id, [[sid, args]...], timedOut]`,
//! `["disconnecting", nsp, sid, reason, rooms]`, `["disconnect", nsp, sid, reason]`,
//! `["server_side_emit", nsp, event, args, ackId|null]`, `["reply", requestId, json]`,
//! `["closed"]`. `args` is JSON text, or an array when it carries binary.

use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsUnknown, Result};
use roomcast::host::{AckTokens, Event, Events};
use std::sync::Arc;

use crate::convert::{args_to_js, handshake_to_js};

/// What one thread-safe call carries to the JavaScript thread.
pub enum Delivery {
    /// The answer of a cluster request (`["reply", id, json]`).
    Reply(f64, String),
    Event(Event, Option<u64>),
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
        Delivery::Event(ev, ack_key) => match ev {
            Event::AllowRequest {
                request,
                method,
                handshake,
            } => vec![
                s(env, "allow_request")?,
                env.create_double(request.id() as f64)?.into_unknown(),
                s(env, &method)?,
                handshake_to_js(env, &handshake, None)?.into_unknown(),
            ],
            Event::ConnectRequest {
                request,
                nsp,
                auth,
                handshake,
                recovered,
            } => vec![
                s(env, "connect_request")?,
                env.create_double(request.id() as f64)?.into_unknown(),
                s(env, &nsp)?,
                handshake_to_js(env, &handshake, auth.as_deref())?.into_unknown(),
                match request.sid() {
                    Some(sid) => s(env, sid.as_str())?,
                    None => env.get_undefined()?.into_unknown(),
                },
                env.get_boolean(recovered)?.into_unknown(),
            ],
            Event::Connection {
                nsp,
                sid,
                auth,
                handshake,
                recovered,
            } => vec![
                s(env, "connection")?,
                s(env, &nsp)?,
                s(env, sid.as_str())?,
                handshake_to_js(env, &handshake, auth.as_deref())?.into_unknown(),
                env.get_boolean(recovered)?.into_unknown(),
            ],
            Event::Message {
                nsp,
                sid,
                event,
                args,
                ..
            } => vec![
                s(env, "message")?,
                s(env, &nsp)?,
                s(env, sid.as_str())?,
                s(env, &event)?,
                args_to_js(env, &args)?,
                match ack_key {
                    Some(k) => env.create_double(k as f64)?.into_unknown(),
                    None => env.get_null()?.into_unknown(),
                },
            ],
            Event::AckResponse(result) => {
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
                    env.create_double(result.id as f64)?.into_unknown(),
                    replies.into_unknown(),
                    env.get_boolean(result.timed_out)?.into_unknown(),
                ]
            }
            Event::Disconnecting {
                nsp,
                sid,
                reason,
                rooms,
            } => {
                let mut list = env.create_array_with_length(rooms.len())?;
                for (i, r) in rooms.iter().enumerate() {
                    list.set_element(i as u32, env.create_string(r)?)?;
                }
                vec![
                    s(env, "disconnecting")?,
                    s(env, &nsp)?,
                    s(env, sid.as_str())?,
                    s(env, reason.as_str())?,
                    list.into_unknown(),
                ]
            }
            Event::ServerSideEmit {
                nsp, event, args, ..
            } => vec![
                s(env, "server_side_emit")?,
                s(env, &nsp)?,
                s(env, &event)?,
                args_to_js(env, &args)?,
                // The ack token (see `AckTokens::track`), answered with `serverSideAck`.
                match ack_key {
                    Some(k) => env.create_double(k as f64)?.into_unknown(),
                    None => env.get_null()?.into_unknown(),
                },
            ],
            // Not produced: this binding takes cluster answers through `Delivery::Reply`.
            Event::ClusterReply { id, reply } => vec![
                s(env, "reply")?,
                env.create_double(id as f64)?.into_unknown(),
                s(env, &reply.to_string())?,
            ],
            Event::Disconnect { nsp, sid, reason } => {
                vec![
                    s(env, "disconnect")?,
                    s(env, &nsp)?,
                    s(env, sid.as_str())?,
                    s(env, reason.as_str())?,
                ]
            }
        },
    };
    let mut arr = env.create_array_with_length(items.len())?;
    for (i, v) in items.into_iter().enumerate() {
        arr.set_element(i as u32, v)?;
    }
    Ok(vec![arr.into_unknown()])
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
            while let Some(mut ev) = events.recv() {
                let key = acks.track(&mut ev);
                // Closing means the environment is going away: nobody is left to tell.
                let _ = deliver.call(
                    Delivery::Event(ev, key),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
            let _ = deliver.call(Delivery::Closed, ThreadsafeFunctionCallMode::NonBlocking);
        })
}
