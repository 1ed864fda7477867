// The public API shared by every runtime entry (index.js, index.node.js, index.workerd.js).
// Each entry initialises the wasm module its own way (init*.js), then exports these names as its
// own bindings (see index.js for why not `export *`).
import * as core from './x402_wasm.js';
import { X402Error, guard, onlyKnownOptions, ready, usedAfterFree, wasmLoaded } from './errors.js';

export { X402Error, ready } from './errors.js';

/** Decodes an x402 header and checks its shape ("PaymentRequired" | "PaymentPayload" | "SettlementResponse"). */
export const decodeHeader = /* @__PURE__ */ guard(core.decodeHeader);
/** Decodes a PAYMENT-RESPONSE / X-PAYMENT-RESPONSE header. */
export const decodePaymentResponse = /* @__PURE__ */ guard(core.decodePaymentResponse);
/** Encodes a payment payload (v1 or v2) as the PAYMENT-SIGNATURE / X-PAYMENT value. */
export const encodePaymentHeader = /* @__PURE__ */ guard(core.encodePaymentHeader);
/** Encodes any x402 document as a header value. */
export const encodeHeader = /* @__PURE__ */ guard(core.encodeHeader);
/** Recognises a 402 response (v2 header, v2 body, v1 body) into one shape. */
export const recognizePaymentRequired = /* @__PURE__ */ guard(core.recognizePaymentRequired);
/** Validates an atomic amount (decimal integer below 2^256). */
export const parseAmount = /* @__PURE__ */ guard(core.parseAmount);
/** Converts "$0.01" / "0.05 USDC" / "1.5" to atomic units, exactly. */
export const parsePrice = /* @__PURE__ */ guard(core.parsePrice);
/** Formats atomic units as a decimal string. */
export const formatUnits = /* @__PURE__ */ guard(core.formatUnits);
/** Normalises a network name to CAIP-2. */
export const toCaip2 = /* @__PURE__ */ guard(core.toCaip2);
/** The x402 v1 name of a network, or undefined. */
export const toV1Network = /* @__PURE__ */ guard(core.toV1Network);
/** A wallet for a hex secp256k1 private key; the key stays inside wasm. */
export const evmPrivateKeyWallet = /* @__PURE__ */ guardWallet(core.evmPrivateKeyWallet);
/** Creates a signed payment payload for one of a 402's requirements. */
export const createPaymentPayload = /* @__PURE__ */ guard((paymentRequired, requirement, wallet, options) => {
  // A misspelt option (`paymentID`, `validafter`) would sign without it.
  onlyKnownOptions(options, CREATE_OPTIONS, 'createPaymentPayload');
  return core.createPaymentPayload(paymentRequired, requirement, wallet, options);
}, true);
const CREATE_OPTIONS = ['rpc', 'rpcTimeout', 'memoBytes', 'now', 'nonce', 'validAfter', 'paymentId'];
/** The EIP-712 digest of typed data. */
export const hashTypedData = /* @__PURE__ */ guard(core.hashTypedData);
/** Verifies a payment payload against a requirement, locally. */
export const verifyPayment = /* @__PURE__ */ guard(core.verifyPayment);
/** Recovers the signer of typed data (EIP-55 address). */
export const recoverTypedDataAddress = /* @__PURE__ */ guard(core.recoverTypedDataAddress);
/**
 * Wraps fetch so that x402 402 responses are paid by `options.wallets` under `options.policy`.
 * Non-402 responses come back untouched; one request is paid at most once.
 */
export function wrapFetch(fetch, options = {}) {
  if (typeof fetch !== 'function') {
    throw new X402Error(`wrapFetch needs a fetch function to wrap, not ${fetch === null ? 'null' : typeof fetch}`, 'INVALID_ARGUMENT');
  }
  onlyKnownOptions(options, WRAP_FETCH_OPTIONS, 'wrapFetch');
  if (!wasmLoaded()) return wrapLater(fetch, options);
  const share = options?.shareBudgetWith;
  let given = options;
  if (share != null) {
    const shared = madeLater(share);
    given = { ...options, shareBudgetWith: shared === undefined ? undefined : UNGUARDED.get(shared) ?? shared };
  }
  const paying = wrapCore(fetch, given);
  const guarded = guard(paying);
  UNGUARDED.set(guarded, paying);
  return guarded;
}
/**
 * wrapFetch while the wasm is not loaded (its download failed: errors.js): a paying fetch that
 * loads it at its first call (each call until one succeeds; WASM_LOAD_FAILED if it cannot), then
 * makes the real one, once, and calls it. Nothing is sent before: the request goes out through the
 * real one. The options (as given now) are checked then: a refused policy rejects each call.
 */
