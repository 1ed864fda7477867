#!/usr/bin/env bash
# Runs every test tier: native Rust, wasm in Node and headless Chromium, and the
# end-to-end JS tests of the packed package (Node, Chromium, workerd, anvil).
# Installs what it needs first (scripts/setup.sh). Exit status 0 means all passed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/env.sh
step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS" >&2; }

step "setup"
bash scripts/setup.sh

step "native tests (cargo test)"
cargo test --quiet --all-targets
cargo test --quiet --doc

step "lints (clippy, rustfmt)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --target wasm32-unknown-unknown -- -D warnings
cargo fmt --check

step "build the package"
bash scripts/build.sh

step "package tests (Vite app in Chromium, wrangler Worker, Node 20 script, esbuild bundles)"
bash tests/package/run.sh

step "React hooks (React 18 and 19)"
bash tests/react/run.sh

step "wasm boundary tests in Node"
wasm-pack test --node -- --test wasm_node

step "wasm boundary tests in headless Chromium"
wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" -- --test wasm_browser

step "end-to-end tests (Node, Chromium, workerd, anvil)"
(cd tests/js && npm test --silent)

step "all tests passed"
