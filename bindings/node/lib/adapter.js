'use strict';
// The read-only view of a namespace's rooms, `io.of(name).adapter` (socket.io's Adapter as
// applications read it): `rooms` (room -> Set of socket ids) and `sids` (socket id -> Set
// of rooms) of this node, read from the core at each access (one `roomsOf` per local
// socket: a snapshot, O(sockets in the namespace)), and the cluster-wide `allRooms()` and
// `serverCount()` (1 without a cluster). Writing goes through sockets and namespaces
// (join, socketsJoin...), never through the view.
//
// The room events `create-room` (room), `delete-room` (room), `join-room` (room, id) and
// `leave-room` (room, id) come from the core (`Server::observe_rooms`), which reports
// them once something listens to one of them on this namespace's adapter, with socket.io's
// in-memory adapter's order and semantics, for this node's sockets only (as socket.io
// with the Redis adapter). They arrive through the event queue: a listener hears of a
// join after the `socket.join()` call that made it has returned.

const { EventEmitter } = require('node:events');

const ROOM_EVENTS = new Set(['create-room', 'delete-room', 'join-room', 'leave-room']);

class Adapter extends EventEmitter {
  constructor(nsp) {
    super();
    this.nsp = nsp;
    this._watching = false;
    this.on('newListener', (ev) => {
      if (ROOM_EVENTS.has(ev)) this._watch();
    });
  }

  /** Each local socket's rooms, from the core. */
  _membership() {
    const out = [];
    for (const sid of this.nsp.sockets.keys()) {
      const rooms = this.nsp.server._command('roomsOf', this.nsp.name, sid);
      if (rooms) out.push([sid, rooms]);
    }
    return out;
  }

  /** Room -> Set of this node's socket ids in it (each socket's own room included). */
  get rooms() {
    const map = new Map();
    for (const [sid, rooms] of this._membership()) {
      for (const room of rooms) {
        let set = map.get(room);
        if (!set) map.set(room, (set = new Set()));
        set.add(sid);
      }
    }
    return map;
  }

  /** Socket id -> Set of its rooms, for this node's sockets. */
  get sids() {
    return new Map(this._membership().map(([sid, rooms]) => [sid, new Set(rooms)]));
  }

  /** Every room of every node of the cluster (this node's without one). */
  async allRooms() {
    return new Set((await this.nsp.server._request('allRooms', this.nsp.name)).value);
  }

  /** How many nodes the cluster has (1 without one). */
  async serverCount() {
    return (await this.nsp.server._request('serverCount', this.nsp.name)).value;
  }

  // The first listener of a room event turns the core's reports on for this namespace
  // (they stay on; with no listener left they are dropped here).
  _watch() {
    if (this._watching) return;
    this._watching = true;
    this.nsp.server._observeRooms(this.nsp.name);
  }

  /** A room event from the core. */
  _onRoom(kind, room, id) {
    if (id === null || id === undefined) this.emit(kind, room);
    else this.emit(kind, room, id);
  }
}

module.exports = { Adapter, ROOM_EVENTS };
