//! Host API lifecycle over a real WebSocket: events in order, commands, and stop.

use futures_util::SinkExt;
use roomcast::host::CloseReason;
use roomcast::host::{DisconnectReason, Event, RecvError, Server};
use roomcast::{BroadcastOptions, Config, Payload};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{config, connect, next_text, recv, runtime, Ws};

/// Connects two clients, emits `q` to both with an ack and `timeout`, and checks both got
/// the question; returns them and the ack id.
fn ask_two(
    server: &Server,
    events: &roomcast::Events,
    rt: &tokio::runtime::Runtime,
    timeout: Duration,
) -> (Ws, Ws, u64) {
    let mut a = rt.block_on(connect(server));
    let mut b = rt.block_on(connect(server));
    let _ = (recv(events), recv(events));
    let id = server
        .emit_with_ack(
            "/",
            &BroadcastOptions::all(),
            "q",
            &Payload::empty(),
            timeout,
        )
        .unwrap();
    assert_eq!(rt.block_on(next_text(&mut a)), format!("42{id}[\"q\"]"));
    assert_eq!(rt.block_on(next_text(&mut b)), format!("42{id}[\"q\"]"));
    (a, b, id)
}

#[test]
fn events_commands_and_graceful_stop() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let mut ws = rt.block_on(connect(&server));

    let Event::Connection { sid, nsp, auth, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    assert_eq!((&*nsp, auth), ("/", None));
    let sid_text = sid.to_string();

    rt.block_on(ws.send(Message::text("42[\"hello\",{\"b\":1,\"a\":[2]}]")))
        .unwrap();
    let Event::Message {
        event, args, ack, ..
    } = recv(&events)
    else {
        panic!("expected a message")
    };
    assert_eq!(
        (event.as_str(), args.json(), ack),
        ("hello", "[{\"b\":1,\"a\":[2]}]", None)
    );

    rt.block_on(ws.send(Message::text("425[\"ask\"]"))).unwrap();
    let Event::Message { ack: Some(ack), .. } = recv(&events) else {
        panic!("expected an ack request")
    };
    server
        .ack(ack, &Payload::from_json("[\"yes\"]").unwrap())
        .unwrap();
    assert_eq!(rt.block_on(next_text(&mut ws)), "435[\"yes\"]");

    server.join("/", &sid_text, &["a", "b"]).unwrap();
    let mut expected = vec!["a".to_string(), "b".into(), sid_text.clone()];
    expected.sort();
    assert_eq!(server.rooms_of("/", &sid_text).unwrap(), expected);
    assert_eq!(
        server
            .sockets("/", &BroadcastOptions::all().to("a"))
            .unwrap(),
        vec![sid_text.clone()]
    );
    assert_eq!(
        server
            .emit(
                "/",
                &BroadcastOptions::all().to("b").except("a"),
                "x",
                &Payload::empty()
            )
            .unwrap(),
        0
    );
    assert_eq!(
        server
            .emit(
                "/",
                &BroadcastOptions::all().to("b"),
                "x",
                &Payload::empty()
            )
            .unwrap(),
        1
    );
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"x\"]");

    let id = server
        .emit_with_ack(
            "/",
            &BroadcastOptions::socket(&sid_text),
            "q",
            &Payload::empty(),
            Duration::from_secs(5),
        )
        .unwrap();
    let asked = rt.block_on(next_text(&mut ws));
    assert_eq!(asked, format!("42{id}[\"q\"]"));
    rt.block_on(ws.send(Message::text(format!("43{id}[7]"))))
        .unwrap();
    let Event::AckResponse(result) = recv(&events) else {
        panic!("expected the ack response")
    };
    assert_eq!(
        (result.id, result.timed_out, result.replies[0].args.json()),
        (id, false, "[7]")
    );

    assert!(server.join("/", "nosuchsocketid000000", &["a"]).is_err());
    assert!(server
        .emit("/nope", &BroadcastOptions::all(), "x", &Payload::empty())
        .is_err());

    server.stop(Duration::from_secs(2));
    let Event::Disconnecting { reason, rooms, .. } = recv(&events) else {
        panic!("expected disconnecting")
    };
    assert_eq!(
        reason,
        DisconnectReason::Transport(CloseReason::ServerShuttingDown)
    );
    assert!(rooms.contains(&"a".to_string()));
    assert!(matches!(recv(&events), Event::Disconnect { .. }));
    assert_eq!(
        events.recv_timeout(Duration::from_millis(100)).unwrap_err(),
        RecvError::Stopped
    );
    assert!(server
        .emit("/", &BroadcastOptions::all(), "x", &Payload::empty())
        .is_err());
    server.stop(Duration::from_secs(1)); // idempotent
}

