// Plain WebSocket clients (the `ws` module, as the seed's chat uses) and socket.io-client
// users chatting in one room (KPL) of a chat server: the Rust, Python, Node and C chat
// examples each serve `/ws/chat`. Imported by the tests, or run against a running chat:
//   node tests/node/plainws-scenario.mjs http://127.0.0.1:3000
// "X did not get Y" is checked by ordering: each client's queue is ordered and the server
// handles events in order, so what was sent to X before a later message arrives first.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { io } from "socket.io-client";

export { WebSocket, io };

/** How long any single wait may take (a hang guard, not a speed check). */
export const DEADLINE = 10_000;

/** `http://h:p` → `ws://h:p` + `path`. */
export function wsUrl(url, path) {
  return url.replace(/^http/, "ws") + path;
}

/**
 * Opens a plain WebSocket to `url` and records what it gets: `{ ws, texts, next(),
 * closed }`; `next()` resolves with the next message not yet taken (a string for text,
 * a Buffer for binary), `closed` with `{ code, reason }`. Resolves once open.
 */
export async function plainClient(url, options = {}) {
  const ws = new WebSocket(url, options);
  const texts = [];
  const waiters = [];
  let taken = 0;
  ws.on("message", (data, isBinary) => {
    texts.push(isBinary ? Buffer.from(data) : data.toString());
    for (const w of [...waiters]) w();
  });
  const closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on("error", () => {}); // the close event reports it
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${url} did not open`)), DEADLINE);
    ws.once("open", () => { clearTimeout(timer); resolve(); });
    ws.once("unexpected-response", (_req, res) => { clearTimeout(timer); reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, res })); });
    ws.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
  return {
    ws,
    texts,
    closed,
    next(ms = DEADLINE) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (taken >= texts.length) return false;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(texts[taken++]);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no message within ${ms} ms; got ${JSON.stringify(texts)}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
  };
}

/** A socket.io-client chat user in KPL: resolves once `allMessage` (the history) came. */
export async function chatUser(url) {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  const talk = [];
  const waiters = [];
  let taken = 0;
  // With connection state recovery on, each event ends with its offset: keep the first arg.
  socket.on("talk", (message) => { talk.push(message); for (const w of [...waiters]) w(); });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no allMessage")), DEADLINE);
    socket.once("allMessage", () => { clearTimeout(timer); resolve(); });
    socket.once("connect_error", (e) => { clearTimeout(timer); reject(e); });
  });
  return {
    socket,
    talk,
    nextTalk(ms = DEADLINE) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (taken >= talk.length) return false;
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(talk[taken++]);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no talk within ${ms} ms; got ${JSON.stringify(talk)}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
  };
}

/**
 * Two socket.io users (a, b) and two plain WebSocket users (p, q) in KPL: a plain text
 * reaches the others as `talk` / text, a `talk` reaches the plain users as text, nobody
 * gets their own message, and a plain user leaving does not disturb the rest.
 */
export async function plainChat(url) {
  const a = await chatUser(url);
  const b = await chatUser(url);
  const p = await plainClient(wsUrl(url, "/ws/chat"));
  const q = await plainClient(wsUrl(url, "/ws/chat"));
  try {
    p.ws.send("我打野，不给就送");
    assert.equal(await a.nextTalk(), "我打野，不给就送");
    assert.equal(await b.nextTalk(), "我打野，不给就送");
    assert.equal(await q.next(), "我打野，不给就送");

    a.socket.emit("talk", "你买个石头骑在我头上他不香么");
    assert.equal(await b.nextTalk(), "你买个石头骑在我头上他不香么");
    assert.equal(await q.next(), "你买个石头骑在我头上他不香么");
    // p's first message is a's: its own text never came back to it.
    assert.equal(await p.next(), "你买个石头骑在我头上他不香么");

    p.ws.close(1000, "bye");
    assert.equal((await p.closed).code, 1000);
    q.ws.send("still here");
    assert.equal(await a.nextTalk(), "still here");
    assert.equal(await b.nextTalk(), "still here");
    b.socket.emit("talk", "gg");
    assert.equal(await a.nextTalk(), "gg");
    assert.equal(await q.next(), "gg");
    // Exactly these, in this order: no presence counts or other Socket.IO-only events
    // (namespace-wide emits) reached the plain users, and a never got its own talk.
    assert.deepEqual(p.texts, ["你买个石头骑在我头上他不香么"]);
    assert.deepEqual(q.texts, ["我打野，不给就送", "你买个石头骑在我头上他不香么", "gg"]);
    assert.deepEqual(a.talk, ["我打野，不给就送", "still here", "gg"]);
    assert.deepEqual(b.talk, ["我打野，不给就送", "你买个石头骑在我头上他不香么", "still here"]);
  } finally {
    for (const c of [p, q]) c.ws.terminate();
    for (const u of [a, b]) u.socket.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.argv[2];
  if (!url) {
    console.error("usage: node plainws-scenario.mjs http://127.0.0.1:<port>");
    process.exit(2);
  }
  plainChat(url).then(
    () => { console.log("plain chat ok"); process.exit(0); },
    (e) => { console.error(e); process.exit(1); },
  );
}
