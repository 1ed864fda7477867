// wrapFetch request fidelity (issue 5, section 2): the paid retry is the same request as the first
// attempt (method, headers, Request options, body bytes) for every BodyInit kind; the only header
// either attempt adds is the payment header; AbortSignal is honoured at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, countingWallet, headerNames, capturingFetch, sleep } from '../lib/paid-server.mjs';

const x402 = await loadX402();

const BYTES = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff); // not valid UTF-8
const TEXT = 'héllo ✓ wörld — 💸';

/** Each BodyInit kind: a fresh body each call, and the bytes it must put on the wire (or null). */
const KINDS = [
  ['string', () => ({ body: TEXT }), Buffer.from(TEXT, 'utf8'), 'text/plain;charset=UTF-8'],
  ['URLSearchParams', () => ({ body: new URLSearchParams([['a', '1'], ['b', 'x y&z=✓']]) }),
    Buffer.from('a=1&b=x+y%26z%3D%E2%9C%93'), 'application/x-www-form-urlencoded;charset=UTF-8'],
  ['FormData', () => {
    const form = new FormData();
    form.append('field', 'value ✓');
    form.append('file', new Blob([BYTES], { type: 'application/octet-stream' }), 'data.bin');
    return { body: form };
  }, null, /^multipart\/form-data; ?boundary=/],
  ['Blob', () => ({ body: new Blob(['blob:', BYTES], { type: 'application/x-test' }) }),
    Buffer.concat([Buffer.from('blob:'), Buffer.from(BYTES)]), 'application/x-test'],
  ['ArrayBuffer', () => ({ body: BYTES.slice().buffer }), Buffer.from(BYTES), undefined],
  ['Uint8Array', () => ({ body: BYTES.slice() }), Buffer.from(BYTES), undefined],
  ['Uint8Array view with an offset', () => ({ body: BYTES.slice().subarray(10, 50) }),
    Buffer.from(BYTES.subarray(10, 50)), undefined],
  ['Float64Array', () => ({ body: new Float64Array([1.5, -2, Math.PI]) }),
    Buffer.from(new Float64Array([1.5, -2, Math.PI]).buffer), undefined],
  ['DataView', () => ({ body: new DataView(BYTES.slice().buffer, 5, 20) }), Buffer.from(BYTES.subarray(5, 25)), undefined],
  ['ReadableStream', () => ({
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(BYTES.slice(0, 100));
        controller.enqueue(new TextEncoder().encode(TEXT));
        controller.enqueue(BYTES.slice(100));
        controller.close();
      },
    }),
    duplex: 'half',
  }), Buffer.concat([Buffer.from(BYTES.subarray(0, 100)), Buffer.from(TEXT), Buffer.from(BYTES.subarray(100))]), undefined],
];

const HEADERS = { 'x-custom': 'one', 'X-Mixed-Case': 'Two', authorization: 'Bearer token-123', accept: 'application/json' };

// Transfer framing may legitimately differ (a stream goes chunked when sent as is).
const FRAMING = ['content-length', 'transfer-encoding'];

for (const [kind, make, expected, contentType] of KINDS) {
  test(`fidelity: a ${kind} body is sent byte-identical on the first attempt and the paid retry`, async (t) => {
    const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] }, '/free': { mode: 'plain' } } });
    const { wallet, calls } = countingWallet(x402);
    const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
    const response = await paying(server.url('/paid?q=1'), { method: 'POST', headers: HEADERS, ...make() });
    assert.equal(response.status, 200);
    assert.equal(calls.signTypedData.length, 1);
    assert.equal(server.requests.length, 2);
    const [first, retry] = server.requests;

    assert.equal(first.method, 'POST');
    assert.equal(retry.method, 'POST');
    assert.equal(first.url, server.url('/paid?q=1'));
    assert.equal(retry.url, first.url);
    assert.ok(first.body.equals(retry.body), 'the retry body differs from the first attempt');
    if (expected) assert.ok(first.body.equals(expected), `body bytes: ${first.body.toString('hex')} != ${expected.toString('hex')}`);

    // Same headers and values, plus payment-signature only.
    assert.equal(first.headers['payment-signature'], undefined);
    assert.ok(retry.headers['payment-signature']);
    assert.deepEqual(headerNames(retry, { except: ['payment-signature'] }), headerNames(first));
    for (const name of headerNames(first)) {
      assert.equal(retry.headers[name], first.headers[name], `header ${name}`);
    }
    assert.equal(first.headers['x-custom'], 'one');
    assert.equal(first.headers['x-mixed-case'], 'Two');
    assert.equal(first.headers.authorization, 'Bearer token-123');
    assert.equal(first.headers.accept, 'application/json');
    if (contentType instanceof RegExp) assert.match(first.headers['content-type'], contentType);
    else assert.equal(first.headers['content-type'], contentType);

    if (kind === 'FormData') {
      // The boundary of the content type is the one in the bytes, and both attempts agree.
      const boundary = /boundary=(.+)$/.exec(first.headers['content-type'])[1];
      assert.ok(first.body.includes(Buffer.from(`--${boundary}\r\n`)), 'boundary not in the multipart body');
      assert.ok(first.body.includes(Buffer.from(`--${boundary}--`)), 'multipart body not closed');
      const form = await new Response(retry.body, { headers: { 'content-type': retry.headers['content-type'] } }).formData();
      assert.equal(form.get('field'), 'value ✓');
      assert.deepEqual(new Uint8Array(await form.get('file').arrayBuffer()), BYTES);
      assert.equal(form.get('file').name, 'data.bin');
    }

    // Compared with the same request through the plain fetch, the wrapper added nothing.
    await fetch(server.url('/free'), { method: 'POST', headers: HEADERS, ...make() });
    const plain = server.requests[2];
    assert.deepEqual(headerNames(first, { except: FRAMING }), headerNames(plain, { except: FRAMING }));
    if (kind !== 'FormData') {
      assert.ok(plain.body.equals(first.body));
      assert.equal(first.headers['content-type'], plain.headers['content-type']);
    }
  });
}

