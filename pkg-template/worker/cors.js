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
  const { origin = '*', credentials = false } = options.cors ?? {};
  const headers = { 'Access-Control-Expose-Headers': EXPOSE, ...extra };
  if (typeof origin === 'string') {
    headers['Access-Control-Allow-Origin'] = origin;
  } else {
    const asked = request?.headers.get('origin');
    if (asked && allowsOrigin(origin, asked)) headers['Access-Control-Allow-Origin'] = asked;
    headers.Vary = 'Origin';
  }
  if (credentials === true) headers['Access-Control-Allow-Credentials'] = 'true';
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
  if (cors === undefined || cors === null) return;
  const bad = (why) => new X402Error(`cors: ${why}`, 'INVALID_ARGUMENT');
  if (typeof cors !== 'object') throw bad('must be an object { origin?, credentials? }');
  onlyKnownOptions(cors, ['origin', 'credentials'], 'cors');
  const { origin = '*', credentials = false } = cors;
  const list = Array.isArray(origin) && origin.every((o) => typeof o === 'string');
  if (typeof origin !== 'string' && typeof origin !== 'function' && !list) {
    throw bad('origin must be a string, a list of origins or a function of the request\'s Origin');
  }
  if (typeof credentials !== 'boolean') throw bad('credentials must be true or false');
  if (credentials && origin === '*') throw bad('browsers refuse credentials with origin "*": name the origins (a list or a function)');
}
