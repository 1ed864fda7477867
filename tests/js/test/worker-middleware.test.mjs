// paymentRequired (x402-wasm/worker, the packed package's Node entry) against attacks on the
// middleware itself, found by an adversarial review: paths a router reads as the paid route
// (percent-escapes, repeated or trailing slashes, case, HEAD for GET) must pay; a facilitator that
// stalls its body times out; a facilitator failing during /verify gives the replay key back;
// reasons of the wrong type from a facilitator cannot break the Worker; a v1 payment gets its
// failure in X-PAYMENT-RESPONSE with the reason in the v1 body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { resolveFromProject } from '../lib/pkg.mjs';
import { TEST_KEY } from '../lib/paid-server.mjs';

setFlagsFromString('--expose-gc');
/** A full garbage collection, then a task turn for finalizers (this file runs without --expose-gc). */
const collect = async () => {
  runInNewContext('gc')();
  await new Promise((resolve) => { setTimeout(resolve, 20); });
};

const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));
const x402 = await import(pathToFileURL(resolveFromProject('x402-wasm')));

const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
const route = (extra = {}) => ({ accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.01' }], ...extra });
const handler = () => new Response('{"paid":"weather"}', { headers: { 'content-type': 'application/json' } });

/** A facilitator object (verify/settle) answering from `answers`, counting its calls. */
function facilitator(answers = {}) {
  const calls = { verify: 0, settle: 0 };
  return {
    calls,
    async verify() { calls.verify += 1; return answers.verify ? answers.verify(calls.verify) : { isValid: true }; },
    // Settles on the payment's network, as a facilitator does.
    async settle(_, requirement) { calls.settle += 1; return answers.settle ? answers.settle(calls.settle) : { success: true, transaction: `0x${'ab'.repeat(32)}`, network: requirement.network }; },
  };
}

/** A paid request for the route's 402 (made by our client), to `url` with `method`. */
async function paid(pay, url, { method = 'GET', v1 = false } = {}) {
  const challenge = await pay(new Request(url));
  assert.equal(challenge.status, 402);
  const document = v1 ? await challenge.json() : x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
  const payload = await x402.createPaymentPayload(document, 0, x402.evmPrivateKeyWallet(TEST_KEY));
  return new Request(url, { method, headers: { [v1 ? 'x-payment' : 'payment-signature']: x402.encodePaymentHeader(payload) } });
}

test('middleware: every spelling of a paid path a router may read as it is paid for, HEAD included', async () => {
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route(), 'GET /premium/*': route() }, facilitator: facilitator() });
  let served = 0;
  const next = () => { served += 1; return handler(); };
  const spellings = ['/weather', '/%77eather', '/%57EATHER', '//weather', '/weather/', '/Weather', '/./weather', '/x/../weather',
    '/%2e/weather', '/premium', '/premium/x', '/%70remium/x', '/premium//x'];
  for (const path of spellings) {
    const response = await pay(new Request(`https://api.example${path}`), {}, {}, next);
    assert.equal(response.status, 402, `${path} was served without payment`);
  }
  const head = await pay(new Request('https://api.example/weather', { method: 'HEAD' }), {}, {}, next);
  assert.equal(head.status, 402, 'HEAD ran the GET handler unpaid');
  // Non-ASCII routes match their percent-encoded paths; a method fetch keeps in lower case matches.
  const more = worker.paymentRequired({ routes: { 'GET /météo': route(), 'PATCH /notes': route() }, facilitator: facilitator() });
  assert.equal((await more(new Request('https://api.example/m%C3%A9t%C3%A9o'), {}, {}, next)).status, 402);
  assert.equal((await more(new Request('https://api.example/M%C3%89T%C3%89O/'), {}, {}, next)).status, 402);
  assert.equal((await more(new Request('https://api.example/notes', { method: 'patch' }), {}, {}, next)).status, 402);
  assert.equal(served, 0);
  // Other paths and methods still pass through.
  for (const [method, path] of [['GET', '/weathers'], ['GET', '/premiumx'], ['POST', '/weather'], ['GET', '/']]) {
    assert.equal((await pay(new Request(`https://api.example${path}`, { method }), {}, {}, next)).status, 200, `${method} ${path}`);
  }
  assert.equal(served, 4);
});

