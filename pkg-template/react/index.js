'use client';
// x402-wasm/react: React bindings over wrapFetch. They hold no protocol logic: the provider owns one
// wrapped fetch, and the hooks hand its approval question to the UI (useX402's call is itself the
// approval) and turn its events into state.
export { X402Provider } from './provider.js';
export { useX402Fetch } from './useX402Fetch.js';
export { usePaidResource } from './usePaidResource.js';
export { useX402 } from './useX402.js';
