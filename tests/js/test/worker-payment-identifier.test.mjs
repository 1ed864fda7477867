// x402-wasm/worker's payment-identifier extension in workerd (Miniflare), on anvil with the official
// v2 facilitator over loopback HTTP: a route declaring the extension answers with the declaration of
// the official helper (@x402/extensions), refuses missing or malformed ids, and a payer repeating an
// id it settled is served on that settlement, never settled twice: checked with our wrapFetch and the
// official client (@x402/fetch with @x402/extensions' appendPaymentIdentifierToExtensions), with the
// in-memory store and the Durable Object store, balances read from the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { x402Client } from '@x402/core/client';
import { registerExactEvmScheme as registerExactEvmClientScheme } from '@x402/evm/exact/client';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import {
  PAYMENT_IDENTIFIER, appendPaymentIdentifierToExtensions, declarePaymentIdentifierExtension,
} from '@x402/extensions/payment-identifier';
import { balanceOf, mint } from '../lib/chain.mjs';
import {
  MINTED, NETWORK, PRICE, assertServedWeather, decodeJsonHeader, encodeJsonHeader, startHelperWorker, v2Chain, weatherRoute,
} from '../lib/worker-harness.mjs';
import { resolveFromProject } from '../lib/pkg.mjs';
import { loadX402 } from '../lib/x402.mjs';

const x402 = await loadX402();
const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));

/** Anvil, the counted official facilitator, and a Worker whose routes declare the extension. */
async function setup(t, store = 'memory') {
  const chain = await v2Chain(t);
  const route = (paymentIdentifier) => ({ ...weatherRoute({ asset: chain.token.address, payTo: chain.payTo }), paymentIdentifier });
  const helper = await startHelperWorker(t, {
    durableObject: store === 'do',
    middlewares: [{
      store,
      routes: {
        'GET /weather': route({ required: true }),
        'GET /premium/*': route(true),
        'GET /chunks/*': route(true),
        'GET /plain': route(false),
      },
      facilitator: { url: chain.facilitator.url },
    }],
  });
  return { ...chain, worker: helper };
}

/** A fetch (GET, no body) that sends requests for http://127.0.0.1/... to the Worker. */
function viaWorker(helper) {
  return (input, init) => {
    const request = new Request(input, init);
    return helper.fetch(new URL(request.url).pathname, { method: request.method, headers: Object.fromEntries(request.headers) });
  };
}

/**
 * A fetch to the Worker that loses the answer to the first paid request (the Worker got it): `sent`
 * lists the payment headers sent, and `whilePaying`, when set, runs as a paid request arrives.
 */
function losingFirstPaidAnswer(helper) {
  const through = viaWorker(helper);
  const state = { sent: [], lose: true, whilePaying: null };
  state.fetch = async (input, init) => {
    const request = new Request(input, init);
    const header = request.headers.get('payment-signature');
    if (header) state.sent.push(header);
    if (header && state.whilePaying) await state.whilePaying();
    const response = await through(request);
    if (header && state.lose) {
      state.lose = false;
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  };
  return state;
}

/** A funded key wallet and our paying fetch through the Worker's fetcher (test-local token allowed). */
async function ourPayer(t, { token, worker: helper }, funds = MINTED) {
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  if (funds > 0n) await mint(token, wallet.address, funds);
  const pay = x402.wrapFetch(viaWorker(helper), {
    wallets: [wallet],
    policy: { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }] },
  });
  return { wallet, pay: (path, hooks) => pay(`http://127.0.0.1${path}`, undefined, hooks) };
}

/** The payment header for `path` signed by `wallet` with `paymentId` (and the 402 it answers). */
async function paymentFor(helper, path, wallet, paymentId) {
  const unpaid = await helper.fetch(path);
  assert.equal(unpaid.status, 402);
  const paymentRequired = decodeJsonHeader(unpaid.headers.get('payment-required'));
  const payload = await x402.createPaymentPayload(paymentRequired, 0, wallet, paymentId ? { paymentId } : {});
  return { paymentRequired, payload, header: encodeJsonHeader(payload) };
}

const send = (helper, path, header) => helper.fetch(path, { headers: { 'PAYMENT-SIGNATURE': header } });

