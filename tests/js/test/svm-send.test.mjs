// Direct SPL transfers with a Solana Pay reference (the "Solana Pay reference" 402 dialect), sent for
// real into litesvm through its JSON-RPC front (startLitesvmRpc: sendTransaction executes at once,
// getSignatureStatuses reports the outcome). The transfer is built by @solana/kit and the
// @solana-program token clients (buildTransfer from the vector generator), the payer pays its own
// fees. Senders: the SDK's SolanaPrivateKeyWallet.sendTransaction (signs, submits over ctx.rpcUrl)
// and solanaWallet() over a Wallet Standard wallet with solana:signAndSendTransaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lamports } from '@solana/kit';
import { loadX402 } from '../lib/x402.mjs';
import { createWorld, INITIAL_TOKENS } from '../lib/svm-litesvm.mjs';
import { startLitesvmRpc } from '../lib/svm-facilitator.mjs';
import { buildTransfer } from '../gen/svm-transfer-vectors.mjs';
import {
  b64, decodeMessage, decodeTransaction, encodeTransaction, fromB64, fromBase58, keyFromSeed, seedFor, toBase58, verifyEd25519,
} from '../lib/svm-wire.mjs';

const x402 = await loadX402();
const AMOUNT = 1_234_567n;

async function setup(t, label) {
  const world = await createWorld({ label });
  world.svm.airdrop(world.keys.payer.address, lamports(1_000_000_000n)); // the payer pays its own fees
  const front = await startLitesvmRpc(world);
  t.after(() => front.close());
  const reference = keyFromSeed(seedFor(`${label}/reference`)).address;
  const transfer = (name, overrides = {}) => buildTransfer({
    payer: world.keys.payer.address,
    recipient: world.keys.payee.address,
    mint: world.mints[name].mint,
    tokenProgram: world.mints[name].program,
    decimals: world.mints[name].decimals,
    amount: AMOUNT,
    references: [reference],
    blockhash: world.svm.latestBlockhash(),
    ...overrides,
  });
  const balances = (name) => {
    const { atas } = world.mints[name];
    return { payer: world.balance(atas.payer), payee: world.balance(atas.payee) };
  };
  return { world, front, reference, transfer, balances };
}

/** The wire transactions the front received with sendTransaction, decoded. */
function sentTransactions(front) {
  return front.calls.filter((c) => c.method === 'sendTransaction').map((c) => {
    const tx = decodeTransaction(fromB64(c.params[0]));
    return { tx, message: decodeMessage(tx.message), options: c.params[1] };
  });
}

async function statusOf(front, signature) {
  const response = await fetch(front.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getSignatureStatuses', params: [[signature]] }),
  });
  return (await response.json()).result.value[0];
}

/**
 * A Wallet Standard wallet with solana:signAndSendTransaction (and nothing else), backed by `key`:
 * signs the fee-payer slot and submits to `rpcUrl` itself, as a browser wallet does with its own RPC.
 */
function standardWallet(key, rpcUrl, { reject = false } = {}) {
  const calls = [];
  const account = { address: key.address, publicKey: key.publicKey, chains: ['solana:devnet'], features: ['solana:signAndSendTransaction'] };
  const signAndSendTransaction = async (...inputs) => {
    calls.push(...inputs);
    if (reject) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
    return Promise.all(inputs.map(async ({ transaction }) => {
      const tx = decodeTransaction(transaction);
      tx.signatures[0] = key.sign(tx.message);
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'sendTransaction', params: [b64(encodeTransaction(tx)), { encoding: 'base64' }] }),
      });
      return { signature: fromBase58((await response.json()).result) };
    }));
  };
  const wallet = {
    version: '1.0.0', name: 'Mock', icon: 'data:,', chains: ['solana:devnet'], accounts: [account],
    features: { 'solana:signAndSendTransaction': { version: '1.0.0', supportedTransactionVersions: [0], signAndSendTransaction } },
  };
  return { wallet, calls };
}

