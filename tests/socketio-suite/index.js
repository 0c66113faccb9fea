'use strict';
// socket.io's tests import the server as `..` / `../..` (their package folder). The script
// (scripts/socketio-suite.sh) places this package.json and this file there, so that import
// is roomcast: the binding installed from bindings/node, found through NODE_PATH.
module.exports = require('roomcast');