test('fidelity: a GET and a custom method (PATCH) keep their method, query and headers', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  assert.equal((await paying(server.url('/paid?a=1&b=%20'), { headers: { 'x-k': 'v' } })).status, 200);
  assert.equal((await paying(server.url('/paid'), { method: 'PATCH', body: '{"p":1}', headers: { 'content-type': 'application/json' } })).status, 200);
  const [g1, g2, p1, p2] = server.requests;
  assert.deepEqual([g1.method, g2.method, p1.method, p2.method], ['GET', 'GET', 'PATCH', 'PATCH']);
  assert.equal(g2.url, server.url('/paid?a=1&b=%20'));
  assert.equal(g1.body.length + g2.body.length, 0);
  assert.equal(g2.headers['x-k'], 'v');
  assert.equal(p2.body.toString(), '{"p":1}');
  assert.equal(p2.headers['content-type'], 'application/json');
  for (const [a, b] of [[g1, g2], [p1, p2]]) {
    assert.deepEqual(headerNames(b, { except: ['payment-signature'] }), headerNames(a));
  }
});

test('fidelity: a Request object as input (with a body) is paid and replayed identically', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const request = new Request(server.url('/paid'), {
    method: 'PUT',
    headers: { 'x-from-request': 'yes', 'content-type': 'application/octet-stream' },
    body: BYTES.slice(),
  });
  const response = await paying(request);
  assert.equal(response.status, 200);
  const [first, retry] = server.requests;
  assert.equal(retry.method, 'PUT');
  assert.ok(first.body.equals(Buffer.from(BYTES)));
  assert.ok(retry.body.equals(first.body));
  assert.equal(retry.headers['x-from-request'], 'yes');
  assert.equal(retry.headers['content-type'], 'application/octet-stream');
  assert.deepEqual(headerNames(retry, { except: ['payment-signature'] }), headerNames(first));

  // A Request with a stream body, and init overriding its headers, as fetch(request, init) would.
  const streamed = new Request(server.url('/paid'), {
    method: 'POST',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('streamed')); c.close(); } }),
    duplex: 'half',
    headers: { 'x-old': '1' },
  });
  assert.equal((await paying(streamed, { headers: { 'x-new': '2' } })).status, 200);
  const [s1, s2] = server.requests.slice(2);
  assert.equal(s1.body.toString(), 'streamed');
  assert.equal(s2.body.toString(), 'streamed');
  assert.equal(s2.headers['x-new'], '2');
  assert.equal(s2.headers['x-old'], undefined);
});

// A custom fetch receives one Request per attempt. The runtime's own fetch (globalThis.fetch, the
// function wrapFetch was given) is called as fetch(input, init) instead, the Request left to it:
// replaced here by a recorder so both calling conventions are checked.
const MODES = [
  ['a custom fetch', (t) => {
    const capture = capturingFetch();
    return { capture, fetchFn: capture };
  }],
  ["the runtime's fetch", (t) => {
    const original = globalThis.fetch;
    const capture = capturingFetch(original);
    globalThis.fetch = capture;
    t.after(() => { globalThis.fetch = original; });
    return { capture, fetchFn: globalThis.fetch };
  }],
];

/** The Request each recorded call describes: the one a custom fetch got, or fetch's own. */
function requestsOf(capture, mode) {
  return capture.seen.map(({ input, init }) => {
    if (mode === 'a custom fetch') {
      assert.ok(input instanceof Request && init === undefined, 'a custom fetch gets one Request');
      return input;
    }
    return init === undefined && input instanceof Request ? input : new Request(input, init);
  });
}

