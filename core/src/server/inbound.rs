//! Backpressure from the host to the network. Every message event waiting in the host's
//! event stream holds a [`Credit`] against its connection's budget and the server's, in
//! count and bytes, given back when the host takes the event. While either budget is
//! full the engine does not read that connection any further (see `Handler::ready`), so
//! TCP pushes back on the client; a connection that still runs far past its budget (many
//! packets in one polling POST) is dropped ("inbound overflow").
//!
//! Fairness: a connection can have at most its own budget waiting, so one flooding client
//! delays another's events by at most that much; when the server-wide budget frees up,
//! every waiting connection is woken and may read one more message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Events not yet taken by the host, in count and bytes, against a limit.
pub(crate) struct Budget {
    count: AtomicUsize,
    bytes: AtomicUsize,
    max_count: usize,
    max_bytes: usize,
    /// Wakes readers waiting for room (on the transition from full to not full).
    resume: Notify,
}

impl Budget {
    pub(crate) fn new(max_count: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            count: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            max_count,
            max_bytes,
            resume: Notify::new(),
        })
    }

    pub(crate) fn has_room(&self) -> bool {
        self.count.load(Ordering::Acquire) < self.max_count
            && self.bytes.load(Ordering::Acquire) < self.max_bytes
    }

    /// Whether the budget holds more than `factor` times its limit in count, or more than
    /// twice its bytes limit plus `slack` (the hard limit).
    pub(crate) fn over_hard_limit(&self, factor: usize, slack: usize) -> bool {
        self.count.load(Ordering::Acquire) > self.max_count.saturating_mul(factor)
            || self.bytes.load(Ordering::Acquire)
                > self.max_bytes.saturating_mul(2).saturating_add(slack)
    }

    fn take(&self, bytes: usize) {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.bytes.fetch_add(bytes, Ordering::AcqRel);
    }

    fn give(&self, bytes: usize) {
        let count = self.count.fetch_sub(1, Ordering::AcqRel);
        let total = self.bytes.fetch_sub(bytes, Ordering::AcqRel);
        let count_freed = count >= self.max_count && count - 1 < self.max_count;
        let bytes_freed = total >= self.max_bytes && total - bytes < self.max_bytes;
        if count_freed || bytes_freed {
            self.resume.notify_waiters();
        }
    }

    /// Completes once both budgets have room.
    pub(crate) async fn wait_for_room(conn: Arc<Budget>, server: Arc<Budget>) {
        loop {
            let a = conn.resume.notified();
            let b = server.resume.notified();
            tokio::pin!(a, b);
            a.as_mut().enable();
            b.as_mut().enable();
            if conn.has_room() && server.has_room() {
                return;
            }
            tokio::select! {
                _ = a => {}
                _ = b => {}
            }
        }
    }
}

/// One event's share of its connection's and the server's budgets, given back on drop.
pub(crate) struct Credit {
    conn: Arc<Budget>,
    server: Arc<Budget>,
    bytes: usize,
}

impl Credit {
    pub(crate) fn take(conn: &Arc<Budget>, server: &Arc<Budget>, bytes: usize) -> Self {
        conn.take(bytes);
        server.take(bytes);
        Self {
            conn: conn.clone(),
            server: server.clone(),
            bytes,
        }
    }
}

impl Drop for Credit {
    fn drop(&mut self) {
        self.conn.give(self.bytes);
        self.server.give(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_budget_holds_the_reader_until_the_host_takes_an_event() {
        let conn = Budget::new(2, 1 << 20);
        let server = Budget::new(100, 1 << 20);
        let a = Credit::take(&conn, &server, 10);
        let b = Credit::take(&conn, &server, 10);
        assert!(!conn.has_room());
        let waiter = tokio::spawn(Budget::wait_for_room(conn.clone(), server.clone()));
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(a);
        waiter.await.unwrap();
        drop(b);
        assert!(conn.has_room() && server.has_room());
    }
}
