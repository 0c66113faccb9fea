//! The fan-out scenario: N clients in R rooms; S senders emit `broadcast` (room, data) and
//! every other member of the room must receive `msg` (data).
//!
//! A broadcast counts as complete when every expected recipient got it; a sender keeps at
//! most `window` incomplete broadcasts (max-rate mode), or follows a fixed schedule derived
//! from `--rate` deliveries/s (then the window is a safety bound of 4096, and latency is taken
//! from the scheduled send time whenever the sender is behind, so a stalled server cannot hide its delay).

use crate::args::Args;
use crate::client::{self, field, Ws};
use crate::proc_stats::ServerWatch;
use crate::stats::{r3, Samples};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// Slots per sender for counting deliveries of in-flight broadcasts (by seq modulo).
const RING: usize = 1 << 14;
/// In-flight bound in fixed-rate mode.
const RATE_WINDOW: usize = 4096;

/// Per-sender bookkeeping shared with every receiver.
struct Track {
    /// Recipients each broadcast of this sender must reach.
    expected: u32,
    /// Deliveries so far of broadcast `q`, at `q % RING`.
    slots: Box<[AtomicU32]>,
    sent: AtomicU64,
    completed: AtomicU64,
    notify: Notify,
}

struct Shared {
    start: Instant,
    measuring: AtomicBool,
    stop_sending: AtomicBool,
    tracks: Vec<Track>,
    /// Deliveries per receiving task.
    delivered: Vec<AtomicU64>,
    out_of_order: AtomicU64,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }
    fn delivered(&self) -> u64 {
        self.delivered
            .iter()
            .map(|d| d.load(Ordering::Relaxed))
            .sum()
    }
}

/// What a receiving loop keeps for itself.
struct Receiver {
    idx: usize,
    samples: Samples,
    last_seq: Vec<u64>,
    count: u64,
}

