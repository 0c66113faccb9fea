//! The seed's echo server on roomcast's plain WebSocket routes (no Socket.IO client
//! needed): every text sent to `ws://localhost:3000/test` comes back as `ECHO: <text>`,
//! binary comes back as it was, and the text `close me` is answered with a close frame
//! (4000, "asked"). `/ws/private` asks the host before the 101 (`verify`): only an upgrade
//! with a `name` cookie gets in (others get 401 "Invalid user"), and is greeted with
//! `hello <name>` (identity from a cookie at the upgrade, as in the seed's chat).
//!
//! Run with `cargo run --release --example ws-echo` (`PORT`, default 3000; `PORT=0` picks
//! a free one). `PING_INTERVAL` and `PING_TIMEOUT` (ms) set the WebSocket keepalive,
//! `MAX_MESSAGE_SIZE` (bytes) the largest message (a bigger one closes with 1009);
//! `PER_MESSAGE_DEFLATE=<threshold>` turns permessage-deflate on (echoes of at least that
//! many bytes go compressed to clients that negotiated it).

use roomcast::config::Refusal;
use roomcast::host::{Event, PlainData, Server};
use roomcast::{Config, PlainRoute};
use std::io::Write;
use std::time::Duration;

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let mut echo = PlainRoute::new("/test");
    let mut private = PlainRoute::new("/ws/private").verified();
    for r in [&mut echo, &mut private] {
        r.ping_interval = env_num("PING_INTERVAL").map(Duration::from_millis);
        r.ping_timeout = env_num("PING_TIMEOUT").map(Duration::from_millis);
        r.max_message_size = env_num("MAX_MESSAGE_SIZE").map(|n| n as usize);
    }
    let config = Config {
        bind: ([127, 0, 0, 1], env_num("PORT").unwrap_or(3000) as u16).into(),
        plain_routes: vec![echo, private],
        per_message_deflate: env_num("PER_MESSAGE_DEFLATE").map(|t| roomcast::DeflateConfig {
            threshold: t as usize,
        }),
        ..Config::default()
    };
    let (server, events) = Server::start(config).expect("cannot start the server");
    println!(
        "listening on http://127.0.0.1:{}",
        server.local_addr().port()
    );
    std::io::stdout().flush().ok();
    while let Some(event) = events.recv() {
        let result = match event {
            Event::PlainRequest {
                request, handshake, ..
            } => {
                let named = handshake
                    .cookies()
                    .iter()
                    .any(|(k, v)| k == "name" && !v.is_empty());
                let verdict = if named {
                    Ok(())
                } else {
                    Err(Refusal {
                        status: 401,
                        message: "Invalid user".into(),
                    })
                };
                server.allow_request(request, verdict)
            }
            Event::PlainConnection {
                route,
                id,
                handshake,
            } if &*route == "/ws/private" => {
                let name = handshake
                    .cookies()
                    .into_iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                server.plain_send(id.as_str(), PlainData::Text(format!("hello {name}")))
            }
            Event::PlainMessage { id, data, .. } => match data {
                PlainData::Text(t) if t == "close me" => {
                    server.plain_close(id.as_str(), 4000, "asked")
                }
                PlainData::Text(t) => {
                    server.plain_send(id.as_str(), PlainData::Text(format!("ECHO: {t}")))
                }
                binary => server.plain_send(id.as_str(), binary),
            },
            _ => Ok(()),
        };
        if let Err(e) = result {
            // A connection that closed meanwhile is not an error of the server.
            eprintln!("ws_echo: {e}");
        }
    }
}
