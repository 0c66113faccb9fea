//! The socket.io layer's connect flow through the host API: connect-hold mode (CONNECT
//! held until the host releases it, what the handler does reaching the client after it, in
//! order), middleware with a held socket, namespaces added while running, bulk operations
//! by selector, and the validated config builder.

use crate::common::{config, connect, next_text, open, recv, runtime, send};
use roomcast::host::options::OptionValue;
use roomcast::host::{ConfigBuilder, ConfigError, DisconnectReason, Error, Event, Server};
use roomcast::{BroadcastOptions, Config, NamespaceRule, Payload};

fn held() -> Config {
    Config {
        hold_connect: true,
        ..config()
    }
}

#[test]
fn a_held_connect_goes_out_on_release_followed_by_what_the_handler_sent() {
    let (server, events) = Server::start(held()).unwrap();
    let rt = runtime();
    let mut other = rt.block_on(open(&server));
    rt.block_on(send(&mut other, "40"));
    let Event::Connection { sid: other_sid, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    server.release("/", other_sid.as_str()).unwrap();
    assert!(rt
        .block_on(next_text(&mut other))
        .starts_with("40{\"sid\":"));

    let mut ws = rt.block_on(open(&server));
    rt.block_on(send(&mut ws, "40"));
    let Event::Connection { sid, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    let sid = sid.to_string();
    // The handler: join, emit to the socket, and a broadcast to the room it just joined.
    server.join("/", &sid, &["lobby"]).unwrap();
    let to_me = BroadcastOptions::socket(&sid);
    server
        .emit("/", &to_me, "hello", &Payload::empty())
        .unwrap();
    let lobby = BroadcastOptions::all().to("lobby");
    assert_eq!(
        server.emit("/", &lobby, "news", &Payload::empty()).unwrap(),
        1
    );
    // Volatile packets are dropped while held (the client could not take them yet).
    server
        .emit("/", &lobby.clone().volatile(), "gone", &Payload::empty())
        .unwrap();
    // Others are not held back.
    server
        .emit(
            "/",
            &BroadcastOptions::socket(other_sid.as_str()),
            "x",
            &Payload::empty(),
        )
        .unwrap();
    assert_eq!(rt.block_on(next_text(&mut other)), "42[\"x\"]");

    server.release("/", &sid).unwrap();
    server.release("/", &sid).unwrap(); // a second release does nothing
    assert_eq!(
        rt.block_on(next_text(&mut ws)),
        format!("40{{\"sid\":\"{sid}\"}}")
    );
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"hello\"]");
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"news\"]");
    server
        .emit("/", &to_me, "after", &Payload::empty())
        .unwrap();
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"after\"]");
    server.stop(std::time::Duration::from_secs(2));
}

