//! Engine.IO handshakes per second, overall and per IP address
//! (`Config::handshakes_per_sec`, `handshakes_per_sec_per_ip`; 0 = no limit), counted in
//! one-second windows.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

pub(crate) struct HandshakeRate {
    per_sec: u32,
    per_ip: u32,
    start: Instant,
    window: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    second: u64,
    total: u32,
    per_ip: HashMap<IpAddr, u32>,
}

impl HandshakeRate {
    pub(crate) fn new(per_sec: u32, per_ip: u32) -> Self {
        Self {
            per_sec,
            per_ip,
            start: Instant::now(),
            window: Mutex::new(Window::default()),
        }
    }

    /// Whether one more handshake from `ip` is allowed now (and counts it if so).
    pub(crate) fn allow(&self, ip: IpAddr) -> bool {
        if self.per_sec == 0 && self.per_ip == 0 {
            return true;
        }
        self.allow_at(ip, self.start.elapsed().as_secs())
    }

    fn allow_at(&self, ip: IpAddr, second: u64) -> bool {
        let mut w = self.window.lock();
        if w.second != second {
            // A new window; the per-IP map never holds more than one second's clients.
            w.second = second;
            w.total = 0;
            w.per_ip.clear();
        }
        if self.per_sec > 0 && w.total >= self.per_sec {
            return false;
        }
        if self.per_ip > 0 {
            let n = w.per_ip.entry(ip).or_insert(0);
            if *n >= self.per_ip {
                return false;
            }
            *n += 1;
        }
        w.total += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_and_overall() {
        let r = HandshakeRate::new(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(r.allow_at(a, 0) && r.allow_at(a, 0));
        assert!(!r.allow_at(a, 0), "per IP");
        assert!(r.allow_at(b, 0));
        assert!(!r.allow_at(b, 0), "overall");
        assert!(r.allow_at(a, 1), "a new second");
        assert!(HandshakeRate::new(0, 0).allow(a));
    }
}
