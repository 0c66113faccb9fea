//! The server the official Engine.IO v4 and Socket.IO v5 conformance suites expect
//! (see PROTOCOL.md, part 2): a raw echo endpoint at `/engine.io/` and the reference app
//! at `/socket.io/`, ping 300 ms / timeout 200 ms, on `PORT` (default 3000).
//!
//! Run: `cargo run --release --example conformance`, then point the suites at
//! http://localhost:3000.

use roomcast::host::engine_io::{
    self, CloseReason, Frame, Handler, Handshake, Message, SessionRef, Text,
};
use roomcast::host::{Event, Server};
use roomcast::{AllowedOrigins, BroadcastOptions, Config, Cors, NamespaceRule, Payload, Sid};
use std::time::Duration;

/// Sends every message back, text as text and binary as binary.
struct Echo;

impl Handler for Echo {
    type Data = ();
    fn create(&self, _: Sid, _: Handshake) {}
    fn on_open(&self, _: &SessionRef<()>) {}
    fn on_message(&self, session: &SessionRef<()>, msg: Message<'_>) {
        let frame = match msg {
            Message::Text(t) => Frame::Text(Text::from(format!("4{t}"))),
            Message::Binary(b) => Frame::Binary(b),
        };
        session.push_frame(frame);
    }
    fn on_close(&self, _: &SessionRef<()>, _: CloseReason) {}
}

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let config = Config {
        bind: ([127, 0, 0, 1], port).into(),
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        connect_timeout: Duration::from_millis(1000),
        cors: Some(Cors {
            origins: AllowedOrigins::Any,
            credentials: false,
            headers: Default::default(),
        }),
        namespaces: vec![NamespaceRule::exact("/"), NamespaceRule::exact("/custom")],
        ..Config::default()
    };
    let echo = engine_io::endpoint(&config, Echo);
    let (server, events) = Server::start_with(config, vec![("/engine.io/".into(), echo)])
        .expect("cannot start the server");
    println!("listening on http://{}", server.local_addr());

    while let Some(event) = events.recv() {
        match event {
            Event::Connection { nsp, sid, auth, .. } => {
                let auth = auth.unwrap_or_else(|| "{}".into());
                let args = Payload::from_json(&format!("[{auth}]")).expect("auth is a JSON object");
                let _ = server.emit(&nsp, &BroadcastOptions::socket(sid.as_str()), "auth", &args);
            }
            Event::Message {
                nsp,
                sid,
                event,
                args,
                ack,
            } if &*nsp == "/" => match (event.as_str(), ack) {
                ("message", _) => {
                    let _ = server.emit(
                        &nsp,
                        &BroadcastOptions::socket(sid.as_str()),
                        "message-back",
                        &args,
                    );
                }
                ("message-with-ack", Some(ack)) => {
                    let _ = server.ack(ack, &args);
                }
                _ => {}
            },
            _ => {}
        }
    }
}
