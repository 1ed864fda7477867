// Tests for wallets/solana.js: which Wallet Standard features give which methods, the chain passed
// to solana:signAndSendTransaction, and what a wallet's answers and failures become. The landed
// transfers (litesvm) are in tests/js/test/svm-send.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { solanaWallet, standardChain } from './solana.js';

const ADDRESS = '7gteSv1b7L6Z465n6xrHb1VckCDoe7bsFDhsrkufr66w';
const DEVNET = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
const SIGNATURE = new Uint8Array(64).fill(9);

/** A Wallet Standard wallet with the given Solana features; records every input. */
function standard({ sign = true, send = true, answer = { signature: SIGNATURE }, fail } = {}) {
  const calls = [];
  const features = {};
  if (sign) {
    features['solana:signTransaction'] = {
      version: '1.0.0',
      signTransaction: async (input) => {
        calls.push(['sign', input]);
        if (fail) throw fail;
        return [{ signedTransaction: input.transaction }];
      },
    };
  }
  if (send) {
    features['solana:signAndSendTransaction'] = {
      version: '1.0.0',
      signAndSendTransaction: async (input) => {
        calls.push(['send', input]);
        if (fail) throw fail;
        return [answer];
      },
    };
  }
  return { calls, wallet: { accounts: [{ address: ADDRESS }], features } };
}

test('the CAIP-2 clusters map to Wallet Standard chains; others fall back to options.chain, then the network', () => {
  assert.equal(standardChain('solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp'), 'solana:mainnet');
  assert.equal(standardChain(DEVNET, 'solana:localnet'), 'solana:devnet');
  assert.equal(standardChain('solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z'), 'solana:testnet');
  assert.equal(standardChain('solana:localgenesis', 'solana:localnet'), 'solana:localnet');
  assert.equal(standardChain('solana:localgenesis'), 'solana:localgenesis');
  assert.equal(standardChain(undefined), undefined);
});

test('features decide the methods: sign, send, or both', async () => {
  const both = solanaWallet(standard().wallet);
  assert.equal(typeof both.signTransaction, 'function');
  assert.equal(typeof both.sendTransaction, 'function');
  const signOnly = solanaWallet(standard({ send: false }).wallet);
  assert.equal(signOnly.sendTransaction, undefined);
  const sendOnly = solanaWallet(standard({ sign: false }).wallet);
  assert.equal(sendOnly.signTransaction, undefined);
  assert.equal(await sendOnly.getAddress(), ADDRESS);
  // A wallet-adapter object keeps only signTransaction: the core submits what it signs.
  const adapter = solanaWallet({ publicKey: ADDRESS, signTransaction: async (tx) => tx, sendTransaction: async () => 'x' });
  assert.equal(adapter.sendTransaction, undefined);
  assert.throws(() => solanaWallet({ features: {} }), { code: 'INVALID_ARGUMENT' });
});

test('signTransaction names the payment\'s cluster when the account is on it (or options.chain), else none', async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const on = standard({ send: false });
  on.wallet.accounts = [{ address: ADDRESS, chains: ['solana:mainnet', 'solana:devnet'] }];
  await solanaWallet(on.wallet).signTransaction(bytes, { network: DEVNET });
  assert.equal(on.calls[0][1].chain, 'solana:devnet');
  // An account that does not list the cluster (or lists none): no chain, as before.
  const off = standard({ send: false });
  off.wallet.accounts = [{ address: ADDRESS, chains: ['solana:mainnet'] }];
  await solanaWallet(off.wallet).signTransaction(bytes, { network: DEVNET });
  const none = standard({ send: false });
  await solanaWallet(none.wallet).signTransaction(bytes, { network: DEVNET });
  assert.equal('chain' in off.calls[0][1], false);
  assert.equal('chain' in none.calls[0][1], false);
  // options.chain is the caller's word.
  const given = standard({ send: false });
  await solanaWallet(given.wallet, { chain: 'solana:localnet' }).signTransaction(bytes, { network: DEVNET });
  assert.equal(given.calls[0][1].chain, 'solana:localnet');
  await solanaWallet(given.wallet).signTransaction(bytes);
  assert.equal('chain' in given.calls[1][1], false);
});

