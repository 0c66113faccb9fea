//! What a client that breaks the Socket.IO protocol gets, as socket.io answers it: a
//! packet other than CONNECT to a namespace it is not in closes the connection in order
//! ("forced server close" for its sockets); a malformed packet does too ("forced close").
//! A second CONNECT to a namespace it is in replaces the socket (see `on_connect`). In order means what was queued still
//! goes out, then the close: over polling the client's next GETs get the queued packets,
//! then a noop and the close packet (`6\x1e1`), as engine.io's `socket.close()`; a GET
//! waiting at that moment gets the close packet at once. Raw HTTP/1.1 and WebSocket
//! clients, no client library.

use futures_util::StreamExt;
use roomcast::host::{Event, Server};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{config, next_text, open, poll_http, recv, runtime, send};

/// A polling handshake; returns the `&sid=…` query part.
async fn handshake(server: &Server) -> String {
    let (status, open) = poll_http(server, "GET", "", "").await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    format!("&sid={}", v["sid"].as_str().unwrap())
}

/// The reason of the next `Disconnect` (its `Disconnecting` skipped).
fn disconnect_reason(events: &roomcast::Events) -> String {
    loop {
        match recv(events) {
            Event::Disconnect { reason, .. } => return reason.as_str().to_owned(),
            Event::Disconnecting { .. } => {}
            other => panic!("expected a disconnect, got {other:?}"),
        }
    }
}

fn connection_sid(events: &roomcast::Events) -> String {
    match recv(events) {
        Event::Connection { sid, .. } => sid.to_string(),
        other => panic!("expected a connection, got {other:?}"),
    }
}

#[test]
fn a_second_connect_to_the_same_namespace_replaces_the_socket() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let q = rt.block_on(handshake(&server));
    // Two at once (socket.io-client's `manager.socket(nsp)` then `connect()`), and one later.
    assert_eq!(
        rt.block_on(poll_http(&server, "POST", &q, "40\u{1e}40")).0,
        200
    );
    let first = connection_sid(&events);
    assert_eq!(disconnect_reason(&events), "client namespace disconnect");
    let second = connection_sid(&events);
    assert_ne!(first, second);
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (
            200,
            format!("40{{\"sid\":\"{first}\"}}\u{1e}40{{\"sid\":\"{second}\"}}")
        )
    );
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
    assert_eq!(disconnect_reason(&events), "client namespace disconnect");
    let third = connection_sid(&events);
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (200, format!("40{{\"sid\":\"{third}\"}}"))
    );
    assert_eq!(server.connection_count(), 1);
    server.stop(Duration::from_secs(1));
}

#[test]
fn an_event_to_a_namespace_the_client_is_not_in_closes_the_connection() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    // Not connected anywhere.
    let q = rt.block_on(handshake(&server));
    assert_eq!(
        rt.block_on(poll_http(&server, "POST", &q, "42[\"some event\"]"))
            .0,
        200
    );
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (200, "6\u{1e}1".to_owned())
    );
    assert_eq!(rt.block_on(poll_http(&server, "GET", &q, "")).0, 400);
    assert!(events.recv_timeout(Duration::from_millis(200)).is_err());

    // Connected to `/` only: an event to `/admin` takes the `/` socket down with it.
    let q = rt.block_on(handshake(&server));
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
    connection_sid(&events);
    assert!(rt
        .block_on(poll_http(&server, "GET", &q, ""))
        .1
        .starts_with("40{"));
    assert_eq!(
        rt.block_on(poll_http(&server, "POST", &q, "42/admin,[\"x\"]"))
            .0,
        200
    );
    assert_eq!(disconnect_reason(&events), "forced server close");
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (200, "6\u{1e}1".to_owned())
    );
    server.stop(Duration::from_secs(1));
}

#[test]
fn an_ack_or_disconnect_to_a_namespace_the_client_is_not_in_closes_the_connection() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    for violation in ["43/admin,1[]", "41/admin,"] {
        let q = rt.block_on(handshake(&server));
        assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
        connection_sid(&events);
        assert!(rt
            .block_on(poll_http(&server, "GET", &q, ""))
            .1
            .starts_with("40{"));
        assert_eq!(
            rt.block_on(poll_http(&server, "POST", &q, violation)),
            (200, "ok".to_owned()),
            "{violation}"
        );
        assert_eq!(disconnect_reason(&events), "forced server close");
        assert_eq!(
            rt.block_on(poll_http(&server, "GET", &q, "")),
            (200, "6\u{1e}1".to_owned()),
            "after {violation}"
        );
        assert_eq!(rt.block_on(poll_http(&server, "GET", &q, "")).0, 400);
    }
    // Leaving a namespace it is in is fine, and so is its own ACK with an unknown id.
    let q = rt.block_on(handshake(&server));
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
    connection_sid(&events);
    assert_eq!(
        rt.block_on(poll_http(&server, "POST", &q, "437[]\u{1e}41"))
            .0,
        200
    );
    assert_eq!(disconnect_reason(&events), "client namespace disconnect");
    assert_eq!(server.connection_count(), 1);
    server.stop(Duration::from_secs(1));
}

#[test]
fn a_malformed_packet_closes_the_connection_in_order() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let q = rt.block_on(handshake(&server));
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
    let sid = connection_sid(&events);
    rt.block_on(poll_http(&server, "POST", &q, "4abc"));
    assert_eq!(disconnect_reason(&events), "forced close");
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (200, format!("40{{\"sid\":\"{sid}\"}}"))
    );
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")),
        (200, "6\u{1e}1".to_owned())
    );
    assert_eq!(rt.block_on(poll_http(&server, "GET", &q, "")).0, 400);
    // A broken Engine.IO payload is still the engine's "parse error": dropped at once.
    let q = rt.block_on(handshake(&server));
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, "40")).0, 200);
    connection_sid(&events);
    rt.block_on(poll_http(&server, "POST", &q, "abc"));
    assert_eq!(disconnect_reason(&events), "parse error");
    assert_eq!(rt.block_on(poll_http(&server, "GET", &q, "")).0, 400);
    server.stop(Duration::from_secs(1));
}

#[test]
fn over_websocket_violations_close_the_socket_after_what_was_queued() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    for (violation, reason) in [
        ("41/admin,", "forced server close"),
        ("42/admin,[\"x\"]", "forced server close"),
        ("42{}", "forced close"),
        ("45woooot", "forced close"),
        ("45", "forced close"),
    ] {
        let mut ws = rt.block_on(open(&server));
        rt.block_on(send(&mut ws, "40"));
        assert!(rt.block_on(next_text(&mut ws)).starts_with("40{"));
        connection_sid(&events);
        rt.block_on(send(&mut ws, violation));
        assert_eq!(disconnect_reason(&events), reason, "after {violation}");
        // A close frame, and no close packet (engine.io closes a WebSocket without one).
        let ended = rt.block_on(async {
            loop {
                match tokio::time::timeout(Duration::from_secs(5), ws.next())
                    .await
                    .expect("the socket ends in time")
                {
                    Some(Ok(Message::Text(t))) if t.as_str() == "2" => continue,
                    Some(Ok(Message::Text(t))) => panic!("unexpected frame {t}"),
                    Some(Ok(Message::Close(_))) | None => return true,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => return false,
                }
            }
        });
        assert!(ended, "a close frame after {violation}");
    }
    assert_eq!(server.connection_count(), 0);
    server.stop(Duration::from_secs(1));
}
