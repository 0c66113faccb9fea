//! Connection state recovery on one node, as socket.io's `SessionAwareAdapter` does it.
//!
//! Each namespace keeps a replay buffer of the EVENT packets it sent (not acked, not
//! volatile), each with its target rooms/except and an offset that travels as the packet's
//! last argument. When a socket loses its transport for a recoverable reason, its session
//! (`sid`, private `pid`, rooms, data) is saved. A CONNECT whose auth holds that `pid` and a
//! buffered `offset` restores the socket and replays the packets after the offset that
//! its rooms would have received.
//!
//! Bounds: packets older than `max_disconnection_duration` and beyond `max_packets` are
//! dropped (the oldest first), sessions expire after the same duration. Offsets are the
//! decimal text of a per-namespace counter, so finding one is a subtraction, not a search.
//!
//! Ordering: the buffer's mutex is held while a stored packet is fanned out and while a
//! restored socket is put back, so every socket sees stored packets in offset order and a
//! restore cannot miss or repeat a broadcast running beside it.

use parking_lot::{Mutex, MutexGuard};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::stream_log::StreamId;
use crate::adapter::cluster::{FoundSession, LoggedBroadcast};
use crate::adapter::{BroadcastOptions, Room};
use crate::config::RecoveryConfig;
use crate::engine::CloseReason;
use crate::protocol::Encoded;
use crate::sid::{Sid, SidMap};

use super::DisconnectReason;

/// One stored packet.
struct Stored {
    offset: u64,
    at: Instant,
    rooms: Vec<Room>,
    except: Vec<Room>,
    packet: Encoded,
}

/// The state of a socket that lost its transport, kept for `max_disconnection_duration`.
struct Saved {
    sid: Sid,
    rooms: Vec<Room>,
    data: Option<Arc<str>>,
    at: Instant,
}

/// A session taken out of the store for a reconnecting client: what it gets back.
#[derive(Debug)]
pub(crate) struct Restored {
    pub sid: Sid,
    pub pid: Sid,
    pub rooms: Vec<Room>,
    pub data: Option<Arc<str>>,
    /// Where the client stopped: everything after it that matches `rooms` is replayed.
    pub after: After,
}

/// Where a recovering client stopped, and where its missed packets come from.
#[derive(Debug)]
pub(crate) enum After {
    /// An offset of this node's replay buffer.
    Local(u64),
    /// A stream entry id (streams cluster), with the entries the adapter read after it.
    Stream {
        offset: StreamId,
        upto: StreamId,
        missed: Vec<LoggedBroadcast>,
    },
}

impl Restored {
    /// A session the streams adapter found for `pid` at `offset`.
    pub(crate) fn from_found(f: FoundSession, pid: &str, offset: &str) -> Option<Self> {
        let data = match f.session.data {
            serde_json::Value::Null => None,
            d => Some(Arc::from(d.to_string())),
        };
        Some(Self {
            sid: Sid::parse(&f.session.sid)?,
            pid: Sid::parse(pid)?,
            rooms: f
                .session
                .rooms
                .iter()
                .map(|r| Room::from(r.as_str()))
                .collect(),
            data,
            after: After::Stream {
                offset: StreamId::parse(offset)?,
                upto: StreamId::parse(&f.upto)?,
                missed: f.missed,
            },
        })
    }
}

#[derive(Default)]
pub(crate) struct Buffer {
    next: u64,
    packets: VecDeque<Stored>,
    sessions: HashMap<Sid, Saved>,
    /// sid → pid of saved sessions, so a host can update a session's data by socket id.
    pids: SidMap<Sid>,
}

/// The replay buffer and saved sessions of one namespace.
pub(crate) struct Recovery {
    pub(crate) cfg: RecoveryConfig,
    buf: Mutex<Buffer>,
}

/// Whether a socket that left for `reason` may be recovered (socket.io's list: the
/// transport went away or the server closed it, a malformed or out-of-order Socket.IO
/// packet included; not a namespace disconnect by either side, nor a broken Engine.IO
/// payload or a slow consumer).
pub(crate) fn recoverable(reason: DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::Transport(
            CloseReason::TransportClose
                | CloseReason::TransportError
                | CloseReason::PingTimeout
                | CloseReason::ForcedClose
                | CloseReason::ForcedServerClose
                | CloseReason::ServerShuttingDown
        )
    )
}

/// `pid` and a stream-id `offset` from a CONNECT auth object (streams cluster).
pub(crate) fn stream_ids_from_auth(auth: Option<&str>) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(auth?).ok()?;
    let pid = v.get("pid")?.as_str()?;
    let offset = v.get("offset")?.as_str()?;
    Sid::parse(pid)?;
    StreamId::parse(offset)?;
    Some((pid.to_owned(), offset.to_owned()))
}

