'use strict';
// Where the native module comes from, in napi-rs's per-platform layout: a prebuilt binary
// is named `roomcast.<triple>.node` (e.g. roomcast.linux-x64-gnu.node) and ships either
// inside this package or in the per-platform package `roomcast-<triple>` (npm/<triple>/,
// an optionalDependency once published). A source build (scripts/build-native.js) writes
// `roomcast.node`. More platforms are added by building their binary and adding npm/<triple>.

const path = require('node:path');

const pkgDir = path.join(__dirname, '..');

/** True on a musl libc Linux (Alpine), where glibc binaries do not load. */
function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    return !process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

/** napi-rs's platform triple of this process: linux-x64-gnu, darwin-arm64, win32-x64-msvc, … */
function triple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    if (arch === 'arm') return `linux-arm-${isMusl() ? 'musleabihf' : 'gnueabihf'}`;
    return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The module built from source by `npm install` (only exists when the install built it). */
const sourceBuild = path.join(pkgDir, 'roomcast.node');

/** The prebuilt candidates for this platform, most specific first. */
function prebuilt(t = triple()) {
  return [path.join(pkgDir, `roomcast.${t}.node`), `roomcast-${t}`];
}

module.exports = { pkgDir, triple, sourceBuild, prebuilt };
