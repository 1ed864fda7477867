// x402-wasm/worker's payment-identifier extension in workerd (Miniflare), on anvil with the official
// v2 facilitator over loopback HTTP: a route declaring the extension answers with the declaration of
// the official helper (@x402/extensions), refuses missing or malformed ids, and a payer repeating an
// id it settled is served on that settlement, never settled twice: checked with our wrapFetch and the
// official client (@x402/fetch with @x402/extensions' appendPaymentIdentifierToExtensions), with the
// in-memory store and the Durable Object store, balances read from the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import {
  PAYMENT_IDENTIFIER, appendPaymentIdentifierToExtensions, declarePaymentIdentifierExtension,
} from '@x402/extensions/payment-identifier';
import { balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, encodeJsonHeader, startHelperWorker, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { resolveFromProject } from '../lib/pkg.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));

/** Anvil, the counted official facilitator, and a Worker whose routes declare the extension. */
async function setup(t, store = 'memory') {
  const chain = await v2Chain(t);
  const route = (paymentIdentifier) => ({ ...weatherRoute({ asset: chain.token.address, payTo: chain.payTo }), paymentIdentifier });
  const helper = await startHelperWorker(t, {
    durableObject: store === 'do',
    middlewares: [{
      store,
      routes: {
        'GET /weather': route({ required: true }),
        'GET /premium/*': route(true),
        'GET /plain': route(false),
      },
      facilitator: { url: chain.facilitator.url },
    }],
  });
  return { ...chain, worker: helper };
}

/** A fetch (GET, no body) that sends requests for http://127.0.0.1/... to the Worker. */
function viaWorker(helper) {
  return (input, init) => {
    const request = new Request(input, init);
    return helper.fetch(new URL(request.url).pathname, { method: request.method, headers: Object.fromEntries(request.headers) });
  };
}

/** A funded key wallet and our paying fetch through the Worker's fetcher (test-local token allowed). */
async function ourPayer(t, { token, worker: helper }, funds = MINTED) {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  if (funds > 0n) await mint(token, wallet.address, funds);
  const pay = x402.wrapFetch(viaWorker(helper), {
    wallets: [wallet],
    policy: { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }] },
  });
  return { wallet, pay: (path, hooks) => pay(`http://127.0.0.1${path}`, undefined, hooks) };
}

/** The payment header for `path` signed by `wallet` with `paymentId` (and the 402 it answers). */
async function paymentFor(helper, path, wallet, paymentId) {
  const unpaid = await helper.fetch(path);
  assert.equal(unpaid.status, 402);
  const paymentRequired = decodeJsonHeader(unpaid.headers.get('payment-required'));
  const payload = await x402.createPaymentPayload(paymentRequired, 0, wallet, paymentId ? { paymentId } : {});
  return { paymentRequired, payload, header: encodeJsonHeader(payload) };
}

const send = (helper, path, header) => helper.fetch(path, { headers: { 'PAYMENT-SIGNATURE': header } });

for (const store of ['memory', 'do']) {
  test(`(${store} store) a repeated id is served on its first settlement: one charge, the same receipt`, async (t) => {
    const setupped = await setup(t, store);
    const { token, payTo, facilitator, worker: helper } = setupped;
    // The 402 declares the extension exactly as the official helper does.
    const unpaid = await helper.fetch('/weather');
    assert.equal(unpaid.status, 402);
    const declared = decodeJsonHeader(unpaid.headers.get('payment-required')).extensions;
    assert.deepEqual(declared, { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) });
    const plain = decodeJsonHeader((await helper.fetch('/plain')).headers.get('payment-required'));
    assert.equal(plain.extensions, undefined, 'paymentIdentifier: false declares nothing');

    const { wallet, pay } = await ourPayer(t, setupped);
    const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };
    const paymentId = `order_${store}_000000000001`;
    const first = await pay('/weather', { paymentId });
    const firstReceipt = x402.getPaymentReceipt(first);
    await assertServedWeather(first);
    const again = await pay('/weather', { paymentId });
    await assertServedWeather(again);
    const againReceipt = decodeJsonHeader(again.headers.get('payment-response'));
    assert.equal(againReceipt.success, true);
    assert.equal(againReceipt.transaction, firstReceipt.transaction, 'the repeat carries the first settlement');
    assert.equal(facilitator.calls.settle, 1, 'settled once');
    assert.equal(await balanceOf(token, wallet.address), before.payer - PRICE, 'charged once');
    assert.equal(await balanceOf(token, payTo), before.payee + PRICE);
    assert.equal((await helper.stats()).handled, 2, 'served twice');

    // Another id (here a random one) is another purchase.
    await assertServedWeather(await pay('/weather'));
    assert.equal(facilitator.calls.settle, 2);
    assert.equal(await balanceOf(token, wallet.address), before.payer - 2n * PRICE);
  });

  test(`(${store} store) the same id sent twice at once: one is settled, the other is told 409 and then served on it`, async (t) => {
    const setupped = await setup(t, store);
    const { token, facilitator, worker: helper } = setupped;
    const { wallet } = await ourPayer(t, setupped);
    const before = await balanceOf(token, wallet.address);
    const paymentId = 'concurrent_order_0000001';
    const a = await paymentFor(helper, '/weather', wallet, paymentId);
    const b = await paymentFor(helper, '/weather', wallet, paymentId);
    assert.notEqual(a.payload.payload.authorization.nonce, b.payload.payload.authorization.nonce);
    // The first to claim the id waits in /settle until the other has been answered.
    const release = facilitator.hold();
    const pending = [send(helper, '/weather', a.header), send(helper, '/weather', b.header)];
    const busy = await Promise.race(pending);
    release();
    const answers = await Promise.all(pending);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 409]);
    assert.equal(busy.status, 409);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.equal((await busy.json()).error, 'payment_in_progress');
    assert.equal(facilitator.calls.settle, 1);
    // The payment told to wait is served on the first one's settlement when sent again.
    const waited = answers[0].status === 409 ? a : b;
    const retried = await send(helper, '/weather', waited.header);
    await assertServedWeather(retried);
    assert.equal(facilitator.calls.settle, 1);
    assert.equal(await balanceOf(token, wallet.address), before - PRICE);
  });
}

