// Helpers of the resource-bound tests: raw TCP clients, and the server process's open
// file descriptors and resident memory read from /proc (Linux).
import net from "node:net";
import fs from "node:fs";
import WebSocket from "ws";
import { eventually } from "../node/helpers.mjs";
export { startServer, connect, call, once, eventually, disconnectOf, closeAll, DEADLINE } from "../node/helpers.mjs";

/** Open file descriptors of process `pid`. */
export const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** Resident memory of process `pid`, in MiB. */
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]) / 1024;
}

/**
 * A raw TCP connection to `port`: `data()` is everything received so far (text), `closed`
 * resolves when the server closes it (end or reset).
 */
export async function rawTcp(port) {
  const sock = net.connect(port, "127.0.0.1");
  let received = "";
  sock.on("data", (d) => { received += d.toString("latin1"); });
  const closed = new Promise((resolve) => {
    sock.on("close", resolve);
    sock.on("end", resolve);
    sock.on("error", resolve);
  });
  await new Promise((resolve, reject) => { sock.once("connect", resolve); sock.once("error", reject); });
  return { sock, data: () => received, closed };
}

/** Resolves with "closed" when `p` settles within `ms`, else with "open". */
export function closedWithin(p, ms) {
  return Promise.race([p.then(() => "closed"), new Promise((r) => setTimeout(() => r("open"), ms))]);
}

/**
 * A raw Engine.IO WebSocket client (the `ws` library, no socket.io-client) connected to
 * namespace "/" of the server on `port`. It answers no pings. Returns `{ ws, frames, closed,
 * sid }`: every frame received (text as strings, binary as Buffers), a promise of the close
 * code, and the socket id.
 */
export async function rawClient(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on("message", (d, binary) => frames.push(binary ? d : d.toString()));
  ws.on("error", () => {});
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
  await new Promise((r) => ws.once("open", r));
  const text = (prefix) => frames.find((f) => typeof f === "string" && f.startsWith(prefix));
  await eventually(() => text("0{"), "open packet");
  ws.send("40");
  const connected = await eventually(() => text("40{"), "connect");
  return { ws, frames, closed, sid: JSON.parse(connected.slice(2)).sid };
}
