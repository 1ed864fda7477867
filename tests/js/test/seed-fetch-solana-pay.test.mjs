// wrapFetch paying the Solana Pay reference dialect (seed 001, issue 8) end to end, against the
// server written from the seed text (lib/seed-solana-pay.mjs), settled in litesvm behind the
// JSON-RPC front: the transfer, the verify poll and the repeat; refusals before any wallet call;
// expiry, preflight failures and timeouts, with what each does to the budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadX402 } from '../lib/x402.mjs';
import { startSolanaPayServer } from '../lib/seed-servers.mjs';
import { counted, solanaSetup } from '../lib/seed-fetch-common.mjs';
import { TEST_KEY } from '../lib/paid-server.mjs';
import { PROGRAMS, decodeMessage, decodeTransaction, keyFromSeed, seedFor, toBase58 } from '../lib/svm-wire.mjs';

const x402 = await loadX402();

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

test('seed 001: the transfer carries every reference the solana_pay_url lists, in its order', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-references');
  // Solana Pay (docs.solanapay.com/spec): every `reference` of the URL goes into the transfer, in order.
  const order = keyFromSeed(seedFor('seed-001/order')).address;
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25', urlReferences: [order] });
  t.after(() => server.close());
  const inner = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  const asked = [];
  const wallet = {
    kind: 'solana',
    address: inner.address,
    getAddress: async () => inner.address,
    sendTransaction: (transaction, ctx) => { asked.push(new Uint8Array(transaction)); return inner.sendTransaction(transaction, ctx); },
  };
  const paying = x402.wrapFetch(fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy });
  const response = await paying(`${server.url}/api/hello`, { method: 'POST' });
  assert.equal(response.status, 200);
  const { paid_reference: reference } = await response.json();
  assert.equal(asked.length, 1);
  const message = decodeMessage(decodeTransaction(asked[0]).message);
  const key = (index) => toBase58(message.accountKeys[index]);
  const transfer = message.instructions.find((ix) => key(ix.programIdIndex) === PROGRAMS.token);
  assert.ok(transfer, 'a Token program instruction');
  // TransferChecked's four accounts (source, mint, destination, owner), then the references.
  assert.deepEqual(transfer.accounts.slice(4).map(key), [order, reference]);
  // The server found the payment by its own reference, which the verify poll asked about.
  assert.ok(server.references.get(reference)?.consumed);
  assert.ok(server.seen.some((s) => s.route === 'GET /api/verify' && s.query.reference === reference));
});

test('seed 001: a solana_pay_url asking for native SOL, a memo, or a reference that is not a key is INVALID_402', () => {
  const usdc = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
  const recipient = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
  const reference = '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM';
  const body = (url) => JSON.stringify({
    chain: 'solana', network: 'mainnet', asset_mint: usdc, amount: '0.01', recipient, reference,
    expires_at: new Date(Date.now() + 120_000).toISOString(), description: 'd', solana_pay_url: url,
  });
  const base = `solana:${recipient}?amount=0.01`;
  for (const url of [
    `${base}&reference=${reference}`, // no spl-token: a SOL transfer
    `${base}&spl-token=${usdc}&reference=${reference}&memo=order-42`,
    `${base}&spl-token=${usdc}&reference=${reference}&reference=order-42`,
  ]) {
    assert.throws(() => x402.recognizePaymentRequired(402, {}, body(url)), (e) => e.code === 'INVALID_402', url);
  }
  const challenge = x402.recognizePaymentRequired(402, {}, body(`${base}&spl-token=${usdc}&reference=${reference}`));
  assert.equal(challenge.requirements[0].payTo, recipient);
});

test("seed 001: the body's description is the challenge's resource.description, not its error", () => {
  const challenge = x402.recognizePaymentRequired(402, {}, JSON.stringify({
    chain: 'solana', network: 'mainnet', asset_mint: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', amount: '10',
    recipient: '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU', reference: '9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM',
    expires_at: new Date(Date.now() + 120_000).toISOString(), description: 'Access to the hello endpoint result',
  }));
  assert.equal(challenge.error, undefined);
  assert.deepEqual(challenge.resource, { url: '', description: 'Access to the hello endpoint result' });
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
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25', ttlMs: 9_000 });
  t.after(() => server.close());
  const { wallet, calls } = counted(x402.solanaPrivateKeyWallet(world.keys.payer.seed));
  const paying = x402.wrapFetch(fetch, {
    wallets: [wallet],
    rpc: { [world.network]: front.url },
    policy: { ...policy, budget: { total: '0.25' } },
    onPaymentRequired: () => new Promise((resolve) => setTimeout(() => resolve(true), 6_000)),
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

test('seed 001: a verify request that never answers is aborted when the poll gives it up, not left open', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-verify-silent');
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25', ttlMs: 315_360_000_000 });
  t.after(() => server.close());
  const verifies = [];
  const silent = async (request) => {
    if (new URL(request.url).pathname !== '/api/verify') return fetch(request);
    verifies.push(request.signal);
    // A server that takes the request and never answers: only an abort ends it.
    return new Promise((resolve, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
  };
  const paying = x402.wrapFetch(silent, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    rpc: { [world.network]: front.url },
    policy,
    transactionTimeout: 1_500,
  });
  await assert.rejects(paying(`${server.url}/api/hello`, { method: 'POST' }), (e) => e.code === 'PAYMENT_EXPIRED');
  assert.ok(verifies.length >= 1, 'the verify endpoint was polled');
  assert.deepEqual(verifies.map((signal) => signal.aborted), verifies.map(() => true), 'every verify request given up was aborted');
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

test('seed 001: an abort while the status poll waits to ask again leaves no timer keeping the process alive', async (t) => {
  const { world, front, policy } = await solanaSetup(t, 'seed-001-abort-backoff', { confirm: false });
  const server = await startSolanaPayServer({ world, rpcUrl: front.url, mint: 'token', amount: '0.25' });
  t.after(() => server.close());
  // Every timer made from the signature on, until the call has rejected: which are still armed.
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const armed = new Set();
  let watching = false;
  globalThis.setTimeout = function watched(callback, ms, ...rest) {
    const timer = set((...args) => { armed.delete(timer); callback(...args); }, ms, ...rest);
    if (watching) armed.add(timer);
    return timer;
  };
  globalThis.clearTimeout = (timer) => { armed.delete(timer); clear(timer); };
  t.after(() => { globalThis.setTimeout = set; globalThis.clearTimeout = clear; });
  const controller = new AbortController();
  const polled = () => front.calls.filter((c) => c.method === 'getSignatureStatuses').length;
  const pending = x402.wrapFetch(fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)], rpc: { [world.network]: front.url }, policy,
    onEvent: (e) => {
      if (e.type !== 'signed') return;
      watching = true;
      // Once the status was asked twice, the poll is in its backoff (250 ms, then 500 ms, ...).
      const abortInBackoff = () => (polled() >= 2 ? controller.abort(new Error('stop')) : set(abortInBackoff, 5));
      abortInBackoff();
    },
  })(`${server.url}/api/hello`, { method: 'POST', signal: controller.signal });
  await assert.rejects(pending, /stop/);
  watching = false;
  const alive = [...armed].filter((timer) => timer.hasRef());
  assert.deepEqual(alive.map((timer) => timer._idleTimeout), [], 'timers left armed after the abort');
});
