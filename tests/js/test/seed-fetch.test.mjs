// wrapFetch paying the seed dialects end to end (issue 8), against the servers written from the seed
// texts (lib/seed-*.mjs): Solana Pay references settled in litesvm behind the JSON-RPC front, X-402-*
// headers with an ERC-20 transfer on an anvil running as chain 8453 with USDC at its Base address,
// facilitator-pay through a facilitator that really moves SPL tokens. Also: 1ly's `_1ly` receipt
// metadata and /.well-known/x402.json discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { createWorld } from '../lib/svm-litesvm.mjs';
import { startLitesvmRpc } from '../lib/svm-facilitator.mjs';
import { rpc } from '../lib/chain.mjs';
import {
  startSolanaPayServer, startBaseUsdcChain, startHeaderDialectServer, startFacilitatorPay, approveFacilitator,
} from '../lib/seed-servers.mjs';
import { serverFor, usdc, TEST_KEY, PAY_TO, capturingFetch } from '../lib/paid-server.mjs';

const x402 = await loadX402();
const PAYER_EVM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'; // anvil account 1 = TEST_KEY

/** A wallet wrapper that counts every call reaching the real wallet. */
function counted(inner) {
  const calls = [];
  const wrap = (name) => async (...args) => {
    calls.push(name);
    return inner[name](...args);
  };
  const wallet = { kind: inner.kind, address: inner.address, getAddress: async () => inner.address };
  for (const name of ['signTypedData', 'signTransaction', 'sendTransaction']) if (typeof inner[name] === 'function') wallet[name] = wrap(name);
  return { wallet, calls };
}

/** A litesvm world, its JSON-RPC front (`frontOptions`: see startLitesvmRpc) and a policy for its mints. */
async function solanaSetup(t, label, frontOptions) {
  const world = await createWorld({ label });
  world.svm.airdrop(world.keys.payer.address, 1_000_000_000n); // the payer pays its own fees here
  const front = await startLitesvmRpc(world, frontOptions);
  t.after(() => front.close());
  const policy = {
    assets: Object.values(world.mints).map(({ mint }) => ({
      network: world.network, asset: mint, decimals: 6, symbol: 'TUSD', usd: true, maxPerPayment: '5000000',
    })),
  };
  return { world, front, policy };
}

test('seed 001: a Solana Pay transfer with the reference, verified, then the repeat is served', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const events = [];
  const { wallet, calls } = counted(x402.solanaPrivateKeyWallet(world.keys.payer.seed));
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy, onEvent: (e) => events.push(e) });
  const { atas } = world.mints.token;
  const before = { payer: world.balance(atas.payer), payee: world.balance(atas.payee) };

  const response = await paying(`${server.url}/api/hello`, { method: 'POST' });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.message, 'Hello from x402 x402!');
  const ref = server.references.get(body.paid_reference);
  assert.ok(ref?.consumed, 'the reference the client paid was consumed');
  assert.equal(world.balance(atas.payee) - before.payee, 250_000n);
  assert.equal(before.payer - world.balance(atas.payer), 250_000n);
  assert.deepEqual(calls, ['sendTransaction'], 'one transaction, sent once');
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, ref.sig);
  assert.equal(receipt.payer, world.keys.payer.address);
  assert.equal(receipt.amount, '250000');
  assert.deepEqual(events.map((e) => e.type), ['payment_required', 'approved', 'signed', 'settled']);
  assert.equal(events[2].transaction, ref.sig);

  // The reference cannot be spent twice.
  const again = await fetch(`${server.url}/api/hello`, { method: 'POST', headers: { 'X-Payment-Reference': body.paid_reference } });
  assert.equal(again.status, 402);
  assert.equal((await again.json()).error, 'reference already used');
});

test('seed 001: a wallet that only signs; the core submits over RPC (Token-2022)', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-sign');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token2022', amount: '1.5' });
  t.after(() => server.close());
  const inner = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  const wallet = { kind: 'solana', getAddress: async () => inner.address, signTransaction: (b) => inner.signTransaction(b) };
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy: { ...policy, maxPerPayment: '2' } });
  const before = world.balance(world.mints.token2022.atas.payee);
  const response = await paying(`${server.url}/api/hello`, { method: 'POST' });
  assert.equal(response.status, 200);
  assert.equal(world.balance(world.mints.token2022.atas.payee) - before, 1_500_000n);
});

