// Drives a server's admin UI namespace with the real socket.io-client exactly as the
// @socket.io/admin-ui dashboard does (ui/src/App.vue: `io(url + "/admin", { auth:
// { username, password } })`, then `{ sessionId }` once it has one; actions `join`,
// `leave`, `_disconnect`), and checks what the dashboard would show. Shared by the tests of
// every host (Rust, C, Node and Python chat programs with the admin UI turned on).

import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { record, eventually, closeAll, DEADLINE } from "../helpers.mjs";

/** The bcrypt hash (bcryptjs, cost 10) of PASSWORD: what a user passes to instrument(). */
export const PASSWORD = "changeit";
export const PASSWORD_HASH = "$2a$10$LN0CY/HjZaFrQrece7wEg.aJLCu.9p4ZDOv1G4VjTw8cAxplT3z1S";

/** Connects as the dashboard does; resolves `{ socket, log }` or rejects with the connect_error. */
export function dashboard(url, auth, nsp = "/admin") {
  const socket = io(url + nsp, { forceNew: true, reconnection: false, withCredentials: true, auth });
  const log = record(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve({ socket, log }));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** A chat client on the main namespace (each chat host joins it to room KPL). */
export async function chatClient(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  const log = record(socket);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, log };
}

/** Waits for the next `event` whose args satisfy `pred`. */
export async function nextMatching(log, event, pred, what = event) {
  const end = Date.now() + DEADLINE;
  for (;;) {
    const args = await log.next(event, Math.max(1, end - Date.now())).catch(() => null);
    if (!args) throw new Error(`no ${what} within ${DEADLINE} ms; got ${JSON.stringify(log.names())}`);
    if (pred(...args)) return args;
  }
}

/**
 * The checks every host must pass. `server()` returns `{ url }` of a running chat program
 * started with the admin UI on (`/admin`, user "admin", PASSWORD_HASH, development mode).
 */