/// `pid` and `offset` from a CONNECT auth object, when both are strings.
fn ids_from_auth(auth: &str) -> Option<(Sid, u64)> {
    #[derive(serde::Deserialize)]
    struct Ids<'a> {
        #[serde(borrow)]
        pid: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow)]
        offset: Option<&'a serde_json::value::RawValue>,
    }
    let ids: Ids<'_> = serde_json::from_str(auth).ok()?;
    let pid: String = serde_json::from_str(ids.pid?.get()).ok()?;
    let offset: String = serde_json::from_str(ids.offset?.get()).ok()?;
    Some((Sid::parse(&pid)?, offset.parse().ok()?))
}

impl Recovery {
    pub(crate) fn new(cfg: RecoveryConfig) -> Self {
        Self {
            cfg,
            buf: Mutex::new(Buffer {
                next: 1,
                ..Buffer::default()
            }),
        }
    }

    /// Locks the buffer; hold the guard across the fan-out of a stored packet.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.buf.lock()
    }

    /// Keeps the session of a socket that left for a recoverable reason.
    pub(crate) fn save(&self, sid: Sid, pid: Sid, rooms: Vec<Room>, data: Option<Arc<str>>) {
        let mut b = self.buf.lock();
        b.pids.insert(sid, pid);
        b.sessions.insert(
            pid,
            Saved {
                sid,
                rooms,
                data,
                at: Instant::now(),
            },
        );
    }

    /// Replaces the data of a saved session; false when `sid` has none.
    pub(crate) fn set_saved_data(&self, sid: Sid, data: Arc<str>) -> bool {
        let mut b = self.buf.lock();
        let Some(pid) = b.pids.get(&sid).copied() else {
            return false;
        };
        match b.sessions.get_mut(&pid) {
            Some(s) => {
                s.data = Some(data);
                true
            }
            None => false,
        }
    }

    /// Takes the session named by a CONNECT's auth (`{pid, offset}`) when it has not expired
    /// and its offset is still buffered. A session is restored at most once.
    pub(crate) fn claim(&self, auth: Option<&str>) -> Option<Restored> {
        let (pid, after) = ids_from_auth(auth?)?;
        let window = self.cfg.max_disconnection_duration;
        let mut b = self.buf.lock();
        let saved = b.sessions.remove(&pid)?;
        b.pids.remove(&saved.sid);
        if saved.at.elapsed() > window || !b.has_offset(after) {
            return None;
        }
        Some(Restored {
            sid: saved.sid,
            pid,
            rooms: saved.rooms,
            data: saved.data,
            after: After::Local(after),
        })
    }

    /// Drops expired sessions and packets (run periodically; pushes also trim packets).
    pub(crate) fn sweep(&self) {
        let window = self.cfg.max_disconnection_duration;
        let mut b = self.buf.lock();
        b.trim(window, self.cfg.max_packets);
        let Buffer { sessions, pids, .. } = &mut *b;
        sessions.retain(|_, s| {
            let keep = s.at.elapsed() <= window;
            if !keep {
                pids.remove(&s.sid);
            }
            keep
        });
    }
}

impl Buffer {
    /// The offset the next stored packet gets.
    pub(crate) fn next_offset(&self) -> u64 {
        self.next
    }

    /// Stores a packet encoded with [`Buffer::next_offset`], trimming to the bounds.
    pub(crate) fn push(&mut self, opts: &BroadcastOptions, packet: &Encoded, cfg: &RecoveryConfig) {
        let offset = self.next;
        self.next += 1;
        self.packets.push_back(Stored {
            offset,
            at: Instant::now(),
            rooms: opts.rooms.clone(),
            except: opts.except.clone(),
            packet: packet.clone(),
        });
        self.trim(cfg.max_disconnection_duration, cfg.max_packets);
    }

    fn trim(&mut self, window: Duration, max: usize) {
        while self.packets.len() > max {
            self.packets.pop_front();
        }
        while self
            .packets
            .front()
            .is_some_and(|p| p.at.elapsed() > window)
        {
            self.packets.pop_front();
        }
    }

    /// Whether `offset` is in the buffer (the client's position is still known).
    fn has_offset(&self, offset: u64) -> bool {
        self.index_of(offset).is_some()
    }

    fn index_of(&self, offset: u64) -> Option<usize> {
        let first = self.packets.front()?.offset;
        let i = usize::try_from(offset.checked_sub(first)?).ok()?;
        (i < self.packets.len()).then_some(i)
    }

    /// The stored packets after `after` that a socket in `rooms` would have received,
    /// in order. Packets already dropped from the front are lost (the buffer's bound).
    pub(crate) fn missed(&self, after: u64, rooms: &[Room]) -> Vec<Encoded> {
        let start = match self.index_of(after) {
            Some(i) => i + 1,
            None if self.packets.front().is_some_and(|p| p.offset > after) => 0,
            None => return Vec::new(),
        };
        self.packets
            .range(start..)
            .filter(|p| {
                (p.rooms.is_empty() || rooms.iter().any(|r| p.rooms.contains(r)))
                    && !rooms.iter().any(|r| p.except.contains(r))
            })
            .map(|p| p.packet.clone())
            .collect()
    }

