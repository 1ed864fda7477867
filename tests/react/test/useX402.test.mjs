// useX402 (seed 004's hook): `const { call, loading, error } = useX402(); await call('/api/generate')`.
// `call` pays through the provider (its wallets, its policy) and resolves to the Response; `loading`
// is true while any call of the hook is in flight; `error` is the last call's, null after a success.
// Run with React 18 and 19 (REACT_VERSION); the wallet signs for real and the fake server verifies.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleErrors, reactVersion, x402, useX402 } from '../lib/env.mjs';
import { inAct, mountProvider, outsideProvider, probe, tick, until } from '../lib/render.mjs';
import { TRANSACTION, fakeServer } from '../lib/fake-server.mjs';

const CENT = '10000'; // $0.01 in USDC's 6 decimals

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: useX402's call pays through the provider and resolves to the Response; loading while it runs`, async (t) => {
  const server = fakeServer({ '/api/generate': { price: CENT, body: { result: 'Your AI-generated content' } } });
  const hook = probe(useX402);
  const { wallet } = await mountProvider(t, server, [hook]);
  assert.equal(typeof hook.latest.call, 'function');
  assert.equal(hook.latest.loading, false);
  assert.equal(hook.latest.error, null);
  const signing = wallet.holdSigning();

  const { done } = await inAct(() => hook.latest.call(server.url('/api/generate')));
  await until(() => hook.latest.loading === true);
  await inAct(() => signing.open());
  await until(() => hook.latest.loading === false);
  const { value: response, error } = await done;
  assert.equal(error, undefined);
  assert.ok(response instanceof Response);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { result: 'Your AI-generated content' });
  assert.equal(x402.getPaymentReceipt(response).transaction, TRANSACTION);
  assert.equal(hook.latest.error, null);
  // No question was needed: the call is the approval, within the provider's policy.
  assert.equal(wallet.signatures, 1);
  assert.equal(server.payments.length, 1);
  assert.deepEqual(server.requests, [{ path: '/api/generate', paid: false }, { path: '/api/generate', paid: true }]);
});

test(`React ${reactVersion}: useX402's error is the last call's (an X402Error), and null again after a success`, async (t) => {
  const server = fakeServer({ '/dear': { price: '100000', body: 'too dear' }, '/cheap': { price: CENT, body: 'ok' } });
  const hook = probe(useX402);
  const { wallet } = await mountProvider(t, server, [hook], { policy: { maxPerPayment: '0.05' } });

  const refused = await inAct(() => hook.latest.call(server.url('/dear')));
  await until(() => hook.latest.error !== null && !hook.latest.loading);
  const { error } = await refused.done;
  assert.ok(error instanceof x402.X402Error);
  assert.equal(error.code, 'PAYMENT_LIMIT_EXCEEDED');
  assert.equal(hook.latest.error, error);
  assert.equal(wallet.signatures, 0);

  const signing = wallet.holdSigning();
  const paid = await inAct(() => hook.latest.call(server.url('/cheap')));
  // A new call clears the error while it runs.
  await until(() => hook.latest.loading && hook.latest.error === null);
  await inAct(() => signing.open());
  await until(() => !hook.latest.loading);
  const { value: response } = await paid.done;
  assert.equal(await response.text(), 'ok');
  assert.equal(hook.latest.error, null);
});

test(`React ${reactVersion}: useX402's loading stays true while any of its calls is in flight`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const hook = probe(useX402);
  const { wallet } = await mountProvider(t, server, [hook]);
  const first = wallet.holdSigning();
  const second = wallet.holdSigning();
  const a = await inAct(() => hook.latest.call(server.url('/a')));
  const b = await inAct(() => hook.latest.call(server.url('/b')));
  await until(() => wallet.signatures === 2);
  assert.equal(hook.latest.loading, true);
  await inAct(() => first.open());
  await until(() => server.payments.length === 1);
  await tick(30);
  assert.equal(hook.latest.loading, true, 'one call is still in flight');
  await inAct(() => second.open());
  await until(() => hook.latest.loading === false);
  const results = await Promise.all([a.done, b.done]);
  assert.deepEqual(results.map((r) => r.value.status), [200, 200]);
  assert.equal(hook.latest.error, null);
  assert.equal(server.payments.length, 2);
});

