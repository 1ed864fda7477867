#!/usr/bin/env bash
# The local end-to-end demo: installs what it needs, builds the package, then runs
#   1. www/demo-node.mjs: one paid request from Node, settled on anvil;
#   2. www/run.mjs: the web demo, a React page paying a Worker API with a wallet, driven by
#      Playwright in Chromium (screenshot in www/artifacts/). DEMO_SERVE=1 node www/run.mjs keeps
#      it running for a human with a real wallet.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh
node www/demo-node.mjs
echo
node www/run.mjs
