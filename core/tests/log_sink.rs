//! The host log routing (`roomcast::host::log`): a sink receives core's lifecycle records
//! with their stable fields, only what the filter lets through, and nothing when it is off.
//! (Its own test binary: the routing installs the process's global subscriber.)

use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use roomcast::host::log::{self, LogLevel};
use roomcast::host::{Event, Server};
use roomcast::Config;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Seen = Arc<Mutex<Vec<(LogLevel, String, String, Vec<(String, String)>)>>>;

/// Opens a WebSocket session, joins `/`, closes; returns the socket id.
fn connect_and_close(rt: &tokio::runtime::Runtime, server: &Server) -> String {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        server.local_addr()
    );
    rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let _open = ws.next().await.unwrap().unwrap();
        ws.send(Message::text("40")).await.unwrap();
        let connect = ws.next().await.unwrap().unwrap().into_text().unwrap();
        ws.close(None).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&connect[2..]).unwrap();
        v["sid"].as_str().unwrap().to_owned()
    })
}

fn wait_for(
    seen: &Seen,
    what: impl Fn(&[(LogLevel, String, String, Vec<(String, String)>)]) -> bool,
) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if what(&seen.lock()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn sink_gets_lifecycle_records_only_when_the_filter_lets_them() {
    std::env::remove_var("ROOMCAST_LOG");
    std::env::remove_var("RUST_LOG");
    let seen: Seen = Arc::default();
    let s = seen.clone();
    log::set_log_sink(Some(Arc::new(move |r: &log::LogRecord<'_>| {
        // Changing the sink from inside it is refused, not a deadlock.
        assert!(log::set_log_sink(None).is_err());
        s.lock().push((
            r.level,
            r.target.to_owned(),
            r.message.to_owned(),
            r.fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        ));
    })))
    .unwrap();
    assert!(log::set_log_filter(Some("roomcast=loud")).is_err());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = Config {
        bind: ([127, 0, 0, 1], 0).into(),
        ..Config::default()
    };
    let (server, events) = Server::start(cfg).unwrap();
    // Off by default: a whole connection lifecycle logs nothing.
    connect_and_close(&rt, &server);
    assert!(matches!(
        events.recv_timeout(Duration::from_secs(5)),
        Ok(Event::Connection { .. })
    ));
    assert!(matches!(
        events.recv_timeout(Duration::from_secs(5)),
        Ok(Event::Disconnecting { .. })
    ));
    std::thread::sleep(Duration::from_millis(200));
    assert!(seen.lock().is_empty(), "{:?}", seen.lock());

    log::set_log_filter(Some("roomcast=debug")).unwrap();
    let sid = connect_and_close(&rt, &server);
    assert!(
        wait_for(&seen, |r| r.iter().any(|(_, _, m, f)| m
            == "socket disconnected"
            && field(f, "sid") == Some(sid.as_str())
            && field(f, "nsp") == Some("/")
            && field(f, "reason") == Some("transport close"))),
        "{:?}",
        seen.lock()
    );
    let records = seen.lock().clone();
    let connected = records
        .iter()
        .find(|(_, _, m, _)| m == "socket connected")
        .expect("a connect record");
    assert_eq!(connected.0, LogLevel::Debug);
    assert_eq!(connected.1, "roomcast::socket");
    assert_eq!(field(&connected.3, "sid"), Some(sid.as_str()));
    assert_eq!(field(&connected.3, "transport"), Some("websocket"));
    let conn = field(&connected.3, "conn")
        .expect("the session id")
        .to_owned();
    assert!(records.iter().any(|(_, t, m, f)| t == "roomcast::engine"
        && m == "connection opened"
        && field(f, "sid") == Some(conn.as_str())
        && field(f, "transport") == Some("websocket")));

    // Back off: nothing more, even for the server's stop.
    log::set_log_filter(Some("off")).unwrap();
    let n = seen.lock().len();
    connect_and_close(&rt, &server);
    server.stop(Duration::from_secs(5));
    assert_eq!(seen.lock().len(), n);
    log::set_log_sink(None).unwrap();
}
