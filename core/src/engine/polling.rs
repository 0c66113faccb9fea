//! HTTP long-polling: one GET and one POST in flight per session.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, StatusCode};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::endpoint::{text_response, Body, EioError};
use super::packet::{decode_payload, encode_payload};
use super::{CloseReason, Engine, Frame, Handler, SessionRef, TransportKind};
use crate::text::Text;

/// Closes the session if a long-poll is dropped before it answered (the client went away).
struct PendingGet<'a, D> {
    session: &'a SessionRef<D>,
    armed: bool,
}

impl<D> Drop for PendingGet<'_, D> {
    fn drop(&mut self) {
        if self.armed {
            self.session.outbox.lock().get_waiting = false;
            self.session.close(CloseReason::TransportError);
        }
    }
}

impl<H: Handler> Engine<H> {
    pub(crate) async fn poll_get(self: Arc<Self>, session: SessionRef<H::Data>) -> Response<Body> {
        {
            let mut o = session.outbox.lock();
            if let (Some(reason), false) = (o.closed, o.get_waiting) {
                // A lingering closed session. Closed by the client: noop once, then forget
                // it. Closed by the server in an orderly way: what was still queued, then
                // (on the next GET, as engine.io) noop and the close packet.
                if reason.orderly() && !o.frames.is_empty() {
                    let body = encode_payload(o.frames.iter());
                    o.release();
                    return text_response(StatusCode::OK, body);
                }
                o.release();
                drop(o);
                self.forget(session.sid);
                let last = if reason.orderly() { "6\x1e1" } else { "6" };
                return text_response(StatusCode::OK, last);
            }
            if o.transport != TransportKind::Polling {
                return EioError::BadRequest.response();
            }
            if o.get_waiting {
                drop(o);
                session.close(CloseReason::TransportError);
                return EioError::BadRequest.response();
            }
            o.get_waiting = true;
        }
        let mut guard = PendingGet {
            session: &session,
            armed: true,
        };
        let body = loop {
            {
                let mut o = session.outbox.lock();
                if let Some(reason) = o.closed {
                    o.get_waiting = false;
                    // A client-sent close is answered with noop; a server close with close.
                    let last = if reason == CloseReason::TransportClose {
                        "6"
                    } else {
                        "1"
                    };
                    o.frames.push_back(Frame::Text(Text::from_static(last)));
                    let body = encode_payload(o.frames.iter());
                    o.frames.clear();
                    o.bytes = 0;
                    break body;
                }
                if !o.frames.is_empty() {
                    o.get_waiting = false;
                    let body = encode_payload(o.frames.iter());
                    o.frames.clear();
                    o.bytes = 0;
                    break body;
                }
                if o.upgrading || o.transport != TransportKind::Polling {
                    o.get_waiting = false;
                    break Bytes::from_static(b"6");
                }
            }
            session.wake.wait().await;
        };
        guard.armed = false;
        text_response(StatusCode::OK, body)
    }

    pub(crate) async fn poll_post(
        self: Arc<Self>,
        session: SessionRef<H::Data>,
        req: Request<Incoming>,
    ) -> Response<Body> {
        if session.transport() != TransportKind::Polling || session.is_closed() {
            return EioError::BadRequest.response();
        }
        let octet = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/octet-stream"));
        if octet || session.post_in_flight.swap(true, Ordering::AcqRel) {
            session.close(CloseReason::TransportError);
            return EioError::BadRequest.response();
        }
        // The body must arrive within `body_timeout`, and no later than its session lives.
        let closed = session.closed_signal.notified();
        tokio::pin!(closed);
        closed.as_mut().enable();
        if let Some(room) = self.handler.ready(&session) {
            // Backpressure: the body is not read until the host has taken enough events.
            let _hold = session.hold_reads();
            tokio::select! {
                _ = room => {}
                _ = &mut closed, if !session.is_closed() => {
                    session.post_in_flight.store(false, Ordering::Release);
                    return EioError::BadRequest.response();
                }
            }
        }
        let collect = Limited::new(req.into_body(), self.cfg.max_payload).collect();
        let result = tokio::select! {
            r = tokio::time::timeout(self.cfg.body_timeout, collect) => r,
            _ = closed, if !session.is_closed() => {
                session.post_in_flight.store(false, Ordering::Release);
                return EioError::BadRequest.response();
            }
        };
        let Ok(result) = result else {
            session.close(CloseReason::TransportError);
            session.post_in_flight.store(false, Ordering::Release);
            return text_response(StatusCode::REQUEST_TIMEOUT, "request body timeout");
        };
        let resp = match result {
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                session.close(CloseReason::TransportError);
                text_response(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
            }
            Err(_) => {
                session.close(CloseReason::TransportError);
                EioError::BadRequest.response()
            }
            Ok(collected) => {
                let body = collected.to_bytes();
                let packets = std::str::from_utf8(&body).ok().and_then(decode_payload);
                match packets {
                    Some(packets) => {
                        let mut ok = true;
                        for p in packets {
                            if self.on_packet(&session, p).is_err() {
                                ok = false;
                                break;
                            }
                        }
                        if ok {
                            text_response(StatusCode::OK, "ok")
                        } else {
                            session.close(CloseReason::ParseError);
                            EioError::BadRequest.response()
                        }
                    }
                    None => {
                        session.close(CloseReason::ParseError);
                        EioError::BadRequest.response()
                    }
                }
            }
        };
        session.post_in_flight.store(false, Ordering::Release);
        resp
    }
}
