// roomcast behind Debian's nginx with the configuration README.md recommends
// (examples/nginx/roomcast.conf: Upgrade/Connection headers, timeouts above the ping
// interval, the /chat/ path prefix, two nodes with ip_hash). Real socket.io-clients connect
// through nginx over polling, over WebSocket and with the upgrade, and chat. A control run
// with round-robin instead of ip_hash shows that polling needs the sticky sessions.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { io } from "socket.io-client";
import { startServer, record, eventually, closeAll, ROOT, DEADLINE } from "../helpers.mjs";

/** A fresh directory under the OS temp dir, removed when the process exits. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const NGINX = process.env.NGINX || "/usr/sbin/nginx";
const conf = fs.readFileSync(path.join(ROOT, "examples/nginx/roomcast.conf"), "utf8");

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

/**
 * Starts nginx in the foreground with the recommended server block, rewritten only for
 * this run: the listen port, the upstream ports, and (for the control) no ip_hash.
 */
async function startNginx(backendPorts, { sticky = true } = {}) {
  const dir = tempDir("roomcast-nginx-");
  const port = await freePort();
  let site = conf
    .replace("listen 8080;", `listen 127.0.0.1:${port};`)
    .replace(/    server 127\.0\.0\.1:3000;\n    server 127\.0\.0\.1:3001;\n/,
      backendPorts.map((p) => `    server 127.0.0.1:${p};\n`).join(""));
  assert.ok(site.includes(`server 127.0.0.1:${backendPorts[0]};`), "upstream rewritten");
  if (!sticky) site = site.replace(/^\s*ip_hash;.*\n/m, "");
  fs.mkdirSync(path.join(dir, "tmp"));
  fs.writeFileSync(path.join(dir, "nginx.conf"), `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${site}
}
`);
  execFileSync(NGINX, ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "pipe" });
  const proc = spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  // Ready once it answers through to a backend.
  await eventually(async () => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/chat/socket.io/?EIO=4&transport=polling`);
      return r.status === 200;
    } catch {
      return false;
    }
  }, "nginx up");
  return {
    url: `http://127.0.0.1:${port}`,
    errors: () => fs.readFileSync(path.join(dir, "error.log"), "utf8"),
    close() { process.removeListener("exit", kill); kill(); },
  };
}

function client(url, opts) {
  const socket = io(url, { path: "/chat/socket.io/", forceNew: true, reconnection: false, ...opts });
  return { socket, log: record(socket) };
}

function outcome(socket) {
  return new Promise((resolve) => {
    socket.once("connect", () => resolve("connected"));
    socket.once("connect_error", (err) => resolve(`refused: ${err.message}`));
  });
}

test("README shows the nginx configuration the test uses", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  assert.ok(readme.includes(conf.trim()), "README.md embeds examples/nginx/roomcast.conf verbatim");
});

for (const nodes of [1, 2]) {
  describe(`${nodes} roomcast node(s) behind nginx${nodes > 1 ? " with ip_hash" : ""}`, () => {
    let servers = [];
    let nginx;
    before(async () => {
      servers = await Promise.all(Array.from({ length: nodes }, () => startServer("chat")));
      nginx = await startNginx(servers.map((s) => s.port));
    });
    after(() => {
      nginx?.close();
      for (const s of servers) s.close();
    });

    test("polling, websocket and upgraded clients connect through the prefix and chat", async () => {
      const polling = client(nginx.url, { transports: ["polling"] });
      const ws = client(nginx.url, { transports: ["websocket"] });
      const upgrading = client(nginx.url);
      try {
        assert.deepEqual(
          await Promise.all([outcome(polling.socket), outcome(ws.socket), outcome(upgrading.socket)]),
          ["connected", "connected", "connected"],
        );
        await eventually(() => upgrading.socket.io.engine.transport.name === "websocket", "upgrade through nginx");
        assert.equal(polling.socket.io.engine.transport.name, "polling");
        polling.socket.emit("talk", "from polling");
        ws.socket.emit("talk", "from websocket");
        upgrading.socket.emit("talk", "from upgraded");
        const heard = async (log) => [(await log.next("talk"))[0], (await log.next("talk"))[0]].sort();
        assert.deepEqual(await heard(polling.log), ["from upgraded", "from websocket"]);
        assert.deepEqual(await heard(ws.log), ["from polling", "from upgraded"]);
        assert.deepEqual(await heard(upgrading.log), ["from polling", "from websocket"]);
        // A long-poll held open across several round trips stays healthy through nginx.
        for (let i = 0; i < 5; i++) {
          ws.socket.emit("talk", `burst ${i}`);
          assert.equal((await polling.log.next("talk"))[0], `burst ${i}`);
        }
      } finally {
        closeAll(polling.socket, ws.socket, upgrading.socket);
      }
    });
  });
}

test("control: two nodes round-robin (no ip_hash) break polling sessions", async () => {
  const servers = await Promise.all([startServer("chat"), startServer("chat")]);
  const nginx = await startNginx(servers.map((s) => s.port), { sticky: false });
  try {
    // Round robin alternates nodes per request, so a polling session's second request
    // lands on a node that never saw its sid: connecting fails (or drops) every time.
    const results = [];
    for (let i = 0; i < 3; i++) {
      const c = client(nginx.url, { transports: ["polling"] });
      const first = await outcome(c.socket);
      let healthy = first === "connected";
      if (healthy) {
        // Connected by luck of ordering: the next polls must still fail.
        healthy = await new Promise((resolve) => {
          const t = setTimeout(() => resolve(true), 3000);
          c.socket.once("disconnect", () => { clearTimeout(t); resolve(false); });
          c.socket.emit("talk", "x");
        });
      }
      results.push(healthy);
      c.socket.close();
    }
    assert.deepEqual(results, [false, false, false]);
  } finally {
    nginx.close();
    for (const s of servers) s.close();
  }
}, { timeout: DEADLINE * 3 });