for (const store of ['memory', 'do']) {
  test(`(${store} store) a payment sent again gets the answer it bought; another payment under its id is 409: one charge`, async (t) => {
    const setupped = await setup(t, store);
    const { token, payTo, facilitator, worker: helper } = setupped;
    // The 402 declares the extension exactly as the official helper does.
    const unpaid = await helper.fetch('/weather');
    assert.equal(unpaid.status, 402);
    const declared = decodeJsonHeader(unpaid.headers.get('payment-required')).extensions;
    assert.deepEqual(declared, { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) });
    const plain = decodeJsonHeader((await helper.fetch('/plain')).headers.get('payment-required'));
    assert.equal(plain.extensions, undefined, 'paymentIdentifier: false declares nothing');

    const { wallet, pay } = await ourPayer(t, setupped);
    const before = { payee: await balanceOf(token, payTo), payer: await balanceOf(token, wallet.address) };
    const paymentId = `order_${store}_000000000001`;
    const first = await pay('/weather', { paymentId });
    const firstReceipt = x402.getPaymentReceipt(first);
    await assertServedWeather(first);

    // Another payment (a new authorization) under the same id: refused, not charged.
    const again = await send(helper, '/weather', (await paymentFor(helper, '/weather', wallet, paymentId)).header);
    assert.equal(again.status, 409);
    assert.equal((await again.json()).error, 'payment_identifier_conflict');
    assert.equal(facilitator.calls.settle, 1, 'settled once');
    assert.equal(await balanceOf(token, wallet.address), before.payer - PRICE, 'charged once');
    assert.equal(await balanceOf(token, payTo), before.payee + PRICE);

    // The same payment sent again (a lost answer): the kept answer, its receipt, no handler run.
    const { header: resent } = await paymentFor(helper, '/weather', wallet, 'resent_order_000000001');
    await assertServedWeather(await send(helper, '/weather', resent));
    const handled = (await helper.stats()).handled;
    const answer = await send(helper, '/weather', resent);
    await assertServedWeather(answer);
    assert.equal(decodeJsonHeader(answer.headers.get('payment-response')).success, true);
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /PAYMENT-RESPONSE/);
    // The same header for another request (another URL) is not that request's answer.
    assert.equal((await send(helper, '/weather?other=1', resent)).status, 409);
    assert.equal((await helper.stats()).handled, handled, 'the kept answer is sent; the handler does not run again');
    assert.equal(facilitator.calls.settle, 2);
    assert.equal(await balanceOf(token, wallet.address), before.payer - 2n * PRICE);
    assert.equal(firstReceipt.success, true);
  });

  test(`(${store} store) the same id twice at once: the second is told 409 while the first settles`, async (t) => {
    const setupped = await setup(t, store);
    const { token, facilitator, worker: helper } = setupped;
    const { wallet } = await ourPayer(t, setupped);
    const before = await balanceOf(token, wallet.address);
    const paymentId = 'concurrent_order_0000001';
    const a = await paymentFor(helper, '/weather', wallet, paymentId);
    const b = await paymentFor(helper, '/weather', wallet, paymentId);
    assert.notEqual(a.payload.payload.authorization.nonce, b.payload.payload.authorization.nonce);
    // a claims the id and waits in /settle; meanwhile b, and a itself sent again, are told to wait.
    const release = facilitator.hold();
    const first = send(helper, '/weather', a.header);
    while (facilitator.calls.settle === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const meanwhile of [b, a]) {
      const busy = await send(helper, '/weather', meanwhile.header);
      assert.equal(busy.status, 409);
      assert.equal(busy.headers.get('retry-after'), '1');
      assert.equal((await busy.json()).error, 'payment_in_progress');
    }
    release();
    await assertServedWeather(await first);
    assert.equal(facilitator.calls.settle, 1);
    // Afterwards: a is answered from what it bought, b (another payment under the id) is refused.
    await assertServedWeather(await send(helper, '/weather', a.header));
    const refused = await send(helper, '/weather', b.header);
    assert.equal(refused.status, 409);
    assert.equal((await refused.json()).error, 'payment_identifier_conflict');
    assert.equal(facilitator.calls.settle, 1);
    assert.equal(await balanceOf(token, wallet.address), before - PRICE);
  });
}

