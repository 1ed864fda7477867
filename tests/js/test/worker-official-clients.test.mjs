// x402-wasm/worker in workerd (Miniflare), paid by real clients: a Worker protects GET /weather with
// paymentRequired from the packed package and settles through a facilitator over loopback HTTP on
// anvil with the EIP-3009 TestUSDC. Paid by (a) the official v2 client (@x402/fetch + @x402/evm,
// unmodified from npm), (b) the official v1 client (x402-fetch 1.2.0) on a v1 route (acceptV1, chain
// 84532 called base-sepolia, settled by the v1 facilitator of x402/facilitator), (c) our own
// wrapFetch. Balances are read from the chain. Every test stops its anvil, servers and workerd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import { decodeXPaymentResponse, wrapFetchWithPayment as wrapFetchWithPaymentV1 } from 'x402-fetch';
import { anvilClients, assertSettled, balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, startHelperWorker, v1Chain, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();

/** The v2 Worker on a fresh chain. */
async function setupV2(t) {
  const chain = await v2Chain(t);
  const worker = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory',
      routes: { 'GET /weather': weatherRoute({ asset: chain.token.address, payTo: chain.payTo }) },
      facilitator: { url: chain.facilitator.url },
    }],
  });
  return { ...chain, worker };
}

test('(a) the official @x402/fetch v2 client pays the Worker; settled on anvil through the official facilitator', async (t) => {
  const { token, payTo, facilitator, worker } = await setupV2(t);
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const pay = wrapFetchWithPayment(fetch, client);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };

  const response = await pay(`${worker.url}weather`);
  await assertServedWeather(response);
  const receipt = decodePaymentResponseHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(receipt.network, NETWORK);
  assert.equal(getAddress(receipt.payer), account.address);
  await assertSettled(token, receipt.transaction, { payer: account.address, payTo, before, price: PRICE });
  assert.match(response.headers.get('access-control-expose-headers') ?? '', /PAYMENT-RESPONSE/i);

  const stats = await worker.stats();
  assert.equal(stats.handled, 1, 'the handler ran once, for the paid request');
  assert.deepEqual(facilitator.calls, { verify: 0, settle: 1, supported: 0 });
});

/** A v1 chain (84532, base-sepolia) with TestUSDC, the v1 facilitator over HTTP and the Worker. */
async function setupV1(t) {
  const { anvil, token, facilitator, payTo } = await v1Chain(t);
  const worker = await startHelperWorker(t, {
    middlewares: [{
      store: 'memory',
      routes: { 'GET /weather': weatherRoute({ asset: token.address, payTo, network: 'base-sepolia', acceptV1: true }) },
      facilitator: { url: facilitator.url },
    }],
  });
  return { anvil, token, facilitator, payTo, worker };
}

/** Pays /weather with the official v1 client through `viaFetch`; asserts the settlement. */
async function payV1(t, { anvil, token, facilitator, payTo, worker }, viaFetch) {
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const { walletClient } = anvilClients(anvil, account); // chain id 84532 -> "base-sepolia" for x402-fetch
  const pay = wrapFetchWithPaymentV1(viaFetch, walletClient);
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, account.address) };

  const response = await pay(`${worker.url}weather`);
  await assertServedWeather(response);
  assert.equal(response.headers.get('payment-response'), null, 'a v1 payment is answered in X-PAYMENT-RESPONSE');
  const header = response.headers.get('x-payment-response');
  assert.ok(header, 'X-PAYMENT-RESPONSE present');
  const receipt = decodeXPaymentResponse(header);
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  assert.equal(getAddress(receipt.payer), account.address);
  await assertSettled(token, receipt.transaction, { payer: account.address, payTo, before, price: PRICE });
  assert.equal(facilitator.calls.settle.length, 1);
  assert.equal((await worker.stats()).handled, 1);
}

test('(b) the official x402-fetch v1 client pays a v1 route (acceptV1, base-sepolia); X-PAYMENT-RESPONSE, balance moved', async (t) => {
  const setup = await setupV1(t);
  const { worker } = setup;
  // The unpaid answer carries the v1 document in the body for v1 clients.
  const challenge = await worker.fetch('/weather');
  assert.equal(challenge.status, 402);
  const body = await challenge.json();
  assert.equal(body.x402Version, 1);
  assert.equal(body.accepts[0].network, 'base-sepolia');
  assert.equal(body.accepts[0].maxAmountRequired, String(PRICE));
  for (const key of ['outputSchema', 'extra']) {
    // x402 v1 (PaymentRequirementsSchema of x402 1.2.0) allows these to be absent or objects, not null.
    if (key in body.accepts[0]) assert.equal(typeof body.accepts[0][key], 'object', key);
    assert.notEqual(body.accepts[0][key], null, `accepts[0].${key} is null`);
  }

  await payV1(t, setup, fetch);
});

// Past a v1 402 body the official client refuses (see (b)): the same payment with only null
// `outputSchema` removed from the 402 body on its way to the client, so the X-PAYMENT acceptance and
// the v1 settlement are tested whatever the body. A no-op once the body omits null fields.
test('(b2) the v1 flow past the 402 body: X-PAYMENT accepted, settled by the v1 facilitator', async (t) => {
  const setup = await setupV1(t);
  const dropNullOutputSchema = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status !== 402) return response;
    const body = await response.json();
    for (const r of body.accepts ?? []) if (r.outputSchema === null) delete r.outputSchema;
    return new Response(JSON.stringify(body), { status: 402, headers: response.headers });
  };
  await payV1(t, setup, dropNullOutputSchema);
});

test('(c) our own wrapFetch pays the Worker; settled on anvil, receipt decoded', async (t) => {
  const { token, payTo, facilitator, worker } = await setupV2(t);
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const pay = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: {
      assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }],
    },
  });
  const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };

  const response = await pay(`${worker.url}weather`);
  await assertServedWeather(response);
  const receipt = decodeJsonHeader(response.headers.get('payment-response'));
  assert.equal(receipt.success, true, JSON.stringify(receipt));
  const ours = x402.getPaymentReceipt(response);
  assert.equal(ours?.transaction, receipt.transaction);
  await assertSettled(token, receipt.transaction, { payer: getAddress(wallet.address), payTo, before, price: PRICE });
  assert.equal((await worker.stats()).handled, 1);
  assert.deepEqual(facilitator.calls, { verify: 0, settle: 1, supported: 0 });
});