test('middleware: an encoded slash in a placeholder\'s segment is paid for, whichever way the router reads it', async () => {
  const pay = worker.paymentRequired({
    routes: { 'GET /api/:id': route(), 'GET /files/[name]/raw': route(), 'GET /docs/a/b': route() },
    facilitator: facilitator(),
  });
  let served = 0;
  const next = () => { served += 1; return handler(); };
  // Hono and Express match /api/:id with id "4/2" (the escape kept in one segment); a router that
  // decodes first reads /api/4/2. Both were paid for only in the second reading.
  for (const path of ['/api/42', '/api/4%2F2', '/api/%2F', '/api/a%2f..', '/files/a%2Fb/raw', '/docs%2Fa%2fb', '/docs/a%2Fb']) {
    const response = await pay(new Request(`https://api.example${path}`), {}, {}, next);
    assert.equal(response.status, 402, `${path} was served without payment`);
  }
  assert.equal(served, 0);
  // Paths no route names in either reading still pass through.
  for (const path of ['/api/4/2', '/files/a/b/raw', '/docs%2Fa']) {
    assert.equal((await pay(new Request(`https://api.example${path}`), {}, {}, next)).status, 200, path);
  }
  assert.equal(served, 3);
  // Two readings matching two routes: either price could be the wrong handler's. Refused, unpaid.
  const cheap = { accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.001' }] };
  const dear = { accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$5' }] };
  for (const [routes, path] of [
    [{ 'GET /:page': cheap, 'GET /premium/*': dear }, '/premium%2Freport'],
    [{ 'GET /api/a/b': cheap, 'GET /api/:id': dear }, '/api/a%2Fb'],
  ]) {
    const priced = worker.paymentRequired({ routes, facilitator: facilitator() });
    const response = await priced(new Request(`https://api.example${path}`), {}, {}, next);
    assert.equal(response.status, 400, path);
    assert.equal((await response.json()).error, 'ambiguous_path');
    // One route under both readings (the same config) is no ambiguity.
    const same = worker.paymentRequired({ routes: { 'GET /:page': dear, 'GET /premium/*': dear }, facilitator: facilitator() });
    assert.equal((await same(new Request('https://api.example/premium%2Freport'), {}, {}, next)).status, 402);
  }
  assert.equal(served, 3);
});

test('middleware: a /settle success for another payer, network or amount, or naming no transaction of the chain, is not this payment\'s: not served', async () => {
  const payer = x402.evmPrivateKeyWallet(TEST_KEY).address;
  const tx = `0x${'ab'.repeat(32)}`;
  const good = { success: true, transaction: tx, network: 'eip155:84532', payer, amount: '10000' };
  const wrong = [
    { ...good, payer: '0x2222222222222222222222222222222222222222' },
    { ...good, network: 'eip155:1' },
    { ...good, amount: '1' },
    { ...good, transaction: 'lol' },
    { ...good, transaction: '0x01' },
  ];
  for (const settlement of wrong) {
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator({ settle: () => settlement }), replayStore: worker.memoryReplayStore() });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, handler);
    assert.equal(response.status, 402, JSON.stringify(settlement));
    assert.equal(x402.decodePaymentResponse(response.headers.get('payment-response')).errorReason, 'unexpected_settle_error');
    assert.doesNotMatch(await response.text(), /"paid"/);
  }
  // The payment's own, in any spelling of its payer and network (v1 name), is served.
  for (const settlement of [good, { ...good, payer: payer.toLowerCase(), network: 'base-sepolia' }, { success: true, transaction: tx }]) {
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator({ settle: () => settlement }), replayStore: worker.memoryReplayStore() });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, handler);
    assert.equal(response.status, 200, JSON.stringify(settlement));
  }
});

test('middleware: a replay store failing after the payment-identifier claim gives the id back; the same payment then works', async () => {
  const inner = worker.memoryReplayStore();
  let fail = true;
  const store = {
    ...inner,
    async reserve(key, expiresAt) {
      if (!key.startsWith('pid/') && fail) {
        fail = false;
        throw new Error('replay store: 503 Durable Object is overloaded');
      }
      return inner.reserve(key, expiresAt);
    },
  };
  const fac = facilitator();
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route({ paymentIdentifier: true }) }, facilitator: fac, replayStore: store });
  const challenge = await pay(new Request('https://api.example/weather'));
  const document = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
  const payload = await x402.createPaymentPayload(document, 0, x402.evmPrivateKeyWallet(TEST_KEY), { paymentId: 'order_0000000000000042' });
  const request = () => new Request('https://api.example/weather', { headers: { 'payment-signature': x402.encodePaymentHeader(payload) } });
  let served = 0;
  const next = () => { served += 1; return handler(); };
  await assert.rejects(pay(request(), {}, {}, next), /Durable Object is overloaded/);
  assert.deepEqual([served, fac.calls.settle], [0, 0]);
  // The id was held for 15 minutes (409 payment_in_progress) although nothing was charged.
  const again = await pay(request(), {}, {}, next);
  assert.equal(again.status, 200, await again.clone().text());
  assert.deepEqual([served, fac.calls.settle], [1, 1]);
});

test('middleware: a paid answer keeps no CDN-targeted cache header (CDN-Cache-Control, Cloudflare-CDN-Cache-Control, Surrogate-Control)', async () => {
  const cached = () => new Response('{"paid":"weather"}', {
    headers: { 'cache-control': 'public, max-age=600, s-maxage=600', 'cdn-cache-control': 'max-age=600', 'cloudflare-cdn-cache-control': 'max-age=600', 'surrogate-control': 'max-age=600' },
  });
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, cached);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'max-age=600, private');
  for (const name of ['cdn-cache-control', 'cloudflare-cdn-cache-control', 'surrogate-control']) assert.equal(response.headers.get(name), null, name);
});

