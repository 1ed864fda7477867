// How the browser / bundler entries instantiate the wasm: fetched from next to this file. Shared by
// index.js and worker/index.js, so the wasm's URL is written once, relative to the package root.
import initWasm from './x402_wasm.js';

/** Instantiates the wasm; later calls share the first one's promise (wasm-bindgen keeps it). */
export function init() {
  return initWasm({ module_or_path: new URL('./x402_wasm_bg.wasm', import.meta.url) });
}
