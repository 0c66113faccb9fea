// The C log callback (tests/c/log_test.c) with real socket.io-clients: nothing while the
// filter is off (the default), then a socket's connect and disconnect records with their
// sid, nsp, transport and reason fields.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startC, connect, call } from "./harness.mjs";

let server;
const open = [];
before(async () => { server = await startC("log_test"); });
after(() => { for (const s of open) s.close(); server.kill(); });

test("log callback: off by default, then lifecycle records with stable fields", async () => {
  const a = await connect(server.url);
  open.push(a.socket);
  // A whole client lifecycle with the filter off: no record.
  const quiet = await connect(server.url);
  quiet.socket.disconnect();
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await call(a.socket, "count"), [0]);

  await call(a.socket, "on");
  const b = await connect(server.url, "/", { transports: ["websocket"] });
  const sid = b.socket.id;
  b.socket.disconnect();
  const [connected, gone] = await call(a.socket, "find", sid);
  assert.ok(connected, "a connect record");
  assert.equal(connected.sid, sid);
  assert.equal(connected.nsp, "/");
  assert.equal(connected.transport, "websocket");
  assert.ok(gone, "a disconnect record");
  assert.equal(gone.sid, sid);
  assert.equal(gone.nsp, "/");
  assert.equal(gone.reason, "client namespace disconnect");

  a.socket.emit("quit");
  const { code, stdout, stderr } = await server.exit;
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  assert.match(stdout, /done: 0 failures/);
});