test('the official @x402/fetch client with appendPaymentIdentifierToExtensions: a repeated id is charged once', async (t) => {
  const setupped = await setup(t);
  const { token, facilitator, worker: helper } = setupped;
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const paymentId = 'official_client_order_01';
  client.onBeforePaymentCreation(async ({ paymentRequired }) => {
    paymentRequired.extensions ??= {};
    appendPaymentIdentifierToExtensions(paymentRequired.extensions, paymentId);
  });
  const pay = wrapFetchWithPayment(viaWorker(helper), client);
  const before = await balanceOf(token, account.address);
  const receipts = [];
  for (let i = 0; i < 2; i++) {
    const response = await pay('http://127.0.0.1/premium/report');
    await response.text();
    assert.equal(response.status, 200);
    receipts.push(decodePaymentResponseHeader(response.headers.get('payment-response')));
  }
  assert.equal(receipts[1].transaction, receipts[0].transaction);
  assert.equal(facilitator.calls.settle, 1);
  assert.equal(await balanceOf(token, account.address), before - PRICE);
});

test('an id is one purchase of one payer: another resource or another payer with the same id is settled anew', async (t) => {
  const setupped = await setup(t);
  const { facilitator } = setupped;
  const paymentId = 'shared_identifier_0001';
  const one = await ourPayer(t, setupped);
  const two = await ourPayer(t, setupped);
  for (const [payer, path] of [[one, '/premium/a'], [one, '/premium/b'], [two, '/premium/a'], [one, '/premium/a']]) {
    const response = await payer.pay(path, { paymentId });
    assert.equal(response.status, 200, await response.text());
  }
  assert.equal(facilitator.calls.settle, 3, 'the last call repeats the first purchase');
});

test('refused before settling: no id where required, a malformed id; a failed settlement frees its id', async (t) => {
  const setupped = await setup(t);
  const { token, facilitator, worker: helper } = setupped;
  const { wallet, pay } = await ourPayer(t, setupped, 0n);
  const { payload } = await paymentFor(helper, '/weather', wallet, 'unfunded_order_000001');
  const without = structuredClone(payload);
  delete without.extensions;
  const malformed = structuredClone(payload);
  malformed.extensions[PAYMENT_IDENTIFIER].info.id = 'not an id!';
  for (const [sent, reason] of [[without, 'payment_identifier_required'], [malformed, 'invalid_payment_identifier']]) {
    const response = await send(helper, '/weather', encodeJsonHeader(sent));
    assert.equal(response.status, 402);
    assert.equal(decodeJsonHeader(response.headers.get('payment-response')).errorReason, reason);
  }
  assert.equal(facilitator.calls.settle, 0);

  // Unfunded: the settlement fails, and the id is free again for the payment that follows.
  const failed = await pay('/weather', { paymentId: 'unfunded_order_000001' });
  assert.equal(failed.status, 402, await failed.text());
  assert.equal(facilitator.calls.settle, 1);
  await mint(token, wallet.address, MINTED);
  await assertServedWeather(await pay('/weather', { paymentId: 'unfunded_order_000001' }));
  assert.equal(facilitator.calls.settle, 2);
  assert.equal(await balanceOf(token, wallet.address), MINTED - PRICE);
});

test('paymentIdentifier settings are checked at startup', () => {
  const accepts = [{ network: 'eip155:8453', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }];
  const make = (paymentIdentifier) => worker.paymentRequired({
    routes: { 'GET /x': { accepts, paymentIdentifier } }, facilitator: { url: 'http://127.0.0.1:9' },
  });
  for (const ok of [true, false, { required: true }, { ttlSeconds: 1 }, { required: false, ttlSeconds: 30 * 24 * 3600 }]) make(ok);
  for (const bad of [{ ttlSeconds: 0 }, { ttlSeconds: 30 * 24 * 3600 + 1 }, { required: 'yes' }, { requred: true }, 'true']) {
    assert.throws(() => make(bad), (error) => error.code === 'INVALID_ROUTE_CONFIG', JSON.stringify(bad));
  }
});