#[test]
fn disconnect_in_the_handler_sends_connect_then_disconnect() {
    let (server, events) = Server::start(held()).unwrap();
    let rt = runtime();
    let mut ws = rt.block_on(open(&server));
    rt.block_on(send(&mut ws, "40"));
    let Event::Connection { sid, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    server
        .emit(
            "/",
            &BroadcastOptions::socket(sid.as_str()),
            "bye",
            &Payload::empty(),
        )
        .unwrap();
    server.disconnect("/", sid.as_str(), false).unwrap();
    assert!(rt.block_on(next_text(&mut ws)).starts_with("40{"));
    assert_eq!(rt.block_on(next_text(&mut ws)), "42[\"bye\"]");
    assert_eq!(rt.block_on(next_text(&mut ws)), "41");
    assert!(matches!(recv(&events), Event::Disconnecting { .. }));
    assert!(matches!(
        recv(&events),
        Event::Disconnect {
            reason: DisconnectReason::ServerNamespaceDisconnect,
            ..
        }
    ));
    assert_eq!(server.release("/", sid.as_str()), Err(Error::NoSuchSocket));
}

#[test]
fn middleware_works_on_the_held_socket_and_a_refusal_leaves_no_trace() {
    let mut cfg = held();
    cfg.namespaces = vec![NamespaceRule::exact("/").with_middleware()];
    let (server, events) = Server::start(cfg).unwrap();
    let rt = runtime();

    // Refused: CONNECT_ERROR instead of CONNECT, its rooms gone, no disconnect events.
    let mut refused = rt.block_on(open(&server));
    rt.block_on(send(&mut refused, "40"));
    let Event::ConnectRequest { request, .. } = recv(&events) else {
        panic!("expected a connect request")
    };
    let sid = request.sid().unwrap().to_string();
    server.join("/", &sid, &["vip"]).unwrap();
    server
        .emit(
            "/",
            &BroadcastOptions::socket(&sid),
            "secret",
            &Payload::empty(),
        )
        .unwrap();
    server.reject(request, "no", None).unwrap();
    assert_eq!(
        rt.block_on(next_text(&mut refused)),
        "44{\"message\":\"no\"}"
    );
    assert!(server
        .sockets("/", &BroadcastOptions::all().to("vip"))
        .unwrap()
        .is_empty());

    // Accepted: rooms joined in middleware hold; Connection comes, then the release.
    let mut ws = rt.block_on(open(&server));
    rt.block_on(send(&mut ws, "40"));
    let Event::ConnectRequest { request, .. } = recv(&events) else {
        panic!("expected a connect request (and no event for the refused one)")
    };
    let future = request.sid().unwrap().to_string();
    server.join("/", &future, &["vip"]).unwrap();
    assert_eq!(server.accept(request).unwrap(), future);
    let Event::Connection { sid, .. } = recv(&events) else {
        panic!("expected the connection")
    };
    assert_eq!(sid.as_str(), future);
    server.release("/", &future).unwrap();
    assert!(rt.block_on(next_text(&mut ws)).starts_with("40{"));
    assert_eq!(
        server
            .sockets("/", &BroadcastOptions::all().to("vip"))
            .unwrap(),
        vec![future]
    );
}

#[test]
fn namespaces_can_be_added_while_running() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let mut ws = rt.block_on(open(&server));
    rt.block_on(send(&mut ws, "40/late,"));
    assert_eq!(
        rt.block_on(next_text(&mut ws)),
        "44/late,{\"message\":\"Invalid namespace\"}"
    );
    server.add_namespace(NamespaceRule::exact("/late")).unwrap();
    rt.block_on(send(&mut ws, "40/late,"));
    assert!(rt
        .block_on(next_text(&mut ws))
        .starts_with("40/late,{\"sid\":"));
    assert!(matches!(recv(&events), Event::Connection { nsp, .. } if &*nsp == "/late"));
    // A rule for a namespace in use turns its middleware on.
    server
        .add_namespace(NamespaceRule::exact("/late").with_middleware())
        .unwrap();
    let mut other = rt.block_on(open(&server));
    rt.block_on(send(&mut other, "40/late,"));
    assert!(matches!(recv(&events), Event::ConnectRequest { .. }));
    assert_eq!(
        server.add_namespace(NamespaceRule::exact("late")),
        Err(Error::Config(ConfigError::InvalidNamespace("late".into())))
    );
}

