// A Node socket.io node on @socket.io/redis-streams-adapter 0.3 (pinned in
// package-lock.json) with connection state recovery, for the streams tests.

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";

/**
 * Starts the node on `url`; new sockets join `rooms` and get data {user: "node"};
 * serverSideEmit "ping-servers" is answered `pong-node-<n>`.
 */
export async function startStreamsNode(url, { rooms = ["room1"], window = 60_000 } = {}) {
  const pub = createClient({ url });
  pub.on("error", () => {});
  await pub.connect();
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pub),
    connectionStateRecovery: { maxDisconnectionDuration: window },
  });
  io.on("connection", (socket) => {
    if (!socket.recovered) {
      socket.join(rooms);
      socket.data = { user: "node" };
    }
  });
  io.on("ping-servers", (n, ack) => ack(`pong-node-${n}`));
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const port = http.address().port;
  return {
    io,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise((r) => io.close(() => r()));
      await pub.quit().catch(() => {});
    },
  };
}
