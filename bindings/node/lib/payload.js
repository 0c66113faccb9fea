'use strict';
// Event arguments <-> what the native module takes and gives.
//
// Outgoing arguments become JSON text; binary values (Buffer, ArrayBuffer, typed arrays,
// DataView) are replaced by {"_placeholder":true,"num":i} and travel as attachments, as
// socket.io-parser does. Incoming arguments come as JSON text, or already built (with
// Buffers in place) by the native side when they carry binary.

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function hasBinary(v, toJSONDone) {
  if (!v || typeof v !== 'object') return false;
  if (isBinary(v)) return true;
  if (Array.isArray(v)) return v.some((x) => hasBinary(x));
  if (!toJSONDone && typeof v.toJSON === 'function') return hasBinary(v.toJSON(), true);
  for (const k of Object.keys(v)) if (hasBinary(v[k])) return true;
  return false;
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function deconstruct(v, buffers) {
  if (!v || typeof v !== 'object') return v;
  if (isBinary(v)) {
    buffers.push(toBuffer(v));
    return { _placeholder: true, num: buffers.length - 1 };
  }
  if (Array.isArray(v)) return v.map((x) => deconstruct(x, buffers));
  if (v instanceof Date) return v;
  const out = {};
  for (const k of Object.keys(v)) out[k] = deconstruct(v[k], buffers);
  return out;
}

/** Arguments array -> [json, attachments|null]. */
function encode(args) {
  if (!hasBinary(args)) return [JSON.stringify(args), undefined];
  const buffers = [];
  const json = JSON.stringify(deconstruct(args, buffers));
  return [json, buffers];
}

/** What the native side delivered -> arguments array. */
function decode(args) {
  return typeof args === 'string' ? JSON.parse(args) : args;
}

module.exports = { encode, decode };
