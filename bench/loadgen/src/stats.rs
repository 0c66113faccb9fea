//! Latency samples and their percentiles.

use serde_json::{json, Value};

/// Latency samples in microseconds, kept per task and merged at the end.
#[derive(Default)]
pub struct Samples {
    v: Vec<u32>,
}

/// Most samples one task keeps (bounds memory on long runs; later ones are dropped).
const MAX_PER_TASK: usize = 2_000_000;

impl Samples {
    /// Records one latency.
    #[inline]
    pub fn push(&mut self, us: u64) {
        if self.v.len() < MAX_PER_TASK {
            self.v.push(us.min(u32::MAX as u64) as u32);
        }
    }

    /// Appends another task's samples.
    pub fn merge(&mut self, other: Samples) {
        self.v.extend_from_slice(&other.v);
    }

    /// `{"p50":…,"p99":…,"max":…,"n":…}` in microseconds (nulls when empty).
    pub fn summary(mut self) -> Value {
        if self.v.is_empty() {
            return json!({"p50": null, "p99": null, "max": null, "n": 0});
        }
        self.v.sort_unstable();
        let at = |q: f64| self.v[((self.v.len() - 1) as f64 * q).round() as usize];
        json!({"p50": at(0.50), "p99": at(0.99), "max": self.v[self.v.len() - 1], "n": self.v.len()})
    }
}

/// Rounds to 3 decimals for the JSON line.
pub fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