test('our wrapFetch sends the same payment again for a repeated paymentId after a lost answer: served, charged once', async (t) => {
  const setupped = await setup(t);
  const { token, payTo, facilitator, worker: helper } = setupped;
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  // The first paid request reaches the Worker, and its answer is lost on the way back.
  const { fetch: flaky, sent } = losingFirstPaidAnswer(helper);
  const events = [];
  const pay = x402.wrapFetch(flaky, {
    wallets: [wallet],
    policy: { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }] },
    onEvent: (e) => events.push(e),
  });
  const before = { payer: await balanceOf(token, wallet.address), payee: await balanceOf(token, payTo) };
  const paymentId = 'agent_task_0000000042';
  await assert.rejects(pay('http://127.0.0.1/weather', undefined, { paymentId }), /connection reset/);
  const again = await pay('http://127.0.0.1/weather', undefined, { paymentId });
  await assertServedWeather(again);
  assert.equal(sent.length, 2);
  assert.equal(sent[1], sent[0], 'the same signed payment was sent again');
  assert.ok(events.some((e) => e.type === 'approved' && e.sentAgain === true));
  assert.equal(events.filter((e) => e.type === 'signed').length, 1, 'signed once');
  assert.equal(facilitator.calls.settle, 1);
  assert.equal((await helper.stats()).handled, 1, 'the kept answer, not a second run of the handler');
  assert.equal(await balanceOf(token, wallet.address), before.payer - PRICE);
  assert.equal(await balanceOf(token, payTo), before.payee + PRICE);

  // Another purchase (a new id) is paid anew. The old id for another URL (same price and terms) is
  // not sent again: a new payment under it, which the Worker refuses (409), not charged.
  await assertServedWeather(await pay('http://127.0.0.1/weather', undefined, { paymentId: 'agent_task_0000000043' }));
  assert.equal(facilitator.calls.settle, 2);
  const elsewhere = await pay('http://127.0.0.1/premium/x', undefined, { paymentId });
  assert.equal(elsewhere.status, 409, await elsewhere.text());
  assert.notEqual(sent.at(-1), sent[0]);
  assert.equal(facilitator.calls.settle, 2);
});

test('a paying fetch made with shareBudgetWith (a provider\'s new settings) sends the older one\'s payment again for its id: charged once, counted once', async (t) => {
  const { token, payTo, facilitator, worker: helper } = await setup(t);
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const losing = losingFirstPaidAnswer(helper);
  const { fetch: flaky, sent } = losing;
  // A budget for one payment and a half: the payment sent again must not count a second time.
  const policy = (maxPerPayment) => ({
    budget: { total: '0.015' },
    assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment }],
  });
  const events = [];
  const onEvent = (e) => events.push(e);
  const first = x402.wrapFetch(flaky, { wallets: [wallet], policy: policy('1000000'), onEvent });
  // As X402Provider makes one when its settings change: another policy and another account (not
  // funded), the spending shared. The payment made before is sent again as it was signed.
  const other = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => other.free());
  const questions = [];
  const later = x402.wrapFetch(flaky, {
    wallets: [other], policy: policy('500000'), shareBudgetWith: first, onEvent, onPaymentRequired: (q) => questions.push(q) > 0,
  });
  const before = { payer: await balanceOf(token, wallet.address), payee: await balanceOf(token, payTo) };
  const paymentId = 'agent_task_0000000077';
  await assert.rejects(first('http://127.0.0.1/weather', undefined, { paymentId }), /connection reset/);
  assert.equal(events.filter((e) => e.type === 'signed').length, 1);

  // While the newer fetch sends the payment again, a call under the id through the older one is
  // told to wait (one call at a time pays under an id, across fetches sharing their spending).
  let meanwhile;
  losing.whilePaying = async () => {
    losing.whilePaying = null;
    meanwhile = await first('http://127.0.0.1/weather', undefined, { paymentId }).then(
      () => assert.fail('a second call under the id was paid'),
      (error) => error,
    );
  };
  await assertServedWeather(await later('http://127.0.0.1/weather', undefined, { paymentId }));
  assert.equal(meanwhile?.code, 'PAYMENT_IN_PROGRESS', String(meanwhile?.stack));
  assert.equal(sent.length, 2);
  assert.equal(sent[1], sent[0], 'the newer fetch sent the same signed payment again');
  assert.ok(events.some((e) => e.type === 'approved' && e.sentAgain === true && e.payer === wallet.address));
  assert.equal(events.filter((e) => e.type === 'signed').length, 1, 'nothing signed again');
  assert.deepEqual(questions.map((q) => [q.sentAgain, q.payer]), [[true, wallet.address]]);
  assert.equal(facilitator.calls.settle, 1);
  assert.equal((await helper.stats()).handled, 1);
  // 0.01 of 0.015 spent, counted once: another purchase is over the shared budget.
  await assert.rejects(later('http://127.0.0.1/weather', undefined, { paymentId: 'agent_task_0000000078' }), { code: 'BUDGET_EXCEEDED' });
  assert.equal(sent.length, 2);
  assert.equal(await balanceOf(token, wallet.address), before.payer - PRICE);
  assert.equal(await balanceOf(token, payTo), before.payee + PRICE);
});

