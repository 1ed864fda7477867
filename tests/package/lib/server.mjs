// The local x402 v2 peer of the package tests: a paid JSON API and a stand-in facilitator on
// 127.0.0.1 (node:http), built with the installed package's own encodeHeader / decodeHeader /
// verifyPayment. Payments are verified locally (signature, amount, recipient, asset, chain, time
// window) and "settled" with a fake transaction hash: chain settlement is tested in tests/js.
//
//   const server = await startServer(x402, { allowOrigin: 'http://127.0.0.1:1234' });
//   server.url('/paid'); server.payments; server.settlements; await server.close();
//
// Routes:
//   GET|POST /paid      no payment -> 402 + PAYMENT-REQUIRED (and the same JSON in the body);
//                       PAYMENT-SIGNATURE -> verifyPayment -> 200 + PAYMENT-RESPONSE, else 402
//   OPTIONS  /paid      CORS preflight allowing PAYMENT-SIGNATURE (pages on another origin)
//   GET  /supported     facilitator: exact on the test network
//   POST /verify        facilitator: verifyPayment
//   POST /settle        facilitator: verifyPayment, then success with a fake transaction hash
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

/** USDC on Base Sepolia (EIP-712 domain "USDC" / "2", 6 decimals). */
export const ASSET = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
export const NETWORK = 'eip155:84532';
/** The recipient. */
export const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
/** A throwaway key, never funded anywhere: the payer of every test. */
export const PAYER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** Its address. */
export const PAYER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** The one requirement /paid accepts: 0.01 USDC. */
export const REQUIREMENT = {
  scheme: 'exact',
  network: NETWORK,
  amount: '10000',
  asset: ASSET,
  payTo: PAY_TO,
  maxTimeoutSeconds: 300,
  extra: { name: 'USDC', version: '2' },
};

const DATA = { message: 'paid content', served: 'tests/package' };

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the server. `x402` is the installed package (the Node entry); `allowOrigin` adds CORS
 * headers for a page on that origin. Returns `{ origin, url(path), requests, payments,
 * settlements, facilitatorCalls, close() }`.
 */
export async function startServer(x402, { allowOrigin } = {}) {
  const requests = [];
  const payments = [];
  const settlements = [];
  const facilitatorCalls = [];
  let origin = '';

  const cors = () => (allowOrigin
    ? { 'access-control-allow-origin': allowOrigin, 'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE', vary: 'Origin' }
    : {});
  const json = (res, status, headers, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors(), ...headers });
    res.end(JSON.stringify(body));
  };
  const challenge = (res, error, settlement) => {
    const document = {
      x402Version: 2,
      error,
      resource: { url: `${origin}/paid`, description: 'a paid test resource', mimeType: 'application/json' },
      accepts: [REQUIREMENT],
    };
    const headers = { 'payment-required': x402.encodeHeader(document) };
    if (settlement) headers['payment-response'] = x402.encodeHeader(settlement);
    json(res, 402, headers, document);
  };
  // Decodes, matches and verifies a v2 payment: { payload?, verification }.
  const verify = (payload) => {
    if (payload?.x402Version !== 2) return { isValid: false, invalidReason: 'invalid_x402_version' };
    if (!isDeepStrictEqual(payload.accepted, REQUIREMENT)) return { isValid: false, invalidReason: 'invalid_payment_requirements' };
    return x402.verifyPayment(payload, REQUIREMENT);
  };
  const settle = (payload, verification) => {
    const settlement = {
      success: true,
      transaction: `0x${randomBytes(32).toString('hex')}`,
      network: NETWORK,
      payer: verification.payer,
      amount: REQUIREMENT.amount,
    };
    settlements.push(settlement);
    return settlement;
  };

  const handle = async (req, res) => {
    const url = new URL(req.url, origin);
    const body = await readBody(req);
    const entry = { method: req.method, path: url.pathname, headers: { ...req.headers } };
    requests.push(entry);
    if (url.pathname === '/paid' && req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors(),
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'PAYMENT-SIGNATURE, Content-Type',
      });
      return res.end();
    }
    if (url.pathname === '/paid' && (req.method === 'GET' || req.method === 'POST')) {
      const header = req.headers['payment-signature'];
      if (header === undefined) return challenge(res, 'PAYMENT-SIGNATURE header is required');
      let payload;
      try {
        payload = x402.decodeHeader(header, 'PaymentPayload');
      } catch (error) {
        return json(res, 400, {}, { error: `malformed PAYMENT-SIGNATURE: ${error.code}` });
      }
      const verification = verify(payload);
      payments.push({ payload, verification });
      if (!verification.isValid) {
        return challenge(res, verification.invalidReason, {
          success: false, errorReason: verification.invalidReason, transaction: '', network: NETWORK,
        });
      }
      const settlement = settle(payload, verification);
      return json(res, 200, { 'payment-response': x402.encodeHeader(settlement) }, { ...DATA, method: req.method });
    }
    // The stand-in facilitator (for x402-wasm/worker's paymentRequired in the worker test).
    if (url.pathname === '/supported' && req.method === 'GET') {
      facilitatorCalls.push('supported');
      return json(res, 200, {}, { kinds: [{ x402Version: 2, scheme: 'exact', network: NETWORK }], extensions: [], signers: {} });
    }
    if ((url.pathname === '/verify' || url.pathname === '/settle') && req.method === 'POST') {
      facilitatorCalls.push(url.pathname.slice(1));
      const { paymentPayload, paymentRequirements } = JSON.parse(body);
      const verification = isDeepStrictEqual(paymentRequirements, paymentPayload?.accepted)
        ? x402.verifyPayment(paymentPayload, paymentRequirements)
        : { isValid: false, invalidReason: 'invalid_payment_requirements' };
      if (url.pathname === '/verify') return json(res, 200, {}, verification);
      if (!verification.isValid) {
        return json(res, 200, {}, { success: false, errorReason: verification.invalidReason, transaction: '', network: paymentRequirements.network });
      }
      const settlement = {
        success: true,
        transaction: `0x${randomBytes(32).toString('hex')}`,
        network: paymentRequirements.network,
        payer: verification.payer,
      };
      settlements.push(settlement);
      return json(res, 200, {}, settlement);
    }
    return json(res, 404, {}, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.stack ?? error));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  server.unref();
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: (path = '/paid') => `${origin}${path}`,
    requests,
    payments,
    settlements,
    facilitatorCalls,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Throws with `message` unless `condition`. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}
