//! Rooms and broadcast fan-out. [`Adapter`] is the seam for multi-node setups: the
//! in-memory [`LocalAdapter`] serves one process; a remote adapter (Redis) can wrap it and
//! forward the same plain-data [`BroadcastOptions`] to other nodes.

pub mod cluster;
pub mod redis;

use crate::sid::{Sid, SidMap, SidSet};
use parking_lot::RwLock;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A room name. Every socket is also in the room named by its own id.
pub type Room = Arc<str>;

/// Who receives a broadcast: plain data, so it can cross to another node unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// Target rooms (union); empty means every socket of the namespace.
    pub rooms: Vec<Room>,
    /// Sockets in any of these rooms are skipped (a socket id works as a room).
    pub except: Vec<Room>,
    /// Drop the packet for sockets that cannot take it right now.
    pub volatile: bool,
    /// Deliver on this node only: a remote adapter does not forward the broadcast (no
    /// effect with the in-memory adapter; socket.io's `local` flag).
    pub local: bool,
    /// socket.io's `compress` flag: `Some(false)` (`compress(false)`) sends the packet
    /// uncompressed even to clients that negotiated permessage-deflate; unset or true
    /// compresses it for them when it is at least the threshold long.
    pub compress: Option<bool>,
}

impl BroadcastOptions {
    /// Every socket of the namespace.
    pub fn all() -> Self {
        Self::default()
    }
    /// Exactly one socket.
    pub fn socket(sid: &str) -> Self {
        Self::default().to(sid)
    }
    /// Adds a target room.
    pub fn to(mut self, room: &str) -> Self {
        self.rooms.push(Arc::from(room));
        self
    }
    /// Adds a room (or socket id) to skip.
    pub fn except(mut self, room: &str) -> Self {
        self.except.push(Arc::from(room));
        self
    }
    /// Marks the emit volatile.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }
    /// Sets the `compress` flag (socket.io's `compress(false)` sends it uncompressed).
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = Some(on);
        self
    }
}

/// Room membership and recipient selection for one namespace: the seam for custom and
/// remote (multi-node) adapters.
///
/// Contract, which the socket.io layer relies on:
/// - Every method is synchronous and must not block on I/O: a remote adapter keeps its
///   local view in memory (typically by wrapping a [`LocalAdapter`]) and talks to other
///   nodes from background tasks.
/// - `for_each_recipient` is called while the namespace holds its socket table's read
///   lock, so `f` must be called without calling back into the server; it visits each
///   selected local socket once. `opts.local` tells a remote adapter not to forward.
/// - A socket joins the room named by its own id when it connects and leaves every room
///   (`del_all`) when it disconnects.
///
/// ```
/// use roomcast::adapter::{Adapter, BroadcastOptions, LocalAdapter, Room};
/// use roomcast::Sid;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// /// Counts broadcasts, and keeps rooms in memory.
/// #[derive(Default)]
/// struct Counting { rooms: LocalAdapter, broadcasts: AtomicUsize }
///
/// impl Adapter for Counting {
///     fn add_all(&self, sid: Sid, rooms: &[Room]) { self.rooms.add_all(sid, rooms) }
///     fn del(&self, sid: Sid, rooms: &[Room]) { self.rooms.del(sid, rooms) }
///     fn del_all(&self, sid: Sid) { self.rooms.del_all(sid) }
///     fn socket_rooms(&self, sid: Sid) -> Vec<Room> { self.rooms.socket_rooms(sid) }
///     fn for_each_recipient(&self, opts: &BroadcastOptions, f: &mut dyn FnMut(Sid)) {
///         self.broadcasts.fetch_add(1, Ordering::Relaxed);
///         self.rooms.for_each_recipient(opts, f)
///     }
///     fn rooms(&self) -> Vec<Room> { self.rooms.rooms() }
/// }
///
/// let a = Counting::default();
/// let s = Sid::new();
/// a.add_all(s, &["red".into()]);
/// let mut got = Vec::new();
/// a.for_each_recipient(&BroadcastOptions::all().to("red"), &mut |sid| got.push(sid));
/// assert_eq!((got, a.broadcasts.load(Ordering::Relaxed)), (vec![s], 1));
/// ```
pub trait Adapter: Send + Sync + 'static {
    /// Puts `sid` in each of `rooms`.
    fn add_all(&self, sid: Sid, rooms: &[Room]);
    /// Takes `sid` out of each of `rooms`; empty rooms are removed.
    fn del(&self, sid: Sid, rooms: &[Room]);
    /// Takes `sid` out of every room.
    fn del_all(&self, sid: Sid);
    /// The rooms `sid` is in (its own id room included).
    fn socket_rooms(&self, sid: Sid) -> Vec<Room>;
    /// Calls `f` once for each local socket selected by `opts`.
    fn for_each_recipient(&self, opts: &BroadcastOptions, f: &mut dyn FnMut(Sid));
    /// All room names currently known.
    fn rooms(&self) -> Vec<Room>;
    /// Whether `room` has members here (a node drops a cluster broadcast sent to the
    /// channel of a room it does not have). The default scans [`Adapter::rooms`].
    fn has_room(&self, room: &str) -> bool {
        self.rooms().iter().any(|r| &**r == room)
    }

    /// Puts every socket `opts` selects in `rooms` (socket.io's `socketsJoin`). The
    /// default visits then adds; an adapter with one lock should do both under it.
    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let mut sids = Vec::new();
        self.for_each_recipient(opts, &mut |sid| sids.push(sid));
        for sid in sids {
            self.add_all(sid, rooms);
        }
    }

    /// Takes every socket `opts` selects out of `rooms` (`socketsLeave`, `close_room`).
    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let mut sids = Vec::new();
        self.for_each_recipient(opts, &mut |sid| sids.push(sid));
        for sid in sids {
            self.del(sid, rooms);
        }
    }
}