test('seed 001: refusals before any wallet call (expired, over the cap, unknown mint)', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-refuse');
  const cases = [
    [{ ttlMs: -5_000, amount: '0.25' }, policy, 'PAYMENT_EXPIRED'],
    [{ amount: '6' }, policy, 'PAYMENT_LIMIT_EXCEEDED'],
    [{ amount: '0.25' }, undefined, 'ASSET_NOT_ALLOWED'],
  ];
  for (const [options, casePolicy, code] of cases) {
    const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', ...options });
    const { wallet, calls } = counted(x402.solanaPrivateKeyWallet(world.keys.payer.seed));
    const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy: casePolicy });
    await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === code, code);
    assert.deepEqual(calls, [], `${code}: no wallet call`);
    await server.close();
  }
  assert.equal(front.sent.length, 0, 'nothing was sent');
});

test('seed 001: a request that expires while the user decides is refused before the transfer; the budget comes back', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-slow-approval');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25', ttlMs: 3_000 });
  t.after(() => server.close());
  const { wallet, calls } = counted(x402.solanaPrivateKeyWallet(world.keys.payer.seed));
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    rpc: { [world.network]: front.url },
    policy: { ...policy, budget: { total: '0.25' } },
    onPaymentRequired: () => new Promise((resolve) => setTimeout(() => resolve(true), 4_500)),
  });
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'PAYMENT_EXPIRED');
  assert.deepEqual(calls, [], 'the wallet was asked to send an expired payment');
  assert.equal(front.sent.length, 0, 'a transfer was sent');
  // Nothing moved: the quarter is available again (the next request is approved at once).
  const quick = await paying(`${server.url}/api/hello`, { method: 'POST' }, { onPaymentRequired: () => true });
  assert.equal(quick.status, 200);
});

test('seed 001: a server whose verify endpoint never confirms cannot hold the call past options.transactionTimeout', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-verify-hang');
  // An expiry ten years away: only transactionTimeout bounds the wait.
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25', ttlMs: 315_360_000_000 });
  t.after(() => server.close());
  let polls = 0;
  const stubborn = async (request) => {
    if (new URL(request.url).pathname === '/api/verify') {
      polls += 1;
      return Response.json({ paid: false });
    }
    return fetch(request);
  };
  const paying = x402.wrapFetch(stubborn, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    rpc: { [world.network]: front.url },
    policy,
    transactionTimeout: 1_500,
  });
  const started = Date.now();
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'PAYMENT_EXPIRED');
  assert.ok(Date.now() - started < 10_000, `held for ${Date.now() - started} ms`);
  assert.ok(polls >= 1);
  assert.equal(front.sent.length, 1);
});

test('seed 001: a reference that expires before the server confirms it is PAYMENT_EXPIRED, budget kept', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-expire');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const paying = x402.wrapFetch(fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    rpc: { [world.network]: front.url },
    policy: { ...policy, budget: { total: '0.30' } },
    // The server forgets the reference as soon as the transfer is sent.
    onEvent: (e) => { if (e.type === 'signed') for (const ref of server.references.keys()) server.expire(ref); },
  });
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'PAYMENT_EXPIRED');
  assert.equal(front.sent.length, 1);
  // The money moved, so the reservation stays: a second payment would pass the $0.30 budget.
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'BUDGET_EXCEEDED');
});

test("seed 001: a transfer the RPC's preflight refuses is TRANSACTION_FAILED, nothing runs, the budget comes back", async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-preflight', { preflight: true });
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  // The attacker's token account is empty: the transfer fails in simulation.
  world.svm.airdrop(world.keys.attacker.address, 1_000_000_000n);
  const paying = x402.wrapFetch(fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.attacker.seed)],
    rpc: { [world.network]: front.url },
    policy: { ...policy, budget: { total: '0.25' } },
  });
  // Twice: had the first reservation been kept, the second would be BUDGET_EXCEEDED.
  for (let i = 0; i < 2; i++) {
    await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'TRANSACTION_FAILED');
  }
  assert.deepEqual(front.sent.map((s) => s.preflight), [true, true]);
  assert.equal(world.balance(world.mints.token.atas.payee), 0n);
});

test('seed 001: a transfer not confirmed within options.transactionTimeout is TRANSACTION_TIMEOUT, budget kept', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-timeout', { confirm: false });
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const { wallet, calls } = counted(x402.solanaPrivateKeyWallet(world.keys.payer.seed));
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet], rpc: { [world.network]: front.url }, policy: { ...policy, budget: { total: '0.25' } }, transactionTimeout: 400,
  });
  const started = Date.now();
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => {
    assert.equal(e.code, 'TRANSACTION_TIMEOUT');
    assert.match(e.message, /may still land/);
    return true;
  });
  assert.ok(Date.now() - started < 60_000, 'the timeout option was used, not the 2 minute default');
  assert.equal(front.sent.length, 1);
  // The transfer did land: the reservation is kept, so the budget has nothing left.
  assert.equal(world.balance(world.mints.token.atas.payee), 250_000n);
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'BUDGET_EXCEEDED');
  assert.equal(calls.filter((c) => c.startsWith('send') || c.startsWith('sign')).length, 1);
});

