// A wrapped fetch from another implementation: undici's package (what Node agents use for proxies
// and connection pools: its own Request, Response and Headers classes, not the runtime's). The
// paying fetch hands a custom fetch one Request (the documented contract), so the adapter below
// converts it, and the paying fetch reads undici's Responses through their members: a free response
// comes back as the same object, a 402 is paid once, and the receipt is read from the paid one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor, usdc, countingWallet } from '../lib/paid-server.mjs';

const x402 = await loadX402();

/** The README's adapter: undici's fetch with a dispatcher of its own, fed the paying fetch's Request. */
function undiciAdapter(dispatcher, seen) {
  return (request) => {
    seen.push(request.headers.has('payment-signature') ? 'paid' : 'plain');
    return undiciFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      duplex: 'half',
      redirect: request.redirect,
      signal: request.signal,
      dispatcher,
    });
  };
}

test('foreign fetch: undici pays a 402 once, its free responses come back untouched, the receipt is read', async (t) => {
  const server = await serverFor(t, { routes: { '/paid': { accepts: [usdc()] } } });
  const dispatcher = new Agent({ connections: 2 });
  t.after(() => dispatcher.close());
  const seen = [];
  const { wallet, calls } = countingWallet(x402);
  const paying = x402.wrapFetch(undiciAdapter(dispatcher, seen), { wallets: [wallet] });

  const free = await paying(server.url('/free'));
  assert.ok(free instanceof UndiciResponse, 'the free response is undici\'s own');
  assert.equal(free.status, 404);

  const paid = await paying(server.url('/paid'), { method: 'POST', body: JSON.stringify({ q: 1 }), headers: { 'content-type': 'application/json' } });
  assert.ok(paid instanceof UndiciResponse);
  assert.equal(paid.status, 200);
  assert.deepEqual(await paid.json(), { paid: true, path: '/paid', method: 'POST' });
  assert.deepEqual(seen, ['plain', 'plain', 'paid']);
  assert.equal(calls.signTypedData.length, 1);
  assert.equal(server.payments.length, 1);
  const receipt = x402.getPaymentReceipt(paid);
  assert.equal(receipt?.success, true);
  assert.equal(receipt.transaction, server.payments[0].settlement.transaction);
});

test('foreign fetch: a Response whose body is not a web stream (node-fetch) is paid when its header says enough, else returned unpaid', async () => {
  const { wallet, calls } = countingWallet(x402);
  const document = { x402Version: 2, resource: { url: 'https://api.example/p' }, accepts: [usdc()] };
  const nodeStyle = (status, headers = {}) => ({
    status,
    url: 'https://api.example/p',
    redirected: false,
    headers: new Headers(headers),
    body: { pipe() {}, on() {} },
    text: async () => '{}',
    clone: () => nodeStyle(status, headers),
  });
  const free = nodeStyle(200);
  assert.equal(await x402.wrapFetch(async () => free, { wallets: [wallet] })('https://api.example/p'), free);

  // The PAYMENT-REQUIRED header is enough: the body is not needed.
  const withHeader = { 'payment-required': x402.encodeHeader(document), 'content-type': 'application/json', 'content-length': '900' };
  const paidResponse = nodeStyle(200);
  const paying = x402.wrapFetch(async (request) => (request.headers.has('payment-signature') ? paidResponse : nodeStyle(402, withHeader)), { wallets: [wallet] });
  assert.equal(await paying('https://api.example/p'), paidResponse);
  assert.equal(calls.signTypedData.length, 1);

  // The requirements are only in the body, which cannot be read: the 402 comes back unpaid, as a
  // 402 in no known dialect does, and nothing is signed.
  const unreadable = nodeStyle(402, { 'content-type': 'application/json', 'content-length': '900' });
  const bodyOnly = x402.wrapFetch(async () => unreadable, { wallets: [wallet] });
  assert.equal(await bodyOnly('https://api.example/p'), unreadable);
  assert.equal(calls.signTypedData.length, 1);

  for (const bad of [null, 42, { status: '200' }, { status: 200, url: 'x', redirected: false, headers: {} }]) {
    await assert.rejects(x402.wrapFetch(async () => bad, { wallets: [wallet] })('https://api.example/p'), { code: 'INVALID_ARGUMENT' });
  }
});
