// How the Edge runtime entries (Next.js and Vercel: the "edge-light" condition) instantiate the wasm:
// imported as a compiled module with the `?module` suffix those bundlers (webpack and Turbopack) give
// it, because the Edge runtime forbids compiling wasm from bytes and serves no file to fetch it from.
// Instantiated asynchronously: the module may come from another JS realm, which initSync's
// instanceof check refuses. Shared by index.edge.js and worker/index.edge.js.
import wasmModule from './x402_wasm_bg.wasm?module';
import initWasm from './x402_wasm.js';
import { loadWasm } from './errors.js';

/** Instantiates the wasm; later calls share the first one's load (a failure is kept: errors.js). */
export function init() {
  return loadWasm(() => initWasm({ module_or_path: wasmModule }));
}
