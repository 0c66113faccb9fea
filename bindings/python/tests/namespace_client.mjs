// A real socket.io-client for test_dropin.py: connects to <url>/chat with auth, joins a
// room, reads its session back, and prints one JSON line per step (and per message event).
//   node namespace_client.mjs <url> <name> <room> [websocket|polling]
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../../tests/node/package.json"));
const { io } = require("socket.io-client");

const [url, name, room, transport] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const socket = io(`${url}/chat`, {
  reconnection: false,
  transports: [transport || "polling", "websocket"].filter((t, i, a) => a.indexOf(t) === i),
  auth: { token: "ok", name },
});
socket.on("joined", (msg) => say({ step: "joined", msg }));
socket.on("connect_error", (e) => { say({ step: "error", message: e.message }); process.exit(1); });
socket.on("connect", async () => {
  const rooms = await socket.timeout(10000).emitWithAck("join", room);
  say({ step: "join-ack", rooms });
  const session = await socket.timeout(10000).emitWithAck("whoami");
  say({ step: "session", session });
});
socket.on("message", (...args) => say({ step: "message", args }));
setTimeout(() => { say({ step: "timeout" }); process.exit(1); }, 30000);
