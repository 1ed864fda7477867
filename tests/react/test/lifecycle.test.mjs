// X402Provider and the life of a request: one wrapped fetch per wallets/policy, unmounting with a
// question open, aborting a request that waits for its turn or for the user.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { React, consoleErrors, expectConsoleErrors, reactVersion, useX402Fetch } from '../lib/env.mjs';
import { inAct, mount, mountProvider, probe, tick, until } from '../lib/render.mjs';
import { fakeServer } from '../lib/fake-server.mjs';

const CENT = '10000';

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: useX402Fetch outside an X402Provider throws`, async (t) => {
  class Boundary extends React.Component {
    state = { error: null };
    static getDerivedStateFromError(error) {
      return { error };
    }
    render() {
      caught = this.state.error;
      return this.state.error ? null : this.props.children;
    }
  }
  let caught = null;
  // React (and jsdom, for React 18) report the error the boundary catches.
  const logged = await expectConsoleErrors(async () => {
    const view = await mount(React.createElement(Boundary, null, probe(useX402Fetch).element()));
    t.after(view.unmount);
  });
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