test('seed 001: an RPC that never answers the status poll cannot hold the call past options.transactionTimeout', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-hang', { confirm: 'hang' });
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const paying = x402.wrapFetch(fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)], rpc: { [world.network]: front.url }, policy, transactionTimeout: 500,
  });
  const started = Date.now();
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'TRANSACTION_TIMEOUT');
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  assert.ok(front.calls.some((c) => c.method === 'getSignatureStatuses'));
  // Aborting while the status poll hangs rejects at once with the signal's reason.
  const controller = new AbortController();
  const pending = x402.wrapFetch(fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)], rpc: { [world.network]: front.url }, policy,
    onEvent: (e) => { if (e.type === 'signed') setTimeout(() => controller.abort(new Error('stop')), 300); },
  })(`${server.url}/api/hello`, { method: 'POST', signal: controller.signal });
  const aborted = Date.now();
  await assert.rejects(pending, /stop/);
  assert.ok(Date.now() - aborted < 10_000);
});

test('options.transactionTimeout must be whole milliseconds from 1 to 600000', () => {
  const wallets = [x402.evmPrivateKeyWallet(TEST_KEY)];
  for (const bad of [0, -1, 1.5, 600_001, '100', NaN, Infinity, {}]) {
    assert.throws(() => x402.wrapFetch(fetch, { wallets, transactionTimeout: bad }), (e) => e.code === 'INVALID_ARGUMENT', String(bad));
  }
  for (const good of [1, 400, 600_000, undefined, null]) x402.wrapFetch(fetch, { wallets, transactionTimeout: good });
});

test('seed 001: discovery document', async (t) => {
  const { world, front } = await solanaSetup(t, 'seed-001-discovery');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  const doc = await x402.discoverX402(`${server.url}/api/hello?x=1`);
  assert.equal(doc.url, `${server.url}/.well-known/x402.json`);
  assert.equal(doc.endpoints[0].path, '/api/hello');
  assert.equal(doc.endpoints[0].verify, '/api/verify');
  await assert.rejects(x402.discoverX402('http://127.0.0.1:9/'), (e) => e.code === 'DISCOVERY_FAILED');
  await assert.rejects(x402.discoverX402('not a url'), (e) => e.code === 'INVALID_ARGUMENT');
  const missing = await serverFor(t, { routes: {} });
  await assert.rejects(x402.discoverX402(missing.url('/')), (e) => e.code === 'DISCOVERY_FAILED' && /404/.test(e.message));
});

async function baseSetup(t) {
  const chain = await startBaseUsdcChain();
  t.after(() => chain.stop());
  await chain.mint(PAYER_EVM, 5_000_000n);
  return chain;
}

test('seed 003: an ERC-20 transfer on "base", then X-402-Payment-Proof (local key and EIP-1193)', async (t) => {
  const chain = await baseSetup(t);
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '0.01' });
  t.after(() => server.close());
  const provider = { request: ({ method, params }) => rpc(chain.rpcUrl, method, params ?? []) };
  for (const wallet of [x402.evmPrivateKeyWallet(TEST_KEY), x402.eip1193Wallet(provider, { account: PAYER_EVM })]) {
    const before = await chain.balanceOf(PAY_TO);
    const capture = capturingFetch();
    const paying = x402.wrapFetch(capture, { wallets: [wallet], rpc: { 'eip155:8453': chain.rpcUrl } });
    const response = await paying(`${server.url}/premium-data`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: 'Premium content here', payment: { verified: true } });
    assert.equal((await chain.balanceOf(PAY_TO)) - before, 10_000n);
    const receipt = x402.getPaymentReceipt(response);
    assert.equal(receipt.success, true);
    assert.match(receipt.transaction, /^0x[0-9a-f]{64}$/);
    assert.equal(receipt.network, 'eip155:8453');
    const proof = JSON.parse(capture.seen.at(-1).input.headers.get('x-402-payment-proof'));
    assert.deepEqual(proof, { txHash: receipt.transaction, network: 'base', token: 'USDC', amount: '0.01' });
    // The same proof is refused the second time.
    const replay = await fetch(`${server.url}/premium-data`, { headers: { 'X-402-Payment-Proof': JSON.stringify(proof) } });
    assert.equal(replay.status, 402);
  }
});

