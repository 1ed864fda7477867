// X402Error: the one error class the package throws. `code` is stable; branch on it.

/** An x402-wasm failure with a stable `code` such as "INVALID_HEADER". */
export class X402Error extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message, code, options) {
    super(message, options);
    this.name = 'X402Error';
    this.code = code;
    // What a program may act on besides the code (BUDGET_EXCEEDED: which limit, what is left, when it frees).
    if (options?.details !== undefined) this.details = options.details;
  }

  /** `JSON.stringify(error)` keeps what a log needs: name, code, message and details. */
  toJSON() {
    return { name: this.name, code: this.code, message: this.message, ...(this.details !== undefined && { details: this.details }) };
  }
}

/** What wasm-bindgen throws when a method runs on an object whose free() was called. */
const FREED = 'null pointer passed to rust';

/**
 * Turns an error thrown by the wasm core (an Error named X402Error with a `code`, or
 * wasm-bindgen's error for a freed object) into an X402Error; anything else (a wrapped fetch's
 * own ECONNREFUSED, a callback's coded error) is returned as it is.
 */
export function toX402Error(error) {
  if (error instanceof X402Error) return error;
  if (error instanceof Error && error.name === 'X402Error' && typeof error.code === 'string') {
    return new X402Error(error.message, error.code, { cause: error.cause, details: error.details });
  }
  if (error instanceof Error && error.message === FREED) return usedAfterFree(error);
  return error;
}

/** The error of a wallet (or other x402-wasm object) used after its free(). */
export function usedAfterFree(cause) {
  return new X402Error('a wallet (or other x402-wasm object) was used after its free()', 'USED_AFTER_FREE', cause === undefined ? undefined : { cause });
}

// The wasm's load. The browser entries (init.js) fetch the wasm: a failed download must not fail
// the import itself (an ES module that failed to evaluate stays failed for the page's life, and
// every later import of the package with it), so it is kept here instead: calls then throw
// WASM_LOAD_FAILED, async ones load the wasm again first, and ready() loads it again on demand.
// Node and workerd instantiate it synchronously, before any call: there it is loaded from the start.
const wasm = { loaded: true, start: undefined, attempt: undefined, failure: undefined };

/**
 * Instantiates the wasm with `start` (an async function); resolves when it is loaded or has failed,
 * never rejects (see above). Later calls share the first one's load.
 */
export function loadWasm(start) {
  if (wasm.start === undefined) {
    wasm.start = start;
    wasm.loaded = false;
  }
  return ready().catch(() => {});
}

/**
 * Resolves once the wasm is instantiated. After a failed load it loads it again (one attempt at a
 * time, shared), and rejects with WASM_LOAD_FAILED if that fails too.
 */
export function ready() {
  if (wasm.loaded) return Promise.resolve();
  wasm.attempt ??= Promise.resolve().then(wasm.start).then(
    () => {
      wasm.loaded = true;
      wasm.attempt = undefined;
      wasm.failure = undefined;
    },
    (error) => {
      wasm.attempt = undefined;
      wasm.failure = error;
      throw notLoaded();
    },
  );
  return wasm.attempt;
}

/** Whether the wasm is instantiated (calls into it can be made now). */
export function wasmLoaded() {
  return wasm.loaded;
}

/** The error of a call made while the wasm is not instantiated; its cause is the load's failure. */
function notLoaded() {
  const why = wasm.failure === undefined ? 'is still loading' : `failed to load (${wasm.failure?.message ?? wasm.failure})`;
  return new X402Error(`x402-wasm's WebAssembly module ${why}: \`await ready()\` loads it again`, 'WASM_LOAD_FAILED', { cause: wasm.failure });
}

/**
 * Wraps a wasm export so that what it throws (or its promise rejects with) is an X402Error. With
 * `rejects`, for a function typed as returning a Promise, what it throws is a rejection instead;
 * such a function called before the wasm is loaded loads it first (ready()), any other throws
 * WASM_LOAD_FAILED.
 */
export function guard(fn, rejects = false) {
  return function guarded(...args) {
    if (!wasm.loaded) {
      if (rejects) return ready().then(() => guarded.apply(this, args));
      throw notLoaded();
    }
    let result;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      if (rejects) return Promise.reject(toX402Error(error));
      throw toX402Error(error);
    }
    if (result instanceof Promise) {
      return result.catch((error) => {
        throw toX402Error(error);
      });
    }
    return result;
  };
}

/**
 * EIP-1193 codes that say what state a wallet is in (refused, unauthorised, a request already
 * pending, disconnected): a chain switch failing with one is not a chain the wallet lacks.
 */
