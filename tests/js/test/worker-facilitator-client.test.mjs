// createFacilitatorClient of x402-wasm/worker (the packed package, Node entry) against a scripted
// facilitator on 127.0.0.1: no network until a method is called; /supported fetched lazily and
// cached for supportedTtlMs; the auth-header hook on every call; the /verify and /settle bodies;
// retries on 429 honouring Retry-After (seconds and HTTP date); the timeout; redirects not followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { resolveFromProject } from '../lib/pkg.mjs';

const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));

/** A loopback server answering with `script(req, body, n)` -> { status, headers?, body } | 'hang'. */
async function scripted(t, script) {
  const requests = [];
  const hanging = new Set();
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    const entry = { method: req.method, path: req.url, headers: req.headers, body: text ? JSON.parse(text) : undefined, at: Date.now() };
    requests.push(entry);
    const answer = await script(entry, requests.length);
    if (answer === 'hang') {
      hanging.add(res);
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  t.after(() => new Promise((resolve) => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${server.address().port}`, requests };
}

const SUPPORTED = { kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:31337' }], extensions: [], signers: {} };

test('no request at creation; /supported lazily fetched and cached for supportedTtlMs', async (t) => {
  const server = await scripted(t, () => ({ body: SUPPORTED }));
  // A TTL long enough for two calls on a loaded machine (the suite runs files in parallel).
  const client = worker.createFacilitatorClient({ url: `${server.url}/`, supportedTtlMs: 1500 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.requests.length, 0, 'creating the client does no network');
  assert.deepEqual(await client.supported(), SUPPORTED);
  assert.deepEqual(await client.supported(), SUPPORTED);
  assert.equal(server.requests.length, 1, 'cached');
  assert.equal(server.requests[0].method, 'GET');
  assert.equal(server.requests[0].path, '/supported', 'trailing slash of the url handled');
  await new Promise((r) => setTimeout(r, 1600));
  await client.supported();
  assert.equal(server.requests.length, 2, 'fetched again after the TTL');
});

test('verify and settle POST { x402Version, paymentPayload, paymentRequirements } with the auth-header hook', async (t) => {
  const server = await scripted(t, (req) => ({
    body: req.path === '/verify' ? { isValid: true, payer: '0xabc' } : { success: true, transaction: '0x01', network: 'eip155:31337' },
  }));
  const seen = [];
  const client = worker.createFacilitatorClient({
    url: server.url,
    headers: async ({ path }) => {
      seen.push(path);
      return { authorization: `Bearer token-for-${path}` };
    },
  });
  const payload = { x402Version: 2, accepted: { scheme: 'exact' }, payload: { signature: '0x' } };
  const requirements = { scheme: 'exact', network: 'eip155:31337' };
  assert.deepEqual(await client.verify(payload, requirements), { isValid: true, payer: '0xabc' });
  assert.equal((await client.settle(payload, requirements)).success, true);
  assert.deepEqual(seen, ['/verify', '/settle']);
  for (const [i, path] of ['/verify', '/settle'].entries()) {
    const req = server.requests[i];
    assert.equal(req.method, 'POST');
    assert.equal(req.path, path);
    assert.equal(req.headers.authorization, `Bearer token-for-${path}`);
    assert.match(req.headers['content-type'], /application\/json/);
    assert.deepEqual(req.body, { x402Version: 2, paymentPayload: payload, paymentRequirements: requirements });
  }

  const fixed = worker.createFacilitatorClient({ url: server.url, headers: { 'x-api-key': 'k' } });
  await fixed.verify(payload, requirements);
  assert.equal(server.requests.at(-1).headers['x-api-key'], 'k');
});

test('429 is retried after Retry-After (seconds, then an HTTP date); the answer after the retries is returned', async (t) => {
  const server = await scripted(t, (_req, n) => {
    if (n === 1) return { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } };
    if (n === 2) return { status: 429, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() }, body: {} };
    return { body: { isValid: true } };
  });
  const client = worker.createFacilitatorClient({ url: server.url, retries: 2 });
  const result = await client.verify({ x402Version: 2 }, {});
  assert.deepEqual(result, { isValid: true });
  assert.equal(server.requests.length, 3);
  const [a, b, c] = server.requests.map((r) => r.at);
  assert.ok(b - a >= 950, `waited ${b - a} ms after Retry-After: 1`);
  assert.ok(c - b >= 400, `waited ${c - b} ms after an HTTP-date Retry-After`); // date has 1 s resolution
});

test('429 beyond the retries is an error, not a verification result', async (t) => {
  const server = await scripted(t, () => ({ status: 429, headers: { 'retry-after': '0' }, body: { error: 'rate limited' } }));
  const client = worker.createFacilitatorClient({ url: server.url, retries: 1 });
  await assert.rejects(client.verify({ x402Version: 2 }, {}), (e) => e instanceof worker.X402Error);
  assert.equal(server.requests.length, 2, 'one try and one retry');
});

test('timeoutMs (settleTimeoutMs for /settle) aborts a facilitator that does not answer: FACILITATOR_TIMEOUT', async (t) => {
  const server = await scripted(t, () => 'hang');
  const client = worker.createFacilitatorClient({ url: server.url, timeoutMs: 200, settleTimeoutMs: 200 });
  for (const call of [() => client.verify({ x402Version: 2 }, {}), () => client.settle({ x402Version: 2 }, {})]) {
    const started = Date.now();
    await assert.rejects(call(), (e) => e instanceof worker.X402Error && e.code === 'FACILITATOR_TIMEOUT' && /did not answer within 200 ms/.test(e.message));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 180 && elapsed < 2000, `timed out after ${elapsed} ms`);
  }
});

test('timeoutMs, retries and the other settings are checked when the client is made: a timeout that would abort every /settle is refused', () => {
  const url = 'https://facilitator.example';
  const refused = {
    timeoutMs: [0, -1, NaN, Infinity, 2 ** 31, 1.5, '10s', '1000', null],
    retries: [-1, 1.5, 11, 1e9, 'x', NaN],
    supportedTtlMs: [-1, NaN, '5m'],
    headers: ['authorization: x', 7],
    fetch: ['fetch', {}],
  };
  for (const [name, values] of Object.entries(refused)) {
    for (const value of values) {
      assert.throws(() => worker.createFacilitatorClient({ url, [name]: value }),
        (e) => e instanceof worker.X402Error && e.code === 'INVALID_ARGUMENT' && e.message.includes(name), `${name}: ${String(value)}`);
    }
  }
  // The middleware made from settings refuses them at startup too, before any request.
  assert.throws(() => worker.paymentRequired({
    routes: { 'GET /weather': { accepts: [{ network: 'base-sepolia', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', price: '$0.01' }] } },
    facilitator: { url, timeoutMs: Number(undefined) },
  }), (e) => e.code === 'INVALID_ARGUMENT' && /timeoutMs/.test(e.message));
  for (const fine of [{}, { timeoutMs: 1 }, { timeoutMs: 2 ** 31 - 1 }, { retries: 0 }, { retries: 10 }, { supportedTtlMs: 0 },
    { headers: { authorization: 'x' } }, { headers: () => ({}) }, { headers: null }, { fetch: globalThis.fetch }, { fetch: undefined }]) {
    assert.equal(typeof worker.createFacilitatorClient({ url, ...fine }).settle, 'function', JSON.stringify(fine));
  }
});

test('a non-http url is INVALID_ARGUMENT; answers of the wrong shape are INVALID_FACILITATOR_RESPONSE', async (t) => {
  assert.throws(() => worker.createFacilitatorClient({ url: 'ftp://example' }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => worker.createFacilitatorClient({}), (e) => e.code === 'INVALID_ARGUMENT');
  const server = await scripted(t, (req) => (req.path === '/verify' ? { body: { valid: 'yes' } } : { body: 'not json' }));
  const client = worker.createFacilitatorClient({ url: server.url });
  await assert.rejects(client.verify({ x402Version: 2 }, {}), (e) => e.code === 'INVALID_FACILITATOR_RESPONSE');
  await assert.rejects(client.settle({ x402Version: 2 }, {}), (e) => e.code === 'INVALID_FACILITATOR_RESPONSE');
});

test('an answer past 256 KiB is refused, not held whole', async (t) => {
  const server = await scripted(t, () => ({ body: { success: true, transaction: '0x01', padding: 'x'.repeat(300 * 1024) } }));
  const client = worker.createFacilitatorClient({ url: server.url, retries: 0 });
  await assert.rejects(client.settle({ x402Version: 2 }, {}), { code: 'INVALID_FACILITATOR_RESPONSE', message: /larger than 262144 bytes/ });
  // Just under the bound is read.
  const near = await scripted(t, () => ({ body: { success: true, transaction: '0x01', padding: 'x'.repeat(200 * 1024) } }));
  assert.equal((await worker.createFacilitatorClient({ url: near.url }).settle({ x402Version: 2 }, {})).success, true);
});

test('the timeout holds a custom fetch that ignores the abort signal', { timeout: 10_000 }, async () => {
  const client = worker.createFacilitatorClient({ url: 'https://facilitator.example', timeoutMs: 200, fetch: () => new Promise(() => {}) });
  await assert.rejects(client.verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_TIMEOUT', message: /did not answer within 200 ms/ });
  // Headers sent, then the body stalls: the message says it answered, and not in time.
  const stalled = () => Promise.resolve(new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), { status: 200 }));
  const slow = worker.createFacilitatorClient({ url: 'https://facilitator.example', timeoutMs: 200, fetch: stalled });
  await assert.rejects(slow.verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_TIMEOUT', message: /\/verify did not finish its answer within 200 ms/ });
});

test('a failure status is FACILITATOR_UNAVAILABLE whatever its body; an answer that is not a JSON object is INVALID_FACILITATOR_RESPONSE', async (t) => {
  const answers = {
    '/verify': { status: 503, headers: { 'content-type': 'text/html' }, body: '<html>Service Unavailable</html>' },
    '/settle': { status: 503, body: { error: 'overloaded' } },
    '/supported': { status: 401, headers: { 'content-type': 'text/plain' }, body: 'no key' },
    '/big/verify': { status: 503, headers: { 'content-type': 'text/html' }, body: `<html>${'x'.repeat(300 * 1024)}</html>` },
  };
  const down = await scripted(t, (req) => answers[req.path]);
  const client = worker.createFacilitatorClient({ url: down.url, retries: 0 });
  await assert.rejects(client.verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE', message: /answered 503/ });
  await assert.rejects(client.settle({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE', message: /answered 503/ });
  await assert.rejects(client.supported(), { code: 'FACILITATOR_UNAVAILABLE', message: /answered 401/ });
  // An error page of any size: the status decides, the body is not read.
  const big = worker.createFacilitatorClient({ url: `${down.url}/big`, retries: 0 });
  await assert.rejects(big.verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE', message: /answered 503/ });
  for (const body of ['null', '[]', '7', '"ok"']) {
    const odd = await scripted(t, () => ({ body }));
    const oddClient = worker.createFacilitatorClient({ url: odd.url });
    await assert.rejects(oddClient.verify({ x402Version: 2 }, {}), { code: 'INVALID_FACILITATOR_RESPONSE' }, body);
    await assert.rejects(oddClient.settle({ x402Version: 2 }, {}), { code: 'INVALID_FACILITATOR_RESPONSE' }, body);
  }
  // /supported must list its kinds (what the types promise), and the client says where it goes.
  for (const body of [{}, { kinds: 'exact' }, { kinds: null }]) {
    const odd = await scripted(t, () => ({ body }));
    const oddClient = worker.createFacilitatorClient({ url: odd.url });
    assert.equal(oddClient.url, odd.url);
    await assert.rejects(oddClient.supported(), { code: 'INVALID_FACILITATOR_RESPONSE' }, JSON.stringify(body));
  }
});

test('/settle has its own, longer timeout (settleTimeoutMs, default 90 s): a facilitator answering once mined is waited for', async (t) => {
  const late = await scripted(t, async (req) => {
    await new Promise((resolve) => { setTimeout(resolve, 600); });
    return { body: req.path === '/settle' ? { success: true, transaction: '0x01', network: 'eip155:84532' } : { isValid: true } };
  });
  const client = worker.createFacilitatorClient({ url: late.url, timeoutMs: 200, retries: 0 });
  await assert.rejects(client.verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_TIMEOUT' });
  assert.equal((await client.settle({ x402Version: 2 }, {})).success, true, 'the default /settle timeout waited');
  const short = worker.createFacilitatorClient({ url: late.url, settleTimeoutMs: 200, retries: 0 });
  await assert.rejects(short.settle({ x402Version: 2 }, {}), { code: 'FACILITATOR_TIMEOUT' });
  for (const wrong of [0, NaN, 2 ** 31, '90000']) {
    assert.throws(() => worker.createFacilitatorClient({ url: late.url, settleTimeoutMs: wrong }), { code: 'INVALID_ARGUMENT' }, String(wrong));
  }
});

test('a redirect is not followed (nor the auth headers sent on): FACILITATOR_UNAVAILABLE, and the middleware answers as for a 503', async (t) => {
  const x402 = await import(pathToFileURL(resolveFromProject()));
  const elsewhere = await scripted(t, () => ({ body: { isValid: true, success: true, transaction: `0x${'fe'.repeat(32)}`, network: 'eip155:84532' } }));
  const redirecting = await scripted(t, (req) => ({ status: 307, headers: { location: `${elsewhere.url}${req.path}` }, body: '' }));
  const down = await scripted(t, () => ({ status: 503, body: { error: 'overloaded' } }));
  const healthy = await scripted(t, (req) => ({
    body: req.path === '/verify' ? { isValid: true } : { success: true, transaction: `0x${'cd'.repeat(32)}`, network: 'eip155:84532' },
  }));
  const client = (url) => worker.createFacilitatorClient({ url, retries: 0, headers: () => ({ authorization: 'Bearer SECRET', 'x-api-key': 'SECRET2' }) });
  await assert.rejects(client(redirecting.url).verify({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE', message: /\/verify answered 307 \(a redirect: not followed\)/ });
  await assert.rejects(client(redirecting.url).settle({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE', message: /\/settle answered 307/ });
  // A custom fetch that follows redirects anyway: its redirected answer is not taken either.
  const following = worker.createFacilitatorClient({ url: redirecting.url, fetch: (url, init) => fetch(url, { ...init, redirect: 'follow' }) });
  await assert.rejects(following.settle({ x402Version: 2 }, {}), { code: 'FACILITATOR_UNAVAILABLE' });
  elsewhere.requests.length = 0;

  const route = {
    accepts: [{ scheme: 'exact', network: 'eip155:84532', payTo: '0x1111111111111111111111111111111111111111', maxTimeoutSeconds: 60,
      price: { amount: '10000', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', extra: { name: 'USDC', version: '2' } } }],
    resource: { description: 'w', mimeType: 'application/json' },
  };
  const url = 'https://x.test/w';
  const json = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
  /** What a middleware whose facilitator is at `failing` does with a payment, then the same payment at a healthy one. */
  async function outcome(failing, verifyWithFacilitator) {
    const replayStore = worker.memoryReplayStore();
    const gate = (facilitator) => worker.paymentRequired({ routes: { 'GET /w': route }, facilitator, replayStore, verifyWithFacilitator });
    const served = { n: 0 };
    const handler = async () => { served.n += 1; return Response.json({ paid: true }); };
    const wallet = x402.evmPrivateKeyWallet(`0x${randomBytes(32).toString('hex')}`);
    t.after(() => wallet.free());
    const asked = await gate(client(failing))(new Request(url), {}, undefined, handler);
    const required = JSON.parse(Buffer.from(asked.headers.get('payment-required'), 'base64').toString());
    const headers = { 'PAYMENT-SIGNATURE': json(await x402.createPaymentPayload(required, 0, wallet)) };
    let first;
    try {
      const response = await gate(client(failing))(new Request(url, { headers }), {}, undefined, handler);
      first = { status: response.status, reason: JSON.parse(Buffer.from(response.headers.get('payment-response'), 'base64').toString()).errorReason };
    } catch (error) {
      first = { threw: error.code };
    }
    const again = await gate(client(healthy.url))(new Request(url, { headers }), {}, undefined, handler);
    const reason = JSON.parse(Buffer.from(again.headers.get('payment-response'), 'base64').toString()).errorReason;
    return { first, handled: served.n, again: again.status, ...(reason ? { reason } : {}) };
  }
  for (const verify of [true, false]) {
    const redirected = await outcome(redirecting.url, verify);
    assert.deepEqual(redirected, await outcome(down.url, verify), `verifyWithFacilitator: ${verify}`);
    assert.deepEqual(redirected, verify
      // /verify failed: nothing served, the payment given back (the same one is served later).
      ? { first: { threw: 'FACILITATOR_UNAVAILABLE' }, handled: 1, again: 200 }
      // /settle failed (after the handler): refused, the payment's outcome unknown, so it stays used.
      : { first: { status: 402, reason: 'unexpected_settle_error' }, handled: 1, again: 402, reason: 'duplicate_settlement' });
  }
  assert.deepEqual(elsewhere.requests, [], 'the other origin received nothing');
});
