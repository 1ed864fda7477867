// A configurable x402 test server on 127.0.0.1 (node:http), built with the SDK's own
// encode/verify functions. It records every request (method, url, headers, raw body bytes)
// and every payment header it receives, verifies payments locally (verifyPayment, no chain)
// and answers 200 + PAYMENT-RESPONSE with a fake transaction hash, or 402 + PAYMENT-RESPONSE
// success=false. Real chain settlement is tested elsewhere.
//
//   const server = await startPaidServer({ routes: { '/paid': { accepts: [usdc()] } } });
//   server.url('/paid'); server.requests; server.payments; await server.close();
//
// A route: {
//   accepts: [requirement (x402 v2 shape; v1 shape in mode 'v1')],
//   mode: 'normal' | 'always402' | 'redirect' | 'v1' | 'v2-body' | 'v2-both' | 'refuse' | 'plain',
//   to: URL (mode 'redirect': where every request is redirected), status: redirect status (default 302),
//   paidRedirect: URL (a valid payment is answered with a redirect there instead of 200),
//   refuseReason: errorReason of mode 'refuse' (default 'insufficient_funds'),
//   refuse: an errorReason: refuse valid payments with it, in any mode (v1 included),
//   resource, extensions, error: fields of the PaymentRequired document,
//   body: the paid (or plain) response body, delayMs: delay before answering,
//   noReceipt: true (a refusal carries no PAYMENT-RESPONSE, only the challenge's error),
//   answerPaid: { status, headers?, body? } (every payment gets this answer, nothing settles),
//   hangup: true (a valid payment gets its connection destroyed, no answer),
// }
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadX402 } from './x402.mjs';

/** USDC on Base Sepolia (EIP-712 "USDC" / "2", 6 decimals). */
export const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
/** USDC on Base (EIP-712 "USD Coin" / "2", 6 decimals). */
export const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
/** A recipient. */
export const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
/** A throwaway test key (never funded anywhere). */
export const TEST_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

/** The headers of a v2 402 carrying `document` (a PaymentRequired) in PAYMENT-REQUIRED. */
export function paymentRequiredHeaders(document) {
  return { 'PAYMENT-REQUIRED': Buffer.from(JSON.stringify(document)).toString('base64') };
}

