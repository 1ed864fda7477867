// x402-wasm/worker for browsers and bundlers other than workerd: initialises the wasm first.
export { X402Error } from '../index.js';
export { requirePayment, paymentRequired, preflight } from './handler.js';
export { createFacilitatorClient } from './facilitator.js';
export { memoryReplayStore, durableObjectReplayStore, ReplayStoreDurableObject } from './replay.js';