test('middleware: a facilitator failing during /verify gives the replay key back; the same payment works once it answers', async () => {
  let down = true;
  const fac = facilitator({ verify: () => { if (down) throw new x402.X402Error('down', 'FACILITATOR_UNAVAILABLE'); return { isValid: true }; } });
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, verifyWithFacilitator: true, replayStore: worker.memoryReplayStore() });
  const request = await paid(pay, 'https://api.example/weather');
  await assert.rejects(pay(request.clone(), {}, {}, handler), { code: 'FACILITATOR_UNAVAILABLE' });
  down = false;
  const response = await pay(request.clone(), {}, {}, handler);
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(fac.calls.settle, 1);
});

test('middleware: a facilitator that verified another payer\'s payment (its /verify payer) is refused before the handler; the key is given back', async () => {
  const payer = x402.evmPrivateKeyWallet(TEST_KEY).address;
  const other = '0x8FF9dBe4cD2F4ff3C2a9BF1A0E7C58C0D1e9eE11';
  let says = other;
  const fac = facilitator({ verify: () => ({ isValid: true, payer: says }) });
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, verifyWithFacilitator: true, replayStore: worker.memoryReplayStore() });
  let served = 0;
  const next = () => { served += 1; return handler(); };
  const request = await paid(pay, 'https://api.example/weather');
  const refused = await pay(request.clone(), {}, {}, next);
  assert.equal(refused.status, 402);
  assert.equal(x402.decodePaymentResponse(refused.headers.get('payment-response')).errorReason, 'invalid_payload');
  assert.deepEqual([served, fac.calls.settle], [0, 0]);
  // The same payer in another case is the same payer; the released key lets the payment through.
  says = payer.toLowerCase();
  assert.equal((await pay(request.clone(), {}, {}, next)).status, 200);
  assert.deepEqual([served, fac.calls.settle], [1, 1]);
});

test('middleware: a payment holding an integer past 2^53 (in its extensions) is a 400 INVALID_PAYLOAD, not a thrown error', async () => {
  const fac = facilitator();
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, replayStore: worker.memoryReplayStore() });
  const request = await paid(pay, 'https://api.example/weather');
  const payment = x402.decodeHeader(request.headers.get('payment-signature'), 'PaymentPayload');
  let served = 0;
  // 2^64 and more too: the JSON parser holds those as floats (they were forwarded rounded).
  for (const n of ['18446744073709551615', '18446744073709551616', '100000000000000000000000']) {
    const text = JSON.stringify({ ...payment, extensions: { x: 1 } }).replace('"x":1', `"x":${n}`);
    const response = await pay(new Request(request.url, { headers: { 'payment-signature': Buffer.from(text).toString('base64') } }), {}, {},
      () => { served += 1; return handler(); });
    assert.equal(response.status, 400, n);
    assert.match(await response.text(), /INVALID_PAYLOAD/);
  }
  assert.deepEqual([served, fac.calls.settle], [0, 0]);
  // The same payment without the integer is paid.
  assert.equal((await pay(request, {}, {}, handler)).status, 200);
});

test('requirePayment: a Request-like object with a URL object as url and headers returning non-strings gets its 402', async () => {
  const requestLike = {
    url: new URL('https://api.example/weather'), method: 'GET',
    headers: { get: (name) => (name === 'payment-signature' ? 12345 : null), has: () => false },
  };
  for (let i = 0; i < 200; i += 1) {
    const { response } = await worker.requirePayment(requestLike, route(), {}, { facilitator: facilitator() });
    assert.equal(response.status, 402);
  }
});

test('middleware: reasons of the wrong type from a facilitator are replaced, never passed on', async () => {
  const refusing = worker.paymentRequired({ routes: { 'GET /weather': route() }, verifyWithFacilitator: true,
    facilitator: facilitator({ verify: () => ({ isValid: false, invalidReason: 42 }) }), replayStore: worker.memoryReplayStore() });
  const refused = await refusing(await paid(refusing, 'https://api.example/weather'), {}, {}, handler);
  assert.equal(refused.status, 402);
  assert.equal(x402.decodePaymentResponse(refused.headers.get('payment-response')).errorReason, 'invalid_payment');
  const failing = worker.paymentRequired({ routes: { 'GET /weather': route() },
    facilitator: facilitator({ settle: () => ({ success: false, errorReason: { code: 'x' }, transaction: 7 }) }), replayStore: worker.memoryReplayStore() });
  const failed = await failing(await paid(failing, 'https://api.example/weather'), {}, {}, handler);
  assert.equal(failed.status, 402);
  const settlement = x402.decodePaymentResponse(failed.headers.get('payment-response'));
  assert.deepEqual([settlement.success, settlement.errorReason, settlement.transaction], [false, 'settlement_failed', '']);
  // The instance still works.
  const fine = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  assert.equal((await fine(await paid(fine, 'https://api.example/weather'), {}, {}, handler)).status, 200);
});

test('middleware: a v1 payment that fails gets X-PAYMENT-RESPONSE, and the reason as the v1 body error', async () => {
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route({ acceptV1: true }) },
    facilitator: facilitator({ settle: () => ({ success: false, errorReason: 'insufficient_funds', transaction: '', network: 'base-sepolia' }) }),
    replayStore: worker.memoryReplayStore() });
  const response = await pay(await paid(pay, 'https://api.example/weather', { v1: true }), {}, {}, handler);
  assert.equal(response.status, 402);
  assert.equal(response.headers.get('payment-response'), null);
  const settlement = x402.decodePaymentResponse(response.headers.get('x-payment-response'));
  assert.deepEqual([settlement.success, settlement.errorReason], [false, 'insufficient_funds']);
  const body = await response.json();
  assert.deepEqual([body.x402Version, body.error], [1, 'insufficient_funds']);
});

