// Per-call hooks: paying(input, init, { onPaymentRequired, onEvent }) replaces the wrapper's
// approval for that call and hears that call's events, with one shared budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { countingWallet, serverFor, usdc } from '../lib/paid-server.mjs';

const x402 = await loadX402();

test('per-call approval replaces the wrapper\'s, per-call listeners hear their own call only', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const wrapperEvents = [];
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { budget: { total: '0.01' } },
    onPaymentRequired: () => false,
    onEvent: (e) => wrapperEvents.push(e.type),
  });
  await assert.rejects(paying(server.url('/paid')), { code: 'PAYMENT_REJECTED' });
  assert.equal(calls.signTypedData.length, 0);

  const mine = [];
  const response = await paying(server.url('/paid'), undefined, {
    onPaymentRequired: ({ amountFormatted }) => amountFormatted === '0.01 USDC',
    onEvent: (e) => mine.push(e.type),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(mine, ['payment_required', 'approved', 'signed', 'settled']);
  assert.ok(wrapperEvents.includes('settled'), 'the wrapper listener hears every call');
  // The budget is shared by all calls of the wrapper: the second payment is over it.
  await assert.rejects(paying(server.url('/paid'), undefined, { onPaymentRequired: () => true }), { code: 'BUDGET_EXCEEDED' });
});
