#!/usr/bin/env bash
# Provides the mediasoup-worker binary for the installed mediasoup package and links it where
# mediasoup looks by default (node_modules/mediasoup/worker/out/Release/mediasoup-worker), so the app
# and tests need no environment variable; MEDIASOUP_WORKER_BIN, when set, still wins at run time.
#
# Order: the cached binary for this mediasoup version; else mediasoup's own postinstall (prebuilt
# download, which needs the internet); else a build from the package's worker/ sources against
# Debian's libraries (see docs/mediasoup-worker.md). The result is cached outside the clone in
# $VEIL_CACHE_DIR (default ~/.cache/veil), keyed by mediasoup version.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
pkg="$root/node_modules/mediasoup"
[ -f "$pkg/package.json" ] || { echo "mediasoup is not installed: run npm ci first" >&2; exit 1; }
version=$(node -p "require('$pkg/package.json').version")
cache_dir="${VEIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/veil}/mediasoup-worker/$version"
bin="$cache_dir/mediasoup-worker"
target="$pkg/worker/out/Release/mediasoup-worker"

link_into_package() {
  mkdir -p "$(dirname "$target")"
  ln -sf "$bin" "$target"
  echo "mediasoup-worker $version: $bin"
}

if [ -x "$bin" ]; then
  link_into_package
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$pkg" "$work/mediasoup"
mkdir -p "$cache_dir"

echo "mediasoup-worker $version: not cached; trying mediasoup's prebuilt download"
if (cd "$work/mediasoup" && timeout 300 node npm-scripts.mjs postinstall >"$work/postinstall.log" 2>&1) \
  && [ -x "$work/mediasoup/worker/out/Release/mediasoup-worker" ]; then
  cp "$work/mediasoup/worker/out/Release/mediasoup-worker" "$bin.tmp"
else
  echo "mediasoup-worker $version: no prebuilt binary here; building from source with Debian's libraries (about 6 minutes on 2 cores)"
  rm -rf "$work/mediasoup" && cp -r "$pkg" "$work/mediasoup"
  node "$root/config/setup/patch-meson.mjs" "$work/mediasoup/worker"
  meson setup --buildtype=release -Db_ndebug=true "$work/build" "$work/mediasoup/worker" >"$work/meson.log" 2>&1 \
    || { cat "$work/meson.log" >&2; echo "meson setup failed: are the packages from system-packages.sh installed?" >&2; exit 1; }
  ninja -C "$work/build" -j"$(nproc)" mediasoup-worker >"$work/ninja.log" 2>&1 \
    || { tail -50 "$work/ninja.log" >&2; exit 1; }
  cp "$work/build/mediasoup-worker" "$bin.tmp"
fi
strip "$bin.tmp" 2>/dev/null || true
mv "$bin.tmp" "$bin"
link_into_package
