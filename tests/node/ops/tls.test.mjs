// TLS end to end, for the Rust chat example and the C one (examples/c/chat.c, through
// roomcast_config_set_tls / roomcast_server_reload_tls): each serves https / wss from TLS_CERT / TLS_KEY (a
// throwaway CA made here with openssl); the real socket.io-client, given that CA, chats
// over polling, over WebSocket, and upgrades; a client without the CA is refused; SIGHUP
// swaps in a new certificate while connected clients stay up.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import https from "node:https";
import { io } from "socket.io-client";
import { startServer, record, once, eventually, closeAll, DEADLINE, ROOT } from "../helpers.mjs";
import { makeCerts, tempDir } from "./certs.mjs";

// The C chat is built by scripts/test-c.sh (and by scripts/test-ops.sh when missing).
const hosts = [["rust chat", "chat"], ["c chat", "../../c/chat"]];
for (const [host, bin] of hosts) describe(host, () => suite(bin));

function suite(bin) {
const dir = tempDir("roomcast-tls-");
const first = makeCerts(dir, "one");
const second = makeCerts(dir, "two");
// The chat reads these paths at start and again at each SIGHUP.
const certPath = `${dir}/live-cert.pem`;
const keyPath = `${dir}/live-key.pem`;
fs.copyFileSync(first.cert, certPath);
fs.copyFileSync(first.key, keyPath);

let server, url;
const stdoutLines = [];
before(async () => {
  server = await startServer(bin, {
    TLS_CERT: certPath,
    TLS_KEY: keyPath,
    ROOMCAST_EXAMPLES: path.join(ROOT, "examples"),
  });
  url = `https://localhost:${server.port}`;
  server.proc.stdout.on("data", (d) => stdoutLines.push(...String(d).split("\n")));
});
after(() => server?.close());

function client(opts) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  return { socket, log: record(socket) };
}

async function connected(socket) {
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/** GET over https with `ca`; resolves with the status and body. */
function get(path, ca) {
  return new Promise((resolve, reject) => {
    https.get(`${url}${path}`, { ca }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    }).on("error", reject);
  });
}

test("the page and the Engine.IO handshake are served over https", async () => {
  const page = await get("/", first.ca);
  assert.equal(page.status, 200);
  assert.match(page.body, /<html/i);
  const hs = await get("/socket.io/?EIO=4&transport=polling", first.ca);
  assert.equal(hs.status, 200);
  assert.match(hs.body, /^0\{"sid":/);
});

test("polling, websocket and an upgraded client chat over TLS", async () => {
  const polling = client({ ca: first.ca, transports: ["polling"] });
  const ws = client({ ca: first.ca, transports: ["websocket"] });
  const upgrading = client({ ca: first.ca });
  try {
    await Promise.all([connected(polling.socket), connected(ws.socket), connected(upgrading.socket)]);
    await eventually(() => upgrading.socket.io.engine.transport.name === "websocket", "upgrade to websocket");
    assert.equal(polling.socket.io.engine.transport.name, "polling");
    assert.equal(ws.socket.io.engine.transport.name, "websocket");
    // Each one's `talk` reaches the two others, whatever their transport.
    polling.socket.emit("talk", "from polling");
    ws.socket.emit("talk", "from websocket");
    upgrading.socket.emit("talk", "from upgraded");
    const heard = async (log, n) => {
      const got = [];
      for (let i = 0; i < n; i++) got.push((await log.next("talk"))[0]);
      return got.sort();
    };
    assert.deepEqual(await heard(polling.log, 2), ["from upgraded", "from websocket"]);
    assert.deepEqual(await heard(ws.log, 2), ["from polling", "from upgraded"]);
    assert.deepEqual(await heard(upgrading.log, 2), ["from polling", "from websocket"]);
  } finally {
    closeAll(polling.socket, ws.socket, upgrading.socket);
  }
});

test("a client that does not trust the CA is refused", async () => {
  for (const transports of [["polling"], ["websocket"]]) {
    const c = client({ ca: second.ca, transports });
    try {
      const [err] = await once(c.socket, "connect_error");
      assert.ok(err instanceof Error, `${transports}: connect_error carries an error`);
      assert.equal(c.socket.connected, false);
    } finally {
      c.socket.close();
    }
  }
});

test("SIGHUP reloads the certificate; open connections stay up", async () => {
  const old = client({ ca: first.ca, transports: ["websocket"] });
  const other = client({ ca: first.ca, transports: ["websocket"] });
  try {
    await Promise.all([connected(old.socket), connected(other.socket)]);
    fs.copyFileSync(second.cert, certPath);
    fs.copyFileSync(second.key, keyPath);
    server.proc.kill("SIGHUP");
    await eventually(() => stdoutLines.includes("tls: certificate reloaded"), "reload message", DEADLINE);
    // New connections get the new certificate: the new CA works, the old one no longer does.
    const fresh = client({ ca: second.ca, transports: ["websocket"] });
    try {
      await connected(fresh.socket);
      const stale = client({ ca: first.ca, transports: ["websocket"] });
      const [err] = await once(stale.socket, "connect_error");
      assert.ok(err instanceof Error);
      stale.socket.close();
      // The connection made before the reload still chats.
      old.socket.emit("talk", "still here");
      assert.equal((await other.log.next("talk"))[0], "still here");
      assert.equal((await fresh.log.next("talk"))[0], "still here");
    } finally {
      fresh.socket.close();
    }
    // A broken certificate is refused and the current one keeps serving.
    fs.writeFileSync(certPath, "not a certificate\n");
    server.proc.kill("SIGHUP");
    await eventually(() => stdoutLines.length && server.stderr().includes("tls: reload failed"), "refused reload");
    const again = client({ ca: second.ca, transports: ["polling"] });
    await connected(again.socket);
    again.socket.close();
  } finally {
    closeAll(old.socket, other.socket);
  }
});
}