test('seed 003: over the cap, expired, or a failed transfer: nothing paid, budget released', async (t) => {
  const chain = await baseSetup(t);
  const expensive = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '2.50' });
  const expired = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, expiresInMs: -60_000 });
  t.after(() => Promise.all([expensive.close(), expired.close()]));
  const { wallet, calls } = counted(x402.evmPrivateKeyWallet(TEST_KEY));
  const options = { wallets: [wallet], rpc: { 'eip155:8453': chain.rpcUrl } };
  await assert.rejects(x402.wrapFetch(fetch, options)(`${expensive.url}/premium-data`), (e) => e.code === 'PAYMENT_LIMIT_EXCEEDED');
  await assert.rejects(x402.wrapFetch(fetch, options)(`${expired.url}/premium-data`), (e) => e.code === 'PAYMENT_EXPIRED');
  assert.deepEqual(calls, []);

  // A payer without tokens: the node simulates the transfer as reverting, so it is never sent
  // (TRANSACTION_FAILED) and the budget for one payment stays free: once funded, it pays.
  const poor = x402.evmPrivateKeyWallet('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba'); // anvil account 9
  const cheap = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '0.01' });
  t.after(() => cheap.close());
  const paying = x402.wrapFetch(fetch, { wallets: [poor], rpc: options.rpc, policy: { budget: { total: '0.01' } } });
  await assert.rejects(paying(`${cheap.url}/premium-data`), (e) => {
    assert.equal(e.code, 'TRANSACTION_FAILED');
    assert.match(e.message, /would revert, so it was not sent/);
    return true;
  });
  await chain.mint(poor.address, 10_000n);
  assert.equal((await paying(`${cheap.url}/premium-data`)).status, 200);
  assert.equal(await chain.balanceOf(poor.address), 0n);
});

test('seed 003: a proof the server refuses is returned as its 402, paid once, and the money stays counted', async (t) => {
  const chain = await baseSetup(t);
  // The server wants 5 confirmations; anvil mines one block per transaction, so it refuses the proof.
  const strict = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '0.01', confirmations: 5 });
  t.after(() => strict.close());
  const { wallet, calls } = counted(x402.evmPrivateKeyWallet(TEST_KEY));
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { 'eip155:8453': chain.rpcUrl }, policy: { budget: { total: '0.015' } } });
  const before = await chain.balanceOf(PAY_TO);
  const response = await paying(`${strict.url}/premium-data`);
  assert.equal(response.status, 402);
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, false);
  assert.match(receipt.transaction, /^0x[0-9a-f]{64}$/);
  assert.equal((await chain.balanceOf(PAY_TO)) - before, 10_000n, 'the transfer happened');
  assert.deepEqual(calls, ['sendTransaction'], 'paid once, never again for the same request');
  // The transfer is spent: $0.01 of the $0.015 budget is gone, so another is refused.
  await assert.rejects(paying(`${strict.url}/premium-data`), (e) => e.code === 'BUDGET_EXCEEDED');
});

test('seed 003: the user refusing the transfer in the wallet releases the budget; an RPC failure keeps it', async (t) => {
  const chain = await baseSetup(t);
  const server = await startHeaderDialectServer({ rpcUrl: chain.rpcUrl, receiver: PAY_TO, amountUsd: '0.01' });
  t.after(() => server.close());
  let mode = 'refuse';
  const provider = {
    request: async ({ method, params }) => {
      if (method === 'eth_sendTransaction' && mode === 'refuse') throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
      if (method === 'eth_sendTransaction' && mode === 'fail') throw Object.assign(new Error('upstream timeout'), { code: -32603 });
      return rpc(chain.rpcUrl, method, params ?? []);
    },
  };
  const paying = x402.wrapFetch(fetch, {
    wallets: [x402.eip1193Wallet(provider, { account: PAYER_EVM })],
    rpc: { 'eip155:8453': chain.rpcUrl },
    policy: { budget: { total: '0.01' } },
  });
  await assert.rejects(paying(`${server.url}/premium-data`), (e) => e.code === 'USER_REJECTED');
  // Nothing was sent, so the whole budget is still there for a payment that goes through...
  mode = 'pay';
  assert.equal((await paying(`${server.url}/premium-data`)).status, 200);
  // ...and a failure that may have happened after submitting keeps its reservation.
  const second = x402.wrapFetch(fetch, {
    wallets: [x402.eip1193Wallet(provider, { account: PAYER_EVM })],
    rpc: { 'eip155:8453': chain.rpcUrl },
    policy: { budget: { total: '0.01' } },
  });
  mode = 'fail';
  await assert.rejects(second(`${server.url}/premium-data`), (e) => e.code === 'WALLET_ERROR');
  mode = 'pay';
  await assert.rejects(second(`${server.url}/premium-data`), (e) => e.code === 'BUDGET_EXCEEDED');
});

