//! Engine.IO over HTTP long-polling and the upgrade to WebSocket, with raw HTTP/1.1 on a
//! TCP stream (no client library): handshake, POST and GET, the probe, and the switch.

use crate::common::{next_text, poll_http, recv, runtime};
use futures_util::SinkExt;
use roomcast::host::{Event, Server};
use roomcast::{BroadcastOptions, Config, Payload};
use tokio_tungstenite::tungstenite::Message;

fn sid_of(open: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

#[test]
fn polling_handshake_messages_and_upgrade_to_websocket() {
    let config = Config {
        bind: ([127, 0, 0, 1], 0).into(),
        ..Config::default()
    };
    let (server, events) = Server::start(config).unwrap();
    let rt = runtime();

    let (status, open) = rt.block_on(poll_http(&server, "GET", "", ""));
    assert_eq!(status, 200);
    assert!(open.starts_with("0{") && open.contains("\"upgrades\":[\"websocket\"]"));
    let eio = sid_of(&open);
    let q = format!("&sid={eio}");

    // CONNECT over POST; the reply comes on the next GET.
    assert_eq!(
        rt.block_on(poll_http(&server, "POST", &q, "40")),
        (200, "ok".into())
    );
    let Event::Connection { sid, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    let (_, reply) = rt.block_on(poll_http(&server, "GET", &q, ""));
    assert_eq!(reply, format!("40{{\"sid\":\"{sid}\"}}"));

    // Two packets in one POST (separated by \x1e), and a server emit on the next GET.
    let two = "42[\"a\",1]\u{1e}42[\"b\",2]";
    assert_eq!(rt.block_on(poll_http(&server, "POST", &q, two)).0, 200);
    for name in ["a", "b"] {
        let Event::Message { event, .. } = recv(&events) else {
            panic!("expected a message")
        };
        assert_eq!(event, name);
    }
    let to = BroadcastOptions::socket(sid.as_str());
    server.emit("/", &to, "hi", &Payload::empty()).unwrap();
    server.emit("/", &to, "there", &Payload::empty()).unwrap();
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", &q, "")).1,
        "42[\"hi\"]\u{1e}42[\"there\"]"
    );

    // Upgrade: probe over WebSocket, then `5`; the session moves with its socket.
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&sid={eio}",
        server.local_addr()
    );
    let (mut ws, _) = rt.block_on(tokio_tungstenite::connect_async(url)).unwrap();
    rt.block_on(ws.send(Message::text("2probe"))).unwrap();
    assert_eq!(rt.block_on(next_text(&mut ws)), "3probe");
    rt.block_on(ws.send(Message::text("5"))).unwrap();
    server
        .emit("/", &to, "upgraded", &Payload::empty())
        .unwrap();
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"upgraded\"]");
    rt.block_on(ws.send(Message::text("42[\"c\"]"))).unwrap();
    let Event::Message { event, .. } = recv(&events) else {
        panic!("expected a message over WebSocket")
    };
    assert_eq!(event, "c");
    // Polling is over for this session: a GET now is refused (400, as the reference).
    assert_eq!(rt.block_on(poll_http(&server, "GET", &q, "")).0, 400);
    // An unknown session id too.
    assert_eq!(
        rt.block_on(poll_http(&server, "GET", "&sid=AAAAAAAAAAAAAAAAAAAA", ""))
            .0,
        400
    );
    server.stop(std::time::Duration::from_secs(2));
}