for (const [mode, setUp] of MODES) {
  test(`fidelity (${mode}): the Request options (credentials, cache, mode, keepalive) are kept; the retry does not follow redirects`, async (t) => {
    const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
    const { wallet } = countingWallet(x402);
    const { capture, fetchFn } = setUp(t);
    const paying = x402.wrapFetch(fetchFn, { wallets: [wallet] });
    const init = {
      method: 'POST', body: 'x', credentials: 'include', cache: 'no-store', mode: 'cors', keepalive: true, headers: { 'x-a': 'b' },
    };
    assert.equal((await paying(server.url('/paid'), init)).status, 200);
    assert.equal(capture.seen.length, 2);
    const [first, retry] = requestsOf(capture, mode);
    for (const key of ['method', 'credentials', 'cache', 'mode', 'keepalive']) {
      assert.equal(first[key], init[key], `first attempt ${key}`);
      assert.equal(retry[key], init[key], `retry ${key}`);
    }
    assert.equal(retry.url, first.url);
    assert.equal(retry.integrity, first.integrity);
    assert.equal(first.redirect, 'follow');
    assert.equal(retry.redirect, 'manual');
    assert.deepEqual([...retry.headers.keys()].filter((k) => k !== 'payment-signature'), [...first.headers.keys()]);
    assert.equal(server.requests[1].body.toString(), 'x');
  });

  test(`fidelity (${mode}): referrerPolicy and referrer are kept on both attempts`, async (t) => {
    // new Request(request, nonEmptyInit) resets referrer and referrerPolicy (Fetch spec, Request
    // constructor step "if init is not empty"), so they must be passed on explicitly.
    const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
    const { wallet } = countingWallet(x402);
    const { capture, fetchFn } = setUp(t);
    const paying = x402.wrapFetch(fetchFn, { wallets: [wallet] });
    const init = { referrerPolicy: 'no-referrer', referrer: '' };
    const expected = new Request(server.url('/paid'), init);
    assert.equal((await paying(server.url('/paid'), init)).status, 200);
    const [first, retry] = requestsOf(capture, mode);
    for (const [name, request] of [['first attempt', first], ['retry', retry]]) {
      assert.equal(request.referrerPolicy, expected.referrerPolicy, `${name} referrerPolicy`);
      assert.equal(request.referrer, expected.referrer, `${name} referrer`);
    }
  });
}

test("fidelity (the runtime's fetch): headers given as a one-shot iterator are on the retry too", async (t) => {
  // An iterator of pairs is a valid HeadersInit that one read uses up: such a call must not be
  // sent as (input, init) and read again after the 402.
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const { fetchFn } = MODES[1][1](t);
  const paying = x402.wrapFetch(fetchFn, { wallets: [wallet] });
  const pairs = () => new Map([['authorization', 'Bearer secret'], ['x-k', 'v']]).entries();
  function* generated() { yield ['authorization', 'Bearer secret']; yield ['x-k', 'v']; }
  for (const headers of [pairs(), generated()]) {
    server.requests.length = 0;
    assert.equal((await paying(server.url('/paid'), { headers })).status, 200);
    assert.deepEqual(server.requests.map((r) => [r.headers.authorization, r.headers['x-k']]),
      [['Bearer secret', 'v'], ['Bearer secret', 'v']]);
  }
});

test("fidelity: a request without a body goes to the runtime's fetch as the caller gave it (its init as it was at the call)", async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const { capture, fetchFn } = MODES[1][1](t);
  const paying = x402.wrapFetch(fetchFn, { wallets: [wallet] });
  const controller = new AbortController();
  const init = { headers: { 'x-k': 'v' }, signal: controller.signal, cache: 'no-cache' };
  const url = server.url('/paid?q=1');
  assert.equal((await paying(url, init)).status, 200);
  assert.equal(capture.seen.length, 2);
  assert.equal(capture.seen[0].input, url);
  // A copy taken at the call, as fetch takes its init: the same members, the headers copied.
  const sent = capture.seen[0].init;
  assert.notEqual(sent, init);
  assert.deepEqual(Object.keys(sent).sort(), Object.keys(init).sort());
  assert.equal(sent.signal, init.signal);
  assert.equal(sent.cache, 'no-cache');
  assert.deepEqual([...new Headers(sent.headers)], [['x-k', 'v']]);
  const retry = requestsOf(capture, MODES[1][0])[1];
  assert.equal(retry.url, url);
  assert.equal(retry.method, 'GET');
  assert.equal(retry.cache, 'no-cache');
  assert.equal(retry.headers.get('x-k'), 'v');
  assert.ok(retry.headers.get('payment-signature'));
  // The caller's signal still governs the retry.
  controller.abort();
  assert.equal(retry.signal.aborted, true);
  assert.deepEqual(server.requests.map((r) => r.headers['x-k']), ['v', 'v']);
});

