// discoverX402: reads a server's x402 discovery document, /.well-known/x402.json (seed 001).
import { aborted, discard, readCapped, wholeNumber } from './body.js';
import { X402Error, onlyKnownOptions } from './errors.js';

/** The largest discovery document read (256 KiB). */
const MAX_LEN = 256 * 1024;
/** How long the whole read may take by default (ms), answer and body. */
const TIMEOUT_MS = 10_000;

function failed(message, cause) {
  return new X402Error(`x402 discovery failed: ${message}`, 'DISCOVERY_FAILED', cause ? { cause } : undefined);
}

/**
 * Fetches `<origin>/.well-known/x402.json` for a URL or origin and returns the document (a JSON
 * object) with the `url` it was read from. Sends no credentials and follows no redirect to another
 * origin. The whole read (answer and body) is bounded by `timeoutMs` (10 s by default) and the body
 * by 256 KiB, read no further. Errors: DISCOVERY_FAILED (unreachable, too slow, not 200, not a
 * JSON object, over 256 KiB), INVALID_ARGUMENT (options); an abort of `signal` rejects with its reason.
 *
 * @param {string | URL} site any URL on the site (only its origin is used)
 * @param {{ fetch?: typeof fetch, signal?: AbortSignal, timeoutMs?: number }} [options]
 */
export async function discoverX402(site, options = {}) {
  if (typeof options !== 'object' || options === null) throw new X402Error('discoverX402: options must be an object', 'INVALID_ARGUMENT');
  onlyKnownOptions(options, ['fetch', 'signal', 'timeoutMs'], 'discoverX402');
  const { signal, timeoutMs = TIMEOUT_MS } = options;
  wholeNumber(timeoutMs, 'discoverX402', 'timeoutMs', 1, 2 ** 31 - 1);
  if (signal !== undefined && signal !== null && !(typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new X402Error('discoverX402: signal must be an AbortSignal', 'INVALID_ARGUMENT');
  }
  const fetcher = options.fetch ?? globalThis.fetch;
  if (typeof fetcher !== 'function') throw new X402Error('discoverX402: fetch must be a function', 'INVALID_ARGUMENT');
  const origin = originOf(String(site));
  if (origin === null) throw new X402Error(`discoverX402 needs an absolute URL, got ${site}`, 'INVALID_ARGUMENT');
  if (origin === 'null') throw new X402Error(`discoverX402 needs an http(s) URL, got ${site}`, 'INVALID_ARGUMENT');
  const url = `${origin}/.well-known/x402.json`;
  if (signal?.aborted) throw signal.reason;
  // One signal for the fetch and the body: the caller's abort, or the deadline.
  const controller = new AbortController();
  const timedOut = failed(`${url} did not answer within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  const onAbort = () => controller.abort(signal.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = aborted(controller.signal);
  let response;
  try {
    try {
      response = await Promise.race([
        fetcher(url, { credentials: 'omit', headers: { accept: 'application/json' }, signal: controller.signal }),
        stopped,
      ]);
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw failed(`${url} is unreachable`, error);
    }
    if (response.status !== 200) {
      discard(response);
      throw failed(`${url} answered HTTP ${response.status}`);
    }
    const from = response.url ? originOf(response.url) : origin;
    if (from !== origin) {
      discard(response);
      // A fetch of its own may report any url.
      throw failed(from === null ? `${url} answered with a response url that is not a URL` : `${url} redirected to another origin`);
    }
    let text;
    try {
      text = await Promise.race([readCapped(response, MAX_LEN, () => failed(`${url} is larger than ${MAX_LEN} bytes`)), stopped]);
    } catch (error) {
      // The reader was cancelled (readCapped) or errored by the abort: nothing left to discard.
      if (controller.signal.aborted) throw controller.signal.reason;
      if (error instanceof X402Error) throw error;
      throw failed(`${url} could not be read`, error);
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw failed(`${url} is not JSON`, error);
    }
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw failed(`${url} is not a JSON object`);
    return { ...document, url };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener?.('abort', onAbort);
  }
}

/** The origin of a URL (`'null'` for one without, e.g. data:); null when it is not a URL. */
function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
