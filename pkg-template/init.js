// How the browser / bundler entries instantiate the wasm: fetched from next to this file. Shared by
// index.js and worker/index.js, so the wasm's URL is written once, relative to the package root.
import initWasm from './x402_wasm.js';
import { loadWasm } from './errors.js';

/**
 * Instantiates the wasm; resolves when it is loaded or has failed to (a failure is kept for calls to
 * report, and ready() loads it again: errors.js). Later calls share the first one's load.
 */
export function init() {
  return loadWasm(() => initWasm({ module_or_path: new URL('./x402_wasm_bg.wasm', import.meta.url) }));
}