/// A change of room membership, as socket.io's in-memory adapter reports it on its
/// `create-room`, `delete-room`, `join-room` and `leave-room` events (see
/// [`LocalAdapter::observe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoomChange {
    /// A room came into being: its first member joins next.
    Create,
    /// A room's last member left (reported after that `Leave`).
    Delete,
    /// A member joined a room (after the room's `Create` when it is new).
    Join,
    /// A member left a room.
    Leave,
}

impl RoomChange {
    /// socket.io's event name: `"create-room"`, `"delete-room"`, `"join-room"`,
    /// `"leave-room"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create-room",
            Self::Delete => "delete-room",
            Self::Join => "join-room",
            Self::Leave => "leave-room",
        }
    }
}

/// What [`LocalAdapter::observe`] calls for each change: the kind, the room and, for
/// `Join` and `Leave`, the member.
pub type RoomObserver = Box<dyn Fn(RoomChange, &Room, Option<Sid>) + Send + Sync>;

#[derive(Default)]
struct Membership {
    rooms: HashMap<Room, SidSet>,
    /// Each member's rooms, with the order it joined them in (for `del_all`'s report).
    sids: SidMap<HashMap<Room, u64>>,
    /// The next join's order number.
    joins: u64,
}

impl Membership {
    /// Puts `sid` in `room`, reporting the room's creation and the join to `obs`.
    fn add(&mut self, sid: Sid, room: &Room, obs: Option<&RoomObserver>) {
        let order = self.joins;
        let mine = self.sids.entry(sid).or_default();
        if !mine.contains_key(room) {
            mine.insert(room.clone(), order);
            self.joins += 1;
        }
        let members = match self.rooms.entry(room.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                if let Some(f) = obs {
                    f(RoomChange::Create, room, None);
                }
                e.insert(SidSet::default())
            }
        };
        if members.insert(sid) {
            if let Some(f) = obs {
                f(RoomChange::Join, room, Some(sid));
            }
        }
    }

    /// Takes `sid` out of `room`; an empty room is removed.
    fn del(&mut self, sid: Sid, room: &Room, obs: Option<&RoomObserver>) {
        if let Some(set) = self.sids.get_mut(&sid) {
            set.remove(room);
        }
        self.drop_member(sid, room, obs);
    }

    /// Takes `sid` out of `room`'s members (reporting the leave), then removes the room
    /// when it is empty (reporting that after).
    fn drop_member(&mut self, sid: Sid, room: &Room, obs: Option<&RoomObserver>) {
        if let Some(members) = self.rooms.get_mut(room) {
            if members.remove(&sid) {
                if let Some(f) = obs {
                    f(RoomChange::Leave, room, Some(sid));
                }
            }
            if members.is_empty() {
                self.rooms.remove(room);
                if let Some(f) = obs {
                    f(RoomChange::Delete, room, None);
                }
            }
        }
    }
}

/// The in-memory adapter: two maps behind one read-write lock, never held across I/O.
///
/// With an observer ([`LocalAdapter::observe`]) it reports every membership change as
/// socket.io's in-memory adapter does, under its lock, so the reports come in the order
/// the changes happened. Without one, each change costs one load more.
#[derive(Default)]
pub struct LocalAdapter {
    inner: RwLock<Membership>,
    observer: OnceLock<RoomObserver>,
}

