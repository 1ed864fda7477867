// Module startup of x402-wasm/worker in workerd does no network and no randomness. The test Worker
// imports a probe module first (it wraps fetch, Math.random, crypto.getRandomValues and
// crypto.randomUUID and counts calls until the module graph has been evaluated), then the package,
// then builds paymentRequired(...) with a memory replay store at module scope, as users write it.
// The facilitator (official v2 on anvil, over loopback HTTP) counts every call: nothing reaches it at
// startup, nor for an unpaid request, and /supported is never fetched; the first
// paid request is served and settled. No compatibility flag is set (no nodejs_compat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import { balanceOf, mint } from '../lib/chain.mjs';
import { MINTED, NETWORK, PRICE, decodeJsonHeader, startHelperWorker, v2Chain, weatherRoute } from '../lib/worker-harness.mjs';

test('module startup does no network and no randomness; the first paid request works without /supported', async (t) => {
  const { token, payTo, facilitator } = await v2Chain(t);
  const route = weatherRoute({ asset: token.address, payTo });
  const worker = await startHelperWorker(t, {
    durableObject: true,
    middlewares: [
      { store: 'memory', routes: { 'GET /weather': route }, facilitator: { url: facilitator.url } },
      { store: 'do', routes: { 'GET /durable': route }, facilitator: { url: facilitator.url } },
    ],
  });
  await delay(200); // give a stray startup request time to arrive

  const { startup, handled } = await worker.stats();
  assert.deepEqual(startup.errors, []);
  assert.deepEqual([...startup.wrapped].sort(), ['fetch', 'getRandomValues', 'random', 'randomUUID'], 'the probe is installed');
  assert.equal(startup.done, true);
  assert.deepEqual(
    { fetch: startup.fetch, random: startup.random, getRandomValues: startup.getRandomValues, randomUUID: startup.randomUUID },
    { fetch: 0, random: 0, getRandomValues: 0, randomUUID: 0 },
    'no network or randomness while the module graph was evaluated',
  );
  assert.equal(handled, 0);
  assert.deepEqual(facilitator.calls, { verify: 0, settle: 0, supported: 0 }, 'no facilitator request at startup');

  // Unpaid requests are answered locally.
  const unpaid = await worker.fetch('/weather');
  assert.equal(unpaid.status, 402);
  assert.equal(decodeJsonHeader(unpaid.headers.get('payment-required')).accepts[0].amount, String(PRICE));
  assert.equal(unpaid.headers.get('cache-control'), 'no-store');
  assert.match(unpaid.headers.get('access-control-expose-headers') ?? '', /PAYMENT-REQUIRED/i);
  await unpaid.arrayBuffer();
  const unpaidDurable = await worker.fetch('/durable');
  assert.equal(unpaidDurable.status, 402);
  await unpaidDurable.arrayBuffer();
  assert.deepEqual(facilitator.calls, { verify: 0, settle: 0, supported: 0 }, 'no facilitator request before a paid request');

  // The first paid request: the official v2 client pays; only /settle is called.
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const pay = wrapFetchWithPayment(fetch, client);
  const response = await pay(`${worker.url}weather`);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(decodePaymentResponseHeader(response.headers.get('payment-response')).success, true);
  assert.deepEqual(facilitator.log, ['settle'], 'the only facilitator call is /settle (no /supported, no /verify)');
  assert.equal(await balanceOf(token, payTo), PRICE);

  const durable = await pay(`${worker.url}durable`);
  assert.equal(durable.status, 200, await durable.clone().text());
  await durable.arrayBuffer();
  assert.deepEqual(facilitator.log, ['settle', 'settle']);
  assert.equal((await worker.stats()).handled, 2);
});
