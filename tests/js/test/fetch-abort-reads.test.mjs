// What the paying fetch reads before it answers (found by a review, 2026-11-24): the request body
// read up front, the 402's body, the paid response's body for a refusal's reason or 1ly's metadata.
// An abort stops each read and rejects the call with its reason, as fetch rejects when aborted
// before it resolves, also when the wrapped fetch ignores the signal; a streamed paid answer is
// not held back; a settlement header that does not decode gives way to the other; an empty
// PAYMENT-REQUIRED header is none. A node:http server on loopback; no chain (it takes any payment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { loadX402 } from '../lib/x402.mjs';
import { countingWallet, paymentRequiredHeaders, usdc, usdcV1, sleep } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const SETTLED = { success: true, transaction: `0x${'11'.repeat(32)}`, network: 'eip155:84532', payer: '0x0000000000000000000000000000000000000001' };

/** Serves `handler(req, res, body)` (the request body read first, as text) on loopback until the test ends; resolves to its origin. */
async function listen(t, handler) {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    handler(req, res, body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return `http://127.0.0.1:${server.address().port}`;
}

/** A v2 402 for the request's URL (body: `body402(document)`). */
function challenge(req, res, body402 = () => '{}') {
  const document = { x402Version: 2, resource: { url: `http://${req.headers.host}${req.url}` }, accepts: [usdc()] };
  res.writeHead(402, { ...paymentRequiredHeaders(document), 'content-type': 'application/json' });
  return res.end(body402(document));
}

/** A server whose `handle(req, res, url)` answers paid requests; unpaid ones get a v2 402 (body: `body402(document)`). */
function paidServer(t, { handle, body402 }) {
  return listen(t, (req, res) => (req.headers['payment-signature'] || req.headers['x-payment']
    ? handle(req, res, `http://${req.headers.host}${req.url}`)
    : challenge(req, res, body402)));
}

/** Writes a space every 100 ms, for `ms`, then ends `res` with `last`. */
async function trickle(res, ms, last) {
  for (let waited = 0; waited < ms && !res.destroyed; waited += 100) {
    res.write(' ');
    await sleep(100);
  }
  if (!res.destroyed) res.end(last);
}

/** Calls `pay(url, init)` with a signal aborted after `ms`; resolves to { outcome, ms }. */
async function abortedAfter(ms, call) {
  const controller = new AbortController();
  const reason = new Error(`aborted by the caller at ${ms} ms`);
  setTimeout(() => controller.abort(reason), ms);
  const started = Date.now();
  const outcome = await call(controller.signal).then((response) => ({ response }), (error) => ({ error }));
  return { ...outcome, reason, ms: Date.now() - started };
}

test('an abort while a stream request body is read up front rejects at once (an endless body too)', { timeout: 30_000 }, async (t) => {
  const origin = await paidServer(t, { handle: (req, res) => res.end('paid') });
  const { wallet, calls } = countingWallet(x402);
  const pay = x402.wrapFetch(fetch, { wallets: [wallet] });
  let cancelled = 0;
  const endless = () => {
    let timer;
    return new ReadableStream({
      start(controller) { timer = setInterval(() => controller.enqueue(new Uint8Array(16)), 20); },
      cancel() { clearInterval(timer); cancelled += 1; },
    });
  };
  for (const shape of ['init', 'Request']) {
    const { error, reason, ms } = await abortedAfter(200, (signal) => (shape === 'init'
      ? pay(`${origin}/upload`, { method: 'POST', body: endless(), duplex: 'half', signal })
      : pay(new Request(`${origin}/upload`, { method: 'POST', body: endless(), duplex: 'half', signal }))));
    assert.equal(error, reason, shape);
    assert.ok(ms < 2000, `${shape}: rejected after ${ms} ms`);
  }
  assert.equal(calls.signTypedData.length, 0);
  // Not read on in the background (it would grow without end): both streams were cancelled.
  await sleep(100);
  assert.equal(cancelled, 2);
});

test('an abort while the paid answer\'s body is read (a refusal\'s reason, 1ly\'s metadata) rejects the call; the settlement is still told', { timeout: 30_000 }, async (t) => {
  const origin = await paidServer(t, {
    body402: (document) => JSON.stringify(document), // repeats the document: read for 1ly's metadata
    handle: (req, res, url) => {
      if (url.endsWith('/refused')) {
        res.writeHead(402, { 'content-type': 'application/json' });
        return trickle(res, 5000, '{"error":"insufficient_funds"}');
      }
      res.writeHead(200, { 'content-type': 'application/json', 'payment-response': encode(SETTLED) });
      return trickle(res, 5000, '{}');
    },
  });
  for (const path of ['/paid', '/refused']) {
    const { wallet, calls } = countingWallet(x402);
    const events = [];
    const pay = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e.type) });
    const { error, reason, ms } = await abortedAfter(500, (signal) => pay(`${origin}${path}`, { signal }));
    assert.equal(error, reason, path);
    assert.ok(ms < 2500, `${path}: rejected after ${ms} ms`);
    assert.equal(calls.signTypedData.length, 1);
    assert.equal(events.at(-1), path === '/paid' ? 'settled' : 'failed', events.join());
  }
});

