// Redis killed for OUTAGE_SECONDS (default 30) under a roomcast node and a Node node with
// clients on both: nothing crashes, local delivery and acks continue, cross-node publishes
// fail with logged, counted errors, cluster requests answer with what they have (and say
// so), and cross-node delivery resumes by itself once Redis is back on the same port.
// Startup with Redis down is a clear error, not a hang.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis, startRoomcast, startNodeNode, client, ctl, eventually, freePort } from "./harness.mjs";

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 30) * 1000;

test("startup with Redis down fails at once with a clear error", async () => {
  const port = await freePort();
  await assert.rejects(startRoomcast(`redis://127.0.0.1:${port}`), (e) => {
    assert.match(e.message, /exited \(2\).*cannot start: .*redis.*cannot reach Redis/s);
    return true;
  });
});

test(`a ${OUTAGE_MS / 1000} s Redis outage: nodes survive, local service continues, the cluster heals`, { timeout: OUTAGE_MS + 120_000 }, async () => {
  let redis = await startRedis();
  const rc = await startRoomcast(redis.url, { env: { REQUEST_TIMEOUT: "1000" } });
  const nd = await startNodeNode(redis.url);
  // node-redis's default offline queue rejects after its own timeouts; the adapter does not
  // catch those (the samples' finding), so the Node node needs this to survive at all.
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const ctlSock = await client(rc.url);
  const rcA = await client(rc.url);
  const ndA = await client(nd.url);
  try {
    await eventually(async () => (await nd.io.of("/").adapter.serverCount()) === 2, "two servers");
    await ctl(ctlSock, "emit", { event: "before", to: ["room1"] }, 0);
    await ndA.log.next("before");

    await redis.stop();
    const t0 = Date.now();
    let i = 0;
    while (Date.now() - t0 < OUTAGE_MS) {
      i += 1;
      // Local delivery and acks on the roomcast node keep working.
      await ctl(ctlSock, "emit", { event: "during", to: ["room1"] }, i);
      assert.deepEqual(await rcA.log.next("during"), [i]);
      rcA.socket.removeAllListeners("ask");
      rcA.socket.on("ask", (n, ack) => ack(n));
      const acked = await ctl(ctlSock, "emitWithAck", { event: "ask", to: [rcA.id], timeout: 3000 }, i);
      assert.deepEqual(acked, { timedOut: false, replies: [i] });
      // A cluster request answers with the local part and says it is partial.
      const f = await ctl(ctlSock, "fetchSockets", {});
      assert.equal(f.complete, false);
      assert.ok(f.sockets.some((s) => s.id === rcA.id));
      assert.ok(rc.alive(), "the roomcast node died");
      await new Promise((r) => setTimeout(r, 1000));
    }
    const stats = await ctl(ctlSock, "stats");
    assert.ok(stats.publishErrors >= i, `publish errors counted: ${JSON.stringify(stats)}`);
    assert.equal(stats.subscribed, false);
    assert.equal(ndA.log.all("during").length, 0, "nothing crossed while Redis was down");

    redis = await startRedis(redis.port);
    // Cross-node delivery resumes in both directions once both nodes resubscribed.
    await eventually(async () => (await ctl(ctlSock, "stats")).subscribed, "roomcast resubscribed", 30_000);
    await eventually(async () => {
      try { return (await nd.io.of("/").adapter.serverCount()) === 2; } catch { return false; }
    }, "both nodes subscribed again", 30_000);
    await ctl(ctlSock, "emit", { event: "after", to: ["room1"] }, 1);
    assert.deepEqual(await ndA.log.next("after", 10_000), [1]);
    nd.io.to("room1").emit("after-node", 2);
    assert.deepEqual(await rcA.log.next("after-node", 10_000), [2]);
    const f = await ctl(ctlSock, "fetchSockets", {});
    assert.equal(f.complete, true);
    assert.ok(f.sockets.some((s) => s.id === ndA.id));
    assert.ok((await ctl(ctlSock, "stats")).reconnects >= 1);
    assert.ok(rc.alive());
    assert.match(rc.stderr(), /redis: subscription connection lost/);
    assert.match(rc.stderr(), /redis: subscriber reconnected, \d+ subscription\(s\) restored/);
    assert.match(rc.stderr(), /cross-node publish\(es\) failed/);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    for (const c of [ctlSock, rcA, ndA]) c.socket.close();
    await nd.close();
    rc.close();
    await redis.stop();
  }
});