for (const name of ['token', 'token2022']) {
  test(`${name}: solanaPrivateKeyWallet.sendTransaction lands a transfer carrying the reference`, async (t) => {
    const { world, front, reference, transfer, balances } = await setup(t, `send-${name}`);
    const before = balances(name);
    const built = await transfer(name);
    const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
    t.after(() => wallet.free());
    const signature = await wallet.sendTransaction(built.transaction, { rpcUrl: front.url, network: world.network });

    assert.equal(typeof signature, 'string');
    assert.deepEqual(front.sent.map((s) => [s.signature, s.ok]), [[signature, true]]);
    const after = balances(name);
    assert.equal(after.payer, before.payer - AMOUNT);
    assert.equal(after.payee, before.payee + AMOUNT);

    // What landed: base64 on the wire, the kit-built message signed by the payer, and the
    // reference as a read-only non-signer account of the TransferChecked.
    const [{ tx, message, options }] = sentTransactions(front);
    assert.equal(options.encoding, 'base64');
    assert.deepEqual(tx.message, built.message);
    assert.equal(toBase58(tx.signatures[0]), signature);
    assert.ok(verifyEd25519(world.keys.payer.address, tx.message, tx.signatures[0]));
    const keys = message.accountKeys.map(toBase58);
    assert.equal(keys[0], world.keys.payer.address);
    const at = keys.indexOf(reference);
    const [numSigned, , numReadonlyUnsigned] = message.header;
    assert.ok(at >= numSigned && at >= keys.length - numReadonlyUnsigned, 'the reference is read-only and unsigned');
    const [ix] = message.instructions;
    assert.equal(keys[ix.programIdIndex], world.mints[name].program);
    assert.deepEqual(ix.accounts.map((i) => keys[i]), [built.source, world.mints[name].mint, built.destination, world.keys.payer.address, reference]);

    const status = await statusOf(front, signature);
    assert.equal(status.err, null);
  });
}

test('a Wallet Standard wallet with signAndSendTransaction sends through solanaWallet()', async (t) => {
  const { world, front, reference, transfer, balances } = await setup(t, 'send-standard');
  const before = balances('token2022');
  const built = await transfer('token2022');
  const mock = standardWallet(world.keys.payer, front.url);
  const adapter = x402.solanaWallet(mock.wallet);
  assert.equal(adapter.signTransaction, undefined, 'no solana:signTransaction feature, no signTransaction');
  assert.equal(await adapter.getAddress(), world.keys.payer.address);

  const signature = await adapter.sendTransaction(built.transaction, { rpcUrl: front.url, network: world.network });
  assert.ok(signature instanceof Uint8Array && signature.length === 64);
  assert.deepEqual(front.sent.map((s) => [s.signature, s.ok]), [[toBase58(signature), true]]);
  // The CAIP-2 devnet network is passed as the Wallet Standard chain name.
  assert.deepEqual(mock.calls.map((c) => [c.chain, c.account.address]), [['solana:devnet', world.keys.payer.address]]);
  assert.deepEqual(mock.calls[0].transaction, built.transaction);
  const after = balances('token2022');
  assert.equal(after.payee - before.payee, AMOUNT);
  const [{ message }] = sentTransactions(front);
  assert.ok(message.accountKeys.map(toBase58).includes(reference));
});

test('a user rejection in signAndSendTransaction is USER_REJECTED and nothing is sent', async (t) => {
  const { world, front, transfer } = await setup(t, 'send-reject');
  const built = await transfer('token');
  const adapter = x402.solanaWallet(standardWallet(world.keys.payer, front.url, { reject: true }).wallet);
  await assert.rejects(adapter.sendTransaction(built.transaction, { network: world.network }), { name: 'X402Error', code: 'USER_REJECTED' });
  assert.equal(front.sent.length, 0);
});