test('an abort while the 402\'s body is read rejects at once, also through a fetch that ignores the signal', { timeout: 30_000 }, async (t) => {
  const url = `${await listen(t, (req, res) => {
    // A v1 402: its body is the document, sent slowly.
    res.writeHead(402, { 'content-type': 'application/json' });
    trickle(res, 5000, JSON.stringify({ x402Version: 1, error: 'pay', accepts: [usdcV1()] }));
  })}/v1`;
  const deaf = (input, init) => {
    const request = new Request(input, init);
    return fetch(request.url, { method: request.method, headers: request.headers }); // no signal
  };
  for (const inner of [fetch, deaf]) {
    const { wallet, calls } = countingWallet(x402);
    const { error, reason, ms } = await abortedAfter(300, (signal) => x402.wrapFetch(inner, { wallets: [wallet] })(url, { signal }));
    assert.equal(error, reason, inner.name);
    assert.ok(ms < 2500, `${inner.name}: rejected after ${ms} ms`);
    assert.equal(calls.signTypedData.length, 0);
  }
});

test('a paid answer streamed as NDJSON is returned at once, whatever the 402\'s body', { timeout: 30_000 }, async (t) => {
  let repeat = true;
  const origin = await paidServer(t, {
    body402: (document) => (repeat ? JSON.stringify(document) : '{}'),
    handle: async (req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'payment-response': encode(SETTLED) });
      for (let i = 0; i < 30 && !res.destroyed; i += 1) {
        res.write(`${JSON.stringify({ token: i })}\n`);
        await sleep(200);
      }
      res.end();
    },
  });
  for (const repeats of [true, false]) {
    repeat = repeats;
    const { wallet } = countingWallet(x402);
    const started = Date.now();
    const response = await x402.wrapFetch(fetch, { wallets: [wallet] })(`${origin}/stream`);
    const reader = response.body.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const ms = Date.now() - started;
    await reader.cancel();
    assert.equal(response.status, 200);
    assert.match(first, /^\{"token":0\}/);
    assert.ok(ms < 3000, `402 body ${repeats ? 'repeats the document' : 'is {}'}: first line after ${ms} ms (the stream lasts 6 s)`);
    assert.equal(x402.getPaymentReceipt(response).transaction, SETTLED.transaction);
  }
});

test('a PAYMENT-RESPONSE that does not decode gives way to a valid X-PAYMENT-RESPONSE; an empty PAYMENT-REQUIRED is none (the v1 body is paid)', { timeout: 30_000 }, async (t) => {
  const origin = await paidServer(t, {
    handle: (req, res) => {
      res.writeHead(200, { 'payment-response': '%%%not base64', 'x-payment-response': encode(SETTLED) });
      res.end('paid');
    },
  });
  const { wallet } = countingWallet(x402);
  const response = await x402.wrapFetch(fetch, { wallets: [wallet] })(`${origin}/both`);
  assert.equal(response.status, 200);
  assert.equal(x402.getPaymentReceipt(response).transaction, SETTLED.transaction);

  const sent = [];
  const v1 = await listen(t, (req, res) => {
    sent.push(Object.keys(req.headers).filter((name) => /payment/.test(name)));
    if (req.headers['x-payment']) return res.writeHead(200, { 'x-payment-response': encode(SETTLED) }).end('paid');
    res.writeHead(402, { 'payment-required': '', 'content-type': 'application/json' });
    return res.end(JSON.stringify({ x402Version: 1, error: 'pay', accepts: [usdcV1({ resource: `http://${req.headers.host}${req.url}` })] }));
  });
  const paid = await x402.wrapFetch(fetch, { wallets: [wallet] })(`${v1}/v1`);
  assert.equal(paid.status, 200, await paid.clone().text());
  assert.deepEqual(sent, [[], ['x-payment']]);
});

