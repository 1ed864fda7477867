// CORS of x402-wasm/worker's answers (402s, 400s, preflights, paid answers): a fixed origin, or one
// reflected from a list or a function of the request's Origin; credentials when asked for, and
// refused with '*', which browsers refuse.
import { X402Error, onlyKnownOptions } from '../errors.js';

/** The headers a page must read on a 402 or a paid answer. */
export const EXPOSE = 'PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE';

/**
 * The CORS headers of an answer to `request` under `options.cors`: `origin` a fixed value ('*' by
 * default), or a list of origins (or a function of the request's Origin) whose match is reflected,
 * varying on Origin; `credentials: true` allows cookies (never with '*': checkCors refuses it).
 */
export function corsHeaders(options, extra = {}, request = undefined) {
  const cors = typeof options.cors === 'object' && options.cors !== null ? options.cors : {};
  const origin = cors.origin ?? '*';
  const credentials = cors.credentials === true;
  const headers = { 'Access-Control-Expose-Headers': EXPOSE, ...extra };
  if (typeof origin === 'string') {
    headers['Access-Control-Allow-Origin'] = origin;
  } else {
    const asked = request?.headers.get('origin');
    if (asked && allowsOrigin(origin, asked)) headers['Access-Control-Allow-Origin'] = asked;
    headers.Vary = 'Origin';
  }
  if (credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  return headers;
}

/** Whether a list or a function of origins allows `asked` (a function that throws does not). */
function allowsOrigin(origin, asked) {
  if (Array.isArray(origin)) return origin.includes(asked);
  try {
    return origin(asked) === true;
  } catch {
    return false;
  }
}

/** Refuses a `cors` option browsers would not honour, when the middleware is made (or per call). */
export function checkCors(cors) {
  // true, false and null are the default ('*'), as before these options existed.
  if (cors === undefined || cors === null || typeof cors === 'boolean') return;
  const bad = (why) => new X402Error(`cors: ${why}`, 'INVALID_ARGUMENT');
  if (typeof cors !== 'object') throw bad('must be an object { origin?, credentials? }');
  onlyKnownOptions(cors, ['origin', 'credentials'], 'cors');
  const { origin = '*', credentials = false } = { ...cors, origin: cors.origin ?? undefined, credentials: cors.credentials ?? undefined };
  const list = Array.isArray(origin) && origin.every((o) => typeof o === 'string');
  if (typeof origin !== 'string' && typeof origin !== 'function' && !list) {
    throw bad('origin must be a string, a list of origins or a function of the request\'s Origin');
  }
  if (typeof credentials !== 'boolean') throw bad('credentials must be true or false');
  if (credentials && origin === '*') throw bad('browsers refuse credentials with origin "*": name the origins (a list or a function)');
}

/**
 * Adds the CORS headers `ours` to a paid answer's `headers` as one group: the handler's own
 * Access-Control-Allow-Origin is kept, with its credentials, unless it is '*' where credentials
 * are on (browsers refuse '*' with them: the payer would be charged for an answer the page cannot
 * read), which ours replace; other headers the handler set are kept; Vary gains what it lacks.
 */
export function withCors(headers, ours, options) {
  const theirs = headers.get('access-control-allow-origin');
  const replace = theirs === null || (theirs.trim() === '*' && options.cors?.credentials === true);
  for (const [key, value] of Object.entries(ours)) {
    if (key === 'Vary') {
      addVary(headers, value);
    } else if (key === 'Access-Control-Allow-Origin' || key === 'Access-Control-Allow-Credentials') {
      if (replace) headers.set(key, value);
    } else if (!headers.has(key)) {
      headers.set(key, value);
    }
  }
  // Ours allow no origin for this request: the handler's '*' must not stand with credentials.
  if (replace && !('Access-Control-Allow-Origin' in ours)) headers.delete('access-control-allow-origin');
  // The handler allowed the very origin ours allow (a generic cors() reflecting it) but said nothing
  // of credentials: the page was told on the 402 that credentials are allowed, and paid with them.
  const credentials = ours['Access-Control-Allow-Credentials'];
  if (!replace && credentials && theirs.trim() === ours['Access-Control-Allow-Origin']
    && !headers.has('access-control-allow-credentials')) {
    headers.set('Access-Control-Allow-Credentials', credentials);
  }
}

/** Appends to Vary the comma-separated `names` it does not list yet (case-insensitive). */
export function addVary(headers, names) {
  const listed = new Set((headers.get('vary') ?? '').split(',').map((n) => n.trim().toLowerCase()).filter(Boolean));
  for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) {
    if (!listed.has(name.toLowerCase()) && !listed.has('*')) {
      headers.append('vary', name);
      listed.add(name.toLowerCase());
    }
  }
}

/** Headers that direct shared caches, CDNs first (RFC 9213): they obey these over Cache-Control. */
const CDN_CACHE = ['cdn-cache-control', 'cloudflare-cdn-cache-control', 'surrogate-control'];

/**
 * Makes a paid answer's headers keep it out of every shared cache (one would serve it to requests
 * that did not pay, and replays of its payment past the replay store), whatever the handler set:
 * Cache-Control `private` (its `public` and `s-maxage` dropped) and no CDN-targeted cache header.
 */
export function keepPrivate(headers) {
  const kept = (headers.get('cache-control') ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '' && !/^(public|private|s-maxage\s*=.*)$/i.test(d));
  headers.set('cache-control', [...kept, 'private'].join(', '));
  for (const name of CDN_CACHE) headers.delete(name);
}
