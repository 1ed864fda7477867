// useX402Fetch (issue 7, section 2): the status sequence of a paid request, approval and rejection,
// the receipt, policy refusals, and each component tracking its own requests. Run with React 18 and
// 19 (REACT_VERSION); the wallet signs for real and the fake server verifies with verifyPayment.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { React, consoleErrors, reactVersion, x402, useX402Fetch } from '../lib/env.mjs';
import { inAct, mountProvider, probe, tick, until } from '../lib/render.mjs';
import { ORIGIN, PAY_TO, TRANSACTION, USDC_BASE, fakeServer } from '../lib/fake-server.mjs';

const CENT = '10000'; // $0.01 in USDC's 6 decimals

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: idle → awaiting-approval → signing → paying → settled, with approve()`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: { secret: 42 } } });
  const hook = probe(useX402Fetch);
  const { wallet } = await mountProvider(t, server, [hook]);
  assert.equal(hook.latest.status, 'idle');
  const signing = wallet.holdSigning();
  const paying = server.holdPaid();

  const { done } = await inAct(() => hook.latest.fetch(server.url('/paid')));
  await until(() => hook.latest.status === 'awaiting-approval');
  const { pendingPayment } = hook.latest;
  assert.equal(pendingPayment.amountFormatted, '0.01 USDC');
  assert.equal(pendingPayment.origin, ORIGIN);
  assert.equal(pendingPayment.resource, server.url('/paid'));
  assert.equal(pendingPayment.requirement.network, 'eip155:8453');
  assert.equal(pendingPayment.requirement.asset, USDC_BASE);
  assert.equal(pendingPayment.requirement.payTo, PAY_TO);
  assert.equal(pendingPayment.requirement.amount, CENT);
  await tick(30);
  assert.equal(wallet.signatures, 0, 'signed before approval');
  assert.deepEqual(server.requests, [{ path: '/paid', paid: false }]);

  await inAct(() => pendingPayment.approve());
  await until(() => hook.latest.status === 'signing');
  assert.equal(hook.latest.pendingPayment, null);
  signing.open();
  await until(() => hook.latest.status === 'paying');
  paying.open();
  await until(() => hook.latest.status === 'settled');

  const { value: response } = await done;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { secret: 42 });
  assert.deepEqual(hook.statuses, ['idle', 'awaiting-approval', 'signing', 'paying', 'settled']);
  const { receipt, error } = hook.latest;
  assert.equal(error, null);
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, TRANSACTION);
  assert.equal(receipt.network, 'eip155:8453');
  assert.equal(receipt.payer, wallet.address);
  assert.equal(receipt.status, 200);
  assert.equal(x402.getPaymentReceipt(response).transaction, TRANSACTION);
  assert.equal(server.payments.length, 1);
  assert.equal(server.payments[0].payer, wallet.address);
});

test(`React ${reactVersion}: reject() is PAYMENT_REJECTED and no payment is sent`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: { secret: 42 } } });
  const hook = probe(useX402Fetch);
  const { wallet } = await mountProvider(t, server, [hook]);
  const { done } = await inAct(() => hook.latest.fetch(server.url('/paid')));
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.reject());
  await until(() => hook.latest.status === 'error');

  const { error } = await done;
  assert.ok(error instanceof x402.X402Error);
  assert.equal(error.code, 'PAYMENT_REJECTED');
  assert.equal(hook.latest.error, error);
  assert.equal(hook.latest.pendingPayment, null);
  assert.equal(hook.latest.receipt, null);
  assert.deepEqual(hook.statuses, ['idle', 'awaiting-approval', 'error']);
  assert.equal(wallet.signatures, 0);
  assert.deepEqual(server.requests, [{ path: '/paid', paid: false }]);
  assert.equal(server.payments.length, 0);
});

test(`React ${reactVersion}: a price above the policy cap is PAYMENT_LIMIT_EXCEEDED, never asked`, async (t) => {
  const server = fakeServer({ '/dear': { price: '100000', body: 'too dear' } }); // $0.10
  const hook = probe(useX402Fetch);
  const { wallet } = await mountProvider(t, server, [hook], { policy: { maxPerPayment: '0.05' } });
  const { done } = await inAct(() => hook.latest.fetch(server.url('/dear')));
  const { error } = await done;
  await until(() => hook.latest.status === 'error');

  assert.equal(error.code, 'PAYMENT_LIMIT_EXCEEDED');
  assert.equal(hook.latest.error, error);
  assert.ok(hook.renders.every((r) => r.pendingPayment === null), 'asked for approval');
  assert.deepEqual(hook.statuses, ['idle', 'error']);
  assert.equal(wallet.signatures, 0);
  assert.deepEqual(server.requests, [{ path: '/dear', paid: false }]);
});

test(`React ${reactVersion}: a response that asks for no payment leaves the state idle`, async (t) => {
  const server = fakeServer({ '/free': { body: { free: true } } });
  const hook = probe(useX402Fetch);
  await mountProvider(t, server, [hook]);
  const { done } = await inAct(() => hook.latest.fetch(server.url('/free')));
  const { value: response } = await done;
  await tick();
  assert.deepEqual(await response.json(), { free: true });
  assert.deepEqual(hook.statuses, ['idle']);
  assert.equal(hook.latest.receipt, null);
});

test(`React ${reactVersion}: each component tracks its own requests`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const a = probe(useX402Fetch);
  const b = probe(useX402Fetch);
  await mountProvider(t, server, [a, b]);
  const first = await inAct(() => a.latest.fetch(server.url('/a')));
  await until(() => a.latest.status === 'awaiting-approval');
  const second = await inAct(() => b.latest.fetch(server.url('/b')));
  // Both wait for their user at once, each with its own question.
  await until(() => b.latest.status === 'awaiting-approval');
  assert.equal(a.latest.pendingPayment.resource, server.url('/a'));

  await inAct(() => a.latest.pendingPayment.approve());
  await until(() => a.latest.status === 'settled');
  assert.equal(b.latest.status, 'awaiting-approval', "a's events did not reach b");
  assert.equal(a.latest.pendingPayment, null);
  assert.equal((await first.done).value.status, 200);
  assert.equal(b.latest.pendingPayment.resource, server.url('/b'));

  await inAct(() => b.latest.pendingPayment.reject());
  assert.equal((await second.done).error.code, 'PAYMENT_REJECTED');
  await until(() => b.latest.status === 'error');
  assert.equal(a.latest.status, 'settled');
  assert.equal(a.latest.receipt.transaction, TRANSACTION);
  assert.equal(b.latest.receipt, null);
  assert.ok(!b.statuses.includes('signing') && !b.statuses.includes('settled'), b.statuses.join());
  assert.deepEqual(server.payments.map((p) => p.path), ['/a']);
});

test(`React ${reactVersion}: the provider's budget counts the payments of every component`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const a = probe(useX402Fetch);
  const b = probe(useX402Fetch);
  await mountProvider(t, server, [a, b], { policy: { budget: { total: '0.01' } } });
  const first = await inAct(() => a.latest.fetch(server.url('/a')));
  await until(() => a.latest.pendingPayment !== null);
  await inAct(() => a.latest.pendingPayment.approve());
  assert.equal((await first.done).value.status, 200);
  const second = await inAct(() => b.latest.fetch(server.url('/b')));
  assert.equal((await second.done).error.code, 'BUDGET_EXCEEDED');
  await until(() => b.latest.status === 'error');
  assert.ok(b.renders.every((r) => r.pendingPayment === null));
  assert.deepEqual(server.payments.map((p) => p.path), ['/a']);
});