#[test]
fn bulk_join_leave_and_disconnect_by_selector() {
    let (server, events) = Server::start(config()).unwrap();
    let rt = runtime();
    let mut clients = Vec::new();
    let mut sids = Vec::new();
    for _ in 0..3 {
        clients.push(rt.block_on(connect(&server)));
        let Event::Connection { sid, .. } = recv(&events) else {
            panic!("expected a connection")
        };
        sids.push(sid.to_string());
    }
    server.join("/", &sids[0], &["red"]).unwrap();
    server.join("/", &sids[1], &["red"]).unwrap();
    let all_but_first = BroadcastOptions::all().except(&sids[0]);
    server.sockets_join("/", &all_but_first, &["blue"]).unwrap();
    let mut blue = server
        .sockets("/", &BroadcastOptions::all().to("blue"))
        .unwrap();
    blue.sort();
    let mut expected = vec![sids[1].clone(), sids[2].clone()];
    expected.sort();
    assert_eq!(blue, expected);
    server
        .sockets_leave("/", &BroadcastOptions::all().to("red"), &["blue"])
        .unwrap();
    assert_eq!(
        server
            .sockets("/", &BroadcastOptions::all().to("blue"))
            .unwrap(),
        vec![sids[2].clone()]
    );
    let red = BroadcastOptions::all().to("red");
    server.disconnect_sockets("/", &red, false).unwrap();
    for ws in &mut clients[..2] {
        assert_eq!(rt.block_on(next_text(ws)), "41");
    }
    assert_eq!(
        server.sockets("/", &BroadcastOptions::all()).unwrap(),
        vec![sids[2].clone()]
    );
}

#[test]
fn the_builder_refuses_each_invalid_combination_with_its_own_error() {
    let mut b = ConfigBuilder::new();
    b.set("port", OptionValue::Count(0)).unwrap();
    b.set("allow_polling", OptionValue::Bool(false)).unwrap();
    b.set("allow_websocket", OptionValue::Bool(false)).unwrap();
    let e = b.start().err().unwrap();
    assert_eq!(e, Error::Config(ConfigError::NoTransport));
    assert_eq!(e.code(), "ERR_INVALID_CONFIG");
    b.set("allow_websocket", OptionValue::Bool(true)).unwrap();
    b.set("path", OptionValue::Text("io".into())).unwrap();
    let (server, _events) = b.start().unwrap();
    let rt = runtime();
    // The path was normalised to "/io/".
    let url = format!("ws://{}/io/?EIO=4&transport=websocket", server.local_addr());
    assert!(rt.block_on(tokio_tungstenite::connect_async(url)).is_ok());
    server.stop(std::time::Duration::from_secs(1));
    let mut b = ConfigBuilder::new();
    b.set("host", OptionValue::Text("no-such-host.invalid".into()))
        .unwrap();
    assert!(matches!(
        b.start(),
        Err(Error::Config(ConfigError::UnresolvableHost(_)))
    ));
}

#[test]
fn disconnect_with_close_connection_takes_every_namespace_of_the_connection_alike() {
    // socket.io's `socket.disconnect(true)`: Client#_disconnect disconnects each socket of
    // the connection ("server namespace disconnect", a DISCONNECT packet each), then closes.
    let mut cfg = config();
    cfg.namespaces = vec![NamespaceRule::exact("/"), NamespaceRule::exact("/b")];
    let (server, events) = Server::start(cfg).unwrap();
    let rt = runtime();
    let mut ws = rt.block_on(connect(&server));
    let Event::Connection { sid, .. } = recv(&events) else {
        panic!("expected a connection")
    };
    rt.block_on(send(&mut ws, "40/b,"));
    assert!(rt
        .block_on(next_text(&mut ws))
        .starts_with("40/b,{\"sid\":"));
    assert!(matches!(recv(&events), Event::Connection { .. }));

    server.disconnect("/", sid.as_str(), true).unwrap();
    let mut packets = vec![
        rt.block_on(next_text(&mut ws)),
        rt.block_on(next_text(&mut ws)),
    ];
    packets.sort();
    assert_eq!(packets, ["41", "41/b,"]);
    let mut reasons = Vec::new();
    while reasons.len() < 2 {
        if let Event::Disconnect { nsp, reason, .. } = recv(&events) {
            reasons.push((nsp.to_string(), reason));
        }
    }
    reasons.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        reasons,
        [
            ("/".to_owned(), DisconnectReason::ServerNamespaceDisconnect),
            ("/b".to_owned(), DisconnectReason::ServerNamespaceDisconnect),
        ]
    );
    server.stop(std::time::Duration::from_secs(2));
}