export const PROVIDER_STATES = [4001, 4100, -32002, 4900, 4901];

/**
 * Maps a wallet failure to an X402Error by its EIP-1193 code, keeping it as `cause`:
 * 4001 (and WalletConnect's 5000) USER_REJECTED, 4100 WALLET_UNAUTHORIZED, 4200
 * WALLET_UNSUPPORTED, anything else WALLET_ERROR (saying what to do for -32002, a request already
 * open in the wallet, and 4900/4901, disconnected).
 */
export function walletError(error, what, code) {
  if (error instanceof X402Error) return error;
  const detail = error?.shortMessage ?? error?.message ?? String(error);
  switch (code) {
    case 4001:
    case 5000:
      return new X402Error(`the user rejected ${what}`, 'USER_REJECTED', { cause: error });
    case 4100:
      return new X402Error(`the wallet has not authorised ${what}: ${detail}`, 'WALLET_UNAUTHORIZED', { cause: error });
    case 4200:
      return new X402Error(`the wallet does not support ${what}: ${detail}`, 'WALLET_UNSUPPORTED', { cause: error });
    case -32002: // MetaMask: another request of the site is still open in the wallet
      return new X402Error(`${what} failed: the wallet already has a request from this site open; finish or dismiss it in the wallet, then try again (${detail})`, 'WALLET_ERROR', { cause: error });
    case 4900:
    case 4901:
      return new X402Error(`${what} failed: the wallet is disconnected from ${code === 4900 ? 'every chain' : 'this chain'} (${detail})`, 'WALLET_ERROR', { cause: error });
    default:
      return new X402Error(`${what} failed: ${detail}`, 'WALLET_ERROR', { cause: error });
  }
}

/**
 * The accounts a page may use without prompting (`request()` asks eth_accounts): none when it is not
 * connected yet, which the Coinbase Wallet SDK says by refusing with 4100 (`codeOf(error)`) instead
 * of answering []. Any other failure is `mapError(error)`.
 */
export async function accountsWithoutPrompt(request, codeOf, mapError) {
  try {
    return await request();
  } catch (error) {
    if (codeOf(error) === 4100) return [];
    throw mapError(error);
  }
}

/**
 * A failed eth_sendTransaction: code 3 (execution reverted) is the wallet's own gas estimate
 * refusing the call, so nothing was sent: TRANSACTION_FAILED. Anything else as walletError.
 */
export function sendError(error, what, code) {
  if (code === 3 && !(error instanceof X402Error)) {
    const detail = error?.shortMessage ?? error?.message ?? String(error);
    return new X402Error(`the transfer would fail, so it was not sent: ${detail}`, 'TRANSACTION_FAILED', { cause: error });
  }
  return walletError(error, what, code);
}

/**
 * Marks an adapter made by this package, whole: the core trusts only its errors' codes to say that
 * a transfer it was asked to send was not sent (another adapter's failure keeps the budget). It is
 * frozen, so its methods stay the package's: one replaced in place, or by a Proxy (which must report
 * a frozen member as it is), would be believed; an object inheriting from it with methods of its own
 * is not (the core compares them with the marked object's).
 */
export function ownAdapter(adapter) {
  return Object.freeze(Object.defineProperty(adapter, '__x402Own', { value: true }));
}

/**
 * Refuses the own keys of an options object that are not `known` (INVALID_ARGUMENT): a misspelt
 * safety option (`onPaymentRequried`, `polciy`) must not be dropped in silence. `where` names the
 * object in the message. Anything that is not a plain object is left to the caller's own checks.
 */
export function onlyKnownOptions(options, known, where) {
  if (typeof options !== 'object' || options === null) return;
  let keys;
  try {
    // Both may throw: a revoked Proxy.
    if (Array.isArray(options)) return;
    keys = Object.keys(options);
  } catch (cause) {
    throw new X402Error(`${where}: its options cannot be read (${cause?.message ?? cause})`, 'INVALID_ARGUMENT', { cause });
  }
  const unknown = keys.filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const close = (key) => known.find((name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= 2);
  // A few are enough to say what is wrong (an object of a million keys is not listed whole).
  const named = unknown.slice(0, 5).map((key) => {
    const hint = close(key);
    return hint ? `${key} (did you mean ${hint}?)` : key;
  });
  const more = unknown.length > named.length ? ` and ${unknown.length - named.length} more` : '';
  throw new X402Error(`${where}: unknown option ${named.join(', ')}${more}; the options are ${known.join(', ')}`, 'INVALID_ARGUMENT');
}

/** Levenshtein distance of two short strings. */
function editDistance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
