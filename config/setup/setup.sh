#!/usr/bin/env bash
# Sets up everything Veil needs on Debian 12: system packages, npm dependencies, the mediasoup
# worker binary, and the build of server and client. Safe to run again; cached steps are skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

bash config/setup/system-packages.sh
echo "npm: installing dependencies"
npm ci --no-audit --no-fund --loglevel=error
bash config/setup/mediasoup-worker.sh
echo "build: server and client"
npm run --silent build
echo "setup: done"
