// The real socket.io-client against a carried app: joins a room, echoes a binary through an
// ack, answers the first 'said' from Python with its own 'say', and prints one JSON line per
// step. node node_client.mjs <url> <path> <polling|websocket|upgrade> <room>
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../../../tests/node/package.json"));
const { io } = require("socket.io-client");

const [url, sioPath, mode, room] = process.argv.slice(2);
const transports = mode === "polling" ? ["polling"] : mode === "websocket" ? ["websocket"] : ["polling", "websocket"];
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const socket = io(url, { path: sioPath, reconnection: false, transports, auth: { name: "node" } });
socket.on("connect_error", (e) => { say({ step: "error", message: e.message }); process.exit(1); });
// The engine's first transport, and its upgrade whenever it comes.
socket.io.on("open", () => {
  say({ step: "open", transport: socket.io.engine.transport.name });
  socket.io.engine.on("upgrade", (t) => say({ step: "upgraded", transport: t.name }));
});
socket.on("connect", async () => {
  say({ step: "connect", transport: socket.io.engine.transport.name });
  if (mode === "upgrade" && socket.io.engine.transport.name !== "websocket") {
    await new Promise((r) => socket.io.engine.once("upgrade", r));
  }
  const rooms = await socket.timeout(10000).emitWithAck("join", room);
  const echoed = await socket.timeout(10000).emitWithAck("echo", Buffer.from([0, 1, 2, 255]));
  say({ step: "ready", rooms, echoed: Buffer.from(echoed).toString("hex") });
});
let answered = false;
socket.on("said", async (msg) => {
  say({ step: "said", msg });
  if (!answered) {
    answered = true;
    const ack = await socket.timeout(10000).emitWithAck("say", room, "from node");
    say({ step: "said-ack", ack });
  }
});
socket.on("shout", (data) => say({ step: "shout", data: Buffer.isBuffer(data) ? data.toString("hex") : data }));
socket.on("disconnect", (reason) => { say({ step: "disconnect", reason }); process.exit(0); });
setTimeout(() => { say({ step: "timeout" }); process.exit(1); }, 60000);