function wrapLater(fetch, given) {
  const options = typeof given === 'object' && given !== null ? { ...given } : given;
  let made;
  const make = () => {
    made ??= wrapFetch(fetch, options);
    return made;
  };
  const later = async function paidFetch(...args) {
    await untilAborted(ready(), args[1]?.signal ?? (typeof Request === 'function' && args[0] instanceof Request ? args[0].signal : undefined));
    return make()(...args);
  };
  LATER.set(later, make);
  return later;
}
/** Each paying fetch made by wrapLater to the function that makes its real one (once the wasm is loaded), for shareBudgetWith. */
const LATER = new WeakMap();
/**
 * What `shareBudgetWith: share` names: share itself, or the real paying fetch of one made by
 * wrapLater. One whose own options are refused never paid anything: there is nothing to share
 * (its error is its own calls', not this fetch's).
 */
function madeLater(share) {
  const make = LATER.get(share);
  if (make === undefined) return share;
  try {
    return make();
  } catch {
    return undefined;
  }
}
/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
/** The options of wrapFetch (fetch.d.ts, WrapFetchOptions). */
const WRAP_FETCH_OPTIONS = ['wallets', 'policy', 'onPaymentRequired', 'onEvent', 'rpc', 'rpcTimeout', 'facilitators', 'transactionTimeout', 'shareBudgetWith'];
/** Each paying fetch returned above to the wasm's own, which `shareBudgetWith` must be given. */
const UNGUARDED = new WeakMap();
const wrapCore = /* @__PURE__ */ guard(core.wrapFetch);
/** The payment receipt of a response returned by a wrapped fetch (or decoded from its headers). */
export const getPaymentReceipt = /* @__PURE__ */ guard(core.getPaymentReceipt);
export { eip1193Wallet } from './wallets/eip1193.js';
export { viemWallet } from './wallets/viem.js';
export { solanaWallet } from './wallets/solana.js';
export { discoverX402 } from './discovery.js';
/** A wallet for a Solana secret (32-byte seed or 64-byte keypair; base58, 0x hex or bytes). */
export const solanaPrivateKeyWallet = /* @__PURE__ */ guardWallet(core.solanaPrivateKeyWallet);

/** The key wallets' methods typed (index.d.ts) as returning a Promise. */
const ASYNC_METHODS = new Set(['signTypedData', 'signTransaction', 'sendTransaction']);

/**
 * A key wallet's constructor whose wallets' own methods and getters (signTypedData,
 * sendTransaction, address...) throw X402Errors too, as every other export does: their class's
 * prototype is guarded once, when the first wallet is made.
 */
function guardWallet(make) {
  const guarded = new WeakSet();
  return guard((...args) => {
    const wallet = make(...args);
    const proto = Object.getPrototypeOf(wallet);
    if (!guarded.has(proto)) {
      guarded.add(proto);
      // Symbol-keyed ones too: `using` calls [Symbol.dispose] (free) at the end of a scope.
      for (const name of Reflect.ownKeys(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name);
        if (name === 'constructor' || !d.configurable) continue;
        // free() of a freed wallet does nothing; every other member checks its receiver first.
        const frees = name === 'free' || name === Symbol.dispose;
        const of = (fn) => (frees ? fn : ownReceiver(proto, name, fn));
        // A method typed as returning a Promise rejects rather than throws (bad input, a freed
        // key), as an adapter's does.
        if (typeof d.value === 'function') Object.defineProperty(proto, name, { ...d, value: guard(of(d.value), ASYNC_METHODS.has(name)) });
        else if (d.get) Object.defineProperty(proto, name, { ...d, get: guard(of(d.get)) });
      }
    }
    return wallet;
  });
}

/**
 * `fn` (a key wallet's method or getter), run only on a live wallet of its own class. The wasm
 * checks its receiver too, but its refusal is thrown from inside the wasm, which leaks a little of
 * the wasm's stack each time: a freed wallet used a few thousand times in a loop, or a method
 * called on another class's wallet (read as the wrong type), broke every later call of the
 * instance. Checked here, before the wasm is entered: INVALID_ARGUMENT for a detached method or a
 * foreign receiver, USED_AFTER_FREE for a freed wallet.
 */
function ownReceiver(proto, name, fn) {
  return function (...args) {
    // A wallet's own object, or one made from it (Object.create(wallet)), which reads its pointer.
    if (!Object.prototype.isPrototypeOf.call(proto, Object(this))) {
      const what = this === null || this === undefined ? String(this) : typeof this === 'object' ? 'another object' : `a ${typeof this}`;
      throw new X402Error(`${String(name)} must be called on its own wallet (wallet.${String(name)}), not on ${what}`, 'INVALID_ARGUMENT');
    }
    if (this.__wbg_ptr === 0) throw usedAfterFree();
    return fn.apply(this, args);
  };
}
