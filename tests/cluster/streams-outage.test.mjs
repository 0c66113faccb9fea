// A Redis outage (STREAMS_OUTAGE_SECONDS, default 10) under two roomcast nodes on the
// streams adapter (REDIS_STREAMS=1, recovery on), clients on both: Redis is SIGKILLed and
// restarted empty on the same port. Every broadcast made on either node during the outage
// reaches every client once Redis is back, exactly once and in each node's order: appends
// are kept and retried, and the readers resume after the last entry they handled.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis, startRoomcast, client, ctl, eventually } from "./harness.mjs";

const OUTAGE_MS = Number(process.env.STREAMS_OUTAGE_SECONDS ?? 10) * 1000;
const STREAMS = { REDIS_STREAMS: "1", RECOVERY_MS: "60000" };

test(`a ${OUTAGE_MS / 1000} s Redis outage loses no broadcast of a streams cluster`, { timeout: OUTAGE_MS + 120_000 }, async () => {
  let redis = await startRedis();
  const a = await startRoomcast(redis.url, { env: STREAMS });
  const b = await startRoomcast(redis.url, { env: STREAMS });
  const ctlA = await client(a.url);
  const ctlB = await client(b.url);
  const onA = await client(a.url);
  const onB = await client(b.url);
  const news = (c) => c.log.all("news").map((n) => n[0]);
  try {
    await eventually(async () => (await ctl(ctlA, "serverCount")).count === 2, "two servers");
    await eventually(async () => {
      const ids = (await ctl(ctlA, "fetchSockets", { to: ["room1"] })).sockets.map((s) => s.id);
      return ids.includes(onA.id) && ids.includes(onB.id);
    }, "both clients in room1");
    await ctl(ctlA, "emit", { event: "news", to: ["room1"] }, "before");
    await eventually(() => news(onA).includes("before") && news(onB).includes("before"), "before");

    await redis.stop();
    const sent = [];
    const t0 = Date.now();
    for (let i = 1; Date.now() - t0 < OUTAGE_MS; i += 1) {
      for (const [name, c] of [["a", ctlA], ["b", ctlB]]) {
        const text = `${name}-${i}`;
        await ctl(c, "emit", { event: "news", to: ["room1"] }, text);
        sent.push(text);
      }
      assert.ok(a.alive() && b.alive(), "a node died");
      await new Promise((r) => setTimeout(r, 1000));
    }
    redis = await startRedis(redis.port);

    const want = ["before", ...sent];
    for (const [name, c] of [["A", onA], ["B", onB]]) {
      await eventually(() => want.every((t) => news(c).includes(t)), `everything on ${name}`, 45_000);
    }
    await ctl(ctlB, "emit", { event: "news", to: ["room1"] }, "after");
    for (const c of [onA, onB]) {
      await eventually(() => news(c).includes("after"), "after");
      const got = news(c);
      assert.equal(new Set(got).size, got.length, `no duplicates: ${got}`);
      for (const origin of ["a-", "b-"]) {
        const mine = got.filter((t) => t.startsWith(origin));
        assert.deepEqual(mine, sent.filter((t) => t.startsWith(origin)), `${origin} in order`);
      }
      const offsets = c.log.all("news").map((n) => n[1]);
      assert.ok(offsets.every((o) => /^\d+-\d+$/.test(o)), "every delivery carries its stream offset");
    }
    const stats = await ctl(ctlA, "stats");
    assert.ok(stats.reconnects >= 1, `reconnects counted: ${JSON.stringify(stats)}`);
  } finally {
    for (const c of [ctlA, ctlB, onA, onB]) c.socket.close();
    a.close();
    b.close();
    await redis.stop();
  }
});
