// wrapFetch safety (issue 5, section 8 and the budget of section 3): one payment per request, an
// exact budget under concurrency, budgets released only when no signed payment left the client, no wallet
// call above the cap, and payments only ever sent to the origin that asked for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadX402 } from '../lib/x402.mjs';
import { packageDir } from '../lib/pkg.mjs';
import { serverFor, usdc, countingWallet, headerNames, paymentRequiredHeaders, TEST_KEY } from '../lib/paid-server.mjs';

const x402 = await loadX402();

const hasPayment = (r) => r.headers['payment-signature'] !== undefined || r.headers['x-payment'] !== undefined;

test('safety: a server that always answers 402 gets exactly one payment; its 402 is returned with a failure receipt', async (t) => {
  const server = await serverFor(t, { routes: { '/greedy': { mode: 'always402', accepts: [usdc()], refuseReason: 'pay_again' } } });
  const { wallet, calls } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e.type) });
  const response = await paying(server.url('/greedy'), { method: 'POST', body: 'once' });
  assert.equal(response.status, 402);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.requests.length, 2);
  assert.equal(server.payments.length, 1);
  assert.equal(server.payments[0].verification.isValid, true);
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, false);
  assert.equal(receipt.errorReason, 'pay_again');
  assert.equal(receipt.status, 402);
  assert.equal(events.at(-1), 'failed');
  // The returned 402 is readable and still carries the server's challenge.
  assert.ok(response.headers.get('payment-required'));
  assert.equal(await response.text(), '{}');
});

test('safety: stacked paying fetches from two copies of the package, or with a middleware rebuilding the Response, pay once', async (t) => {
  // A library bundling its own x402-wasm: a second copy of the package, its own wasm instance.
  const root = mkdtempSync(join(tmpdir(), 'x402-wasm-copy-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const copy = join(root, 'node_modules', 'x402-wasm');
  cpSync(packageDir(), copy, { recursive: true });
  const other = await import(pathToFileURL(join(copy, 'index.node.js')));
  assert.notEqual(other.wrapFetch, x402.wrapFetch);
  const server = await serverFor(t, { routes: {
    '/silent': { mode: 'always402', accepts: [usdc()], noReceipt: true },
    '/greedy': { mode: 'always402', accepts: [usdc()] },
  } });
  const { wallet, calls } = countingWallet(x402);
  // The inner copy's paid 402 carries no PAYMENT-RESPONSE: only the shared mark says it was paid.
  const stacked = x402.wrapFetch(other.wrapFetch(fetch, { wallets: [wallet] }), { wallets: [wallet] });
  assert.equal((await stacked(server.url('/silent'))).status, 402);
  assert.deepEqual([calls.signTypedData.length, server.payments.length], [1, 1]);
  const reversed = other.wrapFetch(x402.wrapFetch(fetch, { wallets: [wallet] }), { wallets: [wallet] });
  assert.equal((await reversed(server.url('/silent'))).status, 402);
  assert.deepEqual([calls.signTypedData.length, server.payments.length], [2, 2]);
  // A logging middleware between them returns a new Response: its PAYMENT-RESPONSE says it answers a payment.
  const inner = x402.wrapFetch(fetch, { wallets: [wallet] });
  const rebuilding = async (request) => { const response = await inner(request); return new Response(response.body, response); };
  assert.equal((await x402.wrapFetch(rebuilding, { wallets: [wallet] })(server.url('/greedy'))).status, 402);
  assert.deepEqual([calls.signTypedData.length, server.payments.length], [3, 3]);
});

test('safety: 100 concurrent paid fetches with a budget for 10 give exactly 10 signatures and 10 payments', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ amount: '10000' })] } } });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.10' } } });
  const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => paying(server.url(`/paid?i=${i}`))));
  const ok = outcomes.filter((o) => o.status === 'fulfilled');
  const refused = outcomes.filter((o) => o.status === 'rejected');
  assert.equal(ok.length, 10);
  assert.ok(ok.every((o) => o.value.status === 200 && x402.getPaymentReceipt(o.value).success));
  assert.equal(refused.length, 90);
  for (const o of refused) {
    assert.ok(o.reason instanceof x402.X402Error, String(o.reason));
    assert.equal(o.reason.code, 'BUDGET_EXCEEDED', o.reason.message);
  }
  assert.equal(calls.signTypedData.length, 10);
  assert.equal(server.payments.length, 10);
  assert.ok(server.payments.every((p) => p.verification.isValid));
  assert.equal(new Set(server.payments.map((p) => p.payload.payload.authorization.nonce)).size, 10, 'nonces repeat');
  // The budget is spent: one more is refused.
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
});

