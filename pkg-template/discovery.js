// discoverX402: reads a server's x402 discovery document, /.well-known/x402.json (seed 001).
import { X402Error } from './errors.js';

/** The largest discovery document read (256 KiB). */
const MAX_LEN = 256 * 1024;

function failed(message, cause) {
  return new X402Error(`x402 discovery failed: ${message}`, 'DISCOVERY_FAILED', cause ? { cause } : undefined);
}

/**
 * Fetches `<origin>/.well-known/x402.json` for a URL or origin and returns the document (a JSON
 * object) with the `url` it was read from. Sends no credentials and follows no redirect to another
 * origin. Errors: DISCOVERY_FAILED (unreachable, not 200, not a JSON object, over 256 KiB).
 *
 * @param {string | URL} site any URL on the site (only its origin is used)
 * @param {{ fetch?: typeof fetch, signal?: AbortSignal }} [options]
 */
export async function discoverX402(site, options = {}) {
  let origin;
  try {
    origin = new URL(String(site)).origin;
  } catch (error) {
    throw new X402Error(`discoverX402 needs an absolute URL, got ${site}`, 'INVALID_ARGUMENT', { cause: error });
  }
  if (origin === 'null') throw new X402Error(`discoverX402 needs an http(s) URL, got ${site}`, 'INVALID_ARGUMENT');
  const url = `${origin}/.well-known/x402.json`;
  const fetcher = options.fetch ?? globalThis.fetch;
  let response;
  try {
    response = await fetcher(url, { credentials: 'omit', headers: { accept: 'application/json' }, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw failed(`${url} is unreachable`, error);
  }
  if (response.status !== 200) throw failed(`${url} answered HTTP ${response.status}`);
  if (response.url && new URL(response.url).origin !== origin) throw failed(`${url} redirected to another origin`);
  const text = await response.text();
  if (text.length > MAX_LEN) throw failed(`${url} is larger than ${MAX_LEN} bytes`);
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw failed(`${url} is not JSON`, error);
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw failed(`${url} is not a JSON object`);
  return { ...document, url };
}
