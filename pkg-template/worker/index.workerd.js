// x402-wasm/worker for Cloudflare Workers (workerd): initialises the wasm first.
export { X402Error } from '../index.workerd.js';
export { requirePayment, paymentRequired, preflight } from './handler.js';
export { createFacilitatorClient } from './facilitator.js';
export { memoryReplayStore, durableObjectReplayStore, ReplayStoreDurableObject } from './replay.js';
