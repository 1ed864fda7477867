// X402Provider hands its options to the paying fetch it makes. rpcTimeout: a Solana route whose
// payment needs a blockhash from an RPC that never answers fails with RPC_ERROR after the
// provider's rpcTimeout (300 ms), not after the default 30 s.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleErrors, reactVersion, useX402Fetch, x402 } from '../lib/env.mjs';
import { inAct, mountProvider, probe, until } from '../lib/render.mjs';

after(() => assert.deepEqual(consoleErrors, [], 'React logged errors'));

const DEVNET = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
const RPC = 'https://rpc.devnet.test/';

/** A paid API (a fetch) whose one route asks for devnet USDC, without a recentBlockhash. */
function solanaServer() {
  const wallet = (fill) => x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(fill)).address;
  const document = {
    x402Version: 2,
    resource: { url: 'https://api.example.test/paid' },
    accepts: [{
      scheme: 'exact',
      network: DEVNET,
      amount: '10000',
      asset: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU',
      payTo: wallet(4),
      maxTimeoutSeconds: 60,
      extra: { feePayer: wallet(3) },
    }],
  };
  return {
    url: (path) => `https://api.example.test${path}`,
    fetch: async () => new Response('{}', { status: 402, headers: { 'payment-required': x402.encodeHeader(document) } }),
  };
}

test(`React ${reactVersion}: X402Provider passes rpcTimeout to the paying fetch`, async (t) => {
  // The RPC goes through the global fetch: it never answers (aborted requests reject, as fetch does).
  const realFetch = globalThis.fetch;
  const rpcCalls = [];
  globalThis.fetch = (input, init) => {
    if (String(input) !== RPC) return realFetch(input, init);
    rpcCalls.push(JSON.parse(init.body).method);
    return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal.reason)));
  };
  t.after(() => {
    globalThis.fetch = realFetch;
  });
  const hook = probe(useX402Fetch);
  await mountProvider(t, solanaServer(), [hook], {
    wallet: x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(9)),
    rpc: { [DEVNET]: RPC },
    rpcTimeout: 300,
  });
  const call = await inAct(() => hook.latest.fetch('https://api.example.test/paid'));
  await until(() => hook.latest.pendingPayment !== null);
  const started = Date.now();
  await inAct(() => hook.latest.pendingPayment.approve());
  await until(() => hook.latest.status === 'error', () => hook.latest.status, 10_000);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  assert.equal(hook.latest.error.code, 'RPC_ERROR');
  const { error } = await call.done;
  assert.equal(error?.code, 'RPC_ERROR', String(error));
  assert.deepEqual(rpcCalls, ['getLatestBlockhash']);
});

test(`React ${reactVersion}: X402Provider with settings wrapFetch refuses renders, and each request rejects with the code until they are fixed`, async (t) => {
  let asked = 0;
  const server = {
    url: (path) => `https://api.example.test${path}`,
    fetch: async () => {
      asked++;
      return new Response('free', { status: 200 });
    },
  };
  const hook = probe(useX402Fetch);
  const view = await mountProvider(t, server, [hook], { policy: { maxPerPayment: 'abc' } });
  const refused = await inAct(() => hook.latest.fetch(server.url('/any')));
  const { error } = await refused.done;
  assert.equal(error?.code, 'INVALID_POLICY', String(error));
  await until(() => hook.latest.status === 'error');
  assert.equal(hook.latest.error.code, 'INVALID_POLICY');
  assert.equal(asked, 0, 'nothing was sent');
  await view.rerender([hook], { policy: { maxPerPayment: '0.50' } });
  const fixed = await inAct(() => hook.latest.fetch(server.url('/any')));
  const { value } = await fixed.done;
  assert.equal(value?.status, 200);
  assert.equal(asked, 1);
});