impl Receiver {
    /// Handles one text frame; returns true when it was a ping that needs a pong.
    #[inline]
    fn on_text(&mut self, sh: &Shared, t: &str) -> bool {
        let b = t.as_bytes();
        if b == b"2" {
            return true;
        }
        if !b.starts_with(b"42[\"msg\",") {
            return false;
        }
        let Some((ts, s, q)) = parse_msg(b) else {
            return false;
        };
        let now = sh.now_us();
        if sh.measuring.load(Ordering::Relaxed) {
            self.samples.push(now.saturating_sub(ts));
        }
        self.count += 1;
        sh.delivered[self.idx].store(self.count, Ordering::Relaxed);
        let s = s as usize;
        if let Some(last) = self.last_seq.get_mut(s) {
            if *last == u64::MAX || q > *last {
                *last = q;
            } else {
                sh.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(tr) = sh.tracks.get(s) {
            let slot = &tr.slots[q as usize % RING];
            if slot.fetch_add(1, Ordering::AcqRel) + 1 == tr.expected {
                slot.store(0, Ordering::Release);
                tr.completed.fetch_add(1, Ordering::AcqRel);
                tr.notify.notify_one();
            }
        }
        false
    }
}

/// `(t, s, q)` of a `msg` frame: read in place when the data object starts with them in
/// the order the generator writes them (the usual case), else searched for.
#[inline]
fn parse_msg(b: &[u8]) -> Option<(u64, u64, u64)> {
    const HEAD: &[u8] = b"42[\"msg\",{\"t\":";
    if let Some(rest) = b.strip_prefix(HEAD) {
        let (t, n) = digits_len(rest);
        if let Some(rest) = rest[n..].strip_prefix(b",\"s\":") {
            let (s, n) = digits_len(rest);
            if let Some(rest) = rest[n..].strip_prefix(b",\"q\":") {
                let (q, n) = digits_len(rest);
                if n > 0 {
                    return Some((t, s, q));
                }
            }
        }
    }
    Some((
        field(b, b"\"t\":")?,
        field(b, b"\"s\":")?,
        field(b, b"\"q\":")?,
    ))
}

/// The number at the start of `s` and how many digits it had.
#[inline]
fn digits_len(s: &[u8]) -> (u64, usize) {
    let mut n = 0u64;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        n = n.wrapping_mul(10).wrapping_add((s[i] - b'0') as u64);
        i += 1;
    }
    (n, i)
}

async fn pong(ws: &mut Ws) {
    let _ = ws.send(Message::text("3")).await;
}

/// Reads until `stop` changes; returns the receiver's samples.
async fn receive_loop(
    mut ws: Ws,
    sh: Arc<Shared>,
    mut rx: Receiver,
    mut stop: watch::Receiver<bool>,
) -> Receiver {
    loop {
        tokio::select! {
            biased;
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    if rx.on_text(&sh, t.as_str()) {
                        pong(&mut ws).await;
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            _ = stop.changed() => break,
        }
    }
    rx
}

/// Sends broadcasts for sender `s` (as allowed by the window or the schedule), receiving in
/// between; stops sending at `stop_sending`, then keeps receiving until `stop`.
async fn send_loop(
    mut ws: Ws,
    sh: Arc<Shared>,
    mut rx: Receiver,
    s: usize,
    room: String,
    a: Args,
    mut stop: watch::Receiver<bool>,
) -> Receiver {
    let tr = &sh.tracks[s];
    let window = if a.rate > 0.0 {
        RATE_WINDOW
    } else {
        a.window.min(RING / 2)
    } as u64;
    // Broadcasts per second for this sender at the fixed rate.
    let per_sec = if a.rate > 0.0 {
        a.rate / (a.senders as f64 * tr.expected.max(1) as f64)
    } else {
        0.0
    };
    let sched_start = sh.now_us();
    let prefix = format!(
        "42[\"broadcast\",{},",
        serde_json::Value::from(room.as_str())
    );
    let mut seq: u64 = 0;
    loop {
        if sh.stop_sending.load(Ordering::Relaxed) || seq >= a.max_messages {
            break;
        }
        // Wait while the window is full or the schedule says not yet, serving reads meanwhile.
        let in_flight = seq - tr.completed.load(Ordering::Acquire);
        let due_us = if per_sec > 0.0 {
            sched_start + (seq as f64 * 1e6 / per_sec) as u64
        } else {
            0
        };
        let now = sh.now_us();
        if in_flight >= window || due_us > now {
            let notified = tr.notify.notified();
            let sleep = tokio::time::sleep(Duration::from_micros(if due_us > now {
                due_us - now
            } else {
                50_000
            }));
            tokio::select! {
                biased;
                m = ws.next() => match m {
                    Some(Ok(Message::Text(t))) => {
                        if rx.on_text(&sh, t.as_str()) {
                            pong(&mut ws).await;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => return rx,
                },
                _ = notified => {}
                _ = sleep => {}
                _ = stop.changed() => return rx,
            }
            continue;
        }
        // At a fixed rate, latency counts from the scheduled time once the sender is behind
        // (so a stalled server cannot hide its backlog), else from now (the timer wheel's
        // 1 ms granularity would otherwise be added to every figure).
        let ts = if per_sec > 0.0 && now > due_us + 1000 {
            due_us
        } else {
            now
        };
        let data = client::data_object(&[("t", ts), ("s", s as u64), ("q", seq)], a.payload);
        let mut frame = String::with_capacity(prefix.len() + data.len() + 1);
        frame.push_str(&prefix);
        frame.push_str(&data);
        frame.push(']');
        tr.sent.fetch_add(1, Ordering::AcqRel);
        if ws.send(Message::text(frame)).await.is_err() {
            return rx;
        }
        seq += 1;
    }
    receive_loop(ws, sh, rx, stop).await
}

/// Runs the scenario and returns the JSON line.
pub async fn run(a: &Args) -> Result<String, String> {
    let room_of = |i: usize| format!("room-{}", i % a.rooms);
    let members = |r: usize| (0..a.clients).filter(|i| i % a.rooms == r).count() as u32;
    let tracks = (0..a.senders)
        .map(|s| Track {
            expected: members(s % a.rooms).saturating_sub(1),
            slots: (0..RING).map(|_| AtomicU32::new(0)).collect(),
            sent: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            notify: Notify::new(),
        })
        .collect();
    let sh = Arc::new(Shared {
        start: Instant::now(),
        measuring: AtomicBool::new(false),
        stop_sending: AtomicBool::new(false),
        tracks,
        delivered: (0..a.clients).map(|_| AtomicU64::new(0)).collect(),
        out_of_order: AtomicU64::new(0),
    });

    // Connect and join everyone first (bounded concurrency), then start the traffic.
    let t0 = Instant::now();
    let gate = Arc::new(Semaphore::new(a.concurrency));
    let mut setups = Vec::with_capacity(a.clients);
    for i in 0..a.clients {
        let (gate, url, host, port, room) = (
            gate.clone(),
            a.url_of(a.port_of(i)),
            a.host.clone(),
            a.port_of(i),
            room_of(i),
        );
        setups.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let mut ws = client::connect(&host, port, &url).await?;
            client::join(&mut ws, &room).await?;
            Ok::<Ws, String>(ws)
        }));
    }
    let mut conns = Vec::with_capacity(a.clients);
    for (i, h) in setups.into_iter().enumerate() {
        conns.push(
            h.await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("client {i}: {e}"))?,
        );
    }
    let setup_s = t0.elapsed().as_secs_f64();

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(a.clients);
    for (i, ws) in conns.into_iter().enumerate() {
        let rx = Receiver {
            idx: i,
            samples: Samples::default(),
            last_seq: vec![u64::MAX; a.senders],
            count: 0,
        };
        let (sh, stop) = (sh.clone(), stop_rx.clone());
        if i < a.senders {
            tasks.push(tokio::spawn(send_loop(
                ws,
                sh,
                rx,
                i,
                room_of(i),
                a.clone(),
                stop,
            )));
        } else {
            tasks.push(tokio::spawn(receive_loop(ws, sh, rx, stop)));
        }
    }

