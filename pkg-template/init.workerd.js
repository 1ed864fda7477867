// How the Cloudflare Workers (workerd) entries instantiate the wasm: imported as a compiled module,
// because Workers forbid compiling wasm from bytes at run time. Shared by index.workerd.js and
// worker/index.workerd.js.
import wasmModule from './x402_wasm_bg.wasm';
import { initSync } from './x402_wasm.js';

/** Instantiates the wasm; later calls return at once (initSync keeps the first instance). */
export function init() {
  initSync({ module: wasmModule });
}
