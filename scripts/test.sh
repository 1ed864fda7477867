#!/usr/bin/env bash
# Runs every test tier: native Rust, wasm in Node and headless Chromium, and the
# end-to-end JS tests of the packed package (Node, Chromium, workerd, anvil), and the Node-facing
# ones again under Node 22 and 24.
# Installs what it needs first (scripts/setup.sh). Exit status 0 means all passed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/env.sh
step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS" >&2; }

step "setup"
X402_SETUP_EXTRA_NODE=1 bash scripts/setup.sh

# A whole-crate compile (a fresh clone) is faster without incremental compilation's bookkeeping.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# The release build links on one CPU (LTO, one codegen unit): it runs in the background while the
# native and wasm boundary tests and the lints use the other (they build into other profile
# folders, so no cargo lock is shared). Its output is shown when it ends.
step "build the package (in the background)"
build_log=$(mktemp)
# In a session of its own, so that a failure elsewhere stops the whole build (cargo, wasm-opt).
setsid bash scripts/build.sh >"$build_log" 2>&1 &
build_pid=$!
trap 'kill -- "-$build_pid" 2>/dev/null || true; rm -f "$build_log"' EXIT

step "native tests (cargo test)"
cargo test --quiet --all-targets
cargo test --quiet --doc

step "lints (clippy, rustfmt)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings
cargo fmt --check

step "wasm boundary tests in Node"
wasm-pack test --node -- --test wasm_node

step "wasm boundary tests in headless Chromium"
wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" -- --test wasm_browser

step "the package build"
build_status=0
wait "$build_pid" || build_status=$?
trap - EXIT
cat "$build_log" >&2
rm -f "$build_log"
if [ "$build_status" -ne 0 ]; then
  echo "the package build failed (exit $build_status)" >&2
  exit 1
fi

step "package tests (Vite app in Chromium, wrangler Worker, Node 20 script, Next.js app, esbuild bundles)"
bash tests/package/run.sh

step "React hooks (React 18 and 19)"
bash tests/react/run.sh

step "end-to-end tests (Node, Chromium, workerd, anvil)"
(cd tests/js && npm test --silent)

step "Node $NODE_EXTRA_VERSIONS: the Node-facing tests and the user script again"
# The Node entry, request fidelity and pass-through, the official v2 interop, Solana payment and anvil
# settlement: what depends on Node's own fetch, streams, Buffer and module loader (the whole suite
# under each would take minutes).
node_arch=$(x402_node_arch)
for version in $NODE_EXTRA_VERSIONS; do
  node_bin="$X402_TOOLS/node-$version-linux-$node_arch/bin"
  actual=$("$node_bin/node" -v)
  [ "$actual" = "v$version" ] || { echo "expected Node v$version in $node_bin, found $actual" >&2; exit 1; }
  printf '  Node %s\n' "$actual" >&2
  (cd tests/js && PATH="$node_bin:$PATH" "$node_bin/node" --test --test-concurrency="${X402_TEST_CONCURRENCY:-3}" --test-timeout=180000 --test-reporter=dot \
    test/package-node.test.mjs test/fetch-fidelity.test.mjs \
    test/fetch-passthrough.test.mjs test/interop-v2.test.mjs test/svm-fetch.test.mjs test/evm-anvil.test.mjs)
  (cd tests/package/node-app && PATH="$node_bin:$PATH" "$node_bin/node" main.mjs)
done

step "all tests passed"