/** A v2 `exact` requirement for USDC on Base Sepolia (override any field). */
export function usdc(overrides = {}) {
  return {
    scheme: 'exact',
    network: 'eip155:84532',
    amount: '10000',
    asset: BASE_SEPOLIA_USDC,
    payTo: PAY_TO,
    maxTimeoutSeconds: 300,
    extra: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

/** A v2 `exact` requirement for USDC on Base mainnet. */
export function baseUsdc(overrides = {}) {
  return usdc({ network: 'eip155:8453', asset: BASE_USDC, extra: { name: 'USD Coin', version: '2' }, ...overrides });
}

/** A v1 `exact` requirement (maxAmountRequired, v1 network name). */
export function usdcV1(overrides = {}) {
  return {
    scheme: 'exact',
    network: 'base-sepolia',
    maxAmountRequired: '10000',
    resource: 'http://127.0.0.1/v1',
    description: 'a v1 resource',
    mimeType: 'application/json',
    payTo: PAY_TO,
    maxTimeoutSeconds: 300,
    asset: BASE_SEPOLIA_USDC,
    extra: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fakeTransaction() {
  return `0x${randomBytes(32).toString('hex')}`;
}

function lowerHeaders(req) {
  const out = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    out[name] = out[name] === undefined ? req.rawHeaders[i + 1] : `${out[name]}, ${req.rawHeaders[i + 1]}`;
  }
  return out;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Starts a paid server. `options.routes` maps paths to routes (see the header comment);
 * other paths answer 404. Returns `{ origin, url(path), requests, payments, close() }`.
 */
export async function startPaidServer(options = {}) {
  const x402 = options.x402 ?? (await loadX402());
  const routes = options.routes ?? {};
  const requests = [];
  const payments = [];

  function paymentRequired(route, path, origin) {
    return {
      x402Version: 2,
      ...(route.error ? { error: route.error } : {}),
      resource: route.resource ?? { url: `${origin}${path}`, description: 'a paid test resource', mimeType: 'application/json' },
      accepts: route.accepts,
      ...(route.extensions ? { extensions: route.extensions } : {}),
    };
  }

  function challenge(res, route, path, origin, extraHeaders = {}, error) {
    const mode = route.mode ?? 'normal';
    const headers = { 'content-type': 'application/json', ...extraHeaders };
    // route.bom: the JSON body starts with a UTF-8 byte order mark (response.json() drops it).
    const json = (value) => `${route.bom ? '\uFEFF' : ''}${JSON.stringify(value)}`;
    if (mode === 'v1') {
      const body = { x402Version: 1, error: error ?? route.error ?? 'X-PAYMENT header is required', accepts: route.accepts };
      res.writeHead(402, headers).end(json(body));
      return;
    }
    const document = paymentRequired(route, path, origin);
    if (error) document.error = error;
    if (mode === 'v2-body') {
      res.writeHead(402, headers).end(json(document));
      return;
    }
    headers['payment-required'] = x402.encodeHeader(document);
    headers['access-control-expose-headers'] = 'PAYMENT-REQUIRED, PAYMENT-RESPONSE';
    // 'v2-both': the JSON body repeats the header's document, as 1ly does.
    res.writeHead(402, headers).end(mode === 'v2-both' ? JSON.stringify(document) : '{}');
  }

  /** Decodes and verifies a payment; returns { payload, requirement, verification }. */
  function verify(route, value) {
    let payload;
    try {
      payload = x402.decodeHeader(value, 'PaymentPayload');
    } catch (error) {
      return { payload: undefined, requirement: undefined, verification: { isValid: false, invalidReason: `invalid_payload: ${error.code}` } };
    }
    if ((route.mode ?? 'normal') === 'v1') {
      if (payload.x402Version !== 1) return { payload, verification: { isValid: false, invalidReason: 'invalid_x402_version' } };
      const raw = route.accepts.find((r) => r.scheme === payload.scheme && r.network === payload.network);
      if (!raw) return { payload, verification: { isValid: false, invalidReason: 'invalid_payment_requirements' } };
      const requirement = {
        scheme: raw.scheme, network: raw.network, amount: raw.maxAmountRequired, asset: raw.asset,
        payTo: raw.payTo, maxTimeoutSeconds: raw.maxTimeoutSeconds, extra: raw.extra,
      };
      return { payload, requirement: raw, verification: x402.verifyPayment(payload, requirement) };
    }
    if (payload.x402Version !== 2) return { payload, verification: { isValid: false, invalidReason: 'invalid_x402_version' } };
    const requirement = route.accepts.find((r) => sameJson(r, payload.accepted));
    if (!requirement) return { payload, verification: { isValid: false, invalidReason: 'invalid_payment_requirements' } };
    return { payload, requirement, verification: x402.verifyPayment(payload, requirement) };
  }

  async function handle(req, res) {
    const body = await readBody(req);
    const headers = lowerHeaders(req);
    const url = new URL(req.url, origin);
    const record = { method: req.method, url: url.href, path: url.pathname, headers, rawHeaders: req.rawHeaders.slice(), body };
    requests.push(record);
    const route = routes[url.pathname];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.delayMs) await sleep(route.delayMs);
    const mode = route.mode ?? 'normal';
    if (mode === 'plain') {
      res.writeHead(route.status ?? 200, { 'content-type': 'text/plain', ...(route.headers ?? {}) }).end(route.body ?? 'free');
      return;
    }
    if (mode === 'redirect') {
      res.writeHead(route.status ?? 302, { location: route.to }).end();
      return;
    }
    const headerName = mode === 'v1' ? 'x-payment' : 'payment-signature';
    const responseHeader = mode === 'v1' ? 'X-PAYMENT-RESPONSE' : 'PAYMENT-RESPONSE';
    const value = headers[headerName] ?? headers[mode === 'v1' ? 'payment-signature' : 'x-payment'];
    if (value === undefined) {
      challenge(res, route, url.pathname, origin);
      return;
    }
    const { payload, requirement, verification } = verify(route, value);
    const payment = {
      path: url.pathname, method: req.method, header: headers[headerName] !== undefined ? headerName : 'other',
      value, payload, requirement, verification, request: record,
    };
    payments.push(payment);
    record.payment = payment;
    const failure = (reason) => {
      const settlement = { success: false, errorReason: reason, transaction: '', network: requirement?.network ?? payload?.accepted?.network ?? '' };
      if (verification.payer) settlement.payer = verification.payer;
      payment.settlement = settlement;
      const extra = route.noReceipt ? {} : { [responseHeader]: x402.encodeHeader(settlement) };
      challenge(res, route, url.pathname, origin, extra, reason);
    };
    if (route.answerPaid) {
      // Any payment (valid or not) gets this answer, without settling.
      payment.settlement = { answered: route.answerPaid.status };
      res.writeHead(route.answerPaid.status, route.answerPaid.headers ?? {}).end(route.answerPaid.body ?? '');
      return undefined;
    }
    if (!verification.isValid) return failure(verification.invalidReason);
    if (route.hangup) {
      // The connection dies after the payment arrived: the client cannot know if it settled.
      payment.settlement = { hangup: true };
      req.socket.destroy();
      return undefined;
    }
    if (mode === 'always402') return failure(route.refuseReason ?? 'always_402');
    if (mode === 'refuse' || route.refuse) return failure(route.refuse ?? route.refuseReason ?? 'insufficient_funds');
    const settlement = {
      success: true,
      transaction: fakeTransaction(),
      network: requirement.network,
      payer: verification.payer,
      amount: requirement.amount ?? requirement.maxAmountRequired,
    };
    payment.settlement = settlement;
    const out = {
      [responseHeader]: x402.encodeHeader(settlement),
      'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
    };
    if (route.paidRedirect) {
      res.writeHead(302, { ...out, location: route.paidRedirect }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...out })
      .end(route.body ?? JSON.stringify({ paid: true, path: url.pathname, method: req.method }));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error?.stack ?? error));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  let closed;
  return {
    origin,
    url: (path = '/') => `${origin}${path}`,
    requests,
    payments,
    routes,
    /** Requests that carried a payment header (of either dialect). */
    paidRequests: () => requests.filter((r) => r.headers['payment-signature'] !== undefined || r.headers['x-payment'] !== undefined),
    close() {
      closed ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      return closed;
    },
  };
}

/**
 * A wallet wrapping evmPrivateKeyWallet that counts (and can delay or veto) its calls.
 * `calls.signTypedData` lists the typed data it was asked to sign.
 */
export function countingWallet(x402, options = {}) {
  const inner = x402.evmPrivateKeyWallet(options.key ?? TEST_KEY);
  const calls = { signTypedData: [], getAddress: 0 };
  const wallet = {
    kind: 'evm',
    address: inner.address,
    async getAddress() {
      calls.getAddress += 1;
      return inner.address;
    },
    async signTypedData(typedData) {
      calls.signTypedData.push(typedData);
      if (options.beforeSign) await options.beforeSign(typedData);
      return inner.signTypedData(typedData);
    },
  };
  return { wallet, calls, inner, address: inner.address };
}

/** Starts a server and registers its close with the test context. */
export async function serverFor(t, options) {
  const server = await startPaidServer(options);
  t.after(() => server.close());
  return server;
}

/** The set of header names (lower case) a recorded request carried. */
export function headerNames(record, { except = [] } = {}) {
  const skip = new Set(except.map((n) => n.toLowerCase()));
  return Object.keys(record.headers).filter((n) => !skip.has(n)).sort();
}

/** A fetch that records the Request objects it is given and the Responses it returns. */
export function capturingFetch(inner = globalThis.fetch) {
  const seen = [];
  const fn = async (input, init) => {
    const entry = { input, init };
    seen.push(entry);
    entry.response = await inner(input, init);
    return entry.response;
  };
  fn.seen = seen;
  return fn;
}

/** Resolves after `ms` milliseconds. */
export { sleep };
