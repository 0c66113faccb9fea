'use strict';
// Loads the native module: the source build of `npm install` when there is one (a checkout,
// or `npm install --build-from-source`), else the prebuilt binary for this platform, from
// this package or from its per-platform package (see lib/platform.js).

const { triple, sourceBuild, prebuilt } = require('./platform');
const fs = require('node:fs');

function load() {
  const candidates = fs.existsSync(sourceBuild) ? [sourceBuild] : prebuilt();
  const errors = [];
  for (const file of candidates) {
    try {
      return require(file);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') errors.push(`${file}: ${err.message}`);
      else errors.push(`${file}: not found`);
    }
  }
  throw new Error(
    `roomcast: no native module for ${triple()} could be loaded (reinstall with ` +
      `"npm install --build-from-source roomcast" to build it with Rust):\n  ${errors.join('\n  ')}`,
  );
}

module.exports = load();
