// A raw WebSocket client for the permessage-deflate tests: it does the upgrade itself and
// reads the server's frames byte for byte, so a test can see the RSV1 bit (compressed or
// not) of each message, which `ws` and socket.io-client hide. It speaks just enough
// Engine.IO / Socket.IO to join the main namespace.

import http from "node:http";
import zlib from "node:zlib";
import crypto from "node:crypto";
import { DEADLINE } from "./helpers.mjs";

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Raw deflate of one message as RFC 7692 sends it (sync flush, tail left off). */
export function deflate(data) {
  const z = zlib.deflateRawSync(data, { flush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(z.length - 4).equals(TAIL) ? z.subarray(0, z.length - 4) : z;
}

/** Inflates one compressed message payload. */
export function inflate(payload) {
  return zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/** One masked client frame. */
export function frame({ fin = true, rsv1 = false, opcode = 1, payload }) {
  const data = Buffer.from(payload);
  const len = data.length;
  const head = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  let ext = Buffer.alloc(0);
  if (len < 126) head.push(0x80 | len);
  else if (len <= 0xffff) { head.push(0x80 | 126); ext = Buffer.alloc(2); ext.writeUInt16BE(len); }
  else { head.push(0x80 | 127); ext = Buffer.alloc(8); ext.writeBigUInt64BE(BigInt(len)); }
  const mask = crypto.randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ mask[i % 4];
  return Buffer.concat([Buffer.from(head), ext, mask, body]);
}

/**
 * Opens `url` (http://host:port/path?query) as a WebSocket offering `extensions` (a
 * Sec-WebSocket-Extensions value, or null for none). Resolves with
 * `{ headers, frames, next(pred), send(buf), close() }`: `frames` collects
 * `{ fin, rsv1, opcode, payload }`, `next` waits for the first untaken frame matching.
 */
export function rawWebSocket(url, extensions) {
  const key = crypto.randomBytes(16).toString("base64");
  const headers = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key };
  if (extensions) headers["Sec-WebSocket-Extensions"] = extensions;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers });
    const timer = setTimeout(() => { req.destroy(); reject(new Error("no upgrade in time")); }, DEADLINE);
    req.on("error", reject);
    req.on("response", (res) => { clearTimeout(timer); reject(new Error(`no upgrade: ${res.statusCode}`)); });
    req.on("upgrade", (res, socket, head) => {
      clearTimeout(timer);
      const frames = [];
      const waiters = [];
      let buf = head;
      let ended = false;
      const parse = () => {
        for (;;) {
          if (buf.length < 2) return;
          const b0 = buf[0], b1 = buf[1];
          let len = b1 & 0x7f, at = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
          else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
          if (buf.length < at + len) return;
          frames.push({ fin: !!(b0 & 0x80), rsv1: !!(b0 & 0x40), opcode: b0 & 0x0f, payload: buf.subarray(at, at + len), taken: false });
          buf = buf.subarray(at + len);
        }
      };
      const wake = () => { for (const w of [...waiters]) w(); };
      socket.on("data", (d) => { buf = Buffer.concat([buf, d]); parse(); wake(); });
      socket.on("close", () => { ended = true; wake(); });
      socket.on("error", () => {});
      parse();
      resolve({
        headers: res.headers,
        frames,
        get ended() { return ended; },
        send: (b) => socket.write(b),
        close: () => socket.destroy(),
        /** The first untaken frame with `pred(frame)` true (rejects after the deadline). */
        next(pred = () => true, ms = DEADLINE) {
          return new Promise((res2, rej2) => {
            const check = () => {
              const f = frames.find((x) => !x.taken && pred(x));
              if (!f) {
                if (ended) { done(); rej2(new Error("connection closed")); }
                return;
              }
              f.taken = true;
              done();
              res2(f);
            };
            const t = setTimeout(() => { done(); rej2(new Error("no such frame in time")); }, ms);
            const done = () => { clearTimeout(t); const i = waiters.indexOf(check); if (i >= 0) waiters.splice(i, 1); };
            waiters.push(check);
            check();
          });
        },
      });
    });
    req.end();
  });
}

/** The text of a data frame, inflated when it came compressed. */
export function textOf(f) {
  return (f.rsv1 ? inflate(f.payload) : f.payload).toString();
}

/**
 * A Socket.IO client over a raw WebSocket on the main namespace: resolves once the CONNECT
 * reply came, with the raw connection plus `emit(event, ...args)` and
 * `event(name)` (waits for a `42["name",...]` frame and returns `{ frame, args }`).
 */
export async function rawSocketIo(baseUrl, extensions = "permessage-deflate; client_max_window_bits") {
  const ws = await rawWebSocket(`${baseUrl}/socket.io/?EIO=4&transport=websocket`, extensions);
  await ws.next((f) => f.opcode === 1 && textOf(f).startsWith("0"));
  ws.send(frame({ payload: "40" }));
  await ws.next((f) => f.opcode === 1 && textOf(f).startsWith("40"));
  let ackId = 0;
  return {
    ...ws,
    emit: (event, ...args) => ws.send(frame({ payload: "42" + JSON.stringify([event, ...args]) })),
    /** Emits asking for an ack; resolves with the ack's arguments. */
    async call(event, ...args) {
      const id = ++ackId;
      ws.send(frame({ payload: `42${id}` + JSON.stringify([event, ...args]) }));
      const f = await ws.next((x) => x.opcode === 1 && textOf(x).startsWith(`43${id}[`));
      return JSON.parse(textOf(f).slice(2 + String(id).length));
    },
    async event(name) {
      const f = await ws.next((x) => x.opcode === 1 && textOf(x).startsWith(`42["${name}"`));
      return { frame: f, args: JSON.parse(textOf(f).slice(2)).slice(1) };
    },
  };
}