test(`React ${reactVersion}: fetch(url, init, { paymentId }) sends that payment-identifier id where the server declares it`, async (t) => {
  const declared = { 'payment-identifier': { info: { required: true } } };
  const server = fakeServer({ '/order': { price: CENT, body: 'ok', extensions: declared }, '/plain': { price: CENT, body: 'ok' } });
  const hook = probe(useX402Fetch);
  await mountProvider(t, server, [hook], { policy: { maxPerPayment: '1' }, onPaymentRequired: () => true });
  for (const path of ['/order', '/plain']) {
    const { done } = await inAct(() => hook.latest.fetch(server.url(path), undefined, { paymentId: 'react_order_0000000001' }));
    await until(() => hook.latest.pendingPayment !== null || hook.latest.status === 'settled');
    if (hook.latest.pendingPayment) await inAct(() => hook.latest.pendingPayment.approve());
    assert.equal((await done).value.status, 200);
  }
  assert.deepEqual(server.payments.map((p) => p.payment.extensions?.['payment-identifier']?.info ?? null), [
    { required: true, id: 'react_order_0000000001' },
    null,
  ]);
  const { done } = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId: 'short' }));
  assert.equal((await done).error.code, 'INVALID_ARGUMENT');
});

test(`React ${reactVersion}: fetch(url, init, { paymentID }) (a misspelt paymentId) is INVALID_ARGUMENT, nothing sent or asked`, async (t) => {
  const server = fakeServer({ '/order': { price: CENT, body: 'ok' } });
  const hook = probe(useX402Fetch);
  await mountProvider(t, server, [hook], { policy: { maxPerPayment: '1' }, onPaymentRequired: () => true });
  for (const key of ['paymentID', 'payment_id']) {
    const { done } = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { [key]: 'react_order_0000000002' }));
    const { error } = await done;
    assert.equal(error?.code, 'INVALID_ARGUMENT');
    assert.match(error.message, new RegExp(`${key}: did you mean paymentId\\?`));
    assert.equal(hook.latest.pendingPayment, null);
  }
  assert.equal(server.payments.length, 0);
});

