// usePaidResource (issue 7, section 2): loading one paid thing, JSON or text, with the payment's
// state alongside; rejection; a free resource; refetch; a url that changes mid-question.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { React, consoleErrors, reactVersion, usePaidResource } from '../lib/env.mjs';
import { inAct, mountProvider, probe, tick, until } from '../lib/render.mjs';
import { TRANSACTION, fakeServer } from '../lib/fake-server.mjs';

const CENT = '10000';
const routes = {
  '/report': { price: CENT, body: { temperature: 21 } },
  '/poem': { price: CENT, body: 'roses are red', type: 'text/plain; charset=utf-8' },
  '/free': { body: { free: true } },
};
const resource = (server, path) => probe(({ url }) => usePaidResource(url), { url: path && server.url(path) });

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

test(`React ${reactVersion}: usePaidResource loads JSON once the payment is approved`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  await mountProvider(t, server, [hook]);
  assert.equal(hook.renders[0].loading, true);
  await until(() => hook.latest.status === 'awaiting-approval');
  assert.equal(hook.latest.data, undefined);
  assert.equal(hook.latest.pendingPayment.amountFormatted, '0.01 USDC');
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => !hook.latest.loading);

  const { data, response, status, receipt, error, pendingPayment } = hook.latest;
  assert.deepEqual(data, { temperature: 21 });
  assert.equal(response.status, 200);
  assert.equal(status, 'settled');
  assert.equal(receipt.transaction, TRANSACTION);
  assert.equal(error, null);
  assert.equal(pendingPayment, null);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: usePaidResource gives text for a content-type that is not JSON`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/poem');
  await mountProvider(t, server, [hook]);
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => !hook.latest.loading);
  assert.equal(hook.latest.data, 'roses are red');
  assert.equal(hook.latest.status, 'settled');
});

test(`React ${reactVersion}: usePaidResource loads a free resource without asking`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/free');
  await mountProvider(t, server, [hook]);
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.latest.data, { free: true });
  assert.deepEqual(hook.statuses, ['idle']);
  assert.ok(hook.renders.every((r) => r.pendingPayment === null));
});

test(`React ${reactVersion}: usePaidResource after reject(): PAYMENT_REJECTED, no data`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  await mountProvider(t, server, [hook]);
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.reject());
  await until(() => !hook.latest.loading);
  assert.equal(hook.latest.error.code, 'PAYMENT_REJECTED');
  assert.equal(hook.latest.status, 'error');
  assert.equal(hook.latest.data, undefined);
  assert.equal(hook.latest.response, null);
  assert.equal(server.payments.length, 0);
});

test(`React ${reactVersion}: usePaidResource: no url loads nothing, refetch pays again`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, null);
  const view = await mountProvider(t, server, [hook]);
  await tick(20);
  assert.equal(server.requests.length, 0);
  assert.equal(hook.latest.loading, false);

  hook.props = { url: server.url('/report') };
  await view.rerender([hook]);
  for (const round of [1, 2]) {
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => !hook.latest.loading && hook.latest.status === 'settled');
    assert.equal(server.payments.length, round);
    if (round === 1) await inAct(() => hook.latest.refetch());
  }
  assert.deepEqual(hook.latest.data, { temperature: 21 });
});

test(`React ${reactVersion}: usePaidResource: a new url aborts the load waiting for approval`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  const view = await mountProvider(t, server, [hook]);
  await until(() => hook.latest.pendingPayment !== null);
  hook.props = { url: server.url('/free') };
  await view.rerender([hook]);
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.latest.data, { free: true });
  assert.equal(hook.latest.pendingPayment, null);
  assert.equal(hook.latest.error, null);
  assert.equal(hook.latest.status, 'idle');
  assert.equal(view.wallet.signatures, 0);
  assert.deepEqual(server.requests.map((r) => r.path), ['/report', '/free']);
});

test(`React ${reactVersion}: usePaidResource under StrictMode sends one request and pays once`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  await mountProvider(t, server, [React.createElement(React.StrictMode, null, hook.element())]);
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.latest.data, { temperature: 21 });
  assert.equal(hook.latest.status, 'settled');
  assert.deepEqual(server.requests, [{ path: '/report', paid: false }, { path: '/report', paid: true }]);
});

/** `server.fetch` that rejects with the signal's reason when the request is aborted, as fetch does. */
const abortable = (server) => (input, init) => {
  const request = new Request(input, init);
  return new Promise((resolve, reject) => {
    request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
    server.fetch(request).then(resolve, reject);
  });
};

/**
 * A /report load, approved, whose paid request the server holds (`paying.open()` lets it through);
 * `wrap` places the probe's element (e.g. under <Activity>); `events` are the provider's.
 */
async function approvedLoad(t, wrap = (element) => element) {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  const events = [];
  const view = await mountProvider(t, server, [wrap(hook.element())], { fetch: abortable(server), onEvent: (event) => events.push(event.type) });
  const paying = server.holdPaid();
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'paying');
  return { server, hook, events, view, paying };
}

/** Shows /free until it has loaded, then /report again (whose approved load is still out). */
async function awayAndBack(server, hook, view) {
  hook.props = { url: server.url('/free') };
  await view.rerender([hook]);
  await until(() => !hook.latest.loading);
  hook.props = { url: server.url('/report') };
  await view.rerender([hook]);
  await tick(20);
}

test(`React ${reactVersion}: usePaidResource: unmounted after approval, the payment is not aborted and React logs nothing`, async (t) => {
  const { server, hook, events, view, paying } = await approvedLoad(t);
  await view.rerender([]);
  await inAct(() => paying.open());
  await tick(20);
  assert.deepEqual(events, ['payment_required', 'approved', 'signed', 'settled']);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: usePaidResource: a new url after approval loads it, and the paid load ending later does not replace it`, async (t) => {
  const { server, hook, events, view, paying } = await approvedLoad(t);
  hook.props = { url: server.url('/free') };
  await view.rerender([hook]);
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.latest.data, { free: true });
  await inAct(() => paying.open());
  await tick(20);
  assert.deepEqual(events, ['payment_required', 'approved', 'signed', 'settled'], 'the payment was not aborted');
  assert.deepEqual(hook.latest.data, { free: true });
  assert.equal(hook.latest.loading, false);
  assert.equal(hook.latest.error, null);
  assert.equal(hook.latest.status, 'idle', "the state is the free load's");
});

