// wrapFetch paying x402 v2 Solana routes end to end: a local server answers 402, verifies the
// PAYMENT-SIGNATURE with verifyPayment and settles in litesvm (co-sign as fee payer + send); the
// SDK's RPC goes to a JSON-RPC front backed by the same litesvm. Balances move by exactly amount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, VersionedTransaction } from '@solana/web3.js';
import { loadX402 } from '../lib/x402.mjs';
import { createWorld, startRpcFront } from '../lib/svm-litesvm.mjs';
import { startSolanaPaidServer } from '../lib/svm-paid-server.mjs';

const x402 = await loadX402();

async function setup(t, label, routes) {
  const world = await createWorld({ label });
  const front = await startRpcFront(world);
  t.after(() => front.close());
  const server = await startSolanaPaidServer(x402, world, routes(world));
  t.after(() => server.close());
  const policy = {
    assets: Object.values(world.mints).map(({ mint }) => ({ network: world.network, asset: mint, decimals: 6, maxPerPayment: '5000000' })),
  };
  return { world, front, server, policy };
}

for (const name of ['token', 'token2022']) {
  test(`wrapFetch pays a v2 Solana route (${name}); the server settles in litesvm; exactly amount moves`, async (t) => {
    const { world, front, server, policy } = await setup(t, `fetch-${name}`, (w) => ({ '/paid': [w.requirement(name, { amount: '250000' })] }));
    const events = [];
    const fetch = x402.wrapFetch(globalThis.fetch, {
      wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
      rpc: { [world.network]: front.url },
      policy,
      onEvent: (e) => events.push(e.type),
    });
    const { atas } = world.mints[name];
    const before = { payer: world.balance(atas.payer), payee: world.balance(atas.payee) };

    const response = await fetch(server.url('/paid'));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { paid: true, path: '/paid' });
    const receipt = x402.getPaymentReceipt(response);
    assert.equal(receipt.success, true);
    assert.equal(receipt.network, world.network);
    assert.equal(receipt.payer, world.keys.payer.address);
    assert.equal(receipt.transaction, server.settlements[0].transaction);
    assert.ok(events.includes('settled'), `events: ${events}`);

    assert.equal(world.balance(atas.payee) - before.payee, 250000n);
    assert.equal(before.payer - world.balance(atas.payer), 250000n);
    assert.equal(server.requests.length, 2, 'one 402, one paid retry');
    assert.ok(server.requests[1].headers['payment-signature']);
    assert.deepEqual(front.calls.map((c) => c.method).sort(), ['getAccountInfo', 'getLatestBlockhash']);

    // A second request pays again (a new transaction: new blockhash-independent memo nonce).
    const second = await fetch(server.url('/paid'));
    assert.equal(second.status, 200);
    assert.equal(world.balance(atas.payee) - before.payee, 500000n);
    assert.equal(server.settlements.filter((s) => s.success).length, 2);
  });
}

