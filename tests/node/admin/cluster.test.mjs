// The admin UI across a Redis cluster: two Rust chat nodes (REDIS_URL, the classic adapter)
// with the admin UI on. A dashboard connected to node A sees both servers in its stats
// (one serverId each), a socket connecting to node B, and its disconnect action reaches
// that socket on node B (disconnectSockets is cluster-wide). Needs redis-server.

import { describe, before, after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { startServer, closeAll, eventually } from "../helpers.mjs";
import { dashboard, chatClient, nextMatching, PASSWORD, PASSWORD_HASH } from "./dashboard.mjs";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d) => { out += d; });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  await eventually(() => out.includes("Ready to accept connections"), `redis-server: ${out}`);
  return { url: `redis://127.0.0.1:${port}`, stop() { process.removeListener("exit", kill); kill(); } };
}

describe("rust chat: admin UI across a Redis cluster", () => {
  let redis, a, b;
  before(async () => {
    redis = await startRedis();
    const env = (id) => ({ REDIS_URL: redis.url, ADMIN_UI_PASSWORD: PASSWORD_HASH, ADMIN_UI_SERVER_ID: id });
    a = await startServer("chat", env("node-a"));
    b = await startServer("chat", env("node-b"));
  });
  after(() => {
    a?.close();
    b?.close();
    redis?.stop();
  });

  test("one dashboard sees both servers, a socket of the other node, and disconnects it there", async () => {
    const admin = await dashboard(a.url, { username: "admin", password: PASSWORD });
    let client;
    try {
      await admin.log.next("config");
      await eventually(() => {
        const ids = new Set(admin.log.all("server_stats").map(([s]) => s.serverId));
        return ids.has("node-a") && ids.has("node-b");
      }, "server_stats of node-a and node-b");
      client = await chatClient(b.url);
      const id = client.socket.id;
      await nextMatching(admin.log, "socket_connected", (s) => s.id === id, "socket_connected from node b");
      await nextMatching(admin.log, "room_joined", (nsp, room, sid) => room === "KPL" && sid === id, "room_joined from node b");
      const gone = new Promise((resolve) => client.socket.once("disconnect", resolve));
      admin.socket.emit("_disconnect", "/", false, id);
      assert.equal(await gone, "io server disconnect");
      await nextMatching(admin.log, "socket_disconnected", (nsp, sid) => sid === id, "socket_disconnected from node b");
    } finally {
      closeAll(admin.socket, client?.socket);
    }
  });
});
