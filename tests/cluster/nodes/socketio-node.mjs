// A real Node socket.io node (@socket.io/redis-adapter 8.3, see ../harness.mjs
// startNodeNode) for tests in other languages: REDIS_URL names the Redis (SHARDED=1:
// createShardedAdapter, subscriptionMode "dynamic"); it prints
// "listening on http://127.0.0.1:<port>" and answers "ctl" events of its own clients so a
// test can look at the cluster from the Node side:
//   ctl("fetch")        -> fetchSockets(): [{id, data, rooms}]
//   ctl("count")        -> adapter.serverCount()
//   ctl("sse-ack", n)   -> serverSideEmitWithAck("ping-servers", n)
//   ctl("notes")        -> server-side emits received ([{nsp, event?, args}])
//   ctl("rooms-of", id) -> rooms of local socket `id`
//   ctl("join-all", room) -> io.socketsJoin(room) (every node's sockets), then true
import { startNodeNode } from "../harness.mjs";

const nd = await startNodeNode(process.env.REDIS_URL, process.env.SHARDED === "1" ? { sharded: true } : {});
nd.io.on("connection", (socket) => {
  socket.on("ctl", async (op, arg, ack) => {
    try {
      switch (op) {
        case "fetch":
          return ack((await nd.io.fetchSockets()).map((s) => ({ id: s.id, data: s.data, rooms: [...s.rooms] })));
        case "count":
          return ack(await nd.io.of("/").adapter.serverCount());
        case "sse-ack":
          return ack(await nd.io.serverSideEmitWithAck("ping-servers", arg));
        case "notes":
          return ack(nd.sse);
        case "join-all":
          nd.io.socketsJoin(arg);
          return ack(true);
        case "rooms-of":
          return ack([...(nd.io.of("/").adapter.sids.get(arg) ?? [])]);
        default:
          return ack({ error: `unknown op ${op}` });
      }
    } catch (e) {
      ack({ error: String(e) });
    }
  });
});
console.log(`listening on ${nd.url}`);
process.on("SIGTERM", async () => { await nd.close(); process.exit(0); });
