#!/usr/bin/env bash
# Provides the mediasoup-worker binary for the installed mediasoup package and links it where
# mediasoup looks by default (node_modules/mediasoup/worker/out/Release/mediasoup-worker), so the app
# and tests need no environment variable; MEDIASOUP_WORKER_BIN, when set, still wins at run time.
#
# Order: the cached binary for this mediasoup version; else mediasoup's own postinstall (prebuilt
# download, which needs the internet); else a build from the package's worker/ sources against
# Debian's libraries (see docs/mediasoup-worker.md), except libsrtp2, which is mediasoup's own
# subproject built against OpenSSL from Debian's source archive (Debian's libsrtp2 uses NSS, which
# is slow per packet). The result is cached outside the clone in $VEIL_CACHE_DIR (default
# ~/.cache/veil), keyed by mediasoup version and build recipe.
set -euo pipefail

# Bump when the way the worker is built changes, so that cached binaries are rebuilt.
recipe=2

root=$(cd "$(dirname "$0")/../.." && pwd)
pkg="$root/node_modules/mediasoup"
[ -f "$pkg/package.json" ] || { echo "mediasoup is not installed: run npm ci first" >&2; exit 1; }
version=$(node -p "require('$pkg/package.json').version")
cache_root="${VEIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/veil}"
cache_dir="$cache_root/mediasoup-worker/$version-r$recipe"
bin="$cache_dir/mediasoup-worker"
target="$pkg/worker/out/Release/mediasoup-worker"

# Puts libsrtp2's source archive where meson looks before downloading (subprojects/packagecache).
# mediasoup's wrap names upstream's v<version> tarball; Debian's orig tarball is the same file, so
# it is fetched from Debian's archive, checked against the wrap's hash and cached.
provide_libsrtp2_source() {
  local worker=$1 wrap filename hash srtp_version archive url
  wrap="$worker/subprojects/libsrtp2.wrap"
  filename=$(sed -n 's/^source_filename = //p' "$wrap")
  hash=$(sed -n 's/^source_hash = //p' "$wrap")
  srtp_version=${filename#libsrtp-}
  srtp_version=${srtp_version%.tar.gz}
  archive="$cache_root/debian-sources/libsrtp2_$srtp_version.orig.tar.gz"
  url="https://deb.debian.org/debian/pool/main/libs/libsrtp2/libsrtp2_$srtp_version.orig.tar.gz"
  if ! echo "$hash  $archive" | sha256sum --check --status 2>/dev/null; then
    mkdir -p "$(dirname "$archive")"
    curl -fsS --retry 3 -o "$archive.tmp" "$url" || { echo "cannot fetch $url" >&2; exit 1; }
    echo "$hash  $archive.tmp" | sha256sum --check --status \
      || { echo "$url does not match the sha256 of $wrap" >&2; exit 1; }
    mv "$archive.tmp" "$archive"
  fi
  mkdir -p "$worker/subprojects/packagecache"
  cp "$archive" "$worker/subprojects/packagecache/$filename"
}

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
  provide_libsrtp2_source "$work/mediasoup/worker"
  meson setup --wrap-mode=nodownload --buildtype=release -Db_ndebug=true "$work/build" "$work/mediasoup/worker" >"$work/meson.log" 2>&1 \
    || { cat "$work/meson.log" >&2; echo "meson setup failed: are the packages from system-packages.sh installed?" >&2; exit 1; }
  ninja -C "$work/build" -j"$(nproc)" mediasoup-worker >"$work/ninja.log" 2>&1 \
    || { tail -50 "$work/ninja.log" >&2; exit 1; }
  cp "$work/build/mediasoup-worker" "$bin.tmp"
fi
strip "$bin.tmp" 2>/dev/null || true
mv "$bin.tmp" "$bin"
link_into_package
