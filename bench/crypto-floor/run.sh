#!/usr/bin/env bash
# Builds the crypto-only wasm with the package's release profile and wasm-opt settings and prints
# its gzip size: what any x402 client on these crates pays before its first line of protocol code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/env.sh"
cd "$here"
cargo build -q --release --target wasm32-unknown-unknown --target-dir "$here/target"
out="$here/target/bindgen"
wasm-bindgen --target web --out-dir "$out" "$here/target/wasm32-unknown-unknown/release/crypto_floor.wasm"
wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-mutable-globals --enable-reference-types \
  --enable-multivalue "$out/crypto_floor_bg.wasm" -o "$out/floor.wasm"
printf 'crypto floor: wasm %s B raw, %s B gzip\n' "$(wc -c < "$out/floor.wasm")" "$(gzip -9 -c "$out/floor.wasm" | wc -c)"
