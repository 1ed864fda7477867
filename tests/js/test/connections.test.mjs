// Connections are given back: a body the package will not read (a 402 it refuses, a handler's
// answer it does not send, a discovery answer it refuses) is cancelled, or Node's fetch keeps the
// socket for as long as the server keeps the connection open, and a long-running agent or server
// runs out of file descriptors. Bodies larger than undici's 16 KiB of buffering are used, over
// keep-alive connections; the server counts the sockets still open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { resolveFromProject } from '../lib/pkg.mjs';
import { TEST_KEY } from '../lib/paid-server.mjs';

const x402 = await import(pathToFileURL(resolveFromProject('x402-wasm')));
const worker = await import(pathToFileURL(resolveFromProject('x402-wasm/worker')));

const PAY_TO = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';
const USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const BIG = 'x'.repeat(200_000);
const CALLS = 30;
const requirement = { scheme: 'exact', network: 'eip155:84532', amount: '10000', asset: USDC, payTo: PAY_TO, maxTimeoutSeconds: 300, extra: { name: 'USDC', version: '2' } };

/** A keep-alive HTTP server on 127.0.0.1 counting its open sockets. */
async function server(t, handler) {
  const sockets = new Set();
  const http = createServer(handler);
  http.keepAliveTimeout = 60_000;
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => { http.listen(0, '127.0.0.1', resolve); });
  t.after(() => { http.closeAllConnections(); http.close(); });
  return { url: `http://127.0.0.1:${http.address().port}`, open: () => sockets.size };
}

/** Waits (up to 10 s) for the client to close its sockets; returns how many stay open. */
async function settledOpen(srv, atMost = 2) {
  for (let i = 0; i < 200 && srv.open() > atMost; i += 1) await new Promise((resolve) => { setTimeout(resolve, 50); });
  return srv.open();
}

test('wrapFetch: a 402 refused with an error (a malformed PAYMENT-REQUIRED, a redirected POST) gives its connection back', async (t) => {
  const header = x402.encodeHeader({ x402Version: 2, resource: { url: 'http://a.test/r' }, accepts: [requirement] });
  const srv = await server(t, (request, response) => {
    if (request.url === '/malformed') response.writeHead(402, { 'payment-required': 'not base64 !!', 'content-type': 'text/html' });
    else if (request.url === '/moved') {
      request.resume();
      response.writeHead(307, { location: '/priced' });
      return response.end();
    } else response.writeHead(402, { 'payment-required': header, 'content-type': 'text/html' });
    request.resume();
    response.end(BIG);
  });
  const paying = x402.wrapFetch(fetch, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)] });
  for (const [path, init, code] of [['/malformed', undefined, 'INVALID_HEADER'], ['/moved', { method: 'POST', body: 'x' }, 'UNSAFE_REDIRECT']]) {
    for (let i = 0; i < CALLS; i += 1) await assert.rejects(paying(`${srv.url}${path}`, init), { code });
    assert.ok(await settledOpen(srv) <= 2, `${path}: ${srv.open()} of ${CALLS} connections kept`);
  }
});

test('middleware: a handler answer not sent because settlement failed gives its upstream connection back', async (t) => {
  const upstream = await server(t, (request, response) => { response.end(BIG); });
  const facilitator = {
    async verify() { return { isValid: true }; },
    async settle() { return { success: false, errorReason: 'insufficient_funds', transaction: '', network: 'eip155:84532' }; },
  };
  const route = { accepts: [{ network: 'eip155:84532', payTo: PAY_TO, price: '$0.01' }] };
  const pay = worker.paymentRequired({ routes: { 'GET /data': route }, facilitator });
  const next = () => fetch(`${upstream.url}/`);
  const challenge = await pay(new Request('https://api.example/data'), {}, {}, next);
  const document = x402.decodeHeader(challenge.headers.get('payment-required'), 'PaymentRequired');
  for (let i = 0; i < CALLS; i += 1) {
    const payload = await x402.createPaymentPayload(document, 0, x402.evmPrivateKeyWallet(TEST_KEY));
    const request = new Request('https://api.example/data', { headers: { 'payment-signature': x402.encodePaymentHeader(payload) } });
    const response = await pay(request, {}, {}, next);
    assert.equal(response.status, 402);
    assert.equal(x402.getPaymentReceipt(response).errorReason, 'insufficient_funds');
  }
  assert.ok(await settledOpen(upstream) <= 2, `${upstream.open()} of ${CALLS} upstream connections kept`);
});

test('discoverX402: a refused answer gives its connection back; a huge one is read no further than the limit; a stalled one times out', async (t) => {
  let written = 0;
  const srv = await server(t, (request, response) => {
    if (request.url.startsWith('/.well-known') && request.headers.host.startsWith('127.')) {
      response.writeHead(404, { 'content-type': 'text/html' });
      return response.end(BIG);
    }
    // Reached as localhost: an endless document, and a stalled one on the second connection.
    if (request.headers['x-stall'] !== undefined) return undefined;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"endpoints":"');
    const more = () => {
      while (!response.destroyed && response.write('y'.repeat(64 * 1024))) written += 64 * 1024;
      if (!response.destroyed && written < 64 * 1024 * 1024) response.once('drain', more);
    };
    more();
    return undefined;
  });
  for (let i = 0; i < CALLS; i += 1) {
    await assert.rejects(x402.discoverX402(`${srv.url}/x`), (e) => e.code === 'DISCOVERY_FAILED' && /404/.test(e.message));
  }
  assert.ok(await settledOpen(srv) <= 2, `${srv.open()} of ${CALLS} connections kept`);

  const local = srv.url.replace('127.0.0.1', 'localhost');
  await assert.rejects(x402.discoverX402(local), (e) => e.code === 'DISCOVERY_FAILED' && /larger than 262144 bytes/.test(e.message));
  assert.ok(written < 16 * 1024 * 1024, `the server wrote ${written} bytes before the client stopped reading`);

  const stalling = (url, init) => fetch(url, { ...init, headers: { ...init.headers, 'x-stall': '1' } });
  await assert.rejects(x402.discoverX402(local, { fetch: stalling, timeoutMs: 300 }), (e) => e.code === 'DISCOVERY_FAILED' && /within 300 ms/.test(e.message));
  const controller = new AbortController();
  const reason = new Error('stop');
  setTimeout(() => controller.abort(reason), 100);
  await assert.rejects(x402.discoverX402(local, { fetch: stalling, signal: controller.signal }), (e) => e === reason);
  await assert.rejects(x402.discoverX402(local, { timeoutMs: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(x402.discoverX402(local, { timeout: 5 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(x402.discoverX402(local, { signal: {} }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(x402.discoverX402(local, { fetch: 5 }), { code: 'INVALID_ARGUMENT' });
  // A fetch of the caller's own whose Response names a url that is not a URL: refused, coded.
  const odd = async () => Object.defineProperty(new Response('{}', { status: 200 }), 'url', { value: 'not a url' });
  await assert.rejects(x402.discoverX402(local, { fetch: odd }), (e) => e.code === 'DISCOVERY_FAILED' && /not a URL/.test(e.message));
});