test('sendTransaction passes the account, the bytes and the mapped chain, and returns the signature', async () => {
  const { wallet, calls } = standard();
  const bytes = new Uint8Array([1, 2, 3]);
  const signature = await solanaWallet(wallet, { chain: 'solana:localnet' }).sendTransaction(bytes, { rpcUrl: 'http://rpc', network: DEVNET });
  assert.deepEqual(signature, SIGNATURE);
  assert.equal(calls.length, 1);
  const [kind, input] = calls[0];
  assert.equal(kind, 'send');
  assert.deepEqual(Object.keys(input).sort(), ['account', 'chain', 'transaction']);
  assert.equal(input.account.address, ADDRESS);
  assert.equal(input.transaction, bytes);
  assert.equal(input.chain, 'solana:devnet');
  // An unknown network uses options.chain.
  await solanaWallet(wallet, { chain: 'solana:localnet' }).sendTransaction(bytes, { network: 'solana:localgenesis' });
  assert.equal(calls[1][1].chain, 'solana:localnet');
  await assert.rejects(solanaWallet(wallet).sendTransaction(bytes, {}), { code: 'INVALID_ARGUMENT' });
});

test('a signature from another realm becomes a local Uint8Array; base58 text passes through', async () => {
  const foreign = runInNewContext('new Uint8Array(64).fill(9)');
  assert.ok(!(foreign instanceof Uint8Array));
  const local = await solanaWallet(standard({ answer: { signature: foreign } }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET });
  assert.ok(local instanceof Uint8Array);
  assert.deepEqual(local, SIGNATURE);
  const text = await solanaWallet(standard({ answer: { signature: '5VERv8' } }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET });
  assert.equal(text, '5VERv8');
  await assert.rejects(
    solanaWallet(standard({ answer: {} }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET }),
    { name: 'X402Error', code: 'WALLET_ERROR' },
  );
});

test('wallet failures: a refusal is USER_REJECTED, anything else WALLET_ERROR with the cause', async () => {
  const refusal = Object.assign(new Error('User rejected the request.'), { code: 4001 });
  await assert.rejects(
    solanaWallet(standard({ fail: refusal }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET }),
    { name: 'X402Error', code: 'USER_REJECTED' },
  );
  const broken = new Error('RPC node down');
  await assert.rejects(
    solanaWallet(standard({ fail: broken }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET }),
    (e) => e.code === 'WALLET_ERROR' && e.cause === broken,
  );
});

test('a message about rejecting is a refusal only before anything can be sent', async () => {
  const after = new Error('Transaction rejected by RPC: timeout');
  // Signing only: the wallet sent nothing, its message is enough.
  await assert.rejects(solanaWallet(standard({ fail: after }).wallet).signTransaction(new Uint8Array(1)), { code: 'USER_REJECTED' });
  // Signing and sending: it may have been sent, so only code 4001 counts as the user's refusal.
  await assert.rejects(
    solanaWallet(standard({ fail: after }).wallet).sendTransaction(new Uint8Array(1), { network: DEVNET }),
    (e) => e.code === 'WALLET_ERROR' && e.cause === after,
  );
});

test('signed bytes from another realm become a local Uint8Array (Wallet Standard and adapters)', async () => {
  const foreign = runInNewContext('new Uint8Array([1, 2, 3])');
  const { wallet } = standard();
  wallet.features['solana:signTransaction'].signTransaction = async () => [{ signedTransaction: foreign }];
  const signed = await solanaWallet(wallet).signTransaction(new Uint8Array(1));
  assert.ok(signed instanceof Uint8Array);
  assert.deepEqual([...signed], [1, 2, 3]);
  const adapter = { publicKey: ADDRESS, signTransaction: async () => foreign };
  const again = await solanaWallet(adapter).signTransaction(new Uint8Array(1));
  assert.ok(again instanceof Uint8Array);
  assert.deepEqual([...again], [1, 2, 3]);
  await assert.rejects(solanaWallet({ publicKey: ADDRESS, signTransaction: async () => 'nope' }).signTransaction(new Uint8Array(1)), { code: 'WALLET_ERROR' });
});
