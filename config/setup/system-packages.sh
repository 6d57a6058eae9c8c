#!/usr/bin/env bash
# Installs the Debian 12 packages Veil needs: redis-server (embedded store), ffmpeg, Chromium and
# Firefox ESR (end-to-end tests), iproute2, nftables, iptables and libnetfilter-queue-dev (network
# namespaces, a firewall that blocks UDP, and a link delay with no netem, in tests and benches) and the toolchain and libraries that build mediasoup's worker from source,
# and HAProxy (the front door in front of several nodes). Does nothing when all are present.
set -euo pipefail

packages=(
  redis-server ffmpeg chromium firefox-esr iproute2 nftables iptables libnetfilter-queue-dev ca-certificates haproxy openssl
  g++ make python3 meson ninja-build pkg-config
  libssl-dev libuv1-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing: ${missing[*]}" >&2
  echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"
