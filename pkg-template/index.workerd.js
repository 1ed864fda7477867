// Cloudflare Workers (workerd) entry: the wasm is imported as a compiled module,
// because Workers forbid compiling wasm from bytes at run time.
import wasmModule from './x402_wasm_bg.wasm';
import { initSync } from './x402_wasm.js';

initSync({ module: wasmModule });

export * from './api.js';
