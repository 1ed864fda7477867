// X402Provider and the life of a request: one wrapped fetch per wallets/policy, unmounting with a
// question open, aborting a request that waits for its turn or for the user.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { React, X402Provider, consoleErrors, reactVersion, usePaidResource, useX402Fetch } from '../lib/env.mjs';
import { inAct, mount, mountProvider, outsideProvider, probe, tick, until } from '../lib/render.mjs';
import { fakeServer, testWallet } from '../lib/fake-server.mjs';

const CENT = '10000';

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: useX402Fetch outside an X402Provider throws`, async (t) => {
  const { caught, logged } = await outsideProvider(t, useX402Fetch);
  assert.match(caught?.message ?? '', /useX402Fetch must be used inside <X402Provider>/);
  assert.ok(logged.some((line) => line.includes('useX402Fetch must be used inside')), logged.join('\n'));
});

test(`React ${reactVersion}: the fetch is kept across renders, also for an equal policy literal, and re-created with a new policy`, async (t) => {
  const server = fakeServer({});
  const hook = probe(useX402Fetch);
  const policy = { maxPerPayment: '0.05' };
  const view = await mountProvider(t, server, [hook], { policy });
  const first = hook.latest.fetch;
  await view.rerender([hook], { policy });
  assert.ok(hook.renders.length >= 2);
  assert.equal(hook.latest.fetch, first);
  await view.rerender([hook], { policy: { maxPerPayment: '0.05' } });
  assert.equal(hook.latest.fetch, first, 'an equal policy written in the render keeps the fetch');
  await view.rerender([hook], { policy: { maxPerPayment: '0.10' } });
  assert.notEqual(hook.latest.fetch, first);
});

test(`React ${reactVersion}: unmounting with a question open rejects it; the other component's request goes on`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const a = probe(useX402Fetch);
  const b = probe(useX402Fetch);
  const view = await mountProvider(t, server, [a, b]);
  const first = await inAct(() => a.latest.fetch(server.url('/a')));
  await until(() => a.latest.pendingPayment !== null);
  const second = await inAct(() => b.latest.fetch(server.url('/b')));
  await until(() => b.latest.pendingPayment !== null);
  await view.rerender([b]);
  assert.equal((await first.done).error.code, 'PAYMENT_REJECTED');
  assert.equal(b.latest.status, 'awaiting-approval', 'b is untouched');
  await inAct(() => b.latest.pendingPayment.approve());
  assert.equal((await second.done).value.status, 200);
  await until(() => b.latest.status === 'settled');
  assert.equal(view.wallet.signatures, 1);
  assert.deepEqual(server.payments.map((p) => p.path), ['/b']);
});

test(`React ${reactVersion}: aborting one of two requests waiting for the user leaves the other`, async (t) => {
  const server = fakeServer({ '/a': { price: CENT, body: 'a' }, '/b': { price: CENT, body: 'b' } });
  const a = probe(useX402Fetch);
  const b = probe(useX402Fetch);
  const view = await mountProvider(t, server, [a, b]);
  const stopA = new AbortController();
  const stopB = new AbortController();
  const first = await inAct(() => a.latest.fetch(server.url('/a'), { signal: stopA.signal }));
  const second = await inAct(() => b.latest.fetch(server.url('/b'), { signal: stopB.signal }));
  await until(() => a.latest.pendingPayment !== null && b.latest.pendingPayment !== null);

  await inAct(() => stopB.abort());
  assert.equal((await second.done).error.name, 'AbortError');
  await until(() => b.latest.status === 'idle');
  assert.equal(b.latest.pendingPayment, null);
  assert.equal(a.latest.status, 'awaiting-approval', 'the other request is untouched');

  await inAct(() => stopA.abort());
  assert.equal((await first.done).error.name, 'AbortError');
  await until(() => a.latest.status === 'idle');
  assert.equal(a.latest.pendingPayment, null);
  assert.equal(a.latest.error, null);
  assert.equal(view.wallet.signatures, 0);

  // A request already aborted is not sent at all; a new one goes through.
  const before = server.requests.length;
  const aborted = await inAct(() => b.latest.fetch(server.url('/b'), { signal: AbortSignal.abort() }));
  assert.equal((await aborted.done).error.name, 'AbortError');
  assert.equal(server.requests.length, before);
  const third = await inAct(() => b.latest.fetch(server.url('/b')));
  await until(() => b.latest.pendingPayment !== null);
  await inAct(() => b.latest.pendingPayment.approve());
  assert.equal((await third.done).value.status, 200);
  await tick();
  assert.deepEqual(server.payments.map((p) => p.path), ['/b']);
});

// A transition that sets a new policy and suspends is never committed: the provider's settings did
// not change, so a later urgent render must not decline the open question (it compared with the
// discarded render's policy, made a new paying fetch and asked again).
test(`React ${reactVersion}: a render React discards (a suspended transition) does not change the provider's settings`, async (t) => {
  const h = React.createElement;
  const server = fakeServer({ '/a': { price: CENT, body: { a: 1 } } });
  const wallets = [testWallet()];
  const never = new Promise(() => {});
  const app = {};
  const seen = {};
  const committed = [];
  function Suspender() { throw never; }
  function Page() {
    const resource = usePaidResource(server.url('/a'));
    React.useEffect(() => { Object.assign(seen, resource); });
    return null;
  }
  function App() {
    const [policy, setPolicy] = React.useState({ maxPerPayment: '0.10' });
    const [suspend, setSuspend] = React.useState(false);
    const [, setCount] = React.useState(0);
    Object.assign(app, { setPolicy, setSuspend, setCount });
    React.useEffect(() => { committed.push(policy.maxPerPayment); }, [policy]);
    return h(React.Suspense, { fallback: 'loading' },
      h(X402Provider, { wallets, policy, fetch: server.fetch }, h(Page), suspend ? h(Suspender) : null));
  }
  const view = await mount(h(App));
  t.after(view.unmount);
  await until(() => seen.pendingPayment);
  const question = seen.pendingPayment;
  await inAct(() => React.startTransition(() => { app.setPolicy({ maxPerPayment: '0.20' }); app.setSuspend(true); }));
  await tick(10);
  await inAct(() => app.setCount((c) => c + 1)); // an urgent render of the provider's parent
  await tick(20);
  assert.deepEqual(committed, ['0.10'], 'the transition was not committed');
  assert.equal(seen.pendingPayment, question, 'the open question was replaced');
  assert.equal(server.requests.filter((r) => !r.paid).length, 1, 'the 402 was asked for again');
  await inAct(() => question.approve());
  await until(() => seen.status === 'settled');
  assert.equal(server.payments.length, 1);
});
