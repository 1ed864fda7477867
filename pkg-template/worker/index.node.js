// x402-wasm/worker for Node (tests, local servers): initialises the wasm first.
export { X402Error } from '../index.node.js';
export { requirePayment, paymentRequired, preflight } from './handler.js';
export { createFacilitatorClient } from './facilitator.js';
export { memoryReplayStore, durableObjectReplayStore, ReplayStoreDurableObject } from './replay.js';
