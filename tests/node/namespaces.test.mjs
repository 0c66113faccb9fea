// Namespaces (static, dynamic, unknown), the auth payload and connect middleware.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startServer, connect, call, once, closeAll } from "./helpers.mjs";

let server;
before(async () => { server = await startServer("e2e"); });
after(() => server?.close());

test("the auth payload reaches the server", async () => {
  const { socket, welcome } = await connect(server.url, "/", { auth: { token: "abc", n: [1, 2] } });
  closeAll(socket);
  assert.deepEqual(welcome.auth, { token: "abc", n: [1, 2] });
});

test("no auth payload shows as an empty object", async () => {
  const { socket, welcome } = await connect(server.url);
  closeAll(socket);
  assert.deepEqual(welcome.auth, {});
});

test("a dynamic namespace matched by a glob accepts any matching name", async () => {
  for (const nsp of ["/dyn-a", "/dyn-42"]) {
    const { socket, welcome } = await connect(server.url, nsp);
    try {
      assert.equal(welcome.nsp, nsp);
      assert.equal(welcome.sid, socket.id);
      assert.deepEqual(await call(socket, "echo", `in ${nsp}`), `in ${nsp}`);
    } finally {
      closeAll(socket);
    }
  }
});

test("an unknown namespace gets `Invalid namespace` and the connection stays usable", async () => {
  const main = io(server.url, { forceNew: true, reconnection: false });
  const bad = main.io.socket("/nope");
  try {
    await once(main, "connect");
    bad.connect();
    const [err] = await once(bad, "connect_error");
    assert.equal(err.message, "Invalid namespace");
    assert.equal(err.data, undefined);
    assert.equal(await call(main, "echo", "still here"), "still here");
  } finally {
    closeAll(bad, main);
  }
});

test("several namespaces share one connection, each with its own socket id", async () => {
  const root = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  const dyn = root.io.socket("/dyn-multi");
  try {
    const welcomes = Promise.all([once(root, "welcome"), once(dyn, "welcome")]);
    dyn.connect();
    const [[w1], [w2]] = await welcomes;
    assert.equal(w1.nsp, "/");
    assert.equal(w2.nsp, "/dyn-multi");
    assert.notEqual(root.id, dyn.id);
    assert.equal(root.io.engine, dyn.io.engine, "one Engine.IO connection");
    // Rooms are per namespace: joining in one does not show in the other.
    await call(dyn, "join", "only-dyn");
    assert.ok((await call(dyn, "rooms")).includes("only-dyn"));
    assert.ok(!(await call(root, "rooms")).includes("only-dyn"));
    // Leaving one namespace keeps the other working.
    dyn.disconnect();
    assert.equal(await call(root, "echo", "ok"), "ok");
  } finally {
    closeAll(dyn, root);
  }
});

test("middleware rejects a wrong token with message and data", async () => {
  for (const auth of [{ token: "wrong" }, undefined]) {
    await assert.rejects(connect(server.url, "/admin", { auth }), (err) => {
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { code: 401 });
      return true;
    });
  }
});

test("middleware accepts the right token", async () => {
  const { socket, welcome } = await connect(server.url, "/admin", { auth: { token: "secret" } });
  try {
    assert.equal(welcome.nsp, "/admin");
    assert.deepEqual(welcome.auth, { token: "secret" });
    assert.equal(await call(socket, "echo", "admin"), "admin");
  } finally {
    closeAll(socket);
  }
});
