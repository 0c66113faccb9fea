//! `roomcast-server`: roomcast as a program, for running it without writing a host and for
//! benchmarking it.
//!
//! ```text
//! roomcast-server --host 0.0.0.0 --port 3000 --static ./public --metrics-path /metrics --relay
//! ROOMCAST_PORT=3000 ROOMCAST_REDIS_URL=redis://127.0.0.1:6379 roomcast-server
//! ```
//!
//! Every option of core's table is a flag and an environment variable (see [`flags`]);
//! `--namespace` adds namespaces beside `/`; `--relay` makes it relay events (see
//! [`relay`]). It prints `listening on http(s)://<addr>` once serving. SIGTERM and SIGINT
//! stop it gracefully: no new connections, every client gets socket.io's
//! `server shutting down` (the client sees `io server disconnect`), queued frames are
//! flushed within `--drain-timeout`, then it exits 0. SIGHUP reloads the TLS certificate
//! and key from `--tls-cert`/`--tls-key`. Logs go to stderr, filtered by `--log` /
//! `ROOMCAST_LOG` / `RUST_LOG` (default `info`).

use clap::{CommandFactory, FromArgMatches, Parser};
use roomcast::host::{ConfigBuilder, Server};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

mod flags;
mod relay;

/// A Socket.IO server: serves a static folder and relays events (with --relay), with
/// every option of roomcast as a flag or a ROOMCAST_<OPTION> environment variable.
#[derive(Parser, Debug)]
#[command(name = "roomcast-server", version, about, long_about = None)]
struct Cli {
    /// Relay events: `join`/`leave` (room) put the socket in or out of a room; any other
    /// event goes to the other sockets of the sender's rooms (its namespace when it joined
    /// none). Without it, clients connect and nothing is relayed.
    #[arg(long, env = "ROOMCAST_RELAY")]
    relay: bool,

    /// Accept this namespace too (repeatable; a `*` makes it a pattern, `/*` accepts any).
    /// `/` is always accepted.
    #[arg(
        long = "namespace",
        value_name = "NSP",
        env = "ROOMCAST_NAMESPACES",
        value_delimiter = ','
    )]
    namespaces: Vec<String>,

    /// How long SIGTERM/SIGINT waits for clients to be told and queued frames to flush
    /// before closing what is left.
    #[arg(long, value_name = "DURATION", env = "ROOMCAST_DRAIN_TIMEOUT", default_value = "10s",
          value_parser = clap::builder::ValueParser::new(flags::parse_duration))]
    drain_timeout: Duration,

    /// Log filter in RUST_LOG syntax (e.g. `debug`, `roomcast::socket=debug,info`, `off`).
    #[arg(long, value_name = "FILTER", env = "ROOMCAST_LOG")]
    log: Option<String>,
}

/// The full command: the fixed flags above and one per option of core's table.
fn command() -> clap::Command {
    Cli::command().args(flags::args())
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let filter = cli
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| "info".into());
    let filter = match tracing_subscriber::EnvFilter::builder().parse(&filter) {
        Ok(f) => f,
        Err(e) => return fail(format!("--log {filter:?}: {e}")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    // `listen = false` is for host programs that hand roomcast the connections of their own
    // HTTP server; this program has no other server, so it always listens.
    if matches.get_one::<bool>("listen") == Some(&false) {
        return fail("--listen false: roomcast-server has no HTTP server of its own to hand connections over; it always listens");
    }
    let mut b = ConfigBuilder::new();
    if let Err(e) = flags::apply(&matches, &mut b) {
        return fail(e);
    }
    for nsp in &cli.namespaces {
        if let Err(e) = b.add_namespace(nsp, false) {
            return fail(format!("--namespace: {e}"));
        }
    }
    let tls = tls_files(&matches);
    let (server, events) = match b.start() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let scheme = if server.is_tls() { "https" } else { "http" };
    println!("listening on {scheme}://{}", server.local_addr());
    let _ = std::io::stdout().flush();

    let relay = cli.relay;
    let consumer = {
        let server = server.clone();
        std::thread::Builder::new()
            .name("roomcast-events".into())
            .spawn(move || relay::run(&server, &events, relay))
    };
    let consumer = match consumer {
        Ok(t) => t,
        Err(e) => {
            server.stop(cli.drain_timeout);
            return fail(format!("cannot start the event thread: {e}"));
        }
    };
    if let Err(e) = wait_for_stop(&server, tls.as_ref()) {
        eprintln!("roomcast-server: signals: {e}; stopping");
    }
    // Outside any runtime: stop waits for the drain (bounded by the timeout).
    server.stop(cli.drain_timeout);
    let _ = consumer.join();
    ExitCode::SUCCESS
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("roomcast-server: {e}");
    ExitCode::from(2)
}

/// The certificate and key options as given (paths or PEM), for SIGHUP.
fn tls_files(m: &clap::ArgMatches) -> Option<roomcast::TlsConfig> {
    let cert = m.get_one::<String>("tls_cert")?;
    let key = m.get_one::<String>("tls_key")?;
    Some(roomcast::TlsConfig {
        cert: roomcast::Pem::from_arg(cert),
        key: roomcast::Pem::from_arg(key),
    })
}

/// Blocks until SIGTERM or SIGINT; reloads TLS on SIGHUP meanwhile.
fn wait_for_stop(server: &Server, tls: Option<&roomcast::TlsConfig>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut term, mut int, mut hup) = rt.block_on(async {
        Ok::<_, std::io::Error>((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
            signal(SignalKind::hangup())?,
        ))
    })?;
    loop {
        let reload = rt.block_on(async {
            tokio::select! {
                _ = term.recv() => false,
                _ = int.recv() => false,
                _ = hup.recv() => true,
            }
        });
        if !reload {
            tracing::info!(target: "roomcast_server", "signal: stopping");
            return Ok(());
        }
        match tls {
            // The result is logged by core (`tls certificate reloaded` or the reason).
            Some(t) => {
                let _ = server.reload_tls(t);
            }
            None => tracing::info!(target: "roomcast_server", "SIGHUP: no TLS to reload"),
        }
    }
}
