'use strict';
// Loads the native module built by `npm install` (scripts/build-native.js).

const path = require('node:path');

const file = path.join(__dirname, '..', 'roomcast.node');
try {
  module.exports = require(file);
} catch (err) {
  err.message = `roomcast: cannot load ${file} (built by "npm install" with cargo): ${err.message}`;
  throw err;
}
