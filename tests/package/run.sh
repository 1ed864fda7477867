#!/usr/bin/env bash
# Package tests: the packed tarball dist/x402-wasm-*.tgz, installed by name the way a user would
# (npm install <tarball>), in four user projects, each making a paid request to a local x402 v2
# server (lib/server.mjs, built with the package's own encodeHeader/verifyPayment):
#   vite-app/  a page built by `vite build` (default config, no plugin) and served statically,
#              then the `vite` dev server, each driven in headless Debian Chromium (playwright-core)
#   worker/    a Worker bundled and run by `wrangler dev` (workerd, no nodejs_compat): pays an upstream
#              from its handler, protects a route with x402-wasm/worker and a Durable Object replay store
#   node-app/  a Node 20 ESM script (main.mjs), and small scripts bundled by esbuild with tree shaking
#              (bundle.mjs: the package is "sideEffects": false, so each entry must survive the bundler
#              with its wasm init)
#   next-app/  a Next.js 16 App Router app built by `next build` (Turbopack, the default) and served by
#              `next start`: a route handler and a Server Component pay an upstream (Next bundles the
#              Node entry and its wasm read), a route handler is protected with x402-wasm/worker; driven
#              with plain fetch (Chromium is vite-app's)
# Installs each project's dependencies when needed (scripts/setup.sh) and the tarball every run.
# Needs the tarball: bash scripts/build.sh first. Exit status 0 means all passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shopt -s nullglob
tarballs=("$repo"/dist/x402-wasm-*.tgz)
if [ "${#tarballs[@]}" -ne 1 ]; then
  echo "tests/package: expected one dist/x402-wasm-*.tgz, found ${#tarballs[@]}; run bash scripts/build.sh" >&2
  exit 1
fi
npm_quiet=(--no-audit --no-fund --loglevel=error)
export WRANGLER_SEND_METRICS=false NEXT_TELEMETRY_DISABLED=1

# Each project's dependencies (npm ci once per lock file, then kept under the tool cache).
X402_EXTRA_NPM_DIRS="tests/package/node-app tests/package/vite-app tests/package/next-app tests/package/worker" \
  bash "$repo/scripts/setup.sh"
for project in node-app vite-app next-app worker; do
  cd "$here/$project"
  # A rebuilt tarball keeps its version: remove the old copy so npm installs the new one.
  rm -rf node_modules/x402-wasm
  npm install --no-save "${npm_quiet[@]}" "${tarballs[0]}" >/dev/null
done

echo "tests/package: Node 20 script" >&2
(cd "$here/node-app" && node main.mjs)

# esbuild comes from worker/node_modules (wrangler's), installed above.
echo "tests/package: esbuild bundles for Node and the browser entry (tree shaking, sideEffects false)" >&2
(cd "$here/node-app" && node bundle.mjs)

echo "tests/package: Vite app in Chromium (vite build, vite dev)" >&2
(cd "$here/vite-app" && rm -rf dist node_modules/.vite && node_modules/.bin/vite build --logLevel warn && node test.mjs)

echo "tests/package: Next.js app (next build with Turbopack, next start)" >&2
(cd "$here/next-app" && node test.mjs)

echo "tests/package: wrangler Worker (workerd)" >&2
(cd "$here/worker" && node test.mjs)

echo "tests/package: all passed" >&2
