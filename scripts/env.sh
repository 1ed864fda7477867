# Sourced by the scripts: tool versions and PATH. Keep versions here only.
WASM_PACK_VERSION=0.15.1
# wasm-opt from the npm binaryen package (Debian's v108 corrupts externref tables).
BINARYEN_VERSION=132.0.0
# Node releases the tests also run under, besides the machine's Node 20 (scripts/test.sh).
NODE_EXTRA_VERSIONS="22.23.3 24.21.0"
# Must equal the wasm-bindgen version in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' "$(dirname "${BASH_SOURCE[0]}")/../Cargo.lock" 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}
X402_TOOLS=${X402_TOOLS:-$HOME/.cache/x402-wasm/tools}
export PATH="$X402_TOOLS/binaryen-$BINARYEN_VERSION/node_modules/.bin:$X402_TOOLS/wasm-pack-$WASM_PACK_VERSION/bin:$X402_TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin:$PATH"
# The npm node-linux-<arch> package name for this machine (Node 22/24 for the tests).
x402_node_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) echo "unsupported architecture for the extra Node releases: $(uname -m) (x86_64 or aarch64)" >&2; return 1 ;;
  esac
}
export WASM_PACK_VERSION WASM_BINDGEN_VERSION BINARYEN_VERSION X402_TOOLS NODE_EXTRA_VERSIONS
# Cargo's build output is cached beside the tools, per toolchain: a fresh clone (CI) then compiles
# only this crate, not every dependency again. A CARGO_TARGET_DIR already set is kept.
if [ -z "${CARGO_TARGET_DIR:-}" ] && command -v rustc >/dev/null 2>&1; then
  CARGO_TARGET_DIR="$X402_TOOLS/cargo-target-$(rustc -V | awk '{print $2}')"
  export CARGO_TARGET_DIR
fi
