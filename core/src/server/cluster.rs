//! The Socket.IO layer's side of a cluster: [`LocalNode`] (what other nodes ask of this
//! one) and the cluster-wide operations hosts call (socketsJoin/Leave, disconnectSockets,
//! fetchSockets, serverSideEmit, allRooms, serverCount).

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::civil::civil_from_days;
use std::time::Duration;

use super::ack::Collector;
use super::{Error, Event, ServerAck, SocketIo};
use crate::adapter::cluster::{
    ClusterAdapter, ClusterReply, ClusterStats, LocalNode, OnCount, OnReply, ServerAckFn,
    SocketInfo,
};
use crate::adapter::{BroadcastOptions, Room};
use crate::engine::Handshake;
use crate::protocol::Payload;
use crate::sid::Sid;

impl SocketIo {
    /// Joins a cluster: every namespace in use (and each one created later) is served
    /// through `cluster`. Call once, before clients connect.
    pub(crate) fn set_cluster(&self, cluster: Arc<dyn ClusterAdapter>) -> bool {
        self.cluster.set(cluster).is_ok()
    }

    /// The cluster, when this node belongs to one.
    pub(crate) fn cluster(&self) -> Option<&Arc<dyn ClusterAdapter>> {
        self.cluster.get()
    }

    /// A fresh id for a host request (shared with ack ids, so they never collide).
    pub(crate) fn next_request_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn existing(&self, nsp: &str) -> Option<Arc<super::Namespace>> {
        self.namespaces.read().get(nsp).cloned()
    }

    fn selected(&self, ns: &super::Namespace, opts: &BroadcastOptions) -> Vec<Sid> {
        let mut out = Vec::new();
        ns.adapter()
            .for_each_recipient(opts, &mut |sid| out.push(sid));
        out.retain(|sid| ns.contains(*sid));
        out
    }

