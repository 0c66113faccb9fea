//! Load generator for the side-by-side benchmark: speaks Engine.IO v4 / Socket.IO v5 over
//! WebSocket directly (no client library in the way) and prints one JSON line per run.
//!
//! Scenarios (see `loadgen --help` and `bench/README.md`):
//! * `fanout`  — N clients in R rooms, S senders emit `broadcast` (room, data) at max rate
//!   (bounded in-flight window) or at a fixed delivery rate; deliveries/s, latency, loss, order.
//! * `echo`    — N clients × K acked `echo` requests in flight; requests/s and latency.
//! * `connect` — N idle connections; connect rate and server RSS per connection.
//!
//! Every loop is bounded in count and time; only loopback addresses are used.

mod args;
mod client;
mod fanout;
mod others;
mod proc_stats;
mod stats;

use std::time::Duration;

fn main() {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    proc_stats::raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async {
        match args.scenario.as_str() {
            "fanout" => fanout::run(&args).await,
            "echo" => others::echo(&args).await,
            "connect" => others::connect(&args).await,
            s => Err(format!("unknown scenario {s:?}")),
        }
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(json) => println!("{json}"),
        Err(e) => {
            println!(
                "{}",
                serde_json::json!({"scenario": args.scenario, "label": args.label, "error": e})
            );
            std::process::exit(1);
        }
    }
}