test('middleware: a v1 payment refused by the local checks gets X-PAYMENT-RESPONSE and the reason in the v1 body', async () => {
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route({ acceptV1: true }) }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  const good = await paid(pay, 'https://api.example/weather', { v1: true });
  const payment = JSON.parse(Buffer.from(good.headers.get('x-payment'), 'base64').toString('utf8'));
  payment.payload.authorization.value = '1';
  const tampered = new Request(good.url, { headers: { 'x-payment': Buffer.from(JSON.stringify(payment)).toString('base64') } });
  const response = await pay(tampered, {}, {}, handler);
  assert.equal(response.status, 402);
  assert.equal(response.headers.get('payment-response'), null);
  const settlement = x402.decodePaymentResponse(response.headers.get('x-payment-response'));
  assert.deepEqual([settlement.success, settlement.errorReason], [false, 'invalid_exact_evm_payload_authorization_value_mismatch']);
  assert.equal((await response.json()).error, 'invalid_exact_evm_payload_authorization_value_mismatch');
});

test('createFacilitatorClient: a facilitator that sends its headers and then stalls times out', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"success":');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const client = worker.createFacilitatorClient({ url: `http://127.0.0.1:${server.address().port}`, settleTimeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(client.settle({ x402Version: 2 }, {}), { code: 'FACILITATOR_TIMEOUT' });
  assert.ok(Date.now() - started < 5_000, 'the stalled body held the call');
});

test('middleware: the official route syntax (*, [id], :id, "*") is paid for exactly where @x402/core\'s parseRoutePattern matches', async () => {
  const { x402HTTPResourceServer } = await import('@x402/core/server');
  const { parseRoutePattern, normalizePath } = x402HTTPResourceServer.prototype;
  const charges = (pattern, path) => parseRoutePattern.call(null, pattern).regex.test(normalizePath.call(null, path));
  const patterns = ['GET /api/*/premium', 'GET /premium*', 'GET /users/:id', 'GET /users/[id]/posts', 'GET /files/*.pdf', '*', 'GET /v1/*', '/a.b/*/c(d)'];
  const paths = ['/api/v1/premium', '/api/v1/v2/premium', '/api/premium', '/premium', '/premium-report', '/premiu', '/users/42', '/users/42/x',
    '/users', '/users/7/posts', '/users//posts', '/files/a.pdf', '/files/x/y.pdf', '/files/a.pdfx', '/v1', '/v1/x/y', '/v10', '/anything',
    '/a.b/x/c(d)', '/aXb/x/c(d)'];
  let served = 0;
  const next = () => { served += 1; return handler(); };
  for (const pattern of patterns) {
    const pay = worker.paymentRequired({ routes: { [pattern]: route() }, facilitator: facilitator() });
    for (const path of paths) {
      const status = (await pay(new Request(`https://api.example${path}`), {}, {}, next)).status;
      const official = charges(pattern, path);
      assert.equal(status, official ? 402 : 200, `${pattern} on ${path}: the official middleware ${official ? 'charges' : 'does not charge'}`);
    }
  }
  assert.ok(served > 0 && served < patterns.length * paths.length, 'both outcomes were seen');
});

test('middleware: a handler\'s own Access-Control-Expose-Headers keeps its names and gains PAYMENT-RESPONSE', async () => {
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  const own = () => new Response('{}', { headers: { 'access-control-expose-headers': 'X-Request-Id', 'access-control-allow-origin': 'https://app.example' } });
  const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, own);
  assert.equal(response.status, 200);
  const exposed = response.headers.get('access-control-expose-headers').split(',').map((h) => h.trim().toUpperCase());
  assert.ok(exposed.includes('X-REQUEST-ID') && exposed.includes('PAYMENT-RESPONSE'), exposed.join());
  assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example', 'the handler\'s origin is kept');
});

test('middleware: a paid answer is private and varies on the payment headers, whatever Cache-Control the handler set', async () => {
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  const cached = () => new Response('{"paid":"weather"}', { headers: { 'cache-control': 'public, max-age=600', vary: 'Accept-Encoding' } });
  const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, cached);
  assert.equal(response.status, 200);
  const vary = response.headers.get('vary').split(',').map((h) => h.trim().toLowerCase());
  assert.deepEqual(vary, ['accept-encoding', 'payment-signature', 'x-payment']);
  assert.equal(response.headers.get('cache-control'), 'max-age=600, private');
  const plain = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, handler);
  assert.equal(plain.headers.get('cache-control'), 'private');
});

