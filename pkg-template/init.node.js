// How the Node entries instantiate the wasm: read from next to this file, synchronously. Shared by
// index.node.js and worker/index.node.js, so the wasm's path is written once, relative to the package root.
//
// The wasm is named with `new URL('./x402_wasm_bg.wasm', import.meta.url)`, which Node and webpack's Node
// bundles (an emitted asset, as a file: URL) read; Next.js rewrites that form into an asset object that
// readFileSync refuses (ERR_INVALID_ARG_TYPE) while it resolves import.meta.url itself to this file's path
// on disk, so anything but a file: URL falls back to the path beside this file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { X402Error } from './errors.js';
import { initSync } from './x402_wasm.js';

let instantiated = false;

/** Instantiates the wasm once; later calls return at once, without reading the file again. */
export function init() {
  if (instantiated) return;
  // A CommonJS bundle (esbuild's default for Node) has no import.meta.url: the wasm is read from
  // beside the bundle, as the README asks for bundles.
  const here = import.meta.url ?? (typeof __filename === 'string' ? pathToFileURL(__filename).href : undefined);
  if (here === undefined) throw new X402Error('x402-wasm cannot tell where its wasm file is (no import.meta.url)', 'WASM_LOAD_FAILED');
  const url = new URL('./x402_wasm_bg.wasm', here);
  const file = url instanceof URL && url.protocol === 'file:'
    ? url
    : join(dirname(fileURLToPath(here)), 'x402_wasm_bg.wasm');
  initSync({ module: readFileSync(file) });
  instantiated = true;
}