test(`React ${reactVersion}: a second request under the paymentId being paid is PAYMENT_IN_PROGRESS and leaves the first its state`, async (t) => {
  const server = fakeServer({ '/order': { price: CENT, body: 'ok', extensions: { 'payment-identifier': { info: { required: false } } } } });
  const hook = probe(useX402Fetch);
  await mountProvider(t, server, [hook]);
  const paymentId = 'react_double_click_001';
  const first = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId }));
  await until(() => hook.latest.status === 'awaiting-approval');
  const second = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId }));
  assert.equal((await second.done).error.code, 'PAYMENT_IN_PROGRESS');
  assert.equal(hook.latest.status, 'awaiting-approval');
  await inAct(() => hook.latest.pendingPayment.approve());
  assert.equal((await first.done).value.status, 200);
  await until(() => hook.latest.status === 'settled');
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: after the provider's settings change, a request under a paymentId sends the payment made before again`, async (t) => {
  const server = fakeServer({ '/order': { price: CENT, body: 'ok', extensions: { 'payment-identifier': { info: { required: false } } } } });
  // The first paid answer is lost on the way back (the server got the payment).
  let lose = true;
  const flaky = async (input, init) => {
    const response = await server.fetch(input, init);
    if (new Request(input, init).headers.has('payment-signature') && lose) {
      lose = false;
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  };
  const hook = probe(useX402Fetch);
  const view = await mountProvider(t, { fetch: flaky }, [hook], { policy: { maxPerPayment: '0.05', budget: { total: '0.015' } } });
  const paymentId = 'react_order_0000000077';
  const order = async () => {
    const { done } = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId }));
    await until(() => hook.latest.status === 'awaiting-approval');
    await inAct(() => hook.latest.pendingPayment.approve());
    return done;
  };
  assert.match((await order()).error.message, /connection reset/);
  const before = hook.latest.fetch;
  // A new policy: the provider makes a new paying fetch, sharing the old one's spending.
  await view.rerender([hook], { policy: { maxPerPayment: '0.10', budget: { total: '0.015' } } });
  assert.notEqual(hook.latest.fetch, before);
  const seen = hook.statuses.length;
  const paying = server.holdPaid();
  const { done } = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId }));
  await until(() => hook.latest.status === 'awaiting-approval');
  assert.equal(hook.latest.pendingPayment.sentAgain, true);
  assert.equal(hook.latest.pendingPayment.payer, view.wallet.address);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'paying');
  paying.open();
  await until(() => hook.latest.status === 'settled');
  assert.equal((await done).value.status, 200);
  // Nothing to sign: paying as soon as it is approved.
  assert.deepEqual(hook.statuses.slice(seen), ['idle', 'awaiting-approval', 'paying', 'settled']);
  assert.equal(server.payments.length, 2);
  assert.deepEqual(server.payments[1].payment, server.payments[0].payment, 'the same signed payment, sent again');
  // Counted once: $0.005 of the budget is left.
  const { done: over } = await inAct(() => hook.latest.fetch(server.url('/order'), undefined, { paymentId: 'react_order_0000000078' }));
  assert.equal((await over).error.code, 'BUDGET_EXCEEDED');
});

test(`React ${reactVersion}: a component's newer request declines its older open question`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const hook = probe(useX402Fetch);
  const view = await mountProvider(t, server, [hook]);
  const first = await inAct(() => hook.latest.fetch(server.url('/a')));
  await until(() => hook.latest.pendingPayment?.resource === server.url('/a'));
  const second = await inAct(() => hook.latest.fetch(server.url('/b')));
  assert.equal((await first.done).error.code, 'PAYMENT_SUPERSEDED');
  await until(() => hook.latest.pendingPayment?.resource === server.url('/b'));
  assert.equal(hook.latest.status, 'awaiting-approval', "the older request's failure left the state alone");
  await inAct(() => hook.latest.pendingPayment.approve());
  assert.equal((await second.done).value.status, 200);
  await until(() => hook.latest.status === 'settled');
  assert.equal(view.wallet.signatures, 1);
  assert.deepEqual(server.payments.map((p) => p.path), ['/b']);
});