test('middleware: only a settlement answer with success === true serves the resource', async () => {
  for (const answer of [{ success: 'false' }, { success: 1, transaction: `0x${'ab'.repeat(32)}` }, undefined, null, 'ok']) {
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator({ settle: () => answer }), replayStore: worker.memoryReplayStore() });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, handler);
    assert.equal(response.status, 402, JSON.stringify(answer));
    assert.doesNotMatch(await response.text(), /paid/, 'no resource body');
    const settlement = x402.decodePaymentResponse(response.headers.get('payment-response'));
    assert.deepEqual([settlement.success, settlement.errorReason], [false, 'unexpected_settle_error'], JSON.stringify(answer));
  }
});

test('middleware: a v1 route\'s 402 body offers only networks the official v1 client reads; a v1 payment on the others is still taken', async () => {
  const { PaymentRequirementsSchema } = await import('x402/types');
  const accepts = ['eip155:42161', 'base-sepolia', 'eip155:1', 'base'].map((network) => ({ network, payTo: PAY_TO, price: '$0.01' }));
  const pay = worker.paymentRequired({ routes: { 'GET /weather': { accepts, acceptV1: true } }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() });
  const challenge = await pay(new Request('https://api.example/weather'), {}, {}, handler);
  const body = await challenge.json();
  assert.deepEqual(body.accepts.map((r) => r.network), ['base-sepolia', 'base']);
  // What x402-fetch 1.x does with the body; it throws on a network it does not know.
  for (const requirement of body.accepts) PaymentRequirementsSchema.parse(requirement);
  assert.equal(x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired').accepts.length, 4, 'v2 offers every network');

  // A v1 client that knows "arbitrum" may still pay with it.
  const arbitrum = { ...body.accepts[0], network: 'arbitrum', asset: '0xaf88d065e77c8cC2239327C5EDb3A432268e5831', extra: { name: 'USD Coin', version: '2' } };
  const payload = await x402.createPaymentPayload({ x402Version: 1, accepts: [arbitrum] }, 0, x402.evmPrivateKeyWallet(TEST_KEY));
  const response = await pay(new Request('https://api.example/weather', { headers: { 'x-payment': x402.encodePaymentHeader(payload) } }), {}, {}, handler);
  assert.equal(response.status, 200, await response.clone().text());
});

test('middleware: a fractional clock override is used (rounded down), not ignored; one that is not a number is refused', async () => {
  const past = { routes: { 'GET /weather': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore() };
  const atNow = worker.paymentRequired(past);
  const request = await paid(atNow, 'https://api.example/weather');
  // In 2001 the authorization (valid from a few seconds ago) is not valid yet.
  const early = worker.paymentRequired({ ...past, now: 1e9 + 0.5 });
  assert.equal((await early(request.clone(), {}, {}, handler)).status, 402);
  const wrong = worker.paymentRequired({ ...past, now: 'soon' });
  await assert.rejects(wrong(request.clone(), {}, {}, handler), { code: 'INVALID_ARGUMENT' });
  assert.equal((await atNow(request.clone(), {}, {}, handler)).status, 200);
});

test('middleware: a route no client could pay is refused when the middleware is made, naming the route', () => {
  const solana = { network: 'solana-devnet', payTo: '9iwnHYithMG2kK9j7HnNWsvn9MaJVqSqmdEN62xyKc8K', price: '$0.01' };
  const token = { network: 'eip155:84532', payTo: PAY_TO, price: { amount: '10000', asset: '0x1111111111111111111111111111111111111111' } };
  const unpayable = {
    'nothing offered': [{ accepts: [] }, /accepts is empty/],
    'no time to pay': [route({ accepts: [{ ...route().accepts[0], maxTimeoutSeconds: 0 }] }), /maxTimeoutSeconds/],
    'Solana without a fee payer': [{ accepts: [solana] }, /feePayer/],
    'a token without its EIP-712 domain': [{ accepts: [token] }, /EIP-712/],
    'a scheme the gate cannot verify': [route({ accepts: [{ ...route().accepts[0], scheme: 'upto' }] }), /scheme "upto": only "exact"/],
  };
  for (const [what, [config, reason]] of Object.entries(unpayable)) {
    assert.throws(
      () => worker.paymentRequired({ routes: { 'GET /fine': route(), 'POST /broken': config }, facilitator: facilitator() }),
      (error) => {
        assert.ok(error instanceof x402.X402Error, what);
        assert.equal(error.code, 'INVALID_ROUTE_CONFIG', what);
        assert.match(error.message, /^routes\["POST \/broken"\]: /, what);
        assert.match(error.message, reason, what);
        return true;
      },
      what,
    );
  }
  const fixed = { accepts: [{ ...solana, extra: { feePayer: 'A8pFDXgRiTVHhKsJqmMV2rYsfHok8dH2xaqdyFYwvueD' } }] };
  assert.equal(typeof worker.paymentRequired({ routes: { 'POST /fixed': fixed }, facilitator: facilitator() }), 'function');
});

test('middleware: a route key no request could match is refused when the middleware is made; the forms that match are kept', async () => {
  const refused = {
    ' GET /weather': /"METHOD \/path"/,
    'GET /weather ': /"METHOD \/path"/,
    'GETT /weather': /"GETT" is not a method/,
    'GET,POST /weather': /"GET,POST" is not a method/,
    'GET /weather?city=paris': /no query string/,
    'GET /weather#now': /no query string/,
    'GET https://api.example/weather': /"METHOD \/path"/,
    'api.example/weather': /"METHOD \/path"/,
    'GET /items/{id}': /":name" or "\[name\]"/,
    'GET /a /b': /"METHOD \/path"/,
    '': /"METHOD \/path"/,
  };
  for (const [key, reason] of Object.entries(refused)) {
    assert.throws(
      () => worker.paymentRequired({ routes: { 'GET /fine': route(), [key]: route() }, facilitator: facilitator() }),
      (error) => error.code === 'INVALID_ROUTE_CONFIG' && error.message.startsWith(`routes[${JSON.stringify(key)}]: `) && reason.test(error.message),
      JSON.stringify(key),
    );
  }
  // Every accepted form still asks payment for the requests it names.
  const accepted = { 'get /a': '/a', 'POST  /b': '/b', '* /c': '/c', '/d': '/d', '/e/*': '/e/x', 'GET /f/:id': '/f/1', 'GET /g/[id]': '/g/2' };
  const pay = worker.paymentRequired({
    routes: Object.fromEntries(Object.keys(accepted).map((key) => [key, route()])), facilitator: facilitator(),
  });
  for (const [key, path] of Object.entries(accepted)) {
    const method = key.startsWith('POST') ? 'POST' : 'GET';
    const response = await pay(new Request(`https://api.example${path}`, { method }), {}, {}, handler);
    assert.equal(response.status, 402, `${key}: ${method} ${path}`);
  }
  const everything = worker.paymentRequired({ routes: { '*': route() }, facilitator: facilitator() });
  assert.equal((await everything(new Request('https://api.example/any/path'), {}, {}, handler)).status, 402);
});

test('middleware: a /settle success that names no transaction is a failed settlement, not a served resource', async () => {
  for (const answer of [{ success: true }, { success: true, transaction: '' }, { success: true, transaction: 7 }]) {
    let served = 0;
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator({ settle: () => answer }), replayStore: worker.memoryReplayStore() });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, () => { served += 1; return handler(); });
    assert.equal(response.status, 402, JSON.stringify(answer));
    assert.doesNotMatch(await response.text(), /paid/, 'no resource body');
    const settlement = x402.decodePaymentResponse(response.headers.get('payment-response'));
    assert.deepEqual([settlement.success, settlement.errorReason], [false, 'unexpected_settle_error'], JSON.stringify(answer));
  }
});