impl LocalAdapter {
    /// An empty adapter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports every membership change from now on to `f`, called under the adapter's
    /// lock (so `f` must not call back into the adapter), as socket.io's in-memory
    /// adapter emits its room events: `Create` before the first `Join` of a room,
    /// `Leave` before the `Delete` of the room it emptied, a join of a room the member is
    /// in already reports nothing, and [`Adapter::del_all`] reports a `Leave` for each
    /// room in the order the member joined them. Set once: `false` when an observer is
    /// there already (it stays).
    pub fn observe(&self, f: RoomObserver) -> bool {
        self.observer.set(f).is_ok()
    }

    /// Whether an observer is set.
    pub fn is_observed(&self) -> bool {
        self.observer.get().is_some()
    }
}

impl Adapter for LocalAdapter {
    fn add_all(&self, sid: Sid, rooms: &[Room]) {
        let obs = self.observer.get();
        let mut m = self.inner.write();
        m.sids.entry(sid).or_default();
        for room in rooms {
            m.add(sid, room, obs);
        }
    }

    fn del(&self, sid: Sid, rooms: &[Room]) {
        let obs = self.observer.get();
        let mut m = self.inner.write();
        for room in rooms {
            m.del(sid, room, obs);
        }
    }

    fn del_all(&self, sid: Sid) {
        let obs = self.observer.get();
        let mut m = self.inner.write();
        let Some(rooms) = m.sids.remove(&sid) else {
            return;
        };
        if obs.is_some() {
            let mut rooms: Vec<(Room, u64)> = rooms.into_iter().collect();
            rooms.sort_unstable_by_key(|(_, order)| *order);
            for (room, _) in rooms {
                m.drop_member(sid, &room, obs);
            }
        } else {
            for room in rooms.into_keys() {
                m.drop_member(sid, &room, None);
            }
        }
    }

    fn socket_rooms(&self, sid: Sid) -> Vec<Room> {
        let m = self.inner.read();
        m.sids
            .get(&sid)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn for_each_recipient(&self, opts: &BroadcastOptions, f: &mut dyn FnMut(Sid)) {
        let m = self.inner.read();
        let excluded: SidSet = opts
            .except
            .iter()
            .filter_map(|r| m.rooms.get(r))
            .flat_map(|members| members.iter().copied())
            .collect();
        let mut visit = |sid: Sid| {
            if excluded.is_empty() || !excluded.contains(&sid) {
                f(sid)
            }
        };
        match opts.rooms.as_slice() {
            [] => m.sids.keys().copied().for_each(&mut visit),
            [room] => {
                if let Some(members) = m.rooms.get(room) {
                    members.iter().copied().for_each(&mut visit)
                }
            }
            rooms => {
                let mut seen = SidSet::default();
                for members in rooms.iter().filter_map(|r| m.rooms.get(r)) {
                    for &sid in members {
                        if seen.insert(sid) {
                            visit(sid)
                        }
                    }
                }
            }
        }
    }

    fn rooms(&self) -> Vec<Room> {
        self.inner.read().rooms.keys().cloned().collect()
    }

    fn has_room(&self, room: &str) -> bool {
        self.inner.read().rooms.contains_key(room)
    }
    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let obs = self.observer.get();
        let mut m = self.inner.write();
        for sid in select(&m, opts) {
            for room in rooms {
                m.add(sid, room, obs);
            }
        }
    }

    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) {
        let obs = self.observer.get();
        let mut m = self.inner.write();
        for sid in select(&m, opts) {
            for room in rooms {
                m.del(sid, room, obs);
            }
        }
    }
}

