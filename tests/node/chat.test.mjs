// The chat contract end to end with three clients, against examples/rust/chat.rs.
// "X did not get Y" is checked by ordering: the server handles events in order and each
// socket's queue is ordered, so nothing sent before a later event can arrive after it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, closeAll, record } from "./helpers.mjs";
import { io } from "socket.io-client";

let server;
before(async () => { server = await startServer("chat"); });
after(() => server?.close());

/**
 * A chat client (the chat server sends no `welcome`); resolves once `allMessage` arrived.
 * The chat turns connection state recovery on, so every event carries an offset last: the
 * log takes it off (and `log.withoutOffset` lists events that had none).
 */
async function join() {
  const socket = io(server.url, { forceNew: true, reconnection: false });
  const log = record(socket, { offsets: true });
  const [history] = await log.next("allMessage");
  return { socket, log, history };
}

/** Events named `name` that `log` saw before the `n`-th occurrence of `until`. */
function before_(log, name, until, n = 1) {
  const out = [];
  let seen = 0;
  for (const e of log.seen) {
    if (e.event === until && ++seen === n) break;
    if (e.event === name) out.push(e.args);
  }
  return out;
}

test("serves the chat page and the socket.io-client bundle", async () => {
  const page = await fetch(server.url + "/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script src="\/socket.io\/socket.io.min.js">/);
  const bundle = await fetch(server.url + "/socket.io/socket.io.min.js");
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get("content-type"), /javascript/);
  assert.ok((await bundle.text()).length > 10_000);
});

test("three clients chat: names, history, messages, talk, online and leaving", async () => {
  const a = await join();
  const b = await join();
  let c;
  try {
    assert.deepEqual(a.history, []);
    assert.deepEqual(b.history, []);
    // online follows the number of connected sockets.
    assert.deepEqual(await a.log.next("online"), [1]);
    assert.deepEqual(await a.log.next("online"), [2]);
    assert.deepEqual(await b.log.next("online"), [2]);

    // user-name tells everyone else.
    a.socket.emit("user-name", "alice");
    assert.deepEqual(await b.log.next("globalMsg"), ["alice joined"]);
    b.socket.emit("user-name", "bob");
    assert.deepEqual(await a.log.next("globalMsg"), ["bob joined"]);

    // sendMessage goes to everyone, the sender included, and into the history.
    a.socket.emit("sendMessage", { name: "alice", message: "hi all" });
    assert.deepEqual(await a.log.next("newMessage"), [{ name: "alice", message: "hi all" }]);
    assert.deepEqual(await b.log.next("newMessage"), [{ name: "alice", message: "hi all" }]);
    assert.deepEqual(before_(a.log, "globalMsg", "newMessage"), [["bob joined"]], "alice never hears her own join");

    // talk goes to the others in KPL, not back to the sender.
    a.socket.emit("talk", "psst");
    assert.deepEqual(await b.log.next("talk"), ["psst"]);
    a.socket.emit("sendMessage", { name: "alice", message: "second" });
    await a.log.next("newMessage");
    assert.deepEqual(a.log.all("talk"), [], "the sender does not get its own talk");

    // A newcomer gets the history so far, and everyone sees the count go up.
    c = await join();
    assert.deepEqual(c.history, [{ name: "alice", message: "hi all" }, { name: "alice", message: "second" }]);
    assert.deepEqual(await c.log.next("online"), [3]);
    assert.deepEqual(await a.log.next("online"), [3]);
    c.socket.emit("talk", "from c");
    assert.deepEqual(await a.log.next("talk"), ["from c"]);
    assert.deepEqual(await b.log.next("talk"), ["from c"]);

    // Leaving: a named socket is announced, the count drops for those who stay.
    b.socket.disconnect();
    assert.deepEqual(await a.log.next("globalMsg"), ["bob left"]);
    assert.deepEqual(await c.log.next("globalMsg"), ["bob left"]);
    assert.deepEqual(await a.log.next("online"), [2]);
    // c never gave a name: it leaves silently, only the count changes.
    c.socket.disconnect();
    assert.deepEqual(await a.log.next("online"), [1]);
    a.socket.emit("sendMessage", { name: "alice", message: "alone" });
    await a.log.next("newMessage");
    assert.deepEqual(a.log.all("globalMsg"), [["bob joined"], ["bob left"]]);
    for (const x of [a, b, c]) assert.deepEqual(x.log.withoutOffset, [], "every event carries its offset");
  } finally {
    closeAll(a.socket, b.socket, c?.socket);
  }
});

test("a tab whose connection drops keeps its name and place in KPL and gets the talks it missed", async () => {
  const a = await join();
  const b = await join();
  try {
    a.socket.emit("user-name", "alice");
    await b.log.next("globalMsg");
    b.socket.emit("talk", "first");
    assert.deepEqual(await a.log.next("talk"), ["first"]);
    const sid = a.socket.id;
    a.socket.io.engine.close();
    assert.deepEqual(await b.log.next("globalMsg"), ["alice left"]);
    b.socket.emit("talk", "while away 1");
    b.socket.emit("talk", "while away 2");
    b.socket.emit("sendMessage", { name: "bob", message: "you missed this" });
    await b.log.next("newMessage");
    const back = new Promise((resolve) => a.socket.once("connect", resolve));
    a.socket.connect();
    await back;
    assert.deepEqual(await b.log.next("globalMsg"), ["alice is back"]);
    assert.equal(a.socket.recovered, true);
    assert.equal(a.socket.id, sid);
    b.socket.emit("talk", "welcome back");
    assert.deepEqual(await a.log.next("talk"), ["while away 1"]);
    assert.deepEqual(await a.log.next("talk"), ["while away 2"]);
    assert.deepEqual(await a.log.next("talk"), ["welcome back"]);
    assert.deepEqual(a.log.all("newMessage"), [[{ name: "bob", message: "you missed this" }]]);
    assert.equal(a.log.all("allMessage").length, 1, "no second history after a recovery");
  } finally {
    closeAll(a.socket, b.socket);
  }
});
