// The benchmark app (issue 6) on Node socket.io, the peer roomcast is compared with.
//   join (room) + ack      -> socket.join(room), ack "ok"
//   echo (data) + ack      -> ack(data)
//   broadcast (room, data) -> socket.to(room).emit("msg", data)  (the room except the sender)
// Port from PORT (default 3000), 127.0.0.1, path /socket.io/, library defaults otherwise.
// `bufferutil` is installed beside `ws` because socket.io's performance guide recommends it
// for production (ws picks it up on its own); nothing else is tuned.
// With REDIS_URL set, the node joins a cluster with @socket.io/redis-adapter (classic
// createAdapter, node-redis clients, as the adapter's README shows; key REDIS_KEY, default
// "socket.io"), for the cluster scenario of scripts/bench-cluster.sh.
// PER_MESSAGE_DEFLATE=<threshold> turns socket.io's perMessageDeflate on with that
// threshold (ws's other defaults: context takeover kept per connection), for
// scripts/bench-deflate.sh.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

async function adapter() {
  if (!process.env.REDIS_URL) return undefined;
  const { createAdapter } = require("@socket.io/redis-adapter");
  const { createClient } = require("redis");
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  pub.on("error", (e) => console.error("redis pub:", e.message));
  sub.on("error", (e) => console.error("redis sub:", e.message));
  await Promise.all([pub.connect(), sub.connect()]);
  return createAdapter(pub, sub, { key: process.env.REDIS_KEY || "socket.io" });
}

async function main() {
  const httpServer = http.createServer();
  const deflate = process.env.PER_MESSAGE_DEFLATE;
  const io = new Server(httpServer, {
    adapter: await adapter(),
    perMessageDeflate: deflate ? { threshold: Number(deflate) } : false,
  });

  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack("ok");
    });
    socket.on("echo", (data, ack) => {
      if (typeof ack === "function") ack(data);
    });
    socket.on("broadcast", (room, data) => {
      socket.to(room).emit("msg", data);
    });
  });

  httpServer.listen(Number(process.env.PORT || 3000), "127.0.0.1", () => {
    console.log(`listening on http://localhost:${httpServer.address().port}`);
  });
}

main().catch((e) => { console.error(e); process.exit(1); });
