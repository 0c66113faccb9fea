//! The echo and connect scenarios.

use crate::args::Args;
use crate::client::{self, digits, Ws};
use crate::proc_stats::ServerWatch;
use crate::stats::{r3, Samples};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// Connects `n` clients with at most `concurrency` handshakes in flight.
async fn connect_all(a: &Args, n: usize) -> Result<Vec<Ws>, String> {
    let gate = Arc::new(Semaphore::new(a.concurrency));
    let url = a.url();
    let mut hs = Vec::with_capacity(n);
    for _ in 0..n {
        let (gate, url, host, port) = (gate.clone(), url.clone(), a.host.clone(), a.port);
        hs.push(tokio::spawn(async move {
            let _p = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            client::connect(&host, port, &url).await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for h in hs {
        out.push(h.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

/// N clients, each keeping K acked `echo` requests in flight; counts acks and their latency.
pub async fn echo(a: &Args) -> Result<String, String> {
    let conns = connect_all(a, a.clients).await?;
    let measuring = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let mismatched = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let k = a.inflight.min(1024);
    let data = client::data_object(&[], a.payload);
    let mut tasks = Vec::new();
    for mut ws in conns {
        let (measuring, acked, mismatched, mut stop) = (
            measuring.clone(),
            acked.clone(),
            mismatched.clone(),
            stop_rx.clone(),
        );
        let data = data.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            let mut sent_at = vec![Instant::now(); 1024];
            let frame = |id: u64| Message::text(format!("42{id}[\"echo\",{data}]"));
            let expect = format!("[{data}]");
            let mut next_id: u64 = 0;
            for _ in 0..k {
                sent_at[next_id as usize % 1024] = Instant::now();
                if ws.send(frame(next_id)).await.is_err() {
                    return samples;
                }
                next_id += 1;
            }
            loop {
                tokio::select! {
                    biased;
                    m = ws.next() => match m {
                        Some(Ok(Message::Text(t))) => {
                            let b = t.as_bytes();
                            if b == b"2" {
                                let _ = ws.send(Message::text("3")).await;
                                continue;
                            }
                            if !b.starts_with(b"43") {
                                continue;
                            }
                            let Some(id) = digits(&b[2..]) else { continue };
                            if !t.as_str().ends_with(expect.as_str()) {
                                mismatched.fetch_add(1, Ordering::Relaxed);
                            }
                            if measuring.load(Ordering::Relaxed) {
                                samples.push(sent_at[id as usize % 1024].elapsed().as_micros() as u64);
                                acked.fetch_add(1, Ordering::Relaxed);
                            }
                            sent_at[next_id as usize % 1024] = Instant::now();
                            if ws.send(frame(next_id)).await.is_err() {
                                break;
                            }
                            next_id += 1;
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = stop.changed() => break,
                }
            }
            samples
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(a.warmup)).await;
    let watch = ServerWatch::start(&a.pids);
    let m0 = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(a.duration)).await;
    measuring.store(false, Ordering::Relaxed);
    let secs = m0.elapsed().as_secs_f64();
    let n = acked.load(Ordering::Relaxed);
    let server_cpu = watch.server_cpu();
    let gen_cpu = watch.own_cpu();
    let other_cpu = watch.other_cpu();
    let peak_rss = watch.peak_rss_kb();
    let _ = stop_tx.send(true);
    let mut samples = Samples::default();
    for t in tasks {
        if let Ok(s) = t.await {
            samples.merge(s);
        }
    }
    Ok(json!({
        "scenario": "echo",
        "label": a.label,
        "clients": a.clients,
        "inflight": k,
        "payload": a.payload,
        "measured_s": r3(secs),
        "requests_per_s": (n as f64 / secs).round(),
        "latency_us": samples.summary(),
        "mismatched": mismatched.load(Ordering::Relaxed),
        "server_cpu_s": server_cpu.map(r3),
        "server_cpu_us_per_request": server_cpu.filter(|_| n > 0).map(|c| r3(c * 1e6 / n as f64)),
        "server_peak_rss_kb": peak_rss,
        "gen_cpu_s": r3(gen_cpu),
        "other_cpu_s": r3(other_cpu),
        "gen_threads": a.threads,
    })
    .to_string())
}

/// N idle connections: connect rate, then server RSS per connection once they are all open.
pub async fn connect(a: &Args) -> Result<String, String> {
    let watch = ServerWatch::start(&a.pids);
    let rss_before = watch.rss_kb();
    let gate = Arc::new(Semaphore::new(a.concurrency));
    let url = a.url();
    let connected = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(parking_error::Slot::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(a.clients);
    for _ in 0..a.clients {
        let (gate, url, host, port) = (gate.clone(), url.clone(), a.host.clone(), a.port);
        let (connected, failed, first_error, mut stop) = (
            connected.clone(),
            failed.clone(),
            first_error.clone(),
            stop_rx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let mut ws = match client::connect(&host, port, &url).await {
                Ok(ws) => ws,
                Err(e) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    first_error.set(e);
                    return;
                }
            };
            drop(permit);
            connected.fetch_add(1, Ordering::Relaxed);
            // Idle: answer pings until told to stop.
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(Message::Text(t))) if t.as_str() == "2" => { let _ = ws.send(Message::text("3")).await; }
                        Some(Ok(_)) => {}
                        _ => return,
                    },
                    _ = stop.changed() => return,
                }
            }
        }));
    }
    let deadline = t0 + Duration::from_secs(120);
    while connected.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < a.clients
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let connect_s = t0.elapsed().as_secs_f64();
    let ok = connected.load(Ordering::Relaxed);
    // Let the server settle, then read its memory with every connection idle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = watch.rss_kb();
    let server_cpu = watch.server_cpu();
    tokio::time::sleep(Duration::from_secs_f64(a.hold)).await;
    let still_open = connected.load(Ordering::Relaxed);
    let peak_rss = watch.peak_rss_kb();
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let per_conn = match (rss_before, rss_after) {
        (Some(b), Some(a)) if ok > 0 => Some(r3((a.saturating_sub(b)) as f64 * 1024.0 / ok as f64)),
        _ => None,
    };
    Ok(json!({
        "scenario": "connect",
        "label": a.label,
        "clients": a.clients,
        "connected": ok,
        "still_open": still_open,
        "failed": failed.load(Ordering::Relaxed),
        "first_error": first_error.take(),
        "connect_s": r3(connect_s),
        "connects_per_s": (ok as f64 / connect_s).round(),
        "server_rss_before_kb": rss_before,
        "server_rss_after_kb": rss_after,
        "server_rss_bytes_per_connection": per_conn,
        "server_cpu_s": server_cpu.map(r3),
        "server_cpu_us_per_connect": server_cpu.filter(|_| ok > 0).map(|c| r3(c * 1e6 / ok as f64)),
        "server_peak_rss_kb": peak_rss,
        "concurrency": a.concurrency,
        "gen_threads": a.threads,
    })
    .to_string())
}

mod parking_error {
    /// Keeps the first error message seen.
    #[derive(Default)]
    pub struct Slot(std::sync::Mutex<Option<String>>);
    impl Slot {
        pub fn set(&self, e: String) {
            let mut g = self.0.lock().unwrap();
            if g.is_none() {
                *g = Some(e);
            }
        }
        pub fn take(&self) -> Option<String> {
            self.0.lock().unwrap().take()
        }
    }
}