test('seed 004: the allowed facilitator pays; the proof is accepted once', async (t) => {
  const { world, front } = await solanaSetup(t, 'seed-004');
  const f = await startFacilitatorPay({ world, rpcUrl: front.url, mint: 'token', apiKey: 'k-123' });
  t.after(() => f.close());
  approveFacilitator(world, f.facilitatorAddress, 1_000_000n);
  const { atas } = world.mints.token;
  const before = world.balance(atas.payee);
  const capture = capturingFetch();
  const paying = x402.wrapFetch(capture, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    facilitators: [{ url: f.facilitatorUrl, headers: async () => ({ authorization: 'Bearer k-123' }) }],
  });
  const response = await paying(`${f.url}/api/generate`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { result: 'Your AI-generated content' });
  assert.equal(world.balance(atas.payee) - before, 10_000n);
  const receipt = x402.getPaymentReceipt(response);
  assert.equal(receipt.success, true);
  assert.equal(receipt.payer, world.keys.payer.address);
  const paid = capture.seen.at(-1).input.headers;
  assert.equal(paid.get('x-payment-txid'), receipt.transaction);
  // The same proof again is refused.
  const replay = await fetch(`${f.url}/api/generate`, {
    headers: { 'X-Payment-Proof': paid.get('x-payment-proof'), 'X-Payment-TxId': paid.get('x-payment-txid') },
  });
  assert.equal(replay.status, 402);
});

test('seed 004: facilitators are opt-in; a refusal releases the budget', async (t) => {
  const { world, front } = await solanaSetup(t, 'seed-004-refuse');
  const f = await startFacilitatorPay({ world, rpcUrl: front.url, mint: 'token' });
  t.after(() => f.close());
  const wallets = [x402.solanaPrivateKeyWallet(world.keys.payer.seed)];
  await assert.rejects(x402.wrapFetch(fetch, { wallets })(`${f.url}/api/generate`), (e) => e.code === 'FACILITATOR_NOT_ALLOWED');
  await assert.rejects(
    x402.wrapFetch(fetch, { wallets, facilitators: ['https://facilitator.example'] })(`${f.url}/api/generate`),
    (e) => e.code === 'FACILITATOR_NOT_ALLOWED',
  );
  assert.equal(f.counters.facilitator.pay ?? 0, 0, 'the facilitator was never asked');
  // No delegate approval: the facilitator refuses; nothing moved, the budget is free again.
  const paying = x402.wrapFetch(fetch, { wallets, facilitators: [f.facilitatorUrl], policy: { budget: { total: '0.01' } } });
  await assert.rejects(paying(`${f.url}/api/generate`), (e) => e.code === 'FACILITATOR_ERROR');
  approveFacilitator(world, f.facilitatorAddress, 1_000_000n);
  assert.equal((await paying(`${f.url}/api/generate`)).status, 200);
});

test("seed 000: 1ly's _1ly metadata is on the receipt, and the body stays readable", async (t) => {
  const body = { data: { temperature: 72, conditions: 'sunny' }, _1ly: { purchaseId: 'abc123', reviewToken: 'xyz789' } };
  // 1ly's 402 repeats the PAYMENT-REQUIRED document in its JSON body ('v2-both').
  const server = await serverFor(t, {
    x402,
    routes: {
      '/weather': { accepts: [usdc()], body: JSON.stringify(body), mode: 'v2-both' },
      '/plain-x402': { accepts: [usdc()], body: JSON.stringify(body) },
    },
  });
  const paying = x402.wrapFetch(fetch, { wallets: [x402.evmPrivateKeyWallet(TEST_KEY)] });
  const response = await paying(server.url('/weather'));
  assert.equal(response.status, 200);
  assert.deepEqual(x402.getPaymentReceipt(response)._1ly, body._1ly);
  assert.deepEqual(await response.json(), body);
  // Other x402 servers' paid bodies are not read for it.
  const other = await paying(server.url('/plain-x402'));
  assert.equal(x402.getPaymentReceipt(other)._1ly, undefined);
  assert.deepEqual(await other.json(), body);
});
