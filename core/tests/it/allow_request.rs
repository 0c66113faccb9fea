//! `allow_request` as a round trip with the host: a handshake waits for the host's verdict
//! (an `Event::AllowRequest`), a refusal is answered with its status and engine.io's body,
//! and a host that never answers gets the request refused at the timeout.

use crate::common::{config, recv};
use roomcast::host::{Event, Refusal, RequestCheck, Server};
use std::io::{Read, Write};
use std::time::Duration;

/// A polling handshake with `header` on a fresh connection, in a thread; (status, body).
fn handshake(server: &Server, header: &str) -> std::thread::JoinHandle<(u16, String)> {
    let addr = server.local_addr();
    let header = header.to_owned();
    std::thread::spawn(move || {
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let req = format!(
            "GET /socket.io/?EIO=4&transport=polling&t=x HTTP/1.1\r\nHost: x\r\n{header}\
             Connection: close\r\n\r\n"
        );
        tcp.write_all(req.as_bytes()).unwrap();
        let mut text = String::new();
        tcp.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        (status, text.split_once("\r\n\r\n").unwrap().1.to_owned())
    })
}

/// The next event, which must be an `AllowRequest`: its handle and the token header.
fn next_request(events: &roomcast::Events) -> (RequestCheck, Option<String>) {
    match recv(events) {
        Event::AllowRequest {
            request,
            method,
            handshake,
        } => {
            assert_eq!(method, "GET");
            assert!(
                handshake.query.contains("transport=polling"),
                "{}",
                handshake.query
            );
            assert!(handshake.url.starts_with("/socket.io/?EIO=4"));
            assert_eq!(handshake.address, "127.0.0.1");
            let token = handshake
                .headers
                .iter()
                .find(|(n, _)| n == "x-token")
                .map(|(_, v)| v.clone());
            (request, token)
        }
        other => panic!("expected AllowRequest, got {other:?}"),
    }
}

#[test]
fn the_host_decides_each_handshake_and_a_silent_host_refuses_at_the_timeout() {
    let mut c = config();
    c.allow_request_event = true;
    c.allow_request_timeout = Duration::from_millis(500);
    let (server, events) = Server::start(c).unwrap();

    let allowed = handshake(&server, "X-Token: yes\r\n");
    let (request, token) = next_request(&events);
    assert_eq!(token.as_deref(), Some("yes"));
    server.allow_request(request, Ok(())).unwrap();
    let (status, body) = allowed.join().unwrap();
    assert_eq!(status, 200);
    assert!(body.starts_with("0{\"sid\":"), "{body}");

    let refused = handshake(&server, "");
    let (request, token) = next_request(&events);
    assert_eq!(token, None);
    let id = request.id();
    server
        .allow_request(
            request,
            Err(Refusal {
                status: 401,
                message: "no \"token\"".into(),
            }),
        )
        .unwrap();
    let (status, body) = refused.join().unwrap();
    assert_eq!(status, 401);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v, serde_json::json!({"code": 4, "message": "no \"token\""}));
    // Answered once only.
    assert!(matches!(
        server.allow_request(RequestCheck::from_id(id), Ok(())),
        Err(roomcast::host::Error::NoSuchRequest)
    ));

    // Nobody answers: refused at the timeout with engine.io's 403, and a late answer is
    // NoSuchRequest.
    let silent = handshake(&server, "");
    let (request, _) = next_request(&events);
    let (status, body) = silent.join().unwrap();
    assert_eq!(status, 403);
    assert_eq!(body, r#"{"code":4,"message":"Forbidden"}"#);
    assert!(matches!(
        server.allow_request(request, Ok(())),
        Err(roomcast::host::Error::NoSuchRequest)
    ));

    // A status that is not an HTTP error is refused before it reaches the client.
    let pending = handshake(&server, "");
    let (request, _) = next_request(&events);
    let id = request.id();
    let bad = Refusal {
        status: 200,
        message: "x".into(),
    };
    assert!(matches!(
        server.allow_request(request, Err(bad)),
        Err(roomcast::host::Error::InvalidArgument(_))
    ));
    server
        .allow_request(RequestCheck::from_id(id), Err(Refusal::forbidden()))
        .unwrap();
    assert_eq!(pending.join().unwrap().0, 403);
    server.stop(Duration::from_secs(5));
}

#[test]
fn without_the_option_handshakes_go_through_and_answers_are_refused() {
    let (server, events) = Server::start(config()).unwrap();
    let (status, _) = handshake(&server, "").join().unwrap();
    assert_eq!(status, 200);
    assert!(events.recv_timeout(Duration::from_millis(200)).is_err());
    assert!(matches!(
        server.allow_request(RequestCheck::from_id(1), Ok(())),
        Err(roomcast::host::Error::NoSuchRequest)
    ));
    server.stop(Duration::from_secs(5));
}