test('an answer streamed in ArrayBuffer, DataView or Uint16Array chunks is kept byte for byte', async (t) => {
  const setupped = await setup(t);
  const { worker: helper } = setupped;
  const { wallet } = await ourPayer(t, setupped);
  for (const kind of ['arraybuffer', 'dataview', 'uint16']) {
    const path = `/chunks/${kind}`;
    const { header } = await paymentFor(helper, path, wallet, `chunk_kind_${kind}_000001`);
    const first = await send(helper, path, header);
    const text = await first.text();
    assert.equal(first.status, 200, text);
    const again = await send(helper, path, header);
    assert.equal(again.status, 200);
    assert.equal(await again.text(), text, kind);
    assert.equal(JSON.parse(text).path, path);
  }
});

test('our wrapFetch: a second call under a paymentId while the first is paying is PAYMENT_IN_PROGRESS; a payment sent again is asked about again', async (t) => {
  const setupped = await setup(t);
  const { token, facilitator, worker: helper } = setupped;
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  let unreachable = false; // the paid request fails before reaching the Worker
  const through = viaWorker(helper);
  const pay = x402.wrapFetch(async (input, init) => {
    const request = new Request(input, init);
    if (unreachable && request.headers.has('payment-signature')) throw new TypeError('fetch failed: connect ECONNREFUSED');
    return through(request);
  }, {
    wallets: [wallet],
    policy: { assets: [{ network: NETWORK, asset: token.address, decimals: 6, symbol: 'USDC', usd: true, maxPerPayment: '1000000' }] },
  });
  const paymentId = 'in_progress_task_000001';
  let approve;
  const asked = new Promise((resolve) => { approve = resolve; });
  let answer;
  const first = pay('http://127.0.0.1/weather', undefined, {
    paymentId, onPaymentRequired: () => new Promise((resolve) => { answer = resolve; approve(); }),
  });
  await asked;
  await assert.rejects(pay('http://127.0.0.1/weather', undefined, { paymentId }), (e) => e.code === 'PAYMENT_IN_PROGRESS');
  unreachable = true;
  answer(true);
  await assert.rejects(first, /ECONNREFUSED/);
  unreachable = false;
  // The payment never reached the Worker: sending it again would settle it, so the call is asked.
  await assert.rejects(pay('http://127.0.0.1/weather', undefined, { paymentId, onPaymentRequired: () => false }),
    (e) => e.code === 'PAYMENT_REJECTED');
  assert.equal(facilitator.calls.settle, 0);
  // Sent again and lost again: its failed event says so too.
  const lost = [];
  unreachable = true;
  await assert.rejects(pay('http://127.0.0.1/weather', undefined, { paymentId, onEvent: (e) => lost.push(e) }), /ECONNREFUSED/);
  unreachable = false;
  assert.deepEqual(lost.filter((e) => e.sentAgain).map((e) => [e.type, e.spent]), [['approved', undefined], ['failed', 'unknown']]);
  // While the payment sent again is at the server (its /settle held), another call under the id is refused at once.
  const events = [];
  const release = facilitator.hold();
  const sending = pay('http://127.0.0.1/weather', undefined, { paymentId, onPaymentRequired: () => true, onEvent: (e) => events.push(e) });
  while (facilitator.calls.settle === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  let asked2 = 0;
  await assert.rejects(pay('http://127.0.0.1/weather', undefined, { paymentId, onPaymentRequired: () => { asked2 += 1; return true; } }),
    (e) => e.code === 'PAYMENT_IN_PROGRESS');
  assert.equal(asked2, 0);
  release();
  await assertServedWeather(await sending);
  assert.deepEqual(events.filter((e) => e.sentAgain).map((e) => e.type), ['approved', 'settled']);
  assert.equal(events.filter((e) => e.type === 'signed').length, 0);
  assert.equal(facilitator.calls.settle, 1);
});

test('the official @x402/fetch client with appendPaymentIdentifierToExtensions: a second payment under its id is refused, one charge', async (t) => {
  const setupped = await setup(t);
  const { token, facilitator, worker: helper } = setupped;
  const account = privateKeyToAccount(generatePrivateKey());
  await mint(token, account.address, MINTED);
  const client = new x402Client();
  registerExactEvmClientScheme(client, { signer: account, networks: [NETWORK] });
  client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: token.address }] });
  const paymentId = 'official_client_order_01';
  client.onBeforePaymentCreation(async ({ paymentRequired }) => {
    paymentRequired.extensions ??= {};
    appendPaymentIdentifierToExtensions(paymentRequired.extensions, paymentId);
  });
  const pay = wrapFetchWithPayment(viaWorker(helper), client);
  const before = await balanceOf(token, account.address);
  const first = await pay('http://127.0.0.1/premium/report');
  assert.equal(first.status, 200, await first.text());
  assert.equal(decodePaymentResponseHeader(first.headers.get('payment-response')).success, true);
  const second = await pay('http://127.0.0.1/premium/report');
  assert.equal(second.status, 409, await second.text());
  assert.equal(facilitator.calls.settle, 1);
  assert.equal(await balanceOf(token, account.address), before - PRICE);
});

