// x402-wasm/worker for the Edge runtime (Next.js, Vercel: the "edge-light" condition): initialises
// the wasm as ../index.edge.js does (one shared instance).
import { init } from '../init.edge.js';
import * as errors from '../errors.js';
import * as handler from './handler.js';
import * as facilitator from './facilitator.js';
import * as replay from './replay.js';

await init();

// Local bindings, as in ../index.js: with re-exports a bundler would drop this module and its init,
// and handler.js would run on a wasm nobody instantiated.
export const X402Error = errors.X402Error;
export const ready = errors.ready;
export const requirePayment = handler.requirePayment;
export const paymentRequired = handler.paymentRequired;
export const preflight = handler.preflight;
export const createFacilitatorClient = facilitator.createFacilitatorClient;
export const memoryReplayStore = replay.memoryReplayStore;
export const durableObjectReplayStore = replay.durableObjectReplayStore;
export const ReplayStoreDurableObject = replay.ReplayStoreDurableObject;
