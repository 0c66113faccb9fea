// A real socket.io-client for test_recovery.py (python-socketio has no connection state
// recovery). Prints one JSON line per step; reconnects when a line arrives on stdin.
//   node recovery_client.mjs <url>
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../../tests/node/package.json"));
const { io } = require("socket.io-client");

const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const socket = io(process.argv[2], { reconnection: false, transports: ["websocket"] });
const news = [];
socket.on("connect", () => say({ step: "connect", id: socket.id, recovered: socket.recovered }));
socket.on("connect_error", (e) => say({ step: "error", message: e.message }));
socket.on("news", (...args) => {
  news.push(args);
  if (args[0] === "before") {
    socket.io.engine.close();
    say({ step: "dropped" });
  } else if (args[0] === "after") {
    say({ step: "done", news });
    socket.close();
    process.exit(0);
  }
});
createInterface({ input: process.stdin }).on("line", () => socket.connect());
setTimeout(() => { say({ step: "timeout", news }); process.exit(1); }, 20000);
