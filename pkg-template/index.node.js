// Node entry: reads the wasm next to this file and instantiates it synchronously.
import { readFileSync } from 'node:fs';
import { initSync } from './x402_wasm.js';

initSync({ module: readFileSync(new URL('./x402_wasm_bg.wasm', import.meta.url)) });

export * from './api.js';
