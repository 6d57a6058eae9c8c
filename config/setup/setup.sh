#!/usr/bin/env bash
# Sets up everything Veil needs on Debian 12: system packages, npm dependencies, the mediasoup
# worker binary, and the build of server and client. Safe to run again; cached steps are skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

bash config/setup/system-packages.sh
echo "npm: installing dependencies"
npm ci --no-audit --no-fund --loglevel=error
# argon2's bundled linux-x64 prebuild crashes (SIGSEGV) on load here; its install script builds it
# from source with node-gyp against /usr/include/node instead (allowed in package.json). Check
# that what we got loads, in a child process, so a crash is reported rather than met at login.
node -e "require('argon2')" || { echo "setup: the argon2 module does not load: run npm rebuild argon2 (needs g++, make, python3)" >&2; exit 1; }
bash config/setup/mediasoup-worker.sh
echo "build: server and client"
npm run --silent build
echo "setup: done"