test('middleware: PAYMENT-RESPONSE holds the settlement\'s own members, bounded: a huge facilitator answer cannot make it too large', async () => {
  const transaction = `0x${'cd'.repeat(32)}`;
  const payer = x402.evmPrivateKeyWallet(TEST_KEY).address;
  const answers = {
    small: { success: true, transaction, network: 'eip155:84532', payer, amount: '10000', extensions: { note: 'kept' }, extra: { chargedAmount: '10000' }, internal: { debug: 'x'.repeat(100) } },
    huge: { success: true, transaction, network: 'eip155:84532', payer, extensions: { padding: 'x'.repeat(30_000) }, trace: 'y'.repeat(30_000) },
  };
  for (const [name, answer] of Object.entries(answers)) {
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: facilitator({ settle: () => answer }), replayStore: worker.memoryReplayStore() });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, handler);
    assert.equal(response.status, 200, name);
    const header = response.headers.get('payment-response');
    assert.ok(header.length <= 8 * 1024, `${name}: ${header.length} bytes`);
    const receipt = x402.decodePaymentResponse(header);
    assert.deepEqual([receipt.success, receipt.transaction, receipt.network, receipt.payer], [true, transaction, 'eip155:84532', payer], name);
    assert.equal(receipt.internal ?? receipt.trace, undefined, `${name}: members that are not the settlement's stay out`);
    assert.deepEqual(receipt.extensions, name === 'small' ? { note: 'kept' } : undefined, name);
    assert.deepEqual(receipt.extra, name === 'small' ? { chargedAmount: '10000' } : undefined, name);
  }
});

test('middleware: a handler answer that cannot be sent is never settled; its payment stays usable', async () => {
  const fac = facilitator();
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, replayStore: worker.memoryReplayStore() });
  const request = await paid(pay, 'https://api.example/weather');
  const read = async () => { const r = handler(); await r.text(); return r; };
  await assert.rejects(pay(request.clone(), {}, {}, read), TypeError);
  for (const answer of ['not a Response', {}, { status: 200, ok: true }, [1, 2]]) {
    await assert.rejects(pay(request.clone(), {}, {}, () => answer), TypeError, JSON.stringify(answer));
  }
  assert.equal(fac.calls.settle, 0, 'nothing settled');
  assert.equal((await pay(request.clone(), {}, {}, handler)).status, 200, 'the key was given back');
  assert.equal(fac.calls.settle, 1);
});