test(`React ${reactVersion}: usePaidResource: a url changed and changed back while the approved payment is out takes that load up, paid once`, async (t) => {
  const { server, hook, view, paying } = await approvedLoad(t);
  await awayAndBack(server, hook, view);
  assert.equal(hook.latest.pendingPayment, null, 'not asked again');
  assert.equal(hook.latest.loading, true);
  assert.equal(hook.latest.status, 'paying');
  await inAct(() => paying.open());
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.latest.data, { temperature: 21 });
  assert.equal(hook.latest.status, 'settled');
  assert.equal(hook.latest.receipt.transaction, TRANSACTION);
  assert.equal(view.wallet.signatures, 1);
  assert.deepEqual(server.requests, [{ path: '/report', paid: false }, { path: '/report', paid: true }, { path: '/free', paid: false }]);
});

test(`React ${reactVersion}: usePaidResource: back on a url whose approved load ended meanwhile, its paid response is shown, not paid again`, async (t) => {
  const { server, hook, view, paying } = await approvedLoad(t);
  hook.props = { url: server.url('/free') };
  await view.rerender([hook]);
  await until(() => !hook.latest.loading);
  await inAct(() => paying.open());
  await tick(20);
  assert.deepEqual(hook.latest.data, { free: true });
  hook.props = { url: server.url('/report') };
  await view.rerender([hook]);
  await tick(20);
  assert.equal(hook.latest.pendingPayment, null, 'not asked again');
  assert.equal(hook.latest.loading, false);
  assert.deepEqual(hook.latest.data, { temperature: 21 });
  assert.equal(hook.latest.status, 'settled');
  assert.equal(hook.latest.receipt.transaction, TRANSACTION);
  assert.equal(view.wallet.signatures, 1);
  assert.equal(server.requests.length, 3);
});

test(`React ${reactVersion}: usePaidResource: status, pendingPayment and receipt are the url's shown, from the first render after a change`, async (t) => {
  const server = fakeServer({ ...routes, '/other': { price: CENT, body: { other: 1 } } });
  const hook = resource(server, '/report');
  const view = await mountProvider(t, server, [hook]);
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'settled' && !hook.latest.loading);
  const before = hook.renders.length;
  hook.props = { url: server.url('/other') };
  await view.rerender([hook]);
  await until(() => hook.latest.pendingPayment !== null);
  const questions = new Set();
  for (const r of hook.renders.slice(before)) {
    assert.ok(r.status !== 'settled' && r.receipt === null, `a render of /other showed the payment of /report: ${r.status}`);
    if (r.pendingPayment) questions.add(r.pendingPayment.resource ?? r.pendingPayment.origin);
  }
  assert.equal(questions.size, 1, "only /other's question");
  // The url set to null while an approved payment is out: nothing is shown as paid.
  const paying = server.holdPaid();
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'paying');
  hook.props = { url: null };
  await view.rerender([hook]);
  await inAct(() => paying.open());
  await tick(20);
  assert.deepEqual(
    { status: hook.latest.status, receipt: hook.latest.receipt, data: hook.latest.data, loading: hook.latest.loading },
    { status: 'idle', receipt: null, data: undefined, loading: false },
  );
  assert.equal(server.payments.length, 2);
});

