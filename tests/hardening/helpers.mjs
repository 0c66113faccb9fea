// Helpers of the resource-bound tests: raw TCP clients, and the server process's open
// file descriptors and resident memory read from /proc (Linux).
import net from "node:net";
import fs from "node:fs";
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