test('an id is one payer\'s: another payer with the same id pays its own purchase; the same payer elsewhere is 409', async (t) => {
  const setupped = await setup(t);
  const { facilitator } = setupped;
  const paymentId = 'shared_identifier_0001';
  const one = await ourPayer(t, setupped);
  const two = await ourPayer(t, setupped);
  const statuses = [];
  for (const [payer, path] of [[one, '/premium/a'], [two, '/premium/a'], [one, '/premium/b']]) {
    const response = await payer.pay(path, { paymentId });
    await response.text();
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [200, 200, 409]);
  assert.equal(facilitator.calls.settle, 2);
});

test('refused before settling: no id where required, a malformed id; a failed settlement frees its id', async (t) => {
  const setupped = await setup(t);
  const { token, facilitator, worker: helper } = setupped;
  const { wallet, pay } = await ourPayer(t, setupped, 0n);
  const { payload } = await paymentFor(helper, '/weather', wallet, 'unfunded_order_000001');
  const without = structuredClone(payload);
  delete without.extensions;
  const malformed = structuredClone(payload);
  malformed.extensions[PAYMENT_IDENTIFIER].info.id = 'not an id!';
  for (const [sent, reason] of [[without, 'payment_identifier_required'], [malformed, 'invalid_payment_identifier']]) {
    const response = await send(helper, '/weather', encodeJsonHeader(sent));
    assert.equal(response.status, 402);
    assert.equal(decodeJsonHeader(response.headers.get('payment-response')).errorReason, reason);
  }
  assert.equal(facilitator.calls.settle, 0);

  // Unfunded: the settlement fails, and the id is free again for the payment that follows.
  const failed = await pay('/weather', { paymentId: 'unfunded_order_000001' });
  assert.equal(failed.status, 402, await failed.text());
  assert.equal(facilitator.calls.settle, 1);
  await mint(token, wallet.address, MINTED);
  await assertServedWeather(await pay('/weather', { paymentId: 'unfunded_order_000001' }));
  assert.equal(facilitator.calls.settle, 2);
  assert.equal(await balanceOf(token, wallet.address), MINTED - PRICE);
});

test('paymentIdentifier settings are checked at startup', () => {
  const accepts = [{ network: 'eip155:8453', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }];
  const make = (paymentIdentifier) => worker.paymentRequired({
    routes: { 'GET /x': { accepts, paymentIdentifier } }, facilitator: { url: 'http://127.0.0.1:9' },
  });
  for (const ok of [true, false, { required: true }, { ttlSeconds: 1 }, { required: false, ttlSeconds: 30 * 24 * 3600 }]) make(ok);
  for (const bad of [{ ttlSeconds: 0 }, { ttlSeconds: 30 * 24 * 3600 + 1 }, { required: 'yes' }, { requred: true }, 'true']) {
    assert.throws(() => make(bad), (error) => error.code === 'INVALID_ROUTE_CONFIG', JSON.stringify(bad));
  }
});

/** paymentRequired in Node with a scripted facilitator; `call(path, header?)` runs one request. */
function nodeMiddleware(t, { settle, handler, settleBeforeHandler = false, replayStore = worker.memoryReplayStore(), paymentIdentifier = true, cors }) {
  const accepts = [{ network: 'eip155:8453', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }];
  const calls = { settle: 0, handler: 0 };
  const middleware = worker.paymentRequired({
    ...(cors ? { cors } : {}),
    routes: { 'GET /x': { accepts, paymentIdentifier } },
    facilitator: { verify: async () => ({ isValid: true }), settle: async (...args) => { calls.settle += 1; return settle(...args); } },
    replayStore,
    settleBeforeHandler,
  });
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  const respond = async (header, extra = {}) => {
    const pending = [];
    const request = new Request('https://api.example/x', { headers: { ...(header ? { 'PAYMENT-SIGNATURE': header } : {}), ...extra } });
    const next = async () => {
      calls.handler += 1;
      return handler();
    };
    const response = await middleware(request, {}, { waitUntil: (p) => pending.push(p) }, next);
    return { response, pending };
  };
  const call = async (header, extra) => {
    const { response, pending } = await respond(header, extra);
    const body = Buffer.from(await response.arrayBuffer());
    await Promise.all(pending);
    return { status: response.status, body, headers: response.headers };
  };
  const payment = async (paymentId) => {
    const unpaid = await call();
    const paymentRequired = decodeJsonHeader(unpaid.headers.get('payment-required'));
    return encodeJsonHeader(await x402.createPaymentPayload(paymentRequired, 0, wallet, { paymentId }));
  };
  /** A fetch whose requests the middleware answers (for wrapFetch). */
  const fetchFn = (input, init) => {
    const next = async () => {
      calls.handler += 1;
      return handler();
    };
    // What waitUntil is given ends once the answer's body has been read: not waited for here.
    return middleware(new Request(input, init), {}, { waitUntil: () => {} }, next);
  };
  return { call, respond, payment, calls, fetchFn, wallet };
}

