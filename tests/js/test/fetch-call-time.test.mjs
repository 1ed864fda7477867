// wrapFetch takes its arguments when it is called, as fetch does, and pays one request at most
// once even when paying fetches are stacked. Found by a review of the paid path: the init was read
// in a later microtask (a reused init sent the last values), a paying fetch inside another paid the
// same request again, the wallet was asked for its account and its signature after an abort, a
// receipt under the other dialect's header name was lost, and a listener re-entering the budget
// stopped the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, countingWallet } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const TX = `0x${'77'.repeat(32)}`;

test('call time: an init reused and changed right after each call sends each call\'s own values, free and paid', async (t) => {
  const server = await serverFor(t, { routes: { '/free': { mode: 'plain' }, '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  for (const path of ['/free', '/paid']) {
    // A plain init (no body: the runtime's fetch gets it as given) and one with a body.
    const plain = { method: 'GET', headers: { 'x-item': '' } };
    const withBody = { method: 'POST', headers: { 'x-item': '' }, body: '' };
    const calls = [];
    for (const item of ['1', '2', '3']) {
      plain.headers['x-item'] = item;
      calls.push(paying(server.url(`${path}?plain=${item}`), plain));
      withBody.headers['x-item'] = item;
      withBody.body = `body-${item}`;
      calls.push(paying(server.url(`${path}?body=${item}`), withBody));
    }
    plain.method = 'DELETE';
    withBody.method = 'PUT';
    const responses = await Promise.all(calls);
    assert.ok(responses.every((r) => r.status === 200), responses.map((r) => r.status).join());
  }
  for (const record of server.requests) {
    const url = new URL(record.url);
    const item = url.searchParams.get('plain') ?? url.searchParams.get('body');
    assert.equal(record.headers['x-item'], item, record.url);
    if (url.searchParams.has('plain')) assert.equal(record.method, 'GET', record.url);
    else assert.deepEqual([record.method, String(record.body)], ['POST', `body-${item}`], record.url);
  }
  assert.equal(server.requests.length, 6 + 12, 'six free requests, six paid ones in two attempts each');
  assert.equal(server.payments.length, 6);
});

test('call time: an init changed while the user approves does not change the paid retry', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const init = { method: 'GET', headers: { 'x-request-id': 'A' } };
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    onPaymentRequired: async () => {
      init.method = 'DELETE';
      init.headers['x-request-id'] = 'B';
      return true;
    },
  });
  assert.equal((await paying(server.url('/paid'), init)).status, 200);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.headers['x-request-id']}`), ['GET A', 'GET A']);
});

test('once: a paying fetch wrapping another pays a request that keeps answering 402 once, not again', async (t) => {
  const server = await serverFor(t, { routes: { '/greedy': { mode: 'always402', accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const inner = x402.wrapFetch(fetch, { wallets: [wallet] });
  const outer = x402.wrapFetch(inner, { wallets: [wallet] });
  const response = await outer(server.url('/greedy'));
  assert.equal(response.status, 402);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.payments.length, 1);
  assert.equal(x402.getPaymentReceipt(response)?.success, false);
});

test('once: a request that already carries a payment header is not paid again; its 402 is returned', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { mode: 'always402', accepts: [usdc()] } } });
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  for (const name of ['PAYMENT-SIGNATURE', 'X-PAYMENT']) {
    const response = await paying(server.url('/paid'), { headers: { [name]: 'e30=' } });
    assert.equal(response.status, 402, name);
    const request = new Request(server.url('/paid'), { method: 'POST', body: 'x', headers: { [name]: 'e30=' } });
    assert.equal((await paying(request)).status, 402, `${name} on a Request`);
  }
  assert.equal(calls.signTypedData.length, 0);
});

test('abort: a wallet looking up its account when the call is aborted is never asked to sign', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const inner = x402.evmPrivateKeyWallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
  const controller = new AbortController();
  const asked = [];
  const wallet = {
    kind: 'evm',
    async getAddress() {
      asked.push('getAddress');
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return inner.address;
    },
    async signTypedData(typedData, options) {
      asked.push('signTypedData');
      return inner.signTypedData(typedData, options);
    },
  };
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  await assert.rejects(paying(server.url('/paid'), { signal: controller.signal }), { name: 'AbortError' });
  assert.deepEqual(asked, ['getAddress']);
  assert.equal(server.payments.length, 0);
});

test('abort: the wallet gets the call\'s signal with what it signs', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const { wallet } = countingWallet(x402);
  const given = [];
  const sign = wallet.signTypedData;
  wallet.signTypedData = (typedData, options) => {
    given.push(options?.signal);
    return sign(typedData);
  };
  const controller = new AbortController();
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  assert.equal((await paying(server.url('/paid'), { signal: controller.signal })).status, 200);
  assert.equal(given.length, 1);
  assert.ok(given[0] instanceof AbortSignal);
  controller.abort();
  assert.equal(given[0].aborted, true, 'it follows the caller\'s signal');
});

test('receipt: a v2 payment answered with X-PAYMENT-RESPONSE (the v1 name) keeps its transaction', async (t) => {
  const settlement = { success: true, transaction: TX, network: 'eip155:84532', payer: '0x1111111111111111111111111111111111111111' };
  const server = await serverFor(t, {
    routes: { '/paid': { accepts: [usdc()], answerPaid: { status: 200, headers: { 'x-payment-response': x402.encodeHeader(settlement) } } } },
  });
  const { wallet } = countingWallet(x402);
  const response = await x402.wrapFetch(fetch, { wallets: [wallet] })(server.url('/paid'));
  const receipt = x402.getPaymentReceipt(response);
  assert.deepEqual([receipt.success, receipt.transaction, receipt.payer], [true, TX, settlement.payer]);
});

test('budget: a listener that makes a paying fetch sharing the budget while a refusal is announced does not break the module', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc({ amount: '10000' })] } } });
  const { wallet } = countingWallet(x402);
  let made = null;
  let paying;
  paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    policy: { budget: { total: '0.01' } },
    onEvent: (event) => {
      if (event.type === 'failed') {
        made = x402.wrapFetch(fetch, { wallets: [wallet], policy: { budget: { total: '0.01' } }, shareBudgetWith: paying });
      }
    },
  });
  assert.equal((await paying(server.url('/paid'))).status, 200);
  await assert.rejects(paying(server.url('/paid')), { code: 'BUDGET_EXCEEDED' });
  assert.equal(typeof made, 'function');
  await assert.rejects(made(server.url('/paid')), { code: 'BUDGET_EXCEEDED' }, 'the shared budget is spent');
  assert.equal(x402.parseAmount('1'), '1', 'the module still works');
});

test('errors: a wrapped fetch\'s own coded error comes back as it was thrown, not relabelled', async () => {
  const refused = Object.assign(new TypeError('fetch failed'), { code: 'ECONNREFUSED' });
  const paying = x402.wrapFetch(async () => { throw refused; }, { wallets: [] });
  await assert.rejects(paying('https://api.example/x'), (error) => error === refused);
});

test('bodies that never end: a 402 that is not x402, and a paid retry answered 503, come back (after the 10 s look) instead of hanging', { timeout: 60_000 }, async (t) => {
  const { createServer } = await import('node:http');
  const sockets = new Set();
  const server = createServer((req, res) => {
    const stream = (status, headers) => {
      res.writeHead(status, headers);
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    };
    if (req.url === '/html402') return stream(402, { 'content-type': 'text/html' });
    if (req.headers['payment-signature']) return stream(503, { 'content-type': 'application/json' });
    const document = { x402Version: 2, resource: { url: `http://${req.headers.host}/paid` }, accepts: [usdc()] };
    res.writeHead(402, { 'payment-required': x402.encodeHeader(document), 'content-type': 'application/json' }).end('{}');
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const socket of sockets) socket.destroy(); server.close(); });
  const base = `http://127.0.0.1:${server.address().port}`;
  const { wallet, calls } = countingWallet(x402);
  const events = [];
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], onEvent: (e) => events.push(e.type) });
  const [html, paid] = await Promise.all([paying(`${base}/html402`), paying(`${base}/paid`)]);
  assert.equal(html.status, 402);
  assert.equal(paid.status, 503);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(events.at(-1), 'failed');
  assert.equal(x402.getPaymentReceipt(paid).errorReason, 'http_503');
  await html.body.cancel();
  await paid.body.cancel();
});