test('safety: a signed payment the server refuses still counts against the budget: the server holds it and can settle it later', async (t) => {
  // An EIP-3009 authorization can be submitted by anyone until validBefore: a server answering
  // 402 (or 200 with success:false) to every paid retry must not get a fresh budget each time.
  const server = await serverFor(t, {
    routes: { '/refuses': { mode: 'refuse', accepts: [usdc()] }, '/paid': { accepts: [usdc()] } },
  });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.02' } } });
  const refused = await paying(server.url('/refuses'));
  assert.equal(refused.status, 402);
  assert.equal(x402.getPaymentReceipt(refused).success, false);
  assert.equal(server.payments.length, 1);
  assert.equal(server.payments[0].verification.isValid, true, 'the server holds a valid authorization');
  const paid = await paying(server.url('/paid'));
  assert.equal(paid.status, 200);
  // One cent held by the refusing server, one settled: the two-cent budget is spent.
  await assert.rejects(paying(server.url('/refuses')), { code: 'BUDGET_EXCEEDED' });
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal(calls.signTypedData.length, 2);
});

test('safety: a paid retry rejected as malformed (400) still counts against the budget', async (t) => {
  // x402: "Malformed payment -> 400". The SDK reports this payment as failed, but the signed
  // authorization went out, so its reservation is kept.
  const server = await serverFor(t, {
    routes: { '/bad': { accepts: [usdc()], answerPaid: { status: 400, body: 'malformed payment' } }, '/paid': { accepts: [usdc()] } },
  });
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet], policy: { budget: { total: '0.01' } }, onEvent: (e) => events.push(e.type) });
  const bad = await paying(server.url('/bad'));
  assert.equal(bad.status, 400);
  assert.equal(x402.getPaymentReceipt(bad).success, false);
  assert.equal(events.at(-1), 'failed');
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
});

test('safety: when the paid request may have settled (the connection died), the budget stays spent', async (t) => {
  const server = await serverFor(t, { routes: { '/hangup': { hangup: true, accepts: [usdc()] }, '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.01' } } });
  const events = [];
  await assert.rejects(paying(server.url('/hangup'), undefined, { onEvent: (e) => events.push(e) }), (e) => e.code !== 'BUDGET_EXCEEDED');
  // The failure event says the payment may have gone through.
  assert.equal(events.at(-1).type, 'failed');
  assert.equal(events.at(-1).spent, 'unknown');
  assert.equal(server.payments.length, 1);
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal(server.payments.length, 1);
});

test('safety: a wrapped fetch whose error has its own code (ECONNRESET) fails the event without an x402 code', async (t) => {
  // node-fetch, axios adapters and Node's sockets reject with `code: 'ECONNRESET'`. The event's
  // `error` is typed X402ErrorCode: it stays absent, the error itself reaches the caller unchanged.
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const resetting = (request) => (request.headers.has('payment-signature') ? Promise.reject(reset) : fetch(request));
  const events = [];
  const paying = x402.wrapFetch(resetting, { wallets: [countingWallet(x402).wallet], onEvent: (e) => events.push(e) });
  await assert.rejects(paying(server.url('/paid')), (e) => e === reset);
  const failed = events.at(-1);
  assert.equal(failed.type, 'failed');
  assert.equal(failed.spent, 'unknown');
  assert.equal('error' in failed, false, `no x402 code: ${JSON.stringify(failed.error)}`);
  assert.equal(failed.message, 'socket hang up');
});