test('middleware: a missing facilitator is refused when the middleware is made, or at the first request, before a payment is reserved', async () => {
  assert.throws(() => worker.paymentRequired({ routes: { 'GET /weather': route() } }), { code: 'INVALID_ARGUMENT', message: /facilitator/ });
  // A function of env that finds nothing (a missing secret): refused at once, even without a payment.
  let env = {};
  const fac = facilitator();
  const store = worker.memoryReplayStore();
  const pay = worker.paymentRequired({
    routes: { 'GET /weather': route() }, replayStore: store,
    facilitator: (e) => (e.FACILITATOR === 'on' ? fac : e.FACILITATOR_URL && { url: e.FACILITATOR_URL }),
  });
  let served = 0;
  const next = () => { served += 1; return handler(); };
  await assert.rejects(pay(new Request('https://api.example/weather'), env, {}, next), { code: 'INVALID_ARGUMENT' });
  env = { FACILITATOR: 'on' };
  const request = await (async () => {
    const challenge = await pay(new Request('https://api.example/weather'), env, {}, next);
    const document = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
    const payload = await x402.createPaymentPayload(document, 0, x402.evmPrivateKeyWallet(TEST_KEY));
    return new Request('https://api.example/weather', { headers: { 'payment-signature': x402.encodePaymentHeader(payload) } });
  })();
  await assert.rejects(pay(request.clone(), {}, {}, next), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(pay(request.clone(), { FACILITATOR_URL: 'not a url' }, {}, next), { code: 'INVALID_ARGUMENT' });
  assert.equal(served, 0, 'the handler never ran without a facilitator');
  // The payment was never reserved: once configured, it is served and settled.
  assert.equal((await pay(request.clone(), env, {}, next)).status, 200);
  assert.deepEqual([served, fac.calls.settle], [1, 1]);
});

test('durableObjectReplayStore: a missing binding is refused when the store is made, in words', () => {
  for (const namespace of [undefined, null, {}, { get() {} }]) {
    assert.throws(() => worker.durableObjectReplayStore(namespace), (error) => {
      assert.ok(error instanceof x402.X402Error);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, /Durable Object namespace binding/);
      return true;
    });
  }
});

test('a misspelt option of paymentRequired, requirePayment or a facilitator client is refused, not dropped', async () => {
  const refused = (fn, named) => assert.throws(fn, (e) => e instanceof x402.X402Error && e.code === 'INVALID_ARGUMENT' && named.test(e.message));
  refused(() => worker.paymentRequired({ routes: { '/w': route() }, facilitator: facilitator(), verifyWithFacilitater: true }),
    /paymentRequired: unknown option verifyWithFacilitater \(did you mean verifyWithFacilitator\?\)/);
  refused(() => worker.paymentRequired({ routes: { '/w': route() }, facilitator: facilitator(), settleBeforehandler: true }),
    /did you mean settleBeforeHandler\?/);
  refused(() => worker.createFacilitatorClient({ url: 'https://f.example', timeout: 500 }), /unknown option timeout/);
  await assert.rejects(worker.requirePayment(new Request('https://api.example/w'), route(), {}, { replaystore: worker.memoryReplayStore() }),
    (e) => e.code === 'INVALID_ARGUMENT' && /did you mean replayStore\?/.test(e.message));
  // The documented ones are taken.
  const pay = worker.paymentRequired({
    routes: { '/w': route() }, facilitator: facilitator(), replayStore: worker.memoryReplayStore(), verifyWithFacilitator: false,
    cors: { origin: '*' }, now: 1_800_000_000, settleBeforeHandler: false,
  });
  assert.equal((await pay(new Request('https://api.example/w'), {}, {}, handler)).status, 402);
});

test('middleware: a handler answering with an upstream fetch Response is paid for a body that still reads in full, garbage collection meanwhile', async (t) => {
  // Node's fetch cancels the body of a fetch Response once it is garbage-collected; the paid answer
  // shares that body, so the handler's Response must live as long as the paid one.
  const upstream = createServer((request, response) => { response.end('U'.repeat(100_000)); });
  await new Promise((resolve) => { upstream.listen(0, '127.0.0.1', resolve); });
  t.after(() => upstream.close());
  const next = () => fetch(`http://127.0.0.1:${upstream.address().port}/`);
  for (const settleBeforeHandler of [false, true]) {
    const settling = facilitator({
      settle: async () => {
        await collect();
        return { success: true, transaction: `0x${'ab'.repeat(32)}`, network: 'eip155:84532' };
      },
    });
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: settling, settleBeforeHandler });
    const response = await pay(await paid(pay, 'https://api.example/weather'), {}, {}, next);
    assert.equal(response.status, 200);
    assert.equal(settling.calls.settle, 1);
    await collect();
    await collect();
    assert.equal((await response.text()).length, 100_000, `settleBeforeHandler: ${settleBeforeHandler}`);
  }
});

test('middleware: a client gone before the handler runs is neither served nor charged; once the handler has run, the payment is settled', async () => {
  for (const settleBeforeHandler of [false, true]) {
    const fac = facilitator();
    const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, replayStore: worker.memoryReplayStore(), settleBeforeHandler });
    const request = await paid(pay, 'https://api.example/weather');
    let runs = 0;
    const work = () => { runs += 1; return handler(); };
    const left = new AbortController();
    left.abort();
    const response = await pay(new Request(request, { signal: left.signal }), {}, {}, work);
    assert.equal(response.status, 499, `settleBeforeHandler ${settleBeforeHandler}`);
    assert.deepEqual([runs, fac.calls.settle], [0, 0], 'neither served nor charged');
    // Leaving while the handler runs: its work is done, so the payment is settled, and is then spent.
    const leaving = new AbortController();
    const slow = () => { leaving.abort(); return work(); };
    assert.equal((await pay(new Request(request, { signal: leaving.signal }), {}, {}, slow)).status, 200);
    assert.deepEqual([runs, fac.calls.settle], [1, 1]);
    const again = await pay(request.clone(), {}, {}, work);
    assert.equal(again.status, 402, 'the settled payment cannot buy the work again');
    assert.equal(runs, 1);
  }
});