/** `server.fetch` that rejects with the signal's reason when the request is aborted, as fetch does. */
const abortable = (server) => (input, init) => {
  const request = new Request(input, init);
  return new Promise((resolve, reject) => {
    request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
    server.fetch(request).then(resolve, reject);
  });
};

test(`React ${reactVersion}: aborted once the payment went out, the request is an 'error', not 'idle'`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: { secret: 42 } } });
  const hook = probe(useX402Fetch);
  const events = [];
  await mountProvider(t, server, [hook], { fetch: abortable(server), onEvent: (event) => events.push(event) });
  const paying = server.holdPaid();
  const stop = new AbortController();
  const { done } = await inAct(() => hook.latest.fetch(server.url('/paid'), { signal: stop.signal }));
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'paying');
  await inAct(() => stop.abort());
  const { error } = await done;
  assert.equal(error.name, 'AbortError');
  await inAct(() => paying.open());
  await tick(10);
  // The signed payment reached the server: it may settle, so the state must not say nothing happened.
  assert.equal(server.payments.length, 1);
  assert.deepEqual(
    events.map((e) => e.type + (e.spent === undefined ? '' : `:${e.spent}`)),
    ['payment_required', 'approved', 'signed', 'failed:unknown'],
  );
  assert.equal(hook.latest.status, 'error');
  assert.equal(hook.latest.error, error);
  assert.equal(hook.latest.pendingPayment, null);
  assert.ok(!hook.statuses.slice(hook.statuses.indexOf('paying')).includes('idle'), hook.statuses.join());
});

// React 19.2's <Activity> runs a hidden component's effect cleanups, keeps its state, and runs its
// effects again when it is shown. React 18 has no <Activity>.
if (reactVersion !== '18') {
  const activity = (hook, mode) => React.createElement(React.Activity, { mode }, hook.element());

  test(`React ${reactVersion}: hidden (Activity) with a question open, the request is declined and the state says so when shown`, async (t) => {
    const server = fakeServer({ '/paid': { price: CENT, body: { secret: 42 } } });
    const hook = probe(useX402Fetch);
    const view = await mountProvider(t, server, [activity(hook, 'visible')]);
    const first = await inAct(() => hook.latest.fetch(server.url('/paid')));
    await until(() => hook.latest.pendingPayment !== null);
    await view.rerender([activity(hook, 'hidden')]);
    assert.equal((await first.done).error.code, 'PAYMENT_REJECTED');
    await view.rerender([activity(hook, 'visible')]);
    await until(() => hook.latest.status === 'error');
    assert.equal(hook.latest.pendingPayment, null, 'no question left whose approve() does nothing');
    assert.equal(hook.latest.error.code, 'PAYMENT_REJECTED');
    // Shown again, the component's requests move its state as before.
    const second = await inAct(() => hook.latest.fetch(server.url('/paid')));
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    assert.equal((await second.done).value.status, 200);
    await until(() => hook.latest.status === 'settled');
    assert.equal(hook.latest.receipt.transaction, TRANSACTION);
    assert.equal(server.payments.length, 1);
  });

  test(`React ${reactVersion}: hidden (Activity) while paying, the request settles and the state shows it when shown`, async (t) => {
    const server = fakeServer({ '/paid': { price: CENT, body: { secret: 42 } } });
    const hook = probe(useX402Fetch);
    const view = await mountProvider(t, server, [activity(hook, 'visible')]);
    const paying = server.holdPaid();
    const { done } = await inAct(() => hook.latest.fetch(server.url('/paid')));
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => hook.latest.status === 'paying');
    await view.rerender([activity(hook, 'hidden')]);
    await inAct(() => paying.open());
    assert.equal((await done).value.status, 200);
    await tick(10);
    await view.rerender([activity(hook, 'visible')]);
    await until(() => hook.latest.status === 'settled');
    assert.equal(hook.latest.receipt.success, true);
    assert.equal(hook.latest.receipt.transaction, TRANSACTION);
    assert.equal(hook.latest.error, null);
    assert.equal(server.payments.length, 1);
  });
}
