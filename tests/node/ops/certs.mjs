// Throwaway certificates for the TLS tests, made with the openssl CLI at test time (no key
// is committed): a CA, and a server certificate it signs for localhost / 127.0.0.1.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh directory under the OS temp dir, removed when the process exits. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Writes `<name>-ca.pem`, `<name>-cert.pem` (leaf then CA: a full chain) and
 * `<name>-key.pem` into `dir`; returns their paths and the CA's PEM text.
 */
export function makeCerts(dir, name) {
  const f = (s) => path.join(dir, `${name}-${s}`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", f("ca-key.pem"), "-out", f("ca.pem"), "-days", "2", "-subj", `/CN=roomcast test CA ${name}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], dir);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", f("key.pem"), "-out", f("csr.pem"), "-subj", "/CN=localhost"], dir);
  fs.writeFileSync(f("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl(["x509", "-req", "-in", f("csr.pem"), "-CA", f("ca.pem"), "-CAkey", f("ca-key.pem"),
    "-CAcreateserial", "-out", f("leaf.pem"), "-days", "2", "-extfile", f("ext.cnf")], dir);
  fs.writeFileSync(f("cert.pem"), fs.readFileSync(f("leaf.pem"), "utf8") + fs.readFileSync(f("ca.pem"), "utf8"));
  return { ca: fs.readFileSync(f("ca.pem"), "utf8"), cert: f("cert.pem"), key: f("key.pem") };
}
