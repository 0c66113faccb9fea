// The admin UI on the chat programs of the Rust host API and the C ABI, turned on by
// configuration (ADMIN_UI_PASSWORD: Config::admin_ui in Rust, roomcast_config_set_admin_ui
// in C), driven as the @socket.io/admin-ui dashboard does (see dashboard.mjs); plus the
// read-only and production modes and a refused bad hash.

import { describe, before, after, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startServer, closeAll, eventually, ROOT } from "../helpers.mjs";
import { dashboardSuite, dashboard, chatClient, nextMatching, PASSWORD, PASSWORD_HASH } from "./dashboard.mjs";

const ADMIN = { ADMIN_UI_PASSWORD: PASSWORD_HASH };
const EXAMPLES = path.join(ROOT, "examples");
const hosts = [["rust chat", "chat"], ["c chat", "../../c/chat"]];

for (const [host, bin] of hosts) {
  describe(`${host}: admin UI`, () => {
    let srv;
    before(async () => { srv = await startServer(bin, { ...ADMIN, ROOMCAST_EXAMPLES: EXAMPLES }); });
    after(() => srv?.close());
    dashboardSuite(() => srv);
  });

  describe(`${host}: read-only, production mode`, () => {
    let srv;
    before(async () => {
      srv = await startServer(bin, { ...ADMIN, ROOMCAST_EXAMPLES: EXAMPLES, ADMIN_UI_READONLY: "1", ADMIN_UI_MODE: "production", ADMIN_UI_SERVER_ID: "node-a" });
    });
    after(() => srv?.close());

    test("config offers no action and no per-event stream; actions are ignored; stats still flow", async () => {
      const admin = await dashboard(srv.url, { username: "admin", password: PASSWORD });
      let client;
      try {
        const [config] = await admin.log.next("config");
        assert.deepEqual(config.supportedFeatures, ["AGGREGATED_EVENTS"]);
        client = await chatClient(srv.url);
        const [stats] = await nextMatching(admin.log, "server_stats", (s) => s.namespaces.some((n) => n.name === "/" && n.socketsCount === 1));
        assert.equal(stats.serverId, "node-a");
        // Production mode: the connections are counted (aggregatedEvents), never listed.
        const charted = (type) => admin.log.all("server_stats").some(([s]) => s.aggregatedEvents.some((e) => e.type === type && e.count >= 1));
        await eventually(() => charted("rawConnection"), "rawConnection counted");
        client.socket.emit("talk", { message: "counted, not shown", binary: false });
        await eventually(() => charted("packetsIn"), "packetsIn counted");
        admin.socket.emit("_disconnect", "/", false, client.socket.id);
        // Two more stats rounds later the client is still connected: the action was refused.
        await admin.log.next("server_stats");
        await admin.log.next("server_stats");
        assert.equal(client.socket.connected, true);
        for (const ev of ["all_sockets", "socket_connected", "room_joined", "event_received", "event_sent"]) {
          assert.deepEqual(admin.log.all(ev), [], `no ${ev} in production mode`);
        }
      } finally {
        closeAll(admin.socket, client?.socket);
      }
    });
  });
}

describe("c chat: a bad hash is refused by name", () => {
  test("roomcast_config_set_admin_ui fails with the option's name", async () => {
    await assert.rejects(startServer("../../c/chat", { ADMIN_UI_PASSWORD: "not-a-hash", ROOMCAST_EXAMPLES: EXAMPLES }), /admin_ui_password/);
  });
});
