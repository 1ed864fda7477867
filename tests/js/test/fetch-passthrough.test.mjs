// wrapFetch on responses it must not touch (issue 5, section 1.1): anything that is not a 402 comes
// back as the very same Response object, and a 402 in no x402 dialect is the caller's, untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, countingWallet, capturingFetch } from '../lib/paid-server.mjs';

const x402 = await loadX402();

for (const [status, init] of [
  [200, { headers: { 'content-type': 'text/plain' } }],
  [201, {}],
  [204, {}],
  [301, { headers: { location: 'http://127.0.0.1:9/' } }],
  [401, { headers: { 'www-authenticate': 'Bearer' } }],
  [403, {}],
  [404, {}],
  [500, {}],
  [503, { headers: { 'retry-after': '1' } }],
]) {
  test(`passthrough: a ${status} comes back as the same Response object, unread`, async () => {
    const { wallet, calls } = countingWallet(x402);
    const known = new Response(status === 204 ? null : `body ${status}`, { status, ...init });
    let requests = 0;
    const custom = async (request) => {
      requests += 1;
      assert.ok(request instanceof Request);
      return known;
    };
    const paying = x402.wrapFetch(custom, { wallets: [wallet] });
    const response = await paying('http://127.0.0.1:9/anything', { method: 'POST', body: 'x' });
    assert.equal(response, known);
    assert.equal(response.bodyUsed, false);
    if (status !== 204) assert.equal(await response.text(), `body ${status}`);
    assert.equal(requests, 1);
    assert.equal(calls.signTypedData.length + calls.getAddress, 0);
    assert.equal(x402.getPaymentReceipt(response), undefined);
  });
}

test('passthrough: a Response subclass from a custom fetch is returned as is', async () => {
  class Tagged extends Response {}
  const known = new Tagged('ok', { status: 200 });
  const paying = x402.wrapFetch(async () => known, { wallets: [countingWallet(x402).wallet] });
  assert.equal(await paying('http://127.0.0.1:9/'), known);
});

test('passthrough: a real server\'s 200 comes back as the same object the fetch returned', async (t) => {
  const server = await serverFor(t, { routes: { '/free': { mode: 'plain', body: 'free stuff' } } });
  const capture = capturingFetch();
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(capture, { wallets: [wallet] });
  const response = await paying(server.url('/free'));
  assert.equal(capture.seen.length, 1);
  assert.equal(response, capture.seen[0].response);
  assert.equal(await response.text(), 'free stuff');
  assert.equal(server.requests.length, 1);
  assert.equal(calls.signTypedData.length, 0);
});

const NOT_X402 = [
  ['plain text, no header', { body: 'Payment Required: send money', headers: { 'content-type': 'text/plain' } }],
  ['empty body', { body: '' }],
  ['JSON that is not x402', { body: '{"message":"pay up"}', headers: { 'content-type': 'application/json' } }],
];

for (const [name, route] of NOT_X402) {
  test(`passthrough: a non-x402 402 (${name}) comes back untouched, with no payment`, async (t) => {
    const server = await serverFor(t, { routes: { '/p': { mode: 'plain', status: 402, ...route } } });
    const capture = capturingFetch();
    const { wallet, calls } = countingWallet(x402);
    const events = [];
    const paying = x402.wrapFetch(capture, { wallets: [wallet], onEvent: (e) => events.push(e), onPaymentRequired: () => assert.fail('asked') });
    const response = await paying(server.url('/p'));
    assert.equal(response.status, 402);
    assert.equal(response, capture.seen[0].response, 'not the same Response object');
    assert.equal(response.bodyUsed, false);
    assert.equal(await response.text(), route.body);
    for (const [k, v] of Object.entries(route.headers ?? {})) assert.equal(response.headers.get(k), v);
    assert.equal(server.requests.length, 1);
    assert.equal(calls.signTypedData.length + calls.getAddress, 0);
    assert.deepEqual(events, []);
    assert.equal(x402.getPaymentReceipt(response), undefined);
  });
}

// The seed dialects are spoken now (test/seed-fetch.test.mjs): a malformed one is a coded error, and
// nothing reaches the wallet.
const MALFORMED_SEEDS = [
  ['X-402-* headers without X-402-Token', 'INVALID_402', {
    body: '', headers: { 'x-402-version': '1', 'x-402-amount': '0.01', 'x-402-currency': 'USD', 'x-402-network': 'base', 'x-402-receiver': '0x209693Bc6afc0C5328bA36FaF03C514EF312287C' },
  }],
  ['facilitator-pay body with payee "x"', 'INVALID_ADDRESS', {
    body: '{"amount":"0.01","currency":"USDC","payee":"x","reference":"r","facilitatorUrl":"http://127.0.0.1:9","ttl":60,"message":"m"}',
    headers: { 'content-type': 'application/json' },
  }],
  ['Solana Pay reference body with a numeric expires_at', 'INVALID_402', {
    body: '{"chain":"solana","network":"devnet","asset_mint":"m","amount":"0.01","recipient":"r","reference":"ref","expires_at":1,"description":"d","solana_pay_url":"solana:r"}',
    headers: { 'content-type': 'application/json' },
  }],
];