// React 19.2's <Activity> (and frameworks built on it, e.g. Next.js keeping visited routes) runs a
// hidden component's effect cleanups and runs its effects again when it is shown, keeping its state.
// React 18 has no <Activity>.
if (reactVersion !== '18') {
  /** {@link approvedLoad} under <Activity>; `activity(mode)` is the tree to render again. */
  const payingUnderActivity = async (t) => {
    const under = (mode) => (element) => React.createElement(React.Activity, { mode }, element);
    const load = await approvedLoad(t, under('visible'));
    return { ...load, activity: (mode) => under(mode)(load.hook.element()) };
  };

  test(`React ${reactVersion}: usePaidResource: hiding and showing the component (Activity) does not pay again`, async (t) => {
    const server = fakeServer(routes);
    const hook = resource(server, '/report');
    const activity = (mode) => React.createElement(React.Activity, { mode }, hook.element());
    const view = await mountProvider(t, server, [activity('visible')]);
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => !hook.latest.loading && hook.latest.status === 'settled');

    await view.rerender([activity('hidden')]);
    await tick(20);
    await view.rerender([activity('visible')]);
    await tick(20);
    assert.equal(hook.latest.loading, false);
    assert.deepEqual(hook.latest.data, { temperature: 21 });
    assert.equal(view.wallet.signatures, 1);
    assert.deepEqual(server.requests, [{ path: '/report', paid: false }, { path: '/report', paid: true }]);

    // An explicit refetch still pays again.
    await inAct(() => hook.latest.refetch());
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => !hook.latest.loading && hook.latest.status === 'settled');
    assert.equal(server.payments.length, 2);
  });

  test(`React ${reactVersion}: usePaidResource: a load hidden (Activity) while waiting for approval runs again when shown`, async (t) => {
    const server = fakeServer(routes);
    const hook = resource(server, '/report');
    const activity = (mode) => React.createElement(React.Activity, { mode }, hook.element());
    const view = await mountProvider(t, server, [activity('visible')]);
    await until(() => hook.latest.pendingPayment !== null);
    await view.rerender([activity('hidden')]);
    await tick(20);
    assert.equal(view.wallet.signatures, 0, 'the hidden load was aborted before signing');
    await view.rerender([activity('visible')]);
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => !hook.latest.loading && hook.latest.status === 'settled');
    assert.deepEqual(hook.latest.data, { temperature: 21 });
    assert.equal(server.payments.length, 1);
  });

  test(`React ${reactVersion}: usePaidResource: hidden (Activity) after approval, the load goes on and is shown, paid once`, async (t) => {
    const { server, hook, activity, view, paying } = await payingUnderActivity(t);
    await view.rerender([activity('hidden')]);
    await inAct(() => paying.open());
    await tick(20);
    await view.rerender([activity('visible')]);
    await tick(20);
    assert.equal(hook.latest.loading, false);
    assert.deepEqual(hook.latest.data, { temperature: 21 });
    assert.equal(hook.latest.status, 'settled');
    assert.equal(hook.latest.receipt.transaction, TRANSACTION);
    assert.equal(hook.latest.pendingPayment, null, 'not asked again');
    assert.equal(view.wallet.signatures, 1);
    assert.deepEqual(server.requests, [{ path: '/report', paid: false }, { path: '/report', paid: true }]);
  });

  test(`React ${reactVersion}: usePaidResource: shown again (Activity) while its paid request is out, the load is taken up, not started again`, async (t) => {
    const { server, hook, activity, view, paying } = await payingUnderActivity(t);
    await view.rerender([activity('hidden')]);
    await tick(10);
    await view.rerender([activity('visible')]);
    await tick(20);
    assert.equal(hook.latest.loading, true);
    assert.equal(hook.latest.status, 'paying');
    assert.equal(hook.latest.pendingPayment, null);
    await inAct(() => paying.open());
    await until(() => !hook.latest.loading);
    assert.deepEqual(hook.latest.data, { temperature: 21 });
    assert.equal(hook.latest.status, 'settled');
    assert.equal(view.wallet.signatures, 1);
    assert.deepEqual(server.requests, [{ path: '/report', paid: false }, { path: '/report', paid: true }]);
  });

  test(`React ${reactVersion}: usePaidResource: a load the user refused is not asked again when the component is shown again (Activity)`, async (t) => {
    const server = fakeServer(routes);
    const hook = resource(server, '/report');
    const activity = (mode) => React.createElement(React.Activity, { mode }, hook.element());
    const view = await mountProvider(t, server, [activity('visible')]);
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.reject());
    await until(() => !hook.latest.loading);
    await view.rerender([activity('hidden')]);
    await tick(20);
    await view.rerender([activity('visible')]);
    await tick(20);
    assert.equal(hook.latest.pendingPayment, null);
    assert.equal(hook.latest.error.code, 'PAYMENT_REJECTED');
    assert.equal(hook.latest.loading, false);
    assert.deepEqual(server.requests, [{ path: '/report', paid: false }]);
    await inAct(() => hook.latest.refetch());
    await until(() => hook.latest.pendingPayment !== null);
  });
}

