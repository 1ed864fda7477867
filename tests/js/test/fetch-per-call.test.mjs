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

test('per-call: a near miss of a hook\'s name (paymentID, payment_id...) is INVALID_ARGUMENT before anything is sent, asked or signed', async (t) => {
  const server = await serverFor(t, { routes: { '/buy': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  let asked = 0;
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => ++asked > 0 });
  // Ignored, the id the caller relies on would not be sent, and its retry would pay a second time.
  for (const [key, meant] of [['paymentID', 'paymentId'], ['payment_id', 'paymentId'], ['paymentid', 'paymentId'], ['PaymentId', 'paymentId'], ['onevent', 'onEvent'], ['on_payment_required', 'onPaymentRequired']]) {
    const value = meant === 'paymentId' ? 'order_2026_0000000042' : () => true;
    await assert.rejects(paying(server.url('/buy'), undefined, { [key]: value }), (e) =>
      e.code === 'INVALID_ARGUMENT' && e.message.includes(`unknown per-call hook ${key}: did you mean ${meant}?`) && e.message.includes('onPaymentRequired, onEvent and paymentId'));
  }
  // A function under another name is refused too, and the message lists paymentId.
  await assert.rejects(paying(server.url('/buy'), undefined, { onPaid: () => {} }), (e) =>
    e.code === 'INVALID_ARGUMENT' && /unknown per-call hook onPaid: the hooks are onPaymentRequired, onEvent and paymentId/.test(e.message));
  assert.deepEqual([server.requests.length, asked, calls.signTypedData.length, calls.getAddress], [0, 0, 0, 0]);
  // Other members that are no hooks are left alone (a class instance's own state).
  assert.equal((await paying(server.url('/buy'), undefined, { paymentId: 'order_2026_0000000042', note: 'mine' })).status, 200);
});
