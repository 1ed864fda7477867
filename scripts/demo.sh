#!/usr/bin/env bash
# The local end-to-end demo: installs what it needs, builds the package, runs www/demo-node.mjs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh
node www/demo-node.mjs
