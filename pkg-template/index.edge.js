// Edge runtime entry (Next.js, Vercel: the "edge-light" condition): the wasm is a compiled module
// (see init.edge.js).
import { init } from './init.edge.js';
import * as api from './api.js';

await init();

// Local bindings, as in index.js: a re-export would let a bundler drop this module and its init.
export const X402Error = api.X402Error;
export const ready = api.ready;
export const decodeHeader = api.decodeHeader;
export const decodePaymentResponse = api.decodePaymentResponse;
export const encodePaymentHeader = api.encodePaymentHeader;
export const encodeHeader = api.encodeHeader;
export const recognizePaymentRequired = api.recognizePaymentRequired;
export const parseAmount = api.parseAmount;
export const parsePrice = api.parsePrice;
export const formatUnits = api.formatUnits;
export const toCaip2 = api.toCaip2;
export const toV1Network = api.toV1Network;
export const evmPrivateKeyWallet = api.evmPrivateKeyWallet;
export const createPaymentPayload = api.createPaymentPayload;
export const hashTypedData = api.hashTypedData;
export const verifyPayment = api.verifyPayment;
export const recoverTypedDataAddress = api.recoverTypedDataAddress;
export const wrapFetch = api.wrapFetch;
export const getPaymentReceipt = api.getPaymentReceipt;
export const eip1193Wallet = api.eip1193Wallet;
export const viemWallet = api.viemWallet;
export const solanaWallet = api.solanaWallet;
export const discoverX402 = api.discoverX402;
export const solanaPrivateKeyWallet = api.solanaPrivateKeyWallet;
