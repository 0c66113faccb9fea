//! The roomcast chat room on the Rust host API: serves `examples/public` (the browser page)
//! and the socket.io-client bundle, and implements the chat contract (see README).
//!
//! Run with `scripts/chat.sh` or `cargo run --release --example chat` (port from `PORT`,
//! default 3000; `PORT=0` picks a free one). Connection state recovery is on: a tab that
//! loses its connection for up to `RECOVERY_MS` (default 2 minutes) keeps its place and
//! name and gets what it missed.
//! With `REDIS_URL` it joins that Redis cluster (`REDIS_KEY`, default `socket.io`): rooms
//! and broadcasts then span every node.
//! With `TLS_CERT` and `TLS_KEY` (PEM files) it serves https / wss; `kill -HUP` reloads
//! them from the same paths without a restart.
//!
//! Plain WebSocket clients (`new WebSocket("ws://localhost:3000/ws/chat")`) are in KPL
//! too, from the start (the route's `rooms`): the route relays their text to the room as
//! a `talk` event, and a `talk` emitted to KPL reaches them as a text frame (the
//! `first_arg` delivery rule). The other examples do the same in their host code.
//! With `ADMIN_UI_PASSWORD` (a bcrypt hash; user `ADMIN_UI_USERNAME`, default `admin`) or
//! `ADMIN_UI_AUTH=false` it serves the Socket.IO admin UI's namespace (`/admin`), with
//! `ADMIN_UI_MODE`, `ADMIN_UI_READONLY=1` and `ADMIN_UI_SERVER_ID` as instrument() takes them;
//! `CORS_ORIGIN` (e.g. `https://admin.socket.io`) allows that origin, with credentials, as
//! the dashboard served from another origin needs.

use roomcast::host::{Event, Server};
use roomcast::{BroadcastOptions, Config, Delivery, Payload, PlainRoute, RecoveryConfig, Sid};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// The room every chat socket joins.
const ROOM: &str = "KPL";

fn main() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let recovery_ms: u64 = std::env::var("RECOVERY_MS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(120_000);
    let config = Config {
        bind: ([127, 0, 0, 1], port).into(),
        static_dir: Some(examples.join("public")),
        client_dist_dir: Some(examples.join("node_modules/socket.io-client/dist")),
        connection_state_recovery: Some(RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(recovery_ms),
            ..RecoveryConfig::default()
        }),
        redis: std::env::var("REDIS_URL").ok().map(|url| {
            roomcast::host::RedisConfig::new(url)
                .key(std::env::var("REDIS_KEY").unwrap_or_else(|_| "socket.io".into()))
        }),
        tls: tls_from_env(),
        metrics_path: std::env::var("METRICS_PATH").ok(),
        plain_routes: vec![PlainRoute::new("/ws/chat")
            .room(ROOM)
            .delivery(Delivery::FirstArg)
            .relay("talk")],
        admin_ui: admin_from_env(),
        cors: std::env::var("CORS_ORIGIN")
            .ok()
            .and_then(|o| roomcast::host::options::cors_from(vec![o], true)),
        ..Config::default()
    };
    let (server, events) = Server::start(config).expect("cannot start the server");
    let scheme = if server.is_tls() { "https" } else { "http" };
    if server.is_tls() {
        reload_on_sighup(&server);
    }
    print_metrics_on_sigusr1(&server);
    println!(
        "listening on {scheme}://localhost:{}",
        server.local_addr().port()
    );
    std::io::stdout().flush().ok();

    let mut names: HashMap<Sid, String> = HashMap::new();
    let mut history: Vec<Value> = Vec::new();
    let mut online: usize = 0;
    let everyone = BroadcastOptions::all();
    let send = |to: &BroadcastOptions, event: &str, arg: Value| {
        if let Err(e) = server.emit("/", to, event, &Payload::single(&arg)) {
            eprintln!("emit {event}: {e}");
        }
    };

    while let Some(event) = events.recv() {
        match event {
            Event::Connection { sid, recovered, .. } => {
                if recovered {
                    // Back in KPL already, and the missed messages were replayed: no
                    // history (it would wipe the missed shouts); the name was kept as data.
                    let name = server.data("/", sid.as_str()).ok().flatten();
                    if let Some(Value::String(name)) =
                        name.and_then(|d| serde_json::from_str(&d).ok())
                    {
                        send(
                            &others_of(sid),
                            "globalMsg",
                            json!(format!("{name} is back")),
                        );
                        names.insert(sid, name);
                    }
                } else {
                    let _ = server.join("/", sid.as_str(), &[ROOM]);
                    send(
                        &BroadcastOptions::socket(sid.as_str()),
                        "allMessage",
                        Value::from(history.clone()),
                    );
                }
                online += 1;
                send(&everyone, "online", json!(online));
            }
            Event::Message {
                sid, event, args, ..
            } => {
                let first = args.to_values().into_iter().next().unwrap_or(Value::Null);
                let others = BroadcastOptions::all().except(sid.as_str());
                match event.as_str() {
                    "talk" => {
                        let to = BroadcastOptions::all().to(ROOM).except(sid.as_str());
                        let _ = server.emit("/", &to, "talk", &args);
                    }
                    "user-name" => {
                        let name = first
                            .as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| first.to_string());
                        send(&others, "globalMsg", json!(format!("{name} joined")));
                        let _ = server.set_data("/", sid.as_str(), &json!(name).to_string());
                        names.insert(sid, name);
                    }
                    "sendMessage" => {
                        let message = json!({ "name": first["name"], "message": first["message"] });
                        history.push(message.clone());
                        send(&everyone, "newMessage", message);
                    }
                    _ => {}
                }
            }
            Event::Disconnect { sid, nsp, .. } if &*nsp == "/" => {
                if let Some(name) = names.remove(&sid) {
                    send(&everyone, "globalMsg", json!(format!("{name} left")));
                }
                online = online.saturating_sub(1);
                send(&everyone, "online", json!(online));
            }
            _ => {}
        }
    }
}