test('call time: an init whose Proxy traps throw never makes the call throw; it is read as fetch reads it', async () => {
  // The wrapped fetch answers 200: only reading the init can make the call fail.
  const paying = x402.wrapFetch(async () => new Response('ok'), { wallets: [] });
  // Members are read by name, as fetch reads them: a throwing ownKeys trap is never hit.
  const trapped = new Proxy({}, { ownKeys() { throw new Error('trap ownKeys'); } });
  let promise;
  assert.doesNotThrow(() => { promise = paying('https://api.example/x', trapped); });
  assert.equal((await promise).status, 200);
  assert.equal((await fetch('data:,x', trapped)).status, 200, 'fetch itself takes it');
  // A revoked Proxy as headers: the call rejects with the TypeError reading it throws.
  const { proxy: headers, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.doesNotThrow(() => { promise = paying('https://api.example/x', { headers }); });
  await assert.rejects(promise, (e) => e instanceof TypeError && /revoked/.test(e.message));
});

test('abort while a 402 body that is not x402 is being looked at rejects with the abort', async (t) => {
  const { createServer } = await import('node:http');
  const sockets = new Set();
  const server = createServer((req, res) => {
    res.writeHead(402, { 'content-type': 'text/html' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const socket of sockets) socket.destroy(); server.close(); });
  const paying = x402.wrapFetch(fetch, { wallets: [countingWallet(x402).wallet] });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(paying(`http://127.0.0.1:${server.address().port}/`, { signal: controller.signal }), { name: 'AbortError' });
});