#[test]
fn ack_timeout_reports_what_arrived() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let (mut a, _b, id) = ask_two(&server, &events, &rt, Duration::from_millis(300));
    rt.block_on(a.send(Message::text(format!("43{id}[\"from a\"]"))))
        .unwrap();
    let Event::AckResponse(result) = recv(&events) else {
        panic!("expected the ack response")
    };
    assert!(result.timed_out);
    assert_eq!(result.replies.len(), 1);
    assert_eq!(result.replies[0].args.json(), "[\"from a\"]");
    server.stop(Duration::from_secs(1));
}

#[test]
fn a_slow_consumer_is_disconnected_not_buffered_forever() {
    let cfg = Config {
        max_buffered_frames: 8,
        ..config()
    };
    let (server, events) = Server::start(cfg).unwrap();
    let rt = runtime();
    // A polling client that never polls: its queue can only grow.
    let addr = server.local_addr();
    let body = rt.block_on(async move {
        let url = format!("http://{addr}/socket.io/?EIO=4&transport=polling");
        http_get(&url).await
    });
    let sid = body
        .split("\"sid\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    rt.block_on(http_post(
        &format!("http://{addr}/socket.io/?EIO=4&transport=polling&sid={sid}"),
        "40",
    ));
    let Event::Connection { sid: socket, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    let to = BroadcastOptions::socket(socket.as_str());
    let mut volatile_dropped = 0;
    for _ in 0..20 {
        if server
            .emit("/", &to.clone().volatile(), "v", &Payload::empty())
            .unwrap()
            == 0
        {
            volatile_dropped += 1;
        }
    }
    assert_eq!(
        volatile_dropped, 20,
        "no long-poll is waiting, so volatile packets are dropped"
    );
    for _ in 0..20 {
        let _ = server.emit("/", &to, "m", &Payload::empty());
    }
    let Event::Disconnecting { reason, .. } = recv(&events) else {
        panic!("expected disconnecting")
    };
    assert_eq!(reason.as_str(), "slow consumer");
    server.stop(Duration::from_secs(1));
}

async fn http_get(url: &str) -> String {
    http(url, "GET", "").await
}

async fn http_post(url: &str, body: &str) -> String {
    http(url, "POST", body).await
}

/// A minimal HTTP/1.1 client (one request per connection).
async fn http(url: &str, method: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!(
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

#[test]
fn stop_without_connections_returns_at_once() {
    let (server, _events) = Server::start(config()).unwrap();
    let t = std::time::Instant::now();
    server.stop(Duration::from_secs(5));
    // Generous bound: the point is not waiting out the 5 s timeout when nothing is open.
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "stop took {:?}",
        t.elapsed()
    );
}

#[test]
fn an_ack_whose_recipient_leaves_ends_as_a_timeout_with_what_arrived() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let (mut a, mut b, id) = ask_two(&server, &events, &rt, Duration::from_secs(60));
    rt.block_on(a.send(Message::text(format!("43{id}[1]"))))
        .unwrap();
    rt.block_on(b.close(None)).unwrap();
    // Long before the 60 s timeout: b can no longer answer.
    let result = loop {
        if let Event::AckResponse(r) = recv(&events) {
            break r;
        }
    };
    assert!(result.timed_out);
    assert_eq!(result.disconnected, 1);
    assert_eq!(result.replies.len(), 1);
    assert_eq!(result.replies[0].args.json(), "[1]");
    server.stop(Duration::from_secs(1));
}

#[test]
fn commands_before_any_client_do_not_block() {
    let (server, _events) = Server::start(config()).unwrap();
    let all = BroadcastOptions::all();
    assert_eq!(server.emit("/", &all, "x", &Payload::empty()).unwrap(), 0);
    assert_eq!(server.sockets("/", &all).unwrap(), Vec::<String>::new());
    assert!(server.join("/", "AAAAAAAAAAAAAAAAAAAA", &["r"]).is_err());
    assert!(server
        .emit("/unknown", &all, "x", &Payload::empty())
        .is_err());
    server.stop(Duration::from_secs(1));
}
