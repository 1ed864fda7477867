// A paywalled JSON API on 127.0.0.1 (plain node:http) speaking x402 v2, for the runtime tests
// (Chromium, workerd). It settles for real: a PAYMENT-SIGNATURE is verified and settled by the
// official facilitator (chain.mjs startOfficialFacilitator, in-process on anvil).
//
//   no payment        -> 402, PAYMENT-REQUIRED header (base64 JSON) + the same JSON as the body
//   PAYMENT-SIGNATURE -> decode, check it accepts our offer, facilitator verify + settle
//                        -> 200 + PAYMENT-RESPONSE and the JSON data; any refusal -> 402 again
//
// CORS for a page on another origin: Access-Control-Allow-Origin (the configured page origin),
// Access-Control-Expose-Headers for the x402 headers, and an OPTIONS preflight that allows
// PAYMENT-SIGNATURE. Every request is recorded (method, path, headers, outcome) so tests can
// tell which headers a client sent and whether a preflight happened.
//
// The server decodes and encodes the x402 headers itself (base64 of UTF-8 JSON), independently
// of x402-wasm: it is the peer the SDK is tested against.
import { createServer } from 'node:http';
import { isDeepStrictEqual } from 'node:util';

const NETWORK = 'eip155:31337';

/** base64 (standard alphabet, padded) of the UTF-8 JSON of `value`: an x402 v2 header value. */
export function encodeX402Header(value) {
  return Buffer.from(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), 'utf8')
    .toString('base64');
}

/** The JSON document inside an x402 header value. Throws on anything that is not base64 JSON. */
export function decodeX402Header(value) {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw new Error('not base64');
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}

/**
 * The x402 v2 `exact` requirement for an EIP-3009 token deployed by chain.mjs (TestUSDC: EIP-712
 * domain "USDC" version "2"). `amount` is in atomic units.
 */
export function exactRequirement({ token, payTo, amount, network = NETWORK, maxTimeoutSeconds = 120 }) {
  return {
    scheme: 'exact',
    network,
    amount: String(amount),
    asset: token,
    payTo,
    maxTimeoutSeconds,
    extra: { name: 'USDC', version: '2' },
  };
}

/**
 * Starts the API. Options:
 * - `facilitator`: `{ verify(payload, requirement), settle(payload, requirement) }` (the official one);
 * - `requirement`: the one x402 v2 PaymentRequirements it accepts (see exactRequirement);
 * - `path` (default '/data'): the paid resource; `data`: the JSON it returns once paid;
 * - `allowOrigin`: the page origin allowed by CORS (omit for no CORS headers at all);
 * - `allowHeaders` (default ['PAYMENT-SIGNATURE']): what the preflight allows;
 * - `maxAge`: Access-Control-Max-Age for preflights (unset: the browser's default).
 *
 * Returns `{ origin, url, requests, preflights(), paidRequests(), settlements, close() }`. Each entry of
 * `requests` is `{ method, path, headers, body, status, outcome, reason?, transaction? }` with the headers
 * as Node received them (lower-case names) and the body as UTF-8 text.
 */
export async function startPaidApi({
  facilitator, requirement, path = '/data', data = { message: 'paid content' },
  allowOrigin, allowHeaders = ['PAYMENT-SIGNATURE'], maxAge,
}) {
  if (!facilitator || !requirement) throw new Error('startPaidApi needs a facilitator and a requirement');
  const requests = [];
  const settlements = [];
  let resourceUrl = '';

  const cors = () => (allowOrigin
    ? {
      'access-control-allow-origin': allowOrigin,
      'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
      vary: 'Origin',
    }
    : {});

  const paymentRequired = (error) => ({
    x402Version: 2,
    error,
    resource: { url: resourceUrl, description: 'Runtime test resource', mimeType: 'application/json' },
    accepts: [requirement],
  });

  const send = (res, entry, status, headers, body) => {
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors(), ...headers });
    res.end(JSON.stringify(body));
  };

  const refuse = (res, entry, reason, payer) => {
    entry.outcome = reason ? 'refused' : 'challenged';
    if (reason) entry.reason = reason;
    const challenge = paymentRequired(reason ?? 'PAYMENT-SIGNATURE header is required');
    const headers = { 'payment-required': encodeX402Header(challenge) };
    if (reason) {
      const receipt = { success: false, errorReason: reason, transaction: '', network: requirement.network };
      if (payer) receipt.payer = payer;
      headers['payment-response'] = encodeX402Header(receipt);
    }
    send(res, entry, 402, headers, challenge);
  };

  const preflight = (req, res, entry) => {
    entry.outcome = 'preflight';
    entry.status = 204;
    res.writeHead(204, {
      ...cors(),
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': allowHeaders.join(', '),
      ...(maxAge === undefined ? {} : { 'access-control-max-age': String(maxAge) }),
    });
    res.end();
  };

  const handle = async (req, res, entry) => {
    if (req.method === 'OPTIONS') return preflight(req, res, entry);
    if (!['GET', 'POST'].includes(req.method) || entry.path !== path) {
      entry.outcome = 'not_found';
      return send(res, entry, 404, {}, { error: 'not found' });
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    entry.body = Buffer.concat(chunks).toString('utf8');

    const header = req.headers['payment-signature'];
    if (!header) return refuse(res, entry, null);

    let payload;
    try {
      payload = decodeX402Header(header);
    } catch {
      entry.outcome = 'malformed';
      return send(res, entry, 400, {}, { error: 'PAYMENT-SIGNATURE is not base64 JSON' });
    }
    entry.payload = payload;
    if (payload?.x402Version !== 2) return refuse(res, entry, 'invalid_x402_version');
    if (!isDeepStrictEqual(payload.accepted, requirement)) return refuse(res, entry, 'invalid_payment_requirements');
    const from = payload.payload?.authorization?.from;

    const verified = await facilitator.verify(payload, requirement);
    if (!verified.isValid) return refuse(res, entry, verified.invalidReason ?? 'invalid_payload', verified.payer ?? from);

    const settled = await facilitator.settle(payload, requirement);
    if (!settled.success) return refuse(res, entry, settled.errorReason ?? 'unexpected_settle_error', settled.payer ?? from);

    entry.outcome = 'paid';
    entry.transaction = settled.transaction;
    const receipt = {
      success: true,
      transaction: settled.transaction,
      network: settled.network ?? requirement.network,
      payer: settled.payer ?? verified.payer ?? from,
    };
    settlements.push(receipt);
    send(res, entry, 200, { 'payment-response': encodeX402Header(receipt) }, data);
  };

  const server = createServer((req, res) => {
    const entry = {
      method: req.method,
      path: new URL(req.url, 'http://127.0.0.1').pathname,
      headers: { ...req.headers },
    };
    requests.push(entry);
    handle(req, res, entry).catch((err) => {
      entry.error = err?.stack ?? String(err);
      if (res.headersSent) return res.destroy();
      refuse(res, entry, 'unexpected_settle_error');
    });
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  server.unref(); // an unclosed server never keeps the test process alive
  const origin = `http://127.0.0.1:${server.address().port}`;
  resourceUrl = `${origin}${path}`;

  return {
    origin,
    url: resourceUrl,
    requirement,
    requests,
    settlements,
    preflights: () => requests.filter((r) => r.method === 'OPTIONS'),
    paidRequests: () => requests.filter((r) => r.headers['payment-signature'] !== undefined),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