    /// Number of packets kept (for tests and the benchmark).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.packets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_event_at, Payload};

    fn cfg(max_packets: usize, window_ms: u64) -> RecoveryConfig {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(window_ms),
            skip_middlewares: true,
            max_packets,
        }
    }

    fn store(r: &Recovery, opts: &BroadcastOptions, name: &str) -> u64 {
        let mut b = r.lock();
        let off = b.next_offset();
        let p = encode_event_at("/", name, &Payload::empty(), None, Some(&off.to_string()));
        b.push(opts, &p, &r.cfg);
        off
    }

    fn names(packets: &[Encoded]) -> Vec<String> {
        packets
            .iter()
            .map(|p| String::from_utf8_lossy(p.text().unwrap().as_bytes()).into_owned())
            .collect()
    }

    fn auth(pid: Sid, offset: u64) -> String {
        format!("{{\"token\":1,\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}")
    }

    #[test]
    fn replays_what_the_rooms_would_have_received_in_order() {
        let r = Recovery::new(cfg(100, 60_000));
        let (sid, pid) = (Sid::new(), Sid::new());
        let first = store(&r, &BroadcastOptions::all(), "a");
        store(&r, &BroadcastOptions::all().to("red"), "b");
        store(&r, &BroadcastOptions::all().to("blue"), "c");
        store(&r, &BroadcastOptions::all().except("red"), "d");
        store(&r, &BroadcastOptions::socket(sid.as_str()), "e");
        store(&r, &BroadcastOptions::all(), "f");
        let rooms: Vec<Room> = vec![Room::from(sid.as_str()), Room::from("red")];
        r.save(sid, pid, rooms, Some(Arc::from("{\"n\":1}")));
        let got = r.claim(Some(&auth(pid, first))).expect("restored");
        assert_eq!((got.sid, got.pid), (sid, pid));
        assert_eq!(got.data.as_deref(), Some("{\"n\":1}"));
        let After::Local(after) = got.after else {
            panic!("a local offset")
        };
        let missed = r.lock().missed(after, &got.rooms);
        assert_eq!(
            names(&missed),
            ["42[\"b\",\"2\"]", "42[\"e\",\"5\"]", "42[\"f\",\"6\"]"]
        );
        assert!(
            r.claim(Some(&auth(pid, first))).is_none(),
            "a session is restored once"
        );
    }

    #[test]
    fn refuses_unknown_pid_lost_offset_and_bad_auth() {
        let r = Recovery::new(cfg(2, 60_000));
        let (sid, pid) = (Sid::new(), Sid::new());
        let first = store(&r, &BroadcastOptions::all(), "a");
        store(&r, &BroadcastOptions::all(), "b");
        store(&r, &BroadcastOptions::all(), "c");
        assert_eq!(r.lock().len(), 2, "the packet cap holds");
        r.save(sid, pid, vec![], None);
        assert!(r.claim(Some(&auth(Sid::new(), first + 1))).is_none());
        for bad in [
            "{}".to_string(),
            format!("{{\"pid\":\"{pid}\",\"offset\":2}}"),
            format!("{{\"pid\":\"{pid}\"}}"),
            "[1]".to_string(),
        ] {
            assert!(r.claim(Some(&bad)).is_none(), "{bad}");
        }
        assert!(r.claim(None).is_none());
        // The first offset was dropped by the cap: the client's position is unknown.
        assert!(r.claim(Some(&auth(pid, first))).is_none());
        r.save(sid, pid, vec![], None);
        assert!(r.claim(Some(&auth(pid, first + 2))).is_some());
    }

    #[test]
    fn sessions_and_packets_expire_after_the_window() {
        let r = Recovery::new(cfg(100, 30));
        let (sid, pid) = (Sid::new(), Sid::new());
        let off = store(&r, &BroadcastOptions::all(), "a");
        r.save(sid, pid, vec![], None);
        std::thread::sleep(Duration::from_millis(60));
        r.sweep();
        assert_eq!(r.lock().len(), 0);
        assert!(!r.set_saved_data(sid, Arc::from("1")));
        assert!(r.claim(Some(&auth(pid, off))).is_none());
    }

    #[test]
    fn only_socket_io_reasons_are_recoverable() {
        use DisconnectReason::*;
        assert!(recoverable(Transport(CloseReason::TransportClose)));
        assert!(recoverable(Transport(CloseReason::PingTimeout)));
        assert!(recoverable(Transport(CloseReason::ServerShuttingDown)));
        assert!(!recoverable(ClientNamespaceDisconnect));
        assert!(!recoverable(ServerNamespaceDisconnect));
        assert!(!recoverable(Transport(CloseReason::ParseError)));
    }
}