test('sendTransaction without ctx.rpcUrl, or with bytes that are not a transaction, is a coded error', async (t) => {
  const { world, front, transfer } = await setup(t, 'send-bad-input');
  const built = await transfer('token');
  const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  t.after(() => wallet.free());
  const code = (c) => ({ name: 'X402Error', code: c });
  await assert.rejects(wallet.sendTransaction(built.transaction, { network: world.network }), code('INVALID_ARGUMENT'));
  await assert.rejects(wallet.sendTransaction(built.transaction), code('INVALID_ARGUMENT'));
  await assert.rejects(wallet.sendTransaction(built.transaction, { rpcUrl: 42 }), code('INVALID_ARGUMENT'));
  await assert.rejects(wallet.sendTransaction('not bytes', { rpcUrl: front.url }), code('INVALID_ARGUMENT'));
  for (const bytes of [new Uint8Array(), new Uint8Array([1, 2, 3]), built.transaction.slice(0, 100), new Uint8Array(2000)]) {
    await assert.rejects(wallet.sendTransaction(bytes, { rpcUrl: front.url }), code('INVALID_TRANSACTION'));
  }
  // A transaction this key does not sign.
  const other = await transfer('token', { payer: world.keys.attacker.address });
  await assert.rejects(wallet.sendTransaction(other.transaction, { rpcUrl: front.url }), code('SIGNER_MISMATCH'));
  await assert.rejects(wallet.sendTransaction(built.transaction, { rpcUrl: front.url, signal: 'no' }), code('INVALID_ARGUMENT'));
  // ctx.signal (the paying fetch's): aborted before the submission, nothing is submitted.
  const reason = new Error('the caller gave up');
  await assert.rejects(wallet.sendTransaction(built.transaction, { rpcUrl: front.url, signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const controller = new AbortController();
  const pending = wallet.sendTransaction(built.transaction, { rpcUrl: front.url, signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.deepEqual(front.calls, [], 'no RPC call for refused input');
});

test('a transfer above the balance lands with an error status (what confirmation reports as TRANSACTION_FAILED)', async (t) => {
  const { world, front, transfer, balances } = await setup(t, 'send-overdraft');
  const before = balances('token');
  const built = await transfer('token', { amount: INITIAL_TOKENS + 1n });
  const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  t.after(() => wallet.free());
  const signature = await wallet.sendTransaction(built.transaction, { rpcUrl: front.url });
  assert.equal(front.sent.length, 1);
  assert.equal(front.sent[0].signature, signature);
  assert.equal(front.sent[0].ok, false);
  const status = await statusOf(front, signature);
  assert.notEqual(status.err, null, 'the status carries the error');
  assert.match(JSON.stringify(status.err), /InstructionError|Custom|insufficient/i);
  assert.deepEqual(balances('token'), before);
});

test("a transfer the RPC's preflight refuses is TRANSACTION_FAILED, and nothing runs", async (t) => {
  const { world, transfer, balances } = await setup(t, 'send-preflight');
  const front = await startLitesvmRpc(world, { preflight: true });
  t.after(() => front.close());
  const before = balances('token');
  const built = await transfer('token', { amount: INITIAL_TOKENS + 1n });
  const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  t.after(() => wallet.free());
  await assert.rejects(wallet.sendTransaction(built.transaction, { rpcUrl: front.url }), (e) => {
    assert.equal(e.code, 'TRANSACTION_FAILED');
    assert.match(e.message, /preflight refused it, so it was not sent: Transaction simulation failed/);
    return true;
  });
  assert.deepEqual(front.sent.map((s) => [s.ok, s.preflight]), [[false, true]]);
  assert.deepEqual(balances('token'), before);
  // The same transfer within the balance goes through the same front.
  const fine = await transfer('token');
  await wallet.sendTransaction(fine.transaction, { rpcUrl: front.url });
  assert.equal(balances('token').payee - before.payee, AMOUNT);
  // Sent again (a retrying proxy would do this), preflight answers "AlreadyProcessed": the money
  // moved, so it is an RPC_ERROR, never TRANSACTION_FAILED (which would release a budget).
  await assert.rejects(wallet.sendTransaction(fine.transaction, { rpcUrl: front.url }), (e) => {
    assert.equal(e.code, 'RPC_ERROR');
    assert.match(e.message, /already been processed/);
    return true;
  });
  assert.equal(front.sent.at(-1).error, 'AlreadyProcessed');
  assert.equal(balances('token').payee - before.payee, AMOUNT);
});

test('an unreachable RPC is RPC_ERROR', async (t) => {
  const { world, transfer } = await setup(t, 'send-unreachable');
  const built = await transfer('token');
  const wallet = x402.solanaPrivateKeyWallet(world.keys.payer.seed);
  t.after(() => wallet.free());
  await assert.rejects(wallet.sendTransaction(built.transaction, { rpcUrl: 'http://127.0.0.1:1/' }), { name: 'X402Error', code: 'RPC_ERROR' });
});
