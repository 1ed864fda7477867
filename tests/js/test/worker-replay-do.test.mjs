// Replay protection of x402-wasm/worker in workerd, with concurrent duplicates: the SAME valid
// payment header (made by the official v2 client) sent in concurrent requests is served and settled
// exactly once; the others get 402 duplicate_settlement. Stores: durableObjectReplayStore(env.REPLAY)
// bound to the package's ReplayStoreDurableObject (one Worker; and two Workers, i.e. two isolates,
// sharing the namespace), and memoryReplayStore() within one isolate. Settlement goes through the
// official v2 facilitator over loopback HTTP on anvil; its /settle calls are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client, x402HTTPClient } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, decodeJsonHeader, encodeJsonHeader, startHelperWorker, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';

async function setup(t, { store, copies = 1 }) {
  const chain = await v2Chain(t);
  const { token, payTo, facilitator } = chain;
  const worker = await startHelperWorker(t, {
    copies,
    durableObject: store === 'do',
    middlewares: [{
      store,
      routes: { 'GET /weather': weatherRoute({ asset: token.address, payTo }) },
      facilitator: { url: facilitator.url },
    }],
  });
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const httpClient = new x402HTTPClient(client);
  /** A valid PAYMENT-SIGNATURE value for /weather, from the official client. */
  const paymentHeader = async () => {
    const response = await worker.fetch('/weather');
    assert.equal(response.status, 402);
    const body = await response.json();
    const required = httpClient.getPaymentRequiredResponse((name) => response.headers.get(name), body);
    return encodeJsonHeader(await client.createPaymentPayload(required));
  };
  return { ...chain, worker, account, paymentHeader };
}

/** Sends `header` to /weather once per entry of `targets` (worker indices), all at once. */
async function sendConcurrently(worker, header, targets) {
  const responses = await Promise.all(targets.map((i) => worker.fetch('/weather', { headers: { 'PAYMENT-SIGNATURE': header } }, i)));
  return Promise.all(responses.map(async (response) => ({
    status: response.status,
    body: await response.text(),
    settlement: decodeJsonHeader(response.headers.get('payment-response')),
  })));
}

/** Exactly one 200 (settled) and the rest 402 duplicate_settlement; paid and handled once. */
async function assertOnce(results, { worker, facilitator, token, payTo }, copies = 1) {
  const ok = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  assert.equal(ok.length, 1, `statuses ${results.map((r) => r.status)}: ${results.map((r) => r.body).join(' | ')}`);
  assert.equal(ok[0].settlement?.success, true);
  for (const r of refused) {
    assert.equal(r.status, 402, r.body);
    assert.equal(r.settlement?.success, false);
    assert.equal(r.settlement.errorReason, 'duplicate_settlement');
    assert.doesNotMatch(r.body, /sunny/);
  }
  assert.equal(facilitator.calls.settle, 1, 'settled once');
  let handled = 0;
  for (let i = 0; i < copies; i += 1) handled += (await worker.stats(i)).handled;
  assert.equal(handled, 1, 'the handler ran once');
  assert.equal(await balanceOf(token, payTo), PRICE, 'paid exactly once');
}

test('Durable Object store: the same header in two concurrent requests -> one 200, one 402 duplicate_settlement', async (t) => {
  const ctx = await setup(t, { store: 'do' });
  const header = await ctx.paymentHeader();
  const results = await sendConcurrently(ctx.worker, header, [0, 0]);
  await assertOnce(results, ctx);

  // Later, the same header again: still a duplicate (the reservation is kept until validBefore).
  const [late] = await sendConcurrently(ctx.worker, header, [0]);
  assert.equal(late.status, 402, late.body);
  assert.equal(late.settlement.errorReason, 'duplicate_settlement');
  assert.equal(ctx.facilitator.calls.settle, 1);
});

test('Durable Object store shared by two Workers (two isolates): concurrent duplicates across them -> exactly one 200', async (t) => {
  const ctx = await setup(t, { store: 'do', copies: 2 });
  const header = await ctx.paymentHeader();
  const results = await sendConcurrently(ctx.worker, header, [0, 1, 0, 1]);
  await assertOnce(results, ctx, 2);
  const [again] = await sendConcurrently(ctx.worker, header, [1]);
  assert.equal(again.status, 402);
  assert.equal(again.settlement.errorReason, 'duplicate_settlement');
  assert.equal(ctx.facilitator.calls.settle, 1);
});

test('Durable Object store: a second, different payment by the same payer is not a duplicate', async (t) => {
  const ctx = await setup(t, { store: 'do' });
  const [first] = await sendConcurrently(ctx.worker, await ctx.paymentHeader(), [0]);
  assert.equal(first.status, 200, first.body);
  const [second] = await sendConcurrently(ctx.worker, await ctx.paymentHeader(), [0]);
  assert.equal(second.status, 200, second.body);
  assert.equal(ctx.facilitator.calls.settle, 2);
  assert.equal(await balanceOf(ctx.token, ctx.payTo), 2n * PRICE);
});

test('memory store: the same header in two concurrent requests in one isolate -> one 200, one 402 duplicate_settlement', async (t) => {
  const ctx = await setup(t, { store: 'memory' });
  const results = await sendConcurrently(ctx.worker, await ctx.paymentHeader(), [0, 0]);
  await assertOnce(results, ctx);
});

// The control that makes the two-isolate test meaningful: two Workers each with its own memory store
// do not see each other, so the second copy of a header passes the gate in the other isolate (and
// only the chain, at settlement, stops it). This is why many isolates need the Durable Object.
test('control: memory stores in two isolates do not share reservations (the Durable Object is needed)', async (t) => {
  const ctx = await setup(t, { store: 'memory', copies: 2 });
  const header = await ctx.paymentHeader();
  const [first] = await sendConcurrently(ctx.worker, header, [0]);
  assert.equal(first.status, 200, first.body);
  const [second] = await sendConcurrently(ctx.worker, header, [1]);
  assert.equal(second.status, 402, second.body);
  assert.equal(second.settlement.success, false);
  assert.notEqual(second.settlement.errorReason, 'duplicate_settlement', 'the other isolate did not know the payment');
  assert.equal((await ctx.worker.stats(0)).handled, 1);
  assert.equal((await ctx.worker.stats(1)).handled, 1, 'the second isolate ran its handler before settling failed');
  assert.equal(ctx.facilitator.calls.settle, 2);
  assert.equal(await balanceOf(ctx.token, ctx.payTo), PRICE, 'the chain paid once');
});