test('safety: budget.perOrigin limits each origin separately, across two servers', async (t) => {
  const a = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const b = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { perOrigin: '0.02', total: '0.05' } } });
  assert.equal((await paying(a.url('/paid'))).status, 200);
  assert.equal((await paying(a.url('/paid'))).status, 200);
  await assert.rejects(paying(a.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal((await paying(b.url('/paid'))).status, 200);
  assert.equal((await paying(b.url('/paid?x'))).status, 200);
  await assert.rejects(paying(b.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal(a.payments.length, 2);
  assert.equal(b.payments.length, 2);
  assert.equal(calls.signTypedData.length, 4);
});

test('safety: budget.window limits spending within the window', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { window: { seconds: 3600, amount: '0.02' } } } });
  assert.equal((await paying(server.url('/paid'))).status, 200);
  assert.equal((await paying(server.url('/paid'))).status, 200);
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
});

test('safety: budget.window runs on a clock that never steps: Date.now jumping an hour ahead frees nothing', async (t) => {
  const server = await serverFor(t, { routes: { '/p': { accepts: [usdc({ amount: '100000' })] } } }); // $0.10
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { window: { seconds: 60, amount: '0.20' } } } });
  assert.equal((await paying(server.url('/p'))).status, 200);
  assert.equal((await paying(server.url('/p'))).status, 200);
  const realNow = Date.now;
  // An NTP step, a user setting the time or a VM resumed: the wall clock moves, no time passed.
  Date.now = () => realNow.call(Date) + 3_600_000;
  try {
    await assert.rejects(paying(server.url('/p')), (e) => e.code === 'BUDGET_EXCEEDED' && e.details.limit === 'window');
  } finally {
    Date.now = realNow;
  }
  assert.equal(server.payments.length, 2);
});

test('safety: a 402 above the cap causes no wallet call at all (local key and EIP-1193 provider)', async (t) => {
  const server = await serverFor(t, { routes: { '/dear': { accepts: [usdc({ amount: '1000001' })] } } });
  const { wallet, calls } = countingWallet(x402);
  const local = x402.wrapFetch(fetch, { wallets: [wallet] });
  await assert.rejects(local(server.url('/dear')), { name: 'X402Error', code: 'PAYMENT_LIMIT_EXCEEDED' });
  assert.equal(calls.signTypedData.length + calls.getAddress, 0);

  const requests = [];
  const provider = { request: async (args) => { requests.push(args.method); throw new Error('must not be called'); } };
  const injected = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider)] });
  await assert.rejects(injected(server.url('/dear')), { code: 'PAYMENT_LIMIT_EXCEEDED' });
  const capped = x402.wrapFetch(fetch, { wallets: [x402.eip1193Wallet(provider)], policy: { maxPerPayment: '0.5' } });
  server.routes['/dear'].accepts = [usdc({ amount: '500001' })];
  await assert.rejects(capped(server.url('/dear')), { code: 'PAYMENT_LIMIT_EXCEEDED' });
  assert.deepEqual(requests, []);
  assert.equal(server.payments.length, 0);
});

test('safety: after a redirect to another origin, the payment goes only to the origin that asked for it', async (t) => {
  const b = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const a = await serverFor(t, { routes: { '/moved': { mode: 'redirect', to: b.url('/paid') } } });
  const { wallet, calls } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e), onPaymentRequired: (q) => q.origin === b.origin });
  const response = await paying(a.url('/moved'));
  assert.equal(response.status, 200);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(a.requests.length, 1);
  assert.ok(!a.requests.some(hasPayment), 'the payment was sent to the redirecting origin');
  assert.equal(b.requests.length, 2);
  assert.equal(b.payments.length, 1);
  assert.equal(b.payments[0].request.url, b.url('/paid'));
  assert.equal(events[0].origin, b.origin);
});

test('safety: a redirect answered to the paid retry is not followed with the payment header', async (t) => {
  const c = await serverFor(t, { routes: { '/elsewhere': { mode: 'plain' }, '/paid': { accepts: [usdc()] } } });
  const b = await serverFor(t, { routes: { '/paid': { accepts: [usdc()], paidRedirect: c.url('/elsewhere') } } });
  const a = await serverFor(t, { routes: { '/moved': { mode: 'redirect', to: b.url('/paid') } } });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const response = await paying(a.url('/moved'));
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), c.url('/elsewhere'));
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(c.requests.length, 0, 'the redirect of the paid retry was followed');
  assert.ok(!a.requests.some(hasPayment));
  assert.equal(b.payments.length, 1);
  // The same, to a same-origin target.
  b.routes['/paid'].paidRedirect = b.url('/nowhere');
  const same = await paying(b.url('/paid'));
  assert.equal(same.status, 302);
  assert.ok(!b.requests.some((r) => r.path === '/nowhere'));
  // A redirect without a receipt delivered nothing: the payment is not reported a success.
  b.routes['/paid'] = { accepts: [usdc()], answerPaid: { status: 302, headers: { location: b.url('/nowhere') } } };
  const unsettled = await paying(b.url('/paid'));
  assert.equal(unsettled.status, 302);
  assert.deepEqual(
    [x402.getPaymentReceipt(unsettled).success, x402.getPaymentReceipt(unsettled).errorReason],
    [false, 'http_302'],
  );
});