test('where Request has no `body` (Firefox), a POST body is still read up front and sent on both attempts', { timeout: 30_000 }, async (t) => {
  const seen = [];
  const url = `${await listen(t, (req, res, text) => {
    seen.push({ paid: Boolean(req.headers['payment-signature']), text, type: req.headers['content-type'] });
    if (req.headers['payment-signature']) return res.writeHead(200, { 'payment-response': encode(SETTLED) }).end('paid');
    return challenge(req, res);
  })}/post`;
  const own = Object.getOwnPropertyDescriptor(Request.prototype, 'body');
  Object.defineProperty(Request.prototype, 'body', { configurable: true, get: () => undefined });
  try {
    assert.equal(new Request(url, { method: 'POST', body: 'x' }).body, undefined, 'the getter is gone, as in Firefox');
    const { wallet } = countingWallet(x402);
    const pay = x402.wrapFetch(fetch, { wallets: [wallet] });
    const response = await pay(url, { method: 'POST', body: '{"q":"lisbon"}', headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 200);
    const empty = await pay(new Request(url, { method: 'POST' }));
    assert.equal(empty.status, 200);
  } finally {
    Object.defineProperty(Request.prototype, 'body', own);
  }
  assert.deepEqual(seen, [
    { paid: false, text: '{"q":"lisbon"}', type: 'application/json' },
    { paid: true, text: '{"q":"lisbon"}', type: 'application/json' },
    { paid: false, text: '', type: undefined },
    { paid: true, text: '', type: undefined },
  ]);
});

test('a request body stream whose chunks are not bytes is refused before anything is paid, as fetch refuses it', { timeout: 30_000 }, async (t) => {
  const origin = await paidServer(t, { handle: (req, res) => res.end('paid') });
  const { wallet, calls } = countingWallet(x402);
  const pay = x402.wrapFetch(fetch, { wallets: [wallet] });
  const odd = () => new ReadableStream({ start(controller) { controller.enqueue({ a: 1 }); controller.enqueue(42); controller.close(); } });
  await assert.rejects(new Request(`${origin}/up`, { method: 'POST', body: odd(), duplex: 'half' }).blob(), TypeError);
  await assert.rejects(pay(`${origin}/up`, { method: 'POST', body: odd(), duplex: 'half' }), (e) => e instanceof TypeError && /not bytes/.test(e.message));
  assert.equal(calls.signTypedData.length, 0);
});

test('seed 004: an abort while a facilitator\'s refusal (400) is read releases the budget (nothing was paid)', { timeout: 30_000 }, async (t) => {
  let slow = true;
  const facilitator = await listen(t, (req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    if (slow) trickle(res, 3000, '{"error":"no delegate approval"}');
    else res.end('{"error":"no delegate approval"}');
  });
  let reference = 0;
  const resource = await listen(t, (req, res) => {
    reference += 1;
    res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({
      amount: '0.01', currency: 'USDC', payee: '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU',
      reference: `pay_${reference}`, facilitatorUrl: facilitator, ttl: '120',
    }));
  });
  const wallet = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(7));
  t.after(() => wallet.free());
  const spent = [];
  const pay = x402.wrapFetch(fetch, {
    wallets: [wallet], facilitators: [facilitator], policy: { budget: { total: '0.01' } },
    onEvent: (e) => { if (e.type === 'failed') spent.push(e.spent); },
  });
  const { error, reason } = await abortedAfter(400, (signal) => pay(`${resource}/a`, { signal }));
  assert.equal(error, reason);
  slow = false;
  // The budget (one payment) was given back: the next call reaches the facilitator again.
  await assert.rejects(pay(`${resource}/a`), { code: 'FACILITATOR_ERROR' });
  assert.deepEqual(spent, [false, false]);
});