for (const [name, code, route] of MALFORMED_SEEDS) {
  test(`seed dialects: a malformed ${name} 402 is ${code}, with no wallet call`, async (t) => {
    const server = await serverFor(t, { routes: { '/p': { mode: 'plain', status: 402, ...route } } });
    const { wallet, calls } = countingWallet(x402);
    const paying = x402.wrapFetch(fetch, { wallets: [wallet], onPaymentRequired: () => assert.fail('asked') });
    await assert.rejects(paying(server.url('/p')), (e) => e.name === 'X402Error' && e.code === code);
    assert.equal(server.requests.length, 1);
    assert.equal(calls.signTypedData.length + calls.getAddress, 0);
  });
}

test('passthrough: a custom fetch\'s plain 402 Response is the same object', async () => {
  const known = new Response('nope', { status: 402 });
  const paying = x402.wrapFetch(async () => known, { wallets: [countingWallet(x402).wallet] });
  const response = await paying('http://127.0.0.1:9/');
  assert.equal(response, known);
  assert.equal(await response.text(), 'nope');
});

test('passthrough: errors of the underlying fetch propagate as they are', async () => {
  const boom = new TypeError('network down');
  const paying = x402.wrapFetch(async () => { throw boom; }, { wallets: [countingWallet(x402).wallet] });
  await assert.rejects(paying('http://127.0.0.1:9/'), (e) => e === boom);
});

test('passthrough: a 402 body too large for any dialect is returned untouched, read no further than the limit', async (t) => {
  const { createServer } = await import('node:http');
  const { wallet, calls } = countingWallet(x402);
  let sent = 0;
  let closed = false;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  // A chunked body (no Content-Length) that would be 64 MiB if anyone read it all.
  const server = createServer((req, res) => {
    res.writeHead(402, { 'content-type': 'text/html' });
    res.on('close', () => { closed = true; });
    const pump = () => {
      while (sent < 1024 && !closed) {
        sent += 1;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const paying = x402.wrapFetch(fetch, { wallets: [wallet] });
  const response = await paying(`http://127.0.0.1:${server.address().port}/big`);
  assert.equal(response.status, 402);
  assert.equal(calls.signTypedData.length, 0);
  // The caller still has the body: its start is there.
  const reader = response.body.getReader();
  const { value } = await reader.read();
  assert.equal(String.fromCharCode(value[0]), 'x');
  await reader.cancel();
  assert.ok(sent < 1024, `the whole body was pulled (${sent} chunks)`);

  // A 300 KB HTML 402 with a Content-Length: also the caller's, untouched.
  const html = '<html>' + 'x'.repeat(300 * 1024) + '</html>';
  const custom = async () => new Response(html, { status: 402, headers: { 'content-type': 'text/html' } });
  const big = await x402.wrapFetch(custom, { wallets: [wallet] })('https://api.example/paid');
  assert.equal(big.status, 402);
  assert.equal((await big.text()).length, html.length);
});

test('a 402 whose terms are in X-402-* headers is recognised even with a body too large to read', async () => {
  const { wallet, calls } = countingWallet(x402);
  const headers = {
    'content-type': 'text/html', 'X-402-Amount': '5', 'X-402-Network': 'base', 'X-402-Token': 'USDC',
    'X-402-Receiver': '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
  };
  const custom = async () => new Response('x'.repeat(300 * 1024), { status: 402, headers });
  const events = [];
  // $5 is over the default $1 cap: refused, which shows the 402 was read as X-402 terms.
  await assert.rejects(x402.wrapFetch(custom, { wallets: [wallet], onEvent: (e) => events.push(e.type) })('https://api.example/paid'),
    { name: 'X402Error', code: 'PAYMENT_LIMIT_EXCEEDED' });
  assert.deepEqual(events, ['payment_required', 'failed']);
  assert.equal(calls.signTypedData.length, 0);
});

test('passthrough: a custom fetch resolving to something else than a Response is INVALID_ARGUMENT', async () => {
  const { wallet } = countingWallet(x402);
  const paying = x402.wrapFetch(async () => ({ status: 200 }), { wallets: [wallet] });
  await assert.rejects(paying('https://api.example/x'), { name: 'X402Error', code: 'INVALID_ARGUMENT' });
});

test('passthrough: a freed key wallet is USED_AFTER_FREE, not an uncoded error', async () => {
  const wallet = x402.evmPrivateKeyWallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
  wallet.free();
  const challenge = {
    x402Version: 2,
    accepts: [{ scheme: 'exact', network: 'eip155:84532', amount: '10', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
      payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' } }],
  };
  const custom = async () => new Response('{}', { status: 402, headers: { 'payment-required': x402.encodeHeader(challenge) } });
  // Freed before wrapping: wrapFetch refuses it.
  assert.throws(() => x402.wrapFetch(custom, { wallets: [wallet] }), { name: 'X402Error', code: 'USED_AFTER_FREE' });
  // Freed after wrapping: the payment fails, coded.
  const later = x402.evmPrivateKeyWallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
  const paying = x402.wrapFetch(custom, { wallets: [later] });
  later.free();
  await assert.rejects(paying('https://api.example/x'), { name: 'X402Error', code: 'USED_AFTER_FREE' });
  // Disposed by `using` after an explicit free(): coded as well, for both key wallets.
  for (const make of [() => x402.evmPrivateKeyWallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'), () => x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(7))]) {
    const disposed = make();
    disposed.free();
    assert.throws(() => disposed[Symbol.dispose](), { name: 'X402Error', code: 'USED_AFTER_FREE' });
  }
});
