#!/usr/bin/env bash
# Builds the wasm (release, wasm-opt -Oz) and assembles the npm package x402-wasm:
#   dist/pkg/               the package folder
#   dist/x402-wasm-<v>.tgz  the tarball `npm install` takes
# Prints the gzip size of the wasm plus the JS glue.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/env.sh

out=target/wasm-pack
wasm-pack --quiet build --target web --release --no-pack --out-dir "$out" --out-name x402_wasm >&2

# wasm-pack's own wasm-opt download cannot work here; run the one on PATH.
wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/x402_wasm_bg.wasm" -o "$out/x402_wasm_bg.opt.wasm"

version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
pkg=dist/pkg
rm -rf "$pkg" && mkdir -p "$pkg"
cp -R pkg-template/. "$pkg/"
find "$pkg" -name '*.test.mjs' -delete
cp "$out/x402_wasm.js" "$out/x402_wasm.d.ts" "$pkg/"
# JS that the Rust code imports (#[wasm_bindgen(module = ...)]), as wasm-bindgen laid it out.
if [ -d "$out/snippets" ]; then cp -R "$out/snippets" "$pkg/"; fi
cp "$out/x402_wasm_bg.opt.wasm" "$pkg/x402_wasm_bg.wasm"
cp README.md "$pkg/README.md"
node -e '
  const fs = require("fs"); const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8")); pkg.version = process.argv[2];
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$pkg/package.json" "$version"

rm -f dist/x402-wasm-*.tgz
(cd dist && npm pack ./pkg --silent >/dev/null)

size() { gzip -9 -c "$@" | wc -c; }
wasm_gz=$(size "$pkg/x402_wasm_bg.wasm")
glue_gz=$({ cat "$pkg"/*.js; find "$pkg/snippets" -name '*.js' -exec cat {} + 2>/dev/null || true; } | gzip -9 | wc -c)
printf 'x402-wasm %s: wasm %s B raw, %s B gzip; JS %s B gzip; total %s B gzip\n' \
  "$version" "$(wc -c < "$pkg/x402_wasm_bg.wasm")" "$wasm_gz" "$glue_gz" "$((wasm_gz + glue_gz))"
echo "package: $pkg, tarball: $(ls dist/x402-wasm-*.tgz)"