    /// One pass under the adapter's lock (see [`crate::adapter::Adapter::add_sockets`] and
    /// [`crate::adapter::Adapter::del_sockets`]).
    fn local_rooms(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room], op: RoomOp) {
        if let Some(ns) = self.existing(nsp) {
            // Who changes, worked out only when someone listens (see `rooms_changed`).
            let changes: Vec<(Sid, Vec<Room>)> = if self.observes_rooms() {
                self.selected(&ns, opts)
                    .into_iter()
                    .map(|sid| {
                        let have = ns.adapter().socket_rooms(sid);
                        let mut change: Vec<Room> = rooms
                            .iter()
                            .filter(|r| have.contains(r) != matches!(op, RoomOp::Join))
                            .cloned()
                            .collect();
                        change.sort();
                        change.dedup();
                        (sid, change)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            match op {
                RoomOp::Join => {
                    ns.adapter().add_sockets(opts, rooms);
                    self.rooms_added(&ns.name, rooms);
                }
                RoomOp::Leave => ns.adapter().del_sockets(opts, rooms),
            }
            for (sid, change) in changes {
                self.rooms_changed(&ns.name, sid, &change, matches!(op, RoomOp::Join));
            }
        }
    }

    /// Tells the cluster adapter that local sockets joined `rooms`.
    pub(crate) fn rooms_added(&self, nsp: &str, rooms: &[Room]) {
        if let Some(c) = self.cluster() {
            c.rooms_added(nsp, rooms);
        }
    }

    fn local_disconnect(&self, nsp: &str, opts: &BroadcastOptions, close: bool) {
        if let Some(ns) = self.existing(nsp) {
            for sid in self.selected(&ns, opts) {
                let _ = self.disconnect(nsp, sid, close);
            }
        }
    }

    /// `socketsJoin`: the sockets `opts` selects, on every node, join `rooms`.
    pub fn sockets_join(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), Error> {
        self.sockets_rooms(nsp, opts, rooms, RoomOp::Join)
    }

    /// `socketsLeave`: the sockets `opts` selects, on every node, leave `rooms`.
    pub fn sockets_leave(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        rooms: &[&str],
    ) -> Result<(), Error> {
        self.sockets_rooms(nsp, opts, rooms, RoomOp::Leave)
    }

    /// Here first, then on the other nodes unless `opts` is local.
    fn sockets_rooms(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        rooms: &[&str],
        op: RoomOp,
    ) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        let rooms: Vec<Room> = rooms.iter().map(|r| Room::from(*r)).collect();
        self.local_rooms(&ns.name, opts, &rooms, op);
        if let Some(c) = self.cluster().filter(|_| !opts.local) {
            match op {
                RoomOp::Join => c.add_sockets(&ns.name, opts, &rooms),
                RoomOp::Leave => c.del_sockets(&ns.name, opts, &rooms),
            }
        }
        Ok(())
    }

    /// `disconnectSockets`: disconnects the sockets `opts` selects on every node.
    pub fn disconnect_sockets(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        close: bool,
    ) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        if let Some(c) = self.cluster().filter(|_| !opts.local) {
            c.disconnect_sockets(&ns.name, opts, close);
        }
        self.local_disconnect(&ns.name, opts, close);
        Ok(())
    }

    /// `serverSideEmit` to the other nodes (a no-op without a cluster).
    pub fn server_side_emit(&self, nsp: &str, event: &str, args: &Payload) -> Result<(), Error> {
        let ns = self.namespace(nsp)?;
        if let Some(c) = self.cluster() {
            c.server_side_emit(&ns.name, event, args);
        }
        Ok(())
    }

    /// `serverSideEmitWithAck`: one reply per other node, or what arrived by `timeout`.
    pub fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        event: &str,
        args: &Payload,
        timeout: Duration,
    ) -> Result<BoxFuture<'static, ClusterReply<Vec<Payload>>>, Error> {
        let ns = self.namespace(nsp)?;
        Ok(match self.cluster() {
            Some(c) => c.server_side_emit_with_ack(&ns.name, event, args, timeout),
            None => async { ClusterReply::local(Vec::new()) }.boxed(),
        })
    }

    /// Answers a server-side emit from another node.
    pub fn server_side_ack(&self, ack: ServerAck, args: &Payload) -> Result<(), Error> {
        let f = self
            .server_acks
            .lock()
            .remove(&ack.id)
            .ok_or(Error::NoSuchRequest)?;
        f(args.clone());
        Ok(())
    }

    /// `fetchSockets` across the cluster: local sockets first, then the other nodes'.
    pub fn fetch_sockets(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        timeout: Duration,
    ) -> Result<BoxFuture<'static, ClusterReply<Vec<SocketInfo>>>, Error> {
        let ns = self.namespace(nsp)?;
        let local = self.local_sockets(&ns, opts);
        Ok(match self.cluster().filter(|_| !opts.local) {
            Some(c) => c
                .fetch_sockets(&ns.name, opts, timeout)
                .map(move |r| {
                    r.map(|remote| {
                        let mut all = local;
                        all.extend(remote);
                        all
                    })
                })
                .boxed(),
            None => async move { ClusterReply::local(local) }.boxed(),
        })
    }

    /// Room names of every node (socket-id rooms included, as socket.io reports them).
    pub fn all_rooms(
        &self,
        nsp: &str,
        timeout: Duration,
    ) -> Result<BoxFuture<'static, ClusterReply<Vec<String>>>, Error> {
        let ns = self.namespace(nsp)?;
        let local: Vec<String> = ns.adapter().rooms().iter().map(|r| r.to_string()).collect();
        Ok(match self.cluster() {
            Some(c) => c
                .all_rooms(&ns.name, timeout)
                .map(move |r| {
                    r.map(|remote| {
                        let all: BTreeSet<String> = local.into_iter().chain(remote).collect();
                        all.into_iter().collect()
                    })
                })
                .boxed(),
            None => async move { ClusterReply::local(local) }.boxed(),
        })
    }

    /// Nodes serving the namespace (1 without a cluster; `None` when Redis is unreachable).
    pub fn server_count(&self, nsp: &str) -> Result<BoxFuture<'static, Option<usize>>, Error> {
        let ns = self.namespace(nsp)?;
        Ok(match self.cluster() {
            Some(c) => c.server_count(&ns.name),
            None => async { Some(1) }.boxed(),
        })
    }

    /// The cluster link's counters, when this node belongs to a cluster.
    pub fn cluster_stats(&self) -> Option<ClusterStats> {
        self.cluster().map(|c| c.stats())
    }

    fn local_sockets(&self, ns: &super::Namespace, opts: &BroadcastOptions) -> Vec<SocketInfo> {
        self.selected(ns, opts)
            .into_iter()
            .filter_map(|sid| ns.socket(sid))
            .map(|s| {
                let mut rooms: Vec<String> = ns
                    .adapter()
                    .socket_rooms(s.sid)
                    .iter()
                    .map(|r| r.to_string())
                    .collect();
                rooms.sort();
                let data = s
                    .data
                    .lock()
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or(Value::Null);
                SocketInfo {
                    id: s.sid.to_string(),
                    handshake: handshake_json(&s.session().data.handshake, s.auth.as_deref()),
                    rooms,
                    data,
                }
            })
            .collect()
    }
}

