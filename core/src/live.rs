//! Counting live connections so [`crate::host::Server::stop`] can wait until every one has
//! been flushed and closed, without knowing who else holds a handle.

use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::Instant;

/// Counts live HTTP connections and WebSocket tasks; cheap to clone (shared count).
#[derive(Clone, Default)]
pub(crate) struct Tracker {
    inner: Arc<(Mutex<usize>, Condvar)>,
}

/// Held by one live connection; dropping it counts the connection as gone.
pub(crate) struct Live {
    inner: Arc<(Mutex<usize>, Condvar)>,
}

impl Tracker {
    /// Counts one more live connection until the returned guard drops.
    pub(crate) fn enter(&self) -> Live {
        *self.inner.0.lock() += 1;
        Live {
            inner: self.inner.clone(),
        }
    }

    /// Waits until no connection is live or `deadline` passes; says whether all are gone.
    pub(crate) fn wait_idle(&self, deadline: Instant) -> bool {
        let (count, idle) = &*self.inner;
        let mut n = count.lock();
        while *n > 0 {
            if idle.wait_until(&mut n, deadline).timed_out() {
                return *n == 0;
            }
        }
        true
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let (count, idle) = &*self.inner;
        let mut n = count.lock();
        *n -= 1;
        if *n == 0 {
            idle.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn waits_for_the_last_connection() {
        let t = Tracker::default();
        assert!(t.wait_idle(Instant::now()));
        let a = t.enter();
        let b = t.enter();
        assert!(!t.wait_idle(Instant::now() + Duration::from_millis(10)));
        drop(a);
        let waiter = {
            let t = t.clone();
            std::thread::spawn(move || t.wait_idle(Instant::now() + Duration::from_secs(30)))
        };
        drop(b);
        assert!(waiter.join().unwrap());
    }
}
