// How the Node entries instantiate the wasm: read from next to this file, synchronously. Shared by
// index.node.js and worker/index.node.js, so the wasm's path is written once, relative to the package root.
import { readFileSync } from 'node:fs';
import { initSync } from './x402_wasm.js';

let instantiated = false;

/** Instantiates the wasm once; later calls return at once, without reading the file again. */
export function init() {
  if (instantiated) return;
  initSync({ module: readFileSync(new URL('./x402_wasm_bg.wasm', import.meta.url)) });
  instantiated = true;
}