/// The sockets `opts` selects, while the caller holds the lock.
fn select(m: &Membership, opts: &BroadcastOptions) -> Vec<Sid> {
    let excluded: SidSet = opts
        .except
        .iter()
        .filter_map(|r| m.rooms.get(r))
        .flat_map(|members| members.iter().copied())
        .collect();
    let mut out = SidSet::default();
    if opts.rooms.is_empty() {
        out.extend(m.sids.keys().copied());
    } else {
        for members in opts.rooms.iter().filter_map(|r| m.rooms.get(r)) {
            out.extend(members.iter().copied());
        }
    }
    out.retain(|s| !excluded.contains(s));
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn recipients(a: &LocalAdapter, opts: &BroadcastOptions) -> HashSet<Sid> {
        let mut out = HashSet::new();
        a.for_each_recipient(opts, &mut |s| assert!(out.insert(s), "delivered twice"));
        out
    }

    #[test]
    fn selects_rooms_union_minus_except() {
        let a = LocalAdapter::new();
        let (s1, s2, s3) = (Sid::new(), Sid::new(), Sid::new());
        for s in [s1, s2, s3] {
            a.add_all(s, &[Arc::from(s.as_str())]);
        }
        a.add_all(s1, &["red".into(), "blue".into()]);
        a.add_all(s2, &["blue".into()]);
        assert_eq!(
            recipients(&a, &BroadcastOptions::all()),
            HashSet::from([s1, s2, s3])
        );
        assert_eq!(
            recipients(&a, &BroadcastOptions::all().to("red").to("blue")),
            HashSet::from([s1, s2])
        );
        assert_eq!(
            recipients(&a, &BroadcastOptions::all().to("blue").except(s1.as_str())),
            HashSet::from([s2])
        );
        assert_eq!(
            recipients(&a, &BroadcastOptions::all().except("blue")),
            HashSet::from([s3])
        );
        assert!(recipients(&a, &BroadcastOptions::all().to("nobody")).is_empty());
    }

    #[test]
    fn bulk_join_and_leave_by_selector() {
        let a = LocalAdapter::new();
        let (s1, s2, s3) = (Sid::new(), Sid::new(), Sid::new());
        for s in [s1, s2, s3] {
            a.add_all(s, &[Arc::from(s.as_str())]);
        }
        a.add_all(s1, &["red".into()]);
        a.add_all(s2, &["red".into()]);
        a.add_sockets(
            &BroadcastOptions::all().to("red").except(s2.as_str()),
            &["blue".into()],
        );
        assert_eq!(
            recipients(&a, &BroadcastOptions::all().to("blue")),
            HashSet::from([s1])
        );
        a.add_sockets(&BroadcastOptions::all(), &["all".into()]);
        assert_eq!(recipients(&a, &BroadcastOptions::all().to("all")).len(), 3);
        a.del_sockets(
            &BroadcastOptions::all().to("red"),
            &["all".into(), "red".into()],
        );
        assert_eq!(
            recipients(&a, &BroadcastOptions::all().to("all")),
            HashSet::from([s3])
        );
        assert!(!a.rooms().contains(&Room::from("red")));
    }

    #[test]
    fn empty_rooms_are_removed() {
        let a = LocalAdapter::new();
        let s = Sid::new();
        a.add_all(s, &["x".into(), "y".into()]);
        a.del(s, &["x".into()]);
        assert_eq!(a.rooms(), vec![Room::from("y")]);
        a.del_all(s);
        assert!(a.rooms().is_empty());
        assert!(a.socket_rooms(s).is_empty());
    }

    /// The observer hears what socket.io's in-memory adapter emits, in its order.
    #[test]
    fn observer_reports_like_socket_io() {
        let a = LocalAdapter::new();
        let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let log = seen.clone();
        assert!(a.observe(Box::new(move |kind, room, sid| {
            log.lock().push((kind.as_str(), room.to_string(), sid))
        })));
        assert!(!a.observe(Box::new(|_, _, _| {})), "set once");
        let (s1, s2) = (Sid::new(), Sid::new());
        let take = || std::mem::take(&mut *seen.lock());
        let r = |s: &str| s.to_string();
        a.add_all(s1, &[Arc::from(s1.as_str())]);
        a.add_all(s1, &["b".into(), "a".into(), "b".into()]);
        assert_eq!(
            take(),
            vec![
                ("create-room", r(s1.as_str()), None),
                ("join-room", r(s1.as_str()), Some(s1)),
                ("create-room", r("b"), None),
                ("join-room", r("b"), Some(s1)),
                ("create-room", r("a"), None),
                ("join-room", r("a"), Some(s1)),
            ]
        );
        // A room someone has: no second create; a room it is in already: nothing.
        a.add_sockets(&BroadcastOptions::all(), &["a".into()]);
        a.add_all(s2, &["a".into()]);
        assert_eq!(take(), vec![("join-room", r("a"), Some(s2))]);
        // Leaving a room it is not in reports nothing; the last one out deletes it.
        a.del(s2, &["b".into(), "a".into()]);
        a.del(s1, &["a".into()]);
        assert_eq!(
            take(),
            vec![
                ("leave-room", r("a"), Some(s2)),
                ("leave-room", r("a"), Some(s1)),
                ("delete-room", r("a"), None),
            ]
        );
        // del_all: every room, in the order it joined them.
        a.add_all(s1, &["z".into(), "a".into()]);
        take();
        a.del_all(s1);
        let mut want = Vec::new();
        for room in [s1.as_str(), "b", "z", "a"] {
            want.push(("leave-room", r(room), Some(s1)));
            want.push(("delete-room", r(room), None));
        }
        assert_eq!(take(), want);
        a.add_all(s2, &["x".into()]);
        a.del_sockets(&BroadcastOptions::all().to("x"), &["x".into(), "y".into()]);
        assert_eq!(
            take(),
            vec![
                ("create-room", r("x"), None),
                ("join-room", r("x"), Some(s2)),
                ("leave-room", r("x"), Some(s2)),
                ("delete-room", r("x"), None),
            ]
        );
    }
}