test('safety: credentials stripped by a cross-origin redirect are not sent to the new origin by the paid retry', async (t) => {
  // fetch drops Authorization (and undici drops Cookie) when a redirect crosses origins; the retry
  // to B must not put them back.
  const b = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const a = await serverFor(t, { routes: { '/moved': { mode: 'redirect', to: b.url('/paid') } } });
  const paying = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet] });
  const response = await paying(a.url('/moved'), { headers: { authorization: 'Bearer secret-for-A', cookie: 'session=A', 'x-app': '1' } });
  assert.equal(response.status, 200);
  assert.equal(a.requests[0].headers.authorization, 'Bearer secret-for-A');
  const [first, retry] = b.requests;
  assert.equal(first.headers.authorization, undefined);
  assert.equal(retry.headers.authorization, undefined, 'the paid retry leaked A\'s Authorization header to B');
  assert.equal(retry.headers.cookie, first.headers.cookie, 'the paid retry sent a Cookie the redirect had dropped');
  assert.deepEqual(headerNames(retry, { except: ['payment-signature'] }), headerNames(first));
});

// A redirected non-GET request: fetch may have turned it into a GET (301/302/303) or kept
// method and body (307/308), and the status is not visible to us (opaque in browsers). Which
// request the server priced is unknown, so the SDK refuses to pay: no wallet call, no payment.
for (const status of [302, 307]) {
  test(`safety: a POST redirected with ${status} before its 402 is refused (UNSAFE_REDIRECT), nothing paid`, async (t) => {
    const b = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
    const a = await serverFor(t, { routes: { '/form': { mode: 'redirect', status, to: b.url('/paid') } } });
    const { wallet, calls } = countingWallet(x402);
    const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
    await assert.rejects(paying(a.url('/form'), { method: 'POST', body: 'name=value' }), { code: 'UNSAFE_REDIRECT' });
    assert.equal(b.requests.length, 1, 'only the unpaid, redirected request reached B');
    assert.equal(b.payments.length, 0);
    assert.equal(calls.signTypedData.length + calls.getAddress, 0);
  });
}

test('safety: a POST redirected to a 402 in no x402 dialect gets that 402 back, as from fetch (UNSAFE_REDIRECT is for a 402 it would pay)', async (t) => {
  const b = await serverFor(t, { routes: { '/billing': { mode: 'plain', status: 402, body: 'Your account is past due' } } });
  const a = await serverFor(t, { routes: { '/form': { mode: 'redirect', status: 303, to: b.url('/billing') } } });
  const { wallet, calls } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e.type) });
  const response = await paying(a.url('/form'), { method: 'POST', body: 'name=value' });
  assert.equal(response.status, 402);
  assert.equal(await response.text(), 'Your account is past due');
  assert.deepEqual([calls.signTypedData.length + calls.getAddress, events.length, b.payments.length], [0, 0, 0]);
});

