//! An answered `emit_with_ack` releases its timer at once, not at its timeout.

use crate::common::{config, next_text, runtime};
use futures_util::SinkExt;
use roomcast::host::{Event, Server};
use roomcast::{BroadcastOptions, Payload};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn answered_acks_free_their_timers() {
    let rt = runtime();
    let (server, events) = Server::start(config()).unwrap();
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        server.local_addr()
    );
    let mut ws = rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        next_text(&mut ws).await;
        ws.send(Message::text("40")).await.unwrap();
        next_text(&mut ws).await;
        ws
    });
    let Ok(Event::Connection { .. }) = events.recv_timeout(Duration::from_secs(5)) else {
        panic!("expected a connection")
    };
    // Tasks alive on the server's own runtime (the ack timers run there).
    let tasks = || server.runtime().metrics().num_alive_tasks();
    let before = tasks();
    const N: usize = 500;
    for _ in 0..N {
        let id = server
            .emit_with_ack(
                "/",
                &BroadcastOptions::all(),
                "q",
                &Payload::empty(),
                Duration::from_secs(3600),
            )
            .unwrap();
        rt.block_on(async {
            assert_eq!(next_text(&mut ws).await, format!("42{id}[\"q\"]"));
            ws.send(Message::text(format!("43{id}[\"a\"]")))
                .await
                .unwrap();
        });
        let Ok(Event::AckResponse(r)) = events.recv_timeout(Duration::from_secs(5)) else {
            panic!("expected the ack response")
        };
        assert!(!r.timed_out);
    }
    // Aborted tasks are reaped by the runtime shortly after; allow it a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while tasks() > before + 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        tasks() <= before + 5,
        "{} tasks alive after {N} answered acks (was {before})",
        tasks()
    );
    server.stop(Duration::from_secs(1));
}
