#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, on a fresh machine.
# Idempotent: each tool is cached under $X402_TOOLS (default ~/.cache/x402-wasm/tools),
# keyed by version, and skipped when the right version is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }

# Runs in other checkouts share the cache: one setup at a time changes it (or restores from it).
mkdir -p "$X402_TOOLS"
exec 9>"$X402_TOOLS/.setup.lock"
flock 9

# Rust target for wasm.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo-installed tools, one cache folder per tool and version.
cargo_tool() { # name version binary [extra cargo args]
  local name=$1 version=$2 bin=$3; shift 3
  local root="$X402_TOOLS/$name-$version"
  if [ ! -x "$root/bin/$bin" ]; then
    log "installing $name $version into $root"
    cargo install --quiet --root "$root" "$name" --version "=$version" "$@"
  fi
}
cargo_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack
# The CLI must match the wasm-bindgen in Cargo.lock exactly. No --locked: a pinned
# dependency of its lock file is missing from the registry.
cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen

# wasm-opt: the npm binaryen package, cached by version.
binaryen="$X402_TOOLS/binaryen-$BINARYEN_VERSION"
if [ ! -x "$binaryen/node_modules/.bin/wasm-opt" ]; then
  log "installing binaryen $BINARYEN_VERSION (npm) into $binaryen"
  mkdir -p "$binaryen"
  (cd "$binaryen" && npm install --no-audit --no-fund --loglevel=error --no-save "binaryen@$BINARYEN_VERSION")
fi

# Node 22 and 24 for the tests that also run under them (only when scripts/test.sh asks, with
# X402_SETUP_EXTRA_NODE=1): the official build, as npm publishes it (node-linux-<arch>, checked
# against the registry's integrity), cached by version and architecture.
if [ "${X402_SETUP_EXTRA_NODE:-0}" = 1 ]; then
  node_arch=$(x402_node_arch)
  for version in $NODE_EXTRA_VERSIONS; do
    node_dir="$X402_TOOLS/node-$version-linux-$node_arch"
    if [ ! -x "$node_dir/bin/node" ]; then
      log "installing Node $version (npm node-linux-$node_arch) into $node_dir"
      scratch=$(mktemp -d)
      (cd "$scratch" && npm pack --silent "node-linux-$node_arch@$version" >/dev/null && tar xzf ./*.tgz)
      rm -rf "$node_dir.partial" && mkdir -p "$node_dir.partial"
      cp -a "$scratch/package/." "$node_dir.partial/" && rm -rf "$node_dir" && mv "$node_dir.partial" "$node_dir"
      rm -rf "$scratch"
    fi
  done
fi

# Debian packages: Chromium and its driver for browser tests.
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm dependencies of the JS test harness and the demo (lock files are committed), and of the folders
# X402_EXTRA_NPM_DIRS names (the package and React test projects, the benchmarks). A tree installed
# once is kept under $X402_TOOLS/npm, keyed by its lock file, and put into a fresh clone as hard links
# (a real copy across file systems): seconds, where npm ci takes half a minute per project. Files are
# only ever added to or removed from these trees (npm install <tarball>, bundler caches), except npm's
# hidden lock file, which npm rewrites in place: each tree gets its own copy of it.
restore_tree() { # kept-tree destination-folder
  if cp -al "$1/node_modules" "$2/" 2>/dev/null; then
    if [ -f "$1/node_modules/.package-lock.json" ]; then
      cp --remove-destination "$1/node_modules/.package-lock.json" "$2/node_modules/.package-lock.json"
    fi
  else
    rm -rf "$2/node_modules"
    cp -a "$1/node_modules" "$2/"
  fi
}
for dir in tests/js ${X402_EXTRA_NPM_DIRS:-}; do
  if [ -f "$here/$dir/package-lock.json" ]; then
    lock=$(sha256sum "$here/$dir/package-lock.json" | cut -c1-16)
    stamp="$here/$dir/node_modules/.x402-lock-$lock"
    kept="$X402_TOOLS/npm/${dir//\//-}"
    if [ ! -f "$stamp" ]; then
      if [ -d "$kept-$lock/node_modules" ]; then
        log "node_modules of $dir from $kept-$lock"
        rm -rf "$here/$dir/node_modules"
        restore_tree "$kept-$lock" "$here/$dir"
      else
        log "npm ci in $dir"
        # npm ci refuses this lock because litesvm names optional platform packages that the
        # registry does not have for its version; npm install still follows the lock for the rest.
        (cd "$here/$dir" && { npm ci --no-audit --no-fund --loglevel=error 2>/dev/null \
          || npm install --no-save --no-audit --no-fund --loglevel=error; })
        # A project without dependencies gets no node_modules from npm: an empty tree is kept.
        mkdir -p "$here/$dir/node_modules"
        # Kept for the next clone (the trees of older lock files go), copied whole before it counts.
        # Only this folder's trees: tests-react-<lock>, not tests-react-react19-<lock>.
        for old in "$kept"-*; do
          if [[ $old =~ ^"$kept"-[0-9a-f]{16}(\.partial)?$ ]]; then rm -rf "$old"; fi
        done
        mkdir -p "$kept-$lock.partial"
        cp -a "$here/$dir/node_modules" "$kept-$lock.partial/" && mv "$kept-$lock.partial" "$kept-$lock"
      fi
      touch "$stamp"
    fi
  fi
done
flock -u 9
log "ready"
