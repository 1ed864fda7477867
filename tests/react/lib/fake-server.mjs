// An in-process paid API as a fetch function, built with the package's own codec and verifier: a
// priced route answers 402 with PAYMENT-REQUIRED (x402 v2, USDC on Base) until a request carries a
// PAYMENT-SIGNATURE that verifyPayment accepts, then 200 with PAYMENT-RESPONSE. Nothing is settled
// on a chain: the "transaction" is a fixed hash. Also: the test wallet, with a gate on signing.
import { x402 } from './env.mjs';

export const ORIGIN = 'https://api.example.test';
export const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
export const USDC_BASE = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
export const TRANSACTION = `0x${'ab'.repeat(32)}`;

/** The Base USDC requirement for `amount` atomic units (6 decimals: "10000" is $0.01). */
export function usdcOnBase(amount) {
  return {
    scheme: 'exact',
    network: 'eip155:8453',
    amount,
    asset: USDC_BASE,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: 'USD Coin', version: '2' },
  };
}

/**
 * `routes`: { '/path': { price?: atomic amount, body: string | object, type?: content-type, extensions? } }.
 * Returns { fetch, url(path), requests, payments, holdPaid() }: `requests` holds every request as
 * { path, paid }, `payments` the verified payments; holdPaid() returns a gate that the next paid
 * response waits for.
 */
export function fakeServer(routes) {
  const requests = [];
  const payments = [];
  const holds = [];
  async function serve(input, init) {
    const request = new Request(input, init);
    // As fetch does: an already aborted request is never sent.
    if (request.signal.aborted) throw request.signal.reason;
    const path = new URL(request.url).pathname;
    const signature = request.headers.get('payment-signature');
    requests.push({ path, paid: signature !== null });
    const route = routes[path];
    if (!route) return new Response('not found', { status: 404 });
    const type = route.type ?? (typeof route.body === 'string' ? 'text/plain' : 'application/json');
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
    if (route.price === undefined) return new Response(body, { headers: { 'content-type': type } });
    const requirement = usdcOnBase(route.price);
    const challenge = (error) => {
      const required = {
        x402Version: 2,
        error,
        resource: { url: request.url, description: `paid ${path}`, mimeType: type },
        accepts: [requirement],
        ...(route.extensions ? { extensions: route.extensions } : {}),
      };
      return new Response(JSON.stringify(required), {
        status: 402,
        headers: { 'content-type': 'application/json', 'payment-required': x402.encodeHeader(required) },
      });
    };
    if (signature === null) return challenge('payment required');
    const payment = x402.decodeHeader(signature, 'PaymentPayload');
    const verdict = x402.verifyPayment(payment, requirement);
    if (!verdict.isValid) return challenge(verdict.invalidReason);
    payments.push({ path, payer: verdict.payer, payment });
    await holds.shift()?.promise;
    const settlement = { success: true, transaction: TRANSACTION, network: 'eip155:8453', payer: verdict.payer };
    return new Response(body, {
      headers: { 'content-type': type, 'payment-response': x402.encodeHeader(settlement) },
    });
  }
  return {
    fetch: serve,
    url: (path) => `${ORIGIN}${path}`,
    requests,
    payments,
    holdPaid() {
      const hold = gateOf();
      holds.push(hold);
      return hold;
    },
  };
}

/** A gate: `promise` resolves when `open()` is called. */
function gateOf() {
  let open;
  const promise = new Promise((resolve) => (open = resolve));
  return { promise, open };
}

const KEY = `0x${'11'.repeat(32)}`;

/**
 * The test wallet: evmPrivateKeyWallet(0x11…11) behind an adapter that counts signatures and, after
 * holdSigning(), waits for the returned gate before signing.
 */
export function testWallet() {
  const key = x402.evmPrivateKeyWallet(KEY);
  const holds = [];
  const wallet = {
    kind: 'evm',
    address: key.address,
    getAddress: async () => key.address,
    signatures: 0,
    async signTypedData(typedData) {
      wallet.signatures += 1;
      await holds.shift()?.promise;
      return key.signTypedData(typedData);
    },
    holdSigning() {
      const hold = gateOf();
      holds.push(hold);
      return hold;
    },
  };
  return wallet;
}