const settled = async (_payload, requirement) => ({ success: true, transaction: `0x${'ab'.repeat(32)}`, network: requirement.network });
const conflictOf = (answer) => {
  assert.equal(answer.status, 409);
  return JSON.parse(answer.body.toString()).error;
};

test('an answer too large to keep is sent whole once; the payment sent again is 409, never served or settled again', async (t) => {
  const big = new Uint8Array(300 * 1024).fill(97);
  const { call, payment, calls } = nodeMiddleware(t, { settle: settled, handler: () => new Response(big) });
  const header = await payment('large_answer_order_0001');
  const first = await call(header);
  assert.equal(first.status, 200);
  assert.equal(first.body.length, big.length);
  assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict');
  assert.deepEqual(calls, { settle: 1, handler: 1 });
});

test('a /settle without an answer keeps the id taken (the payment may have settled); an explicit failure frees it', async (t) => {
  let outcome = 'throw';
  const settle = async (...args) => {
    if (outcome === 'throw') throw new Error('facilitator timed out');
    if (outcome === 'fail') return { success: false, errorReason: 'insufficient_funds', transaction: '', network: args[1].network };
    return settled(...args);
  };
  const { call, payment, calls } = nodeMiddleware(t, { settle, handler: () => Response.json({ ok: true }) });
  const lost = await payment('lost_settlement_00001');
  assert.equal((await call(lost)).status, 402);
  assert.equal(conflictOf(await call(lost)), 'payment_identifier_conflict');
  assert.equal(conflictOf(await call(await payment('lost_settlement_00001'))), 'payment_identifier_conflict');
  assert.equal(calls.settle, 1, 'nothing under that id is settled again');

  outcome = 'fail';
  assert.equal((await call(await payment('refused_settlement_001'))).status, 402);
  outcome = 'settle';
  const retried = await call(await payment('refused_settlement_001'));
  assert.equal(retried.status, 200, 'a refused settlement frees the id');
  assert.equal(calls.settle, 3);
});

test('settleBeforeHandler with a handler that throws: the id keeps no answer, and is not charged again', async (t) => {
  const { call, payment, calls } = nodeMiddleware(t, {
    settle: settled, settleBeforeHandler: true, handler: () => { throw new Error('handler failed'); },
  });
  const header = await payment('settled_then_threw_0001');
  await assert.rejects(call(header), /handler failed/);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict');
  assert.deepEqual(calls, { settle: 1, handler: 1 });
});

test('kept answers are bounded: past 16 MB in one memory store the oldest are dropped; a store refusing an answer keeps the rest', async (t) => {
  const answer = new Uint8Array(200 * 1024).fill(98); // about 270 KB once kept as base64
  const { call, payment, calls } = nodeMiddleware(t, { settle: settled, handler: () => new Response(answer) });
  const headers = [];
  for (let i = 0; i < 70; i++) {
    const header = await payment(`bounded_memory_${String(i).padStart(6, '0')}`);
    assert.equal((await call(header)).status, 200);
    headers.push(header);
  }
  assert.equal(conflictOf(await call(headers[0])), 'payment_identifier_conflict', 'the oldest answer was dropped');
  const last = await call(headers.at(-1));
  assert.equal(last.status, 200);
  assert.equal(last.body.length, answer.length, 'the newest is kept whole');
  assert.equal(calls.settle, 70);

  // A store that cannot take an answer (a Durable Object value too large) still learns that the id settled.
  const inner = worker.memoryReplayStore();
  const refusing = { ...inner, remember: async (key, value, expiresAt) => {
    if (value.answer) throw new Error('value too large');
    return inner.remember(key, value, expiresAt);
  } };
  const other = nodeMiddleware(t, { settle: settled, handler: () => Response.json({ ok: true }), replayStore: refusing });
  const header = await other.payment('refused_answer_000001');
  assert.equal((await other.call(header)).status, 200);
  assert.equal(conflictOf(await other.call(header)), 'payment_identifier_conflict');
  assert.equal(other.calls.settle, 1);
});

