//! Acknowledgement requests held for hosts that cannot keep an [`AckHandle`] or a
//! [`ServerAck`] (C, JavaScript): each gets a number, its token, that the host answers with.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{AckHandle, Error, Event, Payload, Server, ServerAck};

/// What a token answers.
#[derive(Debug)]
pub enum PendingAck {
    /// A client's ack request (from [`Event::Message`]).
    Client(AckHandle),
    /// Another cluster node's server-side emit (from [`Event::ServerSideEmit`]).
    Server(ServerAck),
}

impl Server {
    /// Answers what a token stood for, exactly once.
    pub fn answer(&self, pending: PendingAck, args: &Payload) -> Result<(), Error> {
        match pending {
            PendingAck::Client(h) => self.ack(h, args),
            PendingAck::Server(h) => self.server_side_ack(h, args),
        }
    }
}

/// Outstanding ack requests by token. Tokens start at 1 and are never reused, so a token
/// already answered (or of a socket that left) is detected.
#[derive(Default)]
pub struct AckTokens {
    next: AtomicU64,
    pending: Mutex<HashMap<u64, PendingAck>>,
}

impl AckTokens {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `handle` and returns its token.
    pub fn insert(&self, handle: PendingAck) -> u64 {
        let token = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.pending.lock().insert(token, handle);
        token
    }

    /// Takes the handle of `token` out (exactly once).
    pub fn take(&self, token: u64) -> Option<PendingAck> {
        self.pending.lock().remove(&token)
    }

    /// Bookkeeping for one event on its way to the host: the ack request of a `Message`
    /// or a `ServerSideEmit` is moved into the table (its token returned), and a
    /// `Disconnect` forgets the socket's requests (they can no longer be answered).
    pub fn track(&self, event: &mut Event) -> Option<u64> {
        match event {
            Event::Message { ack, .. } => ack.take().map(|h| self.insert(PendingAck::Client(h))),
            Event::ServerSideEmit { ack, .. } => {
                ack.take().map(|h| self.insert(PendingAck::Server(h)))
            }
            Event::Disconnect { nsp, sid, .. } => {
                self.pending.lock().retain(|_, p| match p {
                    PendingAck::Client(h) => !(h.nsp() == &**nsp && h.sid() == *sid),
                    PendingAck::Server(_) => true,
                });
                None
            }
            _ => None,
        }
    }

    /// Number of requests waiting.
    pub fn len(&self) -> usize {
        self.pending.lock().len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::DisconnectReason;
    use crate::{Payload, Sid};
    use std::sync::Arc;

    fn message(nsp: &str, sid: Sid, id: u64) -> Event {
        Event::Message {
            nsp: Arc::from(nsp),
            sid,
            event: "e".into(),
            args: Payload::empty(),
            ack: Some(AckHandle {
                nsp: Arc::from(nsp),
                sid,
                id,
            }),
        }
    }

    #[test]
    fn tokens_are_taken_once_and_forgotten_on_disconnect() {
        let t = AckTokens::new();
        let (a, b) = (Sid::new(), Sid::new());
        let mut ev = message("/", a, 7);
        let ta = t.track(&mut ev).unwrap();
        assert!(matches!(ev, Event::Message { ack: None, .. }));
        let tb = t.track(&mut message("/", b, 8)).unwrap();
        assert_ne!(ta, tb);
        assert!(matches!(t.take(ta), Some(PendingAck::Client(h)) if h.id() == 7));
        assert!(t.take(ta).is_none());
        t.track(&mut Event::Disconnect {
            nsp: Arc::from("/"),
            sid: b,
            reason: DisconnectReason::ServerNamespaceDisconnect,
        });
        assert!(t.take(tb).is_none());
        assert!(t.is_empty());
    }
}
