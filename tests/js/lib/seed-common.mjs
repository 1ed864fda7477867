// Shared pieces of the seed-dialect test servers (seed-solana-pay.mjs, seed-header-dialect.mjs,
// seed-facilitator-pay.mjs): exact decimal amounts, a loopback HTTP server with JSON helpers and
// CORS, and a JSON-RPC client. Written for these servers only, independent of the SDK.
import { listenLoopback } from './loopback.mjs';
import { toBase58 } from './svm-wire.mjs';

/**
 * A decimal string ("0.25", "10") -> atomic units (bigint) with `decimals` places, exactly.
 * Throws on anything else: signs, exponents, spaces, more fractional digits than `decimals`.
 */
export function toUnits(text, decimals) {
  if (typeof text !== 'string' || !/^\d+(\.\d+)?$/.test(text)) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > decimals) throw new Error(`${text} has more than ${decimals} decimal places`);
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** Exact comparison of two decimal strings: -1, 0 or 1 (throws when either is not a decimal). */
export function compareDecimal(a, b) {
  const places = Math.max(...[a, b].map((x) => (typeof x === 'string' ? (x.split('.')[1] ?? '').length : 0)));
  const [x, y] = [toUnits(a, places), toUnits(b, places)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ISO-8601 without milliseconds ("2025-12-28T12:00:00Z"), as the seeds show timestamps. */
export const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Reads a request body as JSON whatever its content-type (the seed 004 client posts a JSON string
 * without one, which fetch sends as text/plain). Returns undefined for an empty body; throws on
 * malformed JSON.
 */
export async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : JSON.parse(text);
}

/**
 * Serves `handler(req, res, helpers)` on 127.0.0.1 (random port). helpers: { url (a URL of the
 * request), send(status, body, headers?) (JSON) }. Answers CORS preflights and adds CORS headers so
 * browser clients can read the dialect's headers: `allowHeaders` / `exposeHeaders` are lists of
 * header names. A handler that throws answers 500 { error }. Returns { url, server, close() }.
 */
export async function serveJson(handler, { allowHeaders = [], exposeHeaders = [] } = {}) {
  const cors = {
    'access-control-allow-origin': '*',
    ...(exposeHeaders.length ? { 'access-control-expose-headers': exposeHeaders.join(', ') } : {}),
  };
  return listenLoopback(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, body, headers = {}) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors, ...headers });
      res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ['content-type', 'authorization', ...allowHeaders].join(', '),
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    try {
      await handler(req, res, { url, send });
    } catch (err) {
      send(500, { error: err?.message ?? String(err) });
    }
  });
}

/** A header value as one string (node joins repeated headers into arrays for a few names only). */
export const header = (req, name) => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * The static account keys (base58) of a Solana wire message, legacy or v0 (a v0 message starts with
 * 0x80 | version, then the 3-byte header; a legacy one starts with the header).
 */
export function messageAccountKeys(message) {
  let i = message[0] & 0x80 ? 4 : 3;
  let count = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = message[i++];
    count |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (i + 32 * count > message.length) throw new Error('truncated message');
  return Array.from({ length: count }, (_, k) => toBase58(message.slice(i + 32 * k, i + 32 * (k + 1))));
}