test('a kept answer is the same request\'s: another Authorization or Cookie is 409; the handler\'s CORS come back with it', async (t) => {
  const cors = { origin: ['https://app.example'], credentials: true };
  const { call, payment, calls } = nodeMiddleware(t, {
    settle: settled,
    cors,
    handler: () => Response.json({ secret: 'for Bearer A' }, { headers: { 'Access-Control-Expose-Headers': 'X-Request-Id', 'X-Request-Id': 'r1' } }),
  });
  const header = await payment('bound_to_request_0001');
  const asker = { Authorization: 'Bearer A', Origin: 'https://app.example' };
  const first = await call(header, asker);
  assert.equal(first.status, 200);
  for (const other of [{ Origin: 'https://app.example' }, { ...asker, Authorization: 'Bearer B' }, { ...asker, Cookie: 'session=x' }]) {
    assert.equal(conflictOf(await call(header, other)), 'payment_identifier_conflict', JSON.stringify(other));
  }
  const again = await call(header, asker);
  assert.equal(again.status, 200);
  assert.deepEqual(JSON.parse(again.body.toString()), { secret: 'for Bearer A' });
  for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers', 'x-request-id']) {
    assert.equal(again.headers.get(name), first.headers.get(name), name);
  }
  assert.deepEqual(calls, { settle: 1, handler: 1 });
});

test('a short ttlSeconds does not free an id whose settlement gave no answer while its payment may still settle', async (t) => {
  const { call, payment, calls } = nodeMiddleware(t, {
    settle: async () => { throw new Error('facilitator timed out'); },
    paymentIdentifier: { ttlSeconds: 1 },
    handler: () => Response.json({ ok: true }),
  });
  assert.equal((await call(await payment('short_ttl_order_00001'))).status, 402);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal(conflictOf(await call(await payment('short_ttl_order_00001'))), 'payment_identifier_conflict');
  assert.equal(calls.settle, 1);
});

