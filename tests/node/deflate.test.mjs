// permessage-deflate is not supported (see README "permessage-deflate"): a client that
// offers it gets no Sec-WebSocket-Extensions in the 101, so it stays uncompressed, and
// large messages go through intact both ways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startServer, connect, callAll, once } from "./helpers.mjs";

let server;
before(async () => { server = await startServer("e2e"); });
after(() => server?.close());

test("an offered permessage-deflate is not negotiated", async () => {
  const ws = new WebSocket(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", {
    perMessageDeflate: { threshold: 0 },
  });
  const upgraded = once(ws, "upgrade");
  const opened = once(ws, "open");
  const [res] = await upgraded;
  assert.equal(res.headers["sec-websocket-extensions"], undefined);
  await opened;
  assert.equal(ws.extensions, "", "ws agreed on no extension");
  ws.close();
});

test("socket.io-client (which offers the extension) exchanges large messages intact", async () => {
  const { socket } = await connect(server.url, "/", { transports: ["websocket"], perMessageDeflate: { threshold: 0 } });
  try {
    const big = "roomcast ".repeat(50_000);
    const [back] = await callAll(socket, "echo", big);
    assert.equal(back, big);
  } finally {
    socket.close();
  }
});