test('wrapFetch through the solanaWallet adapter (Wallet Standard signTransaction), a route offering EVM first', async (t) => {
  const { world, front, server, policy } = await setup(t, 'fetch-standard', (w) => ({
    '/paid': [
      { scheme: 'exact', network: 'eip155:84532', amount: '10000', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C', maxTimeoutSeconds: 60, extra: { name: 'USDC', version: '2' } },
      w.requirement('token2022', { amount: '42' }),
    ],
  }));
  const inner = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  const signed = [];
  const standard = {
    // The account says which clusters it is on: the payment's (devnet) is named to the wallet.
    accounts: [{ address: world.keys.payer.address, chains: ['solana:mainnet', 'solana:devnet'] }],
    features: {
      'solana:signTransaction': {
        async signTransaction(...inputs) {
          signed.push(inputs[0]);
          return Promise.all(inputs.map(async (input) => ({ signedTransaction: await inner.signTransaction(input.transaction) })));
        },
      },
    },
  };
  const fetch = x402.wrapFetch(globalThis.fetch, {
    wallets: [x402.solanaWallet(standard)],
    rpc: { [world.network]: front.url },
    policy,
  });
  const before = world.balance(world.mints.token2022.atas.payee);
  const response = await fetch(server.url('/paid'));
  assert.equal(response.status, 200);
  assert.equal(x402.getPaymentReceipt(response).success, true);
  assert.equal(world.balance(world.mints.token2022.atas.payee) - before, 42n);
  assert.equal(signed.length, 1);
  assert.equal(signed[0].account.address, world.keys.payer.address);
  assert.equal(signed[0].chain, 'solana:devnet');
  assert.ok(signed[0].transaction instanceof Uint8Array);
});

test("a wallet that returns a transfer authorised and signed by another of its accounts is SIGNER_MISMATCH; nothing is sent", async (t) => {
  const { world, front, server, policy } = await setup(t, 'fetch-other-signer', (w) => ({ '/paid': [w.requirement('token', { amount: '55' })] }));
  // What the wallet's other account (the attacker's key here) signs for the same 402: a valid
  // payment in itself, from the wrong account.
  const challenge = x402.decodeHeader((await globalThis.fetch(server.url('/paid'))).headers.get('payment-required'), 'PaymentRequired');
  const other = await x402.createPaymentPayload(challenge, 0, x402.solanaPrivateKeyWallet(world.keys.attacker.seed), { rpc: { [world.network]: front.url } });
  const otherBytes = Uint8Array.from(Buffer.from(other.payload.transaction, 'base64'));
  const standard = {
    accounts: [{ address: world.keys.payer.address }],
    features: { 'solana:signTransaction': { signTransaction: async () => [{ signedTransaction: otherBytes }] } },
  };
  // The wallet-adapter shape, bytes in and out.
  const adapter = { publicKey: Keypair.fromSeed(world.keys.payer.seed).publicKey, signTransaction: async () => otherBytes };
  for (const wallet of [x402.solanaWallet(standard, { chain: 'solana:devnet' }), x402.solanaWallet(adapter)]) {
    const before = server.requests.length;
    const fetch = x402.wrapFetch(globalThis.fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy });
    await assert.rejects(fetch(server.url('/paid')), (e) => e.code === 'SIGNER_MISMATCH'
      && e.message.includes(world.keys.payer.address) && e.message.includes(world.keys.attacker.address));
    assert.equal(server.requests.length - before, 1, 'only the unpaid request was sent');
    await assert.rejects(x402.createPaymentPayload(challenge, 0, wallet, { rpc: { [world.network]: front.url } }), { code: 'SIGNER_MISMATCH' });
  }
  assert.equal(server.settlements.length, 0);
});

// The wallet-adapter shape (@solana/wallet-adapter's signTransaction, as Phantom's and Solflare's
// adapters give it): a PublicKey, and signTransaction(VersionedTransaction) resolving to the signed
// VersionedTransaction, with @solana/web3.js 1.x's class passed in. The signer is a web3.js Keypair.
test('wrapFetch through the solanaWallet adapter (wallet-adapter object with web3.js VersionedTransaction)', async (t) => {
  const { world, front, server, policy } = await setup(t, 'fetch-adapter', (w) => ({ '/paid': [w.requirement('token', { amount: '77' })] }));
  const keypair = Keypair.fromSeed(world.keys.payer.seed);
  assert.equal(keypair.publicKey.toBase58(), world.keys.payer.address);
  const given = [];
  const adapter = {
    publicKey: keypair.publicKey,
    async signTransaction(transaction) {
      given.push(transaction);
      transaction.sign([keypair]);
      return transaction;
    },
  };
  const fetch = x402.wrapFetch(globalThis.fetch, {
    wallets: [x402.solanaWallet(adapter, { VersionedTransaction })],
    rpc: { [world.network]: front.url },
    policy,
  });
  const { atas } = world.mints.token;
  const before = { payer: world.balance(atas.payer), payee: world.balance(atas.payee) };
  const response = await fetch(server.url('/paid'));
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(x402.getPaymentReceipt(response).success, true);
  assert.equal(x402.getPaymentReceipt(response).payer, world.keys.payer.address);
  assert.equal(world.balance(atas.payee) - before.payee, 77n);
  assert.equal(before.payer - world.balance(atas.payer), 77n);
  assert.equal(given.length, 1);
  assert.ok(given[0] instanceof VersionedTransaction);
  // Partially signed: the payer's signature, the fee payer's slot left for the facilitator.
  const signers = given[0].message.staticAccountKeys.slice(0, given[0].message.header.numRequiredSignatures).map((k) => k.toBase58());
  assert.ok(signers.includes(world.keys.payer.address));
  assert.equal(given[0].signatures.filter((sig) => sig.some((b) => b !== 0)).length, 1);
});

