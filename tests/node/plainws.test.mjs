// Plain WebSocket routes end to end, with the real `ws` client and raw sockets: the chat
// (examples/rust/chat.rs, `/ws/chat` in KPL beside socket.io-client users), and the seed's
// echo server (examples/rust/ws_echo.rs) for echo, close codes, the check before the 101,
// bad frames, oversized messages and the WebSocket ping keepalive.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import http from "node:http";
import crypto from "node:crypto";
import { startServer } from "./helpers.mjs";
import { plainChat, plainClient, chatUser, wsUrl, DEADLINE } from "./plainws-scenario.mjs";

let chat;
let echo;
before(async () => {
  chat = await startServer("chat");
  echo = await startServer("ws-echo", { PING_INTERVAL: "300", PING_TIMEOUT: "300" });
});
after(() => { chat?.close(); echo?.close(); });

/**
 * A raw WebSocket client on a TCP socket: does the upgrade by hand, then writes frames
 * as given (so it can break the protocol) and parses the server's frames.
 */
async function rawClient(url, path) {
  const { port } = new URL(url);
  const sock = net.connect(Number(port), "127.0.0.1");
  const key = crypto.randomBytes(16).toString("base64");
  sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buf = Buffer.alloc(0);
  const frames = [];
  let upgraded = false;
  const ended = new Promise((resolve) => sock.once("close", resolve));
  const changed = [];
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      assert.match(buf.subarray(0, end).toString(), /^HTTP\/1.1 101/);
      upgraded = true;
      buf = buf.subarray(end + 4);
    }
    while (buf.length >= 2) {
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + len) break;
      frames.push({ opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len) });
      buf = buf.subarray(off + len);
    }
    for (const f of [...changed]) f();
  });
  sock.on("error", () => {});
  const until = (pred, what) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = pred();
      if (!hit) return false;
      changed.splice(changed.indexOf(check), 1);
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    const timer = setTimeout(() => { changed.splice(changed.indexOf(check), 1); reject(new Error(`no ${what}; frames ${JSON.stringify(frames.map((f) => f.opcode))}`)); }, DEADLINE);
    changed.push(check);
    check();
  });
  await until(() => upgraded, "101");
  return {
    sock,
    frames,
    ended,
    /** Sends one frame (masked unless `masked` is false). */
    send(opcode, payload, { masked = true, fin = true } = {}) {
      const mask = crypto.randomBytes(4);
      const head = Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | payload.length]);
      const body = Buffer.from(payload.map((b, i) => (masked ? b ^ mask[i % 4] : b)));
      sock.write(Buffer.concat(masked ? [head, mask, body] : [head, body]));
    },
    /** Resolves with `{ code, reason }` of the server's close frame. */
    async closeFrame() {
      const f = await until(() => frames.find((x) => x.opcode === 8), "close frame");
      return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
    },
    until,
  };
}

test("ws clients and socket.io-client users chat in KPL (Rust chat)", async () => {
  await plainChat(chat.url);
});

test("bad frames and oversized messages are refused; the others chat on", async () => {
  const a = await chatUser(chat.url);
  const p = await plainClient(wsUrl(chat.url, "/ws/chat"));
  try {
    // A text frame that is not UTF-8: 1007.
    const bad = await rawClient(chat.url, "/ws/chat");
    bad.send(0x1, Buffer.from([0x68, 0xff, 0xfe]));
    assert.equal((await bad.closeFrame()).code, 1007);
    await bad.ended;
    // A reserved opcode: 1002.
    const proto = await rawClient(chat.url, "/ws/chat");
    proto.send(0x3, Buffer.from("x"));
    assert.equal((await proto.closeFrame()).code, 1002);
    // An unmasked client frame: 1002.
    const unmasked = await rawClient(chat.url, "/ws/chat");
    unmasked.send(0x1, Buffer.from("hi"), { masked: false });
    assert.equal((await unmasked.closeFrame()).code, 1002);
    // More than max_payload (1e6 bytes): 1009, as the `ws` module closes.
    const big = await plainClient(wsUrl(chat.url, "/ws/chat"));
    big.ws.send("x".repeat(1_100_000));
    assert.equal((await big.closed).code, 1009);
    // Nobody else noticed: the chat goes on both ways, and none of that reached them.
    p.ws.send("after the storm");
    assert.equal(await a.nextTalk(), "after the storm");
    a.socket.emit("talk", "calm");
    assert.equal(await p.next(), "calm");
    assert.deepEqual(a.talk, ["after the storm"]);
    assert.deepEqual(p.texts, ["calm"]);
  } finally {
    p.ws.terminate();
    a.socket.close();
  }
});

test("the seed's echo server: ECHO: text, binary back, a close code from the host", async () => {
  const c = await plainClient(wsUrl(echo.url, "/test"));
  c.ws.send("Hello!");
  assert.equal(await c.next(), "ECHO: Hello!");
  c.ws.send(Buffer.from([1, 2, 3]));
  assert.deepEqual(await c.next(), Buffer.from([1, 2, 3]));
  c.ws.send("close me");
  assert.deepEqual(await c.closed, { code: 4000, reason: "asked" });
});

test("verify: refused before the 101 with the host's status, or greeted by cookie", async () => {
  await assert.rejects(plainClient(wsUrl(echo.url, "/ws/private")), (e) => e.status === 401);
  // The refusal is an HTTP answer to the upgrade request: the host's status and message.
  const refused = await new Promise((resolve, reject) => {
    const req = http.get(echo.url + "/ws/private", {
      headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": crypto.randomBytes(16).toString("base64"), "Sec-WebSocket-Version": "13" },
    });
    req.once("upgrade", () => reject(new Error("upgraded without the cookie")));
    req.once("response", (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.once("error", reject);
  });
  assert.deepEqual(refused, { status: 401, body: "Invalid user" });
  const ok = await plainClient(wsUrl(echo.url, "/ws/private"), { headers: { Cookie: "theme=dark; name=libai" } });
  assert.equal(await ok.next(), "hello libai");
  ok.ws.send("hi");
  assert.equal(await ok.next(), "ECHO: hi");
  ok.ws.close();
  // Not a WebSocket upgrade at all: 426, as the `ws` module's server answers.
  const plainGet = await fetch(echo.url + "/test");
  assert.equal(plainGet.status, 426);
});

test("ping keepalive: a client that answers pings stays, a dead one is closed", async () => {
  const live = await plainClient(wsUrl(echo.url, "/test"));
  let pings = 0;
  live.ws.on("ping", () => { pings += 1; });
  const dead = await rawClient(echo.url, "/test");
  // The raw client never answers: after a ping (300 ms) and the timeout (300 ms) the
  // server drops it without a close frame, as the `ws` module's terminate().
  await dead.until(() => dead.frames.some((f) => f.opcode === 9), "ping");
  await dead.ended;
  assert.equal(dead.frames.some((f) => f.opcode === 8), false);
  // Meanwhile the `ws` client answered its pings and is still served.
  await new Promise((resolve, reject) => {
    const guard = setTimeout(() => { clearInterval(t); reject(new Error(`only ${pings} pings`)); }, DEADLINE);
    const t = setInterval(() => { if (pings >= 3) { clearInterval(t); clearTimeout(guard); resolve(); } }, 50);
  });
  live.ws.send("still alive");
  assert.equal(await live.next(), "ECHO: still alive");
  live.ws.close();
});
