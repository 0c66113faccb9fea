// A permessage-deflate probe shared by the host tests (C, Python; Node and Rust have their
// own): the real socket.io-client (whose `ws` offers the extension) plus a raw client that
// sees the RSV1 bit of each frame. Usable as a module (`probe(url)`) or as
//   node tests/node/deflate_probe.mjs <url>   (prints the result as one JSON line)
//
// The server under test must answer:
// - "echo" with an ack of the arguments it got;
// - "deflate-go" (big): join the sender to room "deflate-room", then emit `big` as "zipped"
//   and, with compress off, "plain" to the sender, then to "deflate-room": "room-plain"
//   with compress off and "room-zipped" (in that order).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rawSocketIo } from "./rawws.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { io } = createRequire(path.join(here, "package.json"))("socket.io-client");

function withTimeout(p, what, ms = 10_000) {
  let t;
  return Promise.race([p, new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: timed out`)), ms); })])
    .finally(() => clearTimeout(t));
}

/**
 * Runs the probe against `url`; resolves with
 * `{ header, clientExtensions, echo: { big, small, binary }, frames: { zipped, plain, roomPlain, roomZipped } }`
 * where `frames.*` is `{ rsv1, intact }`.
 */
export async function probe(url) {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  const connected = new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("connect_error", reject); });
  connected.catch(() => {});
  const raw = await rawSocketIo(url).catch((e) => { socket.close(); throw e; });
  try {
    await withTimeout(connected, "connect");
    const big = "deflate probe ".repeat(400);
    const ack = (x) => withTimeout(socket.emitWithAck("echo", x), "echo");
    const bin = Buffer.alloc(32 * 1024, "bin");
    const result = {
      header: raw.headers["sec-websocket-extensions"] ?? null,
      clientExtensions: socket.io.engine.transport.ws?.extensions ?? null,
      echo: {
        big: (await ack(big)) === big,
        small: (await ack("small")) === "small",
        binary: Buffer.from(await ack(bin)).equals(bin),
      },
      frames: {},
    };
    raw.emit("deflate-go", big);
    for (const [key, ev] of [["zipped", "zipped"], ["plain", "plain"], ["roomPlain", "room-plain"], ["roomZipped", "room-zipped"]]) {
      const { frame, args } = await raw.event(ev);
      result.frames[key] = { rsv1: frame.rsv1, intact: args.length === 1 && args[0] === big };
    }
    return result;
  } finally {
    socket.close();
    raw.close();
  }
}

/** What every host's probe must show with deflate on. */
export const EXPECTED = {
  header: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  clientExtensions: "permessage-deflate",
  echo: { big: true, small: true, binary: true },
  frames: {
    zipped: { rsv1: true, intact: true },
    plain: { rsv1: false, intact: true },
    roomPlain: { rsv1: false, intact: true },
    roomZipped: { rsv1: true, intact: true },
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  probe(process.argv[2]).then(
    (r) => { process.stdout.write(JSON.stringify(r) + "\n"); process.exit(0); },
    (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) }) + "\n"); process.exit(1); },
  );
}