test('a replayed PAYMENT-SIGNATURE is refused by the server and moves nothing', async (t) => {
  const { world, front, server, policy } = await setup(t, 'fetch-replay', (w) => ({ '/paid': [w.requirement('token', { amount: '7' })] }));
  const fetch = x402.wrapFetch(globalThis.fetch, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    rpc: { [world.network]: front.url },
    policy,
  });
  const { atas } = world.mints.token;
  const response = await fetch(server.url('/paid'));
  assert.equal(response.status, 200);
  const header = server.requests[1].headers['payment-signature'];
  const after = world.balance(atas.payee);
  const replay = await globalThis.fetch(server.url('/paid'), { headers: { 'PAYMENT-SIGNATURE': header } });
  assert.equal(replay.status, 402);
  assert.equal(x402.decodePaymentResponse(replay.headers.get('payment-response')).errorReason, 'duplicate_settlement');
  assert.equal(world.balance(atas.payee), after);
});

test('a Solana payment sent again under its paymentId is asked about with its payer; it moves money once', async (t) => {
  const world = await createWorld({ label: 'fetch-again' });
  const front = await startRpcFront(world);
  t.after(() => front.close());
  const extensions = { 'payment-identifier': { info: { required: false } } };
  const server = await startSolanaPaidServer(x402, world, { '/paid': [world.requirement('token', { amount: '9' })] }, { extensions });
  t.after(() => server.close());
  let lose = true;
  const flaky = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    if (lose && new Request(input, init).headers.has('payment-signature')) {
      lose = false;
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  };
  const questions = [];
  const fetch = x402.wrapFetch(flaky, {
    wallets: [x402.solanaPrivateKeyWallet(world.keys.payer.seed)],
    rpc: { [world.network]: front.url },
    policy: { assets: [{ network: world.network, asset: world.mints.token.mint, decimals: 6, maxPerPayment: '9' }] },
    onPaymentRequired: (question) => questions.push(question) > 0,
  });
  const { atas } = world.mints.token;
  const before = world.balance(atas.payee);
  const paymentId = 'svm_again_00000000001';
  await assert.rejects(fetch(server.url('/paid'), undefined, { paymentId }), /connection reset/);
  // The first payment settled; sent again, this server (no deduplication) refuses it as a replay.
  const again = await fetch(server.url('/paid'), undefined, { paymentId });
  assert.equal(again.status, 402);
  assert.equal(x402.getPaymentReceipt(again).errorReason, 'duplicate_settlement');
  assert.equal(server.requests[3].headers['payment-signature'], server.requests[1].headers['payment-signature']);
  assert.equal(questions.length, 2);
  assert.equal(questions[0].sentAgain, undefined);
  assert.equal(questions[1].sentAgain, true);
  assert.equal(questions[1].payer, world.keys.payer.address);
  assert.equal(world.balance(atas.payee) - before, 9n);
});

test('a requirement whose fee payer is the payer, the mint or a program is refused before the wallet is asked to sign', async (t) => {
  const { world, front, server, policy } = await setup(t, 'fetch-feepayer', (w) => ({
    '/payer': [w.requirement('token', { amount: '1000', extra: { feePayer: w.keys.payer.address } })],
    '/mint': [w.requirement('token', { amount: '1000', extra: { feePayer: w.mints.token.mint } })],
    '/program': [w.requirement('token', { amount: '1000', extra: { feePayer: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA' } })],
  }));
  const key = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  let signed = 0;
  const wallet = {
    kind: 'solana',
    address: key.address,
    getAddress: async () => key.address,
    signTransaction: async (tx) => { signed += 1; return key.signTransaction(tx); },
  };
  const fetch = x402.wrapFetch(globalThis.fetch, { wallets: [wallet], rpc: { [world.network]: front.url }, policy });
  for (const path of ['/payer', '/mint', '/program']) {
    await assert.rejects(fetch(server.url(path)), { name: 'X402Error', code: 'INVALID_SOLANA_REQUIREMENT' }, path);
  }
  assert.equal(signed, 0, 'the wallet was asked to sign');
  assert.equal(server.requests.filter((r) => r.headers['payment-signature']).length, 0);
});
