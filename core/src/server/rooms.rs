//! Room membership as the host changes it (join, leave, within the configured limits)
//! and reads it, and the one place that hears of every change (for the admin UI).

use std::sync::Arc;

use super::{DisconnectReason, Error, Namespace, Socket, SocketIo};
use crate::adapter::{BroadcastOptions, Room};
use crate::sid::Sid;

impl SocketIo {
    /// The one place that hears of room membership changes of connected sockets (joins,
    /// leaves, a socket's rooms when it connects and when it leaves), here and from other
    /// nodes' bulk operations; it tells the admin UI.
    pub(crate) fn rooms_changed(&self, nsp: &str, sid: Sid, rooms: &[Room], joined: bool) {
        if rooms.is_empty() {
            return;
        }
        if let Some(a) = self.admin_dev() {
            self.admin_rooms(a, nsp, sid, rooms, joined);
        }
    }

    /// Whether anyone listens to [`SocketIo::rooms_changed`] (so bulk operations only
    /// work out who changed when it matters).
    pub(crate) fn observes_rooms(&self) -> bool {
        self.admin_dev().is_some()
    }

    /// A socket the host was told about left (its rooms are gone already).
    pub(super) fn left(&self, socket: &Socket, reason: DisconnectReason, rooms: &[Room]) {
        if let Some(a) = self.admin_dev() {
            self.admin_socket_disconnected(a, &socket.nsp().name, socket.sid, reason);
        }
        self.rooms_changed(&socket.nsp().name, socket.sid, rooms, false);
    }

    /// Puts a socket in rooms.
    pub fn join(&self, nsp: &str, sid: Sid, rooms: &[&str]) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        ns.socket(sid).ok_or(Error::NoSuchSocket)?;
        self.join_in(&ns, sid, rooms)
    }

    /// Puts member `sid` of `ns` (a socket or a plain connection) in rooms, within the
    /// name and room-count limits.
    pub(super) fn join_in(&self, ns: &Namespace, sid: Sid, rooms: &[&str]) -> Result<(), Error> {
        let max = self.cfg.max_name_length;
        if rooms.iter().any(|r| r.len() > max) {
            return Err(Error::InvalidArgument(format!(
                "room name longer than max_name_length ({max} bytes)"
            )));
        }
        let rooms: Vec<_> = rooms.iter().map(|r| Arc::from(*r)).collect();
        let have = ns.adapter().socket_rooms(sid);
        let mut new: Vec<_> = rooms.iter().filter(|r| !have.contains(r)).collect();
        new.sort();
        new.dedup();
        if have.len() + new.len() > self.cfg.max_rooms_per_socket {
            return Err(Error::InvalidArgument(format!(
                "a socket can be in at most max_rooms_per_socket ({}) rooms",
                self.cfg.max_rooms_per_socket
            )));
        }
        let new: Vec<Room> = new.into_iter().cloned().collect();
        ns.adapter().add_all(sid, &rooms);
        self.rooms_added(&ns.name, &rooms);
        self.rooms_changed(&ns.name, sid, &new, true);
        Ok(())
    }

    /// Takes a socket out of rooms.
    pub fn leave(&self, nsp: &str, sid: Sid, rooms: &[&str]) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        ns.socket(sid).ok_or(Error::NoSuchSocket)?;
        let rooms: Vec<Room> = rooms.iter().map(|r| Arc::from(*r)).collect();
        // Only the rooms it was in are reported left (looked up when someone listens).
        let had: Vec<Room> = if self.observes_rooms() {
            let have = ns.adapter().socket_rooms(sid);
            let mut had: Vec<Room> = rooms.iter().filter(|r| have.contains(r)).cloned().collect();
            had.sort();
            had.dedup();
            had
        } else {
            Vec::new()
        };
        ns.adapter().del(sid, &rooms);
        self.rooms_changed(&ns.name, sid, &had, false);
        Ok(())
    }

    /// The rooms a socket is in (its own id room included), sorted.
    pub fn rooms_of(&self, nsp: &str, sid: Sid) -> Result<Vec<String>, Error> {
        let ns = self.namespace(nsp)?;
        ns.socket(sid).ok_or(Error::NoSuchSocket)?;
        let mut rooms: Vec<String> = ns
            .adapter()
            .socket_rooms(sid)
            .iter()
            .map(|r| r.to_string())
            .collect();
        rooms.sort();
        Ok(rooms)
    }

    /// The sockets `opts` selects (e.g. everyone in a room).
    pub fn sockets(&self, nsp: &str, opts: &BroadcastOptions) -> Result<Vec<Sid>, Error> {
        let ns = self.namespace(nsp)?;
        let mut out = Vec::new();
        ns.adapter()
            .for_each_recipient(opts, &mut |sid| out.push(sid));
        // Outside the adapter's lock: the two locks are only ever nested the other way.
        out.retain(|sid| ns.contains(*sid));
        Ok(out)
    }
}
