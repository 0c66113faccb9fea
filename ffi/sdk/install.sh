#!/bin/sh
# Installs the roomcast C SDK from this unpacked tarball, like `make install`:
#   ./install.sh                                 # into /usr/local (PREFIX), needs root
#   PREFIX=$HOME/.local ./install.sh             # anywhere
#   DESTDIR=/tmp/stage PREFIX=/usr ./install.sh  # staged, for packagers
# LIBDIR (default $PREFIX/lib) and INCLUDEDIR (default $PREFIX/include) can be set too.
# Installs include/roomcast.h, libroomcast.so.@VERSION@ with its libroomcast.so.0 and
# libroomcast.so links, libroomcast.a, pkgconfig/roomcast.pc and cmake/roomcast/ (for
# find_package(roomcast CONFIG)), with the paths written for the install location.
set -eu
PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DESTDIR=${DESTDIR:-}
SRC=$(cd "$(dirname "$0")" && pwd)
V=@VERSION@

case $PREFIX$LIBDIR$INCLUDEDIR in
  *'|'*) echo "install.sh: paths must not contain '|'" >&2; exit 2 ;;
esac

install -d "$DESTDIR$INCLUDEDIR" "$DESTDIR$LIBDIR/pkgconfig" "$DESTDIR$LIBDIR/cmake/roomcast"
install -m 644 "$SRC/include/roomcast.h" "$DESTDIR$INCLUDEDIR/roomcast.h"
install -m 755 "$SRC/lib/libroomcast.so.$V" "$DESTDIR$LIBDIR/libroomcast.so.$V"
ln -sf "libroomcast.so.$V" "$DESTDIR$LIBDIR/libroomcast.so.0"
ln -sf libroomcast.so.0 "$DESTDIR$LIBDIR/libroomcast.so"
install -m 644 "$SRC/lib/libroomcast.a" "$DESTDIR$LIBDIR/libroomcast.a"
sed -e "s|^prefix=.*|prefix=$PREFIX|" -e "s|^libdir=.*|libdir=$LIBDIR|" \
    -e "s|^includedir=.*|includedir=$INCLUDEDIR|" \
    "$SRC/lib/pkgconfig/roomcast.pc" > "$DESTDIR$LIBDIR/pkgconfig/roomcast.pc"
chmod 644 "$DESTDIR$LIBDIR/pkgconfig/roomcast.pc"
# The CMake config finds the library beside itself; only the header directory is written in.
sed -e "s|^set(_roomcast_includedir .*|set(_roomcast_includedir \"$INCLUDEDIR\")|" \
    "$SRC/lib/cmake/roomcast/roomcastConfig.cmake" > "$DESTDIR$LIBDIR/cmake/roomcast/roomcastConfig.cmake"
install -m 644 "$SRC/lib/cmake/roomcast/roomcastConfigVersion.cmake" "$DESTDIR$LIBDIR/cmake/roomcast/"
chmod 644 "$DESTDIR$LIBDIR/cmake/roomcast/roomcastConfig.cmake"

# A system prefix needs the dynamic linker's cache refreshed (root only, not when staging).
if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then
  case $LIBDIR in /usr/lib* | /usr/local/lib* | /lib*) ldconfig ;; esac
fi
echo "roomcast $V installed into $DESTDIR$PREFIX"
echo "  cc app.c \$(PKG_CONFIG_PATH=$LIBDIR/pkgconfig pkg-config --cflags --libs roomcast)"
echo "  cmake -DCMAKE_PREFIX_PATH=$PREFIX ...   # find_package(roomcast CONFIG) -> roomcast::roomcast"
