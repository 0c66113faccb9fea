// Every connection is bounded in time: idle sockets, idle keep-alive, trickled headers,
// a polling body that never ends, and a peer that stops reading are all closed, and the
// server gives their file descriptors back. The deadlines are set short here (0.5-1 s);
// each check waits up to DEADLINE, which only turns a hang into a failure.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, call, eventually, disconnectOf, closeAll, rawTcp, closedWithin, fdCount, DEADLINE, rawClient } from "./helpers.mjs";

let server, observer;
before(async () => {
  server = await startServer("e2e", {
    HEADER_TIMEOUT: "500",
    BODY_TIMEOUT: "500",
    WRITE_TIMEOUT: "1000",
    MAX_BUFFERED_BYTES: String(64 << 20),
  });
  observer = (await connect(server.url)).socket;
});
after(() => {
  closeAll(observer);
  server?.close();
});

test("an idle TCP connection that sends nothing is closed", async () => {
  const c = await rawTcp(server.port);
  assert.equal(await closedWithin(c.closed, DEADLINE), "closed");
});

test("a keep-alive connection left idle after a response is closed", async () => {
  const c = await rawTcp(server.port);
  c.sock.write("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n");
  await eventually(() => c.data().includes("\r\n\r\n"), "the response");
  assert.match(c.data(), /^HTTP\/1\.1 404/);
  assert.equal(await closedWithin(c.closed, DEADLINE), "closed");
});

test("headers trickled byte by byte are cut off", async () => {
  const c = await rawTcp(server.port);
  const header = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(10_000);
  let i = 0;
  const drip = setInterval(() => { if (!c.sock.destroyed) c.sock.write(header[i++ % header.length]); }, 50);
  try {
    assert.equal(await closedWithin(c.closed, DEADLINE), "closed");
    assert.ok(!c.data().includes("200 OK"), "no request was served");
  } finally {
    clearInterval(drip);
    c.sock.destroy();
  }
});

test("a polling POST whose chunked body never ends gets 408 and its session is closed", async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
  const sid = JSON.parse((await res.text()).slice(1)).sid;
  const c = await rawTcp(server.port);
  c.sock.write(
    `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n` +
      "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n40\r\n",
  );
  await eventually(() => c.data().includes("\r\n\r\n"), "an answer to the endless body");
  assert.match(c.data(), /^HTTP\/1\.1 408/);
  assert.equal(await closedWithin(c.closed, DEADLINE), "closed");
  // The session went with it: its sid is unknown now.
  const after = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(after.status, 400);
  assert.deepEqual(await after.json(), { code: 1, message: "Session ID unknown" });
});

test("a WebSocket client that stops reading is dropped and its socket released at once", async () => {
  const fdsBefore = fdCount(server.proc.pid);
  const { ws, sid } = await rawClient(server.port);
  // Stop reading, then ask for 40 MB: the kernel buffers fill, the writer makes no
  // progress for WRITE_TIMEOUT, and the server drops the client (under the byte bound).
  ws._socket.pause();
  ws.send('42["burst",4000,10000]');
  const gone = await disconnectOf(observer, sid);
  assert.equal(gone.reason, "slow consumer");
  await eventually(() => fdCount(server.proc.pid) <= fdsBefore, `server fds back to ${fdsBefore}`);
  ws.terminate();
  assert.equal(await call(observer, "echo", "still fine"), "still fine");
});
