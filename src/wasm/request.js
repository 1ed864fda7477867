// The request helpers of request.rs and caller.rs that would otherwise cross the wasm boundary
// once per chunk or per member: a bounded body read, and the copies of a caller's init.

const TIMED_OUT = 'x402-wasm: timed out';
const NOT_WEB =
  'the response body is not a web ReadableStream: wrap a fetch whose Responses are standard';
const decoder = new TextDecoder();

/**
 * A response's body as text (UTF-8; malformed sequences replaced and a BOM dropped, as
 * `text()` does), or `null` when it is longer than `limit` bytes: it is read chunk by chunk, each
 * copied at once into one buffer that never grows past the limit, and cancelled as soon as the
 * limit is passed, so a hostile body is never held whole, however it is cut into chunks. A body
 * still arriving after `ms` milliseconds rejects with TIMED_OUT (one timer for the whole read,
 * cleared either way), and once `signal` (optional) aborts, with its reason. What cannot be read
 * resolves to `{ refused: message }`; any failure cancels the reader.
 * @param {Response} response
 * @param {number} limit
 * @param {number} ms
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<string | null | { refused: string }>}
 */
export async function readText(response, limit, ms, signal) {
  const body = response.body;
  if (body === null || body === undefined) return '';
  if (typeof body.getReader !== 'function') return { refused: NOT_WEB };
  const reader = body.getReader();
  // The read in progress is rejected by the timer or the abort; one that has just ended is not
  // read after it.
  let expired = false;
  let stopped;
  let fail = null;
  const stop = (reason) => {
    expired = true;
    stopped = reason;
    fail?.(reason);
  };
  const timer = setTimeout(() => stop(TIMED_OUT), ms);
  const onAbort = () => stop(signal.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let bytes = new Uint8Array(0);
  let length = 0;
  try {
    if (signal?.aborted) throw signal.reason;
    for (;;) {
      if (expired) throw stopped;
      const step = await new Promise((resolve, reject) => {
        fail = reject;
        reader.read().then(resolve, reject);
      });
      fail = null;
      if (step.done) break;
      let chunk = step.value;
      if (!(chunk instanceof Uint8Array)) {
        // A chunk from another realm (a test runner's outer fetch) is a view, not our Uint8Array.
        if (!ArrayBuffer.isView(chunk)) {
          cancelQuietly(reader);
          return { refused: 'a response body chunk is not bytes' };
        }
        chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (chunk.byteLength > limit - length) {
        cancelQuietly(reader);
        return null;
      }
      if (length + chunk.byteLength > bytes.byteLength) {
        const grown = new Uint8Array(Math.min(limit, Math.max(2 * bytes.byteLength, length + chunk.byteLength, 1024)));
        grown.set(bytes.subarray(0, length));
        bytes = grown;
      }
      bytes.set(chunk, length);
      length += chunk.byteLength;
    }
  } catch (error) {
    cancelQuietly(reader);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return decoder.decode(bytes.subarray(0, length));
}

/**
 * A Request's body, read once up front into a Blob (as `request.blob()`), or null when it has
 * none. The read stops as soon as `signal` aborts: the stream is cancelled (an endless one is not
 * read on in the background) and the read rejects with the signal's reason. Where Request has no
 * `body` (Firefox), the body is read with `blob()` (such a body is never a stream there).
 * @param {Request} request
 * @param {AbortSignal} signal
 * @returns {Promise<Blob | null>}
 */
export async function readBody(request, signal) {
  const body = request.body;
  if (body === null) return null;
  if (body === undefined) {
    if (request.method === 'GET' || request.method === 'HEAD') return null;
    if (signal.aborted) throw signal.reason;
    // Read even when empty: sending the Request as it is would send a used body.
    const blob = await request.blob();
    if (signal.aborted) throw signal.reason;
    return blob;
  }
  const reader = body.getReader();
  const chunks = [];
  const onAbort = () => cancelQuietly(reader);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const step = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (step.done) break;
      // Bytes only, as fetch and request.blob() take a stream's chunks (one from another realm too).
      if (!ArrayBuffer.isView(step.value)) throw new TypeError('a request body chunk is not bytes (a Uint8Array)');
      chunks.push(step.value);
    }
  } catch (error) {
    cancelQuietly(reader);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return new Blob(chunks, { type: request.headers.get('content-type') ?? '' });
}

const PAID = Symbol.for('x402-wasm: the responses paying fetches paid for');
let paid;

/**
 * The responses paying fetches returned for the payments they made: one set for every copy of
 * this package in the realm (a library that bundles its own, a second version in node_modules),
 * kept under a registered symbol on the global, so a paying fetch wrapping another copy's never
 * pays the request again. A global that cannot take it (frozen) leaves this copy its own set.
 * @returns {WeakSet<object>}
 */
export function paidResponses() {
  if (paid) return paid;
  let shared = globalThis[PAID];
  if (!(shared instanceof WeakSet)) {
    shared = new WeakSet();
    try {
      Object.defineProperty(globalThis, PAID, { value: shared });
    } catch {
      // Frozen, or taken by something else: this copy's own.
    }
  }
  paid = shared;
  return paid;
}

/** Handles `promise`'s rejection: nothing awaits it any more (the call was aborted). */
export function ignoreRejection(promise) {
  promise.catch(() => {});
}

/** `target.cancel()` (a stream or its reader), not waited for, its rejection handled. */
export function cancelQuietly(target) {
  try {
    const pending = target.cancel();
    if (pending && typeof pending.catch === 'function') pending.catch(() => {});
  } catch {
    // Already failed or released: nothing to cancel.
  }
}

const own = (object, key, value) =>
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });

/**
 * A plain call's init as fetch reads it when called: every own member (enumerable or not),
 * defined (not assigned) on a fresh object, with its headers copied into a Headers of their own.
 * What the init throws (a getter, a Proxy trap) is thrown on.
 * @param {object} init
 */
export function snapshotInit(init) {
  const copy = {};
  for (const name of Object.getOwnPropertyNames(init)) {
    let value = init[name];
    if (name === 'headers' && value !== undefined && value !== null) value = new Headers(value);
    own(copy, name, value);
  }
  return copy;
}

/**
 * The init of a plain call's paid retry: inherits the call's init (fetch reads every member as
 * `init.x` does, own or not), with its own headers (the call's, plus `payment`: name, value,
 * name, value...) and `redirect: 'manual'`, so the payment never follows a redirect.
 * @param {object | undefined} init
 * @param {string[]} payment
 */
export function retryInit(init, payment) {
  const retry = typeof init === 'object' && init !== null ? Object.create(init) : {};
  const given = retry.headers;
  const headers = given === undefined || given === null ? new Headers() : new Headers(given);
  for (let i = 0; i + 1 < payment.length; i += 2) headers.set(payment[i], payment[i + 1]);
  own(retry, 'headers', headers);
  own(retry, 'redirect', 'manual');
  return retry;
}
