//! The server's counters for Prometheus and the hosts' snapshot calls (issue 14).
//!
//! Opt-in (`metrics` / `metrics_path`): with metrics off, every layer holds `None` and
//! counts nothing. On the hot path the counters are relaxed atomics, bumped once per
//! broadcast with the totals of its fan-out (never once per recipient), with no lock and
//! no allocation. Gauges (connected sockets, sessions by transport, rooms) are not kept at
//! all: they are read from the live structures when someone asks.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Disconnect reasons, as socket.io names them; the index of each is its counter's.
pub const DISCONNECT_REASONS: [&str; 11] = [
    "transport close",
    "transport error",
    "ping timeout",
    "parse error",
    "forced close",
    "server shutting down",
    "slow consumer",
    "inbound overflow",
    "client namespace disconnect",
    "server namespace disconnect",
    "forced server close",
];

/// Upper bounds (seconds) of the handshake latency histogram's buckets.
pub const HANDSHAKE_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A histogram of durations in fixed buckets (atomics; `sum` in microseconds).
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; HANDSHAKE_BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = HANDSHAKE_BUCKETS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_us
            .fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }

    /// Counts per bucket (not cumulative: those at or below `le` and above the previous
    /// bound), total count (also those above the last bound) and sum in seconds.
    pub(crate) fn read(&self) -> (Vec<(f64, u64)>, u64, f64) {
        let buckets = HANDSHAKE_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(le, n)| (*le, n.load(Relaxed)))
            .collect();
        let count = self.count.load(Relaxed);
        (buckets, count, self.sum_us.load(Relaxed) as f64 / 1e6)
    }
}

/// Every counter of one server. Shared by the engine, the namespaces and the host.
#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) connects: AtomicU64,
    pub(crate) disconnects: [AtomicU64; DISCONNECT_REASONS.len()],
    pub(crate) upgrades: AtomicU64,
    pub(crate) events_received: AtomicU64,
    pub(crate) packets_sent: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) broadcasts: AtomicU64,
    pub(crate) deliveries: AtomicU64,
    pub(crate) acks_pending: AtomicI64,
    pub(crate) acks_timed_out: AtomicU64,
    pub(crate) slow_consumer_disconnects: AtomicU64,
    pub(crate) volatile_drops: AtomicU64,
    pub(crate) handshake: Histogram,
}

impl Metrics {
    /// A socket joined a namespace.
    pub(crate) fn connected(&self) {
        self.connects.fetch_add(1, Relaxed);
    }

    /// A socket left a namespace for `reason` (one of [`DISCONNECT_REASONS`]).
    pub(crate) fn disconnected(&self, reason: &str) {
        if let Some(i) = DISCONNECT_REASONS.iter().position(|r| *r == reason) {
            self.disconnects[i].fetch_add(1, Relaxed);
        }
    }

    /// One Engine.IO message of `bytes` from a client (and whether it was an EVENT).
    pub(crate) fn received(&self, bytes: usize) {
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
    }

    /// One packet of `bytes` queued for one client (a direct send, not a broadcast).
    pub(crate) fn sent(&self, bytes: usize) {
        self.packets_sent.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    /// One broadcast (an emit through the adapter) queued for `delivered` clients,
    /// `bytes` each; `dropped` volatile copies were not sent.
    pub(crate) fn broadcast(&self, delivered: usize, bytes: usize, dropped: usize) {
        self.broadcasts.fetch_add(1, Relaxed);
        if delivered > 0 {
            self.deliveries.fetch_add(delivered as u64, Relaxed);
            self.packets_sent.fetch_add(delivered as u64, Relaxed);
            self.bytes_out
                .fetch_add((delivered * bytes) as u64, Relaxed);
        }
        if dropped > 0 {
            self.volatile_drops.fetch_add(dropped as u64, Relaxed);
        }
    }

    /// Reads one counter.
    pub(crate) fn get(c: &AtomicU64) -> u64 {
        c.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let (b, count, sum) = h.read();
        assert_eq!(count, 3);
        assert_eq!(b[0], (0.0005, 1));
        assert_eq!(b[3], (0.005, 1));
        let counted: u64 = b.iter().map(|x| x.1).sum();
        assert_eq!(
            counted, 2,
            "10 s is above every bucket (only in the count, +Inf)"
        );
        assert!((sum - 10.0033).abs() < 1e-6, "{sum}");
    }

    #[test]
    fn reasons_are_counted_by_name() {
        let m = Metrics::default();
        m.disconnected("ping timeout");
        m.disconnected("ping timeout");
        m.disconnected("not a reason");
        assert_eq!(Metrics::get(&m.disconnects[2]), 2);
        m.broadcast(3, 10, 1);
        assert_eq!(Metrics::get(&m.deliveries), 3);
        assert_eq!(Metrics::get(&m.bytes_out), 30);
        assert_eq!(Metrics::get(&m.volatile_drops), 1);
    }
}