test('a streamed answer the client stops reading: the cancel reaches the handler\'s stream, and the id is not left in progress', async (t) => {
  let pulls = 0;
  let cancelled = false;
  const { respond, call, payment, calls } = nodeMiddleware(t, {
    settle: settled,
    handler: () => new Response(new ReadableStream({
      pull(controller) {
        pulls += 1;
        controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    })),
  });
  const header = await payment('streamed_answer_000001');
  const { response, pending } = await respond(header);
  const reader = response.body.getReader();
  await reader.read();
  const read = pulls;
  await reader.cancel();
  await Promise.all(pending);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(cancelled, true, 'cancelled upstream');
  assert.ok(pulls <= read + 2, `read on after the client left: ${pulls - read} more chunks`);
  assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict', 'settled, its answer not kept');
  assert.equal(calls.settle, 1);
});

test('settleBeforeHandler and a 5xx answer: paid, not kept as what was bought (the payment sent again is 409)', async (t) => {
  const { call, payment, calls } = nodeMiddleware(t, {
    settle: settled, settleBeforeHandler: true, handler: () => new Response('upstream down', { status: 503 }),
  });
  const header = await payment('settled_then_503_00001');
  assert.equal((await call(header)).status, 503);
  assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict');
  assert.deepEqual(calls, { settle: 1, handler: 1 });
});

test('a kept answer that varies on another request header (its Vary) is only for a request with the same value', async (t) => {
  const { call, payment, calls } = nodeMiddleware(t, {
    settle: settled,
    handler: () => Response.json({ account: 'data of alice-key' }, { headers: { Vary: 'X-Api-Key' } }),
  });
  const header = await payment('varies_on_api_key_0001');
  assert.equal((await call(header, { 'X-Api-Key': 'alice-key' })).status, 200);
  assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict');
  assert.equal(conflictOf(await call(header, { 'X-Api-Key': 'mallory' })), 'payment_identifier_conflict');
  const again = await call(header, { 'X-Api-Key': 'alice-key' });
  assert.equal(again.status, 200);
  assert.deepEqual(JSON.parse(again.body.toString()), { account: 'data of alice-key' });
  assert.deepEqual(calls, { settle: 1, handler: 1 });
});

test('a call abandoned part-way (JS threw inside it) frees its paymentId for the next call', async (t) => {
  const { fetchFn, wallet } = nodeMiddleware(t, { settle: settled, handler: () => Response.json({ ok: true }) });
  const pay = x402.wrapFetch(fetchFn, { wallets: [wallet], policy: { maxPerPayment: '1' } });
  const hostile = Promise.resolve(true);
  Object.defineProperty(hostile, 'constructor', { get() { throw new Error('boom'); } });
  const paymentId = 'abandoned_call_0000001';
  await assert.rejects(pay('https://api.example/x', undefined, { paymentId, onPaymentRequired: () => hostile }));
  const next = await pay('https://api.example/x', undefined, { paymentId, onPaymentRequired: () => true });
  assert.equal(next.status, 200);
});

test('an answer whose Vary names no header (a quoted or spaced name) is served once and not kept; nothing throws', async (t) => {
  for (const vary of ['"Accept-Language"', 'Accept Language']) {
    const { call, payment, calls } = nodeMiddleware(t, {
      settle: settled, handler: () => Response.json({ ok: true }, { headers: { Vary: vary } }),
    });
    const header = await payment('odd_vary_header_000001');
    const first = await call(header);
    assert.equal(first.status, 200, vary);
    assert.equal(conflictOf(await call(header)), 'payment_identifier_conflict', vary);
    assert.deepEqual(calls, { settle: 1, handler: 1 });
  }
});

test('requirePayment\'s keep(): once settled, the answer it returns is what the payment sent again gets; without it, 409', async (t) => {
  const { token, payTo, facilitator } = await v2Chain(t);
  const wallet = x402.evmPrivateKeyWallet(generatePrivateKey());
  t.after(() => wallet.free());
  await mint(token, wallet.address, MINTED);
  const route = { ...weatherRoute({ asset: token.address, payTo }), paymentIdentifier: true };
  const options = { facilitator: { url: facilitator.url }, replayStore: worker.memoryReplayStore() };
  const url = 'https://api.example/weather';
  const gateFor = (header) => worker.requirePayment(new Request(url, header ? { headers: { 'PAYMENT-SIGNATURE': header } } : {}), route, {}, options);
  const unpaid = await gateFor();
  assert.equal(unpaid.response.status, 402);
  const paymentRequired = decodeJsonHeader(unpaid.response.headers.get('payment-required'));
  const headerFor = async (paymentId) => encodeJsonHeader(await x402.createPaymentPayload(paymentRequired, 0, wallet, { paymentId }));

  const header = await headerFor('order_with_keep_000001');
  const gate = await gateFor(header);
  assert.equal(gate.payment.paymentId, 'order_with_keep_000001');
  const answer = () => Response.json({ report: 'sunny' }, { headers: { 'x-served': 'once' } });
  const early = answer();
  assert.equal(gate.keep(early), early, 'nothing is kept before settling');
  assert.equal((await gate.settle()).success, true);
  const waits = [];
  const sent = gate.keep(answer(), { waitUntil: (p) => waits.push(p) });
  const other = answer();
  assert.equal(gate.keep(other), other, 'kept once: a second answer is not kept');
  // While the answer streams to the client, the payment sent again is told to wait.
  await new Promise((resolve) => { setTimeout(resolve, 20); });
  const meanwhile = await gateFor(header);
  assert.equal(meanwhile.response?.status, 409);
  assert.equal(meanwhile.response.headers.get('retry-after'), '1');
  assert.equal((await meanwhile.response.json()).error, 'payment_in_progress');
  assert.deepEqual(await sent.json(), { report: 'sunny' });
  await Promise.all(waits);
  const again = await gateFor(header);
  assert.equal(again.response?.status, 200);
  assert.equal(again.response.headers.get('x-served'), 'once');
  assert.deepEqual(await again.response.json(), { report: 'sunny' });
  assert.equal(facilitator.calls.settle, 1);

  // Settled without keep() (here: given a Response already read, which it cannot copy): the
  // payment sent again is 409, never settled again.
  const bare = await headerFor('order_without_keep_0001');
  const unkept = await gateFor(bare);
  assert.equal((await unkept.settle()).success, true);
  const read = answer();
  await read.text();
  const held = [];
  assert.equal(unkept.keep(read, { waitUntil: (p) => held.push(p) }), read);
  assert.equal(held.length, 0, 'nothing left pending');
  const refused = await gateFor(bare);
  assert.equal(refused.response.status, 409);
  assert.equal((await refused.response.json()).error, 'payment_identifier_conflict');
  assert.equal(facilitator.calls.settle, 2);
});

test('a release names the reservation it frees: one taken again since (another expiry) stays (memory store)', async () => {
  const store = worker.memoryReplayStore();
  const now = Math.floor(Date.now() / 1000);
  assert.equal(await store.reserve('pid/k', now + 100), true);
  await store.release('pid/k', now + 50); // a claim that expired and was taken again since
  assert.equal(await store.reserve('pid/k', now + 100), false, 'still held');
  await store.release('pid/k', now + 100);
  assert.equal(await store.reserve('pid/k', now + 200), true, 'freed by its own release');
  await store.release('pid/k'); // without an expiry, as before: whatever is held
  assert.equal(await store.reserve('pid/k', now + 300), true);
});
