#!/usr/bin/env bash
# Tests x402-wasm/react with React 18 (this project) and React 19 (react19/): installs each
# project's dependencies when needed (scripts/setup.sh), installs the packed tarball dist/x402-wasm-*.tgz into
# both as a user would, type-checks types/check.ts against both @types/react, then runs the same
# test files once per React major (REACT_VERSION selects where lib/env.mjs loads React from).
# Needs the tarball: bash scripts/build.sh first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shopt -s nullglob
tarballs=("$repo"/dist/x402-wasm-*.tgz)
if [ "${#tarballs[@]}" -ne 1 ]; then
  echo "tests/react: expected one dist/x402-wasm-*.tgz, found ${#tarballs[@]}; run bash scripts/build.sh" >&2
  exit 1
fi
npm_quiet=(--no-audit --no-fund --loglevel=error)

# Each project's dependencies (npm ci once per lock file, then kept under the tool cache).
X402_EXTRA_NPM_DIRS="tests/react tests/react/react19" bash "$repo/scripts/setup.sh"
for project in "$here" "$here/react19"; do
  cd "$project"
  # A rebuilt tarball keeps its version: remove the old copy so npm installs the new one.
  rm -rf node_modules/x402-wasm
  npm install --no-save "${npm_quiet[@]}" "${tarballs[0]}"
done

cd "$here"
echo "tests/react: type check (@types/react 18, 19)" >&2
node_modules/.bin/tsc -p tsconfig.json
node_modules/.bin/tsc -p react19/tsconfig.json
for version in 18 19; do
  echo "tests/react: React $version" >&2
  REACT_VERSION=$version node --test --test-concurrency="${X402_TEST_CONCURRENCY:-3}" --test-timeout=60000 test/
done
