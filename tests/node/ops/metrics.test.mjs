// Prometheus metrics end to end, for the Rust chat example and the C one: each serves
// /metrics (METRICS_PATH) in the text format 0.0.4; real socket.io-clients connect over
// polling, WebSocket and with the upgrade, chat, and leave for two different reasons; the
// scraped numbers move exactly as they must. SIGUSR1 makes each chat print its host
// snapshot call (Rust `Server::metrics`, C `roomcast_server_metrics`) as JSON, which must
// agree with the scrape.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { io } from "socket.io-client";
import { startServer, record, eventually, closeAll, ROOT } from "../helpers.mjs";

const hosts = [["rust chat", "chat"], ["c chat", "../../c/chat"]];
for (const [host, bin] of hosts) describe(host, () => suite(bin));

/** Parses the Prometheus text format into { "name{labels}": value }, checking its shape. */
export function parseProm(text) {
  const values = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    values[m[1]] = Number(m[2]);
  }
  return values;
}

function suite(bin) {
  let server, url;
  const stdoutLines = [];
  before(async () => {
    server = await startServer(bin, { METRICS_PATH: "/metrics", ROOMCAST_EXAMPLES: path.join(ROOT, "examples") });
    url = `http://127.0.0.1:${server.port}`;
    server.proc.stdout.on("data", (d) => stdoutLines.push(...String(d).split("\n")));
  });
  after(() => server?.close());

  async function scrape() {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return parseProm(await res.text());
  }

  /** The host's snapshot call, printed by the chat on SIGUSR1. */
  async function snapshot() {
    const before = stdoutLines.length;
    server.proc.kill("SIGUSR1");
    let line;
    await eventually(() => (line = stdoutLines.slice(before).find((l) => l.startsWith("metrics: "))), "metrics line");
    return JSON.parse(line.slice("metrics: ".length));
  }

  function client(opts) {
    const socket = io(url, { forceNew: true, reconnection: false, ...opts });
    return { socket, log: record(socket) };
  }
  const connected = (s) => new Promise((resolve, reject) => { s.once("connect", resolve); s.once("connect_error", reject); });

  test("the scrape and the snapshot follow connects, upgrades, events and disconnect reasons", async () => {
    const start = await scrape();
    assert.equal(start["roomcast_connects_total"], 0);
    assert.equal(start['roomcast_disconnects_total{reason="transport close"}'], 0);
    assert.equal(start["roomcast_handshake_duration_seconds_count"], 0);
    assert.equal(start['roomcast_handshake_duration_seconds_bucket{le="+Inf"}'], 0);

    const polling = client({ transports: ["polling"] });
    const ws = client({ transports: ["websocket"] });
    const upgrading = client({});
    const all = [polling.socket, ws.socket, upgrading.socket];
    try {
      await Promise.all(all.map(connected));
      await eventually(() => upgrading.socket.io.engine.transport.name === "websocket", "upgrade");
      let m;
      await eventually(async () => (m = await scrape())["roomcast_upgrades_total"] === 1, "upgrade counted");
      assert.equal(m["roomcast_connects_total"], 3);
      assert.equal(m['roomcast_sockets_connected{namespace="/"}'], 3);
      assert.equal(m['roomcast_engine_sessions{transport="polling"}'], 1);
      assert.equal(m['roomcast_engine_sessions{transport="websocket"}'], 2);
      assert.equal(m["roomcast_handshake_duration_seconds_count"], 3);
      assert.equal(m['roomcast_handshake_duration_seconds_bucket{le="+Inf"}'], 3);
      assert.ok(m["roomcast_handshake_duration_seconds_sum"] > 0);
      assert.ok(m["roomcast_received_bytes_total"] > 0);

      // Each one talks once; the chat relays it to the two others (a broadcast each).
      for (const c of [polling, ws, upgrading]) c.socket.emit("talk", "hello");
      for (const c of [polling, ws, upgrading]) for (let i = 0; i < 2; i++) await c.log.next("talk");
      const after = await scrape();
      assert.equal(after["roomcast_events_received_total"] - m["roomcast_events_received_total"], 3);
      assert.ok(after["roomcast_broadcasts_total"] - m["roomcast_broadcasts_total"] >= 3);
      assert.ok(after["roomcast_deliveries_total"] - m["roomcast_deliveries_total"] >= 6);
      assert.ok(after["roomcast_packets_sent_total"] - m["roomcast_packets_sent_total"] >= 6);
      assert.ok(after["roomcast_sent_bytes_total"] - m["roomcast_sent_bytes_total"] >= 6 * "hello".length);

      // Two leave, for two different reasons.
      polling.socket.disconnect(); // client namespace disconnect
      ws.socket.io.engine.close(); // transport close
      let gone;
      await eventually(async () => (gone = await scrape())['roomcast_sockets_connected{namespace="/"}'] === 1, "two left");
      assert.equal(gone['roomcast_disconnects_total{reason="client namespace disconnect"}'], 1);
      assert.equal(gone['roomcast_disconnects_total{reason="transport close"}'], 1);
      assert.equal(gone['roomcast_disconnects_total{reason="ping timeout"}'], 0);
      assert.equal(gone["roomcast_connects_total"], 3);

      // The host's snapshot call says the same.
      const snap = await snapshot();
      assert.equal(snap.connects, 3);
      assert.equal(snap.upgrades, 1);
      assert.deepEqual(snap.sockets, { "/": 1 });
      assert.equal(snap.disconnects["client namespace disconnect"], 1);
      assert.equal(snap.disconnects["transport close"], 1);
      assert.equal(snap.events_received, after["roomcast_events_received_total"]);
      assert.equal(snap.handshake_seconds.count, 3);
      assert.equal(snap.adapter_publish_errors, 0);
    } finally {
      closeAll(...all);
    }
  });

  test("other paths and methods are not the metrics", async () => {
    assert.equal((await fetch(`${url}/metrics`, { method: "POST" })).status, 405);
    assert.equal((await fetch(`${url}/metricsx`)).status, 404);
  });
}
