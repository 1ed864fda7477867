// How the browser / bundler entries instantiate the wasm: fetched from next to this file. Shared by
// index.js and worker/index.js, so the wasm's URL is written once, relative to the package root.
import initWasm from './x402_wasm.js';
import { loadWasm } from './errors.js';

/** How long one download of the wasm may take before it counts as failed (a stalled connection). */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Instantiates the wasm; resolves when it is loaded or has failed to (a failure is kept for calls to
 * report, and ready() loads it again: errors.js). Later calls share the first one's load. A download
 * that stalls fails after DOWNLOAD_TIMEOUT_MS, so that it does not hold every retry; a retry
 * bypasses the HTTP cache, which may hold the failed answer (a 404, a 503).
 */
export function init() {
  let attempts = 0;
  return loadWasm(() => {
    attempts += 1;
    const url = new URL('./x402_wasm_bg.wasm', import.meta.url);
    const signal = globalThis.AbortSignal?.timeout?.(DOWNLOAD_TIMEOUT_MS);
    // The URL itself to fetch (not a Request: some runtimes' fetch serves a bundled asset's URL
    // only when given as one); `cache` only on a retry (not every fetch implements it).
    return initWasm({ module_or_path: fetch(url, attempts > 1 ? { signal, cache: 'reload' } : { signal }) });
  });
}