/// The admin UI from `ADMIN_UI_*` (see the module doc), when asked for.
fn admin_from_env() -> Option<roomcast::AdminUi> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let password = var("ADMIN_UI_PASSWORD");
    if password.is_none() && var("ADMIN_UI_AUTH").as_deref() != Some("false") {
        return None;
    }
    let mode = var("ADMIN_UI_MODE").map_or(roomcast::AdminMode::Development, |m| {
        roomcast::AdminMode::parse(&m).expect("ADMIN_UI_MODE: development or production")
    });
    Some(roomcast::AdminUi {
        auth: password.map(|p| {
            (
                var("ADMIN_UI_USERNAME").unwrap_or_else(|| "admin".into()),
                p,
            )
        }),
        readonly: var("ADMIN_UI_READONLY").as_deref() == Some("1"),
        mode,
        server_id: var("ADMIN_UI_SERVER_ID"),
        ..roomcast::AdminUi::default()
    })
}

/// `TLS_CERT` + `TLS_KEY`, when both are set.
fn tls_from_env() -> Option<roomcast::TlsConfig> {
    let cert = std::env::var_os("TLS_CERT")?;
    let key = std::env::var_os("TLS_KEY")?;
    Some(roomcast::TlsConfig::from_paths(cert, key))
}

/// With `METRICS_PATH` set (Prometheus metrics served there), prints the snapshot
/// (`Server::metrics`) as one `metrics: {json}` line on each SIGUSR1.
fn print_metrics_on_sigusr1(server: &Server) {
    let server = server.clone();
    let rt = server.runtime().clone();
    rt.spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
            return;
        };
        while usr1.recv().await.is_some() {
            match server.metrics() {
                Ok(m) => println!("metrics: {}", m.to_json()),
                Err(e) => eprintln!("metrics: {e}"),
            }
            std::io::stdout().flush().ok();
        }
    });
}

/// Reloads the certificate from the same paths on each SIGHUP.
fn reload_on_sighup(server: &Server) {
    let server = server.clone();
    let rt = server.runtime().clone();
    rt.spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            match tls_from_env().map(|t| server.reload_tls(&t)) {
                Some(Ok(())) => println!("tls: certificate reloaded"),
                Some(Err(e)) => eprintln!("tls: reload failed, keeping the old one: {e}"),
                None => {}
            }
            std::io::stdout().flush().ok();
        }
    });
}

/// Everyone but `sid`.
fn others_of(sid: Sid) -> BroadcastOptions {
    BroadcastOptions::all().except(sid.as_str())
}