    tokio::time::sleep(Duration::from_secs_f64(a.warmup)).await;
    let watch = ServerWatch::start(&a.pids);
    let d0 = sh.delivered();
    let s0: u64 = sh
        .tracks
        .iter()
        .map(|t| t.sent.load(Ordering::Relaxed))
        .sum();
    let m0 = Instant::now();
    sh.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(a.duration)).await;
    sh.measuring.store(false, Ordering::Relaxed);
    let secs = m0.elapsed().as_secs_f64();
    let d1 = sh.delivered();
    let s1: u64 = sh
        .tracks
        .iter()
        .map(|t| t.sent.load(Ordering::Relaxed))
        .sum();
    let server_cpu = watch.server_cpu();
    let gen_cpu = watch.own_cpu();
    let other_cpu = watch.other_cpu();

    // Stop sending and let in-flight broadcasts drain before counting losses.
    sh.stop_sending.store(true, Ordering::Relaxed);
    let expected_total = || -> u64 {
        sh.tracks
            .iter()
            .map(|t| t.sent.load(Ordering::Acquire) * t.expected as u64)
            .sum()
    };
    // A slow server keeps draining its backlog: wait while deliveries still arrive (at most
    // 60 s); what has not arrived 2 s after the last delivery counts as lost.
    let drain_start = Instant::now();
    let drain_deadline = drain_start + Duration::from_secs(60);
    let (mut last_count, mut last_progress) = (sh.delivered(), Instant::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    loop {
        let now_count = sh.delivered();
        if now_count >= expected_total() || Instant::now() >= drain_deadline {
            break;
        }
        if now_count != last_count {
            (last_count, last_progress) = (now_count, Instant::now());
        } else if last_progress.elapsed() >= Duration::from_secs(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain_s = drain_start.elapsed().as_secs_f64();
    let peak_rss = watch.peak_rss_kb();
    let _ = stop_tx.send(true);
    let mut samples = Samples::default();
    for t in tasks {
        if let Ok(rx) = t.await {
            samples.merge(rx.samples);
        }
    }
    let delivered_total = sh.delivered();
    let expected = expected_total();
    let deliveries = d1 - d0;
    let dps = deliveries as f64 / secs;
    Ok(json!({
        "scenario": "fanout",
        "label": a.label,
        "clients": a.clients,
        "rooms": a.rooms,
        "senders": a.senders,
        "window": if a.rate > 0.0 { RATE_WINDOW } else { a.window },
        "target_rate": a.rate,
        "payload": a.payload,
        "setup_s": r3(setup_s),
        "measured_s": r3(secs),
        "broadcasts_per_s": r3((s1 - s0) as f64 / secs),
        "deliveries_per_s": dps.round(),
        "latency_us": samples.summary(),
        "sent": sh.tracks.iter().map(|t| t.sent.load(Ordering::Relaxed)).sum::<u64>(),
        "expected_deliveries": expected,
        "delivered": delivered_total,
        "lost": expected.saturating_sub(delivered_total),
        "drain_s": r3(drain_s),
        "out_of_order": sh.out_of_order.load(Ordering::Relaxed),
        "server_cpu_s": server_cpu.map(r3),
        "server_cpu_us_per_delivery": server_cpu.filter(|_| deliveries > 0).map(|c| r3(c * 1e6 / deliveries as f64)),
        "server_peak_rss_kb": peak_rss,
        "gen_cpu_s": r3(gen_cpu),
        "other_cpu_s": r3(other_cpu),
        "gen_threads": a.threads,
        "nodes": a.ports.len(),
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_msg;

    #[test]
    fn msg_fields_in_place_and_searched() {
        assert_eq!(
            parse_msg(br#"42["msg",{"t":12,"s":3,"q":45,"p":"xx"}]"#),
            Some((12, 3, 45))
        );
        assert_eq!(
            parse_msg(br#"42["msg",{"q":45,"s":3,"t":12}]"#),
            Some((12, 3, 45))
        );
        assert_eq!(parse_msg(br#"42["msg",{"t":12}]"#), None);
    }
}