test('cors: origins from a list (or a function) are reflected with Vary: Origin, credentials allowed when asked; "*" with credentials refused', async () => {
  const fac = facilitator();
  const cors = { origin: ['https://app.example', 'https://www.app.example'], credentials: true };
  const pay = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, replayStore: worker.memoryReplayStore(), cors });
  const from = (origin, init = {}) => new Request('https://api.example/weather', { ...init, headers: { ...init.headers, origin } });
  const challenge = await pay(from('https://app.example'), {}, {}, handler);
  assert.equal(challenge.status, 402);
  assert.equal(challenge.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(challenge.headers.get('access-control-allow-credentials'), 'true');
  assert.match(challenge.headers.get('vary'), /Origin/);
  const stranger = await pay(from('https://evil.example'), {}, {}, handler);
  assert.equal(stranger.headers.get('access-control-allow-origin'), null, 'an origin not listed is not allowed');
  const preflight = await pay(from('https://www.app.example', { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }), {}, {}, handler);
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://www.app.example');
  assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
  // The paid answer: reflected too, Vary keeps the handler's and gains Origin and the payment headers.
  const request = await paid(pay, 'https://api.example/weather');
  const paidFrom = new Request(request, { headers: { ...Object.fromEntries(request.headers), origin: 'https://app.example' } });
  const answer = await pay(paidFrom, {}, {}, () => new Response('ok', { headers: { vary: 'Accept' } }));
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
  assert.deepEqual(answer.headers.get('vary').split(',').map((v) => v.trim()), ['Accept', 'Origin', 'PAYMENT-SIGNATURE', 'X-PAYMENT']);
  // A function decides; one that throws allows nothing.
  const byFunction = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, cors: { origin: (o) => o.endsWith('.app.example') } });
  assert.equal((await byFunction(from('https://a.app.example'), {}, {}, handler)).headers.get('access-control-allow-origin'), 'https://a.app.example');
  const throwing = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, cors: { origin: () => { throw new Error('x'); } } });
  assert.equal((await throwing(from('https://a.app.example'), {}, {}, handler)).headers.get('access-control-allow-origin'), null);
  // The default is unchanged: '*', no credentials, no Vary on Origin.
  const plain = await worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac })(from('https://x.example'), {}, {}, handler);
  assert.equal(plain.headers.get('access-control-allow-origin'), '*');
  assert.equal(plain.headers.get('access-control-allow-credentials'), null);
  // Refused when made: what browsers would refuse, and what is no origin.
  for (const wrong of [{ credentials: true }, { origin: '*', credentials: true }, { origin: 7 }, { origin: ['a', 1] }, { credentials: 'yes' }, { origins: ['a'] }, 'x']) {
    assert.throws(() => worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, cors: wrong }), { code: 'INVALID_ARGUMENT' }, JSON.stringify(wrong));
  }
  // What meant the default before these options still does.
  for (const old of [true, false, null, { origin: null }, { origin: null, credentials: null }]) {
    const made = worker.paymentRequired({ routes: { 'GET /weather': route() }, facilitator: fac, cors: old });
    assert.equal((await made(from('https://x.example'), {}, {}, handler)).headers.get('access-control-allow-origin'), '*', JSON.stringify(old));
  }
  // A handler's own CORS on the paid answer: its origin kept, unless '*' where credentials are on.
  const paidAgain = async (headers) => {
    const again = await paid(pay, 'https://api.example/weather');
    const fromApp = new Request(again, { headers: { ...Object.fromEntries(again.headers), origin: 'https://app.example' } });
    return pay(fromApp, {}, {}, () => new Response('ok', { headers }));
  };
  const star = await paidAgain({ 'access-control-allow-origin': '*', vary: 'Origin' });
  assert.equal(star.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(star.headers.get('access-control-allow-credentials'), 'true');
  assert.deepEqual(star.headers.get('vary').split(',').map((v) => v.trim()), ['Origin', 'PAYMENT-SIGNATURE', 'X-PAYMENT']);
  const own = await paidAgain({ 'access-control-allow-origin': 'https://partner.example' });
  assert.equal(own.headers.get('access-control-allow-origin'), 'https://partner.example');
  assert.equal(own.headers.get('access-control-allow-credentials'), null);
  // A handler reflecting the page's own origin (a generic cors()) without credentials: they are added,
  // as the 402 and the preflight promised the page that paid with them.
  const reflecting = await paidAgain({ 'access-control-allow-origin': 'https://app.example' });
  assert.equal(reflecting.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(reflecting.headers.get('access-control-allow-credentials'), 'true');
});
