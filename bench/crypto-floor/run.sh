#!/usr/bin/env bash
# Builds two wasm files that hold no protocol code and prints their gzip sizes:
#   crypto floor   the cryptography of a payment (bench/crypto-floor/), with the package's
#                  release profile and wasm-opt settings;
#   minimal floor  signing on both chains at opt-level "z" plus one serde_json document in and one
#                  payload out (bench/crypto-floor/minimal/): less than any client of this design.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/env.sh"
floor() { # <crate dir> <crate name> <label>
  local dir=$1 name=$2 out="$1/target/bindgen"
  (cd "$dir" && cargo build -q --release --target wasm32-unknown-unknown --target-dir "$dir/target")
  wasm-bindgen --target web --out-dir "$out" "$dir/target/wasm32-unknown-unknown/release/$name.wasm"
  wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-mutable-globals --enable-reference-types \
    --enable-multivalue "$out/${name}_bg.wasm" -o "$out/floor.wasm"
  printf '%s: wasm %s B raw, %s B gzip\n' "$3" "$(wc -c < "$out/floor.wasm")" "$(gzip -9 -c "$out/floor.wasm" | wc -c)"
}
floor "$here" crypto_floor "crypto floor"
floor "$here/minimal" minimal_floor "minimal floor"