test(`React ${reactVersion}: useX402({ onPaymentRequired }) asks before paying; a refusal is PAYMENT_REJECTED`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: 'paid' } });
  const questions = [];
  let answer = false;
  const hook = probe(() => useX402({ onPaymentRequired: (question) => (questions.push(question), answer) }));
  const { wallet } = await mountProvider(t, server, [hook]);

  const { done } = await inAct(() => hook.latest.call(server.url('/paid')));
  await until(() => hook.latest.error !== null && !hook.latest.loading);
  const { error } = await done;
  assert.equal(error.code, 'PAYMENT_REJECTED');
  assert.equal(hook.latest.error, error);
  assert.equal(questions.length, 1);
  assert.equal(questions[0].amountFormatted, '0.01 USDC');
  assert.equal(wallet.signatures, 0);

  answer = true;
  const again = await inAct(() => hook.latest.call(server.url('/paid')));
  await until(() => server.payments.length === 1 && !hook.latest.loading);
  assert.equal((await again.done).value.status, 200);
  assert.equal(hook.latest.error, null);
  assert.equal(questions.length, 2);
});

test(`React ${reactVersion}: useX402 outside an X402Provider throws`, async (t) => {
  const { caught, logged } = await outsideProvider(t, useX402);
  assert.match(caught?.message ?? '', /useX402 must be used inside <X402Provider>/);
  assert.ok(logged.some((line) => line.includes('useX402 must be used inside')), logged.join('\n'));
});

test(`React ${reactVersion}: useX402 declines a payment whose question was open when the provider's settings changed or the component unmounted`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: 'paid' } });
  const answers = [];
  const hook = probe(() => useX402({ onPaymentRequired: () => new Promise((resolve) => answers.push(resolve)) }));
  const { wallet, rerender } = await mountProvider(t, server, [hook]);

  const superseded = await inAct(() => hook.latest.call(server.url('/paid')));
  await until(() => answers.length === 1);
  // The provider's settings change in value while the user reads the question, then says yes.
  await rerender([hook], { policy: { maxPerPayment: '0.50' } });
  await inAct(() => answers[0](true));
  assert.equal((await superseded.done).error?.code, 'PAYMENT_SUPERSEDED');

  const unmounted = await inAct(() => hook.latest.call(server.url('/paid')));
  await until(() => answers.length === 2);
  await rerender([]);
  await inAct(() => answers[1](true));
  assert.equal((await unmounted.done).error?.code, 'PAYMENT_REJECTED');
  assert.equal(wallet.signatures, 0);
  assert.equal(server.payments.length, 0);
});

test(`React ${reactVersion}: useX402 refuses a misspelt option (INVALID_ARGUMENT, nothing paid); a call's own onPaymentRequired answers for it`, async (t) => {
  const server = fakeServer({ '/paid': { price: CENT, body: 'paid' } });
  const misspelt = probe(() => useX402({ onPaymentRequire: () => false }));
  const plain = probe(useX402);
  const { wallet } = await mountProvider(t, server, [misspelt, plain]);

  // A misspelt approval would have paid unasked.
  const a = await inAct(() => misspelt.latest.call(server.url('/paid')));
  assert.equal((await a.done).error?.code, 'INVALID_ARGUMENT');
  // A misspelt paymentId would have paid a repeated purchase again.
  const b = await inAct(() => plain.latest.call(server.url('/paid'), undefined, { paymentID: 'order_0123456789abcdef' }));
  assert.equal((await b.done).error?.code, 'INVALID_ARGUMENT');
  // The call's own approval is asked, and its refusal stands.
  const asked = [];
  const c = await inAct(() => plain.latest.call(server.url('/paid'), undefined, { onPaymentRequired: (q) => (asked.push(q), false) }));
  assert.equal((await c.done).error?.code, 'PAYMENT_REJECTED');
  assert.equal(asked.length, 1);
  // Options that are not an object: `useX402(confirm)` would pay unasked, `call(url, init, id)` twice.
  const fn = probe(() => useX402(() => false));
  await mountProvider(t, server, [fn]);
  const d = await inAct(() => fn.latest.call(server.url('/paid')));
  assert.equal((await d.done).error?.code, 'INVALID_ARGUMENT');
  for (const options of ['order_0123456789abcdef', ['order_0123456789abcdef'], 42]) {
    const e = await inAct(() => plain.latest.call(server.url('/paid'), undefined, options));
    assert.equal((await e.done).error?.code, 'INVALID_ARGUMENT', JSON.stringify(options));
  }
  assert.equal(wallet.signatures, 0);
  assert.equal(server.payments.length, 0);
  assert.deepEqual(server.requests.filter((r) => r.paid), []);
});