test('fidelity: the paid retry goes where the 402 came from, with every init member, whatever the caller changes meanwhile', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] }, '/other': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  // A URL object the caller moves on while the user approves.
  const url = new URL(server.url('/paid?page=1'));
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: async () => {
      url.pathname = '/other';
      url.searchParams.set('page', '2');
      return true;
    },
  });
  assert.equal((await paying(url)).status, 200);
  assert.deepEqual(server.requests.map((r) => r.url), [server.url('/paid?page=1'), server.url('/paid?page=1')]);
  // Members fetch reads but Object.assign would not copy (not enumerable), in a plain init.
  const init = {};
  Object.defineProperty(init, 'method', { value: 'DELETE', enumerable: false });
  Object.defineProperty(init, 'headers', { value: { 'x-hidden': 'yes' }, enumerable: false });
  const plain = x402.wrapFetch(fetch, { wallets: [wallet] });
  assert.equal((await plain(server.url('/paid'), init)).status, 200);
  const [first, retry] = server.requests.slice(2);
  assert.deepEqual([first.method, retry.method], ['DELETE', 'DELETE']);
  assert.deepEqual([first.headers['x-hidden'], retry.headers['x-hidden']], ['yes', 'yes']);
  assert.ok(retry.headers['payment-signature']);
  // A member the init inherits (from a prototype that has none of its own), read as fetch reads it.
  const inherited = Object.create(Object.create(null, { method: { value: 'PUT', enumerable: true } }));
  assert.equal((await plain(server.url('/paid'), inherited)).status, 200);
  assert.deepEqual(server.requests.slice(4).map((r) => r.method), ['PUT', 'PUT']);
});

test('fidelity: abort before the request: AbortError, nothing sent, no wallet call', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(paying(server.url('/paid'), { signal: controller.signal }), { name: 'AbortError' });
  assert.equal(server.requests.length, 0);
  assert.equal(calls.signTypedData.length + calls.getAddress, 0);
});

test('fidelity: abort during approval: AbortError, no wallet call, no payment; the budget comes back', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const controller = new AbortController();
  let asked = 0;
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { budget: { total: '0.01' } },
    onPaymentRequired: async () => {
      asked += 1;
      if (asked === 1) {
        controller.abort();
        await sleep(20);
      }
      return true;
    },
  });
  await assert.rejects(paying(server.url('/paid'), { signal: controller.signal }), { name: 'AbortError' });
  assert.equal(asked, 1);
  assert.equal(calls.signTypedData.length, 0);
  assert.equal(server.payments.length, 0);
  assert.equal(server.requests.length, 1);
  // Nothing was paid: the one cent reserved is available again.
  assert.equal((await paying(server.url('/paid'))).status, 200);
  assert.equal(server.payments.length, 1);
});

test('fidelity: abort while signing: AbortError, the signature is never sent', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const controller = new AbortController();
  const { wallet, calls } = countingWallet(x402, {
    beforeSign: async () => {
      controller.abort();
      await sleep(20);
    },
  });
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.01' } } });
  await assert.rejects(paying(server.url('/paid'), { signal: controller.signal }), { name: 'AbortError' });
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.payments.length, 0);
  assert.equal(server.requests.length, 1);
  // The reservation was released: a new request can spend the cent.
  assert.equal((await paying(server.url('/paid'))).status, 200);
});

test('fidelity: abort while the approval prompt is still open rejects promptly (does not wait for the user)', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const controller = new AbortController();
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => new Promise(() => {}) });
  const pending = paying(server.url('/paid'), { signal: controller.signal });
  await sleep(100);
  controller.abort();
  const outcome = await Promise.race([
    pending.then(() => 'resolved', (e) => e.name),
    sleep(1000).then(() => 'still pending 1 s after abort'),
  ]);
  assert.equal(outcome, 'AbortError');
  assert.equal(calls.signTypedData.length, 0);
});

test('fidelity: abort while the wallet prompt is still open rejects promptly', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402, { beforeSign: () => new Promise(() => {}) });
  const controller = new AbortController();
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const pending = paying(server.url('/paid'), { signal: controller.signal });
  await sleep(100);
  controller.abort();
  const outcome = await Promise.race([
    pending.then(() => 'resolved', (e) => e.name),
    sleep(1000).then(() => 'still pending 1 s after abort'),
  ]);
  assert.equal(outcome, 'AbortError');
  assert.equal(server.payments.length, 0);
});