// A network failure is an Error without a code whether or not the payment reached the server:
// `spent` tells them apart, so a page never says "nothing was paid" (nor offers to pay again
// silently) when it may have been.
test(`React ${reactVersion}: usePaidResource spent: false before any payment, 'unknown' once it went out, true when settled`, async (t) => {
  const results = {};
  for (const when of ['refused', 'before', 'after', 'settled']) {
    const server = fakeServer(routes);
    const net = async (request) => {
      if (when === 'before') throw new TypeError('Failed to fetch');
      const response = await server.fetch(request);
      // The paid request reached the server (it verified and recorded the payment); the answer is lost.
      if (when === 'after' && request.headers.get('payment-signature')) throw new TypeError('Failed to fetch');
      return response;
    };
    const hook = resource(server, '/report');
    await mountProvider(t, server, [hook], { fetch: net });
    await until(() => hook.latest.pendingPayment || !hook.latest.loading);
    if (hook.latest.pendingPayment) {
      const { pendingPayment } = hook.latest;
      await inAct(() => (when === 'refused' ? pendingPayment.reject() : pendingPayment.approve()));
    }
    await until(() => !hook.latest.loading);
    await tick(10);
    results[when] = { status: hook.latest.status, spent: hook.latest.spent, paid: server.payments.length };
  }
  assert.deepEqual(results, {
    refused: { status: 'error', spent: false, paid: 0 },
    before: { status: 'error', spent: false, paid: 0 },
    after: { status: 'error', spent: 'unknown', paid: 1 },
    settled: { status: 'settled', spent: true, paid: 1 },
  });
});

test(`React ${reactVersion}: usePaidResource: a load taken up while its wallet still signs shows 'signing' (nothing out yet), then 'paying'`, async (t) => {
  const server = fakeServer(routes);
  const hook = resource(server, '/report');
  const view = await mountProvider(t, server, [hook], { fetch: abortable(server) });
  const signing = view.wallet.holdSigning();
  const paying = server.holdPaid();
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'signing');
  await awayAndBack(server, hook, view);
  assert.deepEqual([hook.latest.status, hook.latest.spent, hook.latest.loading], ['signing', false, true]);
  await inAct(() => signing.open());
  await until(() => hook.latest.status === 'paying');
  assert.equal(hook.latest.spent, 'unknown');
  await inAct(() => paying.open());
  await until(() => !hook.latest.loading);
  assert.deepEqual([hook.latest.status, hook.latest.spent], ['settled', true]);
  assert.equal(view.wallet.signatures, 1);
  assert.equal(server.payments.length, 1);
});

test(`React ${reactVersion}: usePaidResource with a paymentId: refetch() after a lost answer sends the same payment again`, async (t) => {
  const declared = { 'payment-identifier': { info: { required: false } } };
  const server = fakeServer({ '/report': { ...routes['/report'], extensions: declared } });
  let lose = true;
  const net = async (request) => {
    const response = await server.fetch(request);
    if (lose && request.headers.get('payment-signature')) {
      lose = false;
      throw new TypeError('Failed to fetch');
    }
    return response;
  };
  const paymentId = 'report_0000000000001';
  const hook = probe(({ url }) => usePaidResource(url, undefined, { paymentId }), { url: server.url('/report') });
  await mountProvider(t, server, [hook], { fetch: net });
  const approve = async () => {
    await until(() => hook.latest.pendingPayment !== null);
    await inAct(() => hook.latest.pendingPayment.approve());
    await until(() => !hook.latest.loading);
  };
  await approve();
  assert.equal(hook.latest.status, 'error');
  assert.equal(hook.latest.spent, 'unknown');
  assert.equal(server.payments.length, 1);
  assert.equal(server.payments[0].payment.extensions['payment-identifier'].info.id, paymentId);

  const seen = hook.statuses.length;
  const paying = server.holdPaid();
  await inAct(() => hook.latest.refetch());
  await until(() => hook.latest.pendingPayment !== null);
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'paying');
  paying.open();
  await until(() => !hook.latest.loading);
  assert.deepEqual(hook.statuses.slice(seen), ['idle', 'awaiting-approval', 'paying', 'settled'], 'nothing to sign: paying once approved');
  assert.deepEqual(hook.latest.data, { temperature: 21 });
  assert.equal(hook.latest.status, 'settled');
  assert.equal(server.payments.length, 2);
  assert.deepEqual(server.payments[1].payment, server.payments[0].payment, 'the same signed payment, sent again');
});