test('safety: a refused payment whose PAYMENT-RESPONSE names no reason gets the challenge\'s or the body\'s, else payment_refused', async (t) => {
  const refusal = (extra) => ({
    status: 402,
    headers: {
      'content-type': 'application/json',
      'payment-response': x402.encodeHeader({ success: false, transaction: '', network: usdc().network, ...extra }),
    },
  });
  const challenge = x402.encodeHeader({ x402Version: 2, error: 'insufficient_funds', resource: { url: 'http://x/' }, accepts: [usdc()] });
  const server = await serverFor(t, { routes: {
    '/header': { accepts: [usdc()], answerPaid: { ...refusal({}), headers: { ...refusal({}).headers, 'payment-required': challenge }, body: '{}' } },
    '/body': { accepts: [usdc()], answerPaid: { ...refusal({ errorReason: '' }), body: '{"error":"invalid_exact_evm_payload_signature"}' } },
    '/none': { accepts: [usdc()], answerPaid: { ...refusal({}), body: '{}' } },
    '/own': { accepts: [usdc()], answerPaid: { ...refusal({ errorReason: 'its_own' }), body: '{"error":"not_this"}' } },
  } });
  const paying = x402.wrapFetch(fetch, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)] });
  for (const [path, reason] of [['/header', 'insufficient_funds'], ['/body', 'invalid_exact_evm_payload_signature'], ['/none', 'payment_refused'], ['/own', 'its_own']]) {
    const response = await paying(server.url(path));
    assert.equal(response.status, 402, path);
    const receipt = x402.getPaymentReceipt(response);
    assert.deepEqual([receipt.success, receipt.errorReason, receipt.status], [false, reason, 402], path);
    assert.ok((await response.text()).length > 0, `${path}: the body is still readable`);
  }
});

test('safety: two wrapped fetches have separate budgets; one wrapper shares its budget across calls', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const key = TEST_KEY;
  const one = x402.wrapFetch(fetch, { wallets: [countingWallet(x402, { key }).wallet], policy: { budget: { total: '0.01' } } });
  const two = x402.wrapFetch(fetch, { wallets: [countingWallet(x402, { key }).wallet], policy: { budget: { total: '0.01' } } });
  assert.equal((await one(server.url('/paid'))).status, 200);
  await assert.rejects(one(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal((await two(server.url('/paid'))).status, 200);
});

test('safety: a budget window refuses a second payment inside it, and counts an open one whatever its age (the window to the millisecond: src/budget/tests.rs)', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  // Two payments one after the other in a window of one cent (10 s: room for a loaded machine): the second is refused.
  const quick = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { window: { seconds: 10, amount: '0.01' } } } });
  assert.equal((await quick(server.url('/paid'))).status, 200);
  await assert.rejects(quick(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  // A payment whose approval takes longer than the window still holds its cent meanwhile.
  let approve;
  const slow = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { budget: { window: { seconds: 1, amount: '0.01' } } },
    onPaymentRequired: () => new Promise((resolve) => { approve = resolve; }),
  });
  const first = slow(server.url('/paid'));
  while (!approve) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 1200));
  await assert.rejects(slow(server.url('/paid'), undefined, { onPaymentRequired: () => true }), { code: 'BUDGET_EXCEEDED' });
  approve(true);
  assert.equal((await first).status, 200);
  assert.equal(calls.signTypedData.length, 2);
});

test('safety: a policy in another currency, or a recipient list entry that is no address, is INVALID_POLICY', () => {
  const wallets = [x402.evmPrivateKeyWallet(TEST_KEY)];
  for (const policy of [
    { maxPerPayment: '100 JPY' },
    { budget: { total: '0.02 EUR' } },
    { budget: { window: { seconds: 0, amount: '1' } } },
    { payTo: { deny: ['0xBadRecipient'] } },
    { payTo: { allow: ['nonsense'] } },
  ]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets, policy }), { name: 'X402Error', code: 'INVALID_POLICY' }, JSON.stringify(policy));
  }
});

test('safety: a payment whose call throws part-way after it went out counts as spent for its window, not open for ever', async () => {
  // A wrapped fetch whose paid request fails once it went out (the connection reset before the
  // answer): the call fails after the payment was sent, and the server may have settled it.
  const required = { x402Version: 2, resource: { url: 'https://api.example/x' }, accepts: [usdc()] };
  let sent = 0;
  const odd = async (request) => {
    if (!request.headers.get('payment-signature')) return new Response('{}', { status: 402, headers: paymentRequiredHeaders(required) });
    sent += 1;
    throw new TypeError('socket hang up');
  };
  const good = async (request) => (request.headers.get('payment-signature')
    ? new Response('ok')
    : new Response('{}', { status: 402, headers: paymentRequiredHeaders(required) }));
  // 3 s: the six probes below must fit in one window, also on a loaded machine.
  const window = { seconds: 3, amount: '0.05' };
  const pay = x402.wrapFetch(odd, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)], policy: { budget: { window } } });
  for (let i = 0; i < 3; i += 1) {
    await assert.rejects(pay('https://api.example/x'), (error) => error.message === 'socket hang up');
  }
  assert.equal(sent, 3, 'each payment went out');
  // Past the window, the three count no longer: five more cents fit, not two.
  await new Promise((resolve) => setTimeout(resolve, 3_200));
  const probe = x402.wrapFetch(good, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)], shareBudgetWith: pay, policy: { budget: { window } } });
  let paid = 0;
  for (let i = 0; i < 6; i += 1) {
    try {
      await (await probe('https://api.example/y')).text();
      paid += 1;
    } catch (error) {
      assert.equal(error.code, 'BUDGET_EXCEEDED');
    }
  }
  assert.equal(paid, 5);
});

