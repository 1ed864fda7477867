// A Solana payment that needs the RPC (no recentBlockhash, or no decimals and tokenProgram in
// the requirement's extra) against a node that accepts the connection and never answers: the
// paying fetch gives up after `rpcTimeout` with RPC_ERROR, or with the caller's abort reason when
// the caller aborts first. Either way nothing is signed, and the budget reservation is released.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { loadX402 } from '../lib/x402.mjs';
import { serverFor } from '../lib/paid-server.mjs';

const x402 = await loadX402();

const DEVNET = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
const MINT = '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU';
const SEED = new Uint8Array(32).fill(9);
const FEE_PAYER = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(3)).address;
const PAY_TO = x402.solanaPrivateKeyWallet(new Uint8Array(32).fill(4)).address;
const BLOCKHASH = 'EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N';

/** A JSON-RPC endpoint that reads each request and never answers it. */
async function silentRpc(t) {
  const calls = [];
  const sockets = new Set();
  const hungUp = { count: 0 };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push(JSON.parse(body).method);
    // The client giving up must hang up too, not leave the request open for the runtime's timeouts.
    res.on('close', () => { hungUp.count += 1; });
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${server.address().port}/`, calls, hungUp };
}

const requirement = (extra) => ({
  scheme: 'exact',
  network: DEVNET,
  amount: '10000',
  asset: MINT,
  payTo: PAY_TO,
  maxTimeoutSeconds: 60,
  extra: { feePayer: FEE_PAYER, ...extra },
});

/** A Solana key wallet whose signTransaction calls are counted. */
function countedWallet() {
  const inner = x402.solanaPrivateKeyWallet(SEED);
  const signed = [];
  return {
    signed,
    wallet: {
      kind: 'solana',
      address: inner.address,
      signTransaction: (tx, options) => {
        signed.push(tx);
        return inner.signTransaction(tx, options);
      },
    },
  };
}

const cases = [
  ['the blockhash', {}, 'getLatestBlockhash'],
  ['the mint', { recentBlockhash: BLOCKHASH }, 'getAccountInfo'],
];

for (const [what, extra, method] of cases) {
  test(`svm rpc: no answer for ${what} is RPC_ERROR after rpcTimeout; nothing is signed; the budget is released`, { timeout: 15_000 }, async (t) => {
    const rpc = await silentRpc(t);
    const server = await serverFor(t, { routes: { '/paid': { accepts: [requirement(extra)] } } });
    const { wallet, signed } = countedWallet();
    const events = [];
    const paying = x402.wrapFetch(fetch, {
      wallets: [wallet],
      rpc: { [DEVNET]: rpc.url },
      rpcTimeout: 300,
      policy: { budget: { total: '0.01' } },
      onEvent: (e) => events.push(e),
    });
    const started = Date.now();
    await assert.rejects(paying(server.url('/paid')), (error) => {
      assert.equal(error.code, 'RPC_ERROR');
      assert.match(error.message, new RegExp(`${method}: no answer in time`));
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 5000, `gave up after ${took} ms`);
    assert.deepEqual(rpc.calls, [method]);
    const until = Date.now() + 3000;
    while (rpc.hungUp.count < 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(rpc.hungUp.count, 1, 'the abandoned RPC request was not aborted');
    assert.equal(signed.length, 0);
    assert.equal(events.at(-1).type, 'failed');
    assert.equal(events.at(-1).spent, false);
    // The whole budget (one payment of 0.01) is still there: the next refusal is the RPC's again.
    await assert.rejects(paying(server.url('/paid')), { code: 'RPC_ERROR' });
  });
}

test('svm rpc: an abort while the RPC is silent rejects with the abort reason; nothing is signed', { timeout: 15_000 }, async (t) => {
  const rpc = await silentRpc(t);
  const server = await serverFor(t, { routes: { '/paid': { accepts: [requirement({})] } } });
  const { wallet, signed } = countedWallet();
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { [DEVNET]: rpc.url } });
  const controller = new AbortController();
  const reason = new Error('the user went away');
  const pending = paying(server.url('/paid'), { signal: controller.signal });
  while (rpc.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort(reason);
  const started = Date.now();
  await assert.rejects(pending, (error) => error === reason);
  assert.ok(Date.now() - started < 2000);
  assert.equal(signed.length, 0);
});

test('svm rpc: createPaymentPayload takes rpcTimeout too, and refuses a bad one', { timeout: 15_000 }, async (t) => {
  const rpc = await silentRpc(t);
  const paymentRequired = { x402Version: 2, resource: { url: 'https://api.example/paid' }, accepts: [requirement({})] };
  const { wallet } = countedWallet();
  await assert.rejects(
    x402.createPaymentPayload(paymentRequired, 0, wallet, { rpc: { [DEVNET]: rpc.url }, rpcTimeout: 200 }),
    { code: 'RPC_ERROR' },
  );
  for (const rpcTimeout of [0, 600_001, 1.5, 'soon']) {
    await assert.rejects(
      x402.createPaymentPayload(paymentRequired, 0, wallet, { rpc: { [DEVNET]: rpc.url }, rpcTimeout }),
      { code: 'INVALID_ARGUMENT' },
      String(rpcTimeout),
    );
    assert.throws(() => x402.wrapFetch(fetch, { wallets: [wallet], rpcTimeout }), { code: 'INVALID_ARGUMENT' }, String(rpcTimeout));
  }
});
