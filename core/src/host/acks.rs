//! Client acknowledgement requests held for hosts that cannot keep an [`AckHandle`] (C,
//! JavaScript): each gets a number, its token, that the host answers with.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{AckHandle, Event};

/// Outstanding client ack requests by token. Tokens start at 1 and are never reused, so a
/// token already answered (or of a socket that left) is detected.
#[derive(Default)]
pub struct AckTokens {
    next: AtomicU64,
    pending: Mutex<HashMap<u64, AckHandle>>,
}

impl AckTokens {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `handle` and returns its token.
    pub fn insert(&self, handle: AckHandle) -> u64 {
        let token = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.pending.lock().insert(token, handle);
        token
    }

    /// Takes the handle of `token` out (exactly once).
    pub fn take(&self, token: u64) -> Option<AckHandle> {
        self.pending.lock().remove(&token)
    }

    /// Bookkeeping for one event on its way to the host: a `Message`'s ack request is
    /// moved into the table (its token returned), and a `Disconnect` forgets the socket's
    /// requests (they can no longer be answered).
    pub fn track(&self, event: &mut Event) -> Option<u64> {
        match event {
            Event::Message { ack, .. } => ack.take().map(|h| self.insert(h)),
            Event::Disconnect { nsp, sid, .. } => {
                self.pending
                    .lock()
                    .retain(|_, h| !(h.nsp() == &**nsp && h.sid() == *sid));
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
        assert_eq!(t.take(ta).unwrap().id(), 7);
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