test('BUDGET_EXCEEDED says which limit, what is left and, for a window, when the payment fits again', async () => {
  const required = { x402Version: 2, resource: { url: 'https://api.example/x' }, accepts: [usdc({ amount: '10000' })] };
  const server = async (request) => (request.headers.get('payment-signature')
    ? new Response('ok')
    : new Response('{}', { status: 402, headers: paymentRequiredHeaders(required) }));
  const refusal = async (budget, times) => {
    const paying = x402.wrapFetch(server, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)], policy: { budget } });
    for (let i = 0; i < times; i += 1) await (await paying(`https://t${i % 2}.example/x`)).text();
    return paying('https://t0.example/x').then(() => assert.fail('paid past the budget'), (error) => error);
  };
  const total = await refusal({ total: '0.025' }, 2);
  assert.deepEqual([total.code, total.details], ['BUDGET_EXCEEDED', { limit: 'total', remaining: '0.005' }]);
  const perOrigin = await refusal({ perOrigin: '0.01' }, 1);
  assert.deepEqual(perOrigin.details, { limit: 'perOrigin', remaining: '0' });
  const started = Date.now();
  const window = await refusal({ window: { seconds: 60, amount: '0.02' } }, 2);
  assert.equal(window.details.limit, 'window');
  assert.equal(window.details.remaining, '0');
  // The first of the two payments leaves the window 60 s after it was made.
  assert.ok(window.details.retryAfterMs > 60_000 - (Date.now() - started) - 1_000 && window.details.retryAfterMs <= 60_000, `${window.details.retryAfterMs}`);
  assert.match(window.message, /fits again in \d+ s/);
  // A log line keeps the message and the details.
  const logged = JSON.parse(JSON.stringify(window));
  assert.deepEqual(logged, { name: 'X402Error', code: 'BUDGET_EXCEEDED', message: window.message, details: window.details });
  assert.deepEqual(JSON.parse(JSON.stringify(new x402.X402Error('m', 'WALLET_ERROR'))), { name: 'X402Error', code: 'WALLET_ERROR', message: 'm' });
});

test('a 402 refused before any requirement is chosen (malformed, unsafe redirect) is a failed event too', async () => {
  const events = [];
  const malformed = async () => new Response('{}', { status: 402, headers: { 'payment-required': 'not base64 !!' } });
  const paying = x402.wrapFetch(malformed, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)], onEvent: (e) => events.push(e) });
  await assert.rejects(paying('https://api.example/x'), { code: 'INVALID_HEADER' });
  assert.deepEqual(events.map((e) => [e.type, e.error, e.spent, typeof e.message]), [['failed', 'INVALID_HEADER', false, 'string']]);
  const required = { x402Version: 2, resource: { url: 'https://api.example/x' }, accepts: [usdc()] };
  const redirected = async (request) => {
    const response = new Response('{}', { status: 402, headers: paymentRequiredHeaders(required) });
    Object.defineProperty(response, 'redirected', { value: true });
    Object.defineProperty(response, 'url', { value: request.url.replace('/x', '/elsewhere') });
    return response;
  };
  events.length = 0;
  const posting = x402.wrapFetch(redirected, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)], onEvent: (e) => events.push(e) });
  await assert.rejects(posting('https://api.example/x', { method: 'POST', body: 'x' }), { code: 'UNSAFE_REDIRECT' });
  assert.deepEqual(events.map((e) => [e.type, e.error, e.spent]), [['failed', 'UNSAFE_REDIRECT', false]]);
});
