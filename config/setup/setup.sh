#!/usr/bin/env bash
# Sets up everything Veil needs on Debian 12: system packages, npm dependencies, the mediasoup
# worker binary, the build of server and client, and the ONNX moderation models. Safe to run
# again; cached steps are skipped.
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
# The optional packages' installers download their binaries; offline they fail and npm leaves them out.
node config/setup/optional-packages.mjs
bash config/setup/mediasoup-worker.sh
echo "build: server and client"
npm run --silent build
# Moderation models for onnxruntime-node, converted from the packaged TF.js weights (cached).
node dist/src/tools/convert-models-cli.js
echo "setup: done"