export function dashboardSuite(server) {
  test("wrong or missing credentials get connect_error \"invalid credentials\"", async () => {
    const { url } = server();
    for (const auth of [{ username: "admin", password: "wrong" }, { username: "root", password: PASSWORD }, {}, { sessionId: "forged" }]) {
      await assert.rejects(dashboard(url, auth), (err) => {
        assert.equal(err.message, "invalid credentials");
        return true;
      }, JSON.stringify(auth));
    }
  });

  test("the dashboard gets session, config, all_sockets and server_stats; the session id logs in again", async () => {
    const { url } = server();
    const client = await chatClient(url);
    let admin, again;
    try {
      admin = await dashboard(url, { username: "admin", password: PASSWORD });
      const [sessionId] = await admin.log.next("session");
      assert.match(sessionId, /^[0-9a-f]{16}$/);
      const [config] = await admin.log.next("config");
      for (const f of ["JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"]) {
        assert.ok(config.supportedFeatures.includes(f), `feature ${f} in ${JSON.stringify(config)}`);
      }
      const [all] = await admin.log.next("all_sockets");
      const mine = all.find((s) => s.id === client.socket.id);
      assert.ok(mine, `the chat client ${client.socket.id} is listed: ${JSON.stringify(all)}`);
      assert.equal(mine.nsp, "/");
      assert.deepEqual([...mine.rooms].sort(), [client.socket.id, "KPL"].sort());
      assert.equal(mine.clientId.length, 12);
      assert.ok(["polling", "websocket"].includes(mine.transport));
      assert.equal(mine.handshake.query.EIO, "4");
      assert.equal(typeof mine.handshake.headers, "object");
      assert.ok(mine.handshake.address, "an address");
      // The admin socket itself is listed, in its namespace.
      assert.ok(all.some((s) => s.nsp === "/admin" && s.id === admin.socket.id));

      // Connections refused just before may still be closing: the count settles.
      const [stats] = await nextMatching(admin.log, "server_stats", (s) => s.clientsCount === 2, "clientsCount 2");
      for (const k of ["serverId", "hostname", "pid", "uptime", "clientsCount", "pollingClientsCount", "aggregatedEvents", "namespaces"]) {
        assert.ok(k in stats, `${k} in server_stats ${JSON.stringify(stats)}`);
      }
      assert.equal(stats.namespaces.find((n) => n.name === "/").socketsCount, 1);
      assert.equal(stats.namespaces.find((n) => n.name === "/admin").socketsCount, 1);
      // The periodic stats: the next ones come by themselves, with the connections counted.
      const [later] = await admin.log.next("server_stats");
      assert.equal(later.serverId, stats.serverId);
      assert.ok(Array.isArray(later.aggregatedEvents));
      // The charts' data: what went out since the previous stats (the chat's broadcasts).
      client.socket.emit("sendMessage", { name: "a", message: "b" });
      const [charted] = await nextMatching(admin.log, "server_stats", (s) => s.aggregatedEvents.some((e) => e.type === "bytesOut" && e.count > 0), "bytesOut counted");
      for (const e of charted.aggregatedEvents) {
        assert.ok(Number.isInteger(e.timestamp) && e.timestamp % 1000 === 0 && e.count > 0, JSON.stringify(e));
      }

      // The dashboard reconnects with its session id, without the password.
      again = await dashboard(url, { sessionId });
      await again.log.next("config");
      assert.deepEqual(again.log.all("session"), [], "no new session for a session login");
    } finally {
      closeAll(client.socket, admin?.socket, again?.socket);
    }
  });

  test("socket_connected, room_joined, event_received, event_sent, then join/leave/_disconnect actions", async () => {
    const { url } = server();
    const admin = await dashboard(url, { username: "admin", password: PASSWORD });
    let client;
    try {
      await admin.log.next("config");
      client = await chatClient(url);
      const id = client.socket.id;
      const [sock, ts] = await nextMatching(admin.log, "socket_connected", (s) => s.id === id);
      assert.equal(sock.nsp, "/");
      assert.ok(!Number.isNaN(Date.parse(ts)), `a date: ${ts}`);
      await nextMatching(admin.log, "room_joined", (nsp, room, sid) => nsp === "/" && room === "KPL" && sid === id, "room_joined KPL");

      client.socket.emit("talk", [[1, "two"], { message: "hi" }], 3);
      const [, , args] = await nextMatching(admin.log, "event_received", (nsp, sid) => nsp === "/" && sid === id);
      assert.deepEqual(args, ["talk", [[1, "two"], { message: "hi" }], 3]);
      client.socket.emit("user-name");
      const [, , bare] = await nextMatching(admin.log, "event_received", (nsp, sid, a) => sid === id && a[0] === "user-name");
      assert.deepEqual(bare, ["user-name"], "an event without arguments");
      // The chat host answers every connection with an "online" broadcast.
      await nextMatching(admin.log, "event_sent", (nsp, sid, a) => sid === id && a[0] === "online", "event_sent online");

      // Actions, as the dashboard's socket view sends them (filter = the socket's id).
      admin.socket.emit("join", "/", "vip", id);
      await nextMatching(admin.log, "room_joined", (nsp, room, sid) => room === "vip" && sid === id, "room_joined vip");
      admin.socket.emit("leave", "/", "vip", id);
      await nextMatching(admin.log, "room_left", (nsp, room, sid) => room === "vip" && sid === id, "room_left vip");

      const gone = new Promise((resolve) => client.socket.once("disconnect", resolve));
      admin.socket.emit("_disconnect", "/", false, id);
      assert.equal(await gone, "io server disconnect");
      const [, , reason] = await nextMatching(admin.log, "socket_disconnected", (nsp, sid) => nsp === "/" && sid === id);
      assert.equal(reason, "server namespace disconnect");
      await nextMatching(admin.log, "room_left", (nsp, room, sid) => room === "KPL" && sid === id, "room_left KPL");
      const stats = await nextMatching(admin.log, "server_stats", (s) => s.namespaces.find((n) => n.name === "/").socketsCount === 0);
      assert.ok(stats, "the socket count went down");
    } finally {
      closeAll(admin.socket, client?.socket);
    }
  });

  test("a polling client that upgrades shows up as socket_updated websocket", async () => {
    const { url } = server();
    const admin = await dashboard(url, { username: "admin", password: PASSWORD });
    let client;
    try {
      await admin.log.next("config");
      client = await chatClient(url, { transports: ["polling", "websocket"] });
      await eventually(() => client.socket.io.engine.transport.name === "websocket", "upgrade");
      await nextMatching(admin.log, "socket_updated", (s) => s.id === client.socket.id && s.transport === "websocket");
    } finally {
      closeAll(admin.socket, client?.socket);
    }
  });
}
