//! Live TCP connections counted overall and per IP address against the limits
//! (`Config::max_connections`, `max_connections_per_ip`). A connection holds a
//! [`ConnSlot`] for as long as it lives, including as a WebSocket after the upgrade.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The counts and their limits (0 = no limit).
pub(crate) struct ConnCount {
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max: usize,
    max_per_ip: usize,
}

/// One connection's place in the count, given back when the last holder drops it.
pub(crate) struct ConnSlot {
    count: Arc<ConnCount>,
    ip: IpAddr,
}

impl ConnCount {
    pub(crate) fn new(max: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            total: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
            max,
            max_per_ip,
        })
    }

    /// A slot for a new connection from `ip`, or `None` when a limit is reached.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnSlot> {
        let before = self.total.fetch_add(1, Ordering::AcqRel);
        if self.max > 0 && before >= self.max {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        if self.max_per_ip > 0 {
            let mut map = self.per_ip.lock();
            let n = map.entry(ip).or_insert(0);
            if *n >= self.max_per_ip {
                drop(map);
                self.total.fetch_sub(1, Ordering::AcqRel);
                return None;
            }
            *n += 1;
        }
        Some(ConnSlot {
            count: self.clone(),
            ip,
        })
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let c = &self.count;
        c.total.fetch_sub(1, Ordering::AcqRel);
        if c.max_per_ip > 0 {
            let mut map = c.per_ip.lock();
            if let Some(n) = map.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&self.ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_overall_and_per_ip() {
        let c = ConnCount::new(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = c.admit(a).unwrap();
        let _a2 = c.admit(a).unwrap();
        assert!(c.admit(a).is_none(), "per-IP limit");
        let _b1 = c.admit(b).unwrap();
        assert!(c.admit(b).is_none(), "overall limit");
        drop(a1);
        assert!(c.admit(a).is_some(), "a freed slot is reusable");
    }
}
