// Browser / bundler entry: fetches and instantiates the wasm next to this file.
import init from './x402_wasm.js';

await init({ module_or_path: new URL('./x402_wasm_bg.wasm', import.meta.url) });

export * from './api.js';
