//! Connection state recovery across a Redis Streams cluster (the streams adapter).
//!
//! Offsets are stream entry ids (`<ms>-<seq>`), the same on every node, so a client can
//! come back on any node. The Redis stream is the replay buffer; this log only remembers
//! what this node delivered last (`last`) and the latest entries (a short ring), so that a
//! restore lines up exactly with the reader running beside it:
//!
//! 1. the adapter takes the session and reads the entries after the client's offset up to
//!    `upto` (no lock held over that I/O);
//! 2. under this log's lock (which the reader also holds while it fans an entry out) the
//!    socket gets the read entries up to `last`, then the ring's entries after `upto` up to
//!    `last`, and joins its rooms; the reader delivers everything after `last` to it.
//!
//! So a recovered socket gets each missed broadcast once, in stream order.

use parking_lot::{Mutex, MutexGuard};
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::adapter::{BroadcastOptions, Room};
use crate::protocol::Encoded;

/// A stream entry id, ordered as Redis orders them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StreamId(u64, u64);

impl StreamId {
    /// Parses `<ms>-<seq>`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('-')?;
        Some(Self(a.parse().ok()?, b.parse().ok()?))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

struct Entry {
    id: StreamId,
    at: Instant,
    rooms: Vec<Room>,
    except: Vec<Room>,
    packet: Encoded,
}

/// Whether a broadcast to `rooms` except `except` reaches a socket in `mine` (socket.io's
/// `shouldIncludePacket`).
pub(crate) fn selects(rooms: &[Room], except: &[Room], mine: &[Room]) -> bool {
    (rooms.is_empty() || mine.iter().any(|r| rooms.contains(r)))
        && !mine.iter().any(|r| except.contains(r))
}

/// The ring only has to cover the moments between a restore's read and its lock.
const RING: usize = 4096;
const RING_AGE: Duration = Duration::from_secs(30);

/// What one namespace delivered from the stream.
#[derive(Default)]
pub(crate) struct Log {
    last: Option<StreamId>,
    ring: VecDeque<Entry>,
}

/// The log of one namespace (see the module doc).
#[derive(Default)]
pub(crate) struct StreamLog {
    inner: Mutex<Log>,
}

impl StreamLog {
    /// Locks the log; hold the guard across the fan-out of an entry.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Log> {
        self.inner.lock()
    }
}

impl Log {
    /// Records a delivered entry (stored ones, with their encoded packet, in the ring).
    pub(crate) fn delivered(
        &mut self,
        id: StreamId,
        stored: Option<(&BroadcastOptions, &Encoded)>,
    ) {
        if self.last.is_some_and(|l| l >= id) {
            return;
        }
        self.last = Some(id);
        if let Some((opts, packet)) = stored {
            self.ring.push_back(Entry {
                id,
                at: Instant::now(),
                rooms: opts.rooms.clone(),
                except: opts.except.clone(),
                packet: packet.clone(),
            });
            while self.ring.len() > RING
                || self.ring.front().is_some_and(|e| e.at.elapsed() > RING_AGE)
            {
                self.ring.pop_front();
            }
        }
    }

    /// Whether `id` was delivered already (the reader never goes back; a duplicate entry
    /// id cannot happen, but an entry older than one delivered is not delivered again).
    pub(crate) fn seen(&self, id: StreamId) -> bool {
        self.last.is_some_and(|l| l >= id)
    }

    /// The last entry delivered.
    pub(crate) fn last(&self) -> Option<StreamId> {
        self.last
    }

    /// Entries of the ring after `after`, up to `last`, that a socket in `mine` gets.
    pub(crate) fn ring_after(&self, after: StreamId, mine: &[Room]) -> Vec<Encoded> {
        self.ring
            .iter()
            .filter(|e| e.id > after && selects(&e.rooms, &e.except, mine))
            .map(|e| e.packet.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_event_at, Payload};

    #[test]
    fn ids_order_numerically() {
        let a = StreamId::parse("99-5").unwrap();
        let b = StreamId::parse("100-0").unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "100-0");
        assert!(StreamId::parse("1").is_none());
        assert!(StreamId::parse("x-1").is_none());
    }

    #[test]
    fn the_ring_replays_after_an_id_for_the_socket_rooms() {
        let mut log = Log::default();
        let p = |n: &str| encode_event_at("/", n, &Payload::empty(), None, None);
        let all = BroadcastOptions::all();
        let red = BroadcastOptions::all().to("red");
        log.delivered(StreamId(1, 0), Some((&all, &p("a"))));
        log.delivered(StreamId(2, 0), Some((&red, &p("b"))));
        log.delivered(StreamId(2, 1), None);
        log.delivered(StreamId(1, 5), Some((&all, &p("old"))));
        assert_eq!(log.last(), Some(StreamId(2, 1)));
        assert!(log.seen(StreamId(1, 5)));
        let got = log.ring_after(StreamId(1, 0), &[Room::from("blue")]);
        assert!(got.is_empty());
        let got = log.ring_after(StreamId(0, 0), &[Room::from("red")]);
        assert_eq!(got.len(), 2);
    }
}
