'use strict';
// `npm install` step. With a prebuilt binary for this platform (shipped in the package or
// in its per-platform package) that loads, there is nothing to do: no Rust needed. Else
// (another platform, an older glibc, or `npm install --build-from-source`, i.e.
// npm_config_build_from_source=true) the module is built from source with cargo
// (scripts/build-native.js), which needs Rust.

const { triple, prebuilt } = require('../lib/platform');

function usablePrebuilt() {
  for (const candidate of prebuilt()) {
    try {
      require(candidate);
      return candidate;
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') console.warn(`roomcast: prebuilt ${candidate} does not load: ${err.message}`);
    }
  }
  return null;
}

const fromSource = ['1', 'true'].includes(String(process.env.npm_config_build_from_source).toLowerCase());
const found = fromSource ? null : usablePrebuilt();
if (!found) {
  console.warn(
    fromSource
      ? 'roomcast: building from source (--build-from-source)'
      : `roomcast: no prebuilt binary for ${triple()}; building from source with cargo`,
  );
  require('./build-native');
}
