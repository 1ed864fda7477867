// The 402 challenge and CORS of x402-wasm/worker in workerd (no chain: nothing here is paid, and the
// facilitator URL points at a closed port, so any facilitator call would fail). Money prices resolve
// through the known-asset table; the 402 carries PAYMENT-REQUIRED with the same JSON in the body,
// Cache-Control: no-store and the CORS expose header; a CORS preflight to a protected path is
// answered by the helper (allowing PAYMENT-SIGNATURE and X-PAYMENT) and never reaches the handler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonHeader, startHelperWorker } from '../lib/worker-harness.mjs';

const PAY_TO = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const CLOSED = 'http://127.0.0.1:9';

async function start(t) {
  return startHelperWorker(t, {
    middlewares: [{
      store: 'memory',
      facilitator: { url: CLOSED },
      routes: {
        'GET /weather': { accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.01' }], resource: { description: 'Weather' } },
        '/forecast': { accepts: [{ network: 'base-sepolia', payTo: PAY_TO, price: '0.05 USDC', maxTimeoutSeconds: 120 }] },
      },
    }],
  });
}

const PREFLIGHT = {
  method: 'OPTIONS',
  headers: {
    Origin: 'https://app.example',
    'Access-Control-Request-Method': 'GET',
    'Access-Control-Request-Headers': 'payment-signature, content-type',
  },
};

test('the 402: money prices resolved from the known-asset table, header and body agree, no-store, CORS expose', async (t) => {
  const worker = await start(t);
  const response = await fetch(`${worker.url}weather`, { headers: { Origin: 'https://app.example' } });
  assert.equal(response.status, 402);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const expose = (response.headers.get('access-control-expose-headers') ?? '').toUpperCase().split(/\s*,\s*/);
  assert.ok(expose.includes('PAYMENT-REQUIRED') && expose.includes('PAYMENT-RESPONSE'), expose.join());
  assert.ok(response.headers.get('access-control-allow-origin'));
  const header = decodeJsonHeader(response.headers.get('payment-required'));
  assert.deepEqual(await response.json(), header, 'the body is the same JSON as the header');
  assert.equal(header.x402Version, 2);
  assert.equal(header.resource.url, `${worker.url}weather`);
  assert.equal(header.resource.description, 'Weather');
  assert.deepEqual(header.accepts, [{
    scheme: 'exact', network: 'eip155:84532', amount: '10000', asset: BASE_SEPOLIA_USDC, payTo: PAY_TO,
    maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' },
  }]);

  const forecast = decodeJsonHeader((await worker.fetch('/forecast')).headers.get('payment-required'));
  assert.equal(forecast.accepts[0].network, 'eip155:84532', 'v1 names are written as CAIP-2');
  assert.equal(forecast.accepts[0].amount, '50000');
  assert.equal(forecast.accepts[0].maxTimeoutSeconds, 120);
  assert.equal((await worker.stats()).handled, 0);
});

test('CORS preflight to a route declared without a method is answered by the helper', async (t) => {
  const worker = await start(t);
  const response = await fetch(`${worker.url}forecast`, PREFLIGHT);
  const text = await response.text();
  assert.ok([200, 204].includes(response.status), `${response.status} ${text}`);
  const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  assert.match(allowed, /payment-signature/);
  assert.match(allowed, /x-payment/);
  assert.ok(response.headers.get('access-control-allow-origin'));
  assert.equal((await worker.stats()).handled, 0, 'the handler never ran');
});

test('CORS preflight to a "GET /weather" route is answered by the helper, not passed to the handler', async (t) => {
  const worker = await start(t);
  const response = await fetch(`${worker.url}weather`, PREFLIGHT);
  const text = await response.text();
  assert.doesNotMatch(text, /sunny/, 'the paid resource must not be served to an OPTIONS request');
  assert.equal((await worker.stats()).handled, 0, 'the handler never ran');
  assert.ok([200, 204].includes(response.status), `${response.status} ${text}`);
  const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  assert.match(allowed, /payment-signature/);
  assert.match(allowed, /x-payment/);
});