/// Which way [`SocketIo::sockets_join`] and [`SocketIo::sockets_leave`] move sockets.
#[derive(Clone, Copy)]
enum RoomOp {
    Join,
    Leave,
}

/// socket.io's `socket.handshake` as JSON.
pub(crate) fn handshake_json(h: &Handshake, auth: Option<&str>) -> Value {
    let headers: Map<String, Value> = h
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let query: Map<String, Value> = h
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), Value::from(v))
        })
        .collect();
    let auth = auth
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut m = Map::new();
    m.insert("headers".into(), Value::Object(headers));
    m.insert("time".into(), Value::from(js_date(h.issued)));
    m.insert("address".into(), Value::from(h.address.as_str()));
    m.insert("xdomain".into(), Value::from(h.header("origin").is_some()));
    m.insert("secure".into(), Value::from(false));
    m.insert("issued".into(), Value::from(h.issued));
    m.insert("url".into(), Value::from(h.url.as_str()));
    m.insert("query".into(), Value::Object(query));
    m.insert("auth".into(), auth);
    Value::Object(m)
}

/// `new Date(ms).toString()` in UTC, e.g. `Sat Nov 21 2026 23:18:13 GMT+0000 (Coordinated Universal Time)`.
fn js_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[(days.rem_euclid(7)) as usize],
        MONTHS[(m - 1) as usize],
        d,
        y,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl LocalNode for SocketIo {
    fn has_room(&self, nsp: &str, room: &str) -> bool {
        self.existing(nsp)
            .is_some_and(|ns| ns.adapter().has_room(room))
    }

    fn broadcast(&self, nsp: &str, opts: &BroadcastOptions, event: &str, args: &Payload) {
        if let Some(ns) = self.existing(nsp) {
            // Decoded once per node, encoded once for every local recipient; with recovery
            // on, stored with a local offset like a local emit, so a client that recovers on
            // this node also gets what other nodes sent while it was away.
            self.deliver(&ns, opts, event, args);
        }
    }

    fn broadcast_at(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        offset: &str,
    ) {
        if let Some(ns) = self.existing(nsp) {
            self.deliver_at(&ns, opts, event, args, offset);
        }
    }

    fn broadcast_with_ack(
        &self,
        nsp: &str,
        opts: &BroadcastOptions,
        event: &str,
        args: &Payload,
        timeout: Duration,
        count: OnCount,
        reply: OnReply,
    ) {
        let Some(ns) = self.existing(nsp) else {
            count(0);
            return;
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let collector = Collector::streaming(id, Box::new(|_| {}), reply);
        let n = self.broadcast_acked(ns, opts, event, args, timeout, collector);
        count(n);
    }

    fn fetch_sockets(&self, nsp: &str, opts: &BroadcastOptions) -> Vec<SocketInfo> {
        self.existing(nsp)
            .map(|ns| self.local_sockets(&ns, opts))
            .unwrap_or_default()
    }

    fn add_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.local_rooms(nsp, opts, rooms, RoomOp::Join);
    }

    fn del_sockets(&self, nsp: &str, opts: &BroadcastOptions, rooms: &[Room]) {
        self.local_rooms(nsp, opts, rooms, RoomOp::Leave);
    }

    fn disconnect_sockets(&self, nsp: &str, opts: &BroadcastOptions, close: bool) {
        self.local_disconnect(nsp, opts, close);
    }

    fn is_socket(&self, nsp: &str, id: &str) -> bool {
        match (self.existing(nsp), Sid::parse(id)) {
            (Some(ns), Some(sid)) => ns.contains(sid),
            _ => false,
        }
    }

    fn rooms(&self, nsp: &str) -> Vec<String> {
        self.existing(nsp)
            .map(|ns| ns.adapter().rooms().iter().map(|r| r.to_string()).collect())
            .unwrap_or_default()
    }

    fn server_side_emit(&self, nsp: &str, event: &str, args: Payload, ack: Option<ServerAckFn>) {
        let Some(ns) = self.existing(nsp) else { return };
        let ack = ack.map(|f| {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            self.server_acks.lock().insert(id, f);
            // The sender gives up after its timeout; forget the duty a while after that.
            let pending = self.server_acks.clone();
            self.rt.spawn(async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                pending.lock().remove(&id);
            });
            ServerAck { id }
        });
        self.report(Event::ServerSideEmit {
            nsp: ns.name.clone(),
            event: event.to_owned(),
            args,
            ack,
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn js_date_matches_node() {
        // new Date(1795303093154).toString() in UTC, from the golden sample S7.
        assert_eq!(
            super::js_date(1_795_303_093_154),
            "Sat Nov 21 2026 23:18:13 GMT+0000 (Coordinated Universal Time)"
        );
    }
}
