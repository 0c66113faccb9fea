//! The Engine.IO connection as a host sees it: refused requests as `ConnectionError`
//! events with engine.io's codes and contexts (only once turned on), a handshake admitted
//! with response headers and a host-chosen session id (`generateId`), the round trip
//! turned on while running, the upgrade as an event, a connection's transport, and
//! closing a connection. Raw HTTP/1.1 and a real WebSocket client.

use crate::common::{config, next_text, recv, runtime};
use futures_util::SinkExt;
use roomcast::host::{Admission, Event, RecvError, Server};
use std::io::{Read, Write};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// One request on a fresh connection: (status, head, body).
fn raw(server: &Server, request_line: &str, extra: &str) -> (u16, String, String) {
    let mut tcp = std::net::TcpStream::connect(server.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = format!("{request_line} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).unwrap();
    let mut text = String::new();
    tcp.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (status, head.to_owned(), body.to_owned())
}

fn connection_error(events: &roomcast::Events) -> (u8, &'static str, serde_json::Value, String) {
    match recv(events) {
        Event::ConnectionError {
            code,
            message,
            context,
            method,
            handshake,
        } => {
            assert!(
                handshake.url.starts_with("/socket.io/"),
                "{}",
                handshake.url
            );
            (code, message, context, method)
        }
        other => panic!("expected ConnectionError, got {other:?}"),
    }
}

#[test]
fn refused_requests_are_reported_with_engine_io_codes_once_turned_on() {
    let (server, events) = Server::start(config()).unwrap();
    // Off at start: a refusal produces no event.
    let (status, _, _) = raw(&server, "GET /socket.io/?EIO=4&transport=carrier", "");
    assert_eq!(status, 400);
    assert_eq!(events.try_recv().err(), Some(RecvError::Timeout));

    server.report_connection_errors(true).unwrap();
    let cases: [(&str, u16, u8, &str, serde_json::Value); 5] = [
        (
            "GET /socket.io/?EIO=4&transport=carrier",
            400,
            0,
            "Transport unknown",
            serde_json::json!({"transport": "carrier"}),
        ),
        (
            "GET /socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
            400,
            1,
            "Session ID unknown",
            serde_json::json!({"sid": "AAAAAAAAAAAAAAAAAAAA"}),
        ),
        (
            "PUT /socket.io/?EIO=4&transport=polling",
            400,
            2,
            "Bad handshake method",
            serde_json::json!({"method": "PUT"}),
        ),
        (
            "GET /socket.io/?EIO=4&transport=websocket",
            400,
            3,
            "Bad request",
            serde_json::json!({"name": "TRANSPORT_HANDSHAKE_ERROR"}),
        ),
        (
            "GET /socket.io/?EIO=3&transport=polling",
            400,
            5,
            "Unsupported protocol version",
            serde_json::json!({"protocol": 3}),
        ),
    ];
    for (line, status, code, message, context) in cases {
        let (got, _, body) = raw(&server, line, "");
        assert_eq!(got, status, "{line}: {body}");
        assert_eq!(
            body,
            format!("{{\"code\":{code},\"message\":\"{message}\"}}")
        );
        let seen = connection_error(&events);
        assert_eq!(seen.0, code, "{line}");
        assert_eq!(seen.1, message);
        assert_eq!(seen.2, context, "{line}");
        assert_eq!(seen.3, line.split(' ').next().unwrap());
    }
    server.report_connection_errors(false).unwrap();
    raw(&server, "GET /socket.io/?EIO=4&transport=carrier", "");
    assert_eq!(events.try_recv().err(), Some(RecvError::Timeout));
    server.stop(Duration::from_secs(2));
}

/// The next event, an `AllowRequest`: its request handle and the id it proposes.
fn allow_request(events: &roomcast::Events) -> (roomcast::host::RequestCheck, String) {
    match recv(events) {
        Event::AllowRequest {
            request, handshake, ..
        } => (request, handshake.conn_id.clone()),
        other => panic!("expected AllowRequest, got {other:?}"),
    }
}

#[test]
fn a_handshake_admitted_with_headers_and_a_host_id_then_upgraded_and_closed() {
    let (server, events) = Server::start(config()).unwrap();
    server.report_upgrades(true).unwrap();
    server.report_connection_errors(true).unwrap();
    // Started without allow_request: turned on while running.
    server.set_allow_request(true).unwrap();
    let addr = server.local_addr();
    let handshake = move || {
        std::thread::spawn(move || {
            let mut tcp = std::net::TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            tcp.write_all(
                b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
            let mut text = String::new();
            tcp.read_to_string(&mut text).unwrap();
            text
        })
    };
    let first = handshake();
    let (request, proposed) = allow_request(&events);
    assert_eq!(proposed.len(), 20, "the random id it would get: {proposed}");
    // Bad ids and headers are refused by name; the request still waits.
    let bad = Admission {
        id: Some("has space".into()),
        ..Admission::default()
    };
    let e = server
        .allow_request_with(roomcast::host::RequestCheck::from_id(request.id()), Ok(bad))
        .unwrap_err();
    assert!(e.to_string().contains("generateId"), "{e}");
    let bad = Admission {
        headers: vec![("Set Cookie".into(), "x".into())],
        ..Admission::default()
    };
    let e = server
        .allow_request_with(roomcast::host::RequestCheck::from_id(request.id()), Ok(bad))
        .unwrap_err();
    assert!(e.to_string().contains("Set Cookie"), "{e}");
    let admission = Admission {
        headers: vec![("Set-Cookie".into(), "connect.sid=s%3Aabc; Path=/".into())],
        id: Some("user-1.a_b~c".into()),
    };
    server.allow_request_with(request, Ok(admission)).unwrap();
    let text = first.join().unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("set-cookie: connect.sid=s%3aabc; path=/"),
        "{text}"
    );
    assert!(text.contains("0{\"sid\":\"user-1.a_b~c\""), "{text}");
    assert_eq!(server.connection_transport("user-1.a_b~c"), Some("polling"));
    // The inner random key is not an id a client can use.
    assert_eq!(server.connection_transport(&proposed), None);

    // The same id again while in use: 400, reported as engine.io's ID_GENERATION_ERROR.
    let second = handshake();
    let (request, _) = allow_request(&events);
    let again = Admission {
        id: Some("user-1.a_b~c".into()),
        ..Admission::default()
    };
    server.allow_request_with(request, Ok(again)).unwrap();
    let (code, _, context, _) = connection_error(&events);
    assert_eq!(code, 3);
    assert_eq!(context["name"], "ID_GENERATION_ERROR");
    assert!(second.join().unwrap().starts_with("HTTP/1.1 400"));

    // CONNECT over polling under the host's id; the socket's handshake carries it.
    let (status, _, _) = raw(
        &server,
        "POST /socket.io/?EIO=4&transport=polling&sid=user-1.a_b~c",
        "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n40",
    );
    assert_eq!(status, 200);
    let Event::Connection { handshake, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    assert_eq!(handshake.conn_id, "user-1.a_b~c");

    // The upgrade, reported with the connection's id; the transport follows.
    let rt = runtime();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket&sid=user-1.a_b~c");
    let (mut ws, _) = rt.block_on(tokio_tungstenite::connect_async(url)).unwrap();
    rt.block_on(ws.send(Message::text("2probe"))).unwrap();
    assert_eq!(rt.block_on(next_text(&mut ws)), "3probe");
    rt.block_on(ws.send(Message::text("5"))).unwrap();
    match recv(&events) {
        Event::Upgrade { conn_id } => assert_eq!(&*conn_id, "user-1.a_b~c"),
        other => panic!("expected Upgrade, got {other:?}"),
    }
    assert_eq!(
        server.connection_transport("user-1.a_b~c"),
        Some("websocket")
    );

    // Closing the connection disconnects its sockets with "forced close".
    server.close_connection("user-1.a_b~c").unwrap();
    loop {
        match recv(&events) {
            Event::Disconnect { reason, .. } => {
                assert_eq!(reason.as_str(), "forced close");
                break;
            }
            Event::Disconnecting { .. } => {}
            other => panic!("expected the disconnect, got {other:?}"),
        }
    }
    assert_eq!(server.connection_transport("user-1.a_b~c"), None);
    assert_eq!(
        server.close_connection("user-1.a_b~c").unwrap_err().code(),
        "ERR_NO_SUCH_SOCKET"
    );

    // Turned off again: handshakes go through without asking.
    server.set_allow_request(false).unwrap();
    let (status, _, body) = raw(&server, "GET /socket.io/?EIO=4&transport=polling", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(events.try_recv().err(), Some(RecvError::Timeout));
    server.stop(Duration::from_secs(2));
}
